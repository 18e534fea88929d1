"""Edge cases of the crawl's inputs: Retry-After, over-long URLs, internationalised host names."""

import asyncio
import json
import subprocess
import sys
import time
from datetime import UTC, datetime

import pytest
from conftest import run_newsarchive
from scrapy.http import Request, Response, XmlResponse
from scrapy.utils.test import get_crawler
from sqlalchemy import select, update

from archive.models import CaptureRow, CrawlRun, RunLockRow
from archive.outcomes import Outcome
from archive.records import NotAnArticle
from archive.runlock import KILLED_STAT, RunLock
from archive.runstatus import RunStatus
from archive.store import ArchiveStore
from benchmarks.faults import descendants, running
from crawler import meta
from crawler.addon import SPIDER_MIDDLEWARES
from crawler.extract import extract_article
from crawler.extract.decoding import decode_html
from crawler.newsroom.hostile import EXPECTED, LONG_PATH, HostileSite
from crawler.retry import RetryAfterMiddleware, retry_after_seconds
from crawler.settings import ADDONS
from crawler.signals import page_outcome
from crawler.sites import SiteProfile
from crawler.urllength import RecordedUrlLengthMiddleware
from crawler.urls import ascii_host, host_of, with_ascii_host
from spiders.news import NewsSpider


def test_retry_after_values():
    now = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
    assert retry_after_seconds(b"120") == 120
    assert retry_after_seconds("Thu, 01 Jan 2026 12:00:30 GMT", now=now) == 30
    assert retry_after_seconds("Thu, 01 Jan 2026 11:00:00 GMT", now=now) == 0
    assert retry_after_seconds("soon") is None
    assert retry_after_seconds(None) is None


def _retry_middleware(**settings):
    crawler = get_crawler(settings_dict={"RETRY_AFTER_MAX": 60, "RETRY_TIMES": 2, **settings})
    crawler.spider = crawler._create_spider("test")
    return RetryAfterMiddleware.from_crawler(crawler), crawler


def test_retry_after_within_the_limit_is_retried():
    middleware, crawler = _retry_middleware()
    request = Request("https://x.example/a")
    answer = asyncio.run(middleware.process_response(
        request, Response(request.url, status=429, headers={"Retry-After": "0"}, request=request)))
    assert isinstance(answer, Request) and answer.meta["retry_times"] == 1
    assert crawler.stats.get_value("newsarchive/retry_after/waited") == 1


def test_retry_after_beyond_the_limit_fails_the_page():
    middleware, crawler = _retry_middleware()
    request = Request("https://x.example/a")
    response = Response(request.url, status=503, headers={"Retry-After": "3600"}, request=request)
    assert asyncio.run(middleware.process_response(request, response)) is response
    assert crawler.stats.get_value("newsarchive/retry_after/too_long") == 1


def test_over_long_url_is_recorded_as_failed():
    crawler = get_crawler(settings_dict={"URLLENGTH_LIMIT": 2083})
    crawler.spider = crawler._create_spider("test")
    middleware = RecordedUrlLengthMiddleware.from_crawler(crawler)
    recorded = []
    crawler.signals.connect(lambda **kw: recorded.append(kw), signal=page_outcome, weak=False)
    long_url = "https://x.example/a?" + "q" * 2100
    assert middleware.get_processed_request(Request(long_url), None) is None
    assert middleware.get_processed_request(Request("https://x.example/b"), None) is not None
    assert [(r["url"], r["outcome"]) for r in recorded] == [(long_url, Outcome.FAILED)]
    assert "longer than URLLENGTH_LIMIT (2083)" in recorded[0]["reason"] and recorded[0]["requisite_of"] == ""
    photo = Request(long_url + "p", meta={meta.REQUISITE_OF: "https://x.example/b"})
    assert middleware.get_processed_request(photo, None) is None  # a page's photo: not a page of the run
    assert recorded[1]["requisite_of"] == "https://x.example/b"
    assert SPIDER_MIDDLEWARES["scrapy.spidermiddlewares.urllength.UrlLengthMiddleware"] is None


