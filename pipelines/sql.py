"""Item pipeline: stores articles, captures and page outcomes in the SQL archive (switch: `SQL_ENABLED`).

A thin adapter between Scrapy and the batch writer (`archive.writer`, one thread, batches of `SQL_BATCH_SIZE`
committed at least every `SQL_BATCH_SECONDS` and at close): articles come as items, captures from the
`capture_recorded` signal of the WARC recorder, outcomes from the spider's `page_outcome` signal. The crawl run
is recorded when the spider opens and finished, with the crawl stats and status (`crawler.runhealth`), when it
closes (Scrapy closes the spider gracefully on SIGINT/SIGTERM, and `close_spider` waits for the writer to commit
what is queued). A database unreachable for `SQL_CLOSE_TIMEOUT` seconds, during the crawl or after the spider
closed, leaves what the crawl produces in `SQL_SPOOL_DIR` (`archive.spool`), replayed by the next crawl on the same
database when it opens, before the spider's first request and its first question to the archive (so spooled
articles are not fetched again). A full database stops the crawl (close reason `database_full`, one error line;
what the writer holds is spooled), and so does a spool that cannot be written (`spool_write_failed`) or a database
gone between the command's check and the spider's opening (`database_unreachable`); records that
could be neither stored nor spooled, or a listing `crawler.archivequeries` could not record, make the run an
`error` (never `finished`: the next run reads its discovery documents in full and fetches those pages again). The
crawl's `WARC_DIR` is remembered by the store when the spider opens (table `warc_folders`), so the archive knows
where its records are. The writer's counts become the crawl stats `newsarchive/sql/*`. The spider's questions to
the archive are answered by `crawler.archivequeries.ArchiveQueries`.
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import Any

from scrapy import signals as scrapy_signals
from scrapy.exceptions import NotConfigured
from scrapy.utils.defer import deferred_from_coro

from archive.db import first_line, safe_url
from archive.records import Article, Capture
from archive.runstatus import RunStatus, status_of_close_reason
from archive.spool import Spool
from archive.store import ArchiveStore, SaveReport
from archive.writer import ArticleEvent, BatchWriter, CaptureEvent, OutcomeEvent, RunFinished, is_transient
from crawler.archivequeries import UNRECORDED_LISTINGS_STAT
from crawler.runhealth import DETAIL_STAT, STATUS_STAT
from crawler.signals import capture_recorded, page_outcome

logger = logging.getLogger(__name__)


class SqlStorePipeline:
    def __init__(
        self,
        crawler: Any,
        store: ArchiveStore,
        *,
        batch_size: int,
        batch_seconds: float,
        spool_dir: Path,
        close_timeout: float,
        warc_dir: str | None = None,
    ) -> None:
        self.crawler = crawler
        self.store = store
        self.warc_dir = warc_dir
        self.run_id: int | None = None
        self.writer = BatchWriter(
            store,
            Spool(spool_dir, store),
            batch_size=batch_size,
            batch_seconds=batch_seconds,
            close_timeout=close_timeout,
            on_report=self._count,
            on_refused=lambda kind: self._inc(f"{kind}_refused"),
            on_retry=lambda: self._inc("write_retries"),
            on_spooled=lambda count: self._inc("spooled", count),
            on_full=lambda reason: self._stop_from_writer("database_full"),
            on_unspooled=self._unspooled,
        )
        self.closing = False

    @classmethod
    def from_crawler(cls, crawler: Any) -> SqlStorePipeline:
        settings = crawler.settings
        if not settings.getbool("SQL_ENABLED"):
            raise NotConfigured
        pipeline = cls(
            crawler,
            ArchiveStore(settings["DATABASE_URL"]),
            batch_size=settings.getint("SQL_BATCH_SIZE"),
            batch_seconds=settings.getfloat("SQL_BATCH_SECONDS"),
            spool_dir=Path(settings["SQL_SPOOL_DIR"]),
            close_timeout=settings.getfloat("SQL_CLOSE_TIMEOUT"),
            warc_dir=settings["WARC_DIR"] if settings.getbool("WARC_ENABLED") else None,
        )
        crawler.signals.connect(pipeline.on_capture, signal=capture_recorded)
        crawler.signals.connect(pipeline.on_outcome, signal=page_outcome)
        crawler.signals.connect(pipeline.on_spider_closed, signal=scrapy_signals.spider_closed)
        return pipeline

    # --- Scrapy ---------------------------------------------------------------------------------------------------
    async def open_spider(self) -> None:
        spider = self.crawler.spider
        site = getattr(getattr(spider, "profile", None), "name", None) or spider.name
        arguments = dict(getattr(spider, "crawl_arguments", None) or {})
        try:
            await asyncio.to_thread(self.writer.replay_spool)
            self.run_id = await asyncio.to_thread(self.store.start_run, site, arguments)
            if self.warc_dir is not None:  # so that export and show find the records with the database alone
                await asyncio.to_thread(self.store.remember_warc_folders, [self.warc_dir])
        except Exception as exc:  # gone since the command checked it: the crawl stops before it fetches much
            if not is_transient(exc):
                raise
            logger.error("cannot reach database %s: %s; the crawl stops", safe_url(self.store.database_url),
                         first_line(exc))
            self._stop_from_writer("database_unreachable")
        self.writer.start(self.run_id)  # what the crawl fetched meanwhile is written or spooled, as in any outage

    def process_item(self, item: Any) -> Any:
        if isinstance(item, Article):
            self.writer.put(ArticleEvent(item))
        return item

    async def close_spider(self) -> None:
        self.closing = True
        await asyncio.to_thread(self.writer.close)

    def on_capture(self, capture: Capture) -> None:
        self.writer.put(CaptureEvent(capture))

    def on_outcome(self, url: str, outcome: str, reason: str = "") -> None:
        self.writer.put(OutcomeEvent(url, outcome, reason))

    async def on_spider_closed(self, spider: Any, reason: str) -> None:
        if self.run_id is not None:
            stats = self.crawler.stats
            unrecorded = stats.get_value(UNRECORDED_LISTINGS_STAT)
            lost = self.writer.unspooled or (unrecorded and f"{unrecorded} discovery document listing(s) not recorded")
            status = stats.get_value(STATUS_STAT) or status_of_close_reason(reason)
            if lost and status == RunStatus.FINISHED:  # it was not: its discovery documents are read in full next time
                status = RunStatus.ERROR
                stats.set_value(STATUS_STAT, status)
                stats.set_value(DETAIL_STAT, lost)
            await asyncio.to_thread(self._finish, RunFinished(dict(stats.get_stats()), status))

    def _stop_from_writer(self, reason: str) -> None:
        """From the writer's thread (or any): the crawl stops, unless it is stopping already."""
        if not self.closing:
            from twisted.internet import reactor  # the installed one: imported once the crawl runs

            reactor.callFromThread(self._stop, reason)

    def _stop(self, reason: str) -> None:
        if not self.closing:  # checked again on the reactor's thread, where close_spider sets it
            deferred_from_coro(self.crawler.engine.close_spider_async(reason=reason))

    def _unspooled(self, count: int, reason: str) -> None:
        self._inc("unspooled", count)
        self._stop_from_writer("spool_write_failed")

    def _finish(self, finished: RunFinished) -> None:
        try:
            self.writer.finish_run(finished)
        finally:
            self.store.close()

    # --- stats ------------------------------------------------------------------------------------------------------
    def _count(self, report: SaveReport) -> None:
        for name, urls in (("new", report.new), ("changed", report.changed), ("unchanged", report.unchanged)):
            if urls:
                self._inc(f"articles_{name}", len(urls))
        for kind, _, _ in report.duplicates.values():
            self._inc(f"duplicates_{kind}")
        for url, reason in report.refused:
            logger.warning("article %s not stored: %s", url, reason)
            self._inc("articles_refused")

    def _inc(self, name: str, count: int = 1) -> None:
        self.crawler.stats.inc_value(f"newsarchive/sql/{name}", count)
