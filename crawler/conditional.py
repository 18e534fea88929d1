"""Conditional re-fetching of discovery documents: sitemaps, feeds and listing pages are fetched on every run, with
`If-None-Match` / `If-Modified-Since` from their last capture so an unchanged document costs a 304 and no parsing.

The validators come from whatever answers the `validators_requested` signal (`crawler.archivequeries`, from the
store's captures), so this middleware knows no store. Only requests the spider marks with
`crawler.meta.CONDITIONAL` are touched.
"""

from __future__ import annotations

from typing import Any

from scrapy.exceptions import NotConfigured

from crawler import meta
from crawler.signals import validators_requested


class ConditionalRequestMiddleware:
    """Downloader middleware (switch: `CONDITIONAL_REQUESTS_ENABLED`) adding the last capture's validators."""

    def __init__(self, crawler: Any) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Any) -> ConditionalRequestMiddleware:
        if not crawler.settings.getbool("CONDITIONAL_REQUESTS_ENABLED"):
            raise NotConfigured
        return cls(crawler)

    async def process_request(self, request: Any, spider: Any = None) -> None:
        if not request.meta.get(meta.CONDITIONAL):
            return
        answers = await self.crawler.signals.send_catch_log_async(signal=validators_requested, url=request.url)
        for _, headers in answers:
            if isinstance(headers, dict):
                for name, value in headers.items():
                    request.headers.setdefault(name, value)
