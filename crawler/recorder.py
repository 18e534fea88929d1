"""Scrapy glue of the WARC archive: a downloader middleware that records every response as it was received.

Placed above every built-in downloader middleware (order 950), `WarcRecorderMiddleware.process_response` sees
each response before redirects, retries and HTTP errors are handled. The tapped download handler
(`crawler.wiretap`) leaves the bytes of the exchange in `request.meta[WIRE]`: the records are made of those (the
server's reason phrase, headers in their order and case, the body with its content and transfer codings). Without
a wire (another download handler) they are rebuilt from the request as Scrapy sent it and the response as the
handler produced it (still content-encoded). A download that fails after its head came in (over
`DOWNLOAD_MAXSIZE`, cut before its end, past `DOWNLOAD_TIMEOUT`) reaches `process_exception` with its wire and is
archived with `WARC-Truncated` (`length`, `disconnect`, `time`); the capture says so, and the failure goes on to
the retry middleware and the spider's errback as before. Write order: no page goes on without its record. A
response that cannot be archived (a write error, the disk full; or any response after the archive stopped
accepting records) is refused with `WarcWriteFailed` (an `IgnoreRequest`: the spider's errback records the
outcome `not_archived`, owed to the next run), and the first write error closes the spider
(`warc_write_failed`). The exchange is written with
`archive.warc.RotatingWarcWriter`; the `WarcPointer` of the response (or revisit) record goes in
`request.meta["warc"]` and `capture_recorded` is sent. The item pipeline `pipelines.warcmeta` finds this
middleware with `crawler.get_downloader_middleware` to write its metadata records into the same files.

Settings: `WARC_DIR`, `WARC_PREFIX`, `WARC_MAX_SIZE`, `WARC_MAX_AGE`, `WARC_DIGEST`, `WARC_OPERATOR`, and
`WARC_DIGEST_SEED`: an optional callable (or its import path) `(crawler) -> Iterable[(digest, uri, date,
record_id)]` of payloads archived earlier (`crawler.recorder.payload_digests_of`: those of the SQL store), added to
those read from the CDXJ indexes of `WARC_DIR`.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from importlib.metadata import version
from pathlib import Path
from typing import Any, Self
from urllib.parse import urldefrag, urlunparse

from scrapy import Request, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import (
    DownloadCancelledError,
    DownloadTimeoutError,
    IgnoreRequest,
    NotConfigured,
    ResponseDataLossError,
)
from scrapy.http import Response
from scrapy.utils.defer import deferred_from_coro, maybe_deferred_to_future
from scrapy.utils.httpobj import urlparse_cached
from scrapy.utils.log import failure_to_exc_info
from scrapy.utils.misc import load_object
from twisted.internet.defer import Deferred, DeferredList
from twisted.internet.task import LoopingCall
from twisted.internet.threads import deferToThread
from twisted.python.failure import Failure

import crawler.signals as newsarchive_signals
from archive import __version__
from archive.digests import DigestIndex
from archive.index import index_warc, iter_payload_digests
from archive.records import Capture, WarcPointer
from archive.store import ArchiveStore
from archive.warc import Header, HttpExchange, RecordedExchange, RotatingWarcWriter, received_response
from archive.warcfiles import finish_abandoned
from crawler import meta
from crawler.wiretap import Wire

logger = logging.getLogger(__name__)

# warcinfo `software`: ours and what shapes the records (WARC 1.1 annex: name/version).
SOFTWARE = (
    f"newsarchive/{__version__} (Scrapy/{version('scrapy')}, warcio/{version('warcio')}, "
    f"trafilatura/{version('trafilatura')})"
)
DEFAULT_PORTS = {"http": 80, "https": 443}
# Credentials meant for a proxy never reach the origin server: keep them out of the archive.
UNARCHIVED_REQUEST_HEADERS = {b"proxy-authorization"}
TRUNCATION_FLAGS = {"dataloss": "disconnect", "download_stopped": "unspecified"}
# Why a download that failed after its head came in is incomplete (WARC-Truncated); Scrapy's HTTP/1.1 handler
# cancels a download only for its size. Any other failure: `unspecified`.
TRUNCATION_EXCEPTIONS: dict[type[Exception], str] = {
    DownloadCancelledError: "length",
    DownloadTimeoutError: "time",
    ResponseDataLossError: "disconnect",
}


class WarcWriteFailed(IgnoreRequest):
    """A response the WARC archive could not take: the page is not archived, and goes no further."""


def request_target(request: Request) -> str:
    """The request target as the HTTP/1.1 client sent it: path, params and query (absolute through a proxy)."""
    url = urldefrag(request.url)[0]
    parsed = urlparse_cached(request)
    if request.meta.get(meta.PROXY) and parsed.scheme == "http":
        return url
    return urlunparse(("", "", parsed.path or "/", parsed.params, parsed.query, ""))


def host_header(request: Request) -> bytes:
    """The `Host` value Twisted adds when the request has none (the port only when not the default)."""
    parsed = urlparse_cached(request)
    hostport = parsed.netloc.rpartition("@")[2]
    if parsed.port is not None and parsed.port == DEFAULT_PORTS.get(parsed.scheme):
        hostport = hostport.removesuffix(f":{parsed.port}")
    return hostport.encode("ascii", "replace")


def _header_list(headers: Any) -> list[Header]:
    return [(bytes(name), bytes(value)) for name, values in headers.items() for value in values]


def sent_request_headers(request: Request) -> list[Header]:
    """Request headers as sent: Scrapy's (repeated ones kept) plus those the HTTP client adds."""
    headers = [
        (name, value) for name, value in _header_list(request.headers) if name.lower() not in UNARCHIVED_REQUEST_HEADERS
    ]
    names = {name.lower() for name, _ in headers}
    if b"host" not in names:
        headers.insert(0, (b"Host", host_header(request)))
    if request.body and b"content-length" not in names:
        headers.append((b"Content-Length", str(len(request.body)).encode()))
    return headers


