"""The `newsarchive` command line: crawl, export, demo, import-warc, show, index, replay, db, stats.

`crawl` runs the same `news` spider as `scrapy crawl news`, in-process, with the project's settings;
options given here override settings and `NEWSARCHIVE_*` environment variables.
"""

from __future__ import annotations

import os
import sys
from datetime import date
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.table import Table

os.environ.setdefault("SCRAPY_SETTINGS_MODULE", "crawler.settings")

console = Console(stderr=True)


def _settings(**overrides: Any) -> Any:
    from scrapy.utils.project import get_project_settings

    from crawler.addon import apply_defaults

    settings = get_project_settings()
    apply_defaults(settings)  # commands that only read the archive run no crawler, so no add-on
    for name, value in overrides.items():
        if value is not None:
            settings.set(name, value, priority="cmdline")
    return settings


def _store(db: str | None, *, create: bool = True) -> Any:
    """The archive at `db` (default: the DATABASE_URL setting); read commands pass `create=False`: no archive
    there is one clear message, and nothing is created."""
    from archive.store import ArchiveStore, StoreUnavailable

    url = db or _settings()["DATABASE_URL"]
    try:
        return ArchiveStore(url, create=create)
    except StoreUnavailable as exc:
        raise click.ClickException(str(exc)) from exc


def _warc_locations(store: Any, warc_dir: str | None) -> Any:
    """Where the archive's records are: `--warc-dir` first, then the folders it remembers, then WARC_DIR."""
    from archive.locations import WarcLocations

    return WarcLocations.for_store(store, named=warc_dir, default=_settings()["WARC_DIR"])


def run_crawl(settings: Any, spider_arguments: dict[str, Any]) -> dict[str, Any]:
    """Run the `news` spider to completion in this process; returns the crawl's stats."""
    from scrapy.crawler import CrawlerProcess

    process = CrawlerProcess(settings)
    crawler = process.create_crawler("news")
    process.crawl(crawler, **{k: v for k, v in spider_arguments.items() if v is not None})
    process.start()
    return crawler.stats.get_stats()


def _since(value: str | None) -> str | None:
    if value is not None:
        try:
            date.fromisoformat(value)
        except ValueError as exc:
            raise click.BadParameter(f"{value!r} is not a date of the form YYYY-MM-DD") from exc
    return value


@click.group()
@click.version_option(package_name="newsarchive")
def main() -> None:
    """newsarchive: a news crawler that is also a faithful web archive."""


@main.command()
@click.argument("site", required=False)
@click.option("--sitemap", multiple=True, help="Sitemap or sitemap index URL (repeatable).")
@click.option("--feed", multiple=True, help="RSS/Atom/JSON feed URL (repeatable).")
@click.option("--start", multiple=True, help="Listing page to follow with its pagination (repeatable).")
@click.option("--db", help="Database URL (default: the DATABASE_URL setting, sqlite:///data/newsarchive.db).")
@click.option("--warc-dir", help="Folder of the WARC files (default: the WARC_DIR setting, data/warc).")
@click.option("--since", help="Only articles published on or after this date (YYYY-MM-DD).")
@click.option("--max-articles", type=int, help="Fetch at most this many article pages.")
@click.option("--refresh", is_flag=True, help="Fetch articles again even if already archived.")
@click.option("--allow-private", is_flag=True, help="Allow loopback and private-network hosts (local test sites).")
@click.option("--redis", "redis_url", help="Redis URL: share the queue and dupefilter with other crawlers.")
@click.option("--job", help="Distributed mode: the job name the cooperating crawlers share (one per scheduled run).")
@click.option("-s", "--set", "extra", multiple=True, help="Any Scrapy/newsarchive setting, NAME=VALUE (repeatable).")
def crawl(site: str | None, sitemap: tuple[str, ...], feed: tuple[str, ...], start: tuple[str, ...],
          db: str | None, warc_dir: str | None, since: str | None, max_articles: int | None, refresh: bool,
          allow_private: bool, redis_url: str | None, job: str | None, extra: tuple[str, ...]) -> None:
    """Crawl SITE (a profile name or .toml file) or the given sitemaps, feeds and listing pages."""
    if not (site or sitemap or feed or start):
        raise click.UsageError("name a SITE profile or give --sitemap, --feed or --start")
    overrides: dict[str, Any] = {"DATABASE_URL": db, "WARC_DIR": warc_dir, "REDIS_URL": redis_url, "CRAWL_JOB": job}
    if allow_private:
        overrides["ALLOW_PRIVATE_ADDRESSES"] = True
    for pair in extra:
        name, sep, value = pair.partition("=")
        if not sep:
            raise click.BadParameter(f"{pair!r} is not NAME=VALUE", param_hint="--set")
        overrides[name] = value
    settings = _settings(**overrides)
    _store(settings["DATABASE_URL"]).close()  # an unreachable database: one clear message before anything starts
    stats = run_crawl(settings, {
        "site": site, "sitemap": ",".join(sitemap) or None, "feed": ",".join(feed) or None,
        "start": ",".join(start) or None, "since": _since(since), "max_articles": max_articles,
        "refresh": "true" if refresh else None,
    })
    _print_crawl_summary(stats)
    if stats.get("finish_reason") not in ("finished", "closespider_itemcount"):
        sys.exit(1)


