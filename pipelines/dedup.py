"""Item pipeline 200: the canonical URL and content hash of each article, and duplicates within one crawl.

- `canonical_url` becomes `crawler.urls.canonicalize_url(url, extracted canonical)`: the page's own
  `<link rel=canonical>` counts when it is on the same site.
- `content_hash` is `crawler.text.content_hash(text)`, the hash of the normal-form text.
- A second article of this crawl with an already seen (site, canonical URL) is dropped, and its capture gets the
  outcome `duplicate` with the URL it duplicates; a second article with already seen text under another URL goes
  on with `duplicate_of` set. Duplicates across crawls are resolved by the store, in its transaction.
"""

from __future__ import annotations

from typing import Any

from scrapy.exceptions import DropItem

from crawler.items import Article
from crawler.signals import page_outcome
from crawler.text import content_hash
from crawler.urls import canonicalize_url


class DedupPipeline:
    def __init__(self, crawler: Any) -> None:
        self.crawler = crawler
        self.urls_seen: dict[tuple[str, str], str] = {}  # (site, canonical URL) → URL of the first copy
        self.texts_seen: dict[str, str] = {}  # content hash → canonical URL of the first copy

    @classmethod
    def from_crawler(cls, crawler: Any) -> DedupPipeline:
        return cls(crawler)

    def process_item(self, item: Any) -> Any:
        if not isinstance(item, Article):
            return item
        try:
            item.canonical_url = canonicalize_url(item.url, item.canonical_url or None)
        except ValueError as exc:
            self._drop(item, "failed", f"invalid URL: {exc}")
        item.content_hash = content_hash(item.text)
        first_url = self.urls_seen.setdefault((item.site, item.canonical_url), item.url)
        if first_url != item.url:
            self._drop(item, "duplicate", f"same article as {first_url} (canonical URL {item.canonical_url})")
        original = self.texts_seen.setdefault(item.content_hash, item.canonical_url)
        if original != item.canonical_url and item.duplicate_of is None:
            item.duplicate_of, item.similarity = original, 1.0
            self.crawler.stats.inc_value("newsarchive/duplicates/exact_in_run")
        return item

    def _drop(self, item: Article, outcome: str, reason: str) -> None:
        self.crawler.stats.inc_value(f"newsarchive/dropped/{outcome}")
        self.crawler.signals.send_catch_log(signal=page_outcome, url=item.url, outcome=outcome, reason=reason)
        raise DropItem(f"{item.url}: {reason}", log_level="INFO")
