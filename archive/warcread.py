"""Reading one WARC record back from the pointer the writer returned: its headers, block and HTTP payload, and
that payload decoded for reading (transfer and content codings undone)."""

from __future__ import annotations

import io
import os
import zlib
from dataclasses import dataclass

from warcio.archiveiterator import ArchiveIterator
from warcio.statusandheaders import StatusAndHeaders, StatusAndHeadersParser

from archive.locations import WarcLocations
from archive.records import WarcPointer


@dataclass(frozen=True)
class StoredRecord:
    """One record read back: its WARC headers, its block as stored, and for HTTP records the parsed head and the
    payload after it (still content-encoded, as received)."""

    record_type: str
    warc_headers: StatusAndHeaders
    block: bytes
    http_headers: StatusAndHeaders | None
    payload: bytes

    @property
    def record_id(self) -> str:
        return self.warc_headers.get_header("WARC-Record-ID")


def load_record(where: WarcLocations | str | os.PathLike[str], pointer: WarcPointer) -> StoredRecord:
    """Read the record a pointer designates (`where`: the archive's locations, or one WARC folder)."""
    data = WarcLocations.of(where).read(pointer.file, pointer.offset, pointer.length)
    for record in ArchiveIterator(io.BytesIO(data), no_record_parse=True):
        block = record.raw_stream.read()
        http_headers, payload = None, block
        if (record.rec_headers.get_header("Content-Type") or "").startswith("application/http"):
            stream = io.BytesIO(block)
            http_headers = StatusAndHeadersParser([], verify=False).parse(stream)
            payload = block[stream.tell() :]
        stored = StoredRecord(record.rec_type, record.rec_headers, block, http_headers, payload)
        if stored.record_id != pointer.record_id:
            raise ValueError(f"{pointer.file}@{pointer.offset} holds {stored.record_id}, not {pointer.record_id}")
        return stored
    raise ValueError(f"no WARC record at {pointer.file}@{pointer.offset}")


ENCODING_HEADERS = (b"content-encoding", b"transfer-encoding", b"content-length")


def decoded_message(head: bytes, source: StoredRecord) -> bytes:
    """An HTTP head followed by the payload of `source` decoded: de-chunked if its headers say `chunked`, then its
    `Content-Encoding`s (gzip, deflate, br) undone. The head loses the headers that described those encodings
    and says the decoded length. A truncated body gives what can be decoded of it."""
    headers = source.http_headers
    body = source.payload
    if headers is not None:
        if "chunked" in (headers.get_header("Transfer-Encoding") or "").lower():
            body = dechunk(body)
        codings = [c.strip().lower() for c in (headers.get_header("Content-Encoding") or "").split(",")]
        for coding in reversed([c for c in codings if c and c != "identity"]):
            body = decompress(body, coding)
    lines = [line for line in head.split(b"\r\n") if line]
    kept = [lines[0], *(line for line in lines[1:] if line.split(b":", 1)[0].strip().lower() not in ENCODING_HEADERS)]
    return b"\r\n".join([*kept, b"Content-Length: %d" % len(body), b"", b""]) + body


def dechunk(data: bytes) -> bytes:
    """The body of a chunked transfer coding (chunk extensions and trailers dropped; a cut-off end tolerated)."""
    body = bytearray()
    position = 0
    while (line_end := data.find(b"\r\n", position)) >= 0:
        size_field = data[position:line_end].split(b";", 1)[0].strip()
        try:
            size = int(size_field, 16)
        except ValueError:
            raise ValueError(f"not a chunked body: chunk size {size_field[:20]!r}") from None
        if size == 0:
            break
        start = line_end + 2
        body += data[start : start + size]
        position = start + size + 2
    return bytes(body)


def decompress(data: bytes, coding: str) -> bytes:
    """`data` with one content coding undone; a truncated stream gives what it holds, a corrupt one a ValueError."""
    try:
        return _decompress(data, coding)
    except zlib.error as error:
        raise ValueError(f"the {coding} body cannot be decoded: {error}") from None


def _decompress(data: bytes, coding: str) -> bytes:
    if coding in ("gzip", "x-gzip"):
        return _zlib_stream(data, zlib.MAX_WBITS | 16)
    if coding == "deflate":  # the standard says zlib-wrapped; some servers send raw deflate
        try:
            return _zlib_stream(data, zlib.MAX_WBITS)
        except zlib.error:
            return _zlib_stream(data, -zlib.MAX_WBITS)
    if coding == "br":
        try:
            import brotli
        except ImportError:
            raise ValueError("the body is brotli-encoded and brotli is not installed (pip install brotli)") from None
        try:
            return brotli.Decompressor().process(data)
        except brotli.error as error:
            raise ValueError(f"the br body cannot be decoded: {error}") from None
    raise ValueError(f"unknown content encoding {coding!r}")


def _zlib_stream(data: bytes, window: int) -> bytes:
    """Every member of a zlib/gzip stream decompressed (gzip allows several, one after the other)."""
    out = bytearray()
    while data:
        decompressor = zlib.decompressobj(window)
        out += decompressor.decompress(data)
        if not decompressor.eof:
            break
        data = decompressor.unused_data
    return bytes(out)
