"""Page requisites: which URLs of a page and its record are requisites (pure), how the spider requests them, and a
crawl where photos sit on another host (an image CDN on 127.0.0.2) and some of them fail."""

from __future__ import annotations

import gzip
import json
import logging
from collections import Counter
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from conftest import CRAWL_SETTINGS, run_newsarchive
from parsel import Selector
from scrapy.exceptions import IgnoreRequest
from scrapy.http import HtmlResponse, Request, Response
from scrapy.spidermiddlewares.httperror import HttpError
from scrapy.utils.test import get_crawler
from sqlalchemy import select
from sqlalchemy.orm import Session
from twisted.python.failure import Failure

from archive.models import CaptureRow
from archive.outcomes import Outcome
from archive.records import Article, Caption, WarcPointer
from archive.store import ArchiveStore
from archive.warcread import load_record
from crawler import meta
from crawler.extract.dom import parse_html
from crawler.newsroom import Newsroom, serve
from crawler.newsroom import Response as NewsroomResponse
from crawler.newsroom.templates import media_base, urlset
from crawler.requisites import Requisite, RequisiteKind, page_requisites, srcset_urls
from crawler.settings import ADDONS
from crawler.signals import page_outcome
from crawler.workers import finish_in_worker
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


def tree_of(html: bytes):
    """The page as the extractor parses it (the worker reads requisites from the extraction's tree)."""
    return parse_html(html.decode())


def article_with(*image_urls: str | None, main_image: str | None = None) -> Article:
    return Article(
        url=PAGE_URL, canonical_url=PAGE_URL, title="t", text="x",
        captions=[Caption(f"Ảnh {n}.", "Ảnh: PV", url) for n, url in enumerate(image_urls)], main_image=main_image,
    )


def test_photos_of_the_record_then_stylesheets_by_default():
    article = article_with(f"{CDN}/a.jpg", None, f"{CDN}/b.jpg", main_image=f"{CDN}/a.jpg")
    assert page_requisites(tree_of(PAGE), PAGE_URL, article) == [
        Requisite(f"{CDN}/a.jpg", RequisiteKind.PHOTO),
        Requisite(f"{CDN}/b.jpg", RequisiteKind.PHOTO),
        Requisite("https://news.example/static/site.css", RequisiteKind.STYLESHEET),
        Requisite(f"{CDN}/fonts.css", RequisiteKind.STYLESHEET),
    ]


def test_every_image_of_the_page_with_lazy_attributes_and_srcsets():
    found = page_requisites(tree_of(PAGE), PAGE_URL, article_with(f"{CDN}/b.jpg"), every_image=True)
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


def test_base_href_and_the_page_itself():
    html = b'<html><head><base href="https://static.example/v2/"></head><body><img src="p.png">' \
           b'<img src="https://news.example/thoi-su/bai-viet-10300001.html#x"></body></html>'
    found = page_requisites(tree_of(html), PAGE_URL, None, every_image=True)
    assert [r.url for r in found] == ["https://static.example/v2/p.png"]
    photo = f"{CDN}/only.jpg"
    bare = tree_of(b"<html><body><p>nothing to fetch</p></body></html>")
    assert page_requisites(bare, PAGE_URL, article_with(photo)) == [Requisite(photo, RequisiteKind.PHOTO)]


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


def test_requisite_requests_come_before_the_next_articles_on_any_host_and_unconditionally():
    spider = make_spider()
    response = HtmlResponse(PAGE_URL, body=PAGE, headers={"Content-Type": "text/html; charset=utf-8"})
    found = page_requisites(tree_of(PAGE), PAGE_URL, article_with(f"{CDN}/b.jpg"))
    requests = spider._requisite_requests(response, found)
    assert [r.url for r in requests] == [f"{CDN}/b.jpg", "https://news.example/static/site.css", f"{CDN}/fonts.css"]
    for request in requests:
        assert request.priority > ARTICLE_PRIORITY and request.callback == spider.parse_requisite
        assert request.meta[meta.ALLOW_OFFSITE] and not request.meta.get(meta.CONDITIONAL)
        assert request.meta[meta.REQUISITE_OF] == PAGE_URL
    assert spider.articles_scheduled == 0  # not counted against --max-articles


