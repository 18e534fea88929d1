"""Keeps the crawler out of the operator's network: only http(s), and no loopback, private or link-local hosts.

A page must not be able to steer the crawler to `http://127.0.0.1:6379/` or to the cloud metadata address by
linking or redirecting there. Two components enforce it, both off when `ALLOW_PRIVATE_ADDRESSES` is true:
`PublicAddressMiddleware` refuses other schemes and literal private addresses before a request is sent (redirects
included, since a redirected request passes through the middlewares again); `PublicAddressResolver` refuses host
names whose DNS answer is a private address, at the moment of resolution, so a name that changes its answer between
a check and the connection (DNS rebinding) cannot slip through.

Twisted's connection code replaces the resolver's error by a bare "DNS lookup failed", which Scrapy's retry
middleware would retry: the resolver therefore keeps the reason of each refusal (`PublicAddressResolver.refusal`;
Scrapy installs one resolver per process, on the reactor), and `RefusedAddressMiddleware`, placed above the retry
middleware so it sees the failure first, turns the lookup failure of a refused host into `IgnoreRequest` with that
reason: recorded as refused, never retried.
"""

from __future__ import annotations

import ipaddress
from typing import Any
from urllib.parse import urlsplit

from scrapy.exceptions import CannotResolveHostError, IgnoreRequest, NotConfigured
from scrapy.resolver import CachingThreadedResolver
from scrapy.utils.misc import load_object
from twisted.internet.error import DNSLookupError

ALLOWED_SCHEMES = frozenset({"http", "https"})
# A failed lookup as it reaches the downloader middlewares: Scrapy wraps Twisted's error in its own
LOOKUP_FAILURES = (DNSLookupError, CannotResolveHostError)


def is_public_ip(address: str) -> bool:
    """True when `address` is a globally routable IP (not loopback, private, link-local, reserved, multicast)."""
    ip = ipaddress.ip_address(address)
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


def refusal_reason(url: str, allow_private: bool = False) -> str | None:
    """Why `url` may not be fetched, judged without DNS (scheme, literal address, localhost), or None."""
    parts = urlsplit(url)
    if parts.scheme not in ALLOWED_SCHEMES:
        return f"scheme {parts.scheme!r} is not crawled (only http and https)"
    host = (parts.hostname or "").rstrip(".").lower()
    if not host:
        return "URL has no host"
    if allow_private:
        return None
    if host == "localhost" or host.endswith(".localhost"):
        return f"host {host} is a loopback name"
    try:
        public = is_public_ip(host)
    except ValueError:
        return None  # a name: the resolver checks what it resolves to
    if public:
        return None
    return f"host {host} is a loopback, private or link-local address (set ALLOW_PRIVATE_ADDRESSES to crawl it)"


class PublicAddressMiddleware:
    """Downloader middleware refusing non-http(s) URLs and literal non-public addresses."""

    def __init__(self, allow_private: bool) -> None:
        self.allow_private = allow_private

    @classmethod
    def from_crawler(cls, crawler: Any) -> PublicAddressMiddleware:
        return cls(crawler.settings.getbool("ALLOW_PRIVATE_ADDRESSES"))

    def process_request(self, request: Any, spider: Any = None) -> None:
        reason = refusal_reason(request.url, self.allow_private)
        if reason:
            raise IgnoreRequest(f"refused {request.url}: {reason}")


class PublicAddressResolver(CachingThreadedResolver):
    """Scrapy's caching resolver, failing names that resolve to a non-public address."""

    def __init__(self, reactor: Any, cache_size: int, timeout: float, allow_private: bool) -> None:
        super().__init__(reactor, cache_size, timeout)
        self.allow_private = allow_private
        self.refusals: dict[str, str] = {}  # host name → why it was refused

    @classmethod
    def from_crawler(cls, crawler: Any, reactor: Any) -> PublicAddressResolver:
        settings = crawler.settings
        cache_size = settings.getint("DNSCACHE_SIZE") if settings.getbool("DNSCACHE_ENABLED") else 0
        return cls(reactor, cache_size, settings.getfloat("DNS_TIMEOUT"), settings.getbool("ALLOW_PRIVATE_ADDRESSES"))

    def getHostByName(self, name: str, timeout: Any = ()) -> Any:
        deferred = super().getHostByName(name, timeout)
        if not self.allow_private:
            deferred.addCallback(self._refuse_private, name)
        return deferred

    def _refuse_private(self, address: str, name: str) -> str:
        if not is_public_ip(address):
            reason = (f"refused {name}: it resolves to {address}, a loopback, private or link-local address "
                      "(set ALLOW_PRIVATE_ADDRESSES to crawl it)")
            self.refusals[_host_key(name)] = reason
            raise DNSLookupError(reason)
        return address

    def refusal(self, host: str) -> str | None:
        """Why `host` was refused, if it was."""
        return self.refusals.get(_host_key(host))


def _host_key(host: str) -> str:
    return host.rstrip(".").lower()


class RefusedAddressMiddleware:
    """Downloader middleware (above RetryMiddleware) turning the lookup failure of a host the resolver refused into
    `IgnoreRequest` with the refusal's reason, so it is recorded as refused and not retried as a DNS failure."""

    def __init__(self, resolver: PublicAddressResolver | None = None) -> None:
        self._resolver = resolver  # None: the one installed on the reactor, looked up when needed

    @classmethod
    def from_crawler(cls, crawler: Any) -> RefusedAddressMiddleware:
        settings = crawler.settings
        # nothing to report: private addresses are allowed, or another resolver refuses (or not) by its own rules
        # (no message: Scrapy would log one as a warning in every crawl of a local site)
        if settings.getbool("ALLOW_PRIVATE_ADDRESSES") or (
            load_object(settings["TWISTED_DNS_RESOLVER"]) is not PublicAddressResolver
        ):
            raise NotConfigured
        return cls()

    def process_exception(self, request: Any, exception: Exception, spider: Any = None) -> None:
        if not isinstance(exception, LOOKUP_FAILURES):
            return
        resolver = self._resolver
        if resolver is None:
            from twisted.internet import reactor  # the installed one, with the resolver Scrapy put on it

            resolver = reactor.resolver
        if isinstance(resolver, PublicAddressResolver):
            reason = resolver.refusal(urlsplit(request.url).hostname or "")
            if reason:
                raise IgnoreRequest(reason)
