"""Records ⇄ rows: the archive's records (`archive.records`) made into ORM rows of `archive.models` and back.

In: every string cleaned for both databases (no NUL, no lone surrogate), bounded where the column is, JSON made
safe, dates checked (an aware instant in a believable range, its UTC offset kept beside it); an article that
cannot be stored gets the reason instead of its values. Out: a row becomes an `Article` again, its dates in the
offset they were published with.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from datetime import UTC, date, datetime, time, timedelta, timezone
from typing import Any

from archive.models import ArticleRow, ArticleVersion
from archive.records import DATE_FIELDS, Article, Caption, Capture, DatePrecision, WarcPointer, ZoneSource

MAX_URL_LENGTH = 2083  # Scrapy's URLLENGTH_LIMIT; longer URLs are refused with a recorded reason
EARLIEST_DATE = datetime(1900, 1, 1, tzinfo=UTC)
FUTURE_TOLERANCE = timedelta(days=2)  # published/modified dates later than fetch time + this are not believed

SURROGATES = re.compile(r"[\ud800-\udfff]")


# --- values in ------------------------------------------------------------------------------------------------------
def now() -> datetime:
    return datetime.now(UTC)


def clean(value: Any) -> str:
    """A string PostgreSQL and SQLite both accept: no NUL bytes, lone surrogates replaced by U+FFFD."""
    text = value if isinstance(value, str) else str(value)
    return SURROGATES.sub("\ufffd", text.replace("\x00", ""))


def bounded(value: Any, limit: int) -> str:
    return clean(value)[:limit]


def optional(value: Any) -> str | None:
    return None if value is None else clean(value)


def json_safe(value: Any) -> Any:
    """JSON-ready with clean strings: datetimes and other objects become their text, NaN and infinities null."""
    return _clean_json(json.loads(json.dumps(value, default=str)))


def _clean_json(value: Any) -> Any:
    if isinstance(value, str):
        return clean(value)
    if isinstance(value, list):
        return [_clean_json(item) for item in value]
    if isinstance(value, dict):
        return {clean(key): _clean_json(item) for key, item in value.items()}
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def as_instant(value: date | datetime) -> datetime:
    """An aware datetime: a naive one taken as UTC, a date as its UTC midnight."""
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


def _date_qualities(article: Article, kept: dict[str, datetime | None]) -> dict[str, str | None]:
    """Precision and zone source of each date kept, from their enums (anything else is not stored)."""
    values: dict[str, str | None] = {}
    for name in DATE_FIELDS:
        precision, zone = getattr(article, f"{name}_precision"), getattr(article, f"{name}_zone")
        present = kept[name] is not None
        values[f"{name}_precision"] = precision if present and precision in set(DatePrecision) else None
        values[f"{name}_zone"] = zone if present and zone in set(ZoneSource) else None
    return values


def article_values(article: Article) -> tuple[dict[str, Any] | str, list[str]]:
    """Column values of `article` cleaned for storage and the issues met, or the reason it cannot be stored."""
    issues: list[str] = list(article.issues)
    url = clean(article.url or "").strip()
    canonical = clean(article.canonical_url or "").strip() or url
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
    current = now()
    fetched, _ = _checked_date(article.fetched_at, "fetched_at", current + FUTURE_TOLERANCE, issues)
    latest = (fetched or current) + FUTURE_TOLERANCE
    published, published_offset = _checked_date(article.published_at, "published_at", latest, issues)
    modified, modified_offset = _checked_date(article.modified_at, "modified_at", latest, issues)
    for name, limit in (("site", 200), ("section", 500), ("language", 35)):
        if len(getattr(article, name) or "") > limit:
            issues.append(f"{name} longer than {limit} characters: truncated")
    warc = article.warc
    values: dict[str, Any] = {
        "site": bounded(article.site, 200),
        "canonical_url": canonical,
        "url": url,
        "title": clean(article.title or ""),
        "lead": clean(article.lead or ""),
        "text": clean(article.text),
        "authors": [clean(a) for a in article.authors or []],
        "section": bounded(article.section or "", 500),
        "tags": [clean(t) for t in article.tags or []],
        "language": bounded(article.language or "", 35),
        "main_image": optional(article.main_image),
        "published_at": published,
        "published_offset": published_offset,
        "modified_at": modified,
        "modified_offset": modified_offset,
        **_date_qualities(article, {"published": published, "modified": modified}),
        "fetched_at": fetched,
        "content_hash": bounded(article.content_hash, 128),
        "warc_file": optional(warc.file) if warc else None,
        "warc_offset": warc.offset if warc else None,
        "warc_length": warc.length if warc else None,
        "warc_record_id": bounded(warc.record_id, 200) if warc else None,
        "warc_payload_digest": bounded(warc.payload_digest, 200) if warc and warc.payload_digest else None,
        "captions": [
            {"text": clean(c.text), "credit": optional(c.credit), "image_url": optional(c.image_url)}
            for c in article.captions or []
        ],
    }
    return values, issues


class NewArticleRow:
    """An article row to insert, held as its column values (`values`, read and set as attributes, like an
    `ArticleRow`'s, without the cost of an ORM object) and its captions; `id` is None, then provisional (negative,
    unique in its transaction) once the row is saved, until it is inserted."""

    __slots__ = ("captions", "id", "values")

    def __init__(self, values: dict[str, Any], captions: list[dict[str, Any]]) -> None:
        object.__setattr__(self, "values", values)
        object.__setattr__(self, "captions", captions)
        object.__setattr__(self, "id", None)

    def __getattr__(self, name: str) -> Any:
        try:
            return self.values[name]
        except KeyError:
            raise AttributeError(name) from None

    def __setattr__(self, name: str, value: Any) -> None:
        if name in NewArticleRow.__slots__:
            object.__setattr__(self, name, value)
        else:
            self.values[name] = value


# The columns that say which capture a row holds: they always move together, so that a row's WARC pointer, fetch
# time and payload digest are those of the capture of the row's own URL.
CAPTURE_COLUMNS = (
    "url", "fetched_at", "warc_file", "warc_offset", "warc_length", "warc_record_id", "warc_payload_digest",
)  # fmt: skip


def point_at_capture(row: ArticleRow, values: dict[str, Any]) -> None:
    """Make `row` hold the capture the article `values` were extracted from (its URL, date and WARC record)."""
    for name in CAPTURE_COLUMNS:
        setattr(row, name, values[name])


def version_of(row: ArticleRow, archived_at: datetime) -> ArticleVersion:
    """The archived copy of `row` as it is now, before a changed text replaces it."""
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
        archived_at=archived_at,
        warc_file=row.warc_file,
        warc_offset=row.warc_offset,
        warc_length=row.warc_length,
        warc_record_id=row.warc_record_id,
    )


def url_key(url: str) -> str:
    """The indexed key of a capture's URL (URLs are too long for a portable index)."""
    return hashlib.sha256(clean(url).encode("utf-8")).hexdigest()


