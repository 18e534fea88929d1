"""Nothing a site listed is lost for good: what a run did not archive (left out by --max-articles, failed, behind
an unchanged sitemap index) is fetched by the next one, and a canonical link never merges different articles.

Each test crawls a newsroom of its own whose discovery the test controls: `/index.xml`, a sitemap index that never
changes (the same bytes, so the same ETag: a 304 on every conditional request), leads to `/child.xml`, listing
the first `listed` stories of the site.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from conftest import CRAWL_SETTINGS, ROOT, run_newsarchive
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session
from warcio.archiveiterator import ArchiveIterator

from archive.models import ArticleUrl, CaptureRow, CrawlRun, DiscoveredUrl
from archive.runstatus import ExitCode
from archive.store import ArchiveStore, NoArchive
from crawler.newsroom import Newsroom, serve
from crawler.newsroom import templates as tpl
from crawler.newsroom.listing import SITEMAP_PATH, LargeSitemapSite
from crawler.newsroom.site import NEAR_DUPLICATE_ID, SYNDICATED_ID, LoggedRequest, _Page

pytestmark = pytest.mark.integration

INDEX, CHILD = "/index.xml", "/child.xml"


class ControlledNewsroom(Newsroom):
    """The newsroom with a discovery the test sets: `listed` stories in the child sitemap, `failing` paths
    answering 500, and the stories at `canonical_to` declaring another URL (a path) as their canonical link."""

    def __init__(self, listed: int, **kwargs) -> None:
        super().__init__(**kwargs)
        self.listed = listed
        self.failing: set[str] = set()
        self.canonical_to: dict[str, str] = {}

    def articles(self) -> list[str]:
        """The paths of the stories the child sitemap lists, oldest first (a site adds new ones at the end); not
        the site's copies of other stories, whose canonical link rightly names the story they copy."""
        originals = [story for story in reversed(self.stories) if story.id not in (SYNDICATED_ID, NEAR_DUPLICATE_ID)]
        return [story.path for story in originals][: self.listed]

    def handle(self, method, target, headers, base_url):
        path = target.split("?")[0]
        if urlsplit(base_url).hostname == self.media_host or path not in (INDEX, CHILD, *self.failing):
            return super().handle(method, target, headers, base_url)
        if path in self.failing:
            page = _Page(500, "text/html; charset=utf-8", b"<h1>500 Internal Server Error</h1>", "error")
        elif path == INDEX:
            page = self._xml(tpl.sitemap_index([(base_url + CHILD, self.reference)]), "sitemap", self.reference)
        else:
            urls = [(base_url + path, self.reference) for path in self.articles()]
            page = self._xml(tpl.urlset(urls), "sitemap", self.reference)
        response = self._respond(method, page, headers)
        self.request_log.append(LoggedRequest(method, target, response.status, page.kind))
        return response

    def _article_page(self, story, base):
        page = super()._article_page(story, base)
        declared = self.canonical_to.get(story.path)
        if declared is None:
            return page
        body = re.sub(rb'<link rel="canonical" href="[^"]*">',
                      f'<link rel="canonical" href="{base}{declared}">'.encode(), page.body)
        return replace(page, body=body)


def crawl(site: ControlledNewsroom, base_url: str, workdir: Path, *extra: str) -> None:
    run_newsarchive("crawl", "--sitemap", base_url + INDEX, "--db", db_url(workdir), "--warc-dir",
                    str(workdir / "warc"), "--allow-private", *CRAWL_SETTINGS, *extra, cwd=workdir)


def db_url(workdir: Path) -> str:
    return f"sqlite:///{workdir / 'archive.db'}"


def archived_paths(store: ArchiveStore, site: ControlledNewsroom, base_url: str) -> set[str]:
    return {path for path in site.articles() if store.get_article(base_url + path) is not None}


def last_run_stats(store: ArchiveStore) -> dict:
    with Session(store.engine) as session:
        return session.scalars(select(CrawlRun.stats).order_by(CrawlRun.id.desc()).limit(1)).one()


def discovery_answers(site: ControlledNewsroom) -> dict[str, int]:
    return {r.target: r.status for r in site.request_log if r.target in (INDEX, CHILD)}


