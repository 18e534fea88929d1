"""Reading archived HTTP responses back out of WARC files, folders of them and WACZ packages.

`iter_archived_responses` feeds re-extraction (`newsarchive import-warc`): our own archives, to re-extract after
an extractor improvement without re-crawling, and third-party ones (Common Crawl news WARCs, browsertrix WACZ).
Bodies come decoded (chunked transfer and Content-Encoding undone). An identical-payload revisit yields the
payload of the record it refers to when that record is part of the input (files are read in name order, which
for our files is time order); revisits without their original and `server-not-modified` revisits have no body
to give and are reported to `on_skip`. `article_record_ids` tells which responses a crawl of ours made articles of.
"""

from __future__ import annotations

import io
import logging
import os
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import BinaryIO, NamedTuple

from warcio.archiveiterator import ArchiveIterator
from warcio.recordloader import ArcWarcRecord
from warcio.statusandheaders import StatusAndHeaders

from archive.locations import package_member
from archive.records import WarcPointer
from archive.warcdates import parse_warc_date
from archive.warcfiles import OPEN_SUFFIX

logger = logging.getLogger(__name__)

WARC_NAMES = (".warc.gz", ".warc", ".arc.gz", ".arc")


class ArchivedResponse(NamedTuple):
    """One archived HTTP response: decoded body, its HTTP head, where it lies and when it was fetched.

    For a member of a WACZ the pointer's file is `package.wacz#archive/name.warc.gz`.
    """

    url: str
    body: bytes
    headers: StatusAndHeaders
    pointer: WarcPointer
    date: datetime

    @property
    def status(self) -> int:
        return int(self.headers.get_statuscode() or 0)

    @property
    def content_type(self) -> str | None:
        return self.headers.get_header("Content-Type")


@dataclass(frozen=True)
class _Source:
    """A WARC file on disk, or a WARC member of a WACZ (zip) file."""

    path: Path
    member: str | None = None

    @property
    def name(self) -> str:
        if self.member:
            return package_member(self.path, self.member)
        return self.path.name.removesuffix(OPEN_SUFFIX)  # as the crawl's pointers name a file still being written

    @property
    def size(self) -> int:
        if self.member is None:
            return self.path.stat().st_size
        with zipfile.ZipFile(self.path) as package:
            return package.getinfo(self.member).file_size

    @contextmanager
    def open(self) -> Iterator[BinaryIO]:
        if self.member is None:
            with open(self.path, "rb") as handle:
                yield handle
        else:
            with zipfile.ZipFile(self.path) as package, package.open(self.member) as handle:
                yield handle


def _is_warc(name: str) -> bool:
    return name.removesuffix(OPEN_SUFFIX).endswith(WARC_NAMES)


def archive_sources(path: str | os.PathLike[str]) -> list[_Source]:
    """The WARC files to read for a path: a WARC file, a WACZ, or a folder of them (recursively, name order)."""
    path = Path(path)
    if path.is_dir():
        files = sorted(p for p in path.rglob("*") if p.is_file() and (_is_warc(p.name) or p.suffix == ".wacz"))
        return [source for file in files for source in archive_sources(file)]
    if not path.exists():
        raise FileNotFoundError(f"no such WARC, WACZ or folder: {path}")
    if path.suffix == ".wacz":
        with zipfile.ZipFile(path) as package:
            members = sorted(name for name in package.namelist() if name.startswith("archive/") and _is_warc(name))
        return [_Source(path, member) for member in members]
    if _is_warc(path.name):
        return [_Source(path)]
    raise ValueError(f"{path} is not a WARC (.warc, .warc.gz, .arc.gz), a WACZ, or a folder")


def source_folders(path: str | os.PathLike[str]) -> list[Path]:
    """The folders holding the WARC files and WACZ packages under a path: where their records' pointers lead."""
    return list(dict.fromkeys(source.path.parent.resolve() for source in archive_sources(path)))


def total_size(path: str | os.PathLike[str]) -> int:
    """Bytes of WARC data under a path (for a progress bar fed by `on_progress`)."""
    return sum(source.size for source in archive_sources(path))


def _decoded_body(record: ArcWarcRecord) -> bytes:
    return record.content_stream().read()


def _damage(record: ArcWarcRecord) -> str | None:
    """Why a fully read record cannot be trusted: cut short, or its block digest does not match."""
    missing = getattr(record.raw_stream, "limit", 0)
    if missing:
        return f"record cut short: {missing} bytes missing"
    checker = getattr(record, "digest_checker", None)
    failed = [problem for problem in (checker.problems if checker else []) if "block digest" in problem]
    return failed[0] if failed else None


