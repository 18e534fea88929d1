"""Payload digests (`WARC-Payload-Digest`) and the index of payloads archived before, which revisit records use.

The index lives on disk (SQLite: for a WARC folder the file `DIGEST_INDEX_NAME` in it, kept in step with the
folder's CDXJ indexes by `DigestIndex.for_folder`) with a bounded cache in front, so neither memory nor the time
to start grows with the archive: a run reads only the CDXJ indexes of files finished since the last one.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Protocol

from warcio.utils import Digester

from archive.diskmap import CACHE_ENTRIES, LruCache, connect
from archive.index import cdxj_path_for, finished_warcs, index_missing, payload_digests_in
from archive.warcdates import as_utc
from archive.warcfiles import OPEN_SUFFIX, open_warcs

logger = logging.getLogger(__name__)

DIGEST_ALGORITHMS = ("sha1", "sha256")
DIGEST_INDEX_NAME = "revisit-index.sqlite"
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
SCHEMA = (
    # digest → its first archived response; URI → its latest archived response (a 304's revisit refers to it);
    # dates in microseconds since the epoch, UTC
    "CREATE TABLE IF NOT EXISTS payloads (digest TEXT PRIMARY KEY, uri TEXT, date INTEGER, record_id TEXT)"
    " WITHOUT ROWID",
    "CREATE TABLE IF NOT EXISTS latest (uri TEXT PRIMARY KEY, digest TEXT, date INTEGER, record_id TEXT)"
    " WITHOUT ROWID",
    # the WARC files entries came from, and whether their CDXJ index was read
    "CREATE TABLE IF NOT EXISTS files (name TEXT PRIMARY KEY, indexed INTEGER NOT NULL) WITHOUT ROWID",
)


def payload_digest(body: bytes, algorithm: str = "sha1") -> str:
    """The labelled digest of a payload, as in `WARC-Payload-Digest` (`sha1:BASE32`)."""
    digester = Digester(algorithm)
    digester.update(body)
    return str(digester)


@dataclass(frozen=True, slots=True)
class ArchivedPayload:
    """Where a payload was first archived: what a revisit record refers to."""

    uri: str
    date: datetime
    record_id: str
    digest: str = ""  # the payload's digest: a server-not-modified revisit carries it, so replay finds the payload


class PayloadLookup(Protocol):
    """Where payloads were archived, as another archive knows it (e.g. the SQL store's captures)."""

    def get(self, digest: str) -> ArchivedPayload | None: ...

    def latest(self, uri: str) -> ArchivedPayload | None: ...

    def close(self) -> None: ...


def _micros(date: datetime) -> int:
    return (as_utc(date) - EPOCH) // timedelta(microseconds=1)


def _payload(uri: str, micros: int, record_id: str, digest: str) -> ArchivedPayload:
    return ArchivedPayload(uri, EPOCH + timedelta(microseconds=micros), record_id, digest)


class DigestIndex:
    """Payload digest → where that payload was first archived; URI → its latest archived response.

    Kept in the SQLite file `path` (a private temporary one when None), a cache of `cache_size` answers in front;
    `fallbacks` (e.g. the SQL store) are asked after it, in order. Seeded from any iterable of `(digest, uri,
    date, record_id)`, then kept up to date by the writer as records reach the disk. The first entry of a digest
    wins, so revisits always refer to the oldest copy. Thread-safe.
    """

    def __init__(
        self,
        entries: Iterable[tuple[str, str, datetime, str]] = (),
        *,
        path: str | os.PathLike[str] | None = None,
        fallbacks: Iterable[PayloadLookup] = (),
        cache_size: int = CACHE_ENTRIES,
    ) -> None:
        self.path = Path(path) if path is not None else None
        self.fallbacks = list(fallbacks)
        self._db = connect(path)
        for statement in SCHEMA:
            self._db.execute(statement)
        self._firsts = LruCache(cache_size)  # digest → ArchivedPayload, or None: not archived
        self._latest = LruCache(cache_size)  # URI → ArchivedPayload, or None
        self._files: set[str] = set()  # files whose entries were noted this run
        self._lock = threading.RLock()
        self._file_failed = False
        self.seed(entries)

    @classmethod
    def for_folder(cls, warc_dir: str | os.PathLike[str], fallbacks: Iterable[PayloadLookup] = ()) -> DigestIndex:
        """The index of a WARC folder, brought up to date with the CDXJ indexes of its finished files; an index
        file SQLite finds damaged is made anew."""
        path = Path(warc_dir) / DIGEST_INDEX_NAME
        try:
            return cls._updated(path, warc_dir, fallbacks)
        except sqlite3.OperationalError:  # locked, the disk full: not the file's fault
            raise
        except sqlite3.DatabaseError as exc:
            logger.warning("the revisit index %s is damaged (%s): making it anew", path, exc)
            for damaged in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
                damaged.unlink(missing_ok=True)
            return cls._updated(path, warc_dir, fallbacks)

    @classmethod
    def _updated(cls, path: Path, warc_dir: str | os.PathLike[str], fallbacks: Iterable[PayloadLookup]) -> DigestIndex:
        index = cls(path=path, fallbacks=fallbacks)
        try:
            index.update_from(warc_dir)
        except BaseException:
            index.close()
            raise
        return index

    def update_from(self, warc_dir: str | os.PathLike[str]) -> int:
        """Read the CDXJ indexes of the folder's finished files not read yet (indexing those without one); all of
        them again when a file the index knows is gone. Returns how many payloads were added."""
        index_missing(warc_dir)
        finished = finished_warcs(warc_dir)
        present = {path.name for path in finished} | {p.name.removesuffix(OPEN_SUFFIX) for p in open_warcs(warc_dir)}
        with self._lock:
            known = dict(self._db.execute("SELECT name, indexed FROM files").fetchall())
            if known.keys() - present:
                logger.info("WARC files left %s since its revisit index was written: rebuilding it", warc_dir)
                self._transaction(*(f"DELETE FROM {table}" for table in ("payloads", "latest", "files")))
                self._files.clear()
                self._firsts, self._latest = LruCache(self._firsts.size), LruCache(self._latest.size)
                known = {}
            before = len(self)
            for path in finished:
                if not known.get(path.name):
                    self._write_many(payload_digests_in(cdxj_path_for(path)), path.name)
            return len(self) - before

    def _transaction(self, *statements: str) -> None:
        self._db.execute("BEGIN")
        for statement in statements:
            self._db.execute(statement)
        self._db.execute("COMMIT")

    def seed(self, entries: Iterable[tuple[str, str, datetime, str]]) -> int:
        """Add entries not known yet; returns how many were added."""
        with self._lock:
            before = len(self)
            self._write_many(entries)
            return len(self) - before

    def _write_many(self, entries: Iterable[tuple[str, str, datetime, str]], indexed_file: str = "") -> None:
        """Add entries in one transaction (and note the file whose CDXJ index they are)."""
        self._db.execute("BEGIN")
        try:
            for digest, uri, date, record_id in entries:
                micros = _micros(date)
                if digest:
                    self._insert_first(digest, uri, micros, record_id)
                self._insert_latest(digest, uri, micros, record_id)
            if indexed_file:
                self._db.execute("INSERT OR REPLACE INTO files VALUES (?, 1)", (indexed_file,))
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")
        self._firsts, self._latest = LruCache(self._firsts.size), LruCache(self._latest.size)

    def _insert_first(self, digest: str, uri: str, micros: int, record_id: str) -> None:
        self._db.execute("INSERT OR IGNORE INTO payloads VALUES (?, ?, ?, ?)", (digest, uri, micros, record_id))

    def _insert_latest(self, digest: str, uri: str, micros: int, record_id: str) -> None:
        self._db.execute(
            "INSERT INTO latest VALUES (?, ?, ?, ?) ON CONFLICT (uri) DO UPDATE SET digest = excluded.digest,"
            " date = excluded.date, record_id = excluded.record_id WHERE excluded.date >= latest.date",
            (uri, digest, micros, record_id),
        )

    def add(self, digest: str, uri: str, date: datetime, record_id: str, file: str = "") -> None:
        """Record that `uri` was archived at `date` as `record_id` (in the WARC file `file`) with a payload of this
        digest."""
        payload = ArchivedPayload(uri, as_utc(date), record_id, digest)
        micros = _micros(date)
        with self._lock:
            first = digest and self.get(digest) is None
            if first:
                self._firsts.put(digest, payload)
            if uri in self._latest and ((latest := self._latest.get(uri)) is None or payload.date >= latest.date):
                self._latest.put(uri, payload)
            try:
                if file and file not in self._files:
                    self._db.execute("INSERT OR IGNORE INTO files VALUES (?, 0)", (file,))
                    self._files.add(file)
                if first:
                    self._insert_first(digest, uri, micros, record_id)
                self._insert_latest(digest, uri, micros, record_id)
            except sqlite3.Error as exc:
                self._failed(exc)

    def _failed(self, exc: sqlite3.Error) -> None:
        """A failure of the index file costs revisits (a payload it cannot tell is stored in full), never a record:
        logged, once."""
        if not self._file_failed:
            logger.error("the revisit index %s failed (%s): identical payloads may be archived in full",
                         self.path or "(temporary)", exc)
        self._file_failed = True

    def _row(self, query: str, key: str) -> tuple | None:
        try:
            return self._db.execute(query, (key,)).fetchone()
        except sqlite3.Error as exc:
            self._failed(exc)
            return None

    def get(self, digest: str) -> ArchivedPayload | None:
        """Where the payload of this digest was first archived, if it was."""
        with self._lock:
            if digest in self._firsts:
                return self._firsts.get(digest)
            row = self._row("SELECT uri, date, record_id FROM payloads WHERE digest = ?", digest)
            found = _payload(*row, digest) if row else None
            if found is None:
                found = next((p for lookup in self.fallbacks if (p := lookup.get(digest)) is not None), None)
            self._firsts.put(digest, found)
            return found

    def latest(self, uri: str) -> ArchivedPayload | None:
        """The latest archived response of `uri`: what a 304 answer to a conditional request refers to."""
        with self._lock:
            if uri in self._latest:
                return self._latest.get(uri)
            row = self._row("SELECT uri, date, record_id, digest FROM latest WHERE uri = ?", uri)
            known = [_payload(*row)] if row else []
            known += [p for lookup in self.fallbacks if (p := lookup.latest(uri)) is not None]
            found = max(known, key=lambda payload: payload.date, default=None)
            self._latest.put(uri, found)
            return found

    def __contains__(self, digest: object) -> bool:
        return isinstance(digest, str) and self.get(digest) is not None

    def __len__(self) -> int:
        """How many digests the index file holds (the fallbacks not counted)."""
        with self._lock:
            return self._db.execute("SELECT count(*) FROM payloads").fetchone()[0]

    def close(self) -> None:
        with self._lock:
            self._db.close()
