"""Reading one WARC record back from the pointer the writer returned: its headers, block and HTTP payload."""

from __future__ import annotations

import io
import os
from dataclasses import dataclass

from warcio.archiveiterator import ArchiveIterator
from warcio.statusandheaders import StatusAndHeaders, StatusAndHeadersParser

from archive.records import WarcPointer
from archive.warcfiles import locate


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


def load_record(warc_dir: str | os.PathLike[str], pointer: WarcPointer) -> StoredRecord:
    """Read the record a pointer designates."""
    with open(locate(warc_dir, pointer.file), "rb") as handle:
        handle.seek(pointer.offset)
        data = handle.read(pointer.length)
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
