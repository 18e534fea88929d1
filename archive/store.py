"""The SQL archive: stores articles, captures and crawl runs, and answers what the crawler and the CLI ask of it.

`ArchiveStore(database_url)` works the same on SQLite (the embedded default) and PostgreSQL. An empty database
gets its schema from the Alembic migrations on first use (`archive.db`); an older schema is upgraded by
`upgrade()` (the `newsarchive db upgrade` command). Records become rows in `archive.rows`.

Deduplication, each case recorded rather than dropped: one row per (site, canonical URL) (the pipeline
canonicalises URLs, `crawler.urls`) when the texts are one story (a canonical link is evidence, not an order:
different articles declaring one canonical URL stay different rows), and every URL an article was fetched under is
kept in `article_urls`, so a second URL of a known article is not fetched again; exact and near-duplicate texts
under other URLs point at their original (`archive.duplicates`).

Reachability: what discovery listed is recorded (`note_listed`, table `discovered`, with the date the listing gave);
`due_articles` is the crawl's frontier: the listed article URLs due to be fetched (never fetched, failed and due
again, lost, changed since the stored copy), read in listing order a few at a time, judged against the archive
(`judge_listed`); `listed_documents` says what a discovery document led to when it was last read.

Versions: a re-crawled article whose text changed keeps its previous text in `article_versions` and the row is
updated (its `version` incremented); an unchanged re-crawl only moves `last_seen`.

Concurrency: article writes take one transaction-scoped lock (a PostgreSQL advisory lock; on SQLite a `BEGIN
IMMEDIATE` transaction), so two crawler processes writing to one database see each other's rows before deciding
what is new or a duplicate, and cannot deadlock; URL aliases are inserted with `ON CONFLICT DO NOTHING`.
"""

from __future__ import annotations

import itertools
import os
import threading
from collections import Counter
from collections.abc import Collection, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import StrEnum
from pathlib import Path
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, delete, func, insert, or_, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session, selectinload

from archive import db, rows
from archive.captures import CaptureBatch
from archive.db import ARTICLE_WRITE_LOCK, NoArchive, StoreUnavailable
from archive.duplicates import Duplicate, DuplicateRule, same_story, simhash_columns
from archive.models import (
    ArticleRow,
    ArticleUrl,
    ArticleVersion,
    CaptionRow,
    CaptureRow,
    CrawlRun,
    DiscoveredUrl,
    WarcFolder,
)
from archive.outcomes import Outcome
from archive.records import Article, Capture
from archive.warcfiles import local_host

__all__ = ["ArchiveStore", "DueArticles", "DueRules", "NoArchive", "SaveReport", "StoreUnavailable", "Verdict"]

ARTICLE_KEYS = [column.key for column in ArticleRow.__table__.columns if column.key != "id"]
PREFETCH_CHUNK = 500  # articles whose existing rows are fetched in one query
# A capture holding a whole response record with its payload: what a revisit record may refer to.
ARCHIVED_RESPONSE = (
    CaptureRow.record_type == "response",
    CaptureRow.payload_digest.is_not(None),
    CaptureRow.warc_record_id.is_not(None),
    CaptureRow.truncated.is_(None),
)
MAX_REDIRECT_HOPS = 10  # redirects followed to find the article a URL leads to (Scrapy's REDIRECT_MAX_TIMES is 20)


@dataclass
class SaveReport:
    """What `save_articles` did with each article, by canonical URL."""

    new: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)  # a new version was stored
    unchanged: list[str] = field(default_factory=list)  # only last_seen moved
    duplicates: dict[str, Duplicate] = field(default_factory=dict)  # url → (kind, of, similarity)
    refused: list[tuple[str, str]] = field(default_factory=list)  # (url, reason)
    # pages whose declared canonical URL named another article: archived under their own URL
    canonical_disagreed: list[str] = field(default_factory=list)


# A page that ended so is accounted for: the archive holds it elsewhere or knows why it holds nothing.
SETTLED_OUTCOMES = (Outcome.NOT_ARTICLE, Outcome.SKIPPED, Outcome.DUPLICATE)


LISTING_UPDATED = ("kind", "source", "source_key", "last_listed_at", "listed_date")  # what listing a URL again changes


LISTING_TICK = timedelta(microseconds=1)
FRONTIER_CHUNK = 500  # listed URLs judged in one round of queries
FRONTIER_SCAN = 20_000  # listed URLs judged at most in one call of `due_articles`

# A position in a site's listed article URLs, in listing order: (last_listed_at, id) of the last one judged.
FrontierPosition = tuple[datetime, int]