def test_the_worker_finds_the_requisites_the_settings_ask_for_and_finishes_the_record():
    paragraphs = "".join(f"<p>Đoạn {n}: một đoạn văn bản dài đủ để là một bài báo về hội nghị.</p>" for n in range(8))
    story = f'<article><h1>Hội nghị</h1>{paragraphs}<figure><img src="{CDN}/g.jpg">' \
            "<figcaption>Quang cảnh hội nghị. Ảnh: PV</figcaption></figure></article></body>"
    page = PAGE.replace(b"</body>", story.encode())
    pointer = WarcPointer(file="a.warc.gz", offset=0, length=10, record_id="<urn:uuid:1>")
    response = HtmlResponse(PAGE_URL, body=page, headers={"Content-Type": "text/html; charset=utf-8"},
                            request=Request(PAGE_URL, meta={meta.WARC_POINTER: pointer}))
    found = {}
    for name, settings in (("default", {}), ("off", {"REQUISITES_ENABLED": False}),
                           ("every image", {"REQUISITES_ALL_IMAGES": True})):
        finished = finish_in_worker(page, PAGE_URL, **make_spider(**settings)._worker_arguments(response))
        assert finished.article.warc == pointer and finished.article.content_hash  # finished for the archive
        found[name] = Counter(requisite.kind for requisite in finished.requisites)
    assert found == {"default": {"photo": 1, "stylesheet": 2}, "off": {},
                     "every image": {"photo": 1, "stylesheet": 2, "image": 8}}


def test_a_requisite_gets_its_own_outcome_and_a_failure_its_reason(caplog: pytest.LogCaptureFixture):
    spider = make_spider()
    outcomes = recorded_outcomes(spider)
    request = Request(f"{CDN}/a.jpg", meta={meta.REQUISITE_OF: PAGE_URL})
    spider.parse_requisite(Response(f"{CDN}/a.jpg", request=request))
    caplog.set_level(logging.DEBUG)
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
    # a page's broken photos are told at INFO (the run's summary counts them); a page that failed is a warning
    page = Response(PAGE_URL, status=404, request=Request(PAGE_URL))
    failed_page = Failure(HttpError(page, "Ignoring non-200 response"))
    failed_page.request = page.request
    spider.on_error(failed_page)
    assert [(r.levelname, r.getMessage()) for r in caplog.records if "could not fetch" in r.getMessage()] == [
        ("INFO", f"could not fetch {CDN}/gone.jpg: HTTP 404"),
        ("INFO", f"could not fetch {CDN}/private.jpg: IgnoreRequest: Forbidden by robots.txt"),
        ("WARNING", f"could not fetch {PAGE_URL}: HTTP 404"),
    ]


# --- a crawl: photos on the image host, some of them failing ---------------------------------------------------------


class SeedWithAwkwardPhotos:
    """The newsroom serving one article, its seed article, three of whose photos are moved: one where the image
    host's robots.txt forbids, one the image host does not have, and one the same photo under a second address."""

    media_host = Newsroom.media_host

    def __init__(self) -> None:
        self.newsroom = Newsroom(articles=10, seed=5)
        photos = [block.image for block in self.newsroom.seed_story.blocks if block.kind == "figure"]
        self.moved = {photos[1]: "/private/held-back.png", photos[2]: "/missing.png", photos[3]: photos[0] + "?w=800"}

    def handle(self, method: str, target: str, headers, base_url: str) -> NewsroomResponse:
        path = urlsplit(target).path
        if urlsplit(base_url).hostname == self.media_host or path not in ("/sitemap.xml", self.newsroom.seed_path):
            return self.newsroom.handle(method, target, headers, base_url)
        if path == "/sitemap.xml":
            body, content_type = urlset([(base_url + self.newsroom.seed_path, None)]).encode(), "application/xml"
        else:
            body, content_type = self.newsroom.handle("GET", path, {}, base_url).body, "text/html; charset=utf-8"
            media = media_base(base_url)
            for photo, moved_to in self.moved.items():
                body = body.replace(f'"{media}{photo}"'.encode(), f'"{media}{moved_to}"'.encode())
        headers = [("Content-Type", content_type), ("Content-Length", str(len(body)))]
        return NewsroomResponse(200, headers, body if method == "GET" else b"")


def captures_by_url(db_url: str) -> dict[str, list[CaptureRow]]:
    store = ArchiveStore(db_url)
    try:
        with Session(store.engine) as session:
            rows = session.scalars(select(CaptureRow).order_by(CaptureRow.id)).all()
    finally:
        store.close()
    found: dict[str, list[CaptureRow]] = {}
    for row in rows:
        found.setdefault(row.url, []).append(row)
    return found


