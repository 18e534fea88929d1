"""The SQL archive: stores articles, captures and crawl runs, and answers what the crawler and the CLI ask of it.

`ArchiveStore(database_url)` works the same on SQLite (the embedded default) and PostgreSQL. An empty database
gets its schema from the Alembic migrations on first use; an older schema is upgraded by `upgrade()` (the
`newsarchive db upgrade` command).

Deduplication, each case recorded rather than dropped:

1. URL: the pipeline canonicalises URLs (`crawler.urls`); one row per (site, canonical URL), and every URL an
   article was fetched under is kept in `article_urls`, so a second URL of a known article is not fetched again.
2. Exact content: an article whose `content_hash` equals an earlier article's under another URL (a syndicated
   copy) is stored with `duplicate_of` = that article's canonical URL, `similarity` 1.0.
3. Near-duplicates: trafilatura's 64-bit Simhash of the text; an article whose Simhash is at least
   `NEAR_DUPLICATE_THRESHOLD` similar (at most 6 of 64 bits differ) to an earlier one is stored with
   `duplicate_of` and the similarity. Candidates come from four indexed 16-bit bands of the hash (LSH): a pair
   differing in at most 3 bits always shares a band; pairs differing in 4 to 6 bits are found when the
   differences cluster, which they mostly do for copies that differ by a byline or one paragraph. Measured on
   the 88 bodies of the public article-extraction benchmark (`benchmarks/store.py --eval`): a copy with a
   byline added is recognised 84 times in 88, with an ad paragraph inserted 82/88, with the last paragraph
   dropped 73/88; the most similar pair of unrelated articles scores 0.797, well under the threshold. A Simhash
   ignores word order, so a candidate must also share `NEAR_DUPLICATE_CONTAINMENT` of its 5-word shingles
   (`archive.text.shingle_containment`): on generated text of a small vocabulary (the newsroom site) unrelated
   stories reach a Simhash similarity of 0.92 but share almost no shingles. Texts
   under `NEAR_DUPLICATE_MIN_WORDS` words get no Simhash (too few tokens to be meaningful).

Versions: a re-crawled article whose text changed keeps its previous text in `article_versions` and the row is
updated (its `version` incremented); an unchanged re-crawl only moves `last_seen`.

Concurrency: article writes take one transaction-scoped lock (a PostgreSQL advisory lock; on SQLite a `BEGIN
IMMEDIATE` transaction), so two crawler processes writing to one database see each other's rows before deciding
what is new or a duplicate, and cannot deadlock; URL aliases are inserted with `ON CONFLICT DO NOTHING`.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections import Counter
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, timezone
from pathlib import Path
from typing import Any, NamedTuple

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, event, func, inspect, or_, select, tuple_, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError
from sqlalchemy.orm import Session, selectinload
from sqlalchemy.pool import StaticPool
from trafilatura.deduplication import Simhash

from archive.models import ArticleRow, ArticleUrl, ArticleVersion, CaptionRow, CaptureRow, CrawlRun
from archive.outcomes import Outcome
from archive.records import Article, Caption, Capture, WarcPointer
from archive.text import shingle_containment

MIGRATIONS = Path(__file__).parent / "migrations"

NEAR_DUPLICATE_THRESHOLD = 0.9  # Simhash similarity (64 - differing bits) / 64
NEAR_DUPLICATE_CONTAINMENT = 0.8  # share of the shorter text's 5-word shingles the other must contain
NEAR_DUPLICATE_MIN_WORDS = 50  # shorter texts have too few tokens for a meaningful Simhash
PREFETCH_CHUNK = 500  # articles whose existing rows are fetched in one query
MAX_URL_LENGTH = 2083  # Scrapy's URLLENGTH_LIMIT; longer URLs are refused with a recorded reason
EARLIEST_DATE = datetime(1900, 1, 1, tzinfo=UTC)
FUTURE_TOLERANCE = timedelta(days=2)  # published/modified dates later than fetch time + this are not believed
# Key of the PostgreSQL advisory lock that serialises article writes and migrations (the bytes of "newsarc")
ARTICLE_WRITE_LOCK = int.from_bytes(b"newsarc", "big")

SURROGATES = re.compile(r"[\ud800-\udfff]")


class StoreUnavailable(RuntimeError):
    """The database cannot be used: unreachable, not a newsarchive database, or its schema needs an upgrade."""


@dataclass
class SaveReport:
    """What `save_articles` did with each article, by canonical URL."""

    new: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)  # a new version was stored
    unchanged: list[str] = field(default_factory=list)  # only last_seen moved
    duplicates: dict[str, tuple[str, str, float]] = field(default_factory=dict)  # url → (kind, of, similarity)
    refused: list[tuple[str, str]] = field(default_factory=list)  # (url, reason)


class ArchiveStore:
    """The archive database; thread-safe (each call uses its own session), synchronous."""

    def __init__(self, database_url: str) -> None:
        self.database_url = database_url
        self.engine = _create_engine(database_url)
        self.is_postgresql = self.engine.dialect.name == "postgresql"
        try:
            with self.engine.connect() as connection:
                connection.exec_driver_sql("SELECT 1")
        except DBAPIError as exc:
            self.engine.dispose()
            reason = _first_line(exc.orig)
            raise StoreUnavailable(f"cannot reach database {_safe_url(database_url)}: {reason}") from None
        self._schema_checked = False
        if self.current_revision() is None:
            self._migrate(command.upgrade, "head", only_if_empty=True)

    # --- schema -------------------------------------------------------------------------------------------------
    def _alembic_config(self, connection: Any) -> Config:
        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS))
        config.attributes["connection"] = connection
        return config

    def current_revision(self) -> str | None:
        """The Alembic revision of the database schema (None for an empty database)."""
        with self.engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()

    def head_revision(self) -> str:
        """The newest schema revision this version of newsarchive ships."""
        head = ScriptDirectory(str(MIGRATIONS)).get_current_head()
        assert head is not None, "the package ships no migrations"
        return head

    def upgrade(self, revision: str = "head") -> None:
        """Apply the migrations up to `revision` (two processes upgrading at once take turns)."""
        self._migrate(command.upgrade, revision)

    def downgrade(self, revision: str) -> None:
        """Revert the migrations down to `revision` ("base" drops every table)."""
        self._migrate(command.downgrade, revision)

    def _migrate(self, action: Any, revision: str, only_if_empty: bool = False) -> None:
        """Run an Alembic command in one exclusive transaction (processes starting together take turns).

        `only_if_empty`: the first use of a database; another process may have created the schema meanwhile,
        and a database holding other tables is refused.
        """
        engine = self.engine.execution_options(sqlite_begin="IMMEDIATE")
        with engine.begin() as connection:
            if self.is_postgresql:
                connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({ARTICLE_WRITE_LOCK})")
            if only_if_empty:
                if MigrationContext.configure(connection).get_current_revision() is not None:
                    return
                tables = set(inspect(connection).get_table_names()) - {"alembic_version"}
                if tables:
                    raise StoreUnavailable(
                        f"{_safe_url(self.database_url)} holds tables ({', '.join(sorted(tables)[:5])}, ...) "
                        "but no newsarchive schema revision: not a newsarchive database"
                    )
            action(self._alembic_config(connection), revision)
        self._schema_checked = False

    def _check_schema(self) -> None:
        if self._schema_checked:
            return
        current, head = self.current_revision(), self.head_revision()
        if current != head:
            raise StoreUnavailable(
                f"the schema of {_safe_url(self.database_url)} is at revision {current}, this newsarchive needs "
                f"{head}: run `newsarchive db upgrade`"
            )
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
        engine = self.engine.execution_options(sqlite_begin="IMMEDIATE") if exclusive else self.engine
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
                site=_bounded(site, 200), arguments=_json_safe(arguments), started_at=_now(), status="running"
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
                .values(finished_at=_now(), stats=_json_safe(stats), status=_bounded(status, 64))
            )

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
            batch_captures: dict[str, CaptureRow] = {}  # URL key → its latest capture in this batch
            for capture in captures:
                row = _capture_row(capture, run_id)
                session.add(row)
                batch_captures[row.url_key] = row  # captures come in fetch order
            if captures:
                session.flush()
            # A stable order: concurrent writers that lock rows do so in the same order.
            ordered = sorted(articles, key=lambda a: (a.site, a.canonical_url or a.url))
            for start in range(0, len(ordered), PREFETCH_CHUNK):
                chunk = ordered[start : start + PREFETCH_CHUNK]
                _ArticleWriter(session, run_id, report, self.is_postgresql).write(chunk)
            for url, outcome, reason in outcomes:
                _record_outcome(session, url, outcome, reason, run_id, batch_captures.get(_url_key(url)))
        return report

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
            rows = session.execute(
                select(ArticleUrl.url, ArticleRow.modified_at, ArticleRow.fetched_at, ArticleRow.last_seen)
                .join(ArticleRow, ArticleRow.id == ArticleUrl.article_id)
                .where(ArticleUrl.site == site)
            )
            known = {url: _latest(modified, fetched, seen) for url, modified, fetched, seen in rows}
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
                .where(CaptureRow.url_key == _url_key(url), CaptureRow.status.in_((200, 203, 304)))
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

    def iter_payload_digests(self) -> Iterator[tuple[str, str, datetime, str]]:
        """(payload digest, URL, date, WARC-Record-ID) of the first response capture of each payload digest."""
        first = (
            select(func.min(CaptureRow.id))
            .where(CaptureRow.record_type == "response", CaptureRow.payload_digest.is_not(None))
            .where(CaptureRow.warc_record_id.is_not(None))
            .group_by(CaptureRow.payload_digest)
        )
        with self._reading() as session:
            rows = session.execute(
                select(CaptureRow.payload_digest, CaptureRow.url, CaptureRow.fetched_at, CaptureRow.warc_record_id)
                .where(CaptureRow.id.in_(first))
                .order_by(CaptureRow.id)
                .execution_options(yield_per=1000)
            )
            yield from (tuple(row) for row in rows)

    def iter_articles(self, site: str | None = None, since: date | datetime | None = None) -> Iterator[Article]:
        """The current version of every article (of `site`), oldest archived first.

        `since` keeps articles published on or after it (a date is taken in UTC); articles without a publication
        date are kept when they were fetched on or after it.
        """
        query = select(ArticleRow).options(selectinload(ArticleRow.captions)).order_by(ArticleRow.id)
        if site is not None:
            query = query.where(ArticleRow.site == site)
        if since is not None:
            instant = _as_instant(since)
            query = query.where(
                or_(
                    ArticleRow.published_at >= instant,
                    ArticleRow.published_at.is_(None) & (ArticleRow.fetched_at >= instant),
                )
            )
        with self._reading() as session:
            for row in session.scalars(query.execution_options(yield_per=500)):
                yield _article_of(row)

    def get_article(self, url: str, site: str | None = None) -> Article | None:
        """The archived article reached under `url` (its canonical URL or any URL it was fetched under)."""
        query = (
            select(ArticleRow)
            .join(ArticleUrl, ArticleUrl.article_id == ArticleRow.id)
            .where(or_(ArticleUrl.url == url, ArticleRow.canonical_url == url))
            .options(selectinload(ArticleRow.captions))
        )
        if site is not None:
            query = query.where(ArticleRow.site == site)
        with self._reading() as session:
            row = session.scalars(query.limit(1)).first()
            return _article_of(row) if row is not None else None

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
                day = _local(published, offset) if published else fetched
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
    still makes one row.
    """

    def __init__(self, session: Session, run_id: int | None, report: SaveReport, is_postgresql: bool) -> None:
        self.session = session
        self.run_id = run_id
        self.report = report
        self.insert = postgresql_insert if is_postgresql else sqlite_insert
        self.now = _now()
        self.rows: dict[tuple[str, str], ArticleRow] = {}  # (site, URL) → the article archived under it
        self.originals: dict[str, _Original] = {}  # content hash → the original of that text

    def write(self, articles: list[Article]) -> None:
        prepared = []
        for article in articles:
            values, issues = _article_values(article)
            if isinstance(values, str):
                self.report.refused.append((article.url, values))
                _record_outcome(self.session, article.url, Outcome.FAILED, f"not stored: {values}", self.run_id)
            else:
                prepared.append((values, issues))
        if not prepared:
            return
        self._prefetch(prepared)
        aliases: list[dict[str, Any]] = []
        for values, issues in prepared:
            row = self._save(values, issues)
            aliases += [{"site": row.site, "url": url, "article_id": row.id} for url in _urls_of(values)]
        self.session.execute(
            self.insert(ArticleUrl).values(aliases).on_conflict_do_nothing(index_elements=["site", "url"])
        )

    def _prefetch(self, prepared: list[tuple[dict[str, Any], list[str]]]) -> None:
        keys = {(values["site"], url) for values, _ in prepared for url in _urls_of(values)}
        for row in self.session.scalars(
            select(ArticleRow).where(tuple_(ArticleRow.site, ArticleRow.canonical_url).in_(keys))
        ):
            self.rows[(row.site, row.canonical_url)] = row
        alias_ids = {
            (site, url): article_id
            for site, url, article_id in self.session.execute(
                select(ArticleUrl.site, ArticleUrl.url, ArticleUrl.article_id).where(
                    tuple_(ArticleUrl.site, ArticleUrl.url).in_(keys)
                )
            )
        }
        if alias_ids:
            by_id = {row.id: row for row in self.session.scalars(
                select(ArticleRow).where(ArticleRow.id.in_(set(alias_ids.values())))
            )}  # fmt: skip
            for key, article_id in alias_ids.items():
                self.rows.setdefault(key, by_id[article_id])
        hashes = {values["content_hash"] for values, _ in prepared}
        for content, article_id, canonical, published in self.session.execute(
            select(ArticleRow.content_hash, ArticleRow.id, ArticleRow.canonical_url, ArticleRow.published_at)
            .where(ArticleRow.content_hash.in_(hashes), ArticleRow.duplicate_of.is_(None))
            .order_by(ArticleRow.id)
        ):
            self.originals.setdefault(content, _Original(article_id, canonical, published))

    def _save(self, values: dict[str, Any], issues: list[str]) -> ArticleRow:
        site = values["site"]
        captions = values.pop("captions")
        values.update(_simhash_columns(values["text"]))
        values["issues"] = "; ".join(issues) or None
        row = next((self.rows[(site, url)] for url in _urls_of(values) if (site, url) in self.rows), None)
        seen = values.get("fetched_at") or self.now  # first_seen / last_seen are when the page was fetched
        if row is None:
            row = ArticleRow(**values, first_seen=seen, last_seen=seen, version=1, run_id=self.run_id)
            row.captions = [CaptionRow(position=i, **c) for i, c in enumerate(captions)]
            self._mark_duplicate(row)
            self.session.add(row)
            self.session.flush()
            self.report.new.append(row.canonical_url)
        elif row.content_hash == values["content_hash"]:
            row.last_seen = max(row.last_seen, seen)
            if values["url"] == row.canonical_url:  # first archived via an alias (AMP, old URL): now at home
                row.url = values["url"]
            self.report.unchanged.append(row.canonical_url)
        else:
            self.session.add(_version_of(row, self.now))
            for name, value in values.items():
                if name != "canonical_url":  # the row keeps the URL it was first archived under
                    setattr(row, name, value)
            row.captions.clear()
            self.session.flush()  # the old captions go before the new ones take their positions
            row.captions = [CaptionRow(position=i, **c) for i, c in enumerate(captions)]
            row.version += 1
            row.last_seen = max(row.last_seen, seen)
            row.run_id = self.run_id
            self._mark_duplicate(row)
            self.session.flush()
            self.report.changed.append(row.canonical_url)
        for url in _urls_of(values) | {row.canonical_url}:
            self.rows[(site, url)] = row
        if row.duplicate_of:
            duplicate = (row.duplicate_kind or "", row.duplicate_of, row.similarity or 0.0)
            self.report.duplicates[row.canonical_url] = duplicate
        else:  # the first of its text, or published before the copies archived so far
            self.originals[row.content_hash] = _Original(row.id, row.canonical_url, row.published_at)
        return row

    def _mark_duplicate(self, row: ArticleRow) -> None:
        """Point `row` at the original of its text (same text first, else the most similar text).

        The original is the copy published first: when `row` was published before the article taken for the
        original so far, `row` becomes the original of that article and of every copy pointing at it.
        """
        row.duplicate_of, row.duplicate_kind, row.similarity = None, None, None
        found = self._same_text(row) or self._most_similar(row)
        if found is None:
            return
        original, kind, similarity = found
        if original.published_after(row.published_at):
            self._displace(original, row, kind, similarity)
        else:
            row.duplicate_of, row.duplicate_kind, row.similarity = original.canonical_url, kind, similarity

    def _same_text(self, row: ArticleRow) -> tuple[_Original, str, float] | None:
        original = self.originals.get(row.content_hash)
        if original is None or original.id == row.id:
            return None
        return original, "exact", 1.0

    def _most_similar(self, row: ArticleRow) -> tuple[_Original, str, float] | None:
        if row.simhash is None:
            return None
        bands = [getattr(row, f"simhash_band{i}") for i in range(4)]
        columns = [getattr(ArticleRow, f"simhash_band{i}") for i in range(4)]
        query = (
            select(ArticleRow.id, ArticleRow.canonical_url, ArticleRow.published_at, ArticleRow.simhash,
                   ArticleRow.text)
            .where(ArticleRow.duplicate_of.is_(None), ArticleRow.simhash.is_not(None))
            .where(or_(*(column == band for column, band in zip(columns, bands, strict=True))))
            .order_by(ArticleRow.id)
        )
        if row.id is not None:
            query = query.where(ArticleRow.id != row.id)
        mine = Simhash(existing_hash=_unsigned(row.simhash))
        best: tuple[_Original, str, float] | None = None
        for article_id, canonical, published, fingerprint, text in self.session.execute(query):
            similarity = mine.similarity(Simhash(existing_hash=_unsigned(fingerprint)))
            if similarity < NEAR_DUPLICATE_THRESHOLD or (best is not None and similarity <= best[2]):
                continue
            # A Simhash ignores word order: texts from one small vocabulary can score high by chance; the copy
            # must also contain the original's phrasing.
            if shingle_containment(row.text, text) >= NEAR_DUPLICATE_CONTAINMENT:
                best = (_Original(article_id, canonical, published), "near", similarity)
        return best

    def _displace(self, original: _Original, row: ArticleRow, kind: str, similarity: float) -> None:
        """`row`, published earlier, becomes the original of `original` and of the copies pointing at it."""
        self.session.execute(
            update(ArticleRow)
            .where(ArticleRow.duplicate_of == original.canonical_url)
            .values(duplicate_of=row.canonical_url)
        )
        self.session.execute(
            update(ArticleRow)
            .where(ArticleRow.id == original.id)
            .values(duplicate_of=row.canonical_url, duplicate_kind=kind, similarity=similarity)
        )
        self.report.duplicates[original.canonical_url] = (kind, row.canonical_url, similarity)
        # the displaced article is a copy now: later copies in this batch must not point at it
        for content, known in list(self.originals.items()):
            if known.id == original.id:
                del self.originals[content]