class Verdict(StrEnum):
    """What the frontier makes of a listed article URL (`judge_listed`)."""

    DUE = "due"  # to fetch now
    LATER = "later"  # failed, waiting for its back-off
    GIVEN_UP = "given_up"  # failed as often as allowed
    ARCHIVED = "archived"  # an article is archived under it, unchanged since as far as the listing says
    SETTLED = "settled"  # a capture says why no article is (not an article, skipped, a duplicate)
    OLDER = "older"  # listed with a date before --since: left for a run without it


@dataclass(frozen=True)
class DueRules:
    """How `due_articles` judges a listed URL (`judge_listed`)."""

    attempts: int  # failed fetches before a URL is given up
    backoff: float  # seconds after a first failure before the next attempt (doubled after each)
    run_started: datetime  # URLs last listed before it are owed by earlier runs
    refresh: bool = False  # URLs this run listed are due even when archived
    since: datetime | None = None
    now: datetime | None = None


@dataclass(frozen=True)
class Copy:
    """What the archive holds of a listed URL."""

    held: bool  # an article is archived under it (or under the URL it redirected to)
    date: datetime | None  # the date of that copy (`known_article_urls`)
    settled_at: datetime | None  # the last capture saying why no article is
    failures: list[datetime]  # when its fetches failed


@dataclass
class DueArticles:
    """An answer of `ArchiveStore.due_articles`."""

    after: FrontierPosition | None  # where the next call starts
    urls: list[str] = field(default_factory=list)
    earlier: int = 0  # of `urls`, those last listed before the run started (owed by earlier runs)
    judged: int = 0
    verdicts: Counter[str] = field(default_factory=Counter)
    more: bool = False  # listed URLs remain after `after`


