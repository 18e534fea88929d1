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
`archive.warc.RotatingWarcWriter` in one writer thread (records built, digested and compressed there, in the order
they were handed over: the reactor thread only waits for it, and the response goes on once its records are on
disk); the `WarcPointer` of the response (or revisit) record goes in `request.meta["warc"]` and
`capture_recorded` is sent. The item pipeline `pipelines.warcmeta` finds this middleware with
`crawler.get_downloader_middleware` to write its metadata records into the same files, through the same thread.
Revisits are found in the folder's on-disk `archive.digests.DigestIndex` (brought up to date with the CDXJ
indexes of files finished since the last run, in a thread before the first request).

Settings: `WARC_DIR`, `WARC_PREFIX`, `WARC_MAX_SIZE`, `WARC_MAX_AGE`, `WARC_DIGEST`, `WARC_OPERATOR`, and
`WARC_DIGEST_LOOKUP`: an optional callable (or its import path) `(crawler) -> archive.digests.PayloadLookup` of
payloads archived elsewhere, asked when the folder's index does not know a digest
(`crawler.recorder.archived_payloads_of`: the SQL store's captures).
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor, wait
from datetime import UTC, datetime, timedelta
from importlib.metadata import version
from pathlib import Path
from typing import Any, Self, TypeVar
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
from scrapy.utils.defer import deferred_from_coro
from scrapy.utils.httpobj import urlparse_cached
from scrapy.utils.misc import load_object
from twisted.internet.task import LoopingCall

import crawler.signals as newsarchive_signals
from archive import __version__
from archive.digests import ArchivedPayload, DigestIndex, PayloadLookup
from archive.index import index_warc
from archive.records import Capture, WarcPointer
from archive.store import ArchiveStore
from archive.warc import Header, HttpExchange, RecordedExchange, RotatingWarcWriter, received_response
from archive.warcdates import as_utc
from archive.warcfiles import finish_abandoned
from crawler import meta
from crawler.urls import DEFAULT_PORTS
from crawler.wiretap import Wire

logger = logging.getLogger(__name__)
T = TypeVar("T")

# warcinfo `software`: ours and what shapes the records (WARC 1.1 annex: name/version).
SOFTWARE = (
    f"newsarchive/{__version__} (Scrapy/{version('scrapy')}, warcio/{version('warcio')}, "
    f"trafilatura/{version('trafilatura')})"
)
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


class ArchiveStopped(OSError):
    """A write refused because an earlier one failed: the archive accepts no more records."""


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
        self.digests: DigestIndex | None = None  # the folder's, opened with the spider
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
            on_close=self._index_closed_file,
        )
        lookup = settings.get("WARC_DIGEST_LOOKUP")
        self._lookup: Callable[[Crawler], PayloadLookup] | None = (
            load_object(lookup) if isinstance(lookup, str) else lookup
        )
        self._fallbacks: list[PayloadLookup] = []
        self.stats = crawler.stats
        # One thread builds, compresses and writes every record, in the order handed over (the reactor thread only
        # waits); another indexes finished files. `_write_failed` is set by the writer thread.
        self._writer_thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="warc-writer")
        self._index_thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="warc-index")
        self._write_failed = False
        self._stopping = False
        self._indexing: list[Future[None]] = []
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
        # Reading the indexes of files finished since the last run takes a while: in a thread, before the first
        # request goes out.
        for path in await asyncio.to_thread(finish_abandoned, self.warc_dir):
            logger.warning("finished %s, left open by a writer that is gone", path)
        if self._lookup is not None:
            self._fallbacks = [await asyncio.to_thread(self._lookup, self.crawler)]
        self.digests = await asyncio.to_thread(self._open_digest_index)
        self.writer.digests = self.digests
        known = await asyncio.to_thread(len, self.digests)
        logger.info("WARC archive in %s: %d payload digests of earlier captures known", self.warc_dir, known)

    def _open_digest_index(self) -> DigestIndex:
        try:
            return DigestIndex.for_folder(self.warc_dir, self._fallbacks)
        except (OSError, sqlite3.Error) as exc:
            logger.error("cannot keep the revisit index in %s (%s): revisits of this run's records only",
                         self.warc_dir, exc)
            return DigestIndex(fallbacks=self._fallbacks)

    async def spider_closed(self) -> None:
        if self._age_check.running:
            self._age_check.stop()
        try:
            await self._in_writer_thread(self.writer.close)  # after every record handed over before
        finally:
            # Scrapy waits for this before it stops the reactor: every finished file gets its index.
            await asyncio.to_thread(wait, self._indexing)
            self._writer_thread.shutdown()
            self._index_thread.shutdown()
            for lookup in (self.digests, *self._fallbacks):
                if lookup is not None:
                    lookup.close()

    async def _in_writer_thread(self, function: Callable[..., T], *args: Any) -> T:
        return await asyncio.wrap_future(self._writer_thread.submit(function, *args))

    def _rotate_if_due(self) -> None:
        self._writer_thread.submit(self.writer.close_if_due).add_done_callback(self._log_rotation_failure)

    def _log_rotation_failure(self, rotation: Future[bool]) -> None:
        if (error := rotation.exception()) is not None:
            logger.error("could not finish the WARC file %s", self.writer.current_path, exc_info=error)

    def _index_closed_file(self, path: Path) -> None:
        """(writer thread) Index a finished file in a thread of its own: indexing a large file must not stall the
        writing."""
        self._indexing = [indexing for indexing in self._indexing if not indexing.done()]
        self._indexing.append(self._index_thread.submit(self._index, path))

    @staticmethod
    def _index(path: Path) -> None:
        try:
            index_warc(path)
        except OSError as exc:  # a full disk: one line, not a traceback
            logger.error("could not index %s: %s; the next run indexes it", path, exc)
        except Exception:
            # The WARC is intact; the next run indexes it (archive.index.index_missing).
            logger.exception("could not index %s", path)

    async def process_response(self, request: Request, response: Response) -> Request | Response:
        # A redirected request carries the meta of the one before it: never let it keep that pointer.
        request.meta.pop(meta.WARC_POINTER, None)
        request.meta.pop(meta.WARC_DATE, None)
        wire = request.meta.pop(meta.WIRE, None)
        if self._recordable(request) and "cached" not in response.flags:
            exchange = exchange_from(request, response, self._fetched_at(request), wire)
            await self._record(request, exchange, wire)
        return response

    async def process_exception(self, request: Request, exception: Exception) -> None:
        """Archive what came in of a download that failed after its head (the failure itself goes on)."""
        request.meta.pop(meta.WARC_POINTER, None)
        request.meta.pop(meta.WARC_DATE, None)
        wire = request.meta.pop(meta.WIRE, None)
        if wire is None or not self._recordable(request):
            return
        reason = next((r for kind, r in TRUNCATION_EXCEPTIONS.items() if isinstance(exception, kind)), "unspecified")
        exchange = truncated_exchange(request, wire, self._fetched_at(request), reason)
        if exchange is not None:
            await self._record(request, exchange, wire)

    def _recordable(self, request: Request) -> bool:
        """True for what the archive records (http and https); a `WarcWriteFailed` once it stopped accepting."""
        if urlparse_cached(request).scheme not in DEFAULT_PORTS:
            return False
        if self._write_failed:
            raise WarcWriteFailed(f"not archived: {self._stopped()}")
        return True

    def _stopped(self) -> str:
        return f"the WARC archive in {self.warc_dir} stopped accepting records"

    @staticmethod
    def _fetched_at(request: Request) -> datetime:
        latency = request.meta.get(meta.DOWNLOAD_LATENCY) or 0.0
        return datetime.now(UTC) - timedelta(seconds=latency)

    def _write(self, write: Callable[..., T], *args: Any) -> T:
        """(writer thread) One write; refused once a write failed."""
        if self._write_failed:
            raise ArchiveStopped(self._stopped())
        try:
            return write(*args)
        except OSError:
            self._write_failed = True
            raise

    def _write_exchange(self, exchange: HttpExchange, local_address: str | None) -> RecordedExchange:
        """(writer thread)"""
        if local_address and "ip" not in self.writer.info:
            self.writer.info["ip"] = local_address  # warcinfo: the crawler's address, as its connections show it
        return self._write(self.writer.write_exchange, exchange)

    async def _record(self, request: Request, exchange: HttpExchange, wire: Wire | None) -> None:
        """Write an exchange, point the request at its record and announce the capture."""
        try:
            recorded = await self._in_writer_thread(self._write_exchange, exchange, wire.local if wire else None)
        except ArchiveStopped as exc:
            raise WarcWriteFailed(f"not archived: {exc}") from exc
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
        """The archive cannot be written (the disk full): it accepts no more records; close the spider."""
        logger.error("cannot write the WARC archive in %s (%s): stopping the crawl", self.warc_dir, exc)
        self.stats.inc_value("warc/errors")
        if not self._stopping:
            self._stopping = True
            deferred_from_coro(self.crawler.engine.close_spider_async(reason="warc_write_failed"))

    def _account(self, recorded: RecordedExchange, exchange: HttpExchange) -> None:
        self.stats.inc_value(f"warc/{recorded.record_type}_records")
        self.stats.inc_value("warc/payload_bytes", len(exchange.body))
        if exchange.truncated:
            self.stats.inc_value(f"warc/truncated_records/{exchange.truncated}")

    async def write_metadata(self, about: str, refers_to: str, payload: bytes, content_type: str) -> WarcPointer:
        """Archive derived data (e.g. an extracted article as JSON) about the record `refers_to` of `about`."""
        try:
            pointer = await self._in_writer_thread(
                self._write, self.writer.write_metadata, about, refers_to, payload, content_type
            )
        except ArchiveStopped:
            raise
        except OSError as exc:
            self._stop_archiving(exc)
            raise
        self.stats.inc_value("warc/metadata_records")
        return pointer


