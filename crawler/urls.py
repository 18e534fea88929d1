"""URL canonicalisation: the one key under which an article is archived, whatever link led to it.

Pure (no Scrapy). Two URLs of one article must give the same string: scheme and host case, default ports,
fragments, tracking parameters (`utm_*`, `fbclid`, `gclid`, Zalo's `zarsrc`/`gidzl`, ... via courlan's tracker
list), a trailing `index.html` and the order of query parameters do not matter, and the page's own
`<link rel=canonical>` wins when it points to the same site.
"""

from __future__ import annotations

import re
from urllib.parse import urljoin, urlsplit, urlunsplit

from courlan import is_external, normalize_url
from w3lib.url import canonicalize_url as w3lib_canonicalize_url
from w3lib.url import url_query_cleaner

# Tracking parameters courlan's TRACKERS_RE does not cover (Zalo, the main Vietnamese social network, and a few
# analytics suites).
EXTRA_TRACKING_PARAMETERS = ("zarsrc", "gidzl", "_hsenc", "_hsmi", "mkt_tok", "spm", "vn_source", "vn_medium")

INDEX_PAGE = re.compile(r"/(?:index|default)\.(?:html?|php|aspx?)$", re.IGNORECASE)


def canonicalize_url(url: str, canonical_href: str | None = None) -> str:
    """The canonical form of `url`, or of the page's `<link rel=canonical>` href when that is on the same site.

    `canonical_href` may be relative (it is resolved against `url`). Raises ValueError for a URL that is not
    absolute http(s) with a host.
    """
    base = _canonical_form(url)
    if canonical_href and canonical_href.strip():
        candidate = urljoin(url, canonical_href.strip())
        try:
            declared = _canonical_form(candidate)
        except ValueError:
            return base
        if not is_external(declared, base, ignore_suffix=False):
            return declared
    return base


def _canonical_form(url: str) -> str:
    parts = urlsplit(url.strip())
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise ValueError(f"not an absolute http(s) URL: {url!r}")
    # courlan: lower-case scheme and host, default port, tracking parameters, and it keeps the fragment for us
    # to drop; w3lib: percent-encoding, IDNA host, sorted query, no fragment.
    normalized = normalize_url(url.strip())
    normalized = url_query_cleaner(normalized, EXTRA_TRACKING_PARAMETERS, remove=True, unique=False)
    canonical = w3lib_canonicalize_url(normalized)
    parts = urlsplit(canonical)
    path = INDEX_PAGE.sub("/", parts.path) or "/"
    return urlunsplit((parts.scheme, parts.netloc, path, parts.query, ""))