def _request_fields(request: Request) -> dict[str, Any]:
    """The `HttpExchange` fields of the request as Scrapy sent it."""
    return {
        "url": urldefrag(request.url)[0],
        "method": request.method,
        "request_target": request_target(request),
        "request_headers": sent_request_headers(request),
        "request_body": request.body,
    }


def exchange_from(
    request: Request, response: Response, fetched_at: datetime, wire: Wire | None = None
) -> HttpExchange:
    """The `HttpExchange` of a Scrapy request and the response its download handler returned, with the bytes of
    its wire when the tap kept them all."""
    truncated = next((TRUNCATION_FLAGS[flag] for flag in response.flags if flag in TRUNCATION_FLAGS), None)
    whole_wire = wire is not None and not wire.overflowed
    return HttpExchange(
        **_request_fields(request),
        status=response.status,
        response_headers=_header_list(response.headers),
        body=response.body,
        date=fetched_at,
        protocol=response.protocol or "HTTP/1.1",
        ip_address=str(response.ip_address) if response.ip_address is not None else None,
        truncated=truncated,
        sent=bytes(wire.sent) if whole_wire else None,
        received=bytes(wire.received) if whole_wire else None,
    )


def truncated_exchange(request: Request, wire: Wire, fetched_at: datetime, truncated: str) -> HttpExchange | None:
    """The `HttpExchange` of a download that failed after its response head came in: what the wire holds, marked
    truncated; None when no complete response head was received."""
    received = bytes(wire.received)
    response = received_response(received)
    if response is None:
        return None
    head, _ = response
    return HttpExchange(
        **_request_fields(request),
        status=int(head.get_statuscode()),
        response_headers=[(name.encode("latin-1"), value.encode("latin-1")) for name, value in head.headers],
        body=b"",
        date=fetched_at,
        protocol=head.protocol,
        ip_address=wire.peer,
        truncated=truncated,
        sent=bytes(wire.sent),
        received=received,
    )


