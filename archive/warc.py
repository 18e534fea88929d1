"""WARC/1.1 writing the way archival crawlers (Heritrix, warcprox, browsertrix) do it. Pure: no Scrapy.

`RotatingWarcWriter` turns an `HttpExchange` (one request as sent and its response as received) into a
`response` record followed by its `request` record, or into a `revisit` record when the payload was archived
before (`archive.digests.DigestIndex`) or the server answered 304, and writes `metadata` records about them.
When the exchange carries the bytes that crossed the connection (`sent`, `received`), the blocks are those bytes:
the status line with the server's reason phrase, the headers in their order, case and repetition, the body with
its content and transfer codings (chunk framing and extensions kept); only interim 1xx responses before the final
one and `Proxy-Authorization` request lines are left out. Without them (a response from another download handler)
the blocks are rebuilt from the parsed message, consistent with the body as stored. Files (named and finished by
the rules of `archive.warcfiles`) open with a `warcinfo` record, hold one gzip member per record, and rotate by
size and by age. Every exchange is compressed in memory and written with a single write and flush, so a killed
process leaves every completed record readable. Reading back is `archive.warcread` (one record) and
`archive.revisits` (the message as captured).
"""

from __future__ import annotations

import contextlib
import io
import os
import socket
import time
import zlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from http import HTTPStatus
from pathlib import Path

from warcio.recordloader import ArcWarcRecord
from warcio.statusandheaders import StatusAndHeaders, StatusAndHeadersParser
from warcio.utils import Digester
from warcio.warcwriter import WARCWriter

from archive.digests import DIGEST_ALGORITHMS, DigestIndex, payload_digest
from archive.records import WarcPointer
from archive.warcdates import as_utc, warc_date
from archive.warcfiles import OPEN_SUFFIX, warc_file_name

WARC_VERSION = "WARC/1.1"
CONFORMS_TO = "http://iipc.github.io/warc-specifications/specifications/warc-format/warc-1.1/"
IDENTICAL_PAYLOAD_PROFILE = "http://netpreserve.org/warc/1.1/revisit/identical-payload-digest"
SERVER_NOT_MODIFIED_PROFILE = "http://netpreserve.org/warc/1.1/revisit/server-not-modified"
# The target of a metadata record about a URL: a URN of ours, like browsertrix's `urn:pageinfo:<url>`, so that
# no replay tool or indexer takes the extracted record for the page (ARCHITECTURE.md, "WARC rules").
METADATA_URI_PREFIX = "urn:newsarchive:metadata:"
GZIP_LEVEL = 6
# Payloads that deflate cannot shrink: a body the server compressed (Content-Encoding) and media types compressed
# by their own format. Deflate runs as slowly on them at any level (~35-45 MB/s here, against ~1.3 GB/s for stored
# blocks) to save 0-2 % of their bytes, so their records are gzip members of stored blocks (level 0): still
# one standard gzip member per record, read by every WARC tool. PNG and GIF stay deflated: their own compression
# is weaker, deflate still takes a few per cent off them.
STORED_LEVEL = 0
COMPRESSED_MEDIA_TYPES = frozenset(
    {"image/jpeg", "image/pjpeg", "image/webp", "image/avif", "image/heic", "font/woff", "font/woff2",
     "application/font-woff", "application/zip", "application/gzip", "application/x-gzip", "application/zstd",
     "application/x-7z-compressed", "application/x-rar-compressed"}
)  # fmt: skip
COMPRESSED_MEDIA_PREFIXES = ("video/", "audio/")

Header = tuple[bytes, bytes]


