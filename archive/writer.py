"""The batch writer: ONE thread that writes what a crawl produces into the archive store, off the crawl's thread.

Events (`ArticleEvent`, `CaptureEvent`, `OutcomeEvent`) are queued by `put` and written in batches of up to `batch_size`
events, each batch one transaction, committed at least every `batch_seconds` and at `close`. When the database goes away
the batch is held and retried with back-off while the crawl goes on; an outage longer than `close_timeout` seconds, or
a full database (`archive.db.is_disk_full`, reported once by `on_full`: the caller stops the crawl), turns the writer
to the spool (`archive.spool`): from then on what the crawl produces is appended there, in order, and the next run on
the same database replays it (`replay_spool`) before it starts; memory stays bounded however long the outage lasts.
At `close` a held batch is retried for `close_timeout` seconds, then spooled. What the spool cannot take either (its
folder full or unwritable) is reported (`on_unspooled`; logged once, never a traceback): those pages have no row
and are fetched again by the next run. A record the database refuses costs that record only: it is logged and its
capture gets the outcome `failed` with the reason. `finish_run` records the end of the run (or spools it).

No Scrapy here: what a caller counts (stats) reaches it through the `on_*` callbacks.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, Protocol

from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError

from archive.db import first_line, is_disk_full
from archive.outcomes import Outcome
from archive.records import Article, Capture
from archive.store import ArchiveStore, SaveReport, StoreUnavailable

logger = logging.getLogger(__name__)

MAX_RETRY_DELAY = 30.0
THREAD_NAME = "newsarchive-sql-writer"


@dataclass(frozen=True)
class ArticleEvent:
    """An article to store."""

    kind: ClassVar[str] = "article"
    article: Article

    @property
    def url(self) -> str:
        return self.article.url


@dataclass(frozen=True)
class CaptureEvent:
    """A fetched URL to record."""

    kind: ClassVar[str] = "capture"
    capture: Capture

    @property
    def url(self) -> str:
        return self.capture.url


@dataclass(frozen=True)
class OutcomeEvent:
    """What a fetched page was (`archive.outcomes.Outcome`), set on its latest capture."""

    kind: ClassVar[str] = "outcome"
    url: str
    outcome: str
    reason: str = ""


@dataclass(frozen=True)
class RunFinished:
    """The end of a crawl run: its stats and status (`archive.runstatus`); never queued (see `finish_run`)."""

    kind: ClassVar[str] = "finish"
    stats: dict[str, Any]
    reason: str


Event = ArticleEvent | CaptureEvent | OutcomeEvent


class Spooling(Protocol):
    """Where the writer leaves what it could not write: `archive.spool.Spool`."""

    def replay(self) -> None: ...

    def append(self, events: Sequence[Event | RunFinished], run_id: int | None) -> None: ...


def save_events(store: ArchiveStore, events: Sequence[Event], run_id: int | None) -> SaveReport:
    """Store `events` in one transaction (captures, then articles, then outcomes)."""
    return store.save_batch(
        captures=[event.capture for event in events if isinstance(event, CaptureEvent)],
        articles=[event.article for event in events if isinstance(event, ArticleEvent)],
        outcomes=[(e.url, e.outcome, e.reason) for e in events if isinstance(e, OutcomeEvent)],
        run_id=run_id,
    )


def is_transient(error: BaseException) -> bool:
    """True for errors of the connection (the database is gone or busy), not of the data written."""
    if isinstance(error, OperationalError | InterfaceError | StoreUnavailable):
        return True
    return isinstance(error, DBAPIError) and error.connection_invalidated


_STOP = object()


class BatchWriter:
    """Writes events into `store` from a thread of its own; see the module's docstring.

    Callbacks, called on the writer's thread: `on_report(report)` after each stored batch, `on_refused(kind)` for
    each record the database refused, `on_retry()` for each write that found the database unavailable,
    `on_spooled(count)` when records were spooled, `on_full(reason)` the first time the database was full,
    `on_unspooled(count, reason)` when records could be neither stored nor spooled (`unspooled`: the first reason).
    """

    def __init__(
        self,
        store: ArchiveStore,
        spool: Spooling,
        *,
        batch_size: int,
        batch_seconds: float,
        close_timeout: float,
        on_report: Callable[[SaveReport], None],
        on_refused: Callable[[str], None],
        on_retry: Callable[[], None],
        on_spooled: Callable[[int], None],
        on_full: Callable[[str], None],
        on_unspooled: Callable[[int, str], None],
    ) -> None:
        self.store = store
        self.spool = spool
        self.batch_size = max(1, batch_size)
        self.batch_seconds = max(0.01, batch_seconds)
        self.close_timeout = close_timeout
        self.on_report = on_report
        self.on_refused = on_refused
        self.on_retry = on_retry
        self.on_spooled = on_spooled
        self.on_full = on_full
        self.on_unspooled = on_unspooled
        self.full: str | None = None  # why the database is full, once it was
        self.unspooled: str | None = None  # why records were lost, once they were
        self.spilling = False  # everything goes to the spool for the rest of the run
        self._unavailable_since: float | None = None  # when the current outage began (monotonic)
        self.run_id: int | None = None
        self._queue: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._wanted = self.batch_size  # events the writer waits for to fill its batch
        self._batch_full = threading.Event()
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()
        self._outage_logged = False

    # --- the caller's side --------------------------------------------------------------------------------------
    def put(self, event: Event) -> None:
        """Queue `event` (events queued before `start` are written once it runs)."""
        self._queue.put(event)
        # The writer sleeps until its batch can be filled, not for each event.
        if self._queue.qsize() >= self._wanted and not self._batch_full.is_set():
            self._batch_full.set()

    def replay_spool(self) -> None:
        """Write what earlier runs on this database spooled; call before the crawl asks the archive anything."""
        self.spool.replay()

    def start(self, run_id: int | None) -> None:
        """Start the thread, writing into crawl run `run_id`."""
        self.run_id = run_id
        self._thread = threading.Thread(target=self._write_loop, name=THREAD_NAME, daemon=True)
        self._thread.start()

    def close(self) -> None:
        """Write what is queued (retrying, then spooling; see the module's docstring) and stop the thread."""
        if self._thread is not None:
            self._stopping.set()
            self._queue.put(_STOP)
            self._batch_full.set()  # wakes the writer if it waits for events
            self._thread.join()

    def finish_run(self, finished: RunFinished) -> None:
        """After `close`: store the events that arrived since, then finish the crawl run (spooled if unreachable)."""
        late = self._drain()
        if self.spilling:
            self._spool([*late, finished])
            return
        try:
            unwritten = self._write(late) if late else []  # a refused record costs that record only
            if unwritten:
                self._spool([*unwritten, finished])
                return
            self.store.finish_run(self.run_id, finished.stats, finished.reason)  # type: ignore[arg-type]
        except Exception as exc:
            if not is_transient(exc):
                raise
            self._spool([finished])

    # --- the writer thread ----------------------------------------------------------------------------------------
    def _write_loop(self) -> None:
        pending: list[Event] = []
        delay = 0.0
        while not self._stopping.is_set():
            self._collect(pending)
            if pending and not self.spilling:
                pending = self._write(pending)
            if pending and self._spill_due():
                self._spill(pending)
                pending = []
            if pending:  # the database is unavailable: hold the batch, try again later
                delay = min(MAX_RETRY_DELAY, max(0.5, delay * 2))
                self._stopping.wait(delay)
            else:
                delay = 0.0
        self._write_remaining(pending + self._drain())

    def _write_remaining(self, events: list[Event]) -> None:
        """At close: write everything, retrying for `close_timeout` seconds, then spool what is left."""
        if self.spilling:
            if events:
                self._spool(events)
            return
        give_up = time.monotonic() + self.close_timeout
        delay = 0.5
        while events:
            batch, rest = events[: self.batch_size], events[self.batch_size :]
            events = self._write(batch) + rest
            if not events:
                return
            remaining = give_up - time.monotonic()
            if len(events) > len(rest):  # this batch failed
                if remaining <= 0:
                    self._spool(events)
                    return
                time.sleep(min(delay, remaining))
                delay = min(MAX_RETRY_DELAY, delay * 2)

    def _collect(self, pending: list[Event]) -> None:
        """Add queued events to `pending` until the batch is full, `batch_seconds` pass or the writer stops.

        The thread sleeps until `put` sees enough events queued to fill the batch (or the time is up), then takes
        them at once: one wake-up per batch, not one per event."""
        deadline = time.monotonic() + self.batch_seconds
        while True:
            self._batch_full.clear()
            while len(pending) < self.batch_size:
                try:
                    event = self._queue.get_nowait()
                except queue.Empty:
                    break
                if event is _STOP:
                    return
                pending.append(event)
            self._wanted = self.batch_size - len(pending)
            timeout = deadline - time.monotonic()
            if self._wanted <= 0 or timeout <= 0:
                return
            if self._queue.qsize() < self._wanted:  # else `put` added them since: no need to wait
                self._batch_full.wait(timeout)

    def _drain(self) -> list[Event]:
        events = []
        while True:
            try:
                event = self._queue.get_nowait()
            except queue.Empty:
                return events
            if event is not _STOP:
                events.append(event)

    def _write(self, events: list[Event]) -> list[Event]:
        """Store `events`; returns those still to write (all of them while the database is unavailable)."""
        try:
            self._save(events)
        except Exception as exc:
            if is_transient(exc):
                self._log_outage(exc, len(events))
                return events
            return self._write_one_by_one(events)
        if self._outage_logged:
            logger.warning("database available again: writing resumed")
            self._outage_logged = False
        self._unavailable_since = None
        return []

    def _write_one_by_one(self, events: list[Event]) -> list[Event]:
        """Find the record(s) the database refuses, store the others."""
        for index, event in enumerate(events):
            try:
                self._save([event])
            except Exception as exc:
                if is_transient(exc):
                    self._log_outage(exc, len(events) - index)
                    return events[index:]
                self._refuse(event, exc)
        return []

    def _save(self, events: list[Event]) -> None:
        self.on_report(save_events(self.store, events, self.run_id))

    def _refuse(self, event: Event, error: BaseException) -> None:
        reason = f"not stored: {type(error).__name__}: {str(error).splitlines()[0] if str(error) else ''}"
        logger.error("%s of %s %s", event.kind, event.url, reason)
        self.on_refused(event.kind)
        try:
            self.store.record_outcomes([(event.url, Outcome.FAILED, reason)], run_id=self.run_id)
        except Exception:
            logger.exception("could not record that %s was refused", event.url)

    def _spill_due(self) -> bool:
        """Whether held records go to the spool now: the database is full, or unavailable for `close_timeout`."""
        since = self._unavailable_since
        long_gone = since is not None and time.monotonic() - since >= self.close_timeout
        return self.spilling or bool(self.full) or long_gone

    def _spill(self, events: list[Event]) -> None:
        if not self.spilling:
            self.spilling = True
            why = self.full or f"unavailable for {self.close_timeout:.0f} s"
            logger.error("%s: what this crawl produces from now on is spooled for the next one", why)
        self._spool(events)

    def _log_outage(self, error: BaseException, count: int) -> None:
        self.on_retry()
        if self._unavailable_since is None:
            self._unavailable_since = time.monotonic()
        if is_disk_full(error) and not self.full:
            self.full = f"database full: {first_line(error)}"
            logger.error("%s", self.full)
            self._outage_logged = True
            self.on_full(self.full)
        if not self._outage_logged:
            logger.error("database unavailable, holding %d record(s) and retrying: %s", count, first_line(error))
            self._outage_logged = True

    def _spool(self, events: Sequence[Event | RunFinished]) -> None:
        try:
            self.spool.append(events, self.run_id)
        except OSError as exc:
            reason = f"spooling {len(events)} record(s) failed: {exc}"
            if self.unspooled is None:
                self.unspooled = reason
                logger.error("%s; their pages have no row and are fetched again by the next run", reason)
            self.on_unspooled(len(events), reason)
            return
        self.on_spooled(len(events))
