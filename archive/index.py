"""CDXJ indexes of the WARC files (cdxj-indexer), one per file beside it, merged on demand.

Each finished `X.warc.gz` gets `X.cdxj` (sorted, pywb's CDXJ flavour) listing its response, revisit and resource
records, with two extra fields: `warc-record-id` and `warc-date`. The extra fields make the indexes enough to
keep the revisit `DigestIndex` of the folder up to date (`payload_digests_in`) and to find a record by its id
(`find_records`, e.g. the original of a revisit), so the WARC folder alone is a self-sufficient archive.
"""

from __future__ import annotations

import heapq
import json
import os
from collections.abc import Iterable, Iterator
from contextlib import ExitStack
from datetime import datetime
from pathlib import Path
from typing import BinaryIO

from cdxj_indexer.main import CDXJIndexer
from warcio.archiveiterator import ArchiveIterator

from archive.records import WarcPointer
from archive.warcdates import parse_warc_date
from archive.warcfiles import OPEN_SUFFIX, WARC_SUFFIX, open_warcs

CDXJ_SUFFIX = ".cdxj"
INDEXED_RECORDS = "response,revisit,resource"
EXTRA_FIELDS = "warc-record-id,warc-date"


def cdxj_path_for(warc_path: str | os.PathLike[str]) -> Path:
    """`dir/X.warc.gz` → `dir/X.cdxj`."""
    path = Path(warc_path)
    stem = path.name.removesuffix(WARC_SUFFIX).removesuffix(".warc")
    return path.with_name(stem + CDXJ_SUFFIX)


def index_warc(warc_path: str | os.PathLike[str], out_path: str | os.PathLike[str] | None = None) -> Path:
    """Write the sorted CDXJ index of one WARC file (atomically: a reader never sees half an index)."""
    warc_path = Path(warc_path)
    out = Path(out_path) if out_path is not None else cdxj_path_for(warc_path)
    partial = out.with_name(f"{out.name}.{os.getpid()}.partial")  # two processes may index the same file
    try:
        CDXJIndexer(
            output=str(partial),
            inputs=[str(warc_path)],
            sort=True,
            fields=EXTRA_FIELDS,
            records=INDEXED_RECORDS,
            filename=warc_path.name,
        ).process_all()
        os.replace(partial, out)
    except BaseException:
        partial.unlink(missing_ok=True)  # never leave half an index on a full disk
        raise
    return out


def finished_warcs(warc_dir: str | os.PathLike[str]) -> list[Path]:
    """The finished (renamed) WARC files of a folder, oldest name first."""
    return sorted(Path(warc_dir).glob(f"*{WARC_SUFFIX}"))


def index_missing(warc_dir: str | os.PathLike[str]) -> list[Path]:
    """Index the finished WARC files that have no CDXJ beside them yet; returns the new index paths."""
    return [index_warc(path) for path in finished_warcs(warc_dir) if not cdxj_path_for(path).exists()]


def iter_cdxj_lines(paths: Iterable[str | os.PathLike[str]]) -> Iterator[str]:
    """The lines of sorted CDXJ files merged into one sorted stream (the files are read lazily)."""
    with ExitStack() as stack:
        handles = [stack.enter_context(open(path, encoding="utf-8")) for path in paths]
        yield from heapq.merge(*handles)


def merge_indexes(warc_dir: str | os.PathLike[str], out_path: str | os.PathLike[str]) -> Path:
    """One sorted CDXJ over every finished WARC file of the folder (indexing those not indexed yet)."""
    index_missing(warc_dir)
    out = Path(out_path)
    out.parent.mkdir(parents=True, exist_ok=True)
    sources = [cdxj_path_for(path) for path in finished_warcs(warc_dir)]
    with open(out, "w", encoding="utf-8") as handle:
        handle.writelines(iter_cdxj_lines(sources))
    return out


def parse_cdxj_line(line: str) -> tuple[str, str, dict[str, str]]:
    """`(urlkey, timestamp, fields)` of a CDXJ line."""
    urlkey, timestamp, fields = line.rstrip("\n").split(" ", 2)
    return urlkey, timestamp, json.loads(fields)


def payload_digests_in(cdxj_path: str | os.PathLike[str]) -> Iterator[tuple[str, str, datetime, str]]:
    """(digest, uri, date, record id) of the response records a CDXJ index lists (revisits left out)."""
    with open(cdxj_path, encoding="utf-8") as handle:
        for line in handle:
            _, _, fields = parse_cdxj_line(line)
            if fields.get("mime") == "warc/revisit" or "status" not in fields:
                continue
            record_id, date, digest = fields.get("warc-record-id"), fields.get("warc-date"), fields.get("digest")
            if record_id and date and digest:
                yield digest, fields["url"], parse_warc_date(date), record_id


def find_records(warc_dir: str | os.PathLike[str], record_ids: Iterable[str]) -> dict[str, WarcPointer]:
    """Where the records with these ids lie: looked up in the CDXJ indexes of finished files (response, revisit
    and resource records), then by reading the `.open` files being written (any record type)."""
    wanted = set(record_ids)
    found: dict[str, WarcPointer] = {}
    if not wanted:
        return found
    index_missing(warc_dir)
    for warc_path in finished_warcs(warc_dir):
        with open(cdxj_path_for(warc_path), encoding="utf-8") as handle:
            for line in handle:
                _, _, fields = parse_cdxj_line(line)
                record_id = fields.get("warc-record-id")
                if record_id in wanted:
                    found[record_id] = WarcPointer(
                        warc_path.name, int(fields["offset"]), int(fields["length"]), record_id, fields.get("digest")
                    )
    missing = wanted - set(found)
    for open_path in open_warcs(warc_dir) if missing else ():
        with open(open_path, "rb") as handle:
            found.update(records_in(handle, open_path.name.removesuffix(OPEN_SUFFIX), missing))
    return found


def records_in(stream: BinaryIO, file: str, wanted: set[str]) -> dict[str, WarcPointer]:
    """Where the records with these ids lie in a WARC stream read from its start (its pointers name `file`)."""
    found = {}
    iterator = ArchiveIterator(stream, no_record_parse=True)
    for record in iterator:
        iterator.read_to_end(record)
        record_id = record.rec_headers.get_header("WARC-Record-ID")
        if record_id in wanted:
            found[record_id] = WarcPointer(
                file,
                iterator.get_record_offset(),
                iterator.get_record_length(),
                record_id,
                record.rec_headers.get_header("WARC-Payload-Digest"),
            )
    return found