class _Original(NamedTuple):
    """An article other copies point at."""

    id: int
    canonical_url: str
    published_at: datetime | None

    def published_after(self, published_at: datetime | None) -> bool:
        return self.published_at is not None and published_at is not None and published_at < self.published_at


def _urls_of(values: dict[str, Any]) -> set[str]:
    return {values["canonical_url"], values["url"]}


# --- engine -----------------------------------------------------------------------------------------------------
def _create_engine(database_url: str) -> Engine:
    try:
        url = make_url(database_url)
    except ArgumentError as exc:
        raise StoreUnavailable(f"not a database URL: {database_url!r} ({exc})") from None
    try:
        if url.get_backend_name() != "sqlite":
            return create_engine(url, pool_pre_ping=True)
        if url.database and url.database != ":memory:":
            folder = Path(url.database).expanduser().parent
            try:
                folder.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise StoreUnavailable(f"cannot create the folder of {_safe_url(database_url)}: {exc}") from None
            engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 60})
        else:
            engine = create_engine(url, connect_args={"check_same_thread": False}, poolclass=StaticPool)
    except (NoSuchModuleError, ImportError) as exc:
        raise StoreUnavailable(f"no driver for {_safe_url(database_url)}: {exc}") from None
    _configure_sqlite(engine)
    return engine