def capture_values(capture: Capture, run_id: int | None) -> dict[str, Any]:
    """The column values of a fetched URL's row; an unusable fetch time becomes the time of storage, with the
    reason."""
    fetched = capture.fetched_at
    reason = clean(capture.reason or "")
    if not isinstance(fetched, datetime) or fetched.tzinfo is None:
        reason = reason or f"fetched_at {fetched!r} unusable: time of storage recorded instead"
        fetched = now()
    warc = capture.warc
    last_modified = capture.last_modified
    return {
        "run_id": run_id,
        "url": clean(capture.url),
        "url_key": url_key(capture.url),
        "status": capture.status if isinstance(capture.status, int) else None,
        "fetched_at": fetched,
        "record_type": bounded(capture.record_type or "response", 32),
        "content_type": bounded(capture.content_type, 255) if capture.content_type else None,
        "etag": optional(capture.etag),
        "last_modified": clean(last_modified) if last_modified and len(last_modified) <= 100 else None,
        "outcome": bounded(capture.outcome or "", 32),
        "reason": reason,
        "warc_file": optional(warc.file) if warc else None,
        "warc_offset": warc.offset if warc else None,
        "warc_length": warc.length if warc else None,
        "warc_record_id": bounded(warc.record_id, 200) if warc else None,
        "payload_digest": bounded(warc.payload_digest, 200) if warc and warc.payload_digest else None,
        "truncated": bounded(capture.truncated, 16) if capture.truncated else None,
    }


def outcome_values(outcome: str, reason: str) -> dict[str, str]:
    """The columns an outcome sets on a capture."""
    return {"outcome": bounded(outcome, 32), "reason": clean(reason or "")}


# --- values out -----------------------------------------------------------------------------------------------------
def local(instant: datetime | None, offset: int | None) -> datetime | None:
    """A stored UTC instant in the UTC offset stored beside it."""
    if instant is None:
        return None
    return instant.astimezone(timezone(timedelta(seconds=offset or 0)))


def article_of(row: ArticleRow) -> Article:
    """The `Article` a row holds, its captions (loaded with it) included."""
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
        published_at=local(row.published_at, row.published_offset),
        modified_at=local(row.modified_at, row.modified_offset),
        published_precision=row.published_precision,
        published_zone=row.published_zone,
        modified_precision=row.modified_precision,
        modified_zone=row.modified_zone,
        fetched_at=row.fetched_at,
        content_hash=row.content_hash,
        duplicate_of=row.duplicate_of,
        similarity=row.similarity,
        warc=warc,
        issues=row.issues.split("; ") if row.issues else [],
    )
