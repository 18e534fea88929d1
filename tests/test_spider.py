"""The `news` spider's decisions, without a network: which links become article requests, and why not."""

from __future__ import annotations

import asyncio
import gzip
from datetime import UTC, datetime

import pytest
from scrapy.http import HtmlResponse, Request, XmlResponse
from scrapy.utils.test import get_crawler

from archive.outcomes import Outcome
from archive.records import WarcPointer
from archive.text import content_hash
from crawler.discovery import Link
from crawler.settings import ADDONS
from crawler.signals import (
    articles_left_requested,
    due_articles_requested,
    listed_documents_requested,
    page_outcome,
    urls_listed,
)
from crawler.workers import ExtractionOverBudget, UnarchivableUrl, extract_in_worker, finish_in_worker
from spiders.news import LISTING_BATCH, NewsSpider

BASE = "https://baonghean.vn"


def make_spider(settings: dict | None = None, **arguments) -> NewsSpider:
    crawler = get_crawler(NewsSpider, {"ADDONS": ADDONS, **(settings or {})})
    spider = NewsSpider.from_crawler(crawler, **arguments)
    spider._stopping = lambda: False  # no engine here: the crawl runs until the test ends
    return spider


async def collect(results) -> list:
    return [result async for result in results]


def article_urls(requests) -> list[str]:
    return [r.url for r in requests if r.callback.__name__ == "parse_article"]


def listed(spider: NewsSpider, links) -> list[str]:
    """The article URLs `links` lead to, as the spider records them for the frontier."""
    wanted, _, _ = spider._wanted_articles(iter(links), 100)
    return list(wanted)


def asking(spider: NewsSpider, answers: dict | None = None) -> list:
    """Replace the spider's questions to the archive: record them, answer from `answers` (signal → answer, or a
    function of the question's arguments)."""
    asked = []

    async def ask(signal, **arguments):
        asked.append((signal, arguments))
        if not answers or signal not in answers:
            return []
        answer = answers[signal]
        return [answer(**arguments) if callable(answer) else answer]

    spider._ask = ask
    return asked


def test_arguments_are_required():
    with pytest.raises(ValueError, match="give a site profile"):
        make_spider()


def test_a_profile_starts_from_robots_txt():
    spider = make_spider(site="baonghean")
    requests = list(spider._start_requests())
    assert requests[0].url == f"{BASE}/robots.txt"
    assert all(r.meta["conditional"] and r.dont_filter for r in requests)
    assert spider.crawl_arguments == {"site": "baonghean"}


def test_without_a_profile_the_crawl_stays_on_the_given_hosts():
    spider = make_spider(sitemap=f"{BASE}/sitemap.xml")
    links = [Link(f"{BASE}/thoi-su/a-10300001.html"), Link("https://other.example/b-10300002.html")]
    assert listed(spider, links) == [f"{BASE}/thoi-su/a-10300001.html"]


def test_since_profile_rules_and_tracking_parameters():
    spider = make_spider(site="baonghean", since="2025-09-18")
    links = [
        Link(f"{BASE}/thoi-su/old-10300001.html", published=datetime(2025, 9, 17, 16, 59, tzinfo=UTC)),  # 23:59 ICT
        Link(f"{BASE}/thoi-su/new-10300002.html?utm_source=zalo&fbclid=x",
             published=datetime(2025, 9, 17, 17, tzinfo=UTC)),  # 00:00 ICT on the 18th
        Link(f"{BASE}/tag/nghe-an-10300003.html"),  # denied by the profile
        Link(f"{BASE}/thoi-su/undated-10300004.html"),
    ]
    wanted, skipped, more = spider._wanted_articles(iter(links), 3)
    assert wanted == {f"{BASE}/thoi-su/new-10300002.html": datetime(2025, 9, 17, 17, tzinfo=UTC)}  # with its date
    assert (skipped, more) == ({"skipped_older_than_since": 1}, True)  # three links read, more may follow
    assert listed(spider, links) == [f"{BASE}/thoi-su/new-10300002.html", f"{BASE}/thoi-su/undated-10300004.html"]