def _configure_sqlite(engine: Engine) -> None:
    """Foreign keys on, WAL (readers do not block the writer), and our own BEGIN so writers can ask for IMMEDIATE."""

    @event.listens_for(engine, "connect")
    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # pysqlite's implicit transactions off: we emit BEGIN ourselves
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def on_begin(connection: Any) -> None:
        mode = connection.get_execution_options().get("sqlite_begin", "")
        connection.exec_driver_sql(f"BEGIN {mode}".strip())


def _safe_url(database_url: str) -> str:
    try:
        return make_url(database_url).render_as_string(hide_password=True)
    except ArgumentError:
        return repr(database_url)


def _latest(*dates: datetime | None) -> datetime | None:
    present = [d for d in dates if d is not None]
    return max(present) if present else None


def _first_line(error: BaseException | None) -> str:
    text = str(error).strip() or type(error).__name__
    return text.splitlines()[0]


# --- values in ------------------------------------------------------------------------------------------------------
def _now() -> datetime:
    return datetime.now(UTC)


def _clean(value: Any) -> str:
    """A string PostgreSQL and SQLite both accept: no NUL bytes, lone surrogates replaced by U+FFFD."""
    text = value if isinstance(value, str) else str(value)
    return SURROGATES.sub("\ufffd", text.replace("\x00", ""))