@dataclass(frozen=True)
class HttpExchange:
    """One HTTP request as it was sent and the response as it was received.

    `sent` and `received`, when known, are the bytes written and read on the connection (HTTP/1.x, after TLS):
    the records are made of them, and the parsed fields below serve only the record's bookkeeping. Otherwise the
    records are rebuilt from the parsed fields: `body` is the entity body after transfer decoding (de-chunked),
    still content-encoded (as the server sent it) unless `body_decoded` says a decoder already ran, in which case
    `Content-Encoding` is dropped from the archived headers so that replay serves the bytes correctly. `protocol`
    is the response's (`HTTP/1.0`, `HTTP/1.1`, or `h2`: written in HTTP/1.1 syntax with a `WARC-Protocol`
    header); `request_protocol` the request line's (Twisted's client always sends HTTP/1.1). `truncated` is the
    `WARC-Truncated` reason (`length`, `time`, `disconnect`, `unspecified`) when the response was not received
    whole.
    """

    url: str
    method: str
    request_target: str
    request_headers: Sequence[Header]
    status: int
    response_headers: Sequence[Header]
    body: bytes
    date: datetime
    request_body: bytes = b""
    reason: str = ""
    protocol: str = "HTTP/1.1"
    request_protocol: str = "HTTP/1.1"
    ip_address: str | None = None
    body_decoded: bool = False
    truncated: str | None = None
    sent: bytes | None = None
    received: bytes | None = None


@dataclass(frozen=True)
class RecordedExchange:
    """What `RotatingWarcWriter.write_exchange` wrote: the pointer is the response (or revisit) record's."""

    url: str
    pointer: WarcPointer
    record_type: str
    date: datetime
    request_record_id: str


class _RawHeaders(StatusAndHeaders):
    """HTTP headers serialised byte for byte (latin-1 round trip) instead of warcio's %-encoding of non-ASCII."""

    def to_ascii_bytes(self, filter_func=None) -> bytes:
        return self.to_str(filter_func).encode("latin-1") + b"\r\n"


class _ReceivedHead(StatusAndHeaders):
    """An HTTP head written as the bytes that crossed the connection (warcio re-serialises parsed headers)."""

    def __init__(self, raw: bytes, parsed: StatusAndHeaders) -> None:
        super().__init__(parsed.statusline, parsed.headers, parsed.protocol, total_len=len(raw))
        self.headers_buff = raw

    def compute_headers_buffer(self, header_filter=None) -> None:
        """Keep the bytes as received."""


_HEAD_PARSER = StatusAndHeadersParser([], verify=False)
_HEAD_ENDINGS = (b"\n\n", b"\n\r\n")
UNARCHIVED_REQUEST_HEADERS = (b"proxy-authorization:",)  # credentials for a proxy, never seen by the origin


def _parse_head(raw: bytes, start: int = 0) -> tuple[StatusAndHeaders, int] | None:
    """The HTTP head starting at `start` of `raw`, parsed as replay tools read it, and where it ends; None when
    the head is not complete."""
    stream = io.BytesIO(raw)
    stream.seek(start)
    try:
        parsed = _HEAD_PARSER.parse(stream)
    except EOFError:
        return None
    end = stream.tell()
    return (parsed, end) if raw[start:end].endswith(_HEAD_ENDINGS) else None


def received_response(raw: bytes) -> tuple[StatusAndHeaders, bytes] | None:
    """The head (as received) and the body (transfer coding kept) of the final response in `raw`; interim 1xx
    responses before it (100 Continue, 103 Early Hints) are left out. None when no complete head was received."""
    start = 0
    while (head := _parse_head(raw, start)) is not None:
        parsed, end = head
        code = parsed.get_statuscode()
        if not (len(code) == 3 and code.startswith("1")):
            return _ReceivedHead(raw[start:end], parsed), raw[end:]
        start = end
    return None


def sent_request(raw: bytes) -> tuple[StatusAndHeaders, bytes] | None:
    """The head and body of the request written in `raw`, without `Proxy-Authorization` lines; None when the
    head is not complete."""
    head = _parse_head(raw)
    if head is None:
        return None
    parsed, end = head
    lines = raw[:end].split(b"\n")
    kept = [line for line in lines if not line.lower().startswith(UNARCHIVED_REQUEST_HEADERS)]
    if len(kept) < len(lines):
        parsed = _HEAD_PARSER.parse(io.BytesIO(b"\n".join(kept)))
    return _ReceivedHead(b"\n".join(kept), parsed), raw[end:]


