"""What the crawl made of a fetched page: the outcome recorded on its capture row (`captures.outcome`).

The values are stored in SQL and shown by `newsarchive stats`, so they are part of the archive's format: add
members, never rename one. `Outcome` is a `StrEnum`, so a member compares equal to its stored string.
"""

from __future__ import annotations

from enum import StrEnum


class Outcome(StrEnum):
    ARTICLE = "article"  # extracted and handed to the pipelines
    NOT_ARTICLE = "not_article"  # fetched, but extraction said it is no article (reason: why)
    LISTING = "listing"  # a listing page; its links were followed
    SITEMAP = "sitemap"
    FEED = "feed"
    ROBOTS = "robots"
    NOT_MODIFIED = "not_modified"  # a conditional request answered 304
    REDIRECT = "redirect"  # the reason holds the URL the redirect led to
    DUPLICATE = "duplicate"  # the same article as another URL of this crawl (reason: which)
    SKIPPED = "skipped"  # fetched, then left out by a rule of the crawl (reason: which)
    FAILED = "failed"  # reason: what went wrong
    REQUISITE = "requisite"  # a photo or stylesheet an article page needs (reason: which article)
    # fetched, but its WARC record could not be written (reason: why, e.g. disk full): nothing stored, and the
    # next run fetches it again at once (it counts as no failed attempt of the page)
    NOT_ARCHIVED = "not_archived"