@pytest.mark.integration
def test_photos_on_the_image_host_are_archived_and_failures_recorded(tmp_path: Path) -> None:
    site = SeedWithAwkwardPhotos()
    db_url, warc_dir = f"sqlite:///{tmp_path / 'archive.db'}", tmp_path / "warc"
    with serve(site) as base_url:
        crawl = ["crawl", "--sitemap", f"{base_url}/sitemap.xml", "--db", db_url, "--warc-dir", str(warc_dir),
                 "--allow-private", *CRAWL_SETTINGS]
        # Two of the page's photos fail, its pages do not: the run is judged by its pages (browsertrix's
        # --failOnFailedLimit likewise), and counts the failed requisites apart.
        run_newsarchive(*crawl, "--max-failure-ratio", "0", cwd=tmp_path)
        first_run = list(site.newsroom.request_log)
        site.newsroom.reset_requests()
        run_newsarchive(*crawl, "--refresh", cwd=tmp_path)  # the article again, and its photos
        second_run = list(site.newsroom.request_log)
    article_url = base_url + site.newsroom.seed_path
    media = media_base(base_url)
    store = ArchiveStore(db_url)
    [article] = list(store.iter_articles())
    store.close()
    photos = [caption.image_url for caption in article.captions]
    assert len(photos) == 9 and article.main_image == photos[0]
    held_back, missing, second_address = (media + moved for moved in site.moved.values())
    assert [held_back, missing, second_address] == photos[1:4]

    captures = captures_by_url(db_url)
    # the same photo under two addresses: whichever came second is a revisit of the first
    pair = sorted((captures[photos[0]][0], captures[second_address][0]), key=lambda row: row.id)
    assert [row.record_type for row in pair] == ["response", "revisit"]
    assert pair[0].payload_digest == pair[1].payload_digest and pair[1].outcome == Outcome.REQUISITE
    for photo in [pair[0].url, *photos[4:], media + "/static/newsroom.css"]:
        first = captures[photo][0]
        assert (first.status, first.outcome, first.reason, first.record_type) == (
            200, Outcome.REQUISITE, article_url, "response"
        ), photo
        expected = site.newsroom.handle("GET", urlsplit(photo).path, {}, media).body
        stored = load_record(warc_dir, WarcPointer(first.warc_file, first.warc_offset, first.warc_length,
                                                   first.warc_record_id, first.payload_digest))
        assert stored.payload == expected or gzip.decompress(stored.payload) == expected, photo
    refused, absent = captures[held_back][0], captures[missing][0]
    assert refused.outcome == Outcome.FAILED and refused.reason.startswith(f"requisite of {article_url}: ")
    assert "robots.txt" in refused.reason and refused.record_type == "none"
    assert (absent.status, absent.outcome) == (404, Outcome.FAILED)
    assert absent.reason == f"requisite of {article_url}: HTTP 404"
    [*_, first] = json.loads(run_newsarchive("runs", "--db", db_url, "--json", cwd=tmp_path).stdout)
    assert (first["status"], first["pages_failed"], first["requisites_failed"]) == ("finished", 0, 2)

    fetched = Counter((r.target, r.status) for r in first_run if r.kind in ("image", "stylesheet", "not_found"))
    assert fetched[(urlsplit(held_back).path, 200)] == 0 and ("/private/held-back.png", 404) not in fetched
    assert fetched[("/missing.png", 404)] == 1 and fetched[(urlsplit(photos[0]).path, 200)] == 1
    # the second run found the same photos: archived again as revisits of the first run's records, which replay
    again = [r for r in second_run if r.kind in ("image", "stylesheet")]
    assert again and all(r.status == 200 for r in again)
    for photo in (pair[0].url, *photos[4:]):
        latest = captures[photo][-1]
        assert (latest.outcome, latest.record_type) == (Outcome.REQUISITE, "revisit"), photo
        assert latest.payload_digest == captures[photo][0].payload_digest


@pytest.mark.integration
def test_every_image_setting_and_the_switch_off(tmp_path: Path) -> None:
    site = SeedWithAwkwardPhotos()
    runs = {}
    with serve(site) as base_url:
        for name, setting in (("all", "REQUISITES_ALL_IMAGES=true"), ("off", "REQUISITES_ENABLED=false")):
            run_newsarchive("crawl", "--sitemap", f"{base_url}/sitemap.xml", "--db", f"sqlite:///{tmp_path / name}.db",
                            "--warc-dir", str(tmp_path / name), "--allow-private", *CRAWL_SETTINGS, "-s", setting,
                            cwd=tmp_path)
            runs[name] = Counter(r.kind for r in site.newsroom.request_log)
            site.newsroom.reset_requests()
    page = Selector(text=site.handle("GET", site.newsroom.seed_path, {}, base_url).body.decode())
    thumbnails = {src for src in page.css(".c-related img::attr(src)").getall() if "/uploads/thumbs/" in src}
    captures = captures_by_url(f"sqlite:///{tmp_path / 'all'}.db")
    assert thumbnails and all(captures[src][0].outcome == Outcome.REQUISITE for src in thumbnails)
    assert runs["all"]["image"] >= 7 + len(thumbnails)  # the seven caption photos the image host has, and more
    assert runs["off"]["article"] == 1 and not runs["off"]["image"] and not runs["off"]["stylesheet"]