class WarcRecorderMiddleware:
    """Downloader middleware writing each response (and its request) to the WARC archive."""

    def __init__(self, crawler: Crawler) -> None:
        settings = crawler.settings
        self.crawler = crawler
        self.warc_dir = Path(settings["WARC_DIR"])
        self.digests = DigestIndex()
        self.writer = RotatingWarcWriter(
            self.warc_dir,
            prefix=settings["WARC_PREFIX"],
            max_size=settings.getint("WARC_MAX_SIZE"),
            max_age=settings.getfloat("WARC_MAX_AGE"),
            digest=settings["WARC_DIGEST"],
            info={
                "software": SOFTWARE,
                "operator": settings["WARC_OPERATOR"],
                # the robots policy values of the WARC 1.1 annex (IIPC): `classic` obeys robots.txt
                "robots": "classic" if settings.getbool("ROBOTSTXT_OBEY") else "ignore",
                "http-header-user-agent": settings.get("USER_AGENT") or "",
            },
            digests=self.digests,
            on_close=self._index_closed_file,
        )
        seed = settings.get("WARC_DIGEST_SEED")
        self._seed = load_object(seed) if isinstance(seed, str) else seed
        self.stats = crawler.stats
        self._write_failed = False
        self._indexing: set[Deferred] = set()
        self._age_check = LoopingCall(self._rotate_if_due)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        if not crawler.settings.getbool("WARC_ENABLED"):
            raise NotConfigured
        middleware = cls(crawler)
        crawler.signals.connect(middleware.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(middleware.spider_closed, signal=signals.spider_closed)
        return middleware

    async def spider_opened(self, spider: Any) -> None:
        # the warcinfo names the job or site: known once the spider is, before the first file is opened
        site = getattr(getattr(spider, "profile", None), "name", None) or spider.name
        self.writer.info["isPartOf"] = self.crawler.settings["CRAWL_JOB"] or site
        self.writer.info["description"] = f"newsarchive crawl of {site}"
        # Files also rotate by age while the crawl is idle.
        self._age_check.start(min(60.0, self.writer.max_age), now=False)
        # Reading a large archive's indexes takes a while: in a thread, before the first request goes out.
        for path in await asyncio.to_thread(finish_abandoned, self.warc_dir):
            logger.warning("finished %s, left open by a writer that is gone", path)
        added = await asyncio.to_thread(self.digests.seed, iter_payload_digests(self.warc_dir))
        if self._seed is not None:
            added += await asyncio.to_thread(lambda: self.digests.seed(self._seed(self.crawler)))
        logger.info("WARC archive in %s: %d payload digests of earlier captures known", self.warc_dir, added)

    async def spider_closed(self) -> None:
        if self._age_check.running:
            self._age_check.stop()
        self.writer.close()
        # Scrapy waits for this before it stops the reactor: every finished file gets its index.
        await maybe_deferred_to_future(DeferredList(list(self._indexing)))

    def _rotate_if_due(self) -> None:
        self.writer.close_if_due()

    def _index_closed_file(self, path: Path) -> None:
        """Index a finished file in a thread: indexing a large file must not stall the crawl."""
        indexing = deferToThread(index_warc, path)
        self._indexing.add(indexing)

        def done(result: Any) -> None:
            self._indexing.discard(indexing)
            if isinstance(result, Failure):
                # The WARC is intact; the next run indexes it (archive.index.index_missing).
                logger.error("could not index %s", path, exc_info=failure_to_exc_info(result))

        indexing.addBoth(done)

    def process_response(self, request: Request, response: Response) -> Request | Response:
        # A redirected request carries the meta of the one before it: never let it keep that pointer.
        request.meta.pop(meta.WARC_POINTER, None)
        request.meta.pop(meta.WARC_DATE, None)
        wire = request.meta.pop(meta.WIRE, None)
        if self._recordable(request) and "cached" not in response.flags:
            exchange = exchange_from(request, response, self._fetched_at(request), wire)
            self._record(request, exchange, wire)
        return response

    def process_exception(self, request: Request, exception: Exception) -> None:
        """Archive what came in of a download that failed after its head (the failure itself goes on)."""
        request.meta.pop(meta.WARC_POINTER, None)
        request.meta.pop(meta.WARC_DATE, None)
        wire = request.meta.pop(meta.WIRE, None)
        if wire is None or not self._recordable(request):
            return
        reason = next((r for kind, r in TRUNCATION_EXCEPTIONS.items() if isinstance(exception, kind)), "unspecified")
        exchange = truncated_exchange(request, wire, self._fetched_at(request), reason)
        if exchange is not None:
            self._record(request, exchange, wire)

    def _recordable(self, request: Request) -> bool:
        """True for what the archive records (http and https); a `WarcWriteFailed` once it stopped accepting."""
        if urlparse_cached(request).scheme not in DEFAULT_PORTS:
            return False
        if self._write_failed:
            raise WarcWriteFailed(f"not archived: the WARC archive in {self.warc_dir} stopped accepting records")
        return True

    @staticmethod
    def _fetched_at(request: Request) -> datetime:
        latency = request.meta.get(meta.DOWNLOAD_LATENCY) or 0.0
        return datetime.now(UTC) - timedelta(seconds=latency)

    def _record(self, request: Request, exchange: HttpExchange, wire: Wire | None) -> None:
        """Write an exchange, point the request at its record and announce the capture."""
        if wire is not None and wire.local and "ip" not in self.writer.info:
            self.writer.info["ip"] = wire.local  # warcinfo: the crawler's address, as its connections show it
        try:
            recorded = self.writer.write_exchange(exchange)
        except OSError as exc:
            self._stop_archiving(exc)
            raise WarcWriteFailed(f"not archived: {exc}") from exc
        except Exception as exc:
            logger.exception("could not archive %s", exchange.url)
            self.stats.inc_value("warc/errors")
            raise WarcWriteFailed(f"not archived: {type(exc).__name__}: {exc}") from exc
        self._account(recorded, exchange)
        request.meta[meta.WARC_POINTER] = recorded.pointer
        request.meta[meta.WARC_DATE] = recorded.date
        capture = Capture(
            url=recorded.url,
            status=exchange.status,
            fetched_at=recorded.date,
            warc=recorded.pointer,
            record_type=recorded.record_type,
            content_type=_header(exchange, b"content-type"),
            etag=_header(exchange, b"etag"),
            last_modified=_header(exchange, b"last-modified"),
            truncated=exchange.truncated,
        )
        self.crawler.signals.send_catch_log(signal=newsarchive_signals.capture_recorded, capture=capture)

    def _stop_archiving(self, exc: OSError) -> None:
        """The archive cannot be written (the disk full): accept no more records and close the spider."""
        logger.error("cannot write the WARC archive in %s (%s): stopping the crawl", self.warc_dir, exc)
        self.stats.inc_value("warc/errors")
        if not self._write_failed:
            self._write_failed = True
            deferred_from_coro(self.crawler.engine.close_spider_async(reason="warc_write_failed"))

    def _account(self, recorded: RecordedExchange, exchange: HttpExchange) -> None:
        self.stats.inc_value(f"warc/{recorded.record_type}_records")
        self.stats.inc_value("warc/payload_bytes", len(exchange.body))
        if exchange.truncated:
            self.stats.inc_value(f"warc/truncated_records/{exchange.truncated}")

    def write_metadata(self, about: str, refers_to: str, payload: bytes, content_type: str) -> WarcPointer:
        """Archive derived data (e.g. an extracted article as JSON) about the record `refers_to` of `about`."""
        if self._write_failed:
            raise OSError(f"the WARC archive in {self.warc_dir} stopped accepting records")
        try:
            pointer = self.writer.write_metadata(about, refers_to, payload, content_type)
        except OSError as exc:
            self._stop_archiving(exc)
            raise
        self.stats.inc_value("warc/metadata_records")
        return pointer


def _header(exchange: HttpExchange, lowercase_name: bytes) -> str | None:
    """The first value of a response header of the exchange."""
    value = next((value for name, value in exchange.response_headers if name.lower() == lowercase_name), None)
    return value.decode("latin-1") if value else None


def payload_digests_of(crawler: Crawler) -> Iterator[tuple[str, str, datetime, str]]:
    """The payload digests archived in the crawl's SQL store (`DATABASE_URL`): a `WARC_DIGEST_SEED` for the
    WARC recorder, so revisits also refer to captures whose WARC folder is elsewhere (another worker's disk)."""
    store = ArchiveStore(crawler.settings["DATABASE_URL"])
    try:
        yield from store.iter_payload_digests()
    finally:
        store.close()
