"""The `news` spider: one generic spider driven by a site profile or by arguments.

    scrapy crawl news -a site=baonghean
    scrapy crawl news -a sitemap=URL[,URL] -a feed=URL[,URL] -a start=URL[,URL] [-a since=YYYY-MM-DD]
                      [-a max_articles=N] [-a refresh=true]

Discovery (robots.txt Sitemap lines, sitemaps read as a stream, feeds, listing pages with pagination) records the
article URLs it finds in the frontier (`crawler.frontier`, on disk); the spider takes due article URLs from it a
batch at a time, only when the crawl runs low (`FRONTIER_BATCH`, `FRONTIER_LOW_WATER`), so memory is bounded by
settings whatever a site lists, and a stop (SIGINT, SIGTERM) ends discovery at once and leaves the pages still
waiting for an extraction worker: what was listed and not archived stays owed to the next run. Articles are
extracted, finished for the archive and their requisites found in a process pool (`crawler.workers`), so the
reactor never waits on parsing and the crawl's one thread of Python is left to downloads, records and items.
Every fetched page gets an outcome (article, listing, sitemap, feed, robots, failed, ...) sent as the
`page_outcome` signal, so nothing fetched disappears without a recorded reason. Once an article is extracted, its
page requisites (`crawler.requisites`: photos, stylesheets; settings `REQUISITES_ENABLED`, `REQUISITES_ALL_IMAGES`)
are requested from whatever host serves them, under the same safety, robots.txt and politeness rules; each gets
the outcome `requisite`, or `failed` with its reason, and none counts as an article.
"""

from __future__ import annotations

import asyncio
import functools
import itertools
import os
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from datetime import UTC, date, datetime, time
from enum import StrEnum
from typing import Any, TypeVar

import scrapy
from scrapy.http import Request, Response
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.python.failure import Failure
from w3lib.encoding import http_content_type_encoding

from archive.outcomes import Outcome
from archive.records import Article, NotAnArticle
from archive.runrecords import REQUISITES_FAILED_STAT
from crawler import meta
from crawler.discovery import DiscoveryError, Link, Sitemap, listing_links, parse_feed, sitemaps_from_robots
from crawler.recorder import WarcWriteFailed
from crawler.requisites import Requisite
from crawler.signals import (
    articles_left_requested,
    due_articles_requested,
    listed_documents_requested,
    page_outcome,
    urls_listed,
)
from crawler.sites import SiteProfile, load_profile
from crawler.unreachable import HostUnreachable
from crawler.urls import canonicalize_url, strip_tracking
from crawler.workers import (
    ExtractionOverBudget,
    FinishedPage,
    UnarchivableUrl,
    discard_broken_pool,
    extraction_pool,
    finish_in_worker,
)
from crawler.zones import get_zone

T = TypeVar("T")

# Discovery documents first: what they list goes to the frontier on disk, not to the scheduler, so reading them
# early costs no memory, and a backlog of owed articles never holds back what a site lists today.
DISCOVERY_PRIORITY = 20
# A page's requisites before the next articles: fetched while the page is fresh (what replay shows together was
# captured together, as a browser loads it), and never piling up in the scheduler behind an endless supply of
# articles (the frontier keeps FRONTIER_LOW_WATER requests queued).
REQUISITE_PRIORITY = 15
ARTICLE_PRIORITY = 10
WORKER_WATCH_INTERVAL = 1.0  # seconds between looks at an extraction in the pool
HUNG_WORKER_GRACE = 10.0  # seconds beyond the bound of a page's budget before its worker counts as hung
FRONTIER_POLL = 0.05  # seconds between looks at the scheduler while it is full enough or nothing is due
LISTING_BATCH = 1000  # links of a discovery document read and recorded at a time


class DocumentKind(StrEnum):
    """What a discovery document listed (`urls_listed`): article URLs or other discovery documents."""

    ARTICLE = "article"
    SITEMAP = "sitemap"
    LISTING = "listing"


def _split(value: str | None) -> list[str]:
    return [part.strip() for part in (value or "").split(",") if part.strip()]


def _declared_encoding(response: Response) -> str | None:
    """The charset of the response's Content-Type header, if it names one."""
    return http_content_type_encoding(response.headers.get("Content-Type", b"").decode("latin-1"))


