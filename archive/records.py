"""The one record type of newsarchive: an article, from extraction through storage to export.

Scrapy accepts dataclass instances as items (via itemadapter), so the same `Article` flows from
`crawler.extract` through `crawler.finish` and the pipelines into `archive.store` and out of `archive.export`.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any


class DatePrecision(StrEnum):
    """How much of a date the page gave: the day only, a time to the minute, or to the second."""

    DAY = "day"
    MINUTE = "minute"
    SECOND = "second"


class ZoneSource(StrEnum):
    """Whether a date's offset was written by the page (or is an absolute instant) or assumed by the archive."""

    DECLARED = "declared"
    ASSUMED = "assumed"


DATE_FIELDS = ("published", "modified")


def format_date(value: datetime | None, precision: str | None) -> str | None:
    """A date as the export writes it: ISO 8601 with its own offset, only as precise as the page was.

    A day-only date is the bare day (YYYY-MM-DD), never midnight of a zone; a time to the minute has no seconds.
    Without a recorded precision (articles archived before it was recorded) the full form is written.
    """
    if value is None:
        return None
    if precision == DatePrecision.DAY:
        return value.date().isoformat()
    return value.isoformat(timespec="minutes" if precision == DatePrecision.MINUTE else "auto")


def parse_exported_date(text: str) -> datetime:
    """Inverse of `format_date`: a bare day becomes midnight UTC of that day (its precision says it is a day)."""
    value = datetime.fromisoformat(text)
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


@dataclass
class Caption:
    """An image caption of the article body, with its photo credit split off."""

    text: str
    credit: str | None = None
    image_url: str | None = None


@dataclass
class WarcPointer:
    """Where the response an article came from lies in the WARC archive."""

    file: str
    offset: int
    length: int
    record_id: str
    payload_digest: str | None = None


@dataclass
class Article:
    """One news article: the export record of the archive (ARCHITECTURE.md, "The text form and the export record").

    `text` holds the body paragraphs and sub-headings in reading order with each caption inline where its
    image stands, separated by blank lines; `captions` holds the same captions structured.
    Datetimes are time-zone aware; `fetched_at` is UTC. `published_precision` / `modified_precision` say how much
    of the date the page gave (`DatePrecision`), `published_zone` / `modified_zone` whether its offset was the
    page's own or assumed (`ZoneSource`); a day-only date holds midnight of its day in the offset it was read in.
    """

    url: str
    canonical_url: str = ""
    site: str = ""
    title: str = ""
    lead: str = ""
    text: str = ""
    captions: list[Caption] = field(default_factory=list)
    authors: list[str] = field(default_factory=list)
    section: str = ""
    tags: list[str] = field(default_factory=list)
    language: str = ""
    main_image: str | None = None
    published_at: datetime | None = None
    modified_at: datetime | None = None
    published_precision: str | None = None
    published_zone: str | None = None
    modified_precision: str | None = None
    modified_zone: str | None = None
    fetched_at: datetime | None = None
    content_hash: str = ""
    duplicate_of: str | None = None
    similarity: float | None = None
    warc: WarcPointer | None = None
    issues: list[str] = field(default_factory=list)  # what extraction dropped and why (an impossible date)

    def to_record(self) -> dict[str, Any]:
        """The export record: plain JSON-ready values, datetimes in ISO 8601 with their offset (`format_date`)."""
        record = asdict(self)
        for name in DATE_FIELDS:
            record[f"{name}_at"] = format_date(record[f"{name}_at"], record[f"{name}_precision"])
        record["fetched_at"] = format_date(self.fetched_at, None)
        return record

    @classmethod
    def from_record(cls, record: dict[str, Any]) -> Article:
        """Inverse of `to_record` (used by import and by tests)."""
        values = dict(record)
        for key in ("published_at", "modified_at", "fetched_at"):
            if values.get(key):
                values[key] = parse_exported_date(values[key])
        values["captions"] = [Caption(**c) for c in values.get("captions") or []]
        if values.get("warc"):
            values["warc"] = WarcPointer(**values["warc"])
        known = cls.__dataclass_fields__
        return cls(**{k: v for k, v in values.items() if k in known})


@dataclass
class Capture:
    """One fetched URL as archived: its HTTP status, when it was fetched and where its WARC record lies.

    `outcome` says what the crawl made of it (article, listing, sitemap, feed, robots, duplicate, skipped,
    failed, ...) and `reason` why, for failures; both are filled in once the spider has looked at the page.
    `truncated` says why the response was archived incomplete (too large, timed out, connection cut).
    """

    url: str
    status: int
    fetched_at: datetime
    warc: WarcPointer | None = None
    record_type: str = "response"  # response | revisit
    content_type: str | None = None
    outcome: str = ""
    reason: str = ""
    etag: str | None = None  # the response's ETag and Last-Modified: validators of the next conditional request
    last_modified: str | None = None
    truncated: str | None = None  # the record's WARC-Truncated (length, time, disconnect, unspecified): not whole


class NotAnArticle(ValueError):
    """Raised by extraction when a page is not an article; the message is the recorded reason."""
