"""Extension: names the site profile's selectors that matched nothing, so a profile gone stale is seen.

A selector that matches no element is not an error on one page (the field falls back to JSON-LD, meta tags and
the visible page), but one that matched none of a run's articles most likely no longer fits the site's
templates. Each stored article's page (`item_scraped`) is checked against the selectors not yet seen matching,
at most `SELECTOR_CHECK_PAGES` pages (then the check stops; once every selector matched it costs nothing). The
selectors that never matched go into the stats (`newsarchive/selectors_never_matched`), the log and the summary
of `newsarchive crawl`. Off when the profile has no selectors or `SELECTOR_CHECK_PAGES` is 0.
"""

from __future__ import annotations

import logging
from typing import Any

from lxml import html
from scrapy import signals as scrapy_signals

from crawler.sites import compile_selector

logger = logging.getLogger(__name__)

UNMATCHED_STAT = "newsarchive/selectors_never_matched"


class SelectorCheck:
    def __init__(self, crawler: Any, max_pages: int) -> None:
        self.crawler = crawler
        self.max_pages = max_pages
        self.pending: dict[str, str] = {}  # field → selector not seen matching yet
        self.checked = 0

    @classmethod
    def from_crawler(cls, crawler: Any) -> SelectorCheck:
        check = cls(crawler, crawler.settings.getint("SELECTOR_CHECK_PAGES"))
        crawler.signals.connect(check.on_spider_opened, signal=scrapy_signals.spider_opened)
        crawler.signals.connect(check.on_item_scraped, signal=scrapy_signals.item_scraped)
        crawler.signals.connect(check.on_spider_closed, signal=scrapy_signals.spider_closed)
        return check

    def on_spider_opened(self, spider: Any) -> None:
        profile = getattr(spider, "profile", None)
        self.pending = dict(profile.selectors) if profile is not None and self.max_pages > 0 else {}
        self.profile_name = getattr(profile, "name", "")

    def on_item_scraped(self, item: Any, response: Any, spider: Any) -> None:
        if not self.pending or self.checked >= self.max_pages or not response.body:
            return
        self.checked += 1
        try:
            tree = html.fromstring(response.body)
        except (ValueError, TypeError):  # not parseable as HTML here: the extractor coped, the check skips it
            return
        for field, selector in list(self.pending.items()):
            if compile_selector(selector)(tree):
                del self.pending[field]

    def on_spider_closed(self, spider: Any, reason: str) -> None:
        if not self.pending or not self.checked:
            return
        names = ", ".join(f"{field} = {selector!r}" for field, selector in self.pending.items())
        self.crawler.stats.set_value(UNMATCHED_STAT, names)
        logger.warning("selectors of profile %s that matched none of the %d article pages checked: %s",
                       self.profile_name, self.checked, names)
