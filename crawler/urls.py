"""URL canonicalisation: the one key under which an article is archived, whatever link led to it.

Pure (no Scrapy). Two URLs of one article must give the same string: scheme and host case, default ports,
fragments, tracking parameters (`utm_*`, `fbclid`, `gclid`, Zalo's `zarsrc`/`gidzl`, ... via courlan's tracker
list), a trailing `index.html` and the order of query parameters do not matter, and the page's own
`<link rel=canonical>` wins when it points to the same site.

Host names are compared in one form everywhere (`ascii_host`): an internationalised name (`bücher.example`) and
its IDNA form (`xn--bcher-kva.example`) are the same host.
"""

from __future__ import annotations

import re
from contextlib import suppress
from urllib.parse import unquote_plus, urljoin, urlsplit, urlunsplit

from courlan import is_external
from courlan.clean import TRACKERS_RE
from w3lib.url import canonicalize_url as w3lib_canonicalize_url

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


def ascii_host(host: str) -> str:
    """`host` in the form hosts are compared in: lower case, no trailing dot, IDNA ASCII (`xn--…`) labels."""
    host = host.strip().rstrip(".").lower()
    if host.isascii():
        return host
    try:
        return host.encode("idna").decode("ascii")
    except UnicodeError:  # not a valid IDNA name: compared as given
        return host


def host_of(url: str) -> str:
    """The host of `url` in `ascii_host` form ("" when it has none)."""
    return ascii_host(urlsplit(url.strip()).hostname or "")


def with_ascii_host(url: str) -> str:
    """`url` with its host in `ascii_host` form, everything else as given."""
    parts = urlsplit(url.strip())
    if not parts.hostname or parts.hostname.isascii():
        return url
    netloc = parts.netloc.rsplit("@", 1)
    netloc[-1] = netloc[-1].lower().replace(parts.hostname, ascii_host(parts.hostname), 1)
    return urlunsplit((parts.scheme, "@".join(netloc), parts.path, parts.query, parts.fragment))


def lookup_forms(url: str) -> list[str]:
    """The forms under which the archive may hold a URL a person typed or pasted: as given, without its tracking
    parameters and fragment (the address the crawl requested), and canonical (the archive key)."""
    forms = [url.strip(), strip_tracking(url)]
    with suppress(ValueError):  # not an http(s) URL: only its literal forms can match
        forms.append(canonicalize_url(url))
    return list(dict.fromkeys(forms))


def strip_tracking(url: str) -> str:
    """`url` without its tracking parameters and fragment, and otherwise as given: the address to request.

    Parameters are judged by name (courlan's tracker list and `EXTRA_TRACKING_PARAMETERS`); every other part of
    the query is kept byte for byte, bare keys (`news.php?12345`) included.
    """
    parts = urlsplit(url.strip())
    kept = [part for part in parts.query.split("&") if part and not _is_tracking(part.partition("=")[0])]
    return urlunsplit((parts.scheme, parts.netloc, parts.path, "&".join(kept), ""))


def _is_tracking(name: str) -> bool:
    name = unquote_plus(name).lower()
    return name in EXTRA_TRACKING_PARAMETERS or bool(TRACKERS_RE.search(name))


DEFAULT_PORTS = {"http": 80, "https": 443}


def _canonical_form(url: str) -> str:
    parts = urlsplit(url.strip())
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise ValueError(f"not an absolute http(s) URL: {url!r}")
    # w3lib: lower-case scheme and host, IDNA host, percent-encoding, sorted query, no fragment
    canonical = urlsplit(w3lib_canonicalize_url(strip_tracking(url)))
    netloc = canonical.netloc
    if canonical.port == DEFAULT_PORTS[canonical.scheme]:
        netloc = netloc.rsplit(":", 1)[0]
    path = INDEX_PAGE.sub("/", canonical.path) or "/"
    return urlunsplit((canonical.scheme, netloc, path, canonical.query, ""))
