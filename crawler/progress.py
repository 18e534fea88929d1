"""Extension: one status line every `PROGRESS_INTERVAL` seconds (0: off) a person can follow during a crawl.

    progress: 1,234 pages (41.2/s), 980 articles (951 new), 12 duplicates, 3 failed, 410 queued

pages fetched (and the rate since the last line), articles extracted (and those the store found new so far),
duplicates, failed pages and requests waiting in the scheduler, all read from the crawl stats. Logged at INFO on
`crawler.progress`; `newsarchive crawl` shows it at its default log level with Scrapy's own INFO lines left out
(`-v` brings them back), and a last line when the crawl closes.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from scrapy import signals as scrapy_signals
from scrapy.exceptions import NotConfigured
from scrapy.utils.asyncio import create_looping_call

from archive.outcomes import Outcome

logger = logging.getLogger(__name__)


def progress_line(stats: dict[str, Any], rate: float) -> str:
    """The status line of a crawl whose stats are `stats`, fetching `rate` pages a second."""

    def count(name: str) -> int:
        return int(stats.get(name) or 0)

    duplicates = sum(count(f"newsarchive/{name}") for name in
                     ("sql/duplicates_exact", "sql/duplicates_near", "duplicates/url_in_run"))
    queued = count("scheduler/enqueued") - count("scheduler/dequeued")
    return (f"{count('response_received_count'):,} pages ({rate:.1f}/s), {count('item_scraped_count'):,} articles "
            f"({count('newsarchive/sql/articles_new'):,} new), {duplicates:,} duplicates, "
            f"{count(f'newsarchive/outcome/{Outcome.FAILED}'):,} failed, {queued:,} queued")


QUIET_LOGGERS = ("scrapy", "alembic")  # their INFO lines are for developers: start-up, settings, migrations, stats
QUIET_HANDLER = "newsarchive-quiet"


def quiet_logging(settings: Any) -> None:
    """Log to stderr at `LOG_LEVEL` without Scrapy's and Alembic's INFO lines (start-up, settings, stats dumps):
    call with `LOG_INSTALL_ROOT_HANDLER` false, after the `CrawlerProcess` is made. Warnings and errors stay."""
    root = logging.getLogger()
    if not any(handler.get_name() == QUIET_HANDLER for handler in root.handlers):
        handler = logging.StreamHandler()
        handler.set_name(QUIET_HANDLER)
        handler.setFormatter(logging.Formatter(settings["LOG_FORMAT"], settings["LOG_DATEFORMAT"]))
        handler.setLevel(settings["LOG_LEVEL"])
        root.addHandler(handler)
    root.setLevel(settings["LOG_LEVEL"])
    for name in QUIET_LOGGERS:
        logging.getLogger(name).setLevel(max(logging.WARNING, logging.getLevelName(settings["LOG_LEVEL"])))


class Progress:
    def __init__(self, crawler: Any, interval: float) -> None:
        self.crawler = crawler
        self.interval = interval
        self.task: Any = None
        self.started = self.last_time = time.monotonic()
        self.last_pages = 0

    @classmethod
    def from_crawler(cls, crawler: Any) -> Progress:
        interval = crawler.settings.getfloat("PROGRESS_INTERVAL")
        if not interval:
            raise NotConfigured
        progress = cls(crawler, interval)
        crawler.signals.connect(progress.on_spider_opened, signal=scrapy_signals.spider_opened)
        crawler.signals.connect(progress.on_spider_closed, signal=scrapy_signals.spider_closed)
        return progress

    def on_spider_opened(self, spider: Any) -> None:
        self.started = self.last_time = time.monotonic()
        self.task = create_looping_call(self.log)
        self.task.start(self.interval, now=False)

    def log(self) -> None:
        stats = self.crawler.stats.get_stats()
        now, pages = time.monotonic(), int(stats.get("response_received_count") or 0)
        rate = (pages - self.last_pages) / max(now - self.last_time, 1e-6)
        self.last_time, self.last_pages = now, pages
        logger.info("progress: %s", progress_line(stats, rate))

    def on_spider_closed(self, spider: Any, reason: str) -> None:
        if self.task is not None and self.task.running:
            self.task.stop()
        stats = self.crawler.stats.get_stats()
        elapsed = max(time.monotonic() - self.started, 1e-6)
        logger.info("done (%s): %s", reason, progress_line(stats, int(stats.get("response_received_count") or 0)
                                                              / elapsed))