def _bounded(value: Any, limit: int) -> str:
    return _clean(value)[:limit]


def _optional(value: Any) -> str | None:
    return None if value is None else _clean(value)


def _json_safe(value: Any) -> Any:
    """JSON-ready with clean strings: datetimes and other objects become their text, NaN and infinities null."""
    return _clean_json(json.loads(json.dumps(value, default=str)))


def _clean_json(value: Any) -> Any:
    if isinstance(value, str):
        return _clean(value)
    if isinstance(value, list):
        return [_clean_json(item) for item in value]
    if isinstance(value, dict):
        return {_clean(key): _clean_json(item) for key, item in value.items()}
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _as_instant(value: date | datetime) -> datetime:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    return datetime.combine(value, time(), UTC)


def _checked_date(value: Any, name: str, latest: datetime, issues: list[str]) -> tuple[datetime | None, int | None]:
    """(UTC instant, UTC offset in seconds) of an aware datetime in a believable range, else (None, None) + issue."""
    if value is None:
        return None, None
    if not isinstance(value, datetime):
        issues.append(f"{name} {value!r} is not a datetime: dropped")
        return None, None
    if value.tzinfo is None or value.utcoffset() is None:
        issues.append(f"{name} {value.isoformat()} had no time zone: taken as UTC")
        value = value.replace(tzinfo=UTC)
    try:
        instant = value.astimezone(UTC)
    except OverflowError:
        issues.append(f"{name} {value.isoformat()} is out of range: dropped")
        return None, None
    if not EARLIEST_DATE <= instant <= latest:
        issues.append(f"{name} {value.isoformat()} is not believable: dropped")
        return None, None
    offset = value.utcoffset()
    return instant, int(offset.total_seconds()) if offset is not None else 0


