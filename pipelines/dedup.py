"""Item pipeline: duplicates within one crawl (switch: `DEDUP_ENABLED`).

Articles arrive finished (`crawler.finish`: canonical URL, content hash). A second article of this crawl with an
already seen (site, canonical URL) and the same text (an AMP copy, a tracking link that escaped canonicalisation)
goes on to the store, which keeps one row and learns the URL, so the next crawl does not fetch it again; its
capture gets the outcome `duplicate` with the URL it duplicates (a different text under a shared canonical URL may
be another article: the store judges it, `archive.store`). A second article with already seen text under another
URL goes on with `duplicate_of` set (unless it was published before the copy seen first: the original is the copy
published first). The store resolves duplicates again across crawls, in its transaction, and its answer is the
one archived. What the run has seen is kept on disk (`archive.diskmap.FirstSeen`, a temporary file gone with the
run), a bounded cache in front: memory does not grow with the articles.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from scrapy.exceptions import NotConfigured

from archive.diskmap import FirstSeen
from archive.outcomes import Outcome
from archive.records import Article
from crawler.signals import page_outcome


class DedupPipeline:
    def __init__(self, crawler: Any) -> None:
        self.crawler = crawler
        # "url", site, canonical URL → (URL, content hash) of the first copy; "text", content hash → (canonical URL,
        # publication date) of the first copy
        self.seen = FirstSeen()

    @classmethod
    def from_crawler(cls, crawler: Any) -> DedupPipeline:
        if not crawler.settings.getbool("DEDUP_ENABLED"):
            raise NotConfigured
        return cls(crawler)

    def close_spider(self) -> None:
        self.seen.close()

    def process_item(self, item: Any) -> Any:
        if not isinstance(item, Article):
            return item
        key = f"url\0{item.site}\0{item.canonical_url}"
        first_url, first_hash = self.seen.setdefault(key, (item.url, item.content_hash))
        if first_url != item.url and first_hash == item.content_hash:
            reason = f"same article as {first_url} (canonical URL {item.canonical_url})"
            self._record(item, Outcome.DUPLICATE, reason)
            self.crawler.stats.inc_value("newsarchive/duplicates/url_in_run")
            return item
        original_url, original_published = self.seen.setdefault(
            f"text\0{item.content_hash}", (item.canonical_url, item.published_at)
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
