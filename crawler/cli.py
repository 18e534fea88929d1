"""The `newsarchive` command line: crawl, export, demo, import-warc, show, index, replay, db, stats.

`crawl` runs the same `news` spider as `scrapy crawl news`, in-process, with the project's settings;
options given here override settings and `NEWSARCHIVE_*` environment variables.
"""

from __future__ import annotations

import json
import os
import signal
import sys
from datetime import date
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.table import Table

from archive.runstatus import RunStatus, exit_code
from crawler.commanderror import CommandError, Commands

os.environ.setdefault("SCRAPY_SETTINGS_MODULE", "crawler.settings")

console = Console(stderr=True)  # messages
# data: what `stats`, `runs` and a crawl's summary report; a file or pipe gets wide tables, not cut columns
output = Console(width=None if sys.stdout.isatty() else 200)


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
    from archive.db import DatabaseUnreachable
    from archive.store import ArchiveStore, StoreUnavailable

    url = db or _settings()["DATABASE_URL"]
    try:
        return ArchiveStore(url, create=create)
    except DatabaseUnreachable as exc:
        raise CommandError(str(exc), RunStatus.DATABASE_UNREACHABLE) from exc
    except StoreUnavailable as exc:
        raise CommandError(str(exc)) from exc


def _warc_locations(store: Any, warc_dir: str | None) -> Any:
    """Where the archive's records are: `--warc-dir` first, then the folders it remembers, then WARC_DIR."""
    from archive.locations import WarcLocations

    return WarcLocations.for_store(store, named=warc_dir, default=_settings()["WARC_DIR"])


def run_crawl(settings: Any, spider_arguments: dict[str, Any], verbose: bool = False) -> dict[str, Any]:
    """Run the `news` spider to completion in this process; returns the crawl's stats.

    Unless `verbose` (or logging to a LOG_FILE), Scrapy's own INFO lines are left out: the progress line
    (`crawler.progress`) and warnings remain."""
    # Scrapy's TLS context factory module builds three deprecated aliases at import, each walking the importer's
    # whole stack (inspect.stack): imported here, a dozen frames deep, that is ~0.04 s of CPU; imported where the
    # spider loader first needs it (the download handler, ~60 frames deep) it was ~0.18 s of every crawl's start.
    import scrapy.core.downloader.contextfactory  # noqa: F401
    from scrapy.crawler import CrawlerProcess

    from crawler.progress import quiet_logging

    quiet = not verbose and not settings.get("LOG_FILE")
    if quiet:
        settings.set("LOG_INSTALL_ROOT_HANDLER", False, priority="cmdline")
    process = CrawlerProcess(settings)
    if quiet:
        quiet_logging(settings)
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


@click.group(cls=Commands)
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
@click.option("--max-articles", type=click.IntRange(min=1), help="Store at most this many articles.")
@click.option("--refresh", is_flag=True, help="Fetch articles again even if already archived.")
@click.option("--allow-private", is_flag=True, help="Allow loopback and private-network hosts (local test sites).")
@click.option("--redis", "redis_url", help="Redis URL: share the queue and dupefilter with other crawlers.")
@click.option("--job", help="Distributed mode: the job name the cooperating crawlers share (one per scheduled run).")
@click.option("--wait", is_flag=True, help="If another run of the site holds the archive's lock, wait for it.")
@click.option("--fail-on-failed-seeds", is_flag=True, help="Exit 4 if any seed (robots.txt, sitemap, feed, "
              "listing the crawl starts from) could not be fetched.")
@click.option("--max-failure-ratio", type=click.FloatRange(0, 1),
              help="Exit 4 if more than this share of the pages failed (e.g. 0.2).")
