"""The `news` spider's decisions, without a network: which links become article requests, and why not."""

from __future__ import annotations

import asyncio
from collections import deque
from datetime import UTC, datetime

import pytest
from scrapy.http import HtmlResponse, Request, XmlResponse
from scrapy.utils.test import get_crawler

from archive.records import Article, WarcPointer
from archive.store import OwedUrls
from crawler.discovery import Link
from crawler.settings import ADDONS
from crawler.signals import listed_documents_requested, owed_urls_requested, urls_listed
from spiders.news import NewsSpider

BASE = "https://baonghean.vn"


def make_spider(**arguments) -> NewsSpider:
    crawler = get_crawler(NewsSpider, {"ADDONS": ADDONS})
    return NewsSpider.from_crawler(crawler, **arguments)


async def collect(results) -> list:
    return [result async for result in results]


def article_urls(requests) -> list[str]:
    return [r.url for r in requests if r.callback.__name__ == "parse_article"]


def scheduled(spider: NewsSpider, links) -> list[str]:
    """The article URLs `links` lead to (wanted, and within --max-articles)."""
    return article_urls(filter(None, map(spider._schedule_article, spider._wanted_articles(links))))


def asking(spider: NewsSpider, answers: dict | None = None) -> list:
    """Replace the spider's questions to the archive: record them, answer from `answers` (signal → answer)."""
    asked = []

    async def ask(signal, **arguments):
        asked.append((signal, arguments))
        return [answers[signal]] if answers and signal in answers else []

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
    assert scheduled(spider, links) == [f"{BASE}/thoi-su/a-10300001.html"]


def test_since_max_articles_and_tracking_parameters():
    spider = make_spider(site="baonghean", since="2025-09-18", max_articles="2")
    links = [
        Link(f"{BASE}/thoi-su/old-10300001.html", published=datetime(2025, 9, 17, 16, 59, tzinfo=UTC)),  # 23:59 ICT
        Link(f"{BASE}/thoi-su/new-10300002.html?utm_source=zalo&fbclid=x",
             published=datetime(2025, 9, 17, 17, tzinfo=UTC)),  # 00:00 ICT on the 18th
        Link(f"{BASE}/tag/nghe-an-10300003.html"),  # denied by the profile
        Link(f"{BASE}/thoi-su/undated-10300004.html"),
        Link(f"{BASE}/thoi-su/over-budget-10300005.html"),
    ]
    assert scheduled(spider, links) == [f"{BASE}/thoi-su/new-10300002.html", f"{BASE}/thoi-su/undated-10300004.html"]
    assert spider.waiting_articles == deque([f"{BASE}/thoi-su/over-budget-10300005.html"])  # owed to a later run


def test_archived_articles_are_skipped_unless_modified_since():
    spider = make_spider(site="baonghean")
    stored = datetime(2025, 9, 20, tzinfo=UTC)
    spider.known_articles = {f"{BASE}/a-10300001.html": stored, f"{BASE}/b-10300002.html": stored}
    links = [
        Link(f"{BASE}/a-10300001.html", modified=datetime(2025, 9, 19, tzinfo=UTC)),
        Link(f"{BASE}/b-10300002.html", modified=datetime(2025, 9, 21, tzinfo=UTC)),
        Link(f"{BASE}/c-10300003.html"),
    ]
    assert scheduled(spider, links) == [f"{BASE}/b-10300002.html", f"{BASE}/c-10300003.html"]


def test_listing_pages_lead_to_articles_and_further_pages():
    spider = make_spider(start=f"{BASE}/thoi-su")
    html = f"""<html><body><a href="/thoi-su/bai-10300001.html">1</a><a href="/thoi-su?page=2">2</a>
    <a href="https://facebook.com/share?u={BASE}">share</a></body></html>""".encode()
    response = HtmlResponse(f"{BASE}/thoi-su", body=html, request=Request(f"{BASE}/thoi-su"))
    asked = asking(spider)
    requests = asyncio.run(collect(spider.parse_listing(response)))
    assert article_urls(requests) == [f"{BASE}/thoi-su/bai-10300001.html"]
    assert [r.url for r in requests if r.callback.__name__ == "parse_listing"] == [f"{BASE}/thoi-su?page=2"]
    # recorded before they are requested: a run that ends first leaves them owed to the next one
    assert [(signal, a["kind"], a["urls"]) for signal, a in asked] == [
        (urls_listed, "article", [f"{BASE}/thoi-su/bai-10300001.html"]),
        (urls_listed, "listing", [f"{BASE}/thoi-su?page=2"]),
    ]


