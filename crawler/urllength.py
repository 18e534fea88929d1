"""URLs too long to request are recorded, not dropped in silence.

Scrapy's `UrlLengthMiddleware` drops a request whose URL is longer than `URLLENGTH_LIMIT` (2,083 characters, the
limit of old browsers and many servers) with a log line only. `RecordedUrlLengthMiddleware` takes its place and
records each such URL with the outcome `failed` and the reason, so the archive knows it was seen.
"""

from __future__ import annotations

from scrapy.http import Request, Response
from scrapy.spidermiddlewares.urllength import UrlLengthMiddleware

from archive.outcomes import Outcome
from crawler import meta
from crawler.signals import page_outcome


class RecordedUrlLengthMiddleware(UrlLengthMiddleware):
    """Scrapy's URL length limit, each refused URL recorded as `failed` with its length."""

    def get_processed_request(self, request: Request, response: Response | None) -> Request | None:
        kept = super().get_processed_request(request, response)
        if kept is None:
            self.crawler.signals.send_catch_log(
                signal=page_outcome, url=request.url, outcome=Outcome.FAILED,
                reason=f"URL of {len(request.url)} characters is longer than URLLENGTH_LIMIT ({self.maxlength})",
                requisite_of=request.meta.get(meta.REQUISITE_OF, ""),
            )
        return kept
