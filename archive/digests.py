"""Payload digests (`WARC-Payload-Digest`) and the index of payloads archived before, which revisit records use."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from warcio.utils import Digester

from archive.warcdates import as_utc

DIGEST_ALGORITHMS = ("sha1", "sha256")


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


class DigestIndex:
    """Payload digest → where that payload was first archived, for revisit records.

    Seeded from any iterable of `(digest, uri, date, record_id)` (the SQL store, the CDXJ indexes of earlier
    WARC files), then kept up to date by the writer as records reach the disk. The first entry of a digest wins,
    so revisits always refer to the oldest copy.
    """

    def __init__(self, entries: Iterable[tuple[str, str, datetime, str]] = ()) -> None:
        self._entries: dict[str, ArchivedPayload] = {}
        self._latest: dict[str, ArchivedPayload] = {}  # URI → its latest archived response (for 304 revisits)
        self.seed(entries)

    def seed(self, entries: Iterable[tuple[str, str, datetime, str]]) -> int:
        """Add entries not known yet; returns how many were added."""
        before = len(self._entries)
        for digest, uri, date, record_id in entries:
            self.add(digest, uri, date, record_id)
        return len(self._entries) - before

    def add(self, digest: str, uri: str, date: datetime, record_id: str) -> None:
        """Record that `uri` was archived at `date` as `record_id` with a payload of this digest."""
        payload = ArchivedPayload(uri, as_utc(date), record_id, digest)
        if digest and digest not in self._entries:
            self._entries[digest] = payload
        latest = self._latest.get(uri)
        if latest is None or payload.date >= latest.date:
            self._latest[uri] = payload

    def get(self, digest: str) -> ArchivedPayload | None:
        """Where the payload of this digest was first archived, if it was."""
        return self._entries.get(digest)

    def latest(self, uri: str) -> ArchivedPayload | None:
        """The latest archived response of `uri`: what a 304 answer to a conditional request refers to."""
        return self._latest.get(uri)

    def __contains__(self, digest: object) -> bool:
        return digest in self._entries

    def __len__(self) -> int:
        return len(self._entries)
