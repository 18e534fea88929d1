"""Item pipeline writing each article's extracted record into the WARC archive as a `metadata` record.

The record holds `Article.to_record()` as JSON, `WARC-Target-URI` `urn:newsarchive:metadata:<article URL>` (so
no replay tool serves it in place of the page) and `WARC-Refers-To` the
response record the article was extracted from, so the WARC files alone are a complete archive. It writes
through the `crawler.recorder.WarcRecorderMiddleware` of the crawl; items without a WARC pointer pass through.
It runs before the SQL pipeline, and hands an article on only once its record is on disk (written by the
recorder's writer thread, awaited here): an article whose metadata record cannot be written (the disk full) is
dropped with the outcome `not_archived` and its reason, so no row lacks its records and the next run fetches it
again.
Switch: `WARC_ENABLED`.
"""

from __future__ import annotations

import json
import logging
from typing import Any, Self

from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem, NotConfigured

from archive.outcomes import Outcome
from archive.records import Article
from crawler.recorder import WarcRecorderMiddleware
from crawler.signals import page_outcome

logger = logging.getLogger(__name__)

CONTENT_TYPE = "application/json"


class WarcMetadataPipeline:
    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.recorder: WarcRecorderMiddleware | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        if not crawler.settings.getbool("WARC_ENABLED"):
            raise NotConfigured
        return cls(crawler)

    def open_spider(self) -> None:
        # The downloader (and so the middleware) exists only once the engine runs, not at from_crawler time.
        self.recorder = self.crawler.get_downloader_middleware(WarcRecorderMiddleware)
        if self.recorder is None:
            logger.warning("WarcRecorderMiddleware is not enabled: articles get no WARC metadata record")

    async def process_item(self, item: Any) -> Any:
        if self.recorder is None or not isinstance(item, Article) or item.warc is None:
            return item
        try:
            payload = json.dumps(item.to_record(), ensure_ascii=False).encode("utf-8")
        except (TypeError, ValueError):
            logger.exception("article %s cannot be serialised for its WARC metadata record", item.url)
            self.crawler.stats.inc_value("warc/metadata_errors")
            return item
        try:
            await self.recorder.write_metadata(item.url, item.warc.record_id, payload, CONTENT_TYPE)
        except OSError as exc:
            logger.error("could not write the WARC metadata record of %s: %s", item.url, exc)
            self.crawler.stats.inc_value("warc/metadata_errors")
            reason = f"no WARC metadata record: {exc}"
            self.crawler.signals.send_catch_log(
                signal=page_outcome, url=item.url, outcome=Outcome.NOT_ARCHIVED, reason=reason
            )
            # logged once above, with its reason: not again at WARNING with the whole item
            raise DropItem(f"article {item.url} not stored: {reason}", log_level="DEBUG") from exc
        return item
