"""Item pipeline 300: stores articles, captures and page outcomes in the SQL archive, off the reactor thread.

Everything to write goes into a queue drained by ONE writer thread in batches of up to `SQL_BATCH_SIZE` records
(articles, captures and outcomes alike), each batch one transaction, committed at least every
`SQL_BATCH_SECONDS` and at close (Scrapy closes the spider gracefully on SIGINT/SIGTERM, and `close_spider`
waits for the writer to commit what is queued). Captures come from the `capture_recorded` signal of the WARC
recorder, outcomes from the spider's `page_outcome` signal. The crawl run is recorded when the spider opens and
finished, with the crawl stats and close reason, when it closes. The spider's `archived_articles_requested`
signal is answered with `ArchiveStore.known_article_urls` (incremental crawls).

When the database goes away mid-crawl nothing is lost: the batch is held and retried with back-off while the crawl
goes on; if the database is still gone `SQL_CLOSE_TIMEOUT` seconds (default 60) after the spider closed, what is
pending is spooled as JSON lines into `SQL_SPOOL_DIR` (default `data/sql-spool`) and replayed by the next crawl
that opens the same database. A record the database refuses (a bad value) costs that record only: it is logged
and its capture gets the outcome `failed` with the reason.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import queue
import threading
import time
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from scrapy import signals as scrapy_signals
from sqlalchemy.exc import DBAPIError, IntegrityError, InterfaceError, OperationalError

from archive.outcomes import Outcome
from archive.records import Article, Capture, WarcPointer
from archive.store import ArchiveStore, SaveReport, StoreUnavailable
from crawler.signals import archived_articles_requested, capture_recorded, page_outcome, validators_requested

logger = logging.getLogger(__name__)

_STOP = object()
MAX_RETRY_DELAY = 30.0


def is_transient(error: BaseException) -> bool:
    """True for errors of the connection (the database is gone or busy), not of the data written."""
    if isinstance(error, OperationalError | InterfaceError | StoreUnavailable):
        return True
    return isinstance(error, DBAPIError) and error.connection_invalidated


class SqlStorePipeline:
    def __init__(
        self,
        crawler: Any,
        store: ArchiveStore,
        batch_size: int = 100,
        batch_seconds: float = 2.0,
        spool_dir: Path = Path("data/sql-spool"),
        close_timeout: float = 60.0,
    ) -> None:
        self.crawler = crawler
        self.store = store
        self.batch_size = max(1, batch_size)
        self.batch_seconds = max(0.01, batch_seconds)
        self.spool_dir = spool_dir
        self.close_timeout = close_timeout
        self.run_id: int | None = None
        self._queue: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._writer: threading.Thread | None = None
        self._stopping = threading.Event()
        self._outage_logged = False
        self._spool_path: Path | None = None

    @classmethod
    def from_crawler(cls, crawler: Any) -> SqlStorePipeline:
        settings = crawler.settings
        pipeline = cls(
            crawler,
            ArchiveStore(settings.get("DATABASE_URL")),
            batch_size=settings.getint("SQL_BATCH_SIZE", 100),
            batch_seconds=settings.getfloat("SQL_BATCH_SECONDS", 2.0),
            spool_dir=Path(settings.get("SQL_SPOOL_DIR") or "data/sql-spool"),
            close_timeout=settings.getfloat("SQL_CLOSE_TIMEOUT", 60.0),
        )
        crawler.signals.connect(pipeline.on_capture, signal=capture_recorded)
        crawler.signals.connect(pipeline.on_outcome, signal=page_outcome)
        crawler.signals.connect(pipeline.on_archived_articles_requested, signal=archived_articles_requested)
        crawler.signals.connect(pipeline.on_validators_requested, signal=validators_requested)
        crawler.signals.connect(pipeline.on_spider_closed, signal=scrapy_signals.spider_closed)
        return pipeline

    # --- Scrapy ---------------------------------------------------------------------------------------------------
    async def open_spider(self) -> None:
        spider = self.crawler.spider
        site = getattr(getattr(spider, "profile", None), "name", None) or spider.name
        arguments = dict(getattr(spider, "crawl_arguments", None) or {})
        self.run_id = await asyncio.to_thread(self.store.start_run, site, arguments)
        self._writer = threading.Thread(target=self._write_loop, name="newsarchive-sql-writer", daemon=True)
        self._writer.start()

    def process_item(self, item: Any) -> Any:
        if isinstance(item, Article):
            self._queue.put(("article", item))
        return item

    async def close_spider(self) -> None:
        if self._writer is not None:
            self._stopping.set()
            self._queue.put(_STOP)  # wakes the writer if it waits for events
            await asyncio.to_thread(self._writer.join)

    def on_capture(self, capture: Capture) -> None:
        self._queue.put(("capture", capture))

    def on_outcome(self, url: str, outcome: str, reason: str = "") -> None:
        self._queue.put(("outcome", (url, outcome, reason)))

    async def on_archived_articles_requested(self, site: str) -> dict[str, datetime | None]:
        return await asyncio.to_thread(self.store.known_article_urls, site)

    async def on_validators_requested(self, url: str) -> dict[str, str]:
        return await asyncio.to_thread(self.store.conditional_headers, url)

    async def on_spider_closed(self, spider: Any, reason: str) -> None:
        if self.run_id is not None:
            await asyncio.to_thread(self._finish, dict(self.crawler.stats.get_stats()), reason)

    # --- the writer thread ----------------------------------------------------------------------------------------
    def _write_loop(self) -> None:
        self._replay_spools()
        pending: list[tuple[str, Any]] = []
        delay = 0.0
        while not self._stopping.is_set():
            self._collect(pending)
            if pending:
                pending = self._write(pending)
            if pending:  # the database is unavailable: hold the batch, try again later
                delay = min(MAX_RETRY_DELAY, max(0.5, delay * 2))
                self._stopping.wait(delay)
            else:
                delay = 0.0
        self._write_remaining(pending + self._drain())

    def _write_remaining(self, events: list[tuple[str, Any]]) -> None:
        """At close: write everything, retrying for SQL_CLOSE_TIMEOUT seconds, then spool what is left."""
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

    def _collect(self, pending: list[tuple[str, Any]]) -> None:
        """Add queued events to `pending` until the batch is full, SQL_BATCH_SECONDS pass or the spider closes."""
        deadline = time.monotonic() + self.batch_seconds
        while len(pending) < self.batch_size:
            timeout = deadline - time.monotonic()
            if timeout <= 0:
                return
            try:
                event = self._queue.get(timeout=timeout)
            except queue.Empty:
                return
            if event is _STOP:
                return
            pending.append(event)

    def _drain(self) -> list[tuple[str, Any]]:
        events = []
        while True:
            try:
                event = self._queue.get_nowait()
            except queue.Empty:
                return events
            if event is not _STOP:
                events.append(event)

    def _write(self, events: list[tuple[str, Any]]) -> list[tuple[str, Any]]:
        """Store `events`; returns those still to write (all of them while the database is unavailable)."""
        try:
            self._save(events, self.run_id)
        except Exception as exc:
            if is_transient(exc):
                self._log_outage(exc, len(events))
                return events
            return self._write_one_by_one(events)
        if self._outage_logged:
            logger.warning("database available again: writing resumed")
            self._outage_logged = False
        return []

    def _write_one_by_one(self, events: list[tuple[str, Any]]) -> list[tuple[str, Any]]:
        """Find the record(s) the database refuses, store the others."""
        for index, event in enumerate(events):
            try:
                self._save([event], self.run_id)
            except Exception as exc:
                if is_transient(exc):
                    self._log_outage(exc, len(events) - index)
                    return events[index:]
                self._refuse(event, exc)
        return []

    def _save(self, events: list[tuple[str, Any]], run_id: int | None) -> None:
        report = self.store.save_batch(
            captures=[payload for kind, payload in events if kind == "capture"],
            articles=[payload for kind, payload in events if kind == "article"],
            outcomes=[payload for kind, payload in events if kind == "outcome"],
            run_id=run_id,
        )
        self._count(report)

    def _count(self, report: SaveReport) -> None:
        stats = self.crawler.stats
        for name, urls in (("new", report.new), ("changed", report.changed), ("unchanged", report.unchanged)):
            if urls:
                stats.inc_value(f"newsarchive/sql/articles_{name}", len(urls))
        for kind, _, _ in report.duplicates.values():
            stats.inc_value(f"newsarchive/sql/duplicates_{kind}")
        for url, reason in report.refused:
            logger.warning("article %s not stored: %s", url, reason)
            stats.inc_value("newsarchive/sql/articles_refused")

    def _refuse(self, event: tuple[str, Any], error: BaseException) -> None:
        kind, payload = event
        url = payload.url if kind in ("article", "capture") else payload[0]
        reason = f"not stored: {type(error).__name__}: {str(error).splitlines()[0] if str(error) else ''}"
        logger.error("%s of %s %s", kind, url, reason)
        self.crawler.stats.inc_value(f"newsarchive/sql/{kind}_refused")
        try:
            self.store.record_outcomes([(url, Outcome.FAILED, reason)], run_id=self.run_id)
        except Exception:
            logger.exception("could not record that %s was refused", url)

    def _log_outage(self, error: BaseException, count: int) -> None:
        self.crawler.stats.inc_value("newsarchive/sql/write_retries")
        if not self._outage_logged:
            logger.error("database unavailable, holding %d record(s) and retrying: %s", count, error)
            self._outage_logged = True

    # --- the end of the run -----------------------------------------------------------------------------------------
    def _finish(self, stats: dict[str, Any], reason: str) -> None:
        """Store events that arrived after the writer stopped, then finish the crawl run."""
        late = self._drain()
        try:
            unwritten = self._write(late) if late else []  # a refused record costs that record only
            if unwritten:
                self._spool([*unwritten, ("finish", (stats, reason))])
                return
            self.store.finish_run(self.run_id, stats, reason)  # type: ignore[arg-type]
        except Exception as exc:
            if not is_transient(exc):
                raise
            self._spool([("finish", (stats, reason))])
        finally:
            self.store.close()

    # --- spooling -------------------------------------------------------------------------------------------------
    def _spool_prefix(self) -> str:
        return "sql-spool-" + hashlib.sha256(self.store.database_url.encode()).hexdigest()[:12]

    def _spool(self, events: list[tuple[str, Any]]) -> None:
        """Append `events` to this crawl's spool file (one per crawl: the writer and the run's end share it)."""
        if self._spool_path is None:
            stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%f")
            self._spool_path = self.spool_dir / f"{self._spool_prefix()}-{self.run_id}-{stamp}.jsonl"
        self.spool_dir.mkdir(parents=True, exist_ok=True)
        with self._spool_path.open("a", encoding="utf-8") as out:
            for kind, payload in events:
                entry = spool_entry(kind, payload, self.run_id)
                out.write(json.dumps(entry, ensure_ascii=False, default=str) + "\n")
        logger.error(
            "database still unavailable: %d record(s) spooled to %s; the next crawl on this database replays them",
            len(events),
            self._spool_path,
        )
        self.crawler.stats.inc_value("newsarchive/sql/spooled", len(events))

    def _replay_spools(self) -> None:
        if not self.spool_dir.is_dir():
            return
        for path in sorted(self.spool_dir.glob(f"{self._spool_prefix()}-*.jsonl")):
            try:
                replay_spool(self.store, path)
            except Exception:
                logger.exception("could not replay %s; it is kept for the next crawl", path)
                continue
            path.unlink()
            logger.info("replayed spooled records of %s", path)


def spool_entry(kind: str, payload: Any, run_id: int | None) -> dict[str, Any]:
    """A JSON-ready line of the spool file."""
    if kind == "article":
        data: Any = payload.to_record()
    elif kind == "capture":
        data = asdict(payload) | {"fetched_at": payload.fetched_at.isoformat()}
    else:
        data = payload
    return {"kind": kind, "run_id": run_id, "data": data}


def replay_spool(store: ArchiveStore, path: Path) -> None:
    """Write a spool file's records into `store`, in one transaction per crawl run."""
    by_run: dict[int | None, dict[str, list[Any]]] = {}
    finishes = []
    for line in path.read_text(encoding="utf-8").splitlines():
        entry = json.loads(line)
        kind, data, run_id = entry["kind"], entry["data"], entry["run_id"]
        events = by_run.setdefault(run_id, {"capture": [], "article": [], "outcome": []})
        if kind == "article":
            events["article"].append(Article.from_record(data))
        elif kind == "capture":
            warc = WarcPointer(**data["warc"]) if data.get("warc") else None
            fetched_at = datetime.fromisoformat(data["fetched_at"])
            events["capture"].append(Capture(**(data | {"warc": warc, "fetched_at": fetched_at})))
        elif kind == "outcome":
            events["outcome"].append(tuple(data))
        elif kind == "finish":
            finishes.append((run_id, *data))
    for run_id, events in by_run.items():
        batch = {"captures": events["capture"], "articles": events["article"], "outcomes": events["outcome"]}
        try:
            store.save_batch(**batch, run_id=run_id)
        except IntegrityError:  # the crawl run is gone (the database was recreated): keep the records anyway
            logger.warning("crawl run %s of %s is not in the database: its records are stored without it", run_id, path)
            store.save_batch(**batch, run_id=None)
    for run_id, stats, reason in finishes:
        store.finish_run(run_id, stats, reason)
