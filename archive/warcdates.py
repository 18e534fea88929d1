"""WARC dates: `WARC-Date` values written (UTC, microseconds when there are any) and read back as aware datetimes."""

from __future__ import annotations

from datetime import UTC, datetime

from warcio.timeutils import datetime_to_iso_date, iso_date_to_datetime


def as_utc(value: datetime) -> datetime:
    """`value` in UTC; a naive datetime is taken as UTC already."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def warc_date(value: datetime) -> str:
    """A WARC/1.1 date: UTC, with microseconds when there are any."""
    return datetime_to_iso_date(as_utc(value).replace(tzinfo=None), use_micros=True)


def parse_warc_date(value: str) -> datetime:
    """A `WARC-Date` value as an aware UTC datetime."""
    return iso_date_to_datetime(value).replace(tzinfo=UTC)