def test_what_max_articles_left_out_is_fetched_by_the_next_run(tmp_path):
    site = ControlledNewsroom(listed=9, articles=12, seed=21)
    with serve(site) as base_url:
        crawl(site, base_url, tmp_path, "--max-articles", "3")
        store = ArchiveStore(db_url(tmp_path))
        assert len(archived_paths(store, site, base_url)) == 3
        assert last_run_stats(store)["newsarchive/owed/left_waiting"] == 6
        site.reset_requests()
        crawl(site, base_url, tmp_path)
        # the unchanged sitemaps cost only conditional requests; the six URLs left out are fetched all the same
        assert discovery_answers(site) == {INDEX: 304, CHILD: 304}
        assert archived_paths(store, site, base_url) == set(site.articles())
        assert last_run_stats(store)["newsarchive/owed/seeded"] == 6
        site.reset_requests()
        crawl(site, base_url, tmp_path)  # nothing owed any more: nothing fetched
        assert site.request_counts("article") == {}
    store.close()


def test_a_failed_article_is_fetched_again_after_its_back_off(tmp_path):
    site = ControlledNewsroom(listed=4, articles=12, seed=22)
    failing = site.articles()[1]
    site.failing.add(failing)
    no_retries = ("-s", "RETRY_ENABLED=false")
    with serve(site) as base_url:
        crawl(site, base_url, tmp_path, *no_retries)
        store = ArchiveStore(db_url(tmp_path))
        assert archived_paths(store, site, base_url) == set(site.articles()) - {failing}
        site.failing.clear()
        site.reset_requests()
        crawl(site, base_url, tmp_path, *no_retries)  # within the back-off (15 minutes by default): not yet
        assert site.request_counts("article") == {} and last_run_stats(store)["newsarchive/owed/later"] == 1
        crawl(site, base_url, tmp_path, *no_retries, "-s", "REFETCH_BACKOFF=0")
        assert site.request_counts("article") == {failing: 1}
        assert archived_paths(store, site, base_url) == set(site.articles())
    store.close()


def test_a_failed_article_is_given_up_after_its_attempts(tmp_path):
    site = ControlledNewsroom(listed=3, articles=12, seed=23)
    failing = site.articles()[0]
    site.failing.add(failing)
    settings = ("-s", "RETRY_ENABLED=false", "-s", "REFETCH_BACKOFF=0", "-s", "REFETCH_ATTEMPTS=2")
    with serve(site) as base_url:
        for _ in range(3):
            crawl(site, base_url, tmp_path, *settings)
        assert site.request_counts()[failing] == 2  # each attempt a capture with its reason
        store = ArchiveStore(db_url(tmp_path))
        assert last_run_stats(store)["newsarchive/owed/given_up"] == 1
    store.close()


def test_a_new_url_behind_an_unchanged_sitemap_index_is_found(tmp_path):
    site = ControlledNewsroom(listed=4, articles=12, seed=24)
    with serve(site) as base_url:
        crawl(site, base_url, tmp_path)
        site.listed = 6
        site.reset_requests()
        crawl(site, base_url, tmp_path)
        assert discovery_answers(site) == {INDEX: 304, CHILD: 200}
        assert set(site.request_counts("article")) == set(site.articles()[4:])
        store = ArchiveStore(db_url(tmp_path))
        assert archived_paths(store, site, base_url) == set(site.articles())
    store.close()


def test_a_canonical_link_to_the_home_page_or_another_article_merges_nothing(tmp_path):
    site = ControlledNewsroom(listed=5, articles=12, seed=25)
    paths = site.articles()
    site.canonical_to = {paths[0]: "/", paths[1]: "/", paths[2]: "/", paths[3]: paths[4]}
    with serve(site) as base_url:
        crawl(site, base_url, tmp_path)
        store = ArchiveStore(db_url(tmp_path))
        rows = {article.url: article for article in store.iter_articles()}
        assert set(rows) == {base_url + path for path in paths}  # five articles, five rows
        assert {rows[base_url + path].canonical_url for path in paths[:3]} == {base_url + path for path in paths[:3]}
        assert rows[base_url + paths[3]].canonical_url == base_url + paths[3]
        assert all(store.article_versions(base_url + path) == [] for path in paths)
        out = tmp_path / "export.jsonl"
        run_newsarchive("export", "--db", db_url(tmp_path), "--output", str(out), cwd=tmp_path)
        assert len(out.read_text().splitlines()) == 5
    store.close()


def warc_records(folder: Path) -> dict[str, tuple[str, str | None]]:
    """Every record of the WARC files in `folder`: WARC-Record-ID → (type, WARC-Refers-To)."""
    records = {}
    for path in sorted(folder.glob("*.warc.gz*")):
        with path.open("rb") as stream:
            for record in ArchiveIterator(stream):
                headers = record.rec_headers
                records[headers.get_header("WARC-Record-ID")] = (record.rec_type, headers.get_header("WARC-Refers-To"))
    return records