def test_idn_hosts_have_one_form():
    assert ascii_host("Bücher.Example.") == "xn--bcher-kva.example"
    assert ascii_host("xn--bcher-kva.example") == "xn--bcher-kva.example"
    assert host_of("http://bücher.example/a") == "xn--bcher-kva.example"
    assert with_ascii_host("http://user@Bücher.example:8080/ä?x#y") == "http://user@xn--bcher-kva.example:8080/ä?x#y"


def test_profiles_own_both_forms_of_an_idn_host():
    for given, linked in (("bücher.example", "xn--bcher-kva.example"), ("xn--bcher-kva.example", "bücher.example")):
        profile = SiteProfile.ad_hoc([f"http://{given}:8000/sitemap.xml"])
        assert profile.name == "xn--bcher-kva.example"
        assert profile.owns(f"http://{linked}:8000/tin/a-1.html")
        assert profile.owns(f"http://news.{linked}/tin/a-1.html")
        assert not profile.owns("http://other.example/tin/a-1.html")
    profile = SiteProfile(domains=("bücher.example",), article_patterns=(r"//xn--bcher-kva\.example/tin/",))
    assert profile.domains == ("xn--bcher-kva.example",)
    assert profile.is_article_url("http://bücher.example/tin/a-1.html")


def _sitemap_spider(**settings):
    crawler = get_crawler(NewsSpider, {"ADDONS": ADDONS, **settings})
    spider = NewsSpider.from_crawler(crawler, sitemap="https://x.example/sitemap.xml")
    outcomes = []
    spider._outcome = lambda url, outcome, reason="", requisite_of="": outcomes.append((url, outcome, reason))
    return spider, outcomes


def _parse_sitemap(spider, body, depth=0):
    request = Request("https://x.example/sitemap.xml", meta={"sitemap_depth": depth} if depth else {})
    response = XmlResponse(request.url, body=body, request=request)

    async def collect():
        return [r async for r in spider.parse_sitemap(response)]

    return asyncio.run(collect())


INDEX = (b'<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">%s</sitemapindex>'
         % b"".join(b"<sitemap><loc>https://x.example/s-%d.xml</loc></sitemap>" % n for n in range(5)))


def test_sitemap_index_depth_and_count_limits():
    spider, outcomes = _sitemap_spider(SITEMAP_MAX_DEPTH=2, SITEMAP_MAX_COUNT=3)
    requests = _parse_sitemap(spider, INDEX, depth=1)
    assert [r.meta["sitemap_depth"] for r in requests] == [2, 2, 2]
    skipped = [(url, reason) for url, outcome, reason in outcomes if outcome == Outcome.SKIPPED]
    assert [url for url, _ in skipped] == ["https://x.example/s-3.xml", "https://x.example/s-4.xml"]
    assert "SITEMAP_MAX_COUNT (3)" in skipped[0][1]
    spider, outcomes = _sitemap_spider(SITEMAP_MAX_DEPTH=2)
    assert _parse_sitemap(spider, INDEX, depth=2) == []
    assert all(o == Outcome.SKIPPED and "SITEMAP_MAX_DEPTH (2)" in r for _, o, r in outcomes[1:])


def test_partial_sitemap_is_recorded_as_partial():
    spider, outcomes = _sitemap_spider()
    requests = _parse_sitemap(spider, INDEX[:-40])
    assert outcomes[0][1] == Outcome.SITEMAP and outcomes[0][2].startswith("partial: ")
    assert len(requests) == 4  # the cut last entry left out


def test_a_hung_extraction_times_out_and_a_queued_one_waits():
    from concurrent.futures import Future

    from spiders.news import _result_of

    hung = Future()
    hung.set_running_or_notify_cancel()
    with pytest.raises(TimeoutError):
        asyncio.run(_result_of(hung, 0.1))

    async def answered_later():
        queued = Future()  # not running: waiting for a free worker costs nothing however long it lasts
        asyncio.get_running_loop().call_later(1.5, queued.set_result, "article")
        return await _result_of(queued, 0.1)

    assert asyncio.run(answered_later()) == "article"