@click.option("-s", "--set", "extra", multiple=True, help="Any Scrapy/newsarchive setting, NAME=VALUE (repeatable).")
@click.option("-v", "--verbose", is_flag=True, help="Also Scrapy's own log lines (start-up, settings, stats).")
def crawl(site: str | None, sitemap: tuple[str, ...], feed: tuple[str, ...], start: tuple[str, ...],
          db: str | None, warc_dir: str | None, since: str | None, max_articles: int | None, refresh: bool,
          allow_private: bool, redis_url: str | None, job: str | None, wait: bool, fail_on_failed_seeds: bool,
          max_failure_ratio: float | None, extra: tuple[str, ...], verbose: bool) -> None:
    """Crawl SITE (a profile name or .toml file) or the given sitemaps, feeds and listing pages.

    Exit codes: 0 done, 2 configuration error, 3 nothing could be fetched, 4 failure threshold exceeded,
    5 database unreachable, 6 another run holds the lock, 130 interrupted, 1 anything else.
    """
    from crawler import preflight
    from crawler.runhealth import STATUS_STAT

    if not (site or sitemap or feed or start):
        raise click.UsageError("name a SITE profile or give --sitemap, --feed or --start")
    overrides: dict[str, Any] = {"DATABASE_URL": db, "WARC_DIR": warc_dir, "REDIS_URL": redis_url, "CRAWL_JOB": job,
                                 "MAX_FAILURE_RATIO": max_failure_ratio}
    if allow_private:
        overrides["ALLOW_PRIVATE_ADDRESSES"] = True
    if fail_on_failed_seeds:
        overrides["FAIL_ON_FAILED_SEEDS"] = True
    for pair in extra:
        name, sep, value = pair.partition("=")
        if not sep:
            raise click.BadParameter(f"{pair!r} is not NAME=VALUE", param_hint="--set")
        overrides[name] = value
    settings = _settings(**overrides)
    preflight.check_crawl_settings(settings, [pair.partition("=")[0] for pair in extra])
    profile = preflight.crawl_profile(site, [*sitemap, *feed, *start])
    arguments = {"site": site, "sitemap": ",".join(sitemap) or None, "feed": ",".join(feed) or None,
                 "start": ",".join(start) or None, "since": _since(since), "max_articles": max_articles,
                 "refresh": "true" if refresh else None}
    if settings["REDIS_URL"]:
        preflight.redis_client(settings["REDIS_URL"]).close()
    store = preflight.open_archive(settings["DATABASE_URL"])
    try:
        with preflight.site_lock(store, profile.name, job=settings["CRAWL_JOB"], wait=wait,
                                 stale_after=settings.getfloat("RUN_LOCK_STALE_AFTER"),
                                 arguments={k: str(v) for k, v in arguments.items() if v}):
            stats = run_crawl(settings, arguments, verbose)
    finally:
        store.close()
    _print_crawl_summary(stats)
    sys.exit(exit_code(stats.get(STATUS_STAT, RunStatus.ERROR)))


