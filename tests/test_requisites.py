"""Page requisites: which URLs of a page and its record are requisites (pure), how the spider requests them, and a
crawl where photos sit on another host (an image CDN on 127.0.0.2) and some of them fail."""

from __future__ import annotations

import asyncio

from scrapy.exceptions import IgnoreRequest
from scrapy.http import HtmlResponse, Request, Response
from scrapy.spidermiddlewares.httperror import HttpError
from scrapy.utils.test import get_crawler
from twisted.python.failure import Failure

from archive.outcomes import Outcome
from archive.records import Article, Caption
from crawler import meta
from crawler.requisites import Requisite, RequisiteKind, page_requisites, srcset_urls
from crawler.settings import ADDONS
from crawler.signals import page_outcome
from spiders.news import ARTICLE_PRIORITY, NewsSpider

PAGE_URL = "https://news.example/thoi-su/bai-viet-10300001.html"
CDN = "https://img.cdn.example"
PAGE = f"""<!DOCTYPE html><html><head>
<link rel="stylesheet" href="/static/site.css">
<link rel="alternate stylesheet" href="/static/contrast.css">
<link rel="STYLESHEET preload" href="{CDN}/fonts.css#top">
<link rel="icon" href="/favicon.ico">
</head><body>
<img src="{CDN}/a.jpg" alt="">
<img class="lazy" src="data:image/gif;base64,R0lGODlhAQABAAAAACw=" data-src="{CDN}/b.jpg">
<img data-original="c.jpg"><img data-lazy-src="{CDN}/d.jpg">
<picture><source data-srcset="{CDN}/e.jpg 1x, {CDN}/e.jpg?dpr=2 2x"><img src="{CDN}/e.jpg"></picture>
<img srcset="{CDN}/f-480.jpg 480w,{CDN}/f-800.jpg 800w" src="javascript:void(0)">
<video><source src="{CDN}/clip.mp4"></video>
<img src="http://[broken">
</body></html>""".encode()


def article_with(*image_urls: str | None, main_image: str | None = None) -> Article:
    return Article(
        url=PAGE_URL, canonical_url=PAGE_URL, title="t", text="x",
        captions=[Caption(f"Ảnh {n}.", "Ảnh: PV", url) for n, url in enumerate(image_urls)], main_image=main_image,
    )


def test_photos_of_the_record_then_stylesheets_by_default():
    article = article_with(f"{CDN}/a.jpg", None, f"{CDN}/b.jpg", main_image=f"{CDN}/a.jpg")
    assert page_requisites(PAGE, PAGE_URL, article) == [
        Requisite(f"{CDN}/a.jpg", RequisiteKind.PHOTO),
        Requisite(f"{CDN}/b.jpg", RequisiteKind.PHOTO),
        Requisite("https://news.example/static/site.css", RequisiteKind.STYLESHEET),
        Requisite(f"{CDN}/fonts.css", RequisiteKind.STYLESHEET),
    ]


def test_every_image_of_the_page_with_lazy_attributes_and_srcsets():
    found = page_requisites(PAGE, PAGE_URL, article_with(f"{CDN}/b.jpg"), every_image=True)
    assert [(r.url.removeprefix(CDN), r.kind) for r in found] == [
        ("/b.jpg", "photo"),
        ("https://news.example/static/site.css", "stylesheet"),
        ("/fonts.css", "stylesheet"),
        ("/a.jpg", "image"),
        ("https://news.example/thoi-su/c.jpg", "image"),
        ("/d.jpg", "image"),
        ("/e.jpg", "image"),
        ("/e.jpg?dpr=2", "image"),
        ("/f-480.jpg", "image"),
        ("/f-800.jpg", "image"),
    ]


def test_base_href_the_page_itself_and_unparsable_pages():
    html = b'<html><head><base href="https://static.example/v2/"></head><body><img src="p.png">' \
           b'<img src="https://news.example/thoi-su/bai-viet-10300001.html#x"></body></html>'
    assert [r.url for r in page_requisites(html, PAGE_URL, None, every_image=True)] == ["https://static.example/v2/p.png"]
    photo = f"{CDN}/only.jpg"
    assert page_requisites(b"", PAGE_URL, article_with(photo)) == [Requisite(photo, RequisiteKind.PHOTO)]
    assert page_requisites(b'<link rel=stylesheet href="/s.css">', PAGE_URL, None, encoding="no-such-codec") == [
        Requisite("https://news.example/s.css", RequisiteKind.STYLESHEET)
    ]


def test_srcset_urls():
    assert srcset_urls(" a.jpg 1x,b.jpg   2x , ,c.jpg") == ["a.jpg", "b.jpg", "c.jpg"]


# --- the spider -----------------------------------------------------------------------------------------------------


def make_spider(**settings) -> NewsSpider:
    crawler = get_crawler(NewsSpider, {"ADDONS": ADDONS, **settings})
    return NewsSpider.from_crawler(crawler, sitemap="https://news.example/sitemap.xml")


def recorded_outcomes(spider: NewsSpider) -> list[tuple[str, str, str]]:
    outcomes: list[tuple[str, str, str]] = []
    spider.crawler.signals.connect(
        lambda url, outcome, reason: outcomes.append((url, outcome, reason)), signal=page_outcome, weak=False
    )
    return outcomes


def test_requisite_requests_come_after_articles_on_any_host_and_conditionally():
    spider = make_spider()
    response = HtmlResponse(PAGE_URL, body=PAGE, headers={"Content-Type": "text/html; charset=utf-8"})
    requests = asyncio.run(spider._requisite_requests(response, article_with(f"{CDN}/b.jpg")))
    assert [r.url for r in requests] == [f"{CDN}/b.jpg", "https://news.example/static/site.css", f"{CDN}/fonts.css"]
    for request in requests:
        assert request.priority < ARTICLE_PRIORITY and request.callback == spider.parse_requisite
        assert request.meta[meta.ALLOW_OFFSITE] and request.meta[meta.CONDITIONAL]
        assert request.meta[meta.REQUISITE_OF] == PAGE_URL
    assert spider.articles_scheduled == 0  # not counted against --max-articles
    assert asyncio.run(make_spider(REQUISITES_ENABLED=False)._requisite_requests(response, article_with())) == []
    every = asyncio.run(make_spider(REQUISITES_ALL_IMAGES=True)._requisite_requests(response, article_with()))
    assert len(every) == 10  # two stylesheets, eight images


def test_a_requisite_gets_its_own_outcome_and_a_failure_its_reason():
    spider = make_spider()
    outcomes = recorded_outcomes(spider)
    request = Request(f"{CDN}/a.jpg", meta={meta.REQUISITE_OF: PAGE_URL})
    spider.parse_requisite(Response(f"{CDN}/a.jpg", request=request))
    missing = Response(f"{CDN}/gone.jpg", status=404, request=request.replace(url=f"{CDN}/gone.jpg"))
    not_found = Failure(HttpError(missing, "Ignoring non-200 response"))
    not_found.request = missing.request
    spider.on_requisite_error(not_found)
    refused = Failure(IgnoreRequest("Forbidden by robots.txt"))
    refused.request = request.replace(url=f"{CDN}/private.jpg")
    spider.on_requisite_error(refused)
    assert outcomes == [
        (f"{CDN}/a.jpg", Outcome.REQUISITE, PAGE_URL),
        (f"{CDN}/gone.jpg", Outcome.FAILED, f"requisite of {PAGE_URL}: HTTP 404"),
        (f"{CDN}/private.jpg", Outcome.FAILED, f"requisite of {PAGE_URL}: IgnoreRequest: Forbidden by robots.txt"),
    ]