def _truthy(value: Any) -> bool:
    return str(value).lower() in ("1", "true", "yes", "on")


def _hung_after(budget: float) -> float:
    """Seconds after which a page handed to a worker counts as lost to a hung worker: the safety net behind the
    worker's own budget. The pool hands a page over (`Future.running()`) when it queues it for the next free worker,
    so it may first wait for one page ahead of it, itself bounded by the budget."""
    return 2 * budget + HUNG_WORKER_GRACE


class Abandoned(Exception):
    """An extraction given up before it started because the crawl is stopping: its page is left for the next run."""


async def _result_of(future: Future, hung_after: float, stopping: Callable[[], bool] = lambda: False) -> Any:
    """The result of `future`; TimeoutError when it has run `hung_after` seconds without one (waiting in the pool's
    queue does not count); `Abandoned` when `stopping()` while it still waits for a worker."""
    answer = asyncio.wrap_future(future)
    loop = asyncio.get_running_loop()
    started = None
    while True:
        done, _ = await asyncio.wait({answer}, timeout=WORKER_WATCH_INTERVAL)
        if done:
            return answer.result()
        if started is None and future.running():
            started = loop.time()
        if stopping() and future.cancel():
            raise Abandoned
        if started is not None and loop.time() - started > hung_after:
            answer.cancel()
            raise TimeoutError



DiscoveryCallback = Callable[..., AsyncIterator[Request] | Awaitable[None]]


def _unless_unchanged(parse: DiscoveryCallback) -> Callable[..., AsyncIterator[Request]]:
    """A discovery callback a 304 does not reach: `_unchanged` answers it (what the document listed last time).
    `parse` yields requests (further discovery documents) or only records what the document listed."""

    @functools.wraps(parse)
    async def callback(self: NewsSpider, response: Response) -> AsyncIterator[Request]:
        source = self._unchanged(response) if response.status == 304 else parse(self, response)
        if isinstance(source, AsyncIterator):
            async for request in source:
                yield request
        else:
            await source

    return callback