def _print_crawl_summary(stats: dict[str, Any]) -> None:
    table = Table(title="crawl")
    table.add_column("what")
    table.add_column("count", justify="right")
    rows = [("pages fetched", stats.get("response_received_count", 0)),
            ("articles stored", stats.get("item_scraped_count", 0))]
    rows += [(k.removeprefix("newsarchive/"), v) for k, v in sorted(stats.items()) if k.startswith("newsarchive/")]
    for name, value in rows:
        table.add_row(str(name), str(value))
    table.add_row("finish reason", str(stats.get("finish_reason")))
    console.print(table)


@main.command()
@click.option("--db", help="Database URL (default: the DATABASE_URL setting).")
@click.option("--format", "fmt", type=click.Choice(["jsonl", "csv", "txt", "warc", "wacz"]), default="jsonl",
              show_default=True)
@click.option("-o", "--output", default="-", show_default=True,
              help="Output file ('-' for stdout; a folder for txt gives one file per article).")
@click.option("--site", help="Only this site.")
@click.option("--since", help="Only articles published on or after this date (YYYY-MM-DD).")
@click.option("--warc-dir", help="Folder of the WARC files, for --format warc|wacz (default: those the archive "
              "remembers from its crawls and imports).")
def export(db: str | None, fmt: str, output: str, site: str | None, since: str | None, warc_dir: str | None) -> None:
    """Export the archive's articles as JSONL, CSV, text, WARC or WACZ."""
    from archive.export import export as export_records
    from archive.locations import RecordsMissing
    from archive.outputs import ExportError

    since_date = date.fromisoformat(_since(since)) if since else None
    store = _store(db, create=False)
    try:
        locations = _warc_locations(store, warc_dir) if fmt in ("warc", "wacz") else None
        count = export_records(store, fmt, output, site=site, since=since_date, warc_dir=locations)
    except (ExportError, RecordsMissing) as exc:
        raise click.ClickException(str(exc)) from exc
    except OSError as exc:
        raise click.ClickException(_os_error(exc)) from exc
    console.print(f"exported {count} articles as {fmt} to {output}")


def _os_error(error: OSError) -> str:
    return f"{error.strerror}: {error.filename}" if error.strerror and error.filename else str(error)


@main.command("import-warc")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--db", help="Database URL (default: the DATABASE_URL setting).")
@click.option("--site", help="Site profile to extract with (default: generic, site = host name).")
def import_warc(paths: tuple[Path, ...], db: str | None, site: str | None) -> None:
    """Re-extract articles from WARC/WACZ files (ours or third-party) into the SQL store."""
    from zipfile import BadZipFile

    from crawler.reextract import import_archives

    store = _store(db)
    try:
        summary = import_archives(store, paths, site=site, progress=console)
    except (FileNotFoundError, ValueError, BadZipFile) as exc:  # no such file, not a WARC or WACZ, a damaged one
        raise click.ClickException(str(exc)) from exc
    console.print(summary)


@main.command()
@click.argument("url")
@click.option("--db", help="Database URL (default: the DATABASE_URL setting).")
@click.option("--warc-dir", help="Folder of the WARC files, looked in first (default: those the archive remembers).")
@click.option("--raw", is_flag=True, help="Print the archived HTTP response exactly as captured.")
@click.option("--decoded", is_flag=True, help="With --raw: the body de-chunked and decompressed (gzip, deflate, br).")
def show(url: str, db: str | None, warc_dir: str | None, raw: bool, decoded: bool) -> None:
    """Show an archived article (or, with --raw, its HTTP response from the WARC).

    URL may be any address of the article: with tracking parameters or a fragment, in another case, an AMP or
    other alias, or an address that redirected to it.
    """
    from archive.locations import RecordsMissing
    from archive.revisits import read_record
    from archive.text import to_text_form
    from crawler.urls import lookup_forms

    store = _store(db, create=False)
    article = store.get_article(lookup_forms(url))
    if article is None:
        raise click.ClickException(f"no archived article for {url}")
    if raw or decoded:
        if article.warc is None:
            raise click.ClickException(f"{url} has no WARC record")
        try:
            message = read_record(_warc_locations(store, warc_dir), article.warc, decoded=decoded)
        except (RecordsMissing, ValueError) as exc:  # ValueError: a body that cannot be decoded
            raise click.ClickException(str(exc)) from exc
        sys.stdout.buffer.write(message)
    else:
        click.echo(to_text_form(article))


@main.command()
@click.option("--warc-dir", help="Folder of the WARC files (default: the WARC_DIR setting).")
@click.option("-o", "--output", type=click.Path(path_type=Path), help="Also merge every index into this one CDXJ file.")
def index(warc_dir: str | None, output: Path | None) -> None:
    """Write the CDXJ index of every finished WARC file that has none; with -o, merge them all into one."""
    from archive.index import index_missing, merge_indexes

    folder = warc_dir or _settings()["WARC_DIR"]
    made = index_missing(folder)
    console.print(f"indexed {len(made)} WARC file(s) in {folder}")
    if output is not None:
        merge_indexes(folder, output)
        console.print(f"merged index written to {output}")