def rows_without_records(store: ArchiveStore, folder: Path) -> list[str]:
    """Article rows whose response record or metadata record is missing from the WARC files."""
    records = warc_records(folder)
    described = {refers for kind, refers in records.values() if kind == "metadata"}
    return [article.url for article in store.iter_articles()
            if article.warc is None or article.warc.record_id not in records or article.warc.record_id not in described]


@pytest.fixture
def small_disk(tmp_path):
    """A folder on a tmpfs of 200 KiB (mounted by the test: needs root), made larger by `grow()`."""
    folder = tmp_path / "warc"
    folder.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=200k", "tmpfs", str(folder)], capture_output=True)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.decode().strip()}")

    def grow() -> None:
        subprocess.run(["mount", "-o", "remount,size=64m", str(folder)], check=True)

    yield folder, grow
    subprocess.run(["umount", str(folder)], check=True)


def test_a_full_disk_leaves_no_row_without_its_records_and_loses_nothing(small_disk, tmp_path, newsroom_crawl):
    folder, grow = small_disk
    site = Newsroom(articles=30, seed=7)  # the session's shared crawl holds every article of this site
    expected = sum(1 for _ in newsroom_crawl.store.iter_articles())
    with serve(site) as base_url:
        arguments = ["crawl", "--sitemap", f"{base_url}/sitemap.xml", "--db", db_url(tmp_path),
                     "--warc-dir", str(folder), "--allow-private", *CRAWL_SETTINGS]
        full = subprocess.run([sys.executable, "-m", "crawler.cli", *arguments], cwd=tmp_path, capture_output=True,
                              text=True, timeout=300, env={**os.environ, "PYTHONPATH": str(ROOT)})
        assert full.returncode == 1 and "close reason warc_write_failed" in full.stderr  # stopped cleanly
        store = ArchiveStore(db_url(tmp_path))
        stored = sum(1 for _ in store.iter_articles())
        assert stored < expected
        assert rows_without_records(store, folder) == []
        grow()  # space freed: the next run stores the rest
        run_newsarchive(*arguments, cwd=tmp_path)
        assert sum(1 for _ in store.iter_articles()) == expected
        assert rows_without_records(store, folder) == []
    store.close()


def descendants(pid: int) -> list[int]:
    """The processes below `pid` (from /proc), children first."""
    parents = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parents[int(entry.name)] = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
    found, frontier = [], [pid]
    while frontier:
        children = [child for child, parent in parents.items() if parent in frontier]
        found += children
        frontier = children
    return found


def test_the_pages_of_a_killed_extraction_worker_are_fetched_by_the_next_run(tmp_path, newsroom_crawl):
    site = Newsroom(articles=30, seed=7)
    expected = sum(1 for _ in newsroom_crawl.store.iter_articles())
    with serve(site) as base_url:
        arguments = ["crawl", "--sitemap", f"{base_url}/sitemap.xml", "--db", db_url(tmp_path), "--warc-dir",
                     str(tmp_path / "warc"), "--allow-private", *CRAWL_SETTINGS, "-s", "EXTRACT_WORKERS=2"]
        crawling = subprocess.Popen([sys.executable, "-m", "crawler.cli", *arguments], cwd=tmp_path,
                                    env={**os.environ, "PYTHONPATH": str(ROOT)}, stdout=subprocess.DEVNULL,
                                    stderr=subprocess.DEVNULL)
        while crawling.poll() is None:  # the workers are the forkserver's children: grandchildren of the crawl
            workers = [pid for child in descendants(crawling.pid) for pid in descendants(child)]
            if workers:
                os.kill(workers[-1], signal.SIGKILL)
                break
        crawling.wait(timeout=300)
        store = ArchiveStore(db_url(tmp_path))
        with Session(store.engine) as session:
            lost = {urlsplit(url).path for url in session.scalars(
                select(CaptureRow.url).where(CaptureRow.reason.like("extraction worker died%")))}
            # a page the archive holds an article under after all is held, not owed: fetched again under its own URL
            # by the same run, or the story stored from another of its URLs (its AMP copy) that names it canonical
            held = {urlsplit(url).path for url in session.scalars(select(ArticleUrl.url))}
        assert lost  # pages lost with the worker (another copy of a story may still have been stored)
        site.reset_requests()
        run_newsarchive(*arguments, "-s", "REFETCH_BACKOFF=0", cwd=tmp_path)
        refetched = site.request_counts()
        # every lost page the archive does not hold was fetched again
        assert {path for path in lost - held if refetched[path] == 0} == set()
        assert sum(1 for _ in store.iter_articles()) == expected
    store.close()


