"""The crawl's frontier (extension, always on): what discovery lists waits on disk, and the spider takes article
URLs from it a few at a time, so memory stays bounded whatever a site lists.

Discovery records every URL a document lists (`urls_listed`) in the `discovered` table; the spider asks for due
article URLs (`due_articles_requested(site, count, since, refresh)`, answered with a list of at most `count`
URLs) only when the crawl runs low (`FRONTIER_LOW_WATER`, `FRONTIER_BATCH`). The answer comes from
`ArchiveStore.due_articles`: listed URLs in listing order from where the last answer stopped, judged against the
archive (held and unchanged, settled, failed and waiting for their back-off: `REFETCH_ATTEMPTS`,
`REFETCH_BACKOFF`), so the known-URL check is a few SQL lookups per batch and what earlier runs left owed comes
first. `articles_left_requested(site)` is answered with the number of listed URLs the archive lacks that the run
did not reach (`--max-articles`).

With `SQL_ENABLED` the table is the archive's (`DATABASE_URL`): what a run lists and does not fetch stays owed to
the next. Without it, a SQLite database of the run's own, removed when the spider closes, holds it. All the
frontier's database work runs in one thread, in order: a URL listed after a read lies after that read's position.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import shutil
import tempfile
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

from scrapy import signals as scrapy_signals

from archive.db import first_line
from archive.store import ArchiveStore, DueRules, FrontierPosition, Verdict
from archive.writer import is_transient
from crawler.archivequeries import UNRECORDED_LISTINGS_STAT, open_then_answer
from crawler.signals import articles_left_requested, due_articles_requested, urls_listed

T = TypeVar("T")
logger = logging.getLogger(__name__)

LISTING_ATTEMPTS = 5  # attempts to record a listing while the database does not answer
LISTING_RETRY = 2.0  # seconds between them

# Stats of the judged listed URLs (the frontier's `Verdict`s) that a run reports.
VERDICT_STATS = {
    Verdict.LATER: "newsarchive/owed/later",
    Verdict.GIVEN_UP: "newsarchive/owed/given_up",
    Verdict.ARCHIVED: "newsarchive/skipped_already_archived",
    Verdict.OLDER: "newsarchive/skipped_older_than_since",
}


class Unanswered(Exception):
    """The database did not answer the frontier, however often it was asked."""


class Frontier:
    def __init__(self, crawler: Any, database_url: str | None) -> None:
        self.crawler = crawler
        self.database_url = database_url  # None: a database of the run's own
        self.store: ArchiveStore | None = None
        self.after: FrontierPosition | None = None  # where the next answer starts
        self.run_started = datetime.now(UTC)
        self._thread: ThreadPoolExecutor | None = None
        self._scratch: Path | None = None

    @classmethod
    def from_crawler(cls, crawler: Any) -> Frontier:
        settings = crawler.settings
        frontier = cls(crawler, settings["DATABASE_URL"] if settings.getbool("SQL_ENABLED") else None)
        crawler.signals.connect(frontier.on_spider_opened, signal=scrapy_signals.spider_opened)
        crawler.signals.connect(frontier.on_spider_closed, signal=scrapy_signals.spider_closed)
        return frontier

    async def on_spider_opened(self) -> None:
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="newsarchive-frontier")
        database_url = self.database_url
        if database_url is None:
            self._scratch = Path(tempfile.mkdtemp(prefix="newsarchive-frontier-"))
            database_url = f"sqlite:///{self._scratch / 'frontier.db'}"
        self.run_started = datetime.now(UTC)
        self.store = await open_then_answer(
            self.crawler, self._in_thread(ArchiveStore, database_url), self._answers(),
            "the frontier hands out no article in this crawl",
        )

    def _answers(self) -> list[tuple[Any, object]]:
        return [
            (self.on_urls_listed, urls_listed),
            (self.on_due_articles_requested, due_articles_requested),
            (self.on_articles_left_requested, articles_left_requested),
        ]

    async def _in_thread(self, function: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._thread, functools.partial(function, *args, **kwargs))

    async def _asking(self, what: str, function: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """`function` in the frontier's thread; a database that does not answer is asked again a few times
        (`LISTING_ATTEMPTS`, `LISTING_RETRY` apart while the crawl runs), each failure one line; then `Unanswered`."""
        for attempt in range(1, LISTING_ATTEMPTS + 1):
            try:
                return await self._in_thread(function, *args, **kwargs)
            except Exception as exc:
                if not is_transient(exc):
                    raise
                logger.warning("cannot %s (attempt %d of %d): %s", what, attempt, LISTING_ATTEMPTS, first_line(exc))
                if attempt < LISTING_ATTEMPTS and self.crawler.crawling:  # a stopping crawl does not wait
                    await asyncio.sleep(LISTING_RETRY)
        raise Unanswered(what)

    async def on_urls_listed(
        self, site: str, source: str, kind: str, urls: list[str] | Mapping[str, datetime | None]
    ) -> None:
        """Record what `source` listed (discovery waits: a URL is requested only once recorded); a listing the
        database did not take is counted (`UNRECORDED_LISTINGS_STAT`), so the run does not end `finished` and the
        next reads the document again."""
        assert self.store is not None, "connected when the store is open"
        try:
            await self._asking(f"record what {source} listed", self.store.note_listed, site, source, kind, urls)
        except Unanswered:
            self.crawler.stats.inc_value(UNRECORDED_LISTINGS_STAT)

    async def on_due_articles_requested(
        self, site: str, count: int, since: datetime | None = None, refresh: bool = False
    ) -> list[str]:
        assert self.store is not None, "connected when the store is open"
        settings, stats = self.crawler.settings, self.crawler.stats
        rules = DueRules(
            attempts=settings.getint("REFETCH_ATTEMPTS"), backoff=settings.getfloat("REFETCH_BACKOFF"),
            run_started=self.run_started, refresh=refresh, since=since,
        )  # fmt: skip
        while True:  # each answer of the store judges a bounded number of URLs: ask again until some are due
            try:
                found = await self._asking("read the frontier", self.store.due_articles, site, after=self.after,
                                           limit=count, rules=rules)
            except Unanswered:  # none now: what is listed stays owed to this run's next question or the next run
                return []
            self.after = found.after
            stats.inc_value("newsarchive/frontier/judged", found.judged)
            stats.inc_value("newsarchive/owed/seeded", found.earlier)
            for verdict, name in VERDICT_STATS.items():
                if found.verdicts[verdict]:
                    stats.inc_value(name, found.verdicts[verdict])
            if found.urls or not found.more:
                return found.urls

    async def on_articles_left_requested(self, site: str) -> int | None:
        """The number of listed URLs the archive lacks that this run did not reach; None if the database did not
        answer."""
        assert self.store is not None, "connected when the store is open"
        try:
            return await self._asking("count what is left", self.store.listed_not_reached, site, self.after)
        except Unanswered:
            return None

    def on_spider_closed(self) -> None:
        if self._thread is not None:
            self._thread.shutdown(wait=True, cancel_futures=True)  # what is under way (one bounded query) ends first
        if self.store is not None:
            for handler, signal in self._answers():
                self.crawler.signals.disconnect(handler, signal=signal)
            self.store.close()
            self.store = None
        if self._scratch is not None:
            shutil.rmtree(self._scratch, ignore_errors=True)
