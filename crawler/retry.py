"""Retries that honour `Retry-After`: Scrapy's retry middleware, waiting as long as a 429 or 503 asks.

Scrapy retries a 429 or 503 at once, whatever the server said. `RetryAfterMiddleware` takes its place (same order,
same settings) and, when the response names a delay (`Retry-After: 120` or an HTTP date), waits that long before
the retry is scheduled. A delay longer than `RETRY_AFTER_MAX` seconds is not waited for: the page fails with the
server's status, its reason logged, and is left for a later run.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.http import Request, Response
from scrapy.utils.defer import maybe_deferred_to_future
from twisted.internet.task import deferLater

logger = logging.getLogger(__name__)

RETRY_AFTER_STATUSES = frozenset({429, 503})


def retry_after_seconds(value: str | bytes | None, now: datetime | None = None) -> float | None:
    """The delay a `Retry-After` header value asks for, in seconds (0 for a date in the past), or None when it
    names none (absent, junk)."""
    if not value:
        return None
    text = value.decode("latin-1") if isinstance(value, bytes) else value
    text = text.strip()
    if text.isdigit():
        return float(text)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


class RetryAfterMiddleware(RetryMiddleware):
    """Scrapy's `RetryMiddleware`, waiting out a 429's or 503's `Retry-After` (at most `RETRY_AFTER_MAX` s)."""

    def __init__(self, settings: Any) -> None:
        super().__init__(settings)
        self.max_wait = settings.getfloat("RETRY_AFTER_MAX")

    async def process_response(self, request: Request, response: Response, spider: Any = None) -> Request | Response:
        asked = None
        if response.status in RETRY_AFTER_STATUSES and response.status in self.retry_http_codes:
            asked = retry_after_seconds(response.headers.get("Retry-After"))
        retries_left = request.meta.get("retry_times", 0) < request.meta.get("max_retry_times", self.max_retry_times)
        if asked is not None and retries_left and not request.meta.get("dont_retry", False):
            if asked > self.max_wait:
                logger.warning("not retrying %s: HTTP %s asks to wait %.0f s (Retry-After), more than "
                               "RETRY_AFTER_MAX (%g s)", request.url, response.status, asked, self.max_wait)
                self.crawler.stats.inc_value("newsarchive/retry_after/too_long")
                return response
            self.crawler.stats.inc_value("newsarchive/retry_after/waited")
            if asked > 0:
                from twisted.internet import reactor  # the installed one: imported once the crawl runs

                await maybe_deferred_to_future(deferLater(reactor, asked, lambda: None))
        return super().process_response(request, response)