def _article_values(article: Article) -> tuple[dict[str, Any] | str, list[str]]:
    """Column values of `article` cleaned for storage and the issues met, or the reason it cannot be stored."""
    issues: list[str] = []
    url = _clean(article.url or "").strip()
    canonical = _clean(article.canonical_url or "").strip() or url
    if not url:
        return "the article has no URL", issues
    if not article.site:
        return "the article has no site", issues
    if len(canonical) > MAX_URL_LENGTH or len(url) > MAX_URL_LENGTH:
        return f"URL longer than {MAX_URL_LENGTH} characters", issues
    if not article.content_hash:
        return "the article has no content hash (set by the dedup pipeline)", issues
    if not (article.text or "").strip():
        return "the article has no text", issues
    now = _now()
    fetched, _ = _checked_date(article.fetched_at, "fetched_at", now + FUTURE_TOLERANCE, issues)
    latest = (fetched or now) + FUTURE_TOLERANCE
    published, published_offset = _checked_date(article.published_at, "published_at", latest, issues)
    modified, modified_offset = _checked_date(article.modified_at, "modified_at", latest, issues)
    for name, limit in (("site", 200), ("section", 500), ("language", 35)):
        if len(getattr(article, name) or "") > limit:
            issues.append(f"{name} longer than {limit} characters: truncated")
    warc = article.warc
    values: dict[str, Any] = {
        "site": _bounded(article.site, 200),
        "canonical_url": canonical,
        "url": url,
        "title": _clean(article.title or ""),
        "lead": _clean(article.lead or ""),
        "text": _clean(article.text),
        "authors": [_clean(a) for a in article.authors or []],
        "section": _bounded(article.section or "", 500),
        "tags": [_clean(t) for t in article.tags or []],
        "language": _bounded(article.language or "", 35),
        "main_image": _optional(article.main_image),
        "published_at": published,
        "published_offset": published_offset,
        "modified_at": modified,
        "modified_offset": modified_offset,
        "fetched_at": fetched,
        "content_hash": _bounded(article.content_hash, 128),
        "warc_file": _optional(warc.file) if warc else None,
        "warc_offset": warc.offset if warc else None,
        "warc_length": warc.length if warc else None,
        "warc_record_id": _bounded(warc.record_id, 200) if warc else None,
        "warc_payload_digest": _bounded(warc.payload_digest, 200) if warc and warc.payload_digest else None,
        "captions": [
            {"text": _clean(c.text), "credit": _optional(c.credit), "image_url": _optional(c.image_url)}
            for c in article.captions or []
        ],
    }
    return values, issues


