"""robots.txt obeyed by every request, also those that arrive while a host's robots.txt is being fetched.

Scrapy's `RobotsTxtMiddleware` (async since scrapy/scrapy#6802; 2.15, the floor, to 2.19 at least) makes each
request that arrives while a host's robots.txt is downloading await the one Deferred of that download. The first
waiter's callback returns None to the next ones, so every other waiter gets no parser and is let through unchecked:
the first burst of requests to a new host (an image CDN's photos, a site's first articles) ignored its robots.txt.
Once the download is over, the middleware's `_parsers[netloc]` holds the parser (or None after an error): this
subclass reads it from there. Installed by the add-on in place of Scrapy's (same order, same `ROBOTSTXT_OBEY`).

Scrapy logs a robots.txt it could not download as an error with the whole traceback; when the host refused the
connection, did not resolve or timed out, that is news about the host, not a fault of the crawler: the middleware's
logger then gets one warning line instead (`QuietNetworkFailures`; the requests for that host are recorded anyway),
an INFO line when the request that asked for it is a page's photo or stylesheet, whose own failure the spider tells
at INFO too (an image CDN that is down is not a page lost; the run's summary counts the requisites that failed).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from scrapy.downloadermiddlewares import robotstxt
from scrapy.downloadermiddlewares.robotstxt import RobotsTxtMiddleware as ScrapyRobotsTxtMiddleware
from scrapy.exceptions import DownloadTimeoutError
from scrapy.http import Request
from scrapy.utils.httpobj import urlparse_cached
from twisted.internet import error as twisted_errors
from twisted.internet.defer import Deferred

from crawler import meta
from crawler.unreachable import UNREACHABLE

NETWORK_FAILURES = (*UNREACHABLE, DownloadTimeoutError, twisted_errors.TimeoutError, twisted_errors.ConnectError)


class QuietNetworkFailures(logging.Filter):
    """A log record carrying a network failure becomes a warning without its traceback, or an INFO line when the
    request it names (Scrapy's `%(request)s` argument) is a page's requisite."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and isinstance(record.exc_info[1], NETWORK_FAILURES):
            request = record.args.get("request") if isinstance(record.args, Mapping) else None
            requisite = isinstance(request, Request) and bool(request.meta.get(meta.REQUISITE_OF))
            level = logging.INFO if requisite else logging.WARNING
            record.exc_info, record.exc_text = None, None
            record.levelno, record.levelname = level, logging.getLevelName(level)
        return True


QUIET_NETWORK_FAILURES = QuietNetworkFailures()


class RobotsTxtMiddleware(ScrapyRobotsTxtMiddleware):
    def __init__(self, crawler: Any) -> None:
        super().__init__(crawler)
        logging.getLogger(robotstxt.__name__).addFilter(QUIET_NETWORK_FAILURES)  # added once: a filter is a set

    async def robot_parser(self, request: Any) -> Any:
        parser = await super().robot_parser(request)
        settled = self._parsers.get(urlparse_cached(request).netloc, parser)
        return parser if isinstance(settled, Deferred) else settled