class _DigestingWriter(WARCWriter):
    """warcio's record serialisation (uncompressed: `_append` compresses) with a choice of digest algorithm
    (warcio hard-codes sha1)."""

    def __init__(self, out: io.BufferedIOBase, algorithm: str) -> None:
        super().__init__(out, gzip=False, warc_version=WARC_VERSION)
        self._algorithm = algorithm

    def _create_digester(self) -> Digester:
        return Digester(self._algorithm)


def metadata_uri(url: str) -> str:
    """The WARC-Target-URI of a metadata record about `url`."""
    return METADATA_URI_PREFIX + url


def status_line(status: int, reason: str = "") -> str:
    """`200 OK`; the standard reason phrase when the real one is not known."""
    if not reason:
        try:
            reason = HTTPStatus(status).phrase
        except ValueError:
            reason = ""
    return f"{status} {reason}"


def _has_no_body(method: str, status: int) -> bool:
    return method.upper() == "HEAD" or status < 200 or status in (204, 304)


def consistent_response_headers(
    headers: Sequence[Header], body_length: int, *, method: str, status: int, body_decoded: bool
) -> list[Header]:
    """Response headers of a rebuilt response record, made consistent with the body as archived.

    The body is stored de-chunked, so `Transfer-Encoding` goes; a decoded body loses `Content-Encoding`;
    `Content-Length` states the stored length (except for answers that carry no body, where it describes the
    entity the server would have sent).
    """
    dropped = {b"transfer-encoding"}
    if body_decoded:
        dropped.add(b"content-encoding")
    keep_length = _has_no_body(method, status)
    result: list[Header] = []
    length_written = False
    for name, value in headers:
        lowered = name.lower()
        if lowered in dropped:
            continue
        if lowered == b"content-length" and not keep_length:
            if length_written:
                continue
            value = str(body_length).encode()
            length_written = True
        result.append((name, value))
    if not keep_length and not length_written:
        result.append((b"Content-Length", str(body_length).encode()))
    return result


def _str_headers(headers: Sequence[Header]) -> list[tuple[str, str]]:
    return [(name.decode("latin-1"), value.decode("latin-1")) for name, value in headers]


def _exchange_headers(exchange: HttpExchange, protocol: str) -> dict[str, str | None]:
    """The WARC headers describing an exchange: IP address, the protocol when not HTTP/1.x, truncation."""
    return {
        "WARC-IP-Address": exchange.ip_address,
        "WARC-Protocol": None if exchange.protocol == protocol else exchange.protocol.lower(),
        "WARC-Truncated": exchange.truncated,
    }


def _response_message(exchange: HttpExchange) -> tuple[StatusAndHeaders, bytes, dict[str, str | None]]:
    """The response as archived: its head, its payload (the message body after the head) and the WARC headers
    describing the exchange. The bytes received when known, else rebuilt in HTTP/1.x syntax with headers made
    consistent with the body as stored."""
    if exchange.received is not None and (received := received_response(exchange.received)) is not None:
        head, payload = received
        return head, payload, _exchange_headers(exchange, exchange.protocol)
    response_headers = consistent_response_headers(
        exchange.response_headers,
        len(exchange.body),
        method=exchange.method,
        status=exchange.status,
        body_decoded=exchange.body_decoded,
    )
    http_protocol = exchange.protocol if exchange.protocol.startswith("HTTP/1.") else "HTTP/1.1"
    http_response = _RawHeaders(
        status_line(exchange.status, exchange.reason), _str_headers(response_headers), protocol=http_protocol
    )
    return http_response, exchange.body, _exchange_headers(exchange, http_protocol)


def _request_message(exchange: HttpExchange) -> tuple[StatusAndHeaders, bytes]:
    """The request as archived: the bytes written when known, else rebuilt from the parsed request."""
    if exchange.sent is not None and (sent := sent_request(exchange.sent)) is not None:
        return sent
    head = _RawHeaders(
        f"{exchange.request_target or '/'} {exchange.request_protocol}",
        _str_headers(exchange.request_headers),
        protocol=exchange.method.upper(),
    )
    return head, exchange.request_body


