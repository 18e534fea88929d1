"""Discovery documents: robots.txt Sitemap lines, sitemaps (index, urlset, Google News, gzipped), RSS/Atom/JSON
feeds and listing pages, turned into the URLs a crawl should follow. Pure code: no Scrapy, no network. A sitemap
is read as a stream (`Sitemap`): a million-URL document never becomes a list.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl, urljoin, urlsplit

import feedparser
import lxml.etree
import lxml.html

GZIP_MAGIC = b"\x1f\x8b"
NEWS_NAMESPACE = "http://www.google.com/schemas/sitemap-news/0.9"
LINK_FIELDS = ("loc", "lastmod")
MAX_DECOMPRESSED = 64 * 1024 * 1024  # a sitemap may hold 50,000 URLs in at most 50 MB uncompressed
INFLATE_PIECE = 256 * 1024  # bytes of a sitemap (inflated) parsed at a time


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


class DiscoveryError(ValueError):
    """A discovery document could not be read; the message says why."""


class Inflater:
    """gzip data (one member or several) inflated a piece at a time: iterate for the pieces, then `problem` says
    why it stopped early (cut or corrupt data; "" when whole). Data that would inflate beyond `limit` bytes (a
    decompression bomb) raises `DiscoveryError`."""

    def __init__(self, data: bytes, limit: int = MAX_DECOMPRESSED) -> None:
        self.data = data
        self.limit = limit
        self.problem = ""

    def __iter__(self) -> Iterator[bytes]:
        data, total = self.data, 0
        while data:  # a gzip file may hold several members, one after the other
            inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
            pending = data
            while pending and not inflater.eof:
                try:
                    piece = inflater.decompress(pending, INFLATE_PIECE)
                except zlib.error as exc:
                    self.problem = f"corrupt gzip data: {exc}"
                    return
                total += len(piece)
                if total > self.limit:
                    raise DiscoveryError(f"gzip data inflates beyond {self.limit} bytes")
                pending = inflater.unconsumed_tail
                if piece:
                    yield piece
            if not inflater.eof:  # all the input taken: what zlib still holds, then the member must have ended
                yield inflater.flush()
                if not inflater.eof:
                    self.problem = "truncated gzip data"
                    return
            data = inflater.unused_data


class Sitemap:
    """A sitemap read as a stream: an index of further sitemaps or a urlset of pages (`is_index`, known at once),
    whose `links` are read as they are iterated (never all held at once). Once they are, `problem` says why the
    document could be read only in part (cut, malformed, hostile): the links are those before the damage, its last
    entry left out (it may be cut too)."""

    def __init__(self, body: bytes, url: str = "") -> None:
        self.url = url
        self.problem = ""
        self._inflater = Inflater(body) if body.startswith(GZIP_MAGIC) else None
        self._pieces = iter(self._inflater) if self._inflater else _pieces(body)
        self._parser = lxml.etree.XMLPullParser(
            events=("start", "end"), recover=True, remove_comments=True, resolve_entities=False, no_network=True,
            huge_tree=False,
        )  # fmt: skip
        self._events: list[tuple[str, Any]] = []
        self._root: Any = None
        while self._root is None and self._feed():
            for event, element in self._parser.read_events():
                self._events.append((event, element))
                if self._root is None:
                    self._root = element
        if self._root is None or _local(self._root.tag) not in ("urlset", "sitemapindex"):
            raise DiscoveryError(
                f"not a sitemap: the root element is neither urlset nor sitemapindex{_also(self._damage())}")
        self.is_index = _local(self._root.tag) == "sitemapindex"
        self.links = self._links()

    def _feed(self) -> bool:
        """Feed the parser the next piece of the document; False at its end (the parser closed)."""
        piece = next(self._pieces, None)
        try:
            if piece is None:
                self._parser.close()
                return False
            self._parser.feed(piece)
        except lxml.etree.XMLSyntaxError as exc:
            if self._root is None:
                raise DiscoveryError(f"not a sitemap: {exc}") from exc
            return piece is not None
        return True

    def _damage(self) -> str:
        fatal = [error for error in self._parser.feed_error_log if error.level_name == "FATAL"]
        gzip_problem = self._inflater.problem if self._inflater else ""
        return "; ".join(filter(None, [gzip_problem, *(f"{e.message.strip()} (line {e.line})" for e in fatal[:1])]))

    def _links(self) -> Iterator[Link]:
        depth, held, more = 0, None, True
        events: Iterator[tuple[str, Any]] = iter(self._events)  # those read while looking for the root
        self._events = []
        while True:
            for event, element in events:
                depth += 1 if event == "start" else -1
                if event == "end" and depth == 1:  # an entry of the root: <url> or <sitemap>
                    link = _entry_link(element, self.url)
                    element.clear()
                    while element.getprevious() is not None:  # what was read goes: memory stays flat
                        del self._root[0]
                    if link is not None:
                        if held is not None:
                            yield held
                        held = link
            if not more:
                break
            more = self._feed()
            events = self._parser.read_events()
        self.problem = self._damage()
        if held is not None and not self.problem:  # a damaged document's last entry may be cut: left out
            yield held


def _pieces(body: bytes) -> Iterator[bytes]:
    return (body[start : start + INFLATE_PIECE] for start in range(0, len(body), INFLATE_PIECE))


def _entry_link(entry: Any, base: str) -> Link | None:
    """The link of a sitemap entry: loc and lastmod of the entry itself (not of an <image:image> or <video:video>
    inside it), and the publication date of its Google News block."""
    fields = {_local(child.tag): (child.text or "").strip() for child in entry if _local(child.tag) in LINK_FIELDS}
    for date in entry.iter(f"{{{NEWS_NAMESPACE}}}publication_date"):
        fields.setdefault("publication_date", (date.text or "").strip())
    if not fields.get("loc"):
        return None
    return Link(
        urljoin(base, fields["loc"]),
        modified=parse_iso_datetime(fields.get("lastmod")),
        published=parse_iso_datetime(fields.get("publication_date")),
    )


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