def _header(exchange: HttpExchange, lowercase_name: bytes) -> str | None:
    """The first value of a response header of the exchange."""
    value = next((value for name, value in exchange.response_headers if name.lower() == lowercase_name), None)
    return value.decode("latin-1") if value else None


class StorePayloads:
    """The SQL store's captures as a `PayloadLookup` for the revisit index."""

    def __init__(self, store: ArchiveStore) -> None:
        self.store = store

    def get(self, digest: str) -> ArchivedPayload | None:
        found = self.store.first_payload(digest)
        if found is None:
            return None
        uri, date, record_id = found
        return ArchivedPayload(uri, as_utc(date), record_id, digest)

    def latest(self, uri: str) -> ArchivedPayload | None:
        found = self.store.latest_response(uri)
        if found is None:
            return None
        date, record_id, digest = found
        return ArchivedPayload(uri, as_utc(date), record_id, digest)

    def close(self) -> None:
        self.store.close()


def archived_payloads_of(crawler: Crawler) -> StorePayloads:
    """The payloads archived in the crawl's SQL store (`DATABASE_URL`): a `WARC_DIGEST_LOOKUP` for the WARC
    recorder, so revisits also refer to captures whose WARC folder is elsewhere (another worker's disk)."""
    return StorePayloads(ArchiveStore(crawler.settings["DATABASE_URL"]))
