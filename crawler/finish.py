"""The one path that finishes an extracted article for the archive, for the crawl and for `import-warc` alike.

Extraction (`crawler.extract`) reads the page; finishing adds what only the capture knows and puts the record in
the archive's normal form:
- `site`: the profile's name; `fetched_at`: the WARC-Date of the capture (UTC); `warc`: its record;
- `canonical_url`: the archive key, `crawler.urls.canonicalize_url(url, declared canonical)`. The page's
  `<link rel=canonical>` is evidence, not an order: it counts only when it is on the same site and an article URL
  of the profile (never the home page, a section or a listing, a common CMS mistake), and the store merges two
  URLs under it only when their texts agree (`archive.store`); before finishing the field holds what the page
  declared, after it the key;
- `published_at` / `modified_at`: aware, with a fixed offset; a date given without an offset is read in the
  site's zone (`SiteProfile.zone_name`, the one rule for zones).
- `content_hash`: `archive.text.content_hash(text)`, the hash of the normal-form text (what exact duplicates are
  judged by).
Pure: no Scrapy.
"""

from __future__ import annotations

from datetime import datetime
from urllib.parse import urljoin, urlsplit

from archive.records import Article, WarcPointer
from archive.text import content_hash
from crawler.dates import normalize_timestamps
from crawler.sites import SiteProfile
from crawler.urls import canonicalize_url
from crawler.zones import get_zone


def finish_article(
    article: Article, profile: SiteProfile, *, fetched_at: datetime, warc: WarcPointer | None
) -> Article:
    """Finish `article` in place (and return it); a ValueError when its URL cannot be an archive key."""
    article.canonical_url = canonicalize_url(article.url, _declared_article_url(article, profile))
    article.site = profile.name
    article.fetched_at = fetched_at
    article.warc = warc
    article.content_hash = content_hash(article.text)
    return normalize_timestamps(article, get_zone(profile.zone_name(article.url, article.language)))


def _declared_article_url(article: Article, profile: SiteProfile) -> str | None:
    """The page's declared canonical URL (absolute) if it may name this article: an article URL of the profile
    that is not the site's root."""
    declared = (article.canonical_url or "").strip()
    if not declared:
        return None
    declared = urljoin(article.url, declared)
    if urlsplit(declared).path.strip("/") == "" or not profile.is_article_url(declared):
        return None
    return declared
