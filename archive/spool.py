"""The spool: what the batch writer (`archive.writer`) could not write because the database was unreachable.

One JSON-lines file per crawl run in the spool folder, named `sql-spool-<12 hex digits of the SHA-256 of the
database URL>-<run id>-<UTC timestamp>.jsonl`, so only a crawl on the same database replays it. Each line is
`{"kind": "capture" | "article" | "outcome" | "finish", "run_id": ..., "data": ...}`: a capture's fields (its
`fetched_at` in ISO 8601), an article's export record (`Article.to_record`), an outcome's `[url, outcome,
reason]`, a run end's `[stats, reason]`. A file replayed without error is deleted. A line that cannot be read (a
crawl killed in the middle of writing it) is skipped with a warning and kept in `<file>.rejected`, so the rest
of the file is replayed and nothing is dropped unseen.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Sequence
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy.exc import IntegrityError

from archive.db import first_line
from archive.records import Article, Capture, WarcPointer
from archive.store import ArchiveStore
from archive.writer import ArticleEvent, CaptureEvent, Event, OutcomeEvent, RunFinished, is_transient, save_events

logger = logging.getLogger(__name__)


class Spool:
    """The spool files of the database of `store` in `folder`; one file per writer (one crawl)."""

    def __init__(self, folder: Path, store: ArchiveStore) -> None:
        self.folder = folder
        self.store = store
        self.path: Path | None = None  # this crawl's file, named when first written

    def append(self, events: Sequence[Event | RunFinished], run_id: int | None) -> None:
        """Append `events` to this crawl's spool file (the writer and the run's end share it)."""
        if self.path is None:
            stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%f")
            self.path = self.folder / f"{self._prefix()}-{run_id}-{stamp}.jsonl"
            logger.error("records the database cannot take are spooled to %s; the next crawl on this database "
                         "replays them", self.path)
        self.folder.mkdir(parents=True, exist_ok=True)
        with self.path.open("a", encoding="utf-8") as out:
            for event in events:
                out.write(json.dumps(spool_entry(event, run_id), ensure_ascii=False, default=str) + "\n")

    def replay(self) -> None:
        """Write every spool file of this database into it; a file that fails is kept for the next crawl."""
        if not self.folder.is_dir():
            return
        for path in sorted(self.folder.glob(f"{self._prefix()}-*.jsonl")):
            try:
                replay_spool(self.store, path)
            except Exception as exc:
                if not is_transient(exc):
                    logger.exception("could not replay %s; it is kept for the next crawl", path)
                    continue
                logger.error("could not replay %s (%s); it is kept for the next crawl", path, first_line(exc))
                return  # the database is gone: the other files wait too
            path.unlink()
            logger.info("replayed spooled records of %s", path)

    def _prefix(self) -> str:
        return "sql-spool-" + hashlib.sha256(self.store.database_url.encode()).hexdigest()[:12]


def spool_entry(event: Event | RunFinished, run_id: int | None) -> dict[str, Any]:
    """A JSON-ready line of the spool file."""
    data: Any
    if isinstance(event, ArticleEvent):
        data = event.article.to_record()
    elif isinstance(event, CaptureEvent):
        data = asdict(event.capture) | {"fetched_at": event.capture.fetched_at.isoformat()}
    elif isinstance(event, OutcomeEvent):
        data = (event.url, event.outcome, event.reason)
    else:
        data = (event.stats, event.reason)
    return {"kind": event.kind, "run_id": run_id, "data": data}


def event_of(entry: dict[str, Any]) -> Event | RunFinished | None:
    """The event a line of the spool file holds (None for a kind this version does not know)."""
    kind, data = entry["kind"], entry["data"]
    if kind == ArticleEvent.kind:
        return ArticleEvent(Article.from_record(data))
    if kind == CaptureEvent.kind:
        warc = WarcPointer(**data["warc"]) if data.get("warc") else None
        fetched_at = datetime.fromisoformat(data["fetched_at"])
        return CaptureEvent(Capture(**(data | {"warc": warc, "fetched_at": fetched_at})))
    if kind == OutcomeEvent.kind:
        return OutcomeEvent(*data)
    if kind == RunFinished.kind:
        return RunFinished(*data)
    return None


def replay_spool(store: ArchiveStore, path: Path) -> None:
    """Write a spool file's records into `store`, in one transaction per crawl run, then finish the runs."""
    by_run: dict[int | None, list[Event]] = {}
    finishes: list[tuple[int | None, RunFinished]] = []
    rejected: list[str] = []
    for number, line in enumerate(path.read_text(encoding="utf-8", errors="replace").splitlines(), start=1):
        try:
            entry = json.loads(line)
            run_id = entry["run_id"]
            event = event_of(entry)
        except (ValueError, KeyError, TypeError) as exc:
            logger.warning("%s line %d cannot be read (%s): skipped, kept in %s.rejected", path, number, exc, path.name)
            rejected.append(line)
            continue
        events = by_run.setdefault(run_id, [])  # a run of the file gets its transaction even when only its end is
        if isinstance(event, RunFinished):
            finishes.append((run_id, event))
        elif event is not None:
            events.append(event)
    for run_id, events in by_run.items():
        try:
            save_events(store, events, run_id)
        except IntegrityError:  # the crawl run is gone (the database was recreated): keep the records anyway
            logger.warning("crawl run %s of %s is not in the database: its records are stored without it", run_id, path)
            save_events(store, events, None)
    for run_id, finished in finishes:
        store.finish_run(run_id, finished.stats, finished.reason)  # type: ignore[arg-type]
    if rejected:
        with path.with_name(path.name + ".rejected").open("a", encoding="utf-8") as out:
            out.writelines(line + "\n" for line in rejected)
