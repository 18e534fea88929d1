"""The newsroom site: a seeded, deterministic Vietnamese news site with the awkward cases real sites have.

`Newsroom(articles=…, seed=…)` holds the stories (the seed article first) and answers HTTP requests through
`handle(method, target, headers, base_url)`, without sockets; `crawler.newsroom.server` puts it on the wire.
Pages are rendered on first request and their bytes cached (per base URL), so the same seed gives the same
bytes. Every request is logged (`request_log`, `request_counts()`), so tests can assert what a crawl fetched.

Discovery: robots.txt names the sitemap index and the news sitemap; the index lists one sitemap per section
(every other one gzipped, `.xml.gz`), a Google News sitemap and a sitemap of odd pages; each section has
paginated listings and an RSS feed, and there is an Atom feed of the latest news.

`Newsroom.cases` names the path of each awkward case, the article it stands for and its first status: amp,
redirect_301, redirect_302, tracking, syndicated, near_duplicate, not_found, flaky (503 then 200), video and
contact (not articles), disallowed (robots.txt), edited (`edit_article`), nfd, windows_1258. Every HTML, XML and
text response is gzip-encoded when the request accepts it, and carries ETag and Last-Modified (304 on a match).

Photos, thumbnails and the stylesheet are served by the site's image host (`Newsroom.media_host`, 127.0.0.2 on
the site's port: another host, as a CDN is), which `handle` answers when called with that host's base URL; each
photo is a small PNG of its own, drawn from its path.
"""

from __future__ import annotations

import gzip
import hashlib
import random
import struct
import threading
import unicodedata
import zlib
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime, parsedate_to_datetime
from functools import cached_property, partial
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import parse_qs, urlsplit

from crawler.newsroom import templates as tpl
from crawler.newsroom.seed import SEED_ID, seed_story
from crawler.newsroom.story import CATEGORIES, VIETNAM, Block, Category, Story, slugify
from crawler.newsroom.vocabulary import EDIT_NOTE, NEAR_DUPLICATE_NOTE, SYNDICATION_PREFIX
from crawler.newsroom.writer import to_nfd, write_body, write_headline

if TYPE_CHECKING:
    from crawler.newsroom.server import NewsroomServer
    from crawler.sites import SiteProfile

REFERENCE_TIME = datetime(2025, 9, 30, 18, 0, tzinfo=VIETNAM)
"""The newsroom's "now": stories are spread over the days before it (never the real clock)."""

# The stories right after the seed play the awkward cases; the others are plain articles.
CASE_ROLES = ("amp", "redirect", "tracking", "syndicated", "near_duplicate", "flaky", "edited", "nfd", "windows_1258")
MIN_ARTICLES = len(CASE_ROLES) + 1
MAX_ARTICLES = 80_000
# Ids of the pages derived from stories (copies, video, missing pages), above every regular story's id.
SYNDICATED_ID, NEAR_DUPLICATE_ID, VIDEO_ID, MISSING_ID, ADMIN_ID = range(10_390_001, 10_390_006)
SECTION_WEIGHTS = (5, 4, 3, 3, 3, 3, 2, 2, 2, 2)  # "Thời sự" is the busiest section, as on the real site
GZIPPED_SECTIONS = frozenset(c.slug for c in CATEGORIES[1::2])
NEWS_SITEMAP_DAYS = 2
NEWS_SITEMAP_MIN = 10
FEED_SIZE = 50
HOME_SIZE = 12
CONTACT_TEXT = (
    "Tòa soạn: 35 Nguyễn Thị Minh Khai, phường Thành Vinh, tỉnh Nghệ An.",
    "Điện thoại: 0238 3844 552. Email: toasoan@newsroom.example.",
)
TEXT_TYPES = ("text/", "application/xml", "application/rss+xml", "application/atom+xml")


@dataclass(frozen=True)
class Case:
    """One awkward case of the site: the path a crawler meets, the article it stands for, what it answers."""

    name: str
    path: str
    target: str | None
    status: int
    note: str

    def url(self, base_url: str) -> str:
        return base_url + self.path

    def target_url(self, base_url: str) -> str | None:
        return base_url + self.target if self.target else None


@dataclass(frozen=True)
class Response:
    """What the site answers to one request."""

    status: int
    headers: list[tuple[str, str]]
    body: bytes


@dataclass(frozen=True)
class LoggedRequest:
    """One request the site answered: method, request target (path and query), status, kind of page."""

    method: str
    target: str
    status: int
    kind: str


