"""Discovery documents: robots.txt Sitemap lines, sitemaps (index, urlset, Google News, gzipped), RSS/Atom/JSON
feeds and listing pages, turned into the URLs a crawl should follow. Pure functions: no Scrapy, no network.
"""

from __future__ import annotations

import re
import zlib
from dataclasses import dataclass
from datetime import UTC, datetime
from io import BytesIO
from urllib.parse import parse_qsl, urljoin, urlsplit

import feedparser
import lxml.etree
import lxml.html

GZIP_MAGIC = b"\x1f\x8b"
NEWS_NAMESPACE = "http://www.google.com/schemas/sitemap-news/0.9"
LINK_FIELDS = ("loc", "lastmod")
MAX_DECOMPRESSED = 64 * 1024 * 1024  # a sitemap may hold 50,000 URLs in at most 50 MB uncompressed


@dataclass(frozen=True)
class Link:
    """A URL found by discovery, with the dates the document gave for it (aware, or None)."""

    url: str
    modified: datetime | None = None
    published: datetime | None = None

    @property
    def latest(self) -> datetime | None:
        """The most recent of the two dates: what an incremental crawl compares with its stored copy."""
        dates = [d for d in (self.modified, self.published) if d is not None]
        return max(dates) if dates else None


@dataclass(frozen=True)
class Sitemap:
    """A parsed sitemap: an index of further sitemaps, or a urlset of pages."""

    is_index: bool
    links: list[Link]
    problem: str = ""  # why the document could be read only in part (cut, malformed, hostile): links are those before


class DiscoveryError(ValueError):
    """A discovery document could not be read; the message says why."""


def gunzip_partial(data: bytes, limit: int = MAX_DECOMPRESSED) -> tuple[bytes, str]:
    """Decompress gzip data as far as it goes: (the bytes inflated, "" or why it stopped early: cut or corrupt).
    Raises `DiscoveryError` for data that inflates beyond `limit` bytes (a decompression bomb)."""
    out = b""
    while data:  # a gzip file may hold several members, one after the other
        inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
        try:
            out += inflater.decompress(data, limit + 1 - len(out))
        except zlib.error as exc:
            return out, f"corrupt gzip data: {exc}"
        if len(out) > limit or inflater.unconsumed_tail:
            raise DiscoveryError(f"gzip data inflates beyond {limit} bytes")
        if not inflater.eof:
            return out + inflater.flush(), "truncated gzip data"
        data = inflater.unused_data
    return out, ""


def parse_iso_datetime(value: str | None) -> datetime | None:
    """Parse a W3C/ISO 8601 datetime as sitemaps give it; naive values are taken as UTC; junk gives None."""
    if not value:
        return None
    text = value.strip().replace("Z", "+00:00")
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def sitemaps_from_robots(robots_txt: bytes, base_url: str) -> list[str]:
    """The Sitemap URLs a robots.txt names, made absolute."""
    text = robots_txt.decode("utf-8", errors="replace")
    found = re.findall(r"(?im)^\s*sitemap\s*:\s*(\S+)", text)
    return [urljoin(base_url, url) for url in found]


def _local(tag: object) -> str:
    return tag.split("}", 1)[-1] if isinstance(tag, str) else ""


def parse_sitemap(body: bytes, url: str = "") -> Sitemap:
    """Parse a sitemap or sitemap index (gzipped or not), including Google News `news:publication_date`.

    A document readable only in part (a cut gzip body, a cut or malformed XML document, an entity bomb lxml
    stopped) gives the links before the damage, its last entry left out (it may be cut too), and the problem in
    `Sitemap.problem`."""
    problem = ""
    if body.startswith(GZIP_MAGIC):
        body, problem = gunzip_partial(body)
    parser = lxml.etree.XMLParser(
        recover=True, remove_comments=True, resolve_entities=False, no_network=True, huge_tree=False
    )
    try:
        root = lxml.etree.parse(BytesIO(body), parser).getroot()
    except lxml.etree.XMLSyntaxError as exc:
        raise DiscoveryError(f"not a sitemap: {exc}") from exc
    if root is None or _local(root.tag) not in ("urlset", "sitemapindex"):
        raise DiscoveryError(f"not a sitemap: the root element is neither urlset nor sitemapindex{_also(problem)}")
    fatal = [error for error in parser.error_log if error.level_name == "FATAL"]
    problem = "; ".join(filter(None, [problem, *(f"{e.message.strip()} (line {e.line})" for e in fatal[:1])]))
    links = []
    for entry in root:
        # loc and lastmod of the entry itself (not of an <image:image> or <video:video> inside it), and the
        # publication date of its Google News block
        fields = {_local(child.tag): (child.text or "").strip() for child in entry if _local(child.tag) in LINK_FIELDS}
        for date in entry.iter(f"{{{NEWS_NAMESPACE}}}publication_date"):
            fields.setdefault("publication_date", (date.text or "").strip())
        if fields.get("loc"):
            links.append(
                Link(
                    urljoin(url, fields["loc"]),
                    modified=parse_iso_datetime(fields.get("lastmod")),
                    published=parse_iso_datetime(fields.get("publication_date")),
                )
            )
    if problem and links:
        links.pop()
    return Sitemap(is_index=_local(root.tag) == "sitemapindex", links=links, problem=problem)