def _signed(value: int) -> int:
    return value - (1 << 64) if value >= 1 << 63 else value


def _unsigned(value: int) -> int:
    return value + (1 << 64) if value < 0 else value


def lsh_bands(fingerprint: int) -> list[int]:
    """The four 16-bit bands of a 64-bit Simhash; near-duplicate candidates share at least one."""
    return [(fingerprint >> 16 * i) & 0xFFFF for i in range(4)]


def is_near_duplicate_candidate(first: int, second: int) -> bool:
    """True when the store's band index would compare these two fingerprints at all."""
    return any(a == b for a, b in zip(lsh_bands(first), lsh_bands(second), strict=True))


def _simhash_columns(text: str) -> dict[str, int | None]:
    if len(text.split()) < NEAR_DUPLICATE_MIN_WORDS:
        return {"simhash": None} | {f"simhash_band{i}": None for i in range(4)}
    fingerprint = Simhash(text).hash
    bands = {f"simhash_band{i}": band for i, band in enumerate(lsh_bands(fingerprint))}
    return {"simhash": _signed(fingerprint)} | bands


def _version_of(row: ArticleRow, now: datetime) -> ArticleVersion:
    return ArticleVersion(
        article_id=row.id,
        version=row.version,
        title=row.title,
        lead=row.lead,
        text=row.text,
        captions=[{"text": c.text, "credit": c.credit, "image_url": c.image_url} for c in row.captions],
        content_hash=row.content_hash,
        modified_at=row.modified_at,
        fetched_at=row.fetched_at,
        archived_at=now,
        warc_file=row.warc_file,
        warc_offset=row.warc_offset,
        warc_length=row.warc_length,
        warc_record_id=row.warc_record_id,
    )