@dataclass
class _Page:
    """A rendered resource with its validators; the gzip variant is made on first use."""

    status: int
    content_type: str
    body: bytes
    kind: str
    last_modified: datetime | None = None
    location: str | None = None
    extra_headers: tuple[tuple[str, str], ...] = field(default_factory=tuple)

    @cached_property
    def etag(self) -> str:
        return '"' + hashlib.sha1(self.body).hexdigest()[:20] + '"'

    @cached_property
    def gzipped(self) -> bytes:
        return gzip.compress(self.body, mtime=0)

    @property
    def compressible(self) -> bool:
        return bool(self.body) and self.content_type.startswith(TEXT_TYPES)


def section_sitemap_path(category: Category) -> str:
    """The sitemap of one section; every other section's is gzipped (`.xml.gz`)."""
    return (
        f"/sitemaps/{category.slug}.xml.gz" if category.slug in GZIPPED_SECTIONS else f"/sitemaps/{category.slug}.xml"
    )


PHOTO_WIDTH, PHOTO_HEIGHT = 320, 200


def photo_png(path: str) -> bytes:
    """The photo the image host serves at `path`: a valid RGB PNG, a top-to-bottom gradient between two colours
    drawn from the path, so that every photo has bytes of its own and the same path always the same bytes."""
    digest = hashlib.sha1(path.encode("utf-8")).digest()
    top, bottom = digest[:3], digest[3:6]
    rows = []
    for y in range(PHOTO_HEIGHT):
        colour = bytes(a + (b - a) * y // (PHOTO_HEIGHT - 1) for a, b in zip(top, bottom, strict=True))
        rows.append(b"\x00" + colour * PHOTO_WIDTH)  # filter type 0, then the row's pixels

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", PHOTO_WIDTH, PHOTO_HEIGHT, 8, 2, 0, 0, 0)  # 8 bits per channel, RGB
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"".join(rows)))
        + chunk(b"IEND", b"")
    )


STYLESHEET = (Path(__file__).with_name("data") / "newsroom.css").read_bytes()
MEDIA_ROBOTS = b"User-agent: *\nDisallow: /private/\n"
_VIETNAMESE_MODIFIERS = {"\u0302", "\u0306", "\u031b"}  # circumflex, breve, horn: part of the base letter in cp1258


def encode_windows_1258(text: str) -> bytes:
    """Encode Vietnamese text in windows-1258: base letters with their modifiers precomposed, tone marks combining.

    Python's cp1258 codec only maps characters that exist precomposed in the code page ("ê" does, "ệ" does not),
    so each letter is split into its base letter (with circumflex, breve or horn) and a combining tone mark.
    """
    out = []
    for char in text:
        try:
            out.append(char.encode("cp1258"))
            continue
        except UnicodeEncodeError:
            pass
        decomposed = unicodedata.normalize("NFD", char)
        base = decomposed[0] + "".join(m for m in decomposed[1:] if m in _VIETNAMESE_MODIFIERS)
        tones = "".join(m for m in decomposed[1:] if m not in _VIETNAMESE_MODIFIERS)
        out.append((unicodedata.normalize("NFC", base) + tones).encode("cp1258", "xmlcharrefreplace"))
    return b"".join(out)


@dataclass(frozen=True)
class _Index:
    """What the site derives from its stories: their order, sections, positions in them and the page routes."""

    stories: list[Story]
    sections: dict[Category, list[Story]]
    positions: dict[int, int]
    routes: dict[str, Callable[[str, int], _Page]]


