"""A full disk under the SQLite database or the spool: the crawl stops with one clear line, and nothing is lost (what
could not be stored is spooled, or owed to the next run). Each folder is a tmpfs the test mounts (needs root)."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import psycopg
import pytest
from conftest import CRAWL_SETTINGS, ROOT, run_newsarchive, vietnamese_like_text
from scrapy import signals as scrapy_signals
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session
from test_pipelines import close_pipeline, crawler_with_spider, failing, open_pipeline, rows, wait_for

from archive.db import is_disk_full
from archive.models import ArticleRow, CaptureRow, CrawlRun
from archive.outcomes import Outcome
from archive.records import Capture
from archive.spool import Spool
from archive.store import ArchiveStore, DueRules
from archive.writer import ArticleEvent, BatchWriter, RunFinished
from crawler.frontier import Frontier
from crawler.newsroom import Newsroom, serve
from crawler.signals import urls_listed
from pipelines.sql import SqlStorePipeline

SITEMAP = "https://baonghean.vn/sitemap.xml"


def test_a_full_database_is_told_from_a_lost_connection() -> None:
    assert is_disk_full(OperationalError("INSERT", {}, psycopg.errors.DiskFull("could not extend file")))
    assert not is_disk_full(OperationalError("INSERT", {}, psycopg.OperationalError("server closed the connection")))


@pytest.mark.slow  # articles written until the database is full, then replayed
def test_a_full_sqlite_database_is_reported_once_and_what_it_could_not_take_is_spooled(tmpfs, tmp_path, make_article):
    folder, grow = tmpfs("db", "400k")  # the schema and a few articles, not 60
    database_url = f"sqlite:///{folder / 'archive.db'}"
    store = ArchiveStore(database_url)
    full: list[str] = []
    spooled: list[int] = []
    lost: list[object] = []
    writer = BatchWriter(store, Spool(tmp_path / "spool", store), batch_size=5, batch_seconds=0.01,
                         close_timeout=600, on_report=lambda report: None, on_refused=lost.append,
                         on_retry=lambda: None, on_spooled=spooled.append, on_full=full.append,
                         on_unspooled=lambda count, reason: lost.append(reason))
    writer.start(store.start_run("baonghean", {}))
    articles = [make_article(n) for n in range(60)]
    for article in articles:
        writer.put(ArticleEvent(article))
    wait_for(lambda: bool(full))
    writer.close()  # a full database is not waited for: what it holds is spooled at once
    assert full == ["database full: (sqlite3.OperationalError) database or disk is full"] and lost == []
    stored = len(store.known_article_urls("baonghean"))
    assert 0 < stored < 60 and sum(spooled) >= 60 - stored
    store.close()

    grow()
    store = ArchiveStore(database_url)
    Spool(tmp_path / "spool", store).replay()  # what the next run does first
    assert set(store.known_article_urls("baonghean")) == {article.url for article in articles}
    store.close()


@pytest.mark.slow  # the writer retries the database for SQL_CLOSE_TIMEOUT at close
def test_a_full_spool_while_the_database_is_down_leaves_the_pages_owed(tmpfs, tmp_path, make_article):
    spool, _ = tmpfs("spool", "4k")  # less than one spooled article
    database_url = f"sqlite:///{tmp_path / 'archive.db'}"
    pipeline = open_pipeline(database_url, tmp_path, SQL_SPOOL_DIR=str(spool), SQL_CLOSE_TIMEOUT=0.3)
    articles = [make_article(n) for n in range(3)]
    pipeline.store.note_listed("baonghean", SITEMAP, "article", [article.url for article in articles])
    sitemap = Capture(url=SITEMAP, status=200, fetched_at=datetime(2025, 9, 19, tzinfo=UTC), etag='"1"')
    pipeline.store.save_batch(captures=[sitemap], run_id=pipeline.run_id)  # stored while the database was there
    pipeline.store.save_batch = failing(-1, pipeline.store.save_batch)  # type: ignore[method-assign]
    for article in articles:
        pipeline.on_capture(Capture(url=article.url, status=200, fetched_at=article.fetched_at, warc=article.warc))
        pipeline.process_item(article)
    close_pipeline(pipeline)  # no exception: one error line, the run an error

    stats = pipeline.crawler.stats
    assert stats.get_value("newsarchive/status") == "error"
    assert stats.get_value("newsarchive/status_detail").startswith("spooling ")
    assert stats.get_value("newsarchive/sql/unspooled") >= 1
    store = ArchiveStore(database_url)
    assert [run.status for run in rows(database_url, CrawlRun)] == ["error"]
    assert store.conditional_headers(SITEMAP) == {}  # the next run reads the sitemap in full, no 304
    owed = store.due_articles("baonghean", after=None, limit=10,
                              rules=DueRules(attempts=3, backoff=0, run_started=datetime.now(UTC)))
    assert set(owed.urls) == {article.url for article in articles}  # and fetches every page that was lost
    store.close()


def test_a_database_gone_before_the_spider_opens_stops_the_crawl_with_one_line(tmp_path, make_article, caplog,
                                                                               monkeypatch):
    database_url = f"sqlite:///{tmp_path / 'archive.db'}"
    crawler = crawler_with_spider({"DATABASE_URL": database_url, "SQL_SPOOL_DIR": str(tmp_path / "spool")})
    pipeline = SqlStorePipeline.from_crawler(crawler)  # the command found the database, then it went away
    pipeline.store.start_run = failing(-1, pipeline.store.start_run)  # type: ignore[method-assign]
    stops: list[str] = []
    monkeypatch.setattr(pipeline, "_stop_from_writer", stops.append)  # the reactor's part: closing the spider
    asyncio.run(pipeline.open_spider())
    assert stops == ["database_unreachable"]
    assert f"cannot reach database {database_url}: " in caplog.text
    assert "server closed the connection unexpectedly; the crawl stops" in caplog.text
    assert "Traceback" not in caplog.text
    pipeline.process_item(make_article(1))  # fetched before the crawl stopped: written once the database answers
    close_pipeline(pipeline)
    assert [row.url for row in rows(database_url, ArticleRow)] == [make_article(1).url]


def test_a_listing_the_database_could_not_record_is_one_line_and_the_run_is_not_finished(tmp_path, caplog):
    database_url = f"sqlite:///{tmp_path / 'archive.db'}"
    crawler = crawler_with_spider({"DATABASE_URL": database_url, "SQL_SPOOL_DIR": str(tmp_path / "spool"),
                                   "AUTOTHROTTLE_ENABLED": False})  # it needs an engine on spider_opened
    pipeline = SqlStorePipeline.from_crawler(crawler)
    frontier = Frontier.from_crawler(crawler)
    asyncio.run(pipeline.open_spider())
    asyncio.run(crawler.signals.send_catch_log_async(signal=scrapy_signals.spider_opened, spider=crawler.spider))
    frontier.store.note_listed = failing(-1, frontier.store.note_listed)  # type: ignore[method-assign]
    asyncio.run(crawler.signals.send_catch_log_async(signal=urls_listed, site="baonghean", source=SITEMAP,
                                                     kind="article", urls=["https://baonghean.vn/a-1.html"]))
    assert "(attempt 5 of 5): (builtins.Exception) server closed the connection" in caplog.text
    assert "Traceback" not in caplog.text
    close_pipeline(pipeline, reason="finished")
    assert crawler.stats.get_value("newsarchive/status_detail") == "1 discovery document listing(s) not recorded"
    assert [run.status for run in rows(database_url, CrawlRun)] == ["error"]  # its sitemaps are read in full again


def test_a_frontier_the_database_does_not_answer_hands_out_nothing_in_one_line_a_time(tmp_path, caplog):
    crawler = crawler_with_spider({"DATABASE_URL": f"sqlite:///{tmp_path / 'archive.db'}"})
    frontier = Frontier.from_crawler(crawler)  # asked directly: the crawler's own frontier would answer signals too
    asyncio.run(frontier.on_spider_opened())
    listed = ["https://baonghean.vn/a-1.html", "https://baonghean.vn/a-2.html"]
    asyncio.run(frontier.on_urls_listed("baonghean", SITEMAP, "article", listed))
    real_due, real_left = frontier.store.due_articles, frontier.store.listed_not_reached
    frontier.store.due_articles = failing(-1, real_due)  # type: ignore[method-assign]
    frontier.store.listed_not_reached = failing(-1, real_left)  # type: ignore[method-assign]
    assert asyncio.run(frontier.on_due_articles_requested("baonghean", count=5)) == []  # none now; nothing lost
    assert asyncio.run(frontier.on_articles_left_requested("baonghean")) is None
    assert "cannot read the frontier (attempt 5 of 5): (builtins.Exception) server closed the connection" in caplog.text
    frontier.store.due_articles = failing(2, real_due)  # type: ignore[method-assign]
    assert asyncio.run(frontier.on_due_articles_requested("baonghean", count=5)) == listed  # back: the same, in order
    frontier.on_spider_closed()


def _writer(store: ArchiveStore, spool: Path, **callbacks: Any) -> BatchWriter:
    quiet = {name: (lambda *args: None) for name in ("on_report", "on_refused", "on_retry", "on_spooled", "on_full",
                                                     "on_unspooled")}
    return BatchWriter(store, Spool(spool, store), batch_size=2, batch_seconds=0.01, close_timeout=0.2,
                       **(quiet | callbacks))


def test_a_long_outage_turns_the_writer_to_the_spool_for_the_rest_of_the_run(tmp_path, make_article):
    store = ArchiveStore(f"sqlite:///{tmp_path / 'archive.db'}")
    saving = store.save_batch
    store.save_batch = failing(-1, saving)  # type: ignore[method-assign]
    spooled: list[int] = []
    writer = _writer(store, tmp_path / "spool", on_spooled=spooled.append)
    writer.start(store.start_run("baonghean", {}))
    for n in range(3):
        writer.put(ArticleEvent(make_article(n)))
    wait_for(lambda: sum(spooled) == 3)  # while the crawl goes on: not held in memory until its end
    store.save_batch = saving  # type: ignore[method-assign]
    for n in range(3, 5):  # the database is back, but the run's records stay in order, in the spool
        writer.put(ArticleEvent(make_article(n)))
    writer.close()
    writer.finish_run(RunFinished({}, "finished"))
    assert sum(spooled) == 6 and store.known_article_urls("baonghean") == {}
    Spool(tmp_path / "spool", store).replay()  # what the next run does first
    assert set(store.known_article_urls("baonghean")) == {make_article(n).url for n in range(5)}
    assert [run.status for run in rows(store.database_url, CrawlRun)] == ["finished"]
    store.close()


def test_a_spool_that_cannot_be_written_is_reported_once_while_the_crawl_goes_on(tmpfs, tmp_path, make_article,
                                                                                caplog):
    spool, _ = tmpfs("spool", "4k")
    store = ArchiveStore(f"sqlite:///{tmp_path / 'archive.db'}")
    store.save_batch = failing(-1, store.save_batch)  # type: ignore[method-assign]
    lost: list[int] = []
    writer = _writer(store, spool, on_unspooled=lambda count, reason: lost.append(count))
    writer.start(store.start_run("baonghean", {}))
    for n in range(6):
        writer.put(ArticleEvent(make_article(n, text=vietnamese_like_text(n, words=2000))))
    wait_for(lambda: sum(lost) >= 4)  # before the end of the run: the caller stops the crawl
    writer.close()
    assert writer.unspooled.startswith("spooling 2 record(s) failed: [Errno 28] No space left on device")
    assert caplog.text.count("their pages have no row and are fetched again by the next run") == 1
    store.close()


@pytest.mark.integration
@pytest.mark.parametrize("spool_on_it", [False, True], ids=["database", "database-and-spool"])
def test_a_full_database_folder_stops_the_crawl_with_one_line_and_the_next_run_stores_the_rest(
    tmpfs, tmp_path, newsroom_crawl, spool_on_it
):
    folder, grow = tmpfs("db", "300k")  # the schema and a few batches of the 30-article newsroom
    database_url = f"sqlite:///{folder / 'archive.db'}"
    spool = folder / "spool" if spool_on_it else tmp_path / "spool"
    expected = {article.url.split("/", 3)[3] for article in newsroom_crawl.store.iter_articles()}
    site = Newsroom(articles=30, seed=7)
    with serve(site) as base_url:
        arguments = ["crawl", "--sitemap", f"{base_url}/sitemap.xml", "--db", database_url, "--warc-dir",
                     str(tmp_path / "warc"), "--allow-private", *CRAWL_SETTINGS, "-s", f"SQL_SPOOL_DIR={spool}"]
        full = subprocess.run([sys.executable, "-m", "crawler.cli", *arguments], cwd=tmp_path, capture_output=True,
                              text=True, timeout=300, env={**os.environ, "PYTHONPATH": str(ROOT)})
        assert full.returncode == 1 and "Traceback" not in full.stderr, full.stderr
        assert "database full: (sqlite3.OperationalError) database or disk is full" in full.stderr
        assert "close reason database_full" in full.stderr
        if spool_on_it:
            assert "No space left on device; their pages have no row and are fetched again" in full.stderr
        spooled = {urlsplit(entry["data"]["url"]).path for path in spool.glob("*.jsonl")
                   for entry in map(json.loads, path.read_text(encoding="utf-8").splitlines()[:-1])
                   if entry["kind"] == "article"}  # a last line may be cut by the full disk
        assert spooled or spool_on_it
        grow()
        site.reset_requests()
        run_newsarchive(*arguments, cwd=tmp_path)
        fetched = site.request_counts("article")
    store = ArchiveStore(database_url)
    with Session(store.engine) as session:  # a URL the full run could not record as listed may redirect to one
        redirected_to = {urlsplit(reason).path for reason in session.scalars(select(CaptureRow.reason).where(
            CaptureRow.outcome == Outcome.REDIRECT, CaptureRow.run_id == select(func.max(CrawlRun.id)).scalar_subquery()
        ))}  # fmt: skip
    # replayed before the crawl asked for anything: fetched again only at the end of a redirect
    assert not {path for path in spooled - redirected_to if fetched[path]}
    articles = list(store.iter_articles())
    store.close()
    assert {article.url.split("/", 3)[3] for article in articles} == expected
    assert all((tmp_path / "warc" / article.warc.file).is_file() for article in articles)