class ArchiveStore:
    """The archive database; thread-safe (each call uses its own session), synchronous."""

    def __init__(self, database_url: str, *, create: bool = True) -> None:
        """Open the archive at `database_url`; an empty database gets the schema, unless `create` is false (the
        read commands): then a missing SQLite file or a database without the schema is a `NoArchive`."""
        self.database_url = database_url
        self.engine = db.connect(database_url, create=create)
        self.is_postgresql = db.is_postgresql(self.engine)
        self._schema_checked = False
        self._listing_lock = threading.Lock()
        self._last_listing = rows.now()
        if create:
            db.create_schema_if_empty(self.engine, database_url)
        elif self.current_revision() is None:
            self.engine.dispose()
            raise NoArchive(db.safe_url(database_url))

    # --- schema -------------------------------------------------------------------------------------------------
    def current_revision(self) -> str | None:
        """The Alembic revision of the database schema (None for an empty database)."""
        return db.current_revision(self.engine)

    def head_revision(self) -> str:
        """The newest schema revision this version of newsarchive ships."""
        return db.head_revision()

    def upgrade(self, revision: str = "head") -> None:
        """Apply the migrations up to `revision` (two processes upgrading at once take turns)."""
        db.upgrade(self.engine, self.database_url, revision)
        self._schema_checked = False

    def downgrade(self, revision: str) -> None:
        """Revert the migrations down to `revision` ("base" drops every table)."""
        db.downgrade(self.engine, self.database_url, revision)
        self._schema_checked = False

    def _check_schema(self) -> None:
        if not self._schema_checked:
            db.check_schema(self.engine, self.database_url)
            self._schema_checked = True

    # --- sessions -----------------------------------------------------------------------------------------------
    @contextmanager
    def _reading(self) -> Iterator[Session]:
        self._check_schema()
        with Session(self.engine) as session:
            yield session

    @contextmanager
    def _writing(self, exclusive: bool = False) -> Iterator[Session]:
        """A transaction committed on exit; `exclusive` serialises it with other article writers."""
        self._check_schema()
        engine = db.exclusive(self.engine) if exclusive else self.engine
        with Session(engine) as session, session.begin():
            if exclusive and self.is_postgresql:
                session.execute(select(func.pg_advisory_xact_lock(ARTICLE_WRITE_LOCK)))
            yield session

    def close(self) -> None:
        """Release the connections."""
        self.engine.dispose()

    # --- crawl runs ---------------------------------------------------------------------------------------------
    def start_run(self, site: str, arguments: dict[str, Any]) -> int:
        """Record the start of a crawl; returns its id."""
        with self._writing() as session:
            run = CrawlRun(
                site=rows.bounded(site, 200),
                arguments=rows.json_safe(arguments),
                started_at=rows.now(),
                status="running",
            )
            session.add(run)
            session.flush()
            return run.id

    def finish_run(self, run_id: int, stats: dict[str, Any], status: str) -> None:
        """Record the end of a crawl, its stats and exit status (e.g. the spider's close reason)."""
        with self._writing() as session:
            session.execute(
                update(CrawlRun)
                .where(CrawlRun.id == run_id)
                .values(finished_at=rows.now(), stats=rows.json_safe(stats), status=rows.bounded(status, 64))
            )

    # --- WARC folders -------------------------------------------------------------------------------------------
    def remember_warc_folders(self, folders: Iterable[str | os.PathLike[str]]) -> None:
        """Record that WARC files (or WACZ packages) of this archive lie in these folders of this machine."""
        now = rows.now()
        paths = dict.fromkeys(rows.clean(Path(folder).resolve()) for folder in folders)
        values = [{"host": local_host(), "path": path, "first_used_at": now, "last_used_at": now} for path in paths]
        if not values:
            return
        insert = postgresql_insert if self.is_postgresql else sqlite_insert
        statement = insert(WarcFolder).values(values)
        with self._writing() as session:
            session.execute(
                statement.on_conflict_do_update(
                    index_elements=["host", "path"], set_={"last_used_at": statement.excluded.last_used_at}
                )
            )

    def warc_folders(self) -> list[Path]:
        """The folders remembered for this archive: this machine's first, the most recently used first."""
        with self._reading() as session:
            found = session.execute(
                select(WarcFolder.host, WarcFolder.path).order_by(WarcFolder.last_used_at.desc(), WarcFolder.id)
            ).all()
        host = local_host()
        return [Path(path) for _, path in sorted(found, key=lambda row: row[0] != host)]

    # --- writes -------------------------------------------------------------------------------------------------
    def save_articles(self, articles: Iterable[Article], run_id: int | None = None) -> SaveReport:
        """Insert new articles, version changed ones, bump `last_seen` of unchanged ones; detect duplicates."""
        return self.save_batch(articles=articles, run_id=run_id)

    def save_captures(self, captures: Iterable[Capture], run_id: int | None = None) -> None:
        """Record fetched URLs."""
        self.save_batch(captures=captures, run_id=run_id)

    def record_outcomes(self, outcomes: Iterable[tuple[str, str, str]], run_id: int | None = None) -> None:
        """Set (url, outcome, reason) on the latest capture of each URL, or record it alone (e.g. a DNS failure)."""
        self.save_batch(outcomes=outcomes, run_id=run_id)

    def save_batch(
        self,
        *,
        captures: Iterable[Capture] = (),
        articles: Iterable[Article] = (),
        outcomes: Iterable[tuple[str, str, str]] = (),
        run_id: int | None = None,
    ) -> SaveReport:
        """Captures, then articles, then outcomes, in one transaction (the order in which a crawl produces them)."""
        captures, articles, outcomes = list(captures), list(articles), list(outcomes)
        report = SaveReport()
        with self._writing(exclusive=bool(articles)) as session:
            batch = CaptureBatch(session, run_id)
            for capture in captures:
                batch.add(capture)
            # A stable order: concurrent writers that lock rows do so in the same order.
            ordered = sorted(articles, key=lambda a: (a.site, a.canonical_url or a.url))
            for start in range(0, len(ordered), PREFETCH_CHUNK):
                chunk = ordered[start : start + PREFETCH_CHUNK]
                _ArticleWriter(session, batch, report, self.is_postgresql).write(chunk)
            for url, outcome, reason in outcomes:
                batch.set_outcome(url, outcome, reason)
            batch.write()
        return report

    # --- discovered URLs and the frontier -------------------------------------------------------------------------
    def note_listed(
        self, site: str, source: str, kind: str, urls: Iterable[str] | Mapping[str, datetime | None]
    ) -> None:
        """Record that the discovery document `source` listed `urls` (article URLs, or documents of `kind`); a
        mapping gives each URL the date the document gave it (`listed_date`, None if none)."""
        dates: Mapping[str, datetime | None] = urls if isinstance(urls, Mapping) else {}
        now = self._listing_instant()
        source, site = rows.clean(source), rows.bounded(site, 200)
        source_key = rows.url_key(source)
        values = {}
        for url in urls:
            key = rows.url_key(url)
            values[key] = {
                "site": site, "url": rows.clean(url), "url_key": key, "kind": kind, "source": source,
                "source_key": source_key, "first_listed_at": now, "last_listed_at": now, "listed_date": dates.get(url),
            }  # fmt: skip
        if not values:
            return
        insert = postgresql_insert if self.is_postgresql else sqlite_insert
        statement = insert(DiscoveredUrl)
        statement = statement.on_conflict_do_update(
            index_elements=["site", "url_key"], set_={name: statement.excluded[name] for name in LISTING_UPDATED}
        )
        with self._writing() as session:  # one statement compiled once, executed for every row (executemany)
            session.execute(statement, list(values.values()))

    def _listing_instant(self) -> datetime:
        """Now, and later than any earlier listing by this store: a URL listed after a frontier read lies after
        that read's position (`due_articles`), even when two listings fall in one clock tick."""
        with self._listing_lock:
            self._last_listing = max(rows.now(), self._last_listing + LISTING_TICK)
            return self._last_listing

    def listed_documents(self, site: str, source: str) -> list[tuple[str, str]]:
        """(URL, kind) of the discovery documents `source` listed when it was last read."""
        with self._reading() as session:
            found = session.execute(
                select(DiscoveredUrl.url, DiscoveredUrl.kind)
                .where(DiscoveredUrl.site == site, DiscoveredUrl.source_key == rows.url_key(source))
                .where(DiscoveredUrl.kind != "article")
                .order_by(DiscoveredUrl.id)
            )
            return [(url, kind) for url, kind in found]

    def due_articles(self, site: str, *, after: FrontierPosition | None, limit: int, rules: DueRules) -> DueArticles:
        """Up to `limit` article URLs of `site` discovery listed that are due to be fetched, read in listing order
        (`last_listed_at`, then `id`) from after the position `after` (None: from the first).

        Each listed URL is judged by `judge_listed` from what the archive holds: its article (under the URL or a
        URL that redirected to it) and the date of that copy, its captures (settled, failed and when). One call
        judges at most `FRONTIER_SCAN` URLs, so the thread asking is never held long; `DueArticles.more` says
        whether listed URLs remain after the returned position.
        """
        found = DueArticles(after=after)
        now = rules.now or rows.now()
        with self._reading() as session:
            while len(found.urls) < limit and found.judged < FRONTIER_SCAN:
                chunk = session.execute(_listed_after(site, found.after).limit(FRONTIER_CHUNK)).all()
                found.more = len(chunk) == FRONTIER_CHUNK
                if not chunk:
                    break
                for row, verdict in zip(chunk, self._judge_chunk(session, site, chunk, rules, now), strict=True):
                    found.after = (row.last_listed_at, row.id)
                    found.judged += 1
                    found.verdicts[verdict] += 1
                    if verdict == Verdict.DUE:
                        found.urls.append(row.url)
                        found.earlier += row.last_listed_at < rules.run_started
                        if len(found.urls) == limit:
                            found.more = True
                            break
                if not found.more:
                    break
        return found

    def _judge_chunk(
        self, session: Session, site: str, chunk: list[Any], rules: DueRules, now: datetime
    ) -> list[Verdict]:
        keys = [row.url_key for row in chunk]
        held = _article_dates(session, site, [row.url for row in chunk])
        redirected = dict(session.execute(
            select(CaptureRow.url_key, CaptureRow.reason)
            .where(CaptureRow.url_key.in_(keys), CaptureRow.outcome == Outcome.REDIRECT)
        ).all())  # fmt: skip
        targets = _article_dates(session, site, set(redirected.values()))
        settled: dict[str, datetime] = {}
        failures: dict[str, list[datetime]] = {}
        fetched: set[str] = set()
        for key, outcome, fetched_at in session.execute(
            select(CaptureRow.url_key, CaptureRow.outcome, CaptureRow.fetched_at).where(CaptureRow.url_key.in_(keys))
        ):
            fetched.add(key)
            if outcome == Outcome.FAILED:
                failures.setdefault(key, []).append(fetched_at)
            elif outcome in SETTLED_OUTCOMES:
                settled[key] = max(fetched_at, settled.get(key, fetched_at))
        verdicts = []
        for row in chunk:
            target = redirected.get(row.url_key)
            copy = Copy(
                # a URL only declared canonical by another page (an AMP copy) is fetched once: the row moves to it
                held=(row.url in held and row.url_key in fetched) or target in targets,
                date=held[row.url] if row.url in held else targets.get(target or ""),
                settled_at=settled.get(row.url_key),
                failures=failures.get(row.url_key, []),
            )
            verdicts.append(judge_listed(row.listed_date, row.last_listed_at, copy, rules, now))
        return verdicts

    def listed_not_reached(self, site: str, after: FrontierPosition | None) -> int:
        """How many article URLs of `site` listed after the position `after` the archive does not hold."""
        held = select(ArticleUrl.id).where(ArticleUrl.site == site, ArticleUrl.url == DiscoveredUrl.url)
        query = _listed_after(site, after).with_only_columns(func.count()).order_by(None)
        with self._reading() as session:
            return session.scalar(query.where(~held.exists())) or 0

    # --- reads --------------------------------------------------------------------------------------------------
    def known_article_urls(self, site: str) -> dict[str, datetime | None]:
        """Every URL an article of `site` is archived under → the date of the stored copy.

        The date is the latest of the article's `modified_at`, the time the stored copy was fetched and the last
        time a fetch found it unchanged (`last_seen`): the copy holds every change made before then, so only a
        sitemap or feed date after that means the article changed since. URLs that redirected to an archived
        article (captures a crawl of `site` recorded with the outcome `redirect` and the target URL as reason)
        count as that article.
        """
        with self._reading() as session:
            known = _article_dates(session, site, None)
            redirects = session.execute(
                select(CaptureRow.url, CaptureRow.reason)
                .join(CrawlRun, CrawlRun.id == CaptureRow.run_id)
                .where(CaptureRow.outcome == Outcome.REDIRECT, CrawlRun.site == site)
            )
            for url, target in redirects.all():
                if target in known:
                    known.setdefault(url, known[target])
            return known

    def conditional_headers(self, url: str) -> dict[str, str]:
        """`If-None-Match` / `If-Modified-Since` from the last successful capture of `url` that had validators.

        Only captures of crawl runs that finished count: a run stopped half-way may not have followed everything a
        sitemap or listing led to, and a 304 on the next run would hide those links for good.
        """
        with self._reading() as session:
            capture = session.scalars(
                select(CaptureRow)
                .join(CrawlRun, CrawlRun.id == CaptureRow.run_id)
                .where(CrawlRun.status == "finished")
                .where(CaptureRow.url_key == rows.url_key(url), CaptureRow.status.in_((200, 203, 304)))
                .where(or_(CaptureRow.etag.is_not(None), CaptureRow.last_modified.is_not(None)))
                .order_by(CaptureRow.fetched_at.desc(), CaptureRow.id.desc())
                .limit(1)
            ).first()
        headers: dict[str, str] = {}
        if capture is not None and capture.etag:
            headers["If-None-Match"] = capture.etag
        if capture is not None and capture.last_modified:
            headers["If-Modified-Since"] = capture.last_modified
        return headers

    def first_payload(self, digest: str) -> tuple[str, datetime, str] | None:
        """(URL, date, WARC-Record-ID) of the first whole response archived with this payload digest, if any."""
        with self._reading() as session:
            row = session.execute(
                select(CaptureRow.url, CaptureRow.fetched_at, CaptureRow.warc_record_id)
                .where(CaptureRow.payload_digest == digest, *ARCHIVED_RESPONSE)
                .order_by(CaptureRow.id)
                .limit(1)
            ).first()
        return None if row is None else tuple(row)

    def latest_response(self, url: str) -> tuple[datetime, str, str] | None:
        """(date, WARC-Record-ID, payload digest) of the latest whole response archived for `url`, if any."""
        with self._reading() as session:
            row = session.execute(
                select(CaptureRow.fetched_at, CaptureRow.warc_record_id, CaptureRow.payload_digest)
                .where(CaptureRow.url_key == rows.url_key(url), *ARCHIVED_RESPONSE)
                .order_by(CaptureRow.fetched_at.desc(), CaptureRow.id.desc())
                .limit(1)
            ).first()
        return None if row is None else tuple(row)

    def iter_articles(self, site: str | None = None, since: date | datetime | None = None) -> Iterator[Article]:
        """The current version of every article (of `site`), oldest archived first.

        `since` keeps articles published on or after it (a date is taken in UTC); articles without a publication
        date are kept when they were fetched on or after it.
        """
        query = select(ArticleRow).options(selectinload(ArticleRow.captions)).order_by(ArticleRow.id)
        if site is not None:
            query = query.where(ArticleRow.site == site)
        if since is not None:
            instant = rows.as_instant(since)
            query = query.where(
                or_(
                    ArticleRow.published_at >= instant,
                    ArticleRow.published_at.is_(None) & (ArticleRow.fetched_at >= instant),
                )
            )
        with self._reading() as session:
            for row in session.scalars(query.execution_options(yield_per=500)):
                yield rows.article_of(row)

    def get_article(self, url: str | Iterable[str], site: str | None = None) -> Article | None:
        """The archived article reached under `url` (or under any of several forms of one URL): its canonical URL,
        any URL it was fetched under, or a URL that redirected to one of those (a capture with the outcome
        `redirect`, followed for up to `MAX_REDIRECT_HOPS`)."""
        wanted = [url] if isinstance(url, str) else list(url)
        seen: set[str] = set()
        with self._reading() as session:
            for _ in range(MAX_REDIRECT_HOPS + 1):
                wanted = [u for u in dict.fromkeys(wanted) if u not in seen]
                if not wanted:
                    break
                seen.update(wanted)
                query = (
                    select(ArticleRow)
                    .join(ArticleUrl, ArticleUrl.article_id == ArticleRow.id)
                    .where(or_(ArticleUrl.url.in_(wanted), ArticleRow.canonical_url.in_(wanted)))
                    .options(selectinload(ArticleRow.captions))
                )
                if site is not None:
                    query = query.where(ArticleRow.site == site)
                row = session.scalars(query.limit(1)).first()
                if row is not None:
                    return rows.article_of(row)
                wanted = list(session.scalars(
                    select(CaptureRow.reason)
                    .where(CaptureRow.url_key.in_([rows.url_key(u) for u in wanted]))
                    .where(CaptureRow.outcome == Outcome.REDIRECT)
                ))  # fmt: skip
        return None

    def article_versions(self, url: str) -> list[dict[str, Any]]:
        """The archived earlier versions of the article at `url`, oldest first (each a dict of its columns)."""
        with self._reading() as session:
            versions = session.scalars(
                select(ArticleVersion)
                .join(ArticleRow, ArticleRow.id == ArticleVersion.article_id)
                .where(ArticleRow.canonical_url == url)
                .order_by(ArticleVersion.version)
            )
            return [
                {column.key: getattr(v, column.key) for column in ArticleVersion.__table__.columns} for v in versions
            ]

    def stats(self) -> dict[str, Any]:
        """Counts for `newsarchive stats`: a title → a number or a {key: count} table."""
        with self._reading() as session:

            def grouped(*columns: Any, where: Any = None) -> dict[Any, int]:
                query = select(*columns, func.count()).group_by(*columns).order_by(func.count().desc())
                if where is not None:
                    query = query.where(where)
                return {key if len(key) > 1 else key[0]: n for *key, n in session.execute(query)}

            days: Counter[str] = Counter()
            dated = select(ArticleRow.published_at, ArticleRow.published_offset, ArticleRow.fetched_at)
            for published, offset, fetched in session.execute(dated.execution_options(yield_per=5000)):
                day = rows.local(published, offset) if published else fetched
                days[day.date().isoformat() if day else "unknown"] += 1
            article_count = session.scalar(select(func.count()).select_from(ArticleRow)) or 0
            alias_count = session.scalar(select(func.count()).select_from(ArticleUrl)) or 0
            duplicates = grouped(ArticleRow.duplicate_kind, where=ArticleRow.duplicate_kind.is_not(None))
            # Each article has one alias for its canonical URL; the others are URLs recognised as that article.
            duplicates["url"] = alias_count - article_count
            with_issues = select(func.count()).select_from(ArticleRow).where(ArticleRow.issues.is_not(None))
            return {
                "articles": article_count,
                "articles with cleaned or dropped values": session.scalar(with_issues) or 0,
                "article versions archived": session.scalar(select(func.count()).select_from(ArticleVersion)) or 0,
                "crawl runs": session.scalar(select(func.count()).select_from(CrawlRun)) or 0,
                "articles per site": grouped(ArticleRow.site),
                "articles per section": grouped(ArticleRow.section),
                "articles per day": dict(sorted(days.items(), reverse=True)),
                "duplicates by kind": duplicates,
                "captures by outcome": grouped(CaptureRow.outcome),
                "failures by reason": grouped(CaptureRow.reason, where=CaptureRow.outcome == Outcome.FAILED),
            }


