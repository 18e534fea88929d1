"""Item pipeline: duplicates within one crawl (switch: `DEDUP_ENABLED`).

Articles arrive finished (`crawler.finish`: canonical URL, content hash). A second article of this crawl with an
already seen (site, canonical URL) and the same text (an AMP copy, a tracking link that escaped canonicalisation)
goes on to the store, which keeps one row and learns the URL, so the next crawl does not fetch it again; its
capture gets the outcome `duplicate` with the URL it duplicates (a different text under a shared canonical URL may
be another article: the store judges it, `archive.store`). A second article with already seen text under another
URL goes on with `duplicate_of` set (unless it was published before the copy seen first: the original is the copy
published first). The store resolves duplicates again across crawls, in its transaction, and its answer is the
one archived.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from scrapy.exceptions import NotConfigured

from archive.outcomes import Outcome
from archive.records import Article
from crawler.signals import page_outcome


class DedupPipeline:
    def __init__(self, crawler: Any) -> None:
        self.crawler = crawler
        # (site, canonical URL) → URL and content hash of the first copy
        self.urls_seen: dict[tuple[str, str], tuple[str, str]] = {}
        # content hash → (canonical URL, publication date) of the first copy: not the article, whose text would
        # stay in memory for the whole crawl
        self.texts_seen: dict[str, tuple[str, datetime | None]] = {}

    @classmethod
    def from_crawler(cls, crawler: Any) -> DedupPipeline:
        if not crawler.settings.getbool("DEDUP_ENABLED"):
            raise NotConfigured
        return cls(crawler)

    def process_item(self, item: Any) -> Any:
        if not isinstance(item, Article):
            return item
        key = (item.site, item.canonical_url)
        first_url, first_hash = self.urls_seen.setdefault(key, (item.url, item.content_hash))
        if first_url != item.url and first_hash == item.content_hash:
            reason = f"same article as {first_url} (canonical URL {item.canonical_url})"
            self._record(item, Outcome.DUPLICATE, reason)
            self.crawler.stats.inc_value("newsarchive/duplicates/url_in_run")
            return item
        original_url, original_published = self.texts_seen.setdefault(
            item.content_hash, (item.canonical_url, item.published_at)
        )
        if original_url != item.canonical_url and not _published_before(item.published_at, original_published):
            item.duplicate_of, item.similarity = original_url, 1.0
            self.crawler.stats.inc_value("newsarchive/duplicates/exact_in_run")
        return item

    def _record(self, item: Article, outcome: Outcome, reason: str) -> None:
        self.crawler.signals.send_catch_log(signal=page_outcome, url=item.url, outcome=outcome, reason=reason)


def _published_before(published: datetime | None, other: datetime | None) -> bool:
    """The store's rule: the copy published first is the original, whichever was crawled first."""
    return published is not None and other is not None and published < other