@main.command()
@click.option("--warc-dir", help="Folder of the WARC files (default: the WARC_DIR setting).")
@click.option("--port", default=8080, show_default=True)
@click.option("--host", default="127.0.0.1", show_default=True)
def replay(warc_dir: str | None, port: int, host: str) -> None:
    """Browse the archive in pywb (run from an environment of its own, created on first use)."""
    from archive.replay import PywbReplay, PywbUnavailable

    folder = warc_dir or _settings()["WARC_DIR"]
    try:
        with PywbReplay(folder, port=port, host=host) as server:
            console.print(f"pywb replays {folder} at {server.base_url}/archive/ (Ctrl-C to stop)")
            server.wait()
    except PywbUnavailable as exc:
        raise click.ClickException(str(exc)) from exc
    except KeyboardInterrupt:
        pass


@main.group()
def db() -> None:
    """Database schema: upgrade, downgrade, current revision."""


@db.command()
@click.option("--db", "url", help="Database URL (default: the DATABASE_URL setting).")
def upgrade(url: str | None) -> None:
    """Apply all migrations."""
    store = _store(url)
    store.upgrade()
    console.print(f"database at revision {store.current_revision()}")


@db.command()
@click.option("--db", "url", help="Database URL (default: the DATABASE_URL setting).")
def current(url: str | None) -> None:
    """Print the schema revision of the database and the newest this newsarchive ships."""
    store = _store(url)
    click.echo(f"{store.current_revision()} (head: {store.head_revision()})")


@db.command()
@click.argument("revision")
@click.option("--db", "url", help="Database URL (default: the DATABASE_URL setting).")
def downgrade(revision: str, url: str | None) -> None:
    """Downgrade to REVISION (e.g. base)."""
    store = _store(url)
    store.downgrade(revision)
    console.print(f"database at revision {store.current_revision()}")


@main.command()
@click.option("--db", help="Database URL (default: the DATABASE_URL setting).")
def stats(db: str | None) -> None:
    """Counts per site, section and day; duplicates by kind; failures by reason."""
    summary = _store(db, create=False).stats()
    totals = Table(title="archive", min_width=40)
    totals.add_column("what")
    totals.add_column("count", justify="right")
    for title, counts in summary.items():
        if not isinstance(counts, dict):
            totals.add_row(title, str(counts))
    console.print(totals)
    for title, counts in summary.items():
        if isinstance(counts, dict):
            table = Table(title=title, min_width=len(title) + 8)
            table.add_column(title.split()[-1])
            table.add_column("count", justify="right")
            for key, value in counts.items():
                table.add_row(str(key) or "(none)", str(value))
            console.print(table)


@main.command()
@click.option("--articles", default=120, show_default=True, help="Size of the generated newsroom site.")
@click.option("--data-dir", default="data", show_default=True, type=click.Path(path_type=Path))
def demo(articles: int, data_dir: Path) -> None:
    """Serve the bundled newsroom site on 127.0.0.1, crawl it into DATA_DIR and show what was stored."""
    from crawler.newsroom import Newsroom, serve

    data_dir.mkdir(parents=True, exist_ok=True)
    db_url = f"sqlite:///{data_dir / 'newsarchive.db'}"
    warc_dir = data_dir / "warc"
    newsroom = Newsroom(articles=articles)
    with serve(newsroom) as base_url:
        console.print(f"newsroom serving {articles} articles at {base_url}")
        stats = run_crawl(
            # the newsroom is ours and local: no politeness delay needed
            _settings(DATABASE_URL=db_url, WARC_DIR=str(warc_dir), ALLOW_PRIVATE_ADDRESSES=True,
                      AUTOTHROTTLE_ENABLED=False, LOG_LEVEL="WARNING"),
            {"sitemap": f"{base_url}/sitemap.xml"},
        )
    _print_crawl_summary(stats)
    _print_demo_summary(db_url, warc_dir, newsroom)


def _print_demo_summary(db_url: str, warc_dir: Path, newsroom: Any) -> None:
    from archive.text import to_text_form

    store = _store(db_url)
    summary = store.stats()
    table = Table(title=f"stored in {db_url}", min_width=len(db_url) + 12)
    table.add_column("section")
    table.add_column("articles", justify="right")
    for section, count in summary.get("articles per section", {}).items():
        table.add_row(section or "(none)", str(count))
    console.print(table)
    warcs = sorted(warc_dir.glob("*.warc.gz"))
    console.print(f"WARC: {len(warcs)} file(s) in {warc_dir}, {sum(p.stat().st_size for p in warcs):,} bytes")
    seed = next((a for a in store.iter_articles() if a.url.endswith(newsroom.seed_path)), None)
    if seed is not None:
        out = warc_dir.parent / "seed-article.txt"
        out.write_text(to_text_form(seed) + "\n", encoding="utf-8")
        console.print(f"the seed article exports to {out}")


if __name__ == "__main__":
    main()
