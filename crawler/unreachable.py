"""A host that refused a connection, or whose name does not resolve, is not asked again in the same run.

Scrapy retries both failures at once (twice by default) and sends every other request for that host the same
way: a page whose photos sit on a host that is gone cost three connection attempts per photo, and three more for
the host's robots.txt. Like wget and curl, which retry neither unless told to, `UnreachableHostMiddleware` lets
neither be retried; it remembers the host (its name and port) for the rest of the run, and every later request for
it fails at once with `HostUnreachable`, which names the first failure. Each such request is still a recorded
failure of its own, owed to a later run; the spider logs it at DEBUG (the host's first failure was logged),
and the run ends with one line counting them. A timeout is not such an answer (a slow host may answer the next time)
and is retried as before. `RETRY_UNREACHABLE_HOSTS = True` restores Scrapy's behaviour.
"""

from __future__ import annotations

import logging
from typing import Any

from scrapy import signals
from scrapy.exceptions import DownloadConnectionRefusedError, IgnoreRequest, NotConfigured
from scrapy.http import Request
from scrapy.utils.httpobj import urlparse_cached
from twisted.internet import error as twisted_errors

from crawler.safety import LOOKUP_FAILURES
from crawler.urls import DEFAULT_PORTS

# Scrapy's wrappers, and Twisted's and Python's own errors where a handler raises them unwrapped
UNREACHABLE = (
    DownloadConnectionRefusedError,
    twisted_errors.ConnectionRefusedError,
    ConnectionRefusedError,
    *LOOKUP_FAILURES,
)
NOT_SENT_STAT = "newsarchive/unreachable/not_sent"
HOSTS_STAT = "newsarchive/unreachable/hosts"

logger = logging.getLogger(__name__)


class HostUnreachable(IgnoreRequest):
    """A request not sent: its host refused a connection or did not resolve earlier in this run."""


def host_key(request: Request) -> tuple[str, int | None]:
    """The server a request goes to: its host name and port."""
    parts = urlparse_cached(request)
    return (parts.hostname or "", parts.port or DEFAULT_PORTS.get(parts.scheme))


class UnreachableHostMiddleware:
    """Downloader middleware, just above RetryMiddleware: a refused connection or a failed lookup is not retried,
    and the host's later requests of the run fail at once."""

    def __init__(self, stats: Any = None) -> None:
        self.failures: dict[tuple[str, int | None], str] = {}  # host → its first failure
        self.not_sent = 0
        self.stats = stats

    @classmethod
    def from_crawler(cls, crawler: Any) -> UnreachableHostMiddleware:
        if crawler.settings.getbool("RETRY_UNREACHABLE_HOSTS"):
            raise NotConfigured
        middleware = cls(crawler.stats)
        crawler.signals.connect(middleware.report, signal=signals.spider_closed)
        return middleware

    def process_request(self, request: Request, spider: Any = None) -> None:
        first = self.failures.get(host_key(request))
        if first is not None:
            self.not_sent += 1
            raise HostUnreachable(f"not sent: {first} (earlier in this run)")

    def process_exception(self, request: Request, exception: Exception, spider: Any = None) -> None:
        if isinstance(exception, UNREACHABLE):
            key = host_key(request)
            self.failures.setdefault(key, f"{key[0]}:{key[1]} {type(exception).__name__}: {exception}")
            request.meta["dont_retry"] = True

    def report(self, spider: Any = None) -> None:
        """At the end of the run: the stats, and the one line that stands for the requests not sent (each logged at
        DEBUG only)."""
        if self.stats is not None:
            self.stats.set_value(HOSTS_STAT, len(self.failures))
            self.stats.set_value(NOT_SENT_STAT, self.not_sent)
        if self.not_sent:
            logger.warning(
                "%d requests not sent to unreachable hosts (%d: refused a connection or did not resolve earlier "
                "in the run); each recorded as failed, owed to a later run",
                self.not_sent,
                len(self.failures),
            )