def gzip_level(record: ArcWarcRecord) -> int:
    """The deflate level of a record's gzip member: `STORED_LEVEL` for an HTTP response whose body is already
    compressed (content-coded, or of a compressed media type), `GZIP_LEVEL` for everything else."""
    if record.rec_type != "response" or record.http_headers is None:
        return GZIP_LEVEL
    coding = (record.http_headers.get_header("Content-Encoding") or "").strip().lower()
    if coding not in ("", "identity"):
        return STORED_LEVEL
    media_type = (record.http_headers.get_header("Content-Type") or "").split(";")[0].strip().lower()
    if media_type in COMPRESSED_MEDIA_TYPES or media_type.startswith(COMPRESSED_MEDIA_PREFIXES):
        return STORED_LEVEL
    return GZIP_LEVEL


class RotatingWarcWriter:
    """Writes exchanges and metadata into `.warc.gz.open` files of `directory`, rotating by size and age.

    `on_close(path)` is called with each finished file after its rename (for example to index it).
    `revisit_min_size`: payloads shorter than this are always stored in full (a revisit of an empty body
    saves nothing and would tie unrelated redirects together).
    """

    def __init__(
        self,
        directory: str | os.PathLike[str],
        *,
        prefix: str = "newsarchive",
        max_size: int = 1_000_000_000,
        max_age: float = 24 * 3600,
        digest: str = "sha1",
        info: Mapping[str, str] | None = None,
        digests: DigestIndex | None = None,
        revisit_min_size: int = 1,
        on_close: Callable[[Path], None] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if digest not in DIGEST_ALGORITHMS:
            raise ValueError(f"WARC digest must be one of {', '.join(DIGEST_ALGORITHMS)}, not {digest!r}")
        if max_size <= 0 or max_age <= 0:
            raise ValueError("WARC max size and max age must be positive")
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self.prefix = prefix
        self.max_size = max_size
        self.max_age = max_age
        self.digest = digest
        self.info = dict(info or {})
        self.digests = digests
        self.revisit_min_size = revisit_min_size
        self.on_close = on_close
        self._clock = clock
        self._serial = 0
        self._file: io.FileIO | None = None
        self._path: Path | None = None
        self._opened_at = 0.0
        self._warcinfo_id = ""
        self._builder = _DigestingWriter(io.BytesIO(), digest)

    # --- files ------------------------------------------------------------------------------------------------

    @property
    def current_path(self) -> Path | None:
        """The `.open` file being written, if any."""
        return self._path

    def _final_name(self) -> str:
        assert self._path is not None
        return self._path.name.removesuffix(OPEN_SUFFIX)

    def _open(self) -> None:
        while self._file is None:
            name = warc_file_name(self.prefix, datetime.now(UTC), self._serial)
            self._serial += 1
            path = self.directory / (name + OPEN_SUFFIX)
            # Two writers of one process (two crawlers) may start in the same millisecond: next serial then.
            with contextlib.suppress(FileExistsError):
                # unbuffered: after a failed write nothing waits in a buffer to be written later (see _append)
                self._file = open(path, "xb", buffering=0)  # noqa: SIM115 (lives until rotation)
        self._path = path
        self._opened_at = self._clock()
        record = self._builder.create_warcinfo_record(name, self._warcinfo_fields())
        self._warcinfo_id = record.rec_headers.get_header("WARC-Record-ID")
        self._append([record])

    def _warcinfo_fields(self) -> dict[str, str]:
        fields = {
            "software": self.info.get("software", "newsarchive"),
            "format": "WARC File Format 1.1",
            "conformsTo": CONFORMS_TO,
            "hostname": socket.gethostname(),
        }
        fields.update({key: value for key, value in self.info.items() if value})
        return fields

    def close_if_due(self) -> bool:
        """Close the current file if it reached the size or age limit (rotation); True if it did."""
        if self._file is not None and (
            self._file.tell() >= self.max_size or self._clock() - self._opened_at >= self.max_age
        ):
            self.close()
            return True
        return False

    def _ensure_file(self) -> None:
        self.close_if_due()
        if self._file is None:
            self._open()

    def close(self) -> None:
        """Finish the current file: flush, fsync, rename `.open` away, then call `on_close`."""
        if self._file is None or self._path is None:
            return
        self._file.flush()
        os.fsync(self._file.fileno())
        self._file.close()
        final = self._path.with_name(self._final_name())
        os.replace(self._path, final)
        self._file = None
        self._path = None
        if self.on_close is not None:
            self.on_close(final)

    # --- records ----------------------------------------------------------------------------------------------

    def _append(self, records: list[ArcWarcRecord]) -> list[tuple[int, int]]:
        """Write records as one gzip member each in a single write; returns (offset, length) of each."""
        assert self._file is not None
        members = []
        for record in records:
            self._builder.out = io.BytesIO()
            self._builder.write_record(record)
            # Compressed here rather than by warcio, which hard-codes level 9: level 6 is ~1.6x faster on HTML
            # for 0.1 % more bytes.
            member = zlib.compressobj(gzip_level(record), zlib.DEFLATED, zlib.MAX_WBITS | 16)
            members.append(member.compress(self._builder.out.getvalue()) + member.flush())
        spans = []
        offset = self._file.tell()
        for member in members:
            spans.append((offset, len(member)))
            offset += len(member)
        start = self._file.tell()
        try:
            data = memoryview(b"".join(members))
            while data:
                data = data[self._file.write(data) :]
        except OSError:
            self._cut_and_close(start)
            raise
        return spans

    def _cut_and_close(self, end: int) -> None:
        """After a failed write (the disk full): cut the file back to its last whole record and finish it, so that
        it stays a valid WARC file and no record points into a partial one; the next write opens a new file."""
        assert self._file is not None
        with contextlib.suppress(OSError):
            os.ftruncate(self._file.fileno(), end)
        try:
            self.close()
        except OSError:  # left as `.open`: the next run finishes it (archive.warcfiles.finish_abandoned)
            self._file.close()
            self._file = self._path = None

    def _pointer(self, record: ArcWarcRecord, span: tuple[int, int], payload_digest: str | None) -> WarcPointer:
        """The pointer to a record of the current file that `_append` wrote at `span`."""
        offset, length = span
        return WarcPointer(
            file=self._final_name(),
            offset=offset,
            length=length,
            record_id=record.rec_headers.get_header("WARC-Record-ID"),
            payload_digest=payload_digest,
        )

    def _warc_headers(self, record_type: str, uri: str, date: str, extra: Mapping[str, str | None]) -> dict[str, str]:
        headers = {
            "WARC-Type": record_type,
            "WARC-Record-ID": StatusAndHeadersParser.make_warc_id(),
            "WARC-Date": date,
            "WARC-Target-URI": uri,
            "WARC-Warcinfo-ID": self._warcinfo_id,
        }
        headers.update({name: value for name, value in extra.items() if value})
        return headers

    def _record(
        self,
        record_type: str,
        uri: str,
        payload: bytes,
        warc_headers: dict[str, str],
        *,
        http_headers: StatusAndHeaders | None = None,
        content_type: str = "",
    ) -> ArcWarcRecord:
        """A record holding `payload` (after `http_headers`, for an HTTP record)."""
        return self._builder.create_warc_record(
            uri,
            record_type,
            payload=io.BytesIO(payload),
            length=len(payload),
            warc_content_type=content_type,
            warc_headers_dict=warc_headers,
            http_headers=http_headers,
        )

    def write_exchange(self, exchange: HttpExchange) -> RecordedExchange:
        """Archive a response (or revisit) record and its request record; returns the response's pointer."""
        self._ensure_file()
        date = warc_date(exchange.date)
        head, payload, extra = _response_message(exchange)
        # the digest of the message body as archived: warcio's and FastWARC's (ARCHITECTURE.md, "WARC rules")
        digest = payload_digest(payload, self.digest)
        response = self._response_record(exchange, date, (head, payload, extra), digest)
        response_id = response.rec_headers.get_header("WARC-Record-ID")
        request = self._request_record(exchange, date, response_id)
        span, _ = self._append([response, request])
        # a 304 carries no payload of its own: its digest is the revisited response's, if that is known
        own_digest = None if exchange.status == 304 else digest
        pointer = self._pointer(response, span, response.rec_headers.get_header("WARC-Payload-Digest") or own_digest)
        # a truncated payload is no original to revisit: the next full one is stored in full
        if response.rec_type == "response" and self.digests is not None and not exchange.truncated:
            self.digests.add(digest, exchange.url, exchange.date, response_id, pointer.file)
        return RecordedExchange(
            url=exchange.url,
            pointer=pointer,
            record_type=response.rec_type,
            date=as_utc(exchange.date),
            request_record_id=request.rec_headers.get_header("WARC-Record-ID"),
        )

    def _response_record(
        self,
        exchange: HttpExchange,
        date: str,
        message: tuple[StatusAndHeaders, bytes, dict[str, str | None]],
        digest: str,
    ) -> ArcWarcRecord:
        """The response record of an exchange, or a revisit: of the URI's latest capture for a 304, of the first
        capture of the same payload when there is one (and the payload is large enough to be worth it; never for
        a truncated response)."""
        http_response, payload, extra = message
        if exchange.status == 304:
            return self._not_modified_revisit(
                exchange, http_response, self._warc_headers("revisit", exchange.url, date, extra)
            )
        original = self.digests.get(digest) if self.digests is not None else None
        if original is not None and len(payload) >= self.revisit_min_size and not exchange.truncated:
            response = self._builder.create_revisit_record(
                exchange.url,
                digest,
                original.uri,
                warc_date(original.date),
                http_headers=http_response,
                warc_headers_dict=self._warc_headers("revisit", exchange.url, date, extra),
            )
            response.rec_headers.add_header("WARC-Refers-To", original.record_id)
            return response
        # the digest is given, so that warcio does not hash the payload a second time
        warc_headers = self._warc_headers("response", exchange.url, date, {**extra, "WARC-Payload-Digest": digest})
        return self._record("response", exchange.url, payload, warc_headers, http_headers=http_response)

    def _not_modified_revisit(
        self, exchange: HttpExchange, http_response: StatusAndHeaders, warc_headers: dict[str, str]
    ) -> ArcWarcRecord:
        """A `server-not-modified` revisit, referring to the latest archived response of the URI if known.

        It carries that response's payload digest as its own `WARC-Payload-Digest`: replay tools (pywb) resolve a
        revisit through its digest, and without one they replay it empty.
        """
        response = self._builder.create_warc_record(
            exchange.url, "revisit", http_headers=http_response, warc_headers_dict=warc_headers
        )
        response.rec_headers.add_header("WARC-Profile", SERVER_NOT_MODIFIED_PROFILE)
        previous = self.digests.latest(exchange.url) if self.digests is not None else None
        if previous is not None:
            response.rec_headers.add_header("WARC-Refers-To-Target-URI", previous.uri)
            response.rec_headers.add_header("WARC-Refers-To-Date", warc_date(previous.date))
            response.rec_headers.add_header("WARC-Refers-To", previous.record_id)
            if previous.digest:
                response.rec_headers.add_header("WARC-Payload-Digest", previous.digest)
        return response

    def _request_record(self, exchange: HttpExchange, date: str, response_id: str) -> ArcWarcRecord:
        """The request record of an exchange, concurrent to its response (or revisit) record."""
        warc_headers = self._warc_headers(
            "request", exchange.url, date, {"WARC-Concurrent-To": response_id, "WARC-IP-Address": exchange.ip_address}
        )
        http_request, body = _request_message(exchange)
        return self._record("request", exchange.url, body, warc_headers, http_headers=http_request)

    def write_metadata(
        self, about: str, refers_to: str, payload: bytes, content_type: str = "application/json"
    ) -> WarcPointer:
        """Archive derived data about the record `refers_to` (of the URL `about`) as a `metadata` record.

        Its target is `metadata_uri(about)`, never `about` itself: replay tools and CDX indexers key records by
        their target, and derived data under the page's own URL would be served in place of the page.
        """
        self._ensure_file()
        target_uri = metadata_uri(about)
        warc_headers = self._warc_headers(
            "metadata", target_uri, warc_date(datetime.now(UTC)), {"WARC-Refers-To": refers_to}
        )
        record = self._record("metadata", target_uri, payload, warc_headers, content_type=content_type)
        [span] = self._append([record])
        return self._pointer(record, span, record.rec_headers.get_header("WARC-Payload-Digest"))
