"""The one path that finishes an extracted article for the archive, for the crawl and for `import-warc` alike.

Extraction (`crawler.extract`) reads the page; finishing adds what only the capture knows and puts the record in
the archive's normal form:
- `site`: the profile's name; `fetched_at`: the WARC-Date of the capture (UTC); `warc`: its record;
- `canonical_url`: the archive key, `crawler.urls.canonicalize_url(url, declared canonical)` (the page's
  `<link rel=canonical>` counts when it is on the same site); before finishing the field holds what the page
  declared, after it the key;
- `published_at` / `modified_at`: aware, with a fixed offset; a date given without an offset is read in the
  site's zone (`SiteProfile.zone_name`, the one rule for zones).
- `content_hash`: `archive.text.content_hash(text)`, the hash of the normal-form text (what exact duplicates are
  judged by).
Pure: no Scrapy.
"""

from __future__ import annotations

from datetime import datetime

from archive.records import Article, WarcPointer
from archive.text import content_hash
from crawler.dates import get_zone, normalize_timestamps
from crawler.sites import SiteProfile
from crawler.urls import canonicalize_url


def finish_article(
    article: Article, profile: SiteProfile, *, fetched_at: datetime, warc: WarcPointer | None
) -> Article:
    """Finish `article` in place (and return it); a ValueError when its URL cannot be an archive key."""
    article.canonical_url = canonicalize_url(article.url, article.canonical_url or None)
    article.site = profile.name
    article.fetched_at = fetched_at
    article.warc = warc
    article.content_hash = content_hash(article.text)
    return normalize_timestamps(article, get_zone(profile.zone_name(article.url, article.language)))
