"""Exporting a selection of the archive: a WARC of the selected records, or a WACZ package of it.

`export_warc` copies, for each selected response (or revisit) record, the record itself, its request record,
the metadata records that refer to it and, for a revisit, the response it revisits with that response's request,
with the `warcinfo` records of their files, as the very gzip members of the source files (no recompression: every
digest stays valid), after a `warcinfo` record of its own. The records are read wherever the archive's locations
(`archive.locations`) find them: its WARC folders, or WACZ packages it was imported from.
`export_wacz` packages that WARC with its CDXJ index, `pages/pages.jsonl` and `datapackage.json` /
`datapackage-digest.json` (WACZ 1.1.1), streaming everything to the zip on disk.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import tempfile
import uuid
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO

from warcio.archiveiterator import ArchiveIterator
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from archive import __version__
from archive.index import index_warc
from archive.locations import WarcLocations
from archive.outputs import replacing
from archive.records import WarcPointer
from archive.warc import CONFORMS_TO, WARC_VERSION
from archive.warcfiles import WARC_SUFFIX

WACZ_VERSION = "1.1.1"
SOFTWARE = f"newsarchive/{__version__}"
PAGES_HEADER = {"format": "json-pages-1.0", "id": "pages", "title": "All Pages"}
COPY_BUFFER = 1024 * 1024


@dataclass(frozen=True, order=True)
class _Member:
    """One record's gzip member in a source file."""

    file: str
    offset: int
    length: int


def _read_member(locations: WarcLocations, member: _Member) -> bytes:
    return locations.read(member.file, member.offset, member.length)


def _headers_of(data: bytes) -> StatusAndHeaders:
    for record in ArchiveIterator(io.BytesIO(data), no_record_parse=True):
        return record.rec_headers
    raise ValueError("not a WARC record")


def _warcinfo_member(locations: WarcLocations, file: str) -> _Member | None:
    """The `warcinfo` record that opens a file, if it has one."""
    with locations.open(file) as handle:
        iterator = ArchiveIterator(handle, no_record_parse=True)
        record = next(iterator, None)
        if record is None or record.rec_type != "warcinfo":
            return None
        iterator.read_to_end(record)
        return _Member(file, iterator.get_record_offset(), iterator.get_record_length())


def _related_members(
    locations: WarcLocations, files: Iterable[str], concurrent_to: set[str], referred_to: set[str]
) -> list[_Member]:
    """Request records concurrent to `concurrent_to`, and metadata records referring to `referred_to`."""
    found = []
    for name in sorted(files):
        with locations.open(name) as handle:
            iterator = ArchiveIterator(handle, no_record_parse=True)
            for record in iterator:
                headers = record.rec_headers
                related = (
                    record.rec_type == "request" and headers.get_header("WARC-Concurrent-To") in concurrent_to
                ) or (record.rec_type == "metadata" and headers.get_header("WARC-Refers-To") in referred_to)
                iterator.read_to_end(record)
                if related:
                    found.append(_Member(name, iterator.get_record_offset(), iterator.get_record_length()))
    return found


def _record_ids(locations: WarcLocations, members: Iterable[_Member]) -> tuple[set[str], set[str]]:
    """The ids of these records, and the ids of the records those that are revisits refer to."""
    record_ids: set[str] = set()
    refers_to: set[str] = set()
    for member in members:
        headers = _headers_of(_read_member(locations, member))
        record_ids.add(headers.get_header("WARC-Record-ID"))
        if headers.get_header("WARC-Type") == "revisit" and headers.get_header("WARC-Refers-To"):
            refers_to.add(headers.get_header("WARC-Refers-To"))
    return record_ids, refers_to