def test_listing_pages_lead_to_articles_and_further_pages():
    spider = make_spider(start=f"{BASE}/thoi-su")
    html = f"""<html><body><a href="/thoi-su/bai-10300001.html">1</a><a href="/thoi-su?page=2">2</a>
    <a href="https://facebook.com/share?u={BASE}">share</a></body></html>""".encode()
    response = HtmlResponse(f"{BASE}/thoi-su", body=html, request=Request(f"{BASE}/thoi-su"))
    asked = asking(spider)
    requests = asyncio.run(collect(spider.parse_listing(response)))
    assert [(r.url, r.callback.__name__) for r in requests] == [(f"{BASE}/thoi-su?page=2", "parse_listing")]
    # recorded before they are requested: a run that ends first leaves them owed to the next one; the articles go
    # to the frontier, which requests them
    assert [(signal, a["kind"], a["urls"]) for signal, a in asked] == [
        (urls_listed, "article", {f"{BASE}/thoi-su/bai-10300001.html": None}),
        (urls_listed, "listing", [f"{BASE}/thoi-su?page=2"]),
    ]


def test_an_unchanged_document_leads_again_to_the_documents_it_listed():
    spider = make_spider(sitemap=f"{BASE}/sitemap.xml")
    outcomes = []
    spider._outcome = lambda url, outcome, reason="", requisite_of="": outcomes.append((url, outcome, reason))
    children = [(f"{BASE}/sitemaps/a.xml", "sitemap"), (f"{BASE}/thoi-su?page=2", "listing")]
    asked = asking(spider, {listed_documents_requested: children})
    request = spider._discovery(f"{BASE}/sitemap.xml", spider.parse_sitemap)
    assert request.meta["handle_httpstatus_list"] == [304]
    requests = asyncio.run(collect(spider.parse_sitemap(XmlResponse(request.url, status=304, request=request))))
    assert [(r.url, r.callback.__name__, r.meta["conditional"]) for r in requests] == [
        (f"{BASE}/sitemaps/a.xml", "parse_sitemap", True), (f"{BASE}/thoi-su?page=2", "parse_listing", True)]
    assert asked == [(listed_documents_requested, {"source": f"{BASE}/sitemap.xml"})]
    assert outcomes == [(f"{BASE}/sitemap.xml", "not_modified", "")]


class FakeFrontier:
    """Due article URLs the spider takes from: answers `due_articles_requested`, counts what is left."""

    def __init__(self, urls: list[str]) -> None:
        self.urls = urls
        self.asked: list[int] = []

    def due(self, count, since, refresh):
        self.asked.append(count)
        taken, self.urls = self.urls[:count], self.urls[count:]
        return taken

    def answers(self) -> dict:
        return {due_articles_requested: self.due, articles_left_requested: lambda: len(self.urls)}


def idle_crawl(spider: NewsSpider) -> None:
    """The rest of the crawl idle, nothing in the scheduler: what the spider's frontier loop sees at the end."""
    spider._engine_state = lambda: (0, True)


def test_article_urls_are_taken_from_the_frontier_within_max_articles_and_slots_come_back():
    spider = make_spider(sitemap=f"{BASE}/sitemap.xml", max_articles="2")
    frontier = FakeFrontier([f"{BASE}/a-1030000{n}.html" for n in range(6)])
    asking(spider, frontier.answers())
    idle_crawl(spider)

    async def crawl() -> list[Request]:
        start = spider.start()
        requests = [await anext(start) for _ in range(3)]  # the seed, then two articles: the slots are taken
        spider._release_article_slot(requests[1])  # not an article: its slot goes to the next due URL
        requests.append(await anext(start))
        # a second URL of a story stored in this run (the dedup pipeline's verdict) adds no row: its slot comes back
        spider.crawler.signals.send_catch_log(page_outcome, url=requests[2].url, outcome=Outcome.DUPLICATE, reason="")
        requests.append(await anext(start))
        return requests + [request async for request in start]

    requests = asyncio.run(crawl())
    assert [r.url for r in requests] == [f"{BASE}/sitemap.xml", *(f"{BASE}/a-1030000{n}.html" for n in range(4))]
    assert frontier.asked == [2, 1, 1]  # never more than the free slots
    assert spider.crawler.stats.get_value("newsarchive/owed/left_waiting") == 2  # left for a later run


