"""Revisit records resolved to the record they refer to (found through the archive's locations), and the archived
HTTP message of a record: as captured, a revisit's payload taken from its original, or with its body decoded."""

from __future__ import annotations

import os

from archive.locations import RecordsMissing, WarcLocations
from archive.records import WarcPointer
from archive.warcread import StoredRecord, decoded_message, load_record


def original_of(where: WarcLocations | str | os.PathLike[str], revisit: StoredRecord) -> WarcPointer:
    """Where the record a revisit refers to (`WARC-Refers-To`) lies; `RecordsMissing` when it is not archived."""
    refers_to = revisit.warc_headers.get_header("WARC-Refers-To")
    original = WarcLocations.of(where).find_records([refers_to]).get(refers_to) if refers_to else None
    if original is None:
        raise RecordsMissing(f"revisit {revisit.record_id}: the record it refers to ({refers_to}) is not archived")
    return original


def read_record(
    where: WarcLocations | str | os.PathLike[str], pointer: WarcPointer, *, decoded: bool = False
) -> bytes:
    """The archived HTTP message exactly as captured (head and payload as received).

    For a revisit that refers to a record: its own head followed by the payload of that record. `decoded`: the
    body with its transfer and content encodings undone (`archive.warcread.decoded_message`).
    """
    locations = WarcLocations.of(where)
    stored = load_record(locations, pointer)
    source = stored
    if stored.record_type == "revisit" and stored.warc_headers.get_header("WARC-Refers-To"):
        source = load_record(locations, original_of(locations, stored))
    head = stored.block[: len(stored.block) - len(stored.payload)]
    if decoded:
        return decoded_message(head, source)
    return head + source.payload