def test_an_unchanged_document_leads_again_to_the_documents_it_listed():
    spider = make_spider(sitemap=f"{BASE}/sitemap.xml")
    outcomes = []
    spider._outcome = lambda url, outcome, reason="": outcomes.append((url, outcome, reason))
    children = [(f"{BASE}/sitemaps/a.xml", "sitemap"), (f"{BASE}/thoi-su?page=2", "listing")]
    asked = asking(spider, {listed_documents_requested: children})
    request = spider._discovery(f"{BASE}/sitemap.xml", spider.parse_sitemap)
    assert request.meta["handle_httpstatus_list"] == [304]
    requests = asyncio.run(collect(spider.parse_sitemap(XmlResponse(request.url, status=304, request=request))))
    assert [(r.url, r.callback.__name__, r.meta["conditional"]) for r in requests] == [
        (f"{BASE}/sitemaps/a.xml", "parse_sitemap", True), (f"{BASE}/thoi-su?page=2", "parse_listing", True)]
    assert asked == [(listed_documents_requested, {"source": f"{BASE}/sitemap.xml"})]
    assert outcomes == [(f"{BASE}/sitemap.xml", "not_modified", "")]


def test_the_articles_still_owed_are_requested_at_start():
    spider = make_spider(sitemap=f"{BASE}/sitemap.xml", max_articles="1")
    owed = OwedUrls(due=[f"{BASE}/a-10300001.html", f"{BASE}/b-10300002.html"], later=3, given_up=1)
    asking(spider, {owed_urls_requested: owed})
    requests = asyncio.run(collect(spider.start()))
    assert [r.url for r in requests] == [f"{BASE}/sitemap.xml", f"{BASE}/a-10300001.html"]
    assert spider.waiting_articles == deque([f"{BASE}/b-10300002.html"])
    stats = spider.crawler.stats
    assert [stats.get_value(f"newsarchive/owed/{n}") for n in ("seeded", "later", "given_up")] == [2, 3, 1]


def test_a_broken_sitemap_is_a_recorded_failure():
    spider = make_spider(sitemap=f"{BASE}/sitemap.xml")
    outcomes = []
    spider._outcome = lambda url, outcome, reason="": outcomes.append((url, outcome, reason))
    request = Request(f"{BASE}/sitemap.xml")
    response = XmlResponse(request.url, body=b"<html>not a sitemap</html>", request=request)
    assert asyncio.run(collect(spider.parse_sitemap(response))) == []
    assert outcomes[0][:2] == (f"{BASE}/sitemap.xml", "failed") and "not a sitemap" in outcomes[0][2]


def test_redirected_urls_are_recorded_as_redirects():
    spider = make_spider(sitemap=f"{BASE}/sitemap.xml")
    outcomes = []
    spider._outcome = lambda url, outcome, reason="": outcomes.append((url, outcome, reason))
    request = Request(f"{BASE}/a-10300001.html", meta={"redirect_urls": [f"{BASE}/r/1"]})
    spider._settle(HtmlResponse(request.url, body=b"", request=request), "article")
    assert outcomes == [(f"{BASE}/r/1", "redirect", request.url), (request.url, "article", "")]


def test_dropped_redirects_are_loops_or_second_ways_to_a_page():
    spider = make_spider(sitemap=f"{BASE}/sitemap.xml")
    outcomes = []
    spider._outcome = lambda url, outcome, reason="": outcomes.append((url, outcome, reason))
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
    spider._outcome = lambda url, outcome, reason="": outcomes.append((url, outcome, reason))
    pointer = WarcPointer(file="a.warc.gz", offset=0, length=10, record_id="<urn:uuid:1>")
    fetched = datetime(2025, 9, 19, 1, 0, tzinfo=UTC)

    def response(url: str) -> HtmlResponse:
        return HtmlResponse(url, body=b"", request=Request(url, meta={"warc": pointer}))

    url = f"{BASE}/bai-10300001.html?utm_source=zalo"
    article = Article(url=url, published_at=datetime(2025, 9, 18, 8, 0, tzinfo=UTC))
    assert spider._finish(response(url), article, fetched)
    assert (article.site, article.canonical_url, article.warc, article.fetched_at) == (
        "baonghean", f"{BASE}/bai-10300001.html", pointer, fetched)
    old = Article(url=url, published_at=datetime(2025, 8, 1, 8, 0, tzinfo=UTC))
    assert not spider._finish(response(url), old, fetched)
    assert not spider._finish(response("about:blank"), Article(url="about:blank"), fetched)
    assert outcomes == [(url, "skipped", "published before --since"),
                        ("about:blank", "failed", "invalid URL: not an absolute http(s) URL: 'about:blank'")]