class _ArticleWriter:
    """Stores a chunk of articles in an open transaction.

    The rows the chunk may touch (by canonical URL or any known URL) and the originals of its content hashes are
    fetched once for the chunk; rows the chunk creates join them, so a chunk holding two copies of one article
    still makes one row. New rows are plain values (`rows.NewArticleRow`) inserted together at the end of the
    chunk, or as soon as one of them is to be changed (then through the ORM, like the stored rows).
    """

    def __init__(self, session: Session, captures: CaptureBatch, report: SaveReport, is_postgresql: bool) -> None:
        self.session = session
        self.captures = captures
        self.run_id = captures.run_id
        self.report = report
        self.insert = postgresql_insert if is_postgresql else sqlite_insert
        self.now = rows.now()
        self.by_url: dict[tuple[str, str], ArticleRow | rows.NewArticleRow] = {}  # (site, URL) → its article
        self.aliases: dict[tuple[str, str], ArticleRow | rows.NewArticleRow] = {}  # the chunk's, to insert
        self.unwritten: list[rows.NewArticleRow] = []  # new rows not inserted yet
        self.provisional_ids = itertools.count(-1, -1)
        self.duplicates = DuplicateRule(session, report.duplicates)

    def write(self, articles: list[Article]) -> None:
        prepared = []
        for article in articles:
            values, issues = rows.article_values(article)
            if isinstance(values, str):
                self.report.refused.append((article.url, values))
                self.captures.set_outcome(article.url, Outcome.FAILED, f"not stored: {values}")
            else:
                values.update(simhash_columns(values["text"]))
                prepared.append((values, issues))
        if not prepared:
            return
        self._prefetch(prepared)
        self.aliases = {}  # the first row wins
        for values, issues in prepared:
            row = self._save(values, issues)
            for url in _urls_of(values):
                self.aliases.setdefault((row.site, url), row)
        self._insert_new()
        aliases = [{"site": site, "url": url, "article_id": row.id} for (site, url), row in self.aliases.items()]
        self.session.execute(
            self.insert(ArticleUrl.__table__).on_conflict_do_nothing(index_elements=["site", "url"]), aliases
        )

    def _prefetch(self, prepared: list[tuple[dict[str, Any], list[str]]]) -> None:
        keys = {(values["site"], url) for values, _ in prepared for url in _urls_of(values)}
        stored = select(ArticleRow).where(_keyed(ArticleRow.site, ArticleRow.canonical_url, keys))
        for row in self.session.scalars(stored):
            self.by_url[(row.site, row.canonical_url)] = row
        alias_ids = {
            (site, url): article_id
            for site, url, article_id in self.session.execute(
                select(ArticleUrl.site, ArticleUrl.url, ArticleUrl.article_id).where(
                    _keyed(ArticleUrl.site, ArticleUrl.url, keys)
                )
            )
        }
        if alias_ids:
            by_id = {row.id: row for row in self.session.scalars(
                select(ArticleRow).where(ArticleRow.id.in_(set(alias_ids.values())))
            )}  # fmt: skip
            for key, article_id in alias_ids.items():
                self.by_url.setdefault(key, by_id[article_id])
        self.duplicates.prefetch([values for values, _ in prepared])

    def _save(self, values: dict[str, Any], issues: list[str]) -> ArticleRow | rows.NewArticleRow:
        """Insert, version or touch the row of one article (new, changed or unchanged text)."""
        site = values["site"]
        captions = values.pop("captions")
        values["issues"] = "; ".join(issues) or None
        row = self._row_at_own_url(values) or self._row_of_declared_canonical(values)
        seen = values.get("fetched_at") or self.now  # first_seen / last_seen are when the page was fetched
        if row is None:
            row = self._new(values, captions, seen)
        elif row.content_hash == values["content_hash"]:
            row.last_seen = max(row.last_seen, seen)
            if values["url"] == row.canonical_url != row.url:  # first archived via an alias (AMP, old URL)
                rows.point_at_capture(row, values)  # now at home: the row's URL and its capture move together
            self.report.unchanged.append(row.canonical_url)
        else:
            self.session.add(rows.version_of(row, self.now))
            for name, value in values.items():
                if name != "canonical_url":  # the row keeps the URL it was first archived under
                    setattr(row, name, value)
            row.captions.clear()
            self.session.flush()  # the old captions go before the new ones take their positions
            row.captions = [CaptionRow(position=i, **c) for i, c in enumerate(captions)]
            row.version += 1
            row.last_seen = max(row.last_seen, seen)
            row.run_id = self.run_id
            self.duplicates.mark(row)
            self.session.flush()
            self.report.changed.append(row.canonical_url)
        for url in _urls_of(values) | {row.canonical_url}:
            self.by_url[(site, url)] = row
        self.duplicates.remember(row, unwritten=isinstance(row, rows.NewArticleRow))
        return row

    def _new(self, values: dict[str, Any], captions: list[dict[str, Any]], seen: datetime) -> rows.NewArticleRow:
        """A new article: its row inserted with the chunk's others (`_insert_new`)."""
        bookkeeping = {"first_seen": seen, "last_seen": seen, "version": 1, "run_id": self.run_id}
        row = rows.NewArticleRow(values | bookkeeping, captions)
        self.duplicates.mark(row)
        row.id = next(self.provisional_ids)
        self.unwritten.append(row)
        self.report.new.append(row.canonical_url)
        return row

    def _insert_new(self) -> None:
        """Insert the new rows not inserted yet (one statement), then their captions."""
        if not self.unwritten:
            return
        table = ArticleRow.__table__
        ids = self.session.execute(
            insert(table).returning(table.c.id, sort_by_parameter_order=True),
            [{key: row.values[key] for key in ARTICLE_KEYS} for row in self.unwritten],
        ).scalars().all()
        provisional = {}
        captions = []
        for row, row_id in zip(self.unwritten, ids, strict=True):
            provisional[row.id], row.id = row_id, row_id
            captions += [{"article_id": row_id, "position": i, **caption} for i, caption in enumerate(row.captions)]
        if captions:
            self.session.execute(insert(CaptionRow.__table__), captions)
        self.unwritten = []
        self.duplicates.written(provisional)

    def _known(self, site: str, url: str) -> ArticleRow | None:
        """The row archived under (site, URL); a new one of this chunk is inserted and loaded, to be changed through
        the ORM."""
        row = self.by_url.get((site, url))
        if isinstance(row, rows.NewArticleRow):
            self._insert_new()
            inserted, row = row, self.session.get_one(ArticleRow, row.id)
            for key, known in self.by_url.items():
                if known is inserted:
                    self.by_url[key] = row
        return row

    def _row_at_own_url(self, values: dict[str, Any]) -> ArticleRow | None:
        """The row archived under the page's own URL. A row another page put there, by declaring this URL its
        canonical, that is not this story moves to that page's own URL (it claimed a key that was not its own)."""
        row = self._known(values["site"], values["url"])
        if row is None or row.url == values["url"] or row.canonical_url not in _urls_of(values) or same_story(
            values["text"], values["simhash"], row.text, row.simhash
        ):
            return row
        claimed = row.canonical_url
        row.canonical_url = row.url
        self.session.execute(delete(ArticleUrl).where(
            ArticleUrl.site == row.site, ArticleUrl.url == claimed, ArticleUrl.article_id == row.id
        ))  # fmt: skip
        self.session.flush()
        self.by_url.pop((row.site, claimed), None)
        self.aliases.pop((row.site, claimed), None)
        self.by_url[(row.site, row.url)] = row
        self.report.canonical_disagreed.append(row.url)
        return None

    def _row_of_declared_canonical(self, values: dict[str, Any]) -> ArticleRow | None:
        """The row archived under the page's canonical URL if the page is that story; else (different articles
        sharing a canonical link) the page is archived under its own URL, and None."""
        row = self._known(values["site"], values["canonical_url"])
        if row is None or values["url"] == values["canonical_url"] or same_story(
            values["text"], values["simhash"], row.text, row.simhash
        ):
            return row
        values["canonical_url"] = values["url"]
        self.report.canonical_disagreed.append(values["url"])
        return None


