"""The lock of a site on an archive: two scheduled runs of one site never crawl into one database at once.

A crawl holds the lock as a row of `run_locks` (site, job, host, pid, heartbeat), so it works the same on SQLite
and PostgreSQL and is visible to every machine that writes to the archive. The rows of one site are read and
written in one serialised transaction (SQLite `BEGIN IMMEDIATE`, a PostgreSQL advisory transaction lock), so two
runs starting in the same second cannot both take it. Crawlers of the same distributed job share the lock.

A holder refreshes its heartbeat every `heartbeat_every` seconds from a thread. A lock whose holder is gone is
taken over: its process no longer exists on this host, or its heartbeat is older than `stale_after` seconds
(the holder was killed, or its machine died). The runs that holder left `running` are then marked `killed`.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from types import TracebackType

from sqlalchemy import Connection, Engine, delete, insert, select, update
from sqlalchemy.exc import DBAPIError

from archive import db
from archive.models import CrawlRun, RunLockRow
from archive.processes import process_exists
from archive.runstatus import RunStatus

logger = logging.getLogger(__name__)

KILLED_STAT = "newsarchive/killed"  # the stat a run marked killed holds: why

# PostgreSQL advisory lock key serialising lock takers (the bytes of "runlock")
RUN_LOCK_KEY = int.from_bytes(b"runlock", "big")


@dataclass(frozen=True)
class Holder:
    site: str
    job: str
    host: str
    pid: int
    acquired_at: datetime
    heartbeat_at: datetime

    def describe(self, now: datetime) -> str:
        job = f" (job {self.job})" if self.job else ""
        age = (now - self.heartbeat_at).total_seconds()
        return (f"pid {self.pid} on {self.host}{job}, running since {self.acquired_at:%Y-%m-%d %H:%M:%S} UTC, "
                f"last heartbeat {age:.0f} s ago")


class LockHeld(RuntimeError):
    """Another run holds the lock of the site."""

    def __init__(self, site: str, holder: Holder) -> None:
        self.holder = holder
        super().__init__(f"another run of {site} holds the lock on this archive: {holder.describe(_now())}")


class RunLock:
    """`with RunLock(engine, site).acquire(): ...` holds the lock of `site` (heartbeating) until the block ends."""

    def __init__(self, engine: Engine, site: str, *, job: str = "", stale_after: float = 120.0,
                 heartbeat_every: float = 30.0) -> None:
        self.engine = engine
        self.site = site
        self.job = job
        self.stale_after = timedelta(seconds=stale_after)
        self.heartbeat_every = heartbeat_every
        self.host = socket.gethostname()
        self.token = uuid.uuid4().hex
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    # --- taking and giving back -----------------------------------------------------------------------------------
    def acquire(self, wait: bool = False, poll: float = 5.0,
                on_wait: Callable[[LockHeld], None] | None = None) -> RunLock:
        """Take the lock, or raise `LockHeld`; with `wait`, try again every `poll` seconds until it is free
        (`on_wait` is told once, when the wait begins)."""
        told = False
        while True:
            try:
                self._take()
                return self
            except LockHeld as held:
                if not wait:
                    raise
                if on_wait is not None and not told:
                    on_wait(held)
                    told = True
            time.sleep(poll)

    def release(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None
        try:
            with self.engine.begin() as connection:
                connection.execute(delete(RunLockRow).where(RunLockRow.token == self.token))
        except DBAPIError as exc:  # the database went away: the lock goes stale and is taken over
            logger.warning("cannot release the lock of %s: %s", self.site, db.first_line(exc.orig))

    def __enter__(self) -> RunLock:
        self._stop.clear()
        self._thread = threading.Thread(target=self._heartbeat, name="newsarchive-run-lock", daemon=True)
        self._thread.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self.release()

    # --- inside -------------------------------------------------------------------------------------------------------
    def _take(self) -> None:
        now = _now()
        with db.exclusive(self.engine).begin() as connection:
            if db.is_postgresql(self.engine):
                connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({RUN_LOCK_KEY})")
            gone, live = [], []
            for row in connection.execute(select(RunLockRow).where(RunLockRow.site == self.site)).all():
                holder = Holder(row.site, row.job, row.host, row.pid, row.acquired_at, row.heartbeat_at)
                if self._is_stale(holder, now):
                    logger.warning("taking over the lock of %s from a run that is gone: %s", self.site,
                                   holder.describe(now))
                    connection.execute(delete(RunLockRow).where(RunLockRow.id == row.id))
                    gone.append(holder)
                elif not (self.job and holder.job == self.job):
                    raise LockHeld(self.site, holder)
                else:
                    live.append(holder)
            if gone and not live:  # with a live worker of the same job, its runs may be the ones still running
                _mark_killed(connection, self.site, gone, now)
            self._insert(connection, now)

    def _insert(self, connection: Connection, now: datetime) -> None:
        connection.execute(insert(RunLockRow).values(
            site=self.site, job=self.job, host=self.host, pid=os.getpid(), token=self.token,
            acquired_at=now, heartbeat_at=now,
        ))

    def _is_stale(self, holder: Holder, now: datetime) -> bool:
        if now - holder.heartbeat_at > self.stale_after:
            return True
        return holder.host == self.host and not process_exists(holder.pid)

    def _heartbeat(self) -> None:
        failing = False  # an outage is logged when it starts and when it ends, not at every beat
        while not self._stop.wait(self.heartbeat_every):
            try:
                with self.engine.begin() as connection:
                    beat = connection.execute(
                        update(RunLockRow).where(RunLockRow.token == self.token).values(heartbeat_at=_now())
                    )
                    if beat.rowcount == 0:  # we were silent longer than stale_after
                        logger.error("the lock of %s was taken over by another run while this one held it",
                                     self.site)
            except DBAPIError as exc:
                if not failing:
                    logger.warning("cannot refresh the lock of %s: %s", self.site, db.first_line(exc.orig))
                failing = True
            else:
                if failing:
                    logger.info("the lock of %s is refreshed again", self.site)
                failing = False


def _mark_killed(connection: Connection, site: str, gone: list[Holder], now: datetime) -> None:
    """The runs of `site` still `running` that began under the lock of a holder that is gone died without closing
    their run: they are marked `killed`, with the holder's last heartbeat as their end and the reason in their
    stats."""
    since = min(holder.acquired_at for holder in gone)
    last_seen = max(holder.heartbeat_at for holder in gone)
    reason = "; ".join(f"the process died without closing the run ({holder.describe(now)})" for holder in gone)
    killed = connection.execute(
        update(CrawlRun)
        .where(CrawlRun.site == site, CrawlRun.status == RunStatus.RUNNING, CrawlRun.started_at >= since)
        .values(status=RunStatus.KILLED, finished_at=last_seen,
                stats={KILLED_STAT: reason})
    )
    if killed.rowcount:
        logger.warning("marked %d run(s) of %s as killed: %s", killed.rowcount, site, reason)


def _now() -> datetime:
    return datetime.now(UTC)
