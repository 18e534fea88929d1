"""Revisit records resolved to the record they refer to (found through the CDXJ indexes), and the archived HTTP
message of a record as captured, a revisit's payload taken from its original."""

from __future__ import annotations

import os

from archive.index import find_records
from archive.records import WarcPointer
from archive.warcread import StoredRecord, load_record


def original_of(warc_dir: str | os.PathLike[str], revisit: StoredRecord) -> WarcPointer:
    """Where the record a revisit refers to (`WARC-Refers-To`) lies; a LookupError when it is not archived."""
    refers_to = revisit.warc_headers.get_header("WARC-Refers-To")
    original = find_records(warc_dir, [refers_to]).get(refers_to) if refers_to else None
    if original is None:
        raise LookupError(f"revisit {revisit.record_id}: the record it refers to ({refers_to}) is not archived")
    return original


def read_record(warc_dir: str | os.PathLike[str], pointer: WarcPointer) -> bytes:
    """The archived HTTP message exactly as captured (head and payload as received).

    For a revisit that refers to a record: its own head followed by the payload of that record.
    """
    stored = load_record(warc_dir, pointer)
    if stored.record_type != "revisit" or not stored.warc_headers.get_header("WARC-Refers-To"):
        return stored.block
    return stored.block + load_record(warc_dir, original_of(warc_dir, stored)).payload
