"""Crawl runs as a person or a script reads them (`newsarchive runs`, the crawl summary).

`run_counts` is the one way a run's numbers are counted from its stats, so the summary printed at the end of a
crawl and `newsarchive runs` say the same; articles are counted as the store counted them (new rows, changed,
unchanged), so a first crawl's "articles new" is the growth of `newsarchive stats`' "articles".
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from archive.models import ArticleRow, CaptureRow, CrawlRun
from archive.outcomes import Outcome
from archive.runstatus import RunStatus, exit_code
from archive.store import ArchiveStore

FAILURE_REASONS_SHOWN = 10
# Of the failed outcomes, those of a page's photos and stylesheets (the spider counts them): not pages of their own.
REQUISITES_FAILED_STAT = "newsarchive/requisites/failed"


def run_counts(stats: dict[str, Any]) -> dict[str, int]:
    """The numbers of a run, from its crawl stats (Scrapy's and newsarchive's counters)."""

    def count(name: str) -> int:
        return int(stats.get(name) or 0)

    return {
        "pages fetched": count("response_received_count"),
        "articles new": count("newsarchive/sql/articles_new"),
        "articles changed": count("newsarchive/sql/articles_changed"),
        "articles unchanged": count("newsarchive/sql/articles_unchanged"),
        "articles refused": count("newsarchive/sql/articles_refused"),
        "duplicates": count("newsarchive/sql/duplicates_exact") + count("newsarchive/sql/duplicates_near")
        + count("newsarchive/duplicates/url_in_run"),
        "pages failed": count(f"newsarchive/outcome/{Outcome.FAILED}") - count(REQUISITES_FAILED_STAT),
        "requisites failed": count(REQUISITES_FAILED_STAT),
        "bytes archived": count("warc/payload_bytes"),
    }


def list_runs(store: ArchiveStore, *, limit: int = 20, site: str | None = None,
              run_id: int | None = None) -> list[dict[str, Any]]:
    """The latest runs (of `site`, or run `run_id`), newest first, each a JSON-ready dict."""
    query = select(CrawlRun).order_by(CrawlRun.id.desc()).limit(limit)
    if site is not None:
        query = query.where(CrawlRun.site == site)
    if run_id is not None:
        query = query.where(CrawlRun.id == run_id)
    with Session(store.engine) as session:
        runs = session.scalars(query).all()
        failures = _failures_by_reason(session, [run.id for run in runs])
        return [_record(run, failures.get(run.id, {})) for run in runs]


def archive_size(store: ArchiveStore) -> tuple[int, int]:
    """(articles, captures) in the archive, whatever its schema revision (for a question before a downgrade)."""
    with Session(store.engine) as session:
        return tuple(session.scalar(select(func.count()).select_from(table)) or 0  # type: ignore[return-value]
                     for table in (ArticleRow.__table__, CaptureRow.__table__))


def _failures_by_reason(session: Session, run_ids: list[int]) -> dict[int, dict[str, int]]:
    found: dict[int, dict[str, int]] = {}
    grouped = (
        select(CaptureRow.run_id, CaptureRow.reason, func.count())
        .where(CaptureRow.run_id.in_(run_ids), CaptureRow.outcome == Outcome.FAILED)
        .group_by(CaptureRow.run_id, CaptureRow.reason)
        .order_by(func.count().desc())
    )
    for run_id, reason, count in session.execute(grouped):
        reasons = found.setdefault(run_id, {})
        if len(reasons) < FAILURE_REASONS_SHOWN:
            reasons[reason or "(no reason)"] = count
    return found


def _record(run: CrawlRun, failures: dict[str, int]) -> dict[str, Any]:
    return {
        "id": run.id,
        "site": run.site,
        "started_at": _iso(run.started_at),
        "finished_at": _iso(run.finished_at),
        "duration_s": round((run.finished_at - run.started_at).total_seconds(), 1) if run.finished_at else None,
        "arguments": run.arguments or {},
        "status": run.status,
        "exit_code": None if run.status == RunStatus.RUNNING else int(exit_code(run.status)),
        **{name.replace(" ", "_"): value for name, value in run_counts(run.stats or {}).items()},
        "failures_by_reason": failures,
    }


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat(timespec="seconds") if moment else None