def _also(problem: str) -> str:
    return f" ({problem})" if problem else ""


def _struct_to_datetime(value: object) -> datetime | None:
    if not value:
        return None
    try:
        return datetime(*value[:6], tzinfo=UTC)  # feedparser normalises to UTC
    except (TypeError, ValueError):
        return None


def parse_feed(body: bytes, url: str = "") -> list[Link]:
    """The entries of an RSS, Atom or JSON feed as links with their published/updated dates."""
    parsed = feedparser.parse(body, response_headers={"content-location": url})
    if parsed.bozo and not parsed.entries:
        raise DiscoveryError(f"not a feed: {parsed.get('bozo_exception', 'no entries')}")
    links = []
    for entry in parsed.entries:
        href = entry.get("link") or entry.get("id")
        if href:
            links.append(
                Link(
                    urljoin(url, href),
                    # dict.get: FeedParserDict.get would answer with the published date when there is no update
                    modified=_struct_to_datetime(dict.get(entry, "updated_parsed")),
                    published=_struct_to_datetime(entry.get("published_parsed")),
                )
            )
    return links


PAGE_PARAMS = ("page", "trang", "pg")  # not "p": WordPress posts are /?p=123
PAGE_PATH = re.compile(r"(?:/|-)(?:page|trang)[-/]?(\d+)(?:\.html?)?/?$", re.I)


def page_number(url: str) -> int | None:
    """The pagination number a listing URL carries (`?page=3`, `/trang-3.html`, `/page/3/`), or None."""
    parts = urlsplit(url)
    for key, value in parse_qsl(parts.query):
        if key.lower() in PAGE_PARAMS and value.isdigit():
            return int(value)
    match = PAGE_PATH.search(parts.path)
    return int(match.group(1)) if match else None


def _without_page(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    path = PAGE_PATH.sub("", parts.path).removesuffix(".html").rstrip("/")
    query = sorted((k, v) for k, v in parse_qsl(parts.query) if k.lower() not in PAGE_PARAMS)
    return parts.netloc + path, repr(query)


def listing_links(html: bytes, url: str) -> tuple[list[str], list[str]]:
    """All http(s) links of a listing page, and those that lead to its other pages (rel=next or same listing,
    other page number). The caller decides which of the former are articles (the site profile's rules)."""
    try:
        doc = lxml.html.document_fromstring(html, base_url=url)
    except (lxml.etree.ParserError, ValueError):
        return [], []
    links, pages = [], []
    this_listing = _without_page(url)
    for anchor in doc.iter("a"):
        href = anchor.get("href")
        if not href or href.startswith(("#", "javascript:", "mailto:", "tel:")):
            continue
        target = urljoin(url, href.strip()).split("#", 1)[0]
        if urlsplit(target).scheme not in ("http", "https"):
            continue
        links.append(target)
        is_next = "next" in (anchor.get("rel") or "").lower().split()
        if is_next or (page_number(target) is not None and _without_page(target) == this_listing):
            pages.append(target)
    for link in doc.iter("link"):
        if "next" in (link.get("rel") or "").lower().split() and link.get("href"):
            pages.append(urljoin(url, link.get("href")))
    return list(dict.fromkeys(links)), list(dict.fromkeys(pages))
