"""Scrapy extension answering the spider's questions to the SQL archive (switch: `SQL_ENABLED`).

`validators_requested(url)` is answered with `ArchiveStore.conditional_headers` (conditional requests) and
`listed_documents_requested` with `ArchiveStore.listed_documents`, each in a thread so the reactor does not wait on
the database (what discovery lists, and which article URLs are due, is `crawler.frontier`'s). The extension opens
a store of its own on `DATABASE_URL` when the spider opens (not when the crawler is built: a crawler that never
crawls opens no database) and closes it when the spider closes; until then nobody answers. A query the database
fails (gone, full) is one error line and no answer, never a traceback. A listing the frontier could not record is
counted (`UNRECORDED_LISTINGS_STAT`): such a run does not end `finished` (`pipelines.sql`), so the next run reads
its discovery documents in full again instead of getting a 304.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from scrapy import signals as scrapy_signals
from scrapy.exceptions import NotConfigured
from sqlalchemy.exc import DBAPIError

from archive.db import first_line
from archive.store import ArchiveStore, StoreUnavailable
from crawler.signals import listed_documents_requested, validators_requested

logger = logging.getLogger(__name__)
T = TypeVar("T")
UNRECORDED_LISTINGS_STAT = "newsarchive/listings_unrecorded"


async def open_then_answer(
    crawler: Any, opening: Awaitable[ArchiveStore], answers: list[tuple[Any, object]], otherwise: str
) -> ArchiveStore | None:
    """The store `opening` opens (in a thread), with each (handler, signal) of `answers` connected once it is open;
    None and one error line ending in `otherwise` when the database is gone since the command checked it (the SQL
    pipeline stops the crawl): nobody answers, no traceback."""
    try:
        store = await opening
    except StoreUnavailable as exc:
        logger.error("%s: %s", first_line(exc), otherwise)
        return None
    for handler, signal in answers:
        crawler.signals.connect(handler, signal=signal)
    return store


class ArchiveQueries:
    def __init__(self, crawler: Any, database_url: str) -> None:
        self.crawler = crawler
        self.database_url = database_url
        self.store: ArchiveStore | None = None

    @classmethod
    def from_crawler(cls, crawler: Any) -> ArchiveQueries:
        if not crawler.settings.getbool("SQL_ENABLED"):
            raise NotConfigured
        queries = cls(crawler, crawler.settings["DATABASE_URL"])
        crawler.signals.connect(queries.on_spider_opened, signal=scrapy_signals.spider_opened)
        crawler.signals.connect(queries.on_spider_closed, signal=scrapy_signals.spider_closed)
        return queries

    async def on_spider_opened(self) -> None:
        self.store = await open_then_answer(
            self.crawler, asyncio.to_thread(ArchiveStore, self.database_url), self._answers(),
            "the archive answers nothing in this crawl",
        )

    def _answers(self) -> list[tuple[Any, object]]:
        return [
            (self.on_validators_requested, validators_requested),
            (self.on_listed_documents_requested, listed_documents_requested),
        ]

    async def on_validators_requested(self, url: str) -> dict[str, str] | None:
        assert self.store is not None, "connected when the store is open"
        return await _answer(self.store.conditional_headers, url)

    async def on_listed_documents_requested(self, site: str, source: str) -> list[tuple[str, str]] | None:
        assert self.store is not None, "connected when the store is open"
        return await _answer(self.store.listed_documents, site, source)

    def on_spider_closed(self) -> None:
        if self.store is not None:
            for handler, signal in self._answers():
                self.crawler.signals.disconnect(handler, signal=signal)
            self.store.close()
            self.store = None


async def _answer(query: Callable[..., T], *args: Any, **kwargs: Any) -> T | None:
    """`query(*args, **kwargs)` in a thread; None, after one error line, when the database fails it."""
    try:
        return await asyncio.to_thread(query, *args, **kwargs)
    except (DBAPIError, StoreUnavailable) as exc:
        logger.error("archive query %s failed: %s", query.__name__.lstrip("_"), first_line(exc))
        return None