class Newsroom:
    """A deterministic news site of `articles` stories (the seed article included) made from `seed`.

    Stories are published over the `days` days before `reference`; listings show `page_size` stories a page.
    The page of `cases["flaky"]` answers 503 to its first `flaky_failures` requests.
    """

    media_host = tpl.MEDIA_HOST
    """The image host's address: `handle` called with a base URL on it answers as the image host."""

    def __init__(
        self,
        articles: int = 50,
        seed: int | str = 1,
        *,
        reference: datetime = REFERENCE_TIME,
        days: int = 30,
        page_size: int = 20,
        flaky_failures: int = 1,
    ) -> None:
        if not MIN_ARTICLES <= articles <= MAX_ARTICLES:
            raise ValueError(f"articles must be between {MIN_ARTICLES} and {MAX_ARTICLES}, not {articles}")
        if days < 1 or page_size < 1 or flaky_failures < 0:
            raise ValueError("days and page_size must be positive and flaky_failures not negative")
        if reference.tzinfo is None:
            raise ValueError("reference must be time-zone aware")
        self.seed = seed
        self.reference = reference
        self.days = days
        self.page_size = page_size
        self.flaky_failures = flaky_failures
        self._lock = threading.Lock()
        self._pages: dict[tuple[str, str, int], _Page] = {}
        self._not_found_pages: dict[str, _Page] = {}
        self._media_pages: dict[str, _Page] = {}
        self._full: dict[int, tuple[int, Story]] = {}  # story id → (revision, full story)
        self._revisions: dict[int, int] = {}
        self._edited_at: dict[int, datetime] = {}
        self._flaky_hits: Counter[str] = Counter()
        self._state_lock = threading.RLock()  # an edit and the building of the index exclude each other
        self._index: _Index | None = None
        self.request_log: list[LoggedRequest] = []

        seed_article = seed_story()
        self.seed_story = seed_article
        self._full[SEED_ID] = (1, seed_article)
        headlines = [seed_article] + [self._headline(index) for index in range(1, articles)]
        self._headlines: dict[int, Story] = {s.id: s for s in headlines}
        self.case_stories: dict[str, Story] = dict(zip(CASE_ROLES, headlines[1 : len(CASE_ROLES) + 1], strict=True))
        """The regular stories the awkward cases are made of (the first stories after the seed)."""
        self._add_copies()
        self._video = replace(
            write_headline(seed, VIDEO_ID, self.case_stories["amp"].category, reference - timedelta(hours=5)),
            slug="video-" + self.case_stories["amp"].slug,
        )
        self._paths: dict[str, int] = {s.path: s.id for s in self._headlines.values()}
        self.cases = self._make_cases()

    # --- content --------------------------------------------------------------------------------------------------

    def _headline(self, index: int) -> Story:
        story_id = SEED_ID + index
        rng = random.Random(f"newsroom:{self.seed}:{story_id}:place")
        category = rng.choices(CATEGORIES, weights=SECTION_WEIGHTS)[0]
        published = self.reference - timedelta(seconds=rng.randrange(self.days * 86_400))
        layout = "vnexpress" if index >= MIN_ARTICLES and index % 4 == 2 else "onecms"
        return write_headline(self.seed, story_id, category, published, layout=layout, json_ld=index % 3 == 0)

    def _add_copies(self) -> None:
        """The syndicated copy (VnExpress layout, title prefix) and the near-duplicate (one extra paragraph)."""
        source = self.story(self.case_stories["syndicated"].id)
        title = SYNDICATION_PREFIX + source.title
        syndicated = replace(
            source,
            id=SYNDICATED_ID,
            title=title,
            slug=slugify(title),
            layout="vnexpress",
            published=source.published + timedelta(hours=3),
            json_ld=False,
        )
        original = self.story(self.case_stories["near_duplicate"].id)
        near = replace(
            original,
            id=NEAR_DUPLICATE_ID,
            published=original.published + timedelta(hours=1),
            blocks=(*original.blocks, Block("p", NEAR_DUPLICATE_NOTE)),
        )
        for copy in (syndicated, near):
            self._headlines[copy.id] = copy
            self._full[copy.id] = (1, copy)

    def _make_cases(self) -> dict[str, Case]:
        stories = self.case_stories
        amp, redirect, tracking = stories["amp"], stories["redirect"], stories["tracking"]
        missing_section = CATEGORIES[0].slug
        cases = [
            Case("amp", "/amp" + amp.path, amp.path, 200, "AMP copy of an article, rel=canonical to the article"),
            Case(
                "redirect_301",
                f"/tin-tuc/{redirect.slug}-{redirect.id}.html",
                redirect.path,
                301,
                "old article URL, moved permanently",
            ),
            Case("redirect_302", f"/r/{redirect.id}", redirect.path, 302, "short link, found elsewhere"),
            Case(
                "tracking",
                tracking.path + "?utm_source=facebook&utm_medium=social&utm_campaign=chia-se&fbclid=IwAR2x9newsroomQ7",
                tracking.path,
                200,
                "article link with tracking parameters",
            ),
            Case(
                "syndicated",
                self._headlines[SYNDICATED_ID].path,
                stories["syndicated"].path,
                200,
                "the same body republished in the VnExpress layout under a prefixed title",
            ),
            Case(
                "near_duplicate",
                self._headlines[NEAR_DUPLICATE_ID].path,
                stories["near_duplicate"].path,
                200,
                "the same article with one extra paragraph",
            ),
            Case(
                "not_found",
                f"/{missing_section}/bai-viet-da-go-bo-{MISSING_ID}.html",
                None,
                404,
                "article removed: linked from the home page, the latest-news listing and a sitemap",
            ),
            Case(
                "flaky",
                stories["flaky"].path,
                stories["flaky"].path,
                503,
                f"answers 503 (Retry-After: 1) to its first {self.flaky_failures} request(s), then 200",
            ),
            Case("video", self._video.path, None, 200, "video page: a title and a player, no article text"),
            Case("contact", "/lien-he", None, 200, "contact page, not an article"),
            Case(
                "disallowed",
                f"/admin/bai-viet-nhap-{ADMIN_ID}.html",
                None,
                200,
                "draft preview under /admin/, linked from the home page but disallowed by robots.txt",
            ),
            Case(
                "edited",
                stories["edited"].path,
                stories["edited"].path,
                200,
                "edit_article(id) makes the next fetch see a changed body and a later modified date",
            ),
            Case("nfd", stories["nfd"].path, stories["nfd"].path, 200, "Vietnamese text in decomposed form (NFD)"),
            Case(
                "windows_1258",
                stories["windows_1258"].path,
                stories["windows_1258"].path,
                200,
                "page encoded and declared as windows-1258 (tone marks as combining characters)",
            ),
        ]
        return {case.name: case for case in cases}

    @property
    def seed_path(self) -> str:
        """Where the seed article is served (the same path whatever the seed and size)."""
        return self.seed_story.path

    @property
    def stories(self) -> list[Story]:
        """Every article page of the site (headlines: bodies are written on demand), newest first."""
        return self._current_index().stories

    def section(self, category: Category) -> list[Story]:
        """The article pages of one section, newest first."""
        return self._current_index().sections[category]

    def _current_index(self) -> _Index:
        index = self._index
        if index is None:
            with self._state_lock:
                if self._index is None:
                    self._index = self._build_index()
                index = self._index
        return index

    def _build_index(self) -> _Index:
        stories = sorted(self._headlines.values(), key=lambda s: (s.published, s.id), reverse=True)
        sections: dict[Category, list[Story]] = {c: [] for c in CATEGORIES}
        for story in stories:
            sections[story.category].append(story)
        positions = {s.id: i for section in sections.values() for i, s in enumerate(section)}
        return _Index(stories, sections, positions, self._make_routes(stories, sections))

    def story(self, story_id: int) -> Story:
        """The full story `story_id` as currently published (NFC text; edits applied)."""
        revision = self._revisions.get(story_id, 1)
        cached = self._full.get(story_id)
        if cached is not None and cached[0] == revision:
            return cached[1]
        headline = self._headlines.get(story_id)
        if headline is None:
            raise KeyError(f"no story {story_id} in this newsroom")
        full = self._revise(write_body(self.seed, headline), revision)
        self._full[story_id] = (revision, full)  # tagged, so a copy of an older revision is never served
        return full

    def story_at(self, path: str) -> Story:
        """The full story a crawler gets at `path`: an article path, or a case path standing for an article
        (AMP copy, redirect, tracking link); the query is ignored, as the site ignores it."""
        path = urlsplit(path).path
        story_id = self._paths.get(path)
        if story_id is None:
            target = next((c.target for c in self.cases.values() if urlsplit(c.path).path == path and c.target), None)
            story_id = self._paths.get(target or "")
        if story_id is None:
            raise KeyError(f"no article at {path}")
        return self.story(story_id)

    def _revise(self, story: Story, revision: int) -> Story:
        if revision == 1:
            return story
        first = next(i for i, b in enumerate(story.blocks) if b.kind == "p")
        changed = replace(story.blocks[first], text=f"{story.blocks[first].text} (Cập nhật lần {revision - 1}.)")
        blocks = (*story.blocks[:first], changed, *story.blocks[first + 1 :], Block("p", EDIT_NOTE))
        return replace(story, blocks=blocks, modified=self._edited_at[story.id])

    def edit_article(self, story_id: int) -> Story:
        """Publish a new revision of a story: changed body, later modified date; returns the new story."""
        with self._state_lock:
            if story_id not in self._headlines or story_id in (SEED_ID, SYNDICATED_ID, NEAR_DUPLICATE_ID):
                raise ValueError(f"story {story_id} cannot be edited (unknown, the seed, or a copy)")
            self._revisions[story_id] = self._revisions.get(story_id, 1) + 1
            # An edit happens now, on the real clock: a crawler that fetched the story before must see it as
            # modified after its copy (the rest of the site lives in the generated past and stays deterministic).
            self._edited_at[story_id] = max(datetime.now(self.reference.tzinfo), self.reference).replace(microsecond=0)
            edited = self.story(story_id)
            self._headlines[story_id] = replace(self._headlines[story_id], modified=edited.modified)
            self._index = None
            self._pages = {}  # last: a page cached from now on is rendered from the new state
        return edited

    def expected_record(self, path: str, base_url: str) -> dict:
        """What an export record of the article at `path` should hold (the fields the site knows)."""
        story = self.story_at(path)
        url = base_url + story.path
        return {
            "url": url,
            "canonical_url": url,
            "title": story.title,
            "lead": story.lead,
            "text": "\n\n".join(block.text_form() for block in story.blocks),
            "captions": story.captions(tpl.media_base(base_url)),
            "authors": [story.author],
            "section": story.category.name,
            "tags": list(story.tags),
            "language": "vi",
            "published_at": story.published.isoformat(),
            "modified_at": story.last_modified.isoformat(),
        }

    def site_profile(self, base_url: str) -> SiteProfile:
        """A site profile for crawling this newsroom at `base_url`."""
        from crawler.sites import SiteProfile

        host = urlsplit(base_url).hostname or ""
        return SiteProfile(
            name="newsroom",
            base_url=base_url + "/",
            domains=(host,),
            sitemaps=(base_url + "/robots.txt",),
            feeds=(base_url + "/rss/tin-moi.rss",),
            start_urls=(base_url + "/",),
            article_patterns=(r"-\d{5,}\.html$",),
            deny_patterns=("/tag/", "/tim-kiem", "/admin/"),
        )

    # --- requests -------------------------------------------------------------------------------------------------

    def handle(self, method: str, target: str, headers: Mapping[str, str], base_url: str) -> Response:
        """Answer one HTTP request (headers looked up case-insensitively as `http.client` messages do)."""
        split = urlsplit(target)
        path = split.path or "/"
        if method not in ("GET", "HEAD"):
            page = _Page(
                405,
                "text/plain; charset=utf-8",
                b"method not allowed\n",
                "error",
                extra_headers=(("Allow", "GET, HEAD"),),
            )
        elif urlsplit(base_url).hostname == self.media_host:
            page = self._media_page(path)
        elif path == self.cases["flaky"].path and self._fail_flaky(path):
            page = _Page(
                503,
                "text/html; charset=utf-8",
                b"<html><body><h1>503 Service Unavailable</h1></body></html>",
                "error",
                extra_headers=(("Retry-After", "1"),),
            )
        else:
            number = parse_qs(split.query).get("page", ["1"])[0]
            page_number = int(number) if number.isdigit() and int(number) > 0 else 0
            key = (base_url, path, page_number)
            pages = self._pages
            page = pages.get(key)
            if page is None:
                page = self._render(path, page_number, base_url)
                # Unknown URLs share one page instead of filling the cache; a page rendered while an edit
                # replaced the cache goes into the old one, so the new cache never holds a stale page.
                if page.kind != "not_found":
                    pages[key] = page
        response = self._respond(method, page, headers)
        with self._lock:
            self.request_log.append(LoggedRequest(method, target, response.status, page.kind))
        return response

    def _media_page(self, path: str) -> _Page:
        """What the image host serves at `path`: photos under /uploads/, the stylesheet, its robots.txt."""
        page = self._media_pages.get(path)
        if page is None:
            if path.startswith("/uploads/"):
                page = _Page(200, "image/png", photo_png(path), "image", self.reference)
            elif path == tpl.STYLESHEET_PATH:
                page = _Page(200, "text/css; charset=utf-8", STYLESHEET, "stylesheet", self.reference)
            elif path == "/robots.txt":
                page = _Page(200, "text/plain; charset=utf-8", MEDIA_ROBOTS, "robots", self.reference)
            else:  # not kept: unknown paths must not fill the cache
                return _Page(404, "text/plain; charset=utf-8", b"not found\n", "not_found")
            self._media_pages[path] = page
        return page

    def _fail_flaky(self, path: str) -> bool:
        """Count a request of the flaky page; true while it should still fail."""
        with self._lock:
            self._flaky_hits[path] += 1
            return self._flaky_hits[path] <= self.flaky_failures

    def _respond(self, method: str, page: _Page, headers: Mapping[str, str]) -> Response:
        out = [("Content-Type", page.content_type)]
        out += list(page.extra_headers)
        if page.location:
            out.append(("Location", page.location))
        if page.status == 200:
            out.append(("ETag", page.etag))
            if page.last_modified:
                out.append(("Last-Modified", format_datetime(page.last_modified.astimezone(UTC), usegmt=True)))
            out.append(("Cache-Control", "max-age=60"))
            if self._not_modified(page, headers):
                return Response(304, [h for h in out if h[0] != "Content-Type"], b"")
        body = page.body
        if page.compressible:
            out.append(("Vary", "Accept-Encoding"))
            if "gzip" in headers.get("Accept-Encoding", "").lower():
                body = page.gzipped
                out.append(("Content-Encoding", "gzip"))
        out.append(("Content-Length", str(len(body))))
        return Response(page.status, out, b"" if method == "HEAD" else body)

    @staticmethod
    def _not_modified(page: _Page, headers: Mapping[str, str]) -> bool:
        if_none_match = headers.get("If-None-Match")
        if if_none_match:
            return if_none_match.strip() == "*" or page.etag in [t.strip() for t in if_none_match.split(",")]
        since = headers.get("If-Modified-Since")
        if since and page.last_modified:
            try:
                return page.last_modified.replace(microsecond=0) <= parsedate_to_datetime(since)
            except (TypeError, ValueError):
                return False
        return False

    def request_counts(self, kind: str | None = None) -> Counter[str]:
        """Requests per path (query dropped), optionally only those of one kind (article, listing, sitemap, …)."""
        with self._lock:
            log = list(self.request_log)
        return Counter(urlsplit(r.target).path for r in log if kind is None or r.kind == kind)

    def reset_requests(self) -> None:
        """Forget the request log (the flaky page stays recovered)."""
        with self._lock:
            self.request_log = []

    def serve(self, host: str = "127.0.0.1", port: int = 0) -> NewsroomServer:
        """A server for this site (use as a context manager: `with newsroom.serve() as base_url:`)."""
        from crawler.newsroom.server import serve

        return serve(self, host, port)

    # --- rendering ------------------------------------------------------------------------------------------------

    def _render(self, path: str, page_number: int, base: str) -> _Page:
        story_id = self._paths.get(path)
        if story_id is not None:
            return self._article_page(self.story(story_id), base)
        route = self._current_index().routes.get(path)
        if route is not None:
            return route(base, page_number)
        if path.startswith("/tag/"):
            return self._tag_page(path.removeprefix("/tag/"), base)
        return self._not_found(base)

    def _make_routes(
        self, stories: list[Story], sections: dict[Category, list[Story]]
    ) -> dict[str, Callable[[str, int], _Page]]:
        """Path → page maker (base URL, page number) for everything but article pages, tags and images."""
        c = self.cases
        routes: dict[str, Callable[[str, int], _Page]] = {
            "/": self._home,
            "/robots.txt": self._robots,
            "/sitemap.xml": self._sitemap_index,
            "/sitemaps/news.xml": self._news_sitemap,
            "/sitemaps/misc.xml": self._misc_sitemap,
            "/rss/tin-moi.rss": partial(self._feed, title="Tin mới", path="/rss/tin-moi.rss", stories=stories),
            "/atom.xml": self._atom,
            "/tin-moi": partial(self._listing, path="/tin-moi", title="Tin mới", stories=stories),
            c["amp"].path: self._amp_page,
            c["redirect_301"].path: partial(self._redirect, status=301, target=c["redirect_301"].target),
            c["redirect_302"].path: partial(self._redirect, status=302, target=c["redirect_302"].target),
            c["video"].path: self._video_page,
        }
        routes["/lien-he"] = partial(self._simple_page, title="Liên hệ", paragraphs=CONTACT_TEXT, kind="page")
        routes["/tim-kiem"] = partial(
            self._simple_page, title="Tìm kiếm", paragraphs=("Nhập từ khóa để tìm kiếm bài viết.",), kind="search"
        )
        routes[c["disallowed"].path] = partial(
            self._simple_page, title="Bản nháp", paragraphs=("Cần đăng nhập để xem bản nháp.",), kind="admin"
        )
        for category in CATEGORIES:
            section = sections[category]
            routes[f"/{category.slug}"] = partial(
                self._listing, path=f"/{category.slug}", title=category.name, stories=section
            )
            routes[f"/rss/{category.slug}.rss"] = partial(
                self._feed, title=category.name, path=f"/rss/{category.slug}.rss", stories=section
            )
            sitemap = section_sitemap_path(category)
            routes[sitemap] = partial(self._section_sitemap, section=section, gzipped=sitemap.endswith(".gz"))
        return routes

    def _home(self, base: str, _: int) -> _Page:
        return self._html(tpl.home(base, *self._home_links(base)), "home", self._latest_change())

    def _robots(self, base: str, _: int) -> _Page:
        text = tpl.robots(base, ["/sitemap.xml", "/sitemaps/news.xml"])
        return _Page(200, "text/plain; charset=utf-8", text.encode(), "robots", self.reference)

    def _simple_page(self, base: str, _: int, *, title: str, paragraphs: tuple[str, ...], kind: str) -> _Page:
        """Contact (indexable, with its canonical URL), search and admin pages (noindex)."""
        canonical = base + "/lien-he" if kind == "page" else None
        return self._html(tpl.simple_page(title, base, paragraphs, canonical), kind, self.reference)

    def _video_page(self, base: str, _: int) -> _Page:
        html = tpl.video_page(self._video, base, self.cases["video"].url(base))
        return self._html(html, "video", self._video.published)

    def _html(self, text: str, kind: str, last_modified: datetime | None, status: int = 200) -> _Page:
        return _Page(status, "text/html; charset=utf-8", text.encode("utf-8"), kind, last_modified)

    def _latest_change(self, stories: list[Story] | None = None) -> datetime:
        return max((s.last_modified for s in (self.stories if stories is None else stories)), default=self.reference)

    def _article_page(self, story: Story, base: str) -> _Page:
        related = [tpl.story_link(s, base) for s in self._related(story)]
        cases = self.case_stories
        if story.layout == "vnexpress":
            return self._html(tpl.vnexpress_article(story, base, related), "article", story.last_modified)
        amphtml = base + self.cases["amp"].path if story.id == cases["amp"].id else None
        if story.id == cases["nfd"].id:
            story = to_nfd(story)
        if story.id == cases["windows_1258"].id:
            html = tpl.onecms_article(story, base, related, charset="windows-1258")
            return _Page(
                200, "text/html; charset=windows-1258", encode_windows_1258(html), "article", story.last_modified
            )
        html = tpl.onecms_article(story, base, related, amphtml=amphtml)
        return self._html(html, "article", story.last_modified)

    def _amp_page(self, base: str, _: int) -> _Page:
        story = self.story(self.case_stories["amp"].id)
        related = [tpl.story_link(s, base) for s in self._related(story)]
        html = tpl.onecms_article(story, base, related, canonical=base + story.path, amp=True)
        return self._html(html, "amp", story.last_modified)

    def _related(self, story: Story) -> list[Story]:
        """Up to three other stories of the same section: the ones published around it."""
        index = self._current_index()
        section = index.sections[story.category]
        at = index.positions[story.id]
        return [section[i] for i in (at - 1, at + 1, at + 2) if 0 <= i < len(section)]

    def _featured(self, base: str) -> list[tpl.Link]:
        """Links of the "Tiêu điểm" box: the awkward cases a crawler meets on the home page and latest news."""
        c = self.cases
        tracking, redirect = self.case_stories["tracking"], self.case_stories["redirect"]
        return [
            tpl.Link(c["tracking"].url(base), tracking.title, tracking.lead),
            tpl.Link(c["redirect_301"].url(base), redirect.title, redirect.lead),
            tpl.Link(c["not_found"].url(base), "Bài viết đã được gỡ bỏ"),
            tpl.Link(c["disallowed"].url(base), "Bản nháp chưa xuất bản"),
            tpl.Link(c["video"].url(base), self._video.title),
        ]

    def _home_links(self, base: str) -> tuple[list[tpl.Link], list[tpl.Link], list[tuple[Category, list[tpl.Link]]]]:
        stories = self.stories
        sections = [(cat, [tpl.story_link(s, base) for s in self.section(cat)[:4]]) for cat in CATEGORIES]
        return [tpl.story_link(s, base) for s in stories[:HOME_SIZE]], self._featured(base), sections

    def _listing(self, base: str, page_number: int, *, path: str, title: str, stories: list[Story]) -> _Page:
        pages = max(1, -(-len(stories) // self.page_size))
        if not 1 <= page_number <= pages:
            return self._not_found(base)
        chunk = stories[(page_number - 1) * self.page_size : page_number * self.page_size]
        featured = self._featured(base) if path == "/tin-moi" and page_number == 1 else []
        html = tpl.listing(title, base, path, [tpl.story_link(s, base) for s in chunk], page_number, pages, featured)
        return self._html(html, "listing", self._latest_change(chunk))

    def _tag_page(self, slug: str, base: str) -> _Page:
        tagged = [s for s in self.stories if any(slugify(t) == slug for t in s.tags)]
        if not tagged:
            return self._not_found(base)
        name = next(t for t in tagged[0].tags if slugify(t) == slug)
        html = tpl.listing(
            name, base, f"/tag/{slug}", [tpl.story_link(s, base) for s in tagged[: self.page_size]], 1, 1
        )
        return self._html(html, "tag", self._latest_change(tagged))

    def _redirect(self, base: str, _: int, *, status: int, target: str | None) -> _Page:
        location = base + (target or "/")
        body = f'<html><body><a href="{location}">Moved</a></body></html>'.encode()
        return _Page(status, "text/html; charset=utf-8", body, "redirect", location=location)

    def _not_found(self, base: str) -> _Page:
        page = self._not_found_pages.get(base)
        if page is None:
            html = tpl.simple_page(
                "Không tìm thấy trang",
                base,
                ["Trang bạn tìm không tồn tại hoặc đã bị gỡ bỏ.", "Mời bạn quay lại trang chủ để đọc tin mới nhất."],
            )
            page = self._not_found_pages[base] = self._html(html, "not_found", None, status=404)
        return page

    def _xml(self, text: str, kind: str, last_modified: datetime, content_type: str = "application/xml") -> _Page:
        return _Page(200, f"{content_type}; charset=utf-8", text.encode("utf-8"), kind, last_modified)

    def _sitemap_index(self, base: str, _: int) -> _Page:
        entries = [(base + section_sitemap_path(c), self._latest_change(self.section(c))) for c in CATEGORIES]
        entries += [(f"{base}/sitemaps/news.xml", self._latest_change()), (f"{base}/sitemaps/misc.xml", self.reference)]
        return self._xml(tpl.sitemap_index(entries), "sitemap", self._latest_change())

    def _section_sitemap(self, base: str, _: int, *, section: list[Story], gzipped: bool) -> _Page:
        text = tpl.urlset([(base + s.path, s.last_modified) for s in section])
        if gzipped:
            return _Page(
                200,
                "application/gzip",
                gzip.compress(text.encode("utf-8"), mtime=0),
                "sitemap",
                self._latest_change(section),
            )
        return self._xml(text, "sitemap", self._latest_change(section))

    def _news_sitemap(self, base: str, _: int) -> _Page:
        stories = self.stories
        recent = [s for s in stories if s.published >= self.reference - timedelta(days=NEWS_SITEMAP_DAYS)]
        chosen = recent if len(recent) >= NEWS_SITEMAP_MIN else stories[:NEWS_SITEMAP_MIN]
        return self._xml(tpl.news_sitemap(base, chosen), "sitemap", self._latest_change(chosen))

    def _misc_sitemap(self, base: str, _: int) -> _Page:
        # the disallowed draft too: a crawler that ignored robots.txt would fetch it from here
        names = ("amp", "tracking", "redirect_301", "redirect_302", "not_found", "video", "contact", "disallowed")
        return self._xml(
            tpl.urlset([(self.cases[n].url(base), self.reference) for n in names]), "sitemap", self.reference
        )

    def _feed(self, base: str, _: int, *, title: str, path: str, stories: list[Story]) -> _Page:
        latest = stories[:FEED_SIZE]
        updated = self._latest_change(latest)
        return self._xml(tpl.rss(base, title, path, latest, updated), "feed", updated, "application/rss+xml")

    def _atom(self, base: str, _: int) -> _Page:
        latest = self.stories[:FEED_SIZE]
        updated = self._latest_change(latest)
        return self._xml(
            tpl.atom(base, "Tin mới", "/atom.xml", latest, updated), "feed", updated, "application/atom+xml"
        )