def export_warc(
    pointers: Iterable[WarcPointer],
    where: WarcLocations | str | os.PathLike[str],
    out_path: str | os.PathLike[str],
) -> int:
    """Write the selected records with their requests, metadata and revisited originals (with their requests)
    into one WARC file; `where`: the archive's locations, or one WARC folder.

    Returns the number of records copied (the new `warcinfo` record aside).
    """
    locations = WarcLocations.of(where)
    selected = {_Member(p.file, p.offset, p.length) for p in pointers}
    record_ids, refers_to = _record_ids(locations, selected)
    originals = {_Member(p.file, p.offset, p.length) for p in locations.find_records(refers_to - record_ids).values()}
    original_ids, _ = _record_ids(locations, originals)
    members = selected | originals
    files = {later for member in {m.file for m in members} for later in locations.later_files(member)}
    members.update(_related_members(locations, files, record_ids | original_ids, record_ids))
    # The warcinfo records the copied ones name in WARC-Warcinfo-ID: who crawled, how, with what software.
    warcinfos = (_warcinfo_member(locations, name) for name in {member.file for member in members})
    members.update(member for member in warcinfos if member is not None)

    out = Path(out_path)
    with replacing(out) as partial, open(partial, "wb") as handle:
        writer = WARCWriter(handle, gzip=True, warc_version=WARC_VERSION)
        writer.write_record(
            writer.create_warcinfo_record(
                out.name,
                {
                    "software": SOFTWARE,
                    "format": "WARC File Format 1.1",
                    "conformsTo": CONFORMS_TO,
                    "description": f"{len(selected)} records exported from {', '.join(map(str, locations.folders))}",
                },
            )
        )
        for member in sorted(members):
            handle.write(_read_member(locations, member))
    return len(members)


class _HashingWriter(io.RawIOBase):
    """Passes bytes to a zip member while counting and hashing them (for datapackage.json)."""

    def __init__(self, target: BinaryIO) -> None:
        self.target = target
        self.sha256 = hashlib.sha256()
        self.size = 0

    def writable(self) -> bool:
        return True

    def write(self, data: bytes) -> int:
        self.target.write(data)
        self.sha256.update(data)
        self.size += len(data)
        return len(data)


def _page_lines(pages: Iterable[dict]) -> Iterable[bytes]:
    yield json.dumps(PAGES_HEADER).encode() + b"\n"
    for page in pages:
        if not page.get("url") or not page.get("ts"):
            raise ValueError(f"a WACZ page needs a url and a ts (ISO 8601 date): {page!r}")
        yield json.dumps({"id": uuid.uuid4().hex, **page}, ensure_ascii=False, default=str).encode() + b"\n"


def export_wacz(
    pointers: Iterable[WarcPointer],
    where: WarcLocations | str | os.PathLike[str],
    out_path: str | os.PathLike[str],
    pages: Iterable[dict],
    *,
    title: str = "newsarchive export",
) -> Path:
    """Write a WACZ of the selected records; `pages` (`{"url", "ts", "title", "text", ...}`, read once) become
    pages.jsonl."""
    out = Path(out_path)
    with replacing(out) as partial, tempfile.TemporaryDirectory(dir=out.parent) as scratch:
        warc = Path(scratch) / (out.name.removesuffix(".wacz") + WARC_SUFFIX)
        export_warc(pointers, where, warc)
        index = index_warc(warc, Path(scratch) / "index.cdx")
        resources = []
        with zipfile.ZipFile(partial, "w") as package:

            def add(path: str, source: Iterable[bytes] | BinaryIO, compress: int) -> None:
                info = zipfile.ZipInfo(path, datetime.now(UTC).timetuple()[:6])
                info.compress_type = compress
                with package.open(info, "w", force_zip64=True) as member:
                    hashing = _HashingWriter(member)
                    if isinstance(source, io.IOBase):
                        shutil.copyfileobj(source, hashing, COPY_BUFFER)
                    else:
                        for chunk in source:
                            hashing.write(chunk)
                resources.append(
                    {
                        "name": os.path.basename(path).lower(),
                        "path": path,
                        "hash": "sha256:" + hashing.sha256.hexdigest(),
                        "bytes": hashing.size,
                    }
                )

            with open(warc, "rb") as source:
                add(f"archive/{warc.name}", source, zipfile.ZIP_STORED)
            with open(index, "rb") as source:
                add("indexes/index.cdx", source, zipfile.ZIP_DEFLATED)
            add("pages/pages.jsonl", _page_lines(pages), zipfile.ZIP_DEFLATED)
            datapackage = json.dumps(
                {
                    "profile": "data-package",
                    "resources": resources,
                    "title": title,
                    "created": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
                    "wacz_version": WACZ_VERSION,
                    "software": SOFTWARE,
                },
                indent=2,
            ).encode()
            package.writestr("datapackage.json", datapackage, zipfile.ZIP_DEFLATED)
            digest = {"path": "datapackage.json", "hash": "sha256:" + hashlib.sha256(datapackage).hexdigest()}
            package.writestr("datapackage-digest.json", json.dumps(digest, indent=2), zipfile.ZIP_DEFLATED)
    return out