class NewsSpider(scrapy.Spider):
    name = "news"

    def __init__(
        self,
        site: str | None = None,
        sitemap: str | None = None,
        feed: str | None = None,
        start: str | None = None,
        since: str | None = None,
        max_articles: str | int | None = None,
        refresh: str | bool | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.sitemap_urls = _split(sitemap)
        self.feed_urls = _split(feed)
        self.listing_urls = _split(start)
        given = self.sitemap_urls + self.feed_urls + self.listing_urls
        if site:
            self.profile = load_profile(site)
        elif given:
            self.profile = SiteProfile.ad_hoc(given)
        else:
            raise ValueError("give a site profile (-a site=NAME) or at least one of -a sitemap=, feed=, start=")
        given_arguments = {"site": site, "sitemap": sitemap, "feed": feed, "start": start, "since": since,
                           "max_articles": max_articles, "refresh": refresh}
        self.crawl_arguments = {k: str(v) for k, v in given_arguments.items() if v}  # recorded on the crawl run
        self.zone = get_zone(self.profile.zone_name(given[0] if given else self.profile.base_url))
        self.since = datetime.combine(date.fromisoformat(since), time(), self.zone) if since else None
        self.max_articles = int(max_articles) if max_articles else None
        self.refresh = _truthy(refresh)
        # --max-articles counts articles stored: a slot is taken by each article request and given back when the
        # request stores nothing (not an article, failed, dropped, a second URL of a story stored in this run),
        # letting the next due URL of the frontier in
        self.articles_scheduled = 0
        self._pool: ProcessPoolExecutor | None = None
        self._reader: ThreadPoolExecutor | None = None  # reads discovery documents (`_reading`)
        self.sitemaps_requested = 0  # sitemaps listed by indexes and requested (SITEMAP_MAX_COUNT)

    @classmethod
    def from_crawler(cls, crawler: Any, *args: Any, **kwargs: Any) -> NewsSpider:
        spider = super().from_crawler(crawler, *args, **kwargs)
        crawler.signals.connect(spider._close_pool, signal=scrapy.signals.spider_closed)
        crawler.signals.connect(spider.on_dropped, signal=scrapy.signals.request_dropped)
        crawler.signals.connect(spider.on_page_outcome, signal=page_outcome)
        return spider

    # --- start ---------------------------------------------------------------------------------------------------
    async def start(self) -> AsyncIterator[Request]:
        """The discovery documents, then article requests from the frontier for as long as the crawl runs: what
        earlier runs listed and the archive still lacks comes first (an unchanged sitemap answers 304 and lists
        nothing), then what this run's discovery lists. Scrapy consumes this lazily: the spider stays open while it
        waits for more to be listed."""
        for request in self._start_requests():
            yield request
        async for request in self._frontier_requests():
            yield request

    async def _frontier_requests(self) -> AsyncIterator[Request]:
        """Article requests taken from the frontier a batch at a time, whenever the crawl holds fewer than
        `FRONTIER_LOW_WATER` requests (`_engine_state`) and --max-articles leaves slots free; until nothing more
        can come (nothing due while the rest of the crawl is idle: no discovery document left to read) or the crawl
        stops."""
        batch, low_water = self.settings.getint("FRONTIER_BATCH"), self.settings.getint("FRONTIER_LOW_WATER")
        stats = self.crawler.stats
        while not self._stopping():
            pending, idle = self._engine_state()  # before asking: an empty answer after an idle crawl is final
            free = self._free_slots()
            urls = await self._due_articles(min(batch, free)) if free and pending < low_water else []
            if not urls:
                if idle:
                    break
                await asyncio.sleep(FRONTIER_POLL)
                continue
            for url in urls:
                self.articles_scheduled += 1
                yield self._article_request(url)
                # Scrapy asks for the next one at once while its downloader is full: the crawl's peak is here
                stats.max_value("newsarchive/frontier/max_pending", self._engine_state()[0])
        if not self._stopping() and not self._free_slots():
            for left in await self._ask(articles_left_requested):
                if isinstance(left, int):
                    stats.set_value("newsarchive/owed/left_waiting", left)

    async def _due_articles(self, count: int) -> list[str]:
        answers = await self._ask(due_articles_requested, count=count, since=self.since, refresh=self.refresh)
        return next((answer for answer in answers if isinstance(answer, list)), [])  # a failed answer: none now

    def _engine_state(self) -> tuple[int, bool]:
        """How many requests the crawl holds (scheduled, downloading, or their responses waiting to be parsed or
        being parsed), and whether it is idle but for `start()`: nothing left, so nothing can list more URLs or
        give a slot back. Counting the responses bounds the pages waiting for extraction too, and so the work a
        stop must wait for."""
        engine = self.crawler.engine
        parsing = engine.scraper.slot
        pending = len(engine.scheduler) + len(engine.downloader.active) + len(parsing.queue) + len(parsing.active)
        return pending, pending == 0 and parsing.is_idle()

    def _stopping(self) -> bool:
        """Whether the crawl is stopping (SIGINT, SIGTERM) or the spider closed: discovery and the frontier stop."""
        engine = self.crawler.engine
        return not engine.running or engine.spider is None

    def _free_slots(self) -> int:
        """Article requests --max-articles still allows (any number without it)."""
        if self.max_articles is None:
            return self.settings.getint("FRONTIER_BATCH")
        return max(self.max_articles - self.articles_scheduled, 0)

    async def _ask(self, signal: object, **arguments: Any) -> list[Any]:
        """The answers to `signal` of the archive's components (`crawler.archivequeries`, `crawler.frontier`)."""
        answers = await self.crawler.signals.send_catch_log_async(signal=signal, site=self.profile.name, **arguments)
        return [answer for _, answer in answers]

    def _start_requests(self) -> Iterator[Request]:
        for url, callback in self.seeds():
            yield self._discovery(url, callback, dont_filter=True)

    def seeds(self) -> list[tuple[str, Any]]:
        """The discovery documents the crawl starts from, with their callbacks: the URLs given, else the profile's
        robots.txt, sitemaps, feeds and listing pages (`crawler.runhealth` watches whether they could be fetched)."""
        sitemaps, feeds, listings = self.sitemap_urls, self.feed_urls, self.listing_urls
        seeds: list[tuple[str, Any]] = []
        if not (sitemaps or feeds or listings):
            profile = self.profile
            sitemaps, feeds, listings = list(profile.sitemaps), list(profile.feeds), list(profile.start_urls)
            if profile.base_url:
                seeds.append((profile.base_url.rstrip("/") + "/robots.txt", self.parse_robots))
        seeds += [(url, self.parse_sitemap) for url in sitemaps]
        seeds += [(url, self.parse_feed) for url in feeds]
        seeds += [(url, self.parse_listing) for url in listings]
        return seeds

    # --- discovery -----------------------------------------------------------------------------------------------
    def _discovery(self, url: str, callback: Any, dont_filter: bool = False) -> Request:
        """A request for a discovery document, fetched conditionally on its last capture (see crawler.conditional);
        its callback gets a 304 too (`_unchanged`)."""
        return Request(url, callback, errback=self.on_error, dont_filter=dont_filter, priority=DISCOVERY_PRIORITY,
                       meta={meta.CONDITIONAL: True, meta.HANDLE_HTTPSTATUS_LIST: [304]})

    def _callback_of(self, kind: str) -> Any:
        return {DocumentKind.SITEMAP: self.parse_sitemap, DocumentKind.LISTING: self.parse_listing}[kind]

    async def _unchanged(self, response: Response) -> AsyncIterator[Request]:
        """A discovery document answered 304: nothing to parse, but the documents it listed when last read are
        requested again (conditionally): a child sitemap may change while its index does not."""
        self._settle(response, Outcome.NOT_MODIFIED)
        for listed in await self._ask(listed_documents_requested, source=response.url):
            for url, kind in listed or ():
                if kind in (DocumentKind.SITEMAP, DocumentKind.LISTING):
                    yield self._discovery(url, self._callback_of(kind))

    async def _listed(self, response: Response, kind: str, urls: list[str] | dict[str, datetime | None]) -> None:
        """Record what `response` listed before it is requested: a run that ends first leaves it owed."""
        if urls:
            await self._ask(urls_listed, source=response.url, kind=kind, urls=urls)

    @_unless_unchanged
    async def parse_robots(self, response: Response) -> AsyncIterator[Request]:
        self._settle(response, Outcome.ROBOTS)
        sitemaps = list(sitemaps_from_robots(response.body, response.url))
        await self._listed(response, DocumentKind.SITEMAP, sitemaps)
        for url in sitemaps:
            yield self._discovery(url, self.parse_sitemap)

    @_unless_unchanged
    async def parse_sitemap(self, response: Response) -> AsyncIterator[Request]:
        """A sitemap index leads to its sitemaps; a sitemap's article URLs go to the frontier, read as a stream in
        a thread (a sitemap may hold a million URLs; the reactor never parses them, nothing holds them all)."""
        try:
            sitemap = await self._reading(Sitemap, response.body, response.url)
            if not sitemap.is_index:
                stopped = not await self._list_articles(response, sitemap.links)
                reason = sitemap.problem or ("the crawl stopped before its end" if stopped else "")
                self._settle(response, Outcome.SITEMAP, f"partial: {reason}" if reason else "")
                return
            links = await self._reading(list, sitemap.links)  # an index lists at most a few thousand
        except DiscoveryError as exc:
            self._settle(response, Outcome.FAILED, str(exc))
            return
        self._settle(response, Outcome.SITEMAP, f"partial: {sitemap.problem}" if sitemap.problem else "")
        depth = response.meta.get(meta.SITEMAP_DEPTH, 0) + 1
        children = [
            link.url for link in links if self._is_recent(link) and self._within_sitemap_limits(link.url, depth)
        ]
        await self._listed(response, DocumentKind.SITEMAP, children)
        for url in children:
            request = self._discovery(url, self.parse_sitemap)
            request.meta[meta.SITEMAP_DEPTH] = depth
            yield request

    def _within_sitemap_limits(self, url: str, depth: int) -> bool:
        """Whether a sitemap an index lists may be fetched (`SITEMAP_MAX_DEPTH`, `SITEMAP_MAX_COUNT`); one that may
        not is recorded as skipped with the limit it hit."""
        settings = self.settings
        if depth > settings.getint("SITEMAP_MAX_DEPTH"):
            reason = f"sitemap index nested deeper than SITEMAP_MAX_DEPTH ({settings.getint('SITEMAP_MAX_DEPTH')})"
        elif self.sitemaps_requested >= settings.getint("SITEMAP_MAX_COUNT"):
            reason = f"more sitemaps than SITEMAP_MAX_COUNT ({settings.getint('SITEMAP_MAX_COUNT')}) in one run"
        else:
            self.sitemaps_requested += 1
            return True
        self.crawler.stats.inc_value("newsarchive/skipped_sitemap_limit")
        self._outcome(url, Outcome.SKIPPED, reason)
        return False

    @_unless_unchanged
    async def parse_feed(self, response: Response) -> None:
        try:
            links = await asyncio.to_thread(parse_feed, response.body, response.url)
        except DiscoveryError as exc:
            self._settle(response, Outcome.FAILED, str(exc))
            return
        self._settle(response, Outcome.FEED)
        await self._list_articles(response, iter(links))

    @_unless_unchanged
    async def parse_listing(self, response: Response) -> AsyncIterator[Request]:
        links, pages = listing_links(response.body, response.url)
        self._settle(response, Outcome.LISTING)
        await self._list_articles(response, iter([Link(url) for url in links if url not in pages]))
        pages = [url for url in pages if self.profile.owns(url)]
        await self._listed(response, DocumentKind.LISTING, pages)
        for url in pages:
            yield self._discovery(url, self.parse_listing)

    def _is_recent(self, link: Link) -> bool:
        return self.since is None or link.latest is None or link.latest >= self.since

    async def _list_articles(self, response: Response, links: Iterator[Link]) -> bool:
        """Record the article URLs `links` lead to in the frontier (`urls_listed`), `LISTING_BATCH` at a time read
        in a thread; False if the crawl stopped first (what was recorded stays owed)."""
        while not self._stopping():
            wanted, skipped, more = await self._reading(self._wanted_articles, links, LISTING_BATCH)
            for name, count in skipped.items():
                self.crawler.stats.inc_value(f"newsarchive/{name}", count)
            await self._listed(response, DocumentKind.ARTICLE, wanted)
            if not more:
                return True
        return False

    async def _reading(self, function: Callable[..., T], *args: Any) -> T:
        """`function(*args)` in the discovery thread: a sitemap read as a stream is read in one thread from start
        to end (an lxml parser must not move between threads), never in the reactor's."""
        if self._reader is None:
            self._reader = ThreadPoolExecutor(max_workers=1, thread_name_prefix="newsarchive-discovery")
        return await asyncio.get_running_loop().run_in_executor(self._reader, functools.partial(function, *args))

    def _wanted_articles(
        self, links: Iterator[Link], count: int
    ) -> tuple[dict[str, datetime | None], Counter[str], bool]:
        """Of the next `count` links, the article URLs to record, as they will be requested (on the site, recent
        enough, less their tracking parameters) with the date the listing gave; how many were skipped and why;
        whether links remain. Whether the archive holds them already is the frontier's to judge."""
        wanted: dict[str, datetime | None] = {}
        skipped: Counter[str] = Counter()
        batch = list(itertools.islice(links, count))
        for link in batch:
            try:
                canonicalize_url(link.url)
            except ValueError:
                skipped["skipped_invalid_url"] += 1
                continue
            url = strip_tracking(link.url)  # requested as given, less its tracking parameters
            if not (self.profile.owns(url) and self.profile.is_article_url(url)):
                continue
            if not self._is_recent(link):
                skipped["skipped_older_than_since"] += 1
                continue
            wanted[url] = link.latest
        return wanted, skipped, len(batch) == count

    def _article_request(self, url: str) -> Request:
        return Request(url, self.parse_article, errback=self.on_error, priority=ARTICLE_PRIORITY)

    def _release_article_slot(self, request: Request) -> None:
        """An article request that stored nothing: its slot goes to the next due article URL."""
        if request.callback == self.parse_article:
            self.articles_scheduled -= 1

    def on_page_outcome(self, url: str, outcome: str, reason: str = "") -> None:
        """An article the dedup pipeline found to be a second URL of a story stored in this run adds no row: its
        slot goes to the next due article URL."""
        if outcome == Outcome.DUPLICATE:
            self.articles_scheduled -= 1

    # --- articles ------------------------------------------------------------------------------------------------
    async def parse_article(self, response: Response) -> AsyncIterator[Article | Request]:
        page = await self._extract(response)
        if page is not None and self._wanted(response, page.article):
            self._settle(response, Outcome.ARTICLE)
            yield page.article
            for request in self._requisite_requests(response, page.requisites):
                yield request
        else:
            self._release_article_slot(response.request)

    async def _extract(self, response: Response) -> FinishedPage | None:
        """The article of `response`, extracted and finished for the archive in the pool (`crawler.workers`), with
        the page's requisites; None (with the page's outcome recorded) if none.

        The worker spends at most `EXTRACT_TIMEOUT` seconds on the page (`crawler.extract.budget`), counted from
        when it starts on it: time waiting for a free worker costs nothing."""
        budget = self.settings.getfloat("EXTRACT_TIMEOUT")
        pool = None
        try:
            pool = self._extraction_pool()
            future = pool.submit(finish_in_worker, response.body, response.url, **self._worker_arguments(response))
            return await _result_of(future, _hung_after(budget), self._stopping)
        except Abandoned:  # no outcome: the capture says nothing of the page, which stays owed to the next run
            return None
        except NotAnArticle as exc:
            self._settle(response, Outcome.NOT_ARTICLE, str(exc))
        except ExtractionOverBudget as exc:  # a failure, retried by a later run with back-off
            self._settle(response, Outcome.FAILED, str(exc))
        except UnarchivableUrl as exc:
            self.crawler.stats.inc_value("newsarchive/dropped/invalid_url")
            self._settle(response, Outcome.FAILED, f"invalid URL: {exc}")
        except TimeoutError:
            self._settle(response, Outcome.FAILED,
                         f"extraction worker hung: no answer {_hung_after(budget):g} s after it took the page")
        except BrokenProcessPool as exc:
            if pool is not None and self._pool is pool:  # the first of its pages to hear; a new pool takes the next
                discard_broken_pool(pool)
                self._pool = None
            self._settle(response, Outcome.FAILED, f"extraction worker died: {exc}")
        except Exception as exc:  # an extractor bug must cost one page, never the crawl
            self.logger.exception("extraction failed for %s", response.url)
            self._settle(response, Outcome.FAILED, f"extraction error: {type(exc).__name__}: {exc}")
        return None

    def _worker_arguments(self, response: Response) -> dict[str, Any]:
        """What `finish_in_worker` needs of the crawl besides the page: the profile, the capture (its WARC date and
        record), the page's time budget and which requisites to find."""
        return {
            "profile": self.profile,
            "fetched_at": response.meta.get(meta.WARC_DATE) or datetime.now(UTC),
            "warc": response.meta.get(meta.WARC_POINTER),
            "encoding": _declared_encoding(response),
            "time_limit": self.settings.getfloat("EXTRACT_TIMEOUT"),
            "requisites": self.settings.getbool("REQUISITES_ENABLED"),
            "every_image": self.settings.getbool("REQUISITES_ALL_IMAGES"),
        }

    def _wanted(self, response: Response, article: Article) -> bool:
        """Whether the finished `article` goes to the archive; False, with the outcome recorded, if --since leaves
        it out."""
        if self.since is not None and article.published_at is not None and article.published_at < self.since:
            self._settle(response, Outcome.SKIPPED, "published before --since")
            return False
        return True

    # --- page requisites -----------------------------------------------------------------------------------------
    def _requisite_requests(self, response: Response, requisites: list[Requisite]) -> list[Request]:
        """Requests for the photos and stylesheets the article page needs (found by the worker), on any host."""
        requests = []
        for requisite in requisites:
            self.crawler.stats.inc_value(f"newsarchive/requisites/{requisite.kind}")
            requests.append(Request(
                requisite.url, self.parse_requisite, errback=self.on_requisite_error, priority=REQUISITE_PRIORITY,
                # Not conditional: pywb replays a server-not-modified revisit as a 304, an image no browser shows;
                # an unchanged photo fetched again is stored as an identical-payload revisit, which replays.
                meta={meta.ALLOW_OFFSITE: True, meta.REQUISITE_OF: response.url},
            ))
        return requests

    def parse_requisite(self, response: Response) -> None:
        page = response.meta.get(meta.REQUISITE_OF, "")
        self._settle(response, Outcome.REQUISITE, page, requisite_of=page)

    def on_requisite_error(self, failure: Failure) -> None:
        """A requisite that could not be fetched is a failure of its own, the article stays archived."""
        self.on_error(failure, requisite_of=failure.request.meta.get(meta.REQUISITE_OF, ""))

    def _extraction_pool(self) -> ProcessPoolExecutor:
        if self._pool is None:
            self._pool = extraction_pool(self.settings.getint("EXTRACT_WORKERS") or os.cpu_count() or 1,
                                         self.settings.getint("EXTRACT_NICENESS"))
        return self._pool

    def _close_pool(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None
        if self._reader is not None:
            self._reader.shutdown(wait=False, cancel_futures=True)
            self._reader = None

    # --- outcomes ------------------------------------------------------------------------------------------------
    def on_error(self, failure: Failure, requisite_of: str = "") -> None:
        self._record_failure(failure, requisite_of)
        self._release_article_slot(failure.request)

    def _record_failure(self, failure: Failure, requisite_of: str) -> None:
        request = failure.request
        if failure.check(HttpError) and failure.value.response.status == 304:
            # unchanged since the last capture
            self._settle(failure.value.response, Outcome.NOT_MODIFIED, requisite_of, requisite_of=requisite_of)
            return
        context = f"requisite of {requisite_of}: " if requisite_of else ""
        if failure.check(WarcWriteFailed):  # fetched, but the archive could not take it: owed to the next run
            self._outcome(request.url, Outcome.NOT_ARCHIVED, context + failure.getErrorMessage(),
                          requisite_of=requisite_of)
            return
        # A page that failed is a warning. A photo or stylesheet that failed is told at INFO (a news site's broken
        # photos would flood a scheduled job's warnings; the run's summary counts them, each capture says why), and a
        # request not sent to a host that failed earlier at DEBUG (its first failure was told: `crawler.unreachable`).
        if failure.check(HostUnreachable):
            log = self.logger.debug
        else:
            log = self.logger.info if requisite_of else self.logger.warning
        if failure.check(HttpError):
            response = failure.value.response
            log("could not fetch %s: HTTP %s", response.url, response.status)
            self._settle(response, Outcome.FAILED, f"{context}HTTP {response.status}", requisite_of=requisite_of)
            return
        reason = f"{failure.type.__name__}: {failure.getErrorMessage()}"
        log("could not fetch %s: %s", request.url, reason)
        self._outcome(request.url, Outcome.FAILED, context + reason, requisite_of=requisite_of)

    def on_dropped(self, request: Request, spider: Any = None) -> None:
        """A redirect the scheduler dropped as a duplicate gets no callback: record where the chain led."""
        self._release_article_slot(request)
        chain = request.meta.get(meta.REDIRECT_URLS)
        if not chain:
            return
        if request.url in chain:
            for url in chain:
                self._outcome(url, Outcome.FAILED, f"redirect loop: {' -> '.join([*chain, request.url])}")
        else:  # a second way to a page this crawl fetches anyway
            for url in chain:
                self._outcome(url, Outcome.REDIRECT, request.url)

    def _settle(self, response: Response, outcome: Outcome, reason: str = "", requisite_of: str = "") -> None:
        """Record what `response` was, and that each URL redirected to it was a redirect (so a later crawl knows
        those URLs lead to an archived page); `requisite_of`: the page it is a photo or stylesheet of."""
        for url in response.meta.get(meta.REDIRECT_URLS, ()):
            self._outcome(url, Outcome.REDIRECT, response.url, requisite_of=requisite_of)
        self._outcome(response.url, outcome, reason, requisite_of=requisite_of)

    def _outcome(self, url: str, outcome: Outcome, reason: str = "", requisite_of: str = "") -> None:
        self.crawler.stats.inc_value(f"newsarchive/outcome/{outcome}")
        if requisite_of and outcome == Outcome.FAILED:
            self.crawler.stats.inc_value(REQUISITES_FAILED_STAT)
        self.crawler.signals.send_catch_log(signal=page_outcome, url=url, outcome=outcome, reason=reason,
                                            requisite_of=requisite_of)
