"""Finishing an article, the dedup and SQL pipelines, driven the way Scrapy drives them (signals, open/close, items)."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any, ClassVar
from zoneinfo import ZoneInfo

import pytest
from conftest import postgres_url
from scrapy import Spider
from scrapy import signals as scrapy_signals
from scrapy.utils.test import get_crawler
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from archive.diskmap import FirstSeen
from archive.models import ArticleRow, CaptureRow, CrawlRun
from archive.records import Article, Capture
from archive.spool import replay_spool, spool_entry
from archive.store import ArchiveStore
from archive.text import content_hash
from archive.writer import ArticleEvent, OutcomeEvent
from crawler.dates import normalize_timestamps
from crawler.finish import finish_article
from crawler.settings import ADDONS
from crawler.signals import capture_recorded, page_outcome
from crawler.sites import SiteProfile, load_profile
from pipelines.dedup import DedupPipeline
from pipelines.sql import SqlStorePipeline

ICT = timezone(timedelta(hours=7))


class ProfiledSpider(Spider):
    name = "news"
    profile = load_profile("baonghean")
    crawl_arguments: ClassVar[dict[str, str]] = {"site": "baonghean"}


def crawler_with_spider(settings: dict[str, Any] | None = None) -> Any:
    # The pipeline alone: no run judge (crawler.runhealth, tested in test_operations), so a run's status is its
    # close reason's
    crawler = get_crawler(ProfiledSpider, {"ADDONS": ADDONS, "EXTENSIONS": {"crawler.runhealth.RunHealth": None}}
                          | (settings or {}))
    crawler.spider = ProfiledSpider.from_crawler(crawler)
    return crawler


# --- timestamps ---------------------------------------------------------------------------------------------------
def test_fetched_at_is_utc_and_set_when_missing() -> None:
    now = datetime(2025, 9, 19, 8, 0, tzinfo=ICT)
    article = normalize_timestamps(Article(url="https://x.vn/a"), ZoneInfo("Asia/Ho_Chi_Minh"), now=now)
    assert article.fetched_at == now
    assert article.fetched_at.tzinfo == UTC
    warc_dated = normalize_timestamps(
        Article(url="https://x.vn/a", fetched_at=datetime(2025, 9, 19, 8, 0, tzinfo=ICT)), ZoneInfo("UTC")
    )
    assert warc_dated.fetched_at == datetime(2025, 9, 19, 1, 0, tzinfo=UTC)
    assert warc_dated.fetched_at.tzinfo == UTC


def test_naive_dates_are_read_in_the_site_zone_and_aware_ones_keep_their_offset() -> None:
    article = Article(
        url="https://x.vn/a",
        published_at=datetime(2025, 9, 18, 8, 0),
        modified_at=datetime(2025, 9, 18, 9, 0, tzinfo=ZoneInfo("Europe/Paris")),
    )
    normalize_timestamps(article, ZoneInfo("Asia/Ho_Chi_Minh"))
    assert article.published_at == datetime(2025, 9, 18, 8, 0, tzinfo=ICT)
    assert article.published_at.utcoffset() == timedelta(hours=7)
    assert article.modified_at.tzinfo == timezone(timedelta(hours=2))
    assert article.modified_at == datetime(2025, 9, 18, 7, 0, tzinfo=UTC)


def test_finishing_reads_naive_dates_in_the_profile_zone_or_the_one_the_page_suggests() -> None:
    fetched = datetime(2025, 9, 19, 1, 0, tzinfo=ICT)
    profiled = finish_article(Article(url="https://x.vn/a", published_at=datetime(2025, 9, 18, 8, 0)),
                              ProfiledSpider.profile, fetched_at=fetched, warc=None)
    assert profiled.published_at.utcoffset() == timedelta(hours=7)
    assert profiled.fetched_at == fetched and profiled.fetched_at.tzinfo == UTC
    assert profiled.site == "baonghean"
    assert profiled.content_hash == content_hash("")
    ad_hoc = SiteProfile(name="example.de", timezone="")
    german = finish_article(Article(url="https://example.de/a", published_at=datetime(2025, 1, 18, 8, 0)),
                            ad_hoc, fetched_at=fetched, warc=None)
    assert german.published_at.utcoffset() == timedelta(hours=1)  # Europe/Berlin in January


def test_finishing_sets_the_archive_key_and_refuses_a_url_that_cannot_be_one() -> None:
    profile = ProfiledSpider.profile
    fetched = datetime(2025, 9, 19, 1, 0, tzinfo=UTC)
    amp = Article(url="https://BAONGHEAN.vn/amp/bai-10300001.html?utm_source=zalo", canonical_url="/bai-10300001.html")
    item = finish_article(amp, profile, fetched_at=fetched, warc=None)
    assert item.canonical_url == "https://baonghean.vn/bai-10300001.html"
    url = "https://baonghean.vn/bai-10300002.html"
    foreign = finish_article(Article(url=url, canonical_url="https://aggregator.com/bai-10300002.html"),
                             profile, fetched_at=fetched, warc=None)
    assert foreign.canonical_url == url
    # a canonical link to the home page or a section is a CMS mistake, not the article's URL
    for declared in ("/", "https://baonghean.vn", "/thoi-su/", "/tag/nghe-an-10300009.html"):
        mistaken = finish_article(Article(url=url, canonical_url=declared), profile, fetched_at=fetched, warc=None)
        assert mistaken.canonical_url == url
    with pytest.raises(ValueError):
        finish_article(Article(url="https://[::1"), profile, fetched_at=fetched, warc=None)


# --- dedup --------------------------------------------------------------------------------------------------------
class OutcomeRecorder:
    def __init__(self, crawler: Any) -> None:
        self.outcomes: list[tuple[str, str, str]] = []
        crawler.signals.connect(self.receive, signal=page_outcome)

    def receive(self, url: str, outcome: str, reason: str) -> None:
        self.outcomes.append((url, outcome, reason))


def article(url: str, text: str = "Đoạn một.\n\nĐoạn hai.", **values: Any) -> Article:
    """An article as the spider hands it to the pipelines: finished."""
    extracted = Article(url=url, text=text, **values)
    return finish_article(extracted, ProfiledSpider.profile, fetched_at=datetime(2025, 9, 19, tzinfo=UTC), warc=None)


def test_second_url_of_an_article_in_one_crawl_goes_on_marked_as_duplicate() -> None:
    crawler = crawler_with_spider()
    recorder = OutcomeRecorder(crawler)
    pipeline = DedupPipeline.from_crawler(crawler)
    first = "https://baonghean.vn/bai-10300001.html"
    pipeline.process_item(article(first))
    second = pipeline.process_item(article("https://baonghean.vn/amp/bai-10300001.html", canonical_url=first))
    assert second.canonical_url == first  # the store makes it the same row
    assert recorder.outcomes == [
        ("https://baonghean.vn/amp/bai-10300001.html", "duplicate", f"same article as {first} (canonical URL {first})")
    ]
    assert crawler.stats.get_value("newsarchive/duplicates/url_in_run") == 1
    # another text declaring the same canonical URL is not marked: the store judges whether it is the same story
    pipeline.process_item(article("https://baonghean.vn/bai-10300003.html", text="Một bài khác.", canonical_url=first))
    assert len(recorder.outcomes) == 1


def test_same_text_under_another_url_in_one_crawl_is_marked() -> None:
    crawler = crawler_with_spider()
    pipeline = DedupPipeline.from_crawler(crawler)
    first = pipeline.process_item(article("https://baonghean.vn/bai-1.html", text="Cùng một bài.",
                                          published_at=datetime(2025, 9, 18, tzinfo=ICT)))
    copy = pipeline.process_item(article("https://baonghean.vn/ban-sao-2.html", text="Cùng  một bài.\u200b"))
    assert first.duplicate_of is None
    assert (copy.duplicate_of, copy.similarity) == ("https://baonghean.vn/bai-1.html", 1.0)
    assert crawler.stats.get_value("newsarchive/duplicates/exact_in_run") == 1
    # a copy crawled later but published earlier is the original (the store then points the first one at it)
    earlier = pipeline.process_item(article("https://baonghean.vn/goc-3.html", text="Cùng một bài.",
                                            published_at=datetime(2025, 9, 1, tzinfo=ICT)))
    assert earlier.duplicate_of is None


def test_what_the_run_saw_is_kept_on_disk_past_a_small_cache() -> None:
    crawler = crawler_with_spider()
    recorder = OutcomeRecorder(crawler)
    pipeline = DedupPipeline.from_crawler(crawler)
    pipeline.seen = FirstSeen(cache_size=1)  # every answer but the last comes from the disk
    published = datetime(2025, 9, 18, tzinfo=ICT)
    for n in range(20):
        url = f"https://baonghean.vn/bai-{10300100 + n}.html"
        pipeline.process_item(article(url, text=f"Bài {n}.", published_at=published))
    amp = "https://baonghean.vn/amp/bai-10300103.html"
    pipeline.process_item(article(amp, text="Bài 3.", canonical_url="https://baonghean.vn/bai-10300103.html"))
    copy = pipeline.process_item(article("https://baonghean.vn/ban-sao-5.html", text="Bài 5."))
    earlier = pipeline.process_item(article("https://baonghean.vn/goc-7.html", text="Bài 7.",
                                            published_at=published - timedelta(days=1)))
    assert [(url, outcome) for url, outcome, _ in recorder.outcomes] == [(amp, "duplicate")]
    assert (copy.duplicate_of, earlier.duplicate_of) == ("https://baonghean.vn/bai-10300105.html", None)
    pipeline.close_spider()


# --- the SQL pipeline -----------------------------------------------------------------------------------------------
def open_pipeline(database_url: str, tmp_path: Path, **settings: Any) -> SqlStorePipeline:
    crawler = crawler_with_spider({
        "DATABASE_URL": database_url,
        "SQL_BATCH_SIZE": 100,
        "SQL_BATCH_SECONDS": 60,
        "SQL_SPOOL_DIR": str(tmp_path / "spool"),
        "SQL_CLOSE_TIMEOUT": 5,
        **settings,
    })
    pipeline = SqlStorePipeline.from_crawler(crawler)
    asyncio.run(pipeline.open_spider())
    asyncio.run(crawler.signals.send_catch_log_async(signal=scrapy_signals.spider_opened, spider=crawler.spider))
    return pipeline


def close_pipeline(pipeline: SqlStorePipeline, reason: str = "finished") -> None:
    crawler = pipeline.crawler
    asyncio.run(pipeline.close_spider())
    asyncio.run(crawler.signals.send_catch_log_async(
        signal=scrapy_signals.spider_closed, spider=crawler.spider, reason=reason
    ))


def rows(database_url: str, model: type) -> list[Any]:
    store = ArchiveStore(database_url)
    with store.engine.connect() as connection:
        result = connection.execute(select(model)).all()
    store.close()
    return result


def wait_for(condition: Callable[[], bool], limit: float = 30.0) -> None:
    deadline = time.monotonic() + limit
    while not condition():
        assert time.monotonic() < deadline, "condition not met"
        time.sleep(0.05)


def test_a_crawl_is_stored_at_close(database_url: str, tmp_path: Path, make_article) -> None:
    pipeline = open_pipeline(database_url, tmp_path)
    signals = pipeline.crawler.signals
    assert pipeline.store.known_article_urls("baonghean") == {}
    items = [make_article(n) for n in range(5)]
    for item in items:
        signals.send_catch_log(signal=capture_recorded, capture=Capture(
            url=item.url, status=200, fetched_at=item.fetched_at, warc=item.warc, etag=f'"{item.title}"'))
        signals.send_catch_log(signal=page_outcome, url=item.url, outcome="article", reason="")
        assert pipeline.process_item(item) is item
    signals.send_catch_log(signal=page_outcome, url="https://baonghean.vn/gone", outcome="failed", reason="HTTP 404")
    pipeline.crawler.stats.set_value("item_scraped_count", 5)
    close_pipeline(pipeline, reason="shutdown")

    assert len(rows(database_url, ArticleRow)) == 5
    captures = rows(database_url, CaptureRow)
    assert sorted(c.outcome for c in captures) == ["article"] * 5 + ["failed"]
    [run] = rows(database_url, CrawlRun)
    assert (run.site, run.arguments, run.status) == ("baonghean", {"site": "baonghean"}, "interrupted")
    assert run.stats["item_scraped_count"] == 5
    assert run.stats["newsarchive/sql/articles_new"] == 5
    assert run.finished_at is not None

    # the next crawl of the site knows them all
    pipeline = open_pipeline(database_url, tmp_path)
    assert set(pipeline.store.known_article_urls("baonghean")) == {item.canonical_url for item in items}
    # a run that was shut down may not have followed everything: its validators are not reused
    assert pipeline.store.conditional_headers(items[0].url) == {}
    close_pipeline(pipeline)


def test_writes_happen_in_one_background_thread_in_batches(tmp_path: Path, make_article) -> None:
    database_url = f"sqlite:///{tmp_path / 'archive.db'}"
    pipeline = open_pipeline(database_url, tmp_path, SQL_BATCH_SIZE=3, SQL_BATCH_SECONDS=0.05)
    calls: list[tuple[str, int]] = []
    save_batch = pipeline.store.save_batch

    def recording_save_batch(**events: Any) -> Any:
        calls.append((threading.current_thread().name, sum(len(v) for k, v in events.items() if k != "run_id")))
        return save_batch(**events)

    pipeline.store.save_batch = recording_save_batch  # type: ignore[method-assign]
    for n in range(7):
        pipeline.process_item(make_article(n))
    # committed while the crawl goes on, not only at close
    wait_for(lambda: len(pipeline.store.known_article_urls("baonghean")) == 7)
    close_pipeline(pipeline)
    assert {name for name, _ in calls} == {"newsarchive-sql-writer"}
    assert max(size for _, size in calls) <= 3


def failing(times: int, real: Callable[..., Any]) -> Callable[..., Any]:
    """`real`, except that its first `times` calls fail as a lost connection does."""
    state = {"left": times}

    def call(*args: Any, **kwargs: Any) -> Any:
        if state["left"] != 0:
            state["left"] -= 1
            raise OperationalError("INSERT", {}, Exception("server closed the connection unexpectedly"))
        return real(*args, **kwargs)

    return call


@pytest.mark.slow  # the writer's retries back off for about two seconds
def test_database_gone_for_a_while_loses_nothing(database_url: str, tmp_path: Path, make_article) -> None:
    pipeline = open_pipeline(database_url, tmp_path, SQL_BATCH_SECONDS=0.05)
    pipeline.store.save_batch = failing(3, pipeline.store.save_batch)  # type: ignore[method-assign]
    for n in range(4):
        pipeline.process_item(make_article(n))
    wait_for(lambda: pipeline.crawler.stats.get_value("newsarchive/sql/write_retries", 0) >= 3)
    for n in range(4, 8):
        pipeline.process_item(make_article(n))
    close_pipeline(pipeline)
    assert len(rows(database_url, ArticleRow)) == 8


def test_database_still_gone_at_close_spools_and_the_next_crawl_replays(
    database_url: str, tmp_path: Path, make_article
) -> None:
    pipeline = open_pipeline(database_url, tmp_path, SQL_CLOSE_TIMEOUT=0.3)
    pipeline.store.save_batch = failing(-1, pipeline.store.save_batch)  # type: ignore[method-assign]
    pipeline.store.finish_run = failing(-1, pipeline.store.finish_run)  # type: ignore[method-assign]
    pipeline.on_capture(Capture(url=make_article(0).url, status=200, fetched_at=datetime(2025, 9, 19, tzinfo=UTC)))
    for n in range(3):
        pipeline.process_item(make_article(n))
    pipeline.on_outcome(make_article(0).url, "article", "")
    close_pipeline(pipeline)
    [spool] = (tmp_path / "spool").iterdir()
    assert len(spool.read_text(encoding="utf-8").splitlines()) == 6  # capture, 3 articles, outcome, finish
    assert rows(database_url, ArticleRow) == []

    replaying = open_pipeline(database_url, tmp_path)
    # replayed when the pipeline opens, before the crawl's first request or question to the archive
    assert len(rows(database_url, ArticleRow)) == 3
    close_pipeline(replaying)
    stored = ArchiveStore(database_url)
    assert [a.to_record() for a in stored.iter_articles()] == [make_article(n).to_record() for n in range(3)]
    stored.close()
    assert [c.outcome for c in rows(database_url, CaptureRow)] == ["article"]
    assert sorted(r.status for r in rows(database_url, CrawlRun)) == ["finished", "finished"]
    assert list((tmp_path / "spool").iterdir()) == []


def test_a_record_the_database_refuses_costs_that_record_only(database_url: str, tmp_path: Path, make_article) -> None:
    pipeline = open_pipeline(database_url, tmp_path)
    bad = make_article(1)
    bad.warc = replace(bad.warc, offset=2**70)  # no integer column holds that
    pipeline.on_capture(Capture(url=bad.url, status=200, fetched_at=datetime(2025, 9, 19, tzinfo=UTC)))
    for item in (make_article(0), bad, make_article(2)):
        pipeline.process_item(item)
    close_pipeline(pipeline)
    assert sorted(r.title for r in rows(database_url, ArticleRow)) == [make_article(0).title, make_article(2).title]
    [capture] = rows(database_url, CaptureRow)
    assert capture.outcome == "failed"
    assert capture.reason.startswith("not stored: ")
    assert pipeline.crawler.stats.get_value("newsarchive/sql/article_refused") == 1


def test_unreachable_database_fails_at_start_with_one_line() -> None:
    crawler = crawler_with_spider({"DATABASE_URL": "postgresql+psycopg://postgres@127.0.0.1:1/nowhere"})
    with pytest.raises(Exception, match=r"^cannot reach database postgresql\+psycopg://postgres@127.0.0.1:1/nowhere"):
        SqlStorePipeline.from_crawler(crawler)


def test_close_commits_what_is_still_queued(tmp_path: Path, make_article) -> None:
    database_url = f"sqlite:///{tmp_path / 'archive.db'}"
    pipeline = open_pipeline(database_url, tmp_path)  # SQL_BATCH_SECONDS=60: nothing is committed before close
    pipeline.process_item(make_article(1))
    store = ArchiveStore(database_url)
    with store.engine.connect() as connection:
        assert connection.execute(select(func.count()).select_from(ArticleRow)).scalar_one() == 0
    close_pipeline(pipeline)
    with store.engine.connect() as connection:
        assert connection.execute(select(func.count()).select_from(ArticleRow)).scalar_one() == 1
    store.close()


# --- a real Scrapy crawl, stopped by a signal -------------------------------------------------------------------------
CRAWL_SCRIPT = '''
import asyncio, sys
from datetime import datetime
from scrapy import Spider
from scrapy.crawler import CrawlerProcess
from datetime import UTC
from archive.records import Article
from crawler.finish import finish_article
from crawler.signals import due_articles_requested
from crawler.sites import SiteProfile

PROFILE = SiteProfile(name="endless", timezone="Asia/Ho_Chi_Minh")

class Endless(Spider):
    name = "endless"
    crawl_arguments = {"articles": 5}

    async def start(self):
        answers = await self.crawler.signals.send_catch_log_async(signal=due_articles_requested, site="endless",
                                                                  count=10)
        print("due", sum(len(due) for _, due in answers), flush=True)
        for n in range(5):
            extracted = Article(url=f"https://endless.vn/bai-{n}.html?utm_source=x", title=str(n),
                                text=f"Bài số {n}.", published_at=datetime(2025, 9, 18, 8, n))
            yield finish_article(extracted, PROFILE, fetched_at=datetime.now(UTC), warc=None)
        await asyncio.sleep(0.5)
        print("ready", flush=True)
        await asyncio.sleep(3600)  # a crawl that would go on: only a signal stops it

process = CrawlerProcess({
    "DATABASE_URL": sys.argv[1],
    "SQL_BATCH_SECONDS": 3600,  # nothing is committed before the spider closes
    "SQL_SPOOL_DIR": sys.argv[2],
    "ADDONS": {"crawler.addon.Newsarchive": 0},
    "WARC_ENABLED": False,  # no WARC folder: nothing is fetched
    "TWISTED_REACTOR": "twisted.internet.asyncioreactor.AsyncioSelectorReactor",
    "LOG_LEVEL": "INFO",
})
process.crawl(Endless)
process.start()
'''


@pytest.mark.integration
@pytest.mark.parametrize(
    ("database_url", "stop_signal"),
    # one real crawl per database
    [("sqlite", signal.SIGINT), pytest.param("postgresql", signal.SIGTERM, marks=pytest.mark.services)],
    indirect=["database_url"],
    ids=["sqlite-SIGINT", "postgresql-SIGTERM"],
)
def test_a_crawl_stopped_by_a_signal_commits_what_was_extracted(
    database_url: str, tmp_path: Path, make_article, stop_signal: signal.Signals
) -> None:
    store = ArchiveStore(database_url)
    store.save_articles([make_article(99, site="endless")])  # archived by an earlier crawl
    store.note_listed("endless", "https://endless.vn/sitemap.xml", "article", ["https://endless.vn/owed.html"])
    script = tmp_path / "crawl.py"
    script.write_text(CRAWL_SCRIPT, encoding="utf-8")
    environment = os.environ | {"PYTHONPATH": str(Path(__file__).resolve().parent.parent)}
    crawl = subprocess.Popen(
        [sys.executable, str(script), database_url, str(tmp_path / "spool")],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=environment, cwd=tmp_path,
    )
    assert crawl.stdout is not None
    assert crawl.stdout.readline().split() == ["due", "1"]  # the frontier answered the spider's question
    assert crawl.stdout.readline().strip() == "ready"
    crawl.send_signal(stop_signal)
    _, log = crawl.communicate(timeout=120)
    assert crawl.returncode == 0, log
    articles = list(store.iter_articles(site="endless"))
    assert [a.canonical_url for a in articles[1:]] == [f"https://endless.vn/bai-{n}.html" for n in range(5)]
    assert articles[1].published_at.utcoffset() == timedelta(hours=7)
    with store.engine.connect() as connection:
        runs = connection.execute(select(CrawlRun.status, CrawlRun.arguments)).all()
    assert [tuple(run) for run in runs] == [("interrupted", {"articles": 5})]
    store.close()


@pytest.mark.services
def test_postgresql_connections_killed_mid_crawl_lose_nothing(
    postgres_database_url: str, tmp_path: Path, make_article
) -> None:
    name = f"newsarchive-test-{uuid.uuid4().hex[:12]}"
    database_url = make_url(postgres_database_url).update_query_dict({"application_name": name}).render_as_string(False)
    pipeline = open_pipeline(database_url, tmp_path, SQL_BATCH_SECONDS=0.05)
    for n in range(3):
        pipeline.process_item(make_article(n))
    wait_for(lambda: len(pipeline.store.known_article_urls("baonghean")) == 3)
    # what a server restart does to the crawl's open connections (only this test's, by application name)
    killer = create_engine(postgres_url())
    with killer.begin() as connection:
        killed = connection.execute(
            text("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = :name"),
            {"name": name},
        ).scalar_one()
    killer.dispose()
    assert killed >= 1
    for n in range(3, 6):
        pipeline.process_item(make_article(n))
    close_pipeline(pipeline)
    assert len(rows(database_url, ArticleRow)) == 6


def test_a_spool_of_a_crawl_run_the_database_no_longer_has_is_replayed(
    database_url: str, tmp_path: Path, make_article
) -> None:
    store = ArchiveStore(database_url)
    spool = tmp_path / "spool.jsonl"
    article_url = make_article(1).url
    lines = [spool_entry(ArticleEvent(make_article(1)), 4242), spool_entry(OutcomeEvent(article_url, "article"), 4242)]
    spool.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    replay_spool(store, spool)
    assert [a.url for a in store.iter_articles()] == [make_article(1).url]
    assert [(c.outcome, c.run_id) for c in rows(database_url, CaptureRow)] == [("article", None)]
    store.close()


def test_a_spool_line_cut_by_a_killed_crawl_is_skipped_and_kept(
    database_url: str, tmp_path: Path, make_article, caplog: pytest.LogCaptureFixture
) -> None:
    store = ArchiveStore(database_url)
    spool = tmp_path / "spool.jsonl"
    whole = [json.dumps(spool_entry(ArticleEvent(make_article(n)), None)) for n in (1, 2)]
    cut = json.dumps(spool_entry(ArticleEvent(make_article(3)), None))[:57]
    spool.write_text(f"{whole[0]}\n{cut}\n{whole[1]}\n", encoding="utf-8")
    replay_spool(store, spool)
    assert sorted(a.url for a in store.iter_articles()) == sorted(make_article(n).url for n in (1, 2))
    store.close()
    assert (tmp_path / "spool.jsonl.rejected").read_text(encoding="utf-8") == cut + "\n"
    assert "spool.jsonl line 2 cannot be read" in caplog.text