def _print_crawl_summary(stats: dict[str, Any]) -> None:
    from archive.runrecords import run_counts
    from crawler.runhealth import DETAIL_STAT, STATUS_STAT
    from crawler.selectorcheck import UNMATCHED_STAT

    table = Table(title="crawl")
    table.add_column("what")
    table.add_column("count", justify="right")
    for name, value in run_counts(stats).items():
        table.add_row(name, str(value))
    table.add_row("status", str(stats.get(STATUS_STAT)))
    output.print(table)
    if stats.get(DETAIL_STAT):
        click.echo(f"{stats.get(STATUS_STAT)}: {stats[DETAIL_STAT]}", err=True)
    if stats.get(UNMATCHED_STAT):
        click.echo(f"warning: profile selectors that never matched: {stats[UNMATCHED_STAT]}", err=True)


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
        raise CommandError(str(exc), RunStatus.ERROR) from exc
    except OSError as exc:
        raise CommandError(_os_error(exc), RunStatus.ERROR) from exc
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
        raise CommandError(str(exc)) from exc
    if summary.responses == 0:
        raise CommandError(
            f"no HTTP response in {', '.join(map(str, paths))}: nothing was imported", RunStatus.NOTHING_FETCHED,
            hint="import-warc reads WARC files, folders of them and WACZ packages holding responses",
        )
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
        raise CommandError(f"no archived article for {url}", RunStatus.ERROR)
    if raw or decoded:
        if article.warc is None:
            raise CommandError(f"{url} has no WARC record", RunStatus.ERROR)
        try:
            message = read_record(_warc_locations(store, warc_dir), article.warc, decoded=decoded)
        except (RecordsMissing, ValueError) as exc:  # ValueError: a body that cannot be decoded
            raise CommandError(str(exc), RunStatus.ERROR) from exc
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
    """Browse the archive in pywb (run from an environment of its own, created on first use).

    SIGINT and SIGTERM stop pywb with it."""
    from archive.replay import PywbReplay, PywbUnavailable

    def stop(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt  # leaves the `with` block, which stops pywb

    folder = warc_dir or _settings()["WARC_DIR"]
    # SIGINT too: a command started in the background inherits it ignored, and Python then raises no
    # KeyboardInterrupt for it
    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    try:
        with PywbReplay(folder, port=port, host=host, on_install=console.print) as server:
            console.print(f"pywb replays {folder} at {server.base_url}/archive/ (Ctrl-C to stop)")
            server.wait()
    except PywbUnavailable as exc:
        raise CommandError(str(exc), RunStatus.ERROR) from exc
    except KeyboardInterrupt:
        console.print("pywb stopped")


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
    store = _store(url, create=False)
    click.echo(f"{store.current_revision()} (head: {store.head_revision()})")


@db.command()
@click.argument("revision")
@click.option("--db", "url", help="Database URL (default: the DATABASE_URL setting).")
@click.option("--yes", is_flag=True, help="Do not ask first (the downgrade drops tables or columns, and their data).")
def downgrade(revision: str, url: str | None, yes: bool) -> None:
    """Downgrade to REVISION (e.g. base): asks first, since what the newer revisions added is dropped with its data."""
    from archive.db import safe_url
    from archive.runrecords import archive_size

    store = _store(url)
    if not yes:
        articles, captures = archive_size(store)
        question = (f"downgrading {safe_url(store.database_url)} from revision {store.current_revision()} to "
                    f"{revision} drops what the newer revisions added, with its data ({articles:,} articles and "
                    f"{captures:,} captures are archived there; `base` drops everything)")
        if not sys.stdin.isatty():
            raise CommandError(question, hint="run it in a terminal to be asked, or add --yes")
        click.confirm(f"{question}. Go on?", abort=True, err=True)
    store.downgrade(revision)
    console.print(f"database at revision {store.current_revision()}")


@main.command()
@click.option("--db", help="Database URL (default: the DATABASE_URL setting).")
@click.option("--json", "as_json", is_flag=True, help="Print the counts as one JSON object.")
def stats(db: str | None, as_json: bool) -> None:
    """Counts per site, section and day; duplicates by kind; failures by reason."""
    summary = _store(db, create=False).stats()
    if as_json:
        click.echo(json.dumps(summary, ensure_ascii=False, indent=1, default=str))
        return
    totals = Table(title="archive", min_width=40)
    totals.add_column("what")
    totals.add_column("count", justify="right")
    for title, counts in summary.items():
        if not isinstance(counts, dict):
            totals.add_row(title, str(counts))
    output.print(totals)
    for title, counts in summary.items():
        if isinstance(counts, dict):
            table = Table(title=title, min_width=len(title) + 8)
            table.add_column(title.split()[-1])
            table.add_column("count", justify="right")
            for key, value in counts.items():
                table.add_row(str(key) or "(none)", str(value))
            output.print(table)


@main.command()
@click.option("--db", help="Database URL (default: the DATABASE_URL setting).")
@click.option("--site", help="Only runs of this site.")
@click.option("--run", "run_id", type=int, help="Only this run.")
@click.option("--limit", type=click.IntRange(min=1), default=20, show_default=True, help="The latest N runs.")
@click.option("--json", "as_json", is_flag=True, help="Print the runs as a JSON array.")
def runs(db: str | None, site: str | None, run_id: int | None, limit: int, as_json: bool) -> None:
    """The crawl runs, newest first: when, site, counts, failures by reason, duration, status and exit code."""
    from archive.runrecords import list_runs

    records = list_runs(_store(db, create=False), limit=limit, site=site, run_id=run_id)
    if as_json:
        click.echo(json.dumps(records, ensure_ascii=False, indent=1))
        return
    columns = {"id": "id", "started_at": "started (UTC)", "site": "site", "status": "status", "exit_code": "exit",
               "pages_fetched": "pages", "articles_new": "new", "articles_changed": "changed",
               "articles_unchanged": "unchanged", "duplicates": "dups", "pages_failed": "failed",
               "bytes_archived": "bytes", "duration_s": "seconds"}
    table = Table(title="crawl runs")
    for key, title in columns.items():
        table.add_column(title, justify="left" if key in ("started_at", "site", "status") else "right")
    for record in records:
        record["started_at"] = record["started_at"][:16].replace("T", " ")
        table.add_row(*("" if record[key] is None else str(record[key]) for key in columns))
    output.print(table)
    for record in records:
        if record["failures_by_reason"]:
            reasons = "; ".join(f"{n} × {reason}" for reason, n in record["failures_by_reason"].items())
            output.print(f"run {record['id']} failures: {reasons}", soft_wrap=True)


@main.command()
@click.option("--db", help="Database URL (default: the DATABASE_URL setting).")
@click.option("--run", "run_id", type=int, help="Report on this crawl run (default: the whole archive).")
@click.option("-o", "--output", "path", type=click.Path(dir_okay=False, path_type=Path), default="report.html",
              show_default=True, help="The HTML file to write.")
def report(db: str | None, run_id: int | None, path: Path) -> None:
    """One self-contained HTML page with charts: articles per day and section, outcomes over time, failures,
    response codes, bytes per host, extraction fill rates."""
    from archive.report import collect, render

    try:
        import matplotlib  # noqa: F401
    except ImportError:
        raise CommandError("the report needs matplotlib", hint="pip install 'newsarchive[report]'") from None
    try:
        data = collect(_store(db, create=False), run_id)
    except LookupError as exc:
        raise CommandError(str(exc), hint="`newsarchive runs` lists the runs") from None
    path.write_text(render(data), encoding="utf-8")
    console.print(f"report on {data.title} written to {path}")


@main.group()
def jobs() -> None:
    """Distributed jobs on Redis: list them, remove what a job left."""


def _redis(url: str | None) -> Any:
    from crawler.preflight import redis_client

    url = url or _settings()["REDIS_URL"]
    if not url:
        raise CommandError("no Redis URL", hint="give --redis URL or set REDIS_URL")
    return redis_client(url)


@jobs.command("list")
@click.option("--redis", "redis_url", help="Redis URL (default: the REDIS_URL setting).")
def jobs_list(redis_url: str | None) -> None:
    """Every job with keys on Redis: queued requests, dupefilter size, live workers."""
    from crawler.distributed import job_key, job_names, worker_states

    client = _redis(redis_url)
    table = Table(title="jobs")
    for column in ("job", "queued", "seen", "workers busy", "workers idle", "expires in s"):
        table.add_column(column, justify="left" if column == "job" else "right")
    for job in sorted(job_names(client)):
        states = list(worker_states(client, job).values())
        table.add_row(job, str(client.zcard(job_key(job, "requests"))),  # scrapy-redis's queue is a sorted set
                      str(client.scard(job_key(job, "dupefilter"))), str(states.count(b"busy")),
                      str(states.count(b"idle")), str(max(client.ttl(job_key(job, "dupefilter")), 0) or ""))
    output.print(table)


@jobs.command("clean")
@click.argument("names", nargs=-1)
@click.option("--all", "every", is_flag=True, help="Every job without a live worker.")
@click.option("--redis", "redis_url", help="Redis URL (default: the REDIS_URL setting).")
def jobs_clean(names: tuple[str, ...], every: bool, redis_url: str | None) -> None:
    """Remove the Redis keys (queue, dupefilter) of the jobs NAMES, or of every job no worker runs (--all)."""
    from crawler.distributed import job_names, remove_job, worker_states

    if not (names or every):
        raise click.UsageError("name the jobs to clean, or give --all")
    client = _redis(redis_url)
    for job in sorted(set(names) | (job_names(client) if every else set())):
        if worker_states(client, job):
            if names and job in names:
                raise CommandError(f"job {job} has live workers", RunStatus.LOCKED,
                                   hint="stop them first (their keys expire 10 s after they die)")
            continue
        console.print(f"job {job}: {remove_job(client, job)} keys removed")


@main.command()
@click.option("--articles", default=120, show_default=True, help="Size of the generated newsroom site.")
@click.option("--data-dir", default="data", show_default=True, type=click.Path(path_type=Path))
@click.option("--port", type=click.IntRange(1, 65535), default=8000, show_default=True,
              help="Port of 127.0.0.1 the newsroom is served on; the same port again makes the next demo incremental.")
def demo(articles: int, data_dir: Path, port: int) -> None:
    """Serve the bundled newsroom site on 127.0.0.1, crawl it into DATA_DIR and show what was stored.

    Run it again (same --port) and the crawl is incremental: only what changed is fetched. To serve the newsroom
    for crawls of your own: `python -m crawler.newsroom --port 8000`."""
    from crawler.newsroom import Newsroom, serve

    data_dir.mkdir(parents=True, exist_ok=True)
    db_url = f"sqlite:///{data_dir / 'newsarchive.db'}"
    warc_dir = data_dir / "warc"
    newsroom = Newsroom(articles=articles)
    try:
        server = serve(newsroom, port=port)
        base_url = server.start()
    except OSError as exc:
        raise CommandError(f"cannot serve the newsroom on 127.0.0.1:{port}: {exc.strerror}",
                           hint="give another --port") from None
    try:
        console.print(f"newsroom serving {articles} articles at {base_url}")
        stats = run_crawl(
            # the newsroom is ours and local: no politeness delay needed
            _settings(DATABASE_URL=db_url, WARC_DIR=str(warc_dir), ALLOW_PRIVATE_ADDRESSES=True,
                      AUTOTHROTTLE_ENABLED=False),
            {"sitemap": f"{base_url}/sitemap.xml"},
        )
    finally:
        server.stop()
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
