"""robots.txt obeyed by every request, also those that arrive while a host's robots.txt is being fetched.

Scrapy's `RobotsTxtMiddleware` (async since scrapy/scrapy#6802; 2.15, the floor, to 2.19 at least) makes each
request that arrives while a host's robots.txt is downloading await the one Deferred of that download. The first
waiter's callback returns None to the next ones, so every other waiter gets no parser and is let through unchecked:
the first burst of requests to a new host (an image CDN's photos, a site's first articles) ignored its robots.txt.
Once the download is over, the middleware's `_parsers[netloc]` holds the parser (or None after an error): this
subclass reads it from there. Installed by the add-on in place of Scrapy's (same order, same `ROBOTSTXT_OBEY`).
"""

from __future__ import annotations

from typing import Any

from scrapy.downloadermiddlewares.robotstxt import RobotsTxtMiddleware as ScrapyRobotsTxtMiddleware
from scrapy.utils.httpobj import urlparse_cached
from twisted.internet.defer import Deferred


class RobotsTxtMiddleware(ScrapyRobotsTxtMiddleware):
    async def robot_parser(self, request: Any) -> Any:
        parser = await super().robot_parser(request)
        settled = self._parsers.get(urlparse_cached(request).netloc, parser)
        return parser if isinstance(settled, Deferred) else settled