# --- a large sitemap: a bounded frontier, owed URLs, a prompt stop -------------------------------------------------
def listed_article_urls(store: ArchiveStore) -> int:
    with Session(store.engine) as session:
        return session.scalar(select(func.count()).select_from(DiscoveredUrl).where(DiscoveredUrl.kind == "article"))


def test_a_large_sitemap_fills_a_bounded_frontier_and_leaves_the_rest_owed(tmp_path):
    site = LargeSitemapSite(20_000)
    with serve(site) as base_url:
        arguments = ["--sitemap", base_url + SITEMAP_PATH, "--db", db_url(tmp_path), "--warc-dir",
                     str(tmp_path / "warc"), "--allow-private", *CRAWL_SETTINGS, "-s", "ROBOTSTXT_OBEY=false",
                     "-s", "REQUISITES_ENABLED=false"]
        run_newsarchive("crawl", *arguments, "--max-articles", "5", cwd=tmp_path)
        store = ArchiveStore(db_url(tmp_path))
        first = set(site.requested)
        assert len(first) == 5 and sum(1 for _ in store.iter_articles()) == 5
        assert listed_article_urls(store) == 20_000  # every listed URL recorded
        assert last_run_stats(store)["newsarchive/owed/left_waiting"] == 20_000 - 5
        # a run without --max-articles, one request at a time (the scheduler fills up), stopped after 30 articles:
        # the crawl never holds more requests than the frontier's bound (FRONTIER_LOW_WATER - 1 + FRONTIER_BATCH),
        # not 20,000
        site.requested.clear()
        run_newsarchive("crawl", *arguments, "-s", "CONCURRENT_REQUESTS=1", "-s", "CLOSESPIDER_ITEMCOUNT=30",
                        "-s", "FRONTIER_LOW_WATER=10", "-s", "FRONTIER_BATCH=20", cwd=tmp_path)
        assert 10 <= last_run_stats(store)["newsarchive/frontier/max_pending"] <= 10 - 1 + 20
        assert len(set(site.requested)) >= 30 and not set(site.requested) & first  # owed URLs, not the same ones
        assert sum(1 for _ in store.iter_articles()) >= 5 + 30
        store.close()


def listed_so_far(workdir: Path) -> int:
    """Article URLs the crawl in `workdir` has recorded so far (0 before its database has its schema)."""
    try:
        store = ArchiveStore(db_url(workdir), create=False)
    except (NoArchive, OperationalError):
        return 0
    try:
        return listed_article_urls(store)
    except OperationalError:  # the tables are being made
        return 0
    finally:
        store.close()


def test_sigint_during_a_large_discovery_stops_the_run_and_keeps_what_was_listed_owed(tmp_path):
    site = LargeSitemapSite(50_000)
    with serve(site) as base_url:
        arguments = ["crawl", "--sitemap", base_url + SITEMAP_PATH, "--db", db_url(tmp_path), "--warc-dir",
                     str(tmp_path / "warc"), "--allow-private", *CRAWL_SETTINGS, "-s", "ROBOTSTXT_OBEY=false",
                     "-s", "REQUISITES_ENABLED=false"]
        crawling = subprocess.Popen([sys.executable, "-m", "crawler.cli", *arguments], cwd=tmp_path,
                                    env={**os.environ, "PYTHONPATH": str(ROOT)}, stdout=subprocess.PIPE,
                                    stderr=subprocess.PIPE, text=True)
        while crawling.poll() is None and not listed_so_far(tmp_path):  # until discovery has recorded something
            time.sleep(0.2)
        crawling.send_signal(signal.SIGINT)
        _, err = crawling.communicate(timeout=300)
        assert crawling.returncode == ExitCode.INTERRUPTED, err[-3000:]
        store = ArchiveStore(db_url(tmp_path))
        with Session(store.engine) as session:
            assert session.scalars(select(CrawlRun.status)).all() == ["interrupted"]
        archived = sum(1 for _ in store.iter_articles())
        assert listed_article_urls(store) > archived  # listed and not fetched: owed, recorded for the next run
        site.requested.clear()
        run_newsarchive(*arguments, "--max-articles", "3", cwd=tmp_path)
        assert len(set(site.requested)) == 3 and sum(1 for _ in store.iter_articles()) == archived + 3
        store.close()
