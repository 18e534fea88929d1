"""Scrapy's request dupefilter with the run's fingerprints on disk, so that its memory does not grow with the crawl.

Scrapy's `RFPDupeFilter` keeps the fingerprint of every request of the run in a set: about 90 bytes a request, three
to four requests an article (the page, its photos, its stylesheets), for ever. `DiskRFPDupeFilter` keeps them in a
SQLite file (`archive.diskmap.connect`: a private temporary file, or `requests-seen.sqlite` in `JOBDIR`, which a
resumed job reads) with the most recent ones cached in memory: the same stylesheet asked for by every page is
answered from the cache. Same fingerprints, same answers, same logging as Scrapy's. Distributed mode uses
scrapy-redis's dupefilter instead (`crawler.addon`).
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from scrapy.dupefilters import RFPDupeFilter
from scrapy.http import Request

from archive.diskmap import LruCache, connect

SEEN_FILE = "requests-seen.sqlite"


class DiskRFPDupeFilter(RFPDupeFilter):
    """`DUPEFILTER_CLASS`: `RFPDupeFilter` whose fingerprints live in SQLite, not in a set."""

    def __init__(self, path: str | None = None, debug: bool = False, *, fingerprinter: Any = None) -> None:
        super().__init__(None, debug, fingerprinter=fingerprinter)  # not the parent's file of JOBDIR: ours below
        self._seen: sqlite3.Connection = connect(Path(path, SEEN_FILE) if path else None)
        self._seen.execute("CREATE TABLE IF NOT EXISTS seen (fingerprint BLOB PRIMARY KEY) WITHOUT ROWID")
        self._recent = LruCache()

    def request_seen(self, request: Request) -> bool:
        fingerprint = self._fingerprint(request)
        if fingerprint in self._recent:
            return True
        self._recent.put(fingerprint, True)
        return not self._seen.execute("INSERT OR IGNORE INTO seen VALUES (?)", (fingerprint,)).rowcount

    def close(self, reason: str) -> None:
        self._seen.close()  # a temporary file goes with it