def test_the_frontier_is_asked_only_when_the_scheduler_runs_low():
    spider = make_spider({"FRONTIER_BATCH": 3, "FRONTIER_LOW_WATER": 5}, sitemap=f"{BASE}/sitemap.xml")
    frontier = FakeFrontier([f"{BASE}/a-103000{n:02}.html" for n in range(10)])
    looks = iter([7, 9, 4, 6, 5, 2, 8, 0, 3, 0])  # requests waiting in the scheduler at each look
    seen = []

    def engine_state():
        seen.append(next(looks, 0))
        return seen[-1], len(seen) > 10  # idle once the crawl has run a while

    asked_when = []  # requests waiting at the last look before each question
    due = frontier.due
    frontier.due = lambda count, **arguments: (asked_when.append(seen[-1]), due(count, **arguments))[1]
    asking(spider, frontier.answers())
    spider._engine_state = engine_state
    requests = asyncio.run(collect(spider.start()))
    assert len(requests) == 11  # the seed, then every due URL
    assert asked_when and max(asked_when) < 5 and set(frontier.asked) <= {3, 1}  # low, in batches of at most 3
    assert spider.crawler.stats.get_value("newsarchive/owed/left_waiting") is None  # no limit: nothing left


def test_a_sitemap_is_listed_a_batch_at_a_time_and_stops_with_the_crawl():
    body = gzip.compress(b'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">%s</urlset>' % b"".join(
        b"<url><loc>%s/a-%d.html</loc><lastmod>2025-09-19</lastmod></url>" % (BASE.encode(), 10300000 + n)
        for n in range(2 * LISTING_BATCH + 5)))
    request = Request(f"{BASE}/sitemap.xml.gz")
    for stop_after, batches in ((None, [LISTING_BATCH, LISTING_BATCH, 5]), (1, [LISTING_BATCH])):
        spider = make_spider(sitemap=request.url)
        outcomes = []
        spider._outcome = lambda url, outcome, reason="", requisite_of="", outcomes=outcomes: outcomes.append(
            (outcome, reason)
        )
        asked = asking(spider)
        spider._stopping = lambda asked=asked, after=stop_after: after is not None and len(asked) >= after
        response = XmlResponse(request.url, body=body, request=request)
        assert asyncio.run(collect(spider.parse_sitemap(response))) == []  # the frontier requests the articles
        assert [len(arguments["urls"]) for _, arguments in asked] == batches
        assert next(iter(asked[0][1]["urls"].values())) == datetime(2025, 9, 19, tzinfo=UTC)
        assert outcomes == [("sitemap", "partial: the crawl stopped before its end" if stop_after else "")]


def test_an_extraction_over_its_time_budget_is_a_failure_not_a_verdict():
    page = b"<html><body>" + b"<p>Mot doan van ban dai du de la mot bai bao.</p>" * 3000 + b"</body></html>"
    with pytest.raises(ExtractionOverBudget, match="exceeded its time budget"):
        extract_in_worker(page, f"{BASE}/a-10300001.html", time_limit=0.000_001)
    spider = make_spider({"EXTRACT_TIMEOUT": 0.000_001, "EXTRACT_WORKERS": 1}, sitemap=f"{BASE}/sitemap.xml")
    outcomes = []
    spider._outcome = lambda url, outcome, reason="", requisite_of="": outcomes.append((outcome, reason))
    response = HtmlResponse(f"{BASE}/a-10300001.html", body=page, request=Request(f"{BASE}/a-10300001.html"))
    try:
        assert asyncio.run(spider._extract(response)) is None
    finally:
        spider._close_pool()
    # failed, so a later run fetches it again after its back-off (not `not_article`, which settles the URL)
    assert outcomes == [("failed", "extraction exceeded its time budget of 1e-06 s")]


def test_a_broken_sitemap_is_a_recorded_failure():
    spider = make_spider(sitemap=f"{BASE}/sitemap.xml")
    outcomes = []
    spider._outcome = lambda url, outcome, reason="", requisite_of="": outcomes.append((url, outcome, reason))
    request = Request(f"{BASE}/sitemap.xml")
    response = XmlResponse(request.url, body=b"<html>not a sitemap</html>", request=request)
    assert asyncio.run(collect(spider.parse_sitemap(response))) == []
    assert outcomes[0][:2] == (f"{BASE}/sitemap.xml", "failed") and "not a sitemap" in outcomes[0][2]