@pytest.mark.integration
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux's")
def test_extraction_workers_die_with_a_killed_crawler():
    script = (
        "import os, sys\n"
        "from crawler.workers import extraction_pool\n"
        "if __name__ == '__main__':\n"
        "    pool = extraction_pool(2)\n"
        "    print(sorted({pool.submit(os.getpid).result() for _ in range(8)}), flush=True)\n"
        "    sys.stdin.read()\n"
    )
    crawler = subprocess.Popen([sys.executable, "-c", script], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                               text=True)
    try:
        workers = json.loads(crawler.stdout.readline())
        processes = descendants(crawler.pid)
        assert set(workers) <= processes
    finally:
        crawler.kill()
        crawler.wait()
    deadline = time.monotonic() + 20
    while any(running(pid) for pid in processes) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not [pid for pid in processes if running(pid)], "orphan processes left by a killed crawler"


def test_a_run_left_running_by_a_killed_crawler_is_marked_killed(tmp_path):
    store = ArchiveStore(f"sqlite:///{tmp_path / 'a.db'}")
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    killed_lock = RunLock(store.engine, "baonghean")
    killed_lock._take()
    with store.engine.begin() as connection:  # the lock of a process that is gone, as kill -9 leaves it
        connection.execute(update(RunLockRow).values(pid=dead.pid))
    left_running = store.start_run("baonghean", {})
    other_site = store.start_run("vnexpress", {})
    with RunLock(store.engine, "baonghean").acquire(), store.engine.connect() as connection:
        runs = {row.id: row for row in connection.execute(select(CrawlRun))}
    assert runs[left_running].status == RunStatus.KILLED
    assert "died without closing the run" in runs[left_running].stats[KILLED_STAT]
    assert runs[left_running].finished_at is not None
    assert runs[other_site].status == RunStatus.RUNNING
    store.close()


VIETNAMESE = "Người dân Nghệ An đón mưa lớn sau nhiều ngày nắng nóng kéo dài trên khắp các huyện miền núi. " * 4


def test_damaged_utf8_costs_only_the_damaged_characters():
    page = f"<html lang=vi><body><p>{VIETNAMESE}</p></body></html>".encode()
    invalid_run = page.replace("mưa".encode(), b"m\xff\xfe\xfda", 1)
    assert "m\ufffd\ufffd\ufffda" in decode_html(invalid_run, "utf-8")
    assert "Người dân" in decode_html(invalid_run, "utf-8")  # not misread as windows-1258
    cut = f"<html><p>{VIETNAMESE}ệ".encode()[:-1]
    assert decode_html(cut, None).endswith("\ufffd") and "Nghệ An" in decode_html(cut, None)
    with_nul = page.replace(b"<p>", b"<p>\x00", 1)
    assert "\x00" not in decode_html(with_nul, "utf-8") and "\ufffd" in decode_html(with_nul, "utf-8")
    latin1 = "<html><p>Café, crème brûlée, déjà vu.</p></html>"
    assert decode_html(latin1.encode("latin-1"), "utf-8") == latin1  # a legacy page stays a legacy page
    assert decode_html(page, "no-such-codec") == page.decode()  # a charset no codec knows: read by what it is


def _article_page(title: str, heading: str, text: str) -> bytes:
    return (f"<html lang=vi><head><title>{title}</title><meta property='og:type' content='article'></head><body>"
            f"<article><h1>{heading}</h1><p>{text}</p><p>{text}</p></article></body></html>").encode()


@pytest.mark.parametrize(("title", "heading"), [
    ("404 Not Found", "404 Not Found"),
    ("Báo Nghệ An", "Không tìm thấy trang bạn yêu cầu"),
    ("Oops", "This page doesn't exist"),
])
def test_soft_404_pages_are_not_articles(title, heading):
    text = "Trang bạn tìm có thể đã bị xóa hoặc chuyển sang địa chỉ khác. Mời bạn quay lại trang chủ để đọc tin."
    with pytest.raises(NotAnArticle, match="soft 404"):
        extract_article(_article_page(title, heading, text), "https://x.vn/a-1.html")


def test_an_article_page_with_damage_is_still_an_article():
    page = _article_page("Mưa lớn ở Nghệ An", "Mưa lớn ở Nghệ An", VIETNAMESE)
    damaged = page.replace("kéo".encode(), b"k\xc3\x00o", 1)[:-3]
    article = extract_article(damaged, "https://x.vn/a-1.html", encoding="utf-8")
    assert "Người dân Nghệ An" in article.text


