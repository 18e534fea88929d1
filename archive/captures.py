"""The captures and page outcomes of one write batch, written with a few bulk statements in the store's transaction.

An outcome goes to the latest capture of its URL: the batch's own (the last one of that URL: captures come in fetch
order), else the latest stored one of the crawl run (by `fetched_at`, then id), found for every URL of the batch
in one query; a URL never captured gets a capture-less row (`record_type` `none`). Outcomes are applied in the
order they were set, the last one winning, so a capture of the batch is inserted once with its outcome, and a
stored capture is updated once, however many outcomes it received.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.orm import Session

from archive import rows
from archive.models import CaptureRow
from archive.records import Capture

LOOKUP_CHUNK = 500  # URL keys looked up in one query
CAPTURES = CaptureRow.__table__  # written with Core statements: the ORM's bulk statements cost more per row


class CaptureBatch:
    """Captures and outcomes gathered during one transaction, written by `write`."""

    def __init__(self, session: Session, run_id: int | None) -> None:
        self.session = session
        self.run_id = run_id
        self.new: list[dict[str, Any]] = []  # rows to insert, in the order they were met
        self.latest_new: dict[str, dict[str, Any]] = {}  # URL key → the latest of them
        self.outcomes: list[tuple[str, str, str]] = []

    def add(self, capture: Capture) -> None:
        """A fetched URL to record."""
        self._insert(rows.capture_values(capture, self.run_id))

    def set_outcome(self, url: str, outcome: str, reason: str) -> None:
        """What the crawl made of `url`: set on its latest capture when the batch is written."""
        self.outcomes.append((url, outcome, reason))

    def write(self) -> None:
        """Insert the new captures and update the stored ones that received an outcome."""
        keyed = [(rows.url_key(url), url, outcome, reason) for url, outcome, reason in self.outcomes]
        stored = self._latest_stored({key for key, *_ in keyed} - self.latest_new.keys())
        updates: dict[int, dict[str, Any]] = {}
        for key, url, outcome, reason in keyed:
            values = rows.outcome_values(outcome, reason)
            if key in self.latest_new:
                self.latest_new[key].update(values)
            elif key in stored:
                updates[stored[key]] = values
            else:
                self._insert(rows.capture_values(
                    Capture(url=url, status=None, fetched_at=rows.now(), record_type="none"), self.run_id
                ) | values)  # fmt: skip
        if self.new:
            self.session.execute(insert(CAPTURES), self.new)
        if updates:
            self.session.execute(
                update(CAPTURES).where(CAPTURES.c.id == bindparam("capture_id")),
                [{"capture_id": id_, **values} for id_, values in updates.items()],
            )

    def _insert(self, values: dict[str, Any]) -> None:
        self.new.append(values)
        self.latest_new[values["url_key"]] = values

    def _latest_stored(self, keys: set[str]) -> dict[str, int]:
        """URL key → id of the latest stored capture of that URL in this crawl run (in any run without one)."""
        latest: dict[str, tuple[datetime, int]] = {}
        ordered = sorted(keys)
        for start in range(0, len(ordered), LOOKUP_CHUNK):
            query = select(CaptureRow.url_key, CaptureRow.fetched_at, CaptureRow.id).where(
                CaptureRow.url_key.in_(ordered[start : start + LOOKUP_CHUNK])
            )
            if self.run_id is not None:  # never rewrite what an earlier crawl made of the URL
                # `+ 0`: SQLite's planner would search the run's index and read every capture of the run, not the
                # few of these URL keys
                query = query.where(CaptureRow.run_id + 0 == self.run_id)
            for key, fetched_at, capture_id in self.session.execute(query):
                if key not in latest or (fetched_at, capture_id) > latest[key]:
                    latest[key] = (fetched_at, capture_id)
        return {key: capture_id for key, (_, capture_id) in latest.items()}
