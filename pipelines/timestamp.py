"""Item pipeline 100: every article leaves with `fetched_at` in UTC and aware publication/modification dates.

The spider puts the WARC-Date of the capture in `fetched_at`; when it is missing the time the item reaches this
pipeline is used. Naive `published_at` / `modified_at` (a page that gave no offset) are read in the site's time
zone (the spider's profile, default Asia/Ho_Chi_Minh); aware ones keep their offset, as a plain fixed offset.
"""

from __future__ import annotations

from datetime import tzinfo
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from archive.records import Article
from crawler.dates import normalize_timestamps
from crawler.sites import DEFAULT_TIMEZONE


def site_zone(spider: Any) -> tzinfo:
    """The time zone of the spider's site profile, or the default one."""
    name = getattr(getattr(spider, "profile", None), "timezone", None) or DEFAULT_TIMEZONE
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo(DEFAULT_TIMEZONE)


class TimestampPipeline:
    def __init__(self, crawler: Any) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Any) -> TimestampPipeline:
        return cls(crawler)

    def process_item(self, item: Any) -> Any:
        if isinstance(item, Article):
            normalize_timestamps(item, site_zone(self.crawler.spider))
        return item
