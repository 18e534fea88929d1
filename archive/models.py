"""The SQL schema of the archive (SQLAlchemy 2.0 typed models); Alembic migrations in `archive/migrations` build it.

Tables: `crawl_runs` (one crawl: site, arguments, start/end, stats, exit status), `run_locks` (the crawls holding
the lock of a site), `articles` (the current version
of each article, unique per site and canonical URL), `captions` (structured image captions of an article),
`article_versions` (earlier texts of re-crawled articles that changed), `article_urls` (every URL an article was
reached under, so a second URL of an article is recognised before it is fetched), `captures` (every fetched URL:
status, WARC pointer, conditional-request validators, and what the crawl made of it), `warc_folders` (where the
WARC files the pointers name lie: the folders crawls wrote to and imports read from) and `discovered` (what the
site's discovery documents listed: the crawl's frontier and what the archive owes).

Every datetime is stored as a UTC instant (`UtcDateTime`), so SQLite and PostgreSQL return the same value;
the original UTC offset of `published_at` / `modified_at` is kept beside it in seconds, so exports show the
publisher's local time.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator, TypeEngine

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UtcDateTime(TypeDecorator[datetime]):
    """An aware datetime stored as its UTC instant: `timestamptz` on PostgreSQL, naive UTC text on SQLite.

    Naive datetimes are refused: the caller must say which zone they are in.
    """

    impl = DateTime
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        return dialect.type_descriptor(DateTime(timezone=dialect.name == "postgresql"))

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"naive datetime {value.isoformat()} cannot be stored: give it a time zone")
        value = value.astimezone(UTC)
        return value if dialect.name == "postgresql" else value.replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class CrawlRun(Base):
    __tablename__ = "crawl_runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    site: Mapped[str] = mapped_column(String(200))
    arguments: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    started_at: Mapped[datetime] = mapped_column(UtcDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    stats: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(64), default="running")


class ArticleRow(Base):
    """The current version of an article; the export record's fields plus bookkeeping."""

    __tablename__ = "articles"
    __table_args__ = (
        UniqueConstraint("site", "canonical_url"),
        Index("ix_articles_site_published_at", "site", "published_at"),
        Index("ix_articles_site_section", "site", "section"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    site: Mapped[str] = mapped_column(String(200))
    canonical_url: Mapped[str] = mapped_column(Text)
    url: Mapped[str] = mapped_column(Text)
    title: Mapped[str] = mapped_column(Text, default="")
    lead: Mapped[str] = mapped_column(Text, default="")
    text: Mapped[str] = mapped_column(Text, default="")
    authors: Mapped[list[str]] = mapped_column(JSON, default=list)
    section: Mapped[str] = mapped_column(String(500), default="")
    tags: Mapped[list[str]] = mapped_column(JSON, default=list)
    language: Mapped[str] = mapped_column(String(35), default="")
    main_image: Mapped[str | None] = mapped_column(Text)
    published_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    published_offset: Mapped[int | None] = mapped_column(Integer)
    modified_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    modified_offset: Mapped[int | None] = mapped_column(Integer)
    # How much of each date the page gave (day | minute | second) and whether its offset was the page's own
    # (declared | assumed); NULL for articles archived before it was recorded.
    published_precision: Mapped[str | None] = mapped_column(String(8))
    published_zone: Mapped[str | None] = mapped_column(String(8))
    modified_precision: Mapped[str | None] = mapped_column(String(8))
    modified_zone: Mapped[str | None] = mapped_column(String(8))
    fetched_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    first_seen: Mapped[datetime] = mapped_column(UtcDateTime)
    last_seen: Mapped[datetime] = mapped_column(UtcDateTime)
    content_hash: Mapped[str] = mapped_column(String(128), index=True)
    # trafilatura's 64-bit Simhash as a signed BIGINT, and its four 16-bit bands (the LSH buckets searched for
    # near-duplicate candidates).
    simhash: Mapped[int | None] = mapped_column(BigInteger)
    simhash_band0: Mapped[int | None] = mapped_column(Integer, index=True)
    simhash_band1: Mapped[int | None] = mapped_column(Integer, index=True)
    simhash_band2: Mapped[int | None] = mapped_column(Integer, index=True)
    simhash_band3: Mapped[int | None] = mapped_column(Integer, index=True)
    duplicate_of: Mapped[str | None] = mapped_column(Text)
    duplicate_kind: Mapped[str | None] = mapped_column(String(16))  # exact | near
    similarity: Mapped[float | None] = mapped_column(Float)
    version: Mapped[int] = mapped_column(Integer, default=1)
    issues: Mapped[str | None] = mapped_column(Text)  # what was cleaned or dropped on the way in, and why
    run_id: Mapped[int | None] = mapped_column(ForeignKey("crawl_runs.id", ondelete="SET NULL"))
    warc_file: Mapped[str | None] = mapped_column(Text)
    warc_offset: Mapped[int | None] = mapped_column(BigInteger)
    warc_length: Mapped[int | None] = mapped_column(BigInteger)
    warc_record_id: Mapped[str | None] = mapped_column(String(200))
    warc_payload_digest: Mapped[str | None] = mapped_column(String(200))

    captions: Mapped[list[CaptionRow]] = relationship(
        back_populates="article", order_by="CaptionRow.position", cascade="all, delete-orphan"
    )
    versions: Mapped[list[ArticleVersion]] = relationship(
        back_populates="article", order_by="ArticleVersion.version", cascade="all, delete-orphan"
    )


class CaptionRow(Base):
    __tablename__ = "captions"
    __table_args__ = (UniqueConstraint("article_id", "position"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text)
    credit: Mapped[str | None] = mapped_column(Text)
    image_url: Mapped[str | None] = mapped_column(Text)

    article: Mapped[ArticleRow] = relationship(back_populates="captions")


class ArticleVersion(Base):
    """An earlier text of an article, archived when a re-crawl found the text changed."""

    __tablename__ = "article_versions"
    __table_args__ = (UniqueConstraint("article_id", "version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"))
    version: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(Text)
    lead: Mapped[str] = mapped_column(Text)
    text: Mapped[str] = mapped_column(Text)
    captions: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    content_hash: Mapped[str] = mapped_column(String(128))
    modified_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    fetched_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    archived_at: Mapped[datetime] = mapped_column(UtcDateTime)
    warc_file: Mapped[str | None] = mapped_column(Text)
    warc_offset: Mapped[int | None] = mapped_column(BigInteger)
    warc_length: Mapped[int | None] = mapped_column(BigInteger)
    warc_record_id: Mapped[str | None] = mapped_column(String(200))

    article: Mapped[ArticleRow] = relationship(back_populates="versions")


class ArticleUrl(Base):
    """A canonicalised URL under which an article was fetched (its canonical URL included)."""

    __tablename__ = "article_urls"
    __table_args__ = (UniqueConstraint("site", "url"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    site: Mapped[str] = mapped_column(String(200))
    url: Mapped[str] = mapped_column(Text)
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"), index=True)


class CaptureRow(Base):
    """One fetched URL as archived, and what the crawl made of it (`outcome`, `reason`)."""

    __tablename__ = "captures"
    __table_args__ = (Index("ix_captures_url_key_fetched_at", "url_key", "fetched_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int | None] = mapped_column(ForeignKey("crawl_runs.id", ondelete="SET NULL"), index=True)
    url: Mapped[str] = mapped_column(Text)
    url_key: Mapped[str] = mapped_column(String(64))  # sha256 of url: indexable whatever the URL's length
    status: Mapped[int | None] = mapped_column(Integer)
    fetched_at: Mapped[datetime] = mapped_column(UtcDateTime)
    record_type: Mapped[str] = mapped_column(String(32), default="response")
    content_type: Mapped[str | None] = mapped_column(String(255))
    etag: Mapped[str | None] = mapped_column(Text)
    last_modified: Mapped[str | None] = mapped_column(String(100))
    outcome: Mapped[str] = mapped_column(String(32), default="", index=True)
    reason: Mapped[str] = mapped_column(Text, default="")
    warc_file: Mapped[str | None] = mapped_column(Text)
    warc_offset: Mapped[int | None] = mapped_column(BigInteger)
    warc_length: Mapped[int | None] = mapped_column(BigInteger)
    warc_record_id: Mapped[str | None] = mapped_column(String(200))
    payload_digest: Mapped[str | None] = mapped_column(String(200), index=True)
    # the record's WARC-Truncated (length, time, disconnect, unspecified): the response was not received whole
    truncated: Mapped[str | None] = mapped_column(String(16))


class WarcFolder(Base):
    """A folder holding WARC files (or WACZ packages) whose records rows of this archive point at.

    Written when a crawl or an import starts; `host` is the machine that used it (in distributed mode each worker
    writes a folder of its own), `path` its absolute path there.
    """

    __tablename__ = "warc_folders"
    __table_args__ = (UniqueConstraint("host", "path"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    host: Mapped[str] = mapped_column(String(255))
    path: Mapped[str] = mapped_column(Text)
    first_used_at: Mapped[datetime] = mapped_column(UtcDateTime)
    last_used_at: Mapped[datetime] = mapped_column(UtcDateTime)


class RunLockRow(Base):
    """A crawl holding the lock of its site on this archive (`archive.runlock`): one row per running crawler.

    Crawlers of one distributed job (`job`) share the lock; any other run of the site waits or exits.
    """

    __tablename__ = "run_locks"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    site: Mapped[str] = mapped_column(String(200), index=True)
    job: Mapped[str] = mapped_column(String(200), default="")
    host: Mapped[str] = mapped_column(String(255))
    pid: Mapped[int] = mapped_column(Integer)
    token: Mapped[str] = mapped_column(String(64), unique=True)
    acquired_at: Mapped[datetime] = mapped_column(UtcDateTime)
    heartbeat_at: Mapped[datetime] = mapped_column(UtcDateTime)


class DiscoveredUrl(Base):
    """A URL a discovery document of a site listed: an article URL the archive owes until it holds it (or knows
    why not), or a discovery document (sitemap, listing page) another one led to (`source`), followed again when
    that one answers 304. What is owed is read from the captures (`ArchiveStore.due_articles`, the crawl's
    frontier), not stored here; the frontier reads a site's article URLs in listing order (`last_listed_at`, `id`).
    """

    __tablename__ = "discovered"
    __table_args__ = (
        UniqueConstraint("site", "url_key"),
        Index("ix_discovered_site_source_key", "site", "source_key"),
        Index("ix_discovered_frontier", "site", "kind", "last_listed_at", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    site: Mapped[str] = mapped_column(String(200))
    url: Mapped[str] = mapped_column(Text)
    url_key: Mapped[str] = mapped_column(String(64))  # archive.rows.url_key(url), as in captures
    kind: Mapped[str] = mapped_column(String(16))  # article, sitemap, feed, listing
    source: Mapped[str] = mapped_column(Text)  # the discovery document that listed it last
    source_key: Mapped[str] = mapped_column(String(64))
    first_listed_at: Mapped[datetime] = mapped_column(UtcDateTime)
    last_listed_at: Mapped[datetime] = mapped_column(UtcDateTime)
    # the latest date (modified or published) the listing gave: a stored copy older than it is fetched again
    listed_date: Mapped[datetime | None] = mapped_column(UtcDateTime)