def _url_key(url: str) -> str:
    return hashlib.sha256(_clean(url).encode("utf-8")).hexdigest()


def _capture_row(capture: Capture, run_id: int | None) -> CaptureRow:
    fetched = capture.fetched_at
    reason = _clean(capture.reason or "")
    if not isinstance(fetched, datetime) or fetched.tzinfo is None:
        reason = reason or f"fetched_at {fetched!r} unusable: time of storage recorded instead"
        fetched = _now()
    warc = capture.warc
    last_modified = capture.last_modified
    return CaptureRow(
        run_id=run_id,
        url=_clean(capture.url),
        url_key=_url_key(capture.url),
        status=capture.status if isinstance(capture.status, int) else None,
        fetched_at=fetched,
        record_type=_bounded(capture.record_type or "response", 32),
        content_type=_bounded(capture.content_type, 255) if capture.content_type else None,
        etag=_optional(capture.etag),
        last_modified=_clean(last_modified) if last_modified and len(last_modified) <= 100 else None,
        outcome=_bounded(capture.outcome or "", 32),
        reason=reason,
        warc_file=_optional(warc.file) if warc else None,
        warc_offset=warc.offset if warc else None,
        warc_length=warc.length if warc else None,
        warc_record_id=_bounded(warc.record_id, 200) if warc else None,
        payload_digest=_bounded(warc.payload_digest, 200) if warc and warc.payload_digest else None,
    )