@pytest.mark.integration
def test_hostile_inputs_are_each_recorded_with_their_reason(tmp_path):
    with HostileSite() as site:
        database = tmp_path / "archive.db"
        run_newsarchive("crawl", "--sitemap", f"{site.base}/sitemap.xml", "--db", f"sqlite:///{database}",
                        "--warc-dir", str(tmp_path / "warc"), "--allow-private", "-s", "AUTOTHROTTLE_ENABLED=false",
                        "-s", "LOG_LEVEL=WARNING", cwd=tmp_path)
        assert site.hits["/tin/a-busy.html"] == 2  # the 429 was retried once, after its Retry-After
        assert site.hits[LONG_PATH] == 0
    store = ArchiveStore(f"sqlite:///{database}", create=False)
    with store.engine.connect() as connection:
        captures = connection.execute(select(CaptureRow.url, CaptureRow.outcome, CaptureRow.reason,
                                             CaptureRow.warc_file)).all()
    store.close()
    latest = {row.url.removeprefix(site.base): row for row in captures}
    for path, (outcome, reason) in EXPECTED.items():
        assert latest[path].outcome == outcome, (path, latest[path])
        assert reason in (latest[path].reason or ""), (path, latest[path])
    assert latest["/tin/a-cut-gzip.html"].warc_file  # the damaged response is archived as received
    assert latest[LONG_PATH].warc_file is None


def test_cut_or_corrupt_encoded_bodies_are_damaged():
    import gzip
    import zlib

    from crawler.damaged import encoded_body_problem

    body = gzip.compress(b"<html>" + b"x" * 5000 + b"</html>")
    assert encoded_body_problem(body, b"gzip") is None
    assert "cut before its end" in encoded_body_problem(body[: len(body) // 2], b"gzip")
    assert "corrupt gzip" in encoded_body_problem(b"\x1f\x8b\x08\x00garbage-garbage", b"gzip")
    assert encoded_body_problem(zlib.compress(b"<html></html>"), b"deflate") is None
    assert encoded_body_problem(body[:20], b"br") is None  # not checked: Scrapy's own decoder reports it


def test_an_encoded_body_is_decoded_without_a_charset_guessed_from_its_compressed_bytes(monkeypatch):
    # An ".html" URL, a gzip body, no charset named: Scrapy makes it an HtmlResponse of compressed bytes, and
    # HttpCompressionMiddleware, replacing it, would have charset_normalizer read the gzip stream for a charset.
    import gzip

    import scrapy.http.response.text
    from scrapy.downloadermiddlewares.httpcompression import HttpCompressionMiddleware
    from scrapy.http import HtmlResponse

    from crawler.damaged import DamagedBodyMiddleware

    guessed: list[bytes] = []
    detect = scrapy.http.response.text.from_bytes
    monkeypatch.setattr(scrapy.http.response.text, "from_bytes", lambda body: guessed.append(body) or detect(body))
    page = "<html><body><p>Nghệ An: mưa lớn kéo dài</p></body></html>".encode()
    request = Request("https://x.vn/tin/a-1.html")
    received = HtmlResponse(request.url, headers={"Content-Type": "text/html", "Content-Encoding": "gzip"},
                            body=gzip.compress(page), request=request, ip_address=None, protocol="HTTP/1.1")
    crawler = get_crawler(settings_dict={"COMPRESSION_ENABLED": True})
    as_received = DamagedBodyMiddleware.from_crawler(crawler).process_response(request, received)
    assert type(as_received) is Response and as_received.body == received.body
    assert (as_received.url, as_received.headers, as_received.request, as_received.protocol) == (
        received.url, received.headers, request, "HTTP/1.1")
    decoded = HttpCompressionMiddleware.from_crawler(crawler).process_response(request, as_received)
    assert type(decoded) is HtmlResponse and decoded.body == page
    assert "Nghệ An: mưa lớn" in decoded.text
    assert all(not body.startswith(b"\x1f\x8b") for body in guessed)  # never the compressed bytes
    # Without Scrapy's decoding above it, the response is left as it came.
    off = get_crawler(settings_dict={"COMPRESSION_ENABLED": False})
    assert DamagedBodyMiddleware.from_crawler(off).process_response(request, received) is received