def test_redirected_urls_are_recorded_as_redirects():
    spider = make_spider(sitemap=f"{BASE}/sitemap.xml")
    outcomes = []
    spider._outcome = lambda url, outcome, reason="", requisite_of="": outcomes.append((url, outcome, reason))
    request = Request(f"{BASE}/a-10300001.html", meta={"redirect_urls": [f"{BASE}/r/1"]})
    spider._settle(HtmlResponse(request.url, body=b"", request=request), "article")
    assert outcomes == [(f"{BASE}/r/1", "redirect", request.url), (request.url, "article", "")]


def test_dropped_redirects_are_loops_or_second_ways_to_a_page():
    spider = make_spider(sitemap=f"{BASE}/sitemap.xml")
    outcomes = []
    spider._outcome = lambda url, outcome, reason="", requisite_of="": outcomes.append((url, outcome, reason))
    spider.on_dropped(Request(f"{BASE}/a", meta={"redirect_urls": [f"{BASE}/a", f"{BASE}/b"]}))
    assert [(url, outcome) for url, outcome, _ in outcomes] == [(f"{BASE}/a", "failed"), (f"{BASE}/b", "failed")]
    assert outcomes[0][2] == f"redirect loop: {BASE}/a -> {BASE}/b -> {BASE}/a"
    outcomes.clear()
    spider.on_dropped(Request(f"{BASE}/article-10300001.html", meta={"redirect_urls": [f"{BASE}/r/1"]}))
    assert outcomes == [(f"{BASE}/r/1", "redirect", f"{BASE}/article-10300001.html")]
    outcomes.clear()
    spider.on_dropped(Request(f"{BASE}/x"))  # not a redirect: nothing to say
    assert outcomes == []


def test_an_article_is_finished_for_the_archive_or_left_out_with_a_reason():
    spider = make_spider(site="baonghean", since="2025-09-01")
    outcomes = []
    spider._outcome = lambda url, outcome, reason="", requisite_of="": outcomes.append((url, outcome, reason))
    pointer = WarcPointer(file="a.warc.gz", offset=0, length=10, record_id="<urn:uuid:1>")
    fetched = datetime(2025, 9, 19, 1, 0, tzinfo=UTC)
    page = ("<html><head><title>Hội nghị</title></head><body><article><h1>Hội nghị</h1>"
            + "".join(f"<p>Đoạn {n}: một đoạn văn bản dài đủ để là một bài báo về hội nghị.</p>" for n in range(8))
            + "</article></body></html>").encode()

    def response(url: str) -> HtmlResponse:
        return HtmlResponse(url, body=page, request=Request(url, meta={"warc": pointer, "warc_date": fetched}))

    url = f"{BASE}/bai-10300001.html?utm_source=zalo"
    article = finish_in_worker(page, url, **spider._worker_arguments(response(url))).article
    assert (article.site, article.canonical_url, article.warc, article.fetched_at) == (
        "baonghean", f"{BASE}/bai-10300001.html", pointer, fetched)
    assert article.content_hash == content_hash(article.text)
    article.published_at = datetime(2025, 9, 18, 8, 0, tzinfo=UTC)
    assert spider._wanted(response(url), article)
    article.published_at = datetime(2025, 8, 1, 8, 0, tzinfo=UTC)
    assert not spider._wanted(response(url), article)
    with pytest.raises(UnarchivableUrl, match="not an absolute http"):
        finish_in_worker(page, "about:blank", **spider._worker_arguments(response("about:blank")))
    assert outcomes == [(url, "skipped", "published before --since")]


def test_a_stop_abandons_the_extractions_still_waiting_for_a_worker():
    from concurrent.futures import Future

    from spiders.news import Abandoned, _result_of

    queued = Future()  # waiting for a free worker when the crawl stops: left for the next run
    with pytest.raises(Abandoned):
        asyncio.run(_result_of(queued, 60, stopping=lambda: True))
    assert queued.cancelled()

    async def running_when_stopped():
        started = Future()
        started.set_running_or_notify_cancel()  # a worker has it: its answer is awaited
        asyncio.get_running_loop().call_later(1.5, started.set_result, "article")
        return await _result_of(started, 60, stopping=lambda: True)

    assert asyncio.run(running_when_stopped()) == "article"