def _record_outcome(
    session: Session, url: str, outcome: str, reason: str, run_id: int | None, latest: CaptureRow | None = None
) -> None:
    """Set the outcome on the latest capture of `url` (in crawl run `run_id`), or record a capture-less outcome.

    `latest` is that capture when the caller already holds it (written in the same batch): no query then.
    """
    if latest is None:
        query = select(CaptureRow).where(CaptureRow.url_key == _url_key(url))
        if run_id is not None:  # never rewrite what an earlier crawl made of the URL
            query = query.where(CaptureRow.run_id == run_id)
        query = query.order_by(CaptureRow.fetched_at.desc(), CaptureRow.id.desc()).limit(1)
        latest = session.scalars(query).first()
    if latest is None:
        latest = CaptureRow(
            run_id=run_id, url=_clean(url), url_key=_url_key(url), fetched_at=_now(), record_type="none"
        )
        session.add(latest)
    latest.outcome = _bounded(outcome, 32)
    latest.reason = _clean(reason or "")


# --- values out -----------------------------------------------------------------------------------------------------
def _local(instant: datetime | None, offset: int | None) -> datetime | None:
    if instant is None:
        return None
    return instant.astimezone(timezone(timedelta(seconds=offset or 0)))


def _article_of(row: ArticleRow) -> Article:
    warc = (
        WarcPointer(
            file=row.warc_file,
            offset=row.warc_offset or 0,
            length=row.warc_length or 0,
            record_id=row.warc_record_id or "",
            payload_digest=row.warc_payload_digest,
        )
        if row.warc_file
        else None
    )
    return Article(
        url=row.url,
        canonical_url=row.canonical_url,
        site=row.site,
        title=row.title,
        lead=row.lead,
        text=row.text,
        captions=[Caption(text=c.text, credit=c.credit, image_url=c.image_url) for c in row.captions],
        authors=list(row.authors or []),
        section=row.section,
        tags=list(row.tags or []),
        language=row.language,
        main_image=row.main_image,
        published_at=_local(row.published_at, row.published_offset),
        modified_at=_local(row.modified_at, row.modified_offset),
        fetched_at=row.fetched_at,
        content_hash=row.content_hash,
        duplicate_of=row.duplicate_of,
        similarity=row.similarity,
        warc=warc,
    )