def _urls_of(values: dict[str, Any]) -> set[str]:
    return {values["canonical_url"], values["url"]}


def _keyed(site_column: Any, url_column: Any, keys: Iterable[tuple[str, str]]) -> ColumnElement[bool]:
    """`(site, URL) IN keys`, written so that SQLite searches the (site, URL) index: it scans the whole table for
    a tuple IN."""
    by_site: dict[str, list[str]] = {}
    for site, url in keys:
        by_site.setdefault(site, []).append(url)
    return or_(*(and_(site_column == site, url_column.in_(urls)) for site, urls in by_site.items()))


def _latest(*dates: datetime | None) -> datetime | None:
    present = [d for d in dates if d is not None]
    return max(present) if present else None


def _article_dates(session: Session, site: str, urls: Collection[str] | None) -> dict[str, datetime | None]:
    """URL → the date of the stored copy (`ArchiveStore.known_article_urls`) of the articles of `site` archived
    under `urls` (None: under any URL)."""
    query = (
        select(ArticleUrl.url, ArticleRow.modified_at, ArticleRow.fetched_at, ArticleRow.last_seen)
        .join(ArticleRow, ArticleRow.id == ArticleUrl.article_id)
        .where(ArticleUrl.site == site)
    )
    if urls is not None:
        if not urls:
            return {}
        query = query.where(ArticleUrl.url.in_(urls))
    return {url: _latest(modified, fetched, seen) for url, modified, fetched, seen in session.execute(query)}