def _decoded_payload_at(source: _Source, offset: int, length: int) -> bytes:
    with source.open() as handle:
        handle.seek(offset)
        data = handle.read(length)
    for record in ArchiveIterator(io.BytesIO(data)):
        return _decoded_body(record)
    raise ValueError(f"no record at {source.name}@{offset}")


def _log_skip(url: str, reason: str) -> None:
    logger.warning("skipped %s: %s", url, reason)


def iter_archived_responses(
    path: str | os.PathLike[str],
    *,
    on_skip: Callable[[str, str], None] = _log_skip,
    on_progress: Callable[[int], None] | None = None,
) -> Iterator[ArchivedResponse]:
    """Every archived HTTP response under `path` (WARC file, WACZ, or folder), body decoded.

    `on_skip(url, reason)` hears of records that cannot be given (undecodable body, revisit without its
    original, unreadable file); `on_progress(n)` of each n bytes of WARC data read.
    """
    originals: dict[str, tuple[_Source, int, int]] = {}
    for source in archive_sources(path):
        yield from _iter_source(source, originals, on_skip, on_progress)


def _iter_source(
    source: _Source,
    originals: dict[str, tuple[_Source, int, int]],
    on_skip: Callable[[str, str], None],
    on_progress: Callable[[int], None] | None,
) -> Iterator[ArchivedResponse]:
    done = 0
    with source.open() as handle:
        iterator = ArchiveIterator(handle, arc2warc=True, check_digests=True)
        try:
            for record in iterator:
                response = _response_of(source, iterator, record, originals, on_skip)
                if on_progress is not None:
                    offset = iterator.get_record_offset() + iterator.get_record_length()
                    on_progress(offset - done)
                    done = offset
                if response is not None:
                    yield response
        except Exception as error:  # a damaged file: report it, keep what was read, go on with the next file
            on_skip(source.name, f"unreadable after offset {done}: {error}")


def _response_of(
    source: _Source,
    iterator: ArchiveIterator,
    record: ArcWarcRecord,
    originals: dict[str, tuple[_Source, int, int]],
    on_skip: Callable[[str, str], None],
) -> ArchivedResponse | None:
    if record.rec_type not in ("response", "revisit") or record.http_headers is None:
        iterator.read_to_end(record)
        return None
    headers = record.rec_headers
    url = headers.get_header("WARC-Target-URI")
    digest = headers.get_header("WARC-Payload-Digest")
    problem = None
    body = b""
    if record.rec_type == "response":
        try:
            body = _decoded_body(record)
        except Exception as error:
            problem = f"body cannot be decoded: {error}"
    iterator.read_to_end(record)
    offset, length = iterator.get_record_offset(), iterator.get_record_length()
    if problem is None:
        problem = _damage(record)
    if record.rec_type == "response" and digest and problem is None:
        originals.setdefault(digest, (source, offset, length))
    elif record.rec_type == "revisit":
        original = originals.get(digest) if digest else None
        if original is None:
            problem = f"revisit ({headers.get_header('WARC-Profile')}) of a payload not in the input"
        else:
            body = _decoded_payload_at(*original)
    if problem is not None:
        on_skip(url, problem)
        return None
    date = headers.get_header("WARC-Date")
    return ArchivedResponse(
        url=url,
        body=body,
        headers=record.http_headers,
        pointer=WarcPointer(
            file=source.name,
            offset=offset,
            length=length,
            record_id=headers.get_header("WARC-Record-ID"),
            payload_digest=digest,
        ),
        date=parse_warc_date(date) if date else None,
    )


def article_record_ids(path: str | os.PathLike[str]) -> set[str]:
    """Ids of the responses that `metadata` records of ours refer to: the articles a crawl extracted."""
    ids: set[str] = set()
    for source in archive_sources(path):
        with source.open() as handle:
            iterator = ArchiveIterator(handle, no_record_parse=True)
            try:
                for record in iterator:
                    if record.rec_type == "metadata" and record.rec_headers.get_header("Content-Type") == (
                        "application/json"
                    ):
                        ids.add(record.rec_headers.get_header("WARC-Refers-To"))
                    iterator.read_to_end(record)
            except Exception as error:  # a damaged file: what was read counts; iter_archived_responses reports it
                logger.warning("%s: metadata records unreadable after some point: %s", source.name, error)
    ids.discard(None)
    return ids