def _listed_after(site: str, after: FrontierPosition | None) -> Select[Any]:
    """The article URLs of `site` listed after the position `after`, in listing order (the frontier's index: a
    range from `after`'s instant, the URLs listed in the same instant before it skipped by id)."""
    query = (
        select(DiscoveredUrl.id, DiscoveredUrl.url, DiscoveredUrl.url_key, DiscoveredUrl.listed_date,
               DiscoveredUrl.last_listed_at)
        .where(DiscoveredUrl.site == site, DiscoveredUrl.kind == "article")
        .order_by(DiscoveredUrl.last_listed_at, DiscoveredUrl.id)
    )  # fmt: skip
    if after is not None:
        instant, row_id = after
        query = query.where(
            DiscoveredUrl.last_listed_at >= instant,
            or_(DiscoveredUrl.last_listed_at > instant, DiscoveredUrl.id > row_id),
        )
    return query


def judge_listed(
    listed_date: datetime | None, listed_at: datetime, copy: Copy, rules: DueRules, now: datetime
) -> Verdict:
    """What the frontier does with a listed article URL, given what the archive holds of it (`copy`).

    A URL listed with a date before `--since` is left for a run without it. One the archive accounts for (an
    article fetched under it, or a capture saying why none) is due again only when its listing gives a date after that
    copy (or, with `refresh`, when this run listed it). One it does not is due, unless its captures failed as
    often as `attempts` allows, or the last failure is within `backoff` * 2^(n-1) seconds (n failures)."""
    if rules.since is not None and listed_date is not None and listed_date < rules.since:
        return Verdict.OLDER
    if copy.held or copy.settled_at is not None:
        stored = _latest(copy.date, copy.settled_at)
        changed = listed_date is not None and stored is not None and listed_date > stored
        if changed or (rules.refresh and listed_at >= rules.run_started):
            return Verdict.DUE
        return Verdict.ARCHIVED if copy.held else Verdict.SETTLED
    failed = copy.failures
    if len(failed) >= rules.attempts:
        return Verdict.GIVEN_UP
    if failed and (now - max(failed)).total_seconds() < rules.backoff * 2 ** (len(failed) - 1):
        return Verdict.LATER
    return Verdict.DUE
