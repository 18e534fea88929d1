"""The WARC recorder and metadata pipeline in real Scrapy crawls of a small local HTTP server.

Crawls run in a subprocess (a fresh reactor each time). The server serves a gzip-encoded page, a chunked page,
a redirect, a 404, a 304 and two URLs with identical bytes; the archive is then read back with warcio (and its
`check`/`index` commands) and with fastwarc.
"""

from __future__ import annotations

import asyncio
import gzip
import http.client
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from conftest import run_newsarchive
from fastwarc.warc import ArchiveIterator as FastArchiveIterator
from scrapy import Request, Spider
from scrapy.http import HtmlResponse, TextResponse
from scrapy.utils.test import get_crawler
from w3lib.encoding import http_content_type_encoding
from warcio.archiveiterator import ArchiveIterator

from archive.digests import payload_digest
from archive.importer import iter_archived_responses
from archive.index import cdxj_path_for, parse_cdxj_line
from archive.records import Capture, WarcPointer
from archive.replay import PywbReplay, PywbUnavailable
from archive.revisits import read_record
from archive.store import ArchiveStore
from archive.warc import IDENTICAL_PAYLOAD_PROFILE, SERVER_NOT_MODIFIED_PROFILE, metadata_uri
from archive.warcread import load_record
from crawler.extract import extract_article
from crawler.newsroom import Newsroom
from crawler.recorder import WarcRecorderMiddleware, host_header, request_target, sent_request_headers
from crawler.settings import ADDONS
from crawler.signals import capture_recorded

ROOT = Path(__file__).resolve().parents[1]
GZIP_HTML = "<html><head><title>Gzip bài</title></head><body><p>Nén gzip.</p></body></html>".encode()
DUPLICATE = b"<html><body><p>identical bytes served at two URLs</p></body></html>"
CHUNKS = [b"<html><body>", b"<p>chunked part one</p>", b"<p>chunked part two</p>", b"</body></html>"]
INDEX = b"""<html><body>
<a href="/article/gz?x=1&y=2">gz</a> <a href="/article/chunked">chunked</a> <a href="/old">redirect</a>
<a href="/missing">404</a> <a href="/article/dup1">d1</a> <a href="/article/dup2">d2</a>
<a href="/not-modified">304</a>
</body></html>"""


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: object) -> None:
        pass

    def _send(self, status: int, body: bytes, headers: list[tuple[str, str]] = ()) -> None:
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        html = ("Content-Type", "text/html; charset=utf-8")
        path = self.path
        if path == "/robots.txt":
            self._send(200, b"User-agent: *\nDisallow: /private\n", [("Content-Type", "text/plain")])
        elif path == "/":
            self._send(200, INDEX, [html])
        elif path == "/article/gz?x=1&y=2":
            body = gzip.compress(GZIP_HTML, mtime=0)
            self._send(200, body, [html, ("Content-Encoding", "gzip"), ("Set-Cookie", "a=1"), ("Set-Cookie", "b=2")])
        elif path == "/article/chunked":
            self.send_response(200)
            self.send_header(*html)
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            for chunk in CHUNKS:
                self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            self.wfile.write(b"0\r\n\r\n")
        elif path == "/old":
            self._send(301, b"", [("Location", "/article/moved")])
        elif path == "/article/moved":
            self._send(200, b"<html><body><p>moved here</p></body></html>", [html])
        elif path in ("/article/dup1", "/article/dup2"):
            self._send(200, DUPLICATE, [html])
        elif path == "/not-modified":
            self.send_response(304)
            self.send_header("ETag", '"v1"')
            self.end_headers()
        elif path.startswith("/chain/"):
            # An endless chain of pages, for the kill test.
            number = int(path.rsplit("/", 1)[1])
            body = f'<html><body><p>{"page " * 200}{number}</p><a href="/chain/{number + 1}">next</a>'
            self._send(200, body.encode() + b"</body></html>", [html])
        else:
            self._send(404, b"<html><body>not found</body></html>", [html])


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


CRAWL_SCRIPT = r'''
import json, sys
from datetime import datetime
from archive.digests import DigestIndex
from scrapy import Spider, signals
from scrapy.crawler import CrawlerProcess
import crawler.signals as newsarchive_signals
from archive.records import Article

start, warc_dir, captures_path, extra_settings = sys.argv[1], sys.argv[2], sys.argv[3], json.loads(sys.argv[4])


class CaptureLog:
    """Writes every capture_recorded signal to a JSON-lines file."""

    def __init__(self, crawler):
        self.handle = open(captures_path, "a", encoding="utf-8")
        crawler.signals.connect(self.recorded, signal=newsarchive_signals.capture_recorded)

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def recorded(self, capture):
        record = {"url": capture.url, "status": capture.status, "record_type": capture.record_type,
                  "content_type": capture.content_type, "fetched_at": capture.fetched_at.isoformat(),
                  "warc": vars(capture.warc), "truncated": capture.truncated}
        self.handle.write(json.dumps(record) + "\n")
        self.handle.flush()


def earlier_payloads(crawler):
    """WARC_DIGEST_LOOKUP: payloads an earlier run archived elsewhere, as the SQL store would know them."""
    return DigestIndex((digest, uri, datetime.fromisoformat(date), record_id)
                       for digest, uri, date, record_id in crawler.settings.getlist("TEST_EARLIER_PAYLOADS"))


class TestSpider(Spider):
    name = "test"
    start_urls = [start]
    custom_settings = {"HTTPERROR_ALLOW_ALL": True}

    def parse(self, response):
        if "/article/" in response.url:
            yield Article(url=response.url, title=response.css("title::text").get() or "",
                          text=" ".join(response.css("p::text").getall()), warc=response.meta.get("warc"))
        if response.status == 200 and b"html" in response.headers.get("Content-Type", b""):
            yield from response.follow_all(css="a")


process = CrawlerProcess({
    "WARC_DIR": warc_dir,
    "WARC_OPERATOR": "tests",
    "USER_AGENT": "newsarchive-test/1.0",
    "ROBOTSTXT_OBEY": True,
    "ADDONS": {"crawler.addon.Newsarchive": 0},
    # the WARC side alone: the recorder and the metadata pipeline, on a test server of 127.0.0.1
    "SQL_ENABLED": False,
    "DEDUP_ENABLED": False,
    "CONDITIONAL_REQUESTS_ENABLED": False,
    "ALLOW_PRIVATE_ADDRESSES": True,
    "EXTENSIONS": {CaptureLog: 0},
    "CONCURRENT_REQUESTS": 4,
    "LOG_LEVEL": "WARNING",
    "TELNETCONSOLE_ENABLED": False,
    "TWISTED_REACTOR": "twisted.internet.asyncioreactor.AsyncioSelectorReactor",
    **extra_settings,
})
process.crawl(TestSpider)
process.start()
'''


def crawl_command(tmp_path: Path, start: str, warc_dir: Path, **settings: object) -> list[str]:
    script = tmp_path / "crawl.py"
    script.write_text(CRAWL_SCRIPT, encoding="utf-8")
    captures = str(tmp_path / "captures.jsonl")
    return [sys.executable, str(script), start, str(warc_dir), captures, json.dumps(settings)]


def crawl_env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(ROOT)}


def run_crawl(tmp_path: Path, start: str, warc_dir: Path, **settings: object) -> list[dict]:
    captures_path = tmp_path / "captures.jsonl"
    captures_path.unlink(missing_ok=True)
    done = subprocess.run(
        crawl_command(tmp_path, start + "/", warc_dir, **settings),
        cwd=tmp_path,
        env=crawl_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    own_errors = [
        line for line in done.stderr.splitlines() if ("[archive." in line or "[pipelines." in line) and "ERROR" in line
    ]
    assert not own_errors, done.stderr
    return [json.loads(line) for line in captures_path.read_text(encoding="utf-8").splitlines()]


def records_of(path: Path) -> list:
    with open(path, "rb") as handle:
        return [
            (record.rec_headers, record.http_headers, record.raw_stream.read()) for record in ArchiveIterator(handle)
        ]


@pytest.fixture(scope="module")
def crawl(server: str, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[dict], list]:
    tmp_path = tmp_path_factory.mktemp("crawl")
    warc_dir = tmp_path / "warc"
    captures = run_crawl(tmp_path, server, warc_dir)
    [warc] = sorted(warc_dir.glob("*.warc.gz"))
    return warc_dir, captures, records_of(warc)


def by_type(records: list, record_type: str) -> list:
    return [r for r in records if r[0].get_header("WARC-Type") == record_type]


def target(record: tuple) -> str:
    return record[0].get_header("WARC-Target-URI")


@pytest.mark.integration
def test_files_are_finished_named_and_indexed(crawl: tuple) -> None:
    warc_dir, _, records = crawl
    [warc] = sorted(warc_dir.glob("*.warc.gz"))
    assert not list(warc_dir.glob("*.open"))
    prefix, timestamp, serial, host_and_pid = warc.name.removesuffix(".warc.gz").split("-", 3)
    assert prefix == "newsarchive" and len(timestamp) == 17 and timestamp.isdigit() and serial == "00000"
    assert host_and_pid.rsplit("-", 1)[1].isdigit()
    warcinfo = records[0]
    assert warcinfo[0].get_header("WARC-Type") == "warcinfo"
    fields = warcinfo[2].decode()
    for line in ("operator: tests", "robots: classic", "http-header-user-agent: newsarchive-test/1.0", "conformsTo: ",
                 "format: WARC File Format 1.1", "isPartOf: test", "description: newsarchive crawl of test",
                 "software: newsarchive/0.1 (Scrapy/", ", warcio/", ", trafilatura/", "hostname: "):
        assert line in fields
    lines = [parse_cdxj_line(line) for line in cdxj_path_for(warc).read_text().splitlines()]
    assert lines == sorted(lines, key=lambda line: (line[0], line[1]))
    assert {fields["url"] for _, _, fields in lines} >= {r["url"] for r in crawl[1]}


@pytest.mark.integration
def test_warcio_check_index_and_fastwarc_agree(crawl: tuple) -> None:
    warc_dir, _, records = crawl
    [warc] = sorted(warc_dir.glob("*.warc.gz"))
    warcio = Path(sys.executable).with_name("warcio")
    checked = subprocess.run([warcio, "check", "-v", warc], capture_output=True, text=True)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "digest fail" not in checked.stdout
    indexed = subprocess.run([warcio, "index", warc], capture_output=True, text=True, check=True)
    assert len(indexed.stdout.splitlines()) == len(records)
    with open(warc, "rb") as handle:
        fast = [
            (str(record.record_type).rsplit(".", 1)[-1], record.headers["WARC-Record-ID"], record.verify_block_digest())
            for record in FastArchiveIterator(handle, parse_http=False)
        ]
    assert [record_id for _, record_id, _ in fast] == [r[0].get_header("WARC-Record-ID") for r in records]
    assert all(valid for _, _, valid in fast)


@pytest.mark.integration
def test_gzip_response_is_stored_as_received(crawl: tuple, server: str) -> None:
    _, _, records = crawl
    [response] = [r for r in by_type(records, "response") if target(r) == f"{server}/article/gz?x=1&y=2"]
    warc_headers, http_headers, raw = response
    assert raw == gzip.compress(GZIP_HTML, mtime=0)
    assert http_headers.statusline == "200 OK" and http_headers.protocol == "HTTP/1.1"
    assert http_headers.get_header("Content-Encoding") == "gzip"
    assert [v for k, v in http_headers.headers if k.lower() == "set-cookie"] == ["a=1", "b=2"]
    assert warc_headers.get_header("WARC-IP-Address") == "127.0.0.1"
    assert warc_headers.get_header("WARC-Payload-Digest") == payload_digest(raw)
    [request] = [r for r in by_type(records, "request") if target(r) == target(response)]
    assert request[0].get_header("WARC-Concurrent-To") == warc_headers.get_header("WARC-Record-ID")
    assert request[0].get_header("WARC-Date") == warc_headers.get_header("WARC-Date")
    assert request[1].protocol == "GET" and request[1].statusline == "/article/gz?x=1&y=2 HTTP/1.1"
    assert request[1].get_header("User-Agent") == "newsarchive-test/1.0"
    assert "gzip" in request[1].get_header("Accept-Encoding")
    assert request[1].get_header("Host") == server.removeprefix("http://")


@pytest.mark.integration
def test_chunked_response_keeps_its_framing(crawl: tuple, server: str) -> None:
    _, _, records = crawl
    [response] = [r for r in by_type(records, "response") if target(r) == f"{server}/article/chunked"]
    assert response[2] == b"".join(b"%x\r\n%s\r\n" % (len(chunk), chunk) for chunk in CHUNKS) + b"0\r\n\r\n"
    assert response[1].get_header("Transfer-Encoding") == "chunked"
    assert response[1].get_header("Content-Length") is None
    assert response[0].get_header("WARC-Payload-Digest") == payload_digest(response[2])


@pytest.mark.integration
def test_redirect_404_and_304_are_recorded(crawl: tuple, server: str) -> None:
    _, _, records = crawl
    statuses = {target(r): r[1].statusline for r in records if r[0].get_header("WARC-Type") in ("response", "revisit")}
    assert statuses[f"{server}/old"] == "301 Moved Permanently"
    assert statuses[f"{server}/article/moved"] == "200 OK"
    assert statuses[f"{server}/missing"] == "404 Not Found"
    assert statuses[f"{server}/robots.txt"] == "200 OK"
    [not_modified] = [r for r in by_type(records, "revisit") if target(r) == f"{server}/not-modified"]
    assert not_modified[0].get_header("WARC-Profile") == SERVER_NOT_MODIFIED_PROFILE
    assert not_modified[1].statusline == "304 Not Modified"


@pytest.mark.integration
def test_identical_payload_becomes_revisit(crawl: tuple, server: str) -> None:
    _, _, records = crawl
    dups = {f"{server}/article/dup1", f"{server}/article/dup2"}
    [original] = [r for r in by_type(records, "response") if target(r) in dups]
    [revisit] = [r for r in by_type(records, "revisit") if target(r) in dups]
    headers = revisit[0]
    assert headers.get_header("WARC-Profile") == IDENTICAL_PAYLOAD_PROFILE
    assert headers.get_header("WARC-Refers-To") == original[0].get_header("WARC-Record-ID")
    assert headers.get_header("WARC-Refers-To-Target-URI") == target(original)
    assert headers.get_header("WARC-Refers-To-Date") == original[0].get_header("WARC-Date")
    assert headers.get_header("WARC-Payload-Digest") == payload_digest(DUPLICATE)
    assert revisit[2] == b""


@pytest.mark.integration
def test_captures_and_pointers_resolve(crawl: tuple, server: str) -> None:
    warc_dir, captures, _ = crawl
    urls = {c["url"] for c in captures}
    assert {f"{server}/robots.txt", f"{server}/", f"{server}/old", f"{server}/missing"} <= urls
    for capture in captures:
        pointer = WarcPointer(**capture["warc"])
        stored = load_record(warc_dir, pointer)
        assert stored.record_type == capture["record_type"]
        assert stored.warc_headers.get_header("WARC-Target-URI") == capture["url"]
        assert stored.http_headers.statusline.startswith(str(capture["status"]))
        if capture["record_type"] == "response":
            assert payload_digest(stored.payload) == pointer.payload_digest


@pytest.mark.integration
def test_metadata_record_per_article(crawl: tuple, server: str) -> None:
    _, _, records = crawl
    metadata = by_type(records, "metadata")
    articles = {json.loads(m[2])["url"]: m for m in metadata}
    assert set(articles) == {
        f"{server}/article/gz?x=1&y=2",
        f"{server}/article/chunked",
        f"{server}/article/moved",
        f"{server}/article/dup1",
        f"{server}/article/dup2",
    }
    ids = {r[0].get_header("WARC-Record-ID"): r for r in records}
    for url, record in articles.items():
        assert record[0].get_header("Content-Type") == "application/json"
        refers_to = ids[record[0].get_header("WARC-Refers-To")]
        assert target(refers_to) == url and target(record) == metadata_uri(url)  # never the page's own URL
        assert json.loads(record[2])["warc"]["record_id"] == refers_to[0].get_header("WARC-Record-ID")
    assert json.loads(articles[f"{server}/article/gz?x=1&y=2"][2])["title"] == "Gzip bài"


@pytest.mark.integration
def test_second_run_revisits_payloads_of_the_first(crawl: tuple, server: str, tmp_path: Path) -> None:
    warc_dir = tmp_path / "warc"
    warc_dir.mkdir()
    [first] = sorted(crawl[0].glob("*.warc.gz"))
    (warc_dir / first.name).write_bytes(first.read_bytes())  # no CDXJ: the recorder indexes it first
    captures = run_crawl(tmp_path, server, warc_dir)
    by_url = {c["url"]: c for c in captures}
    assert by_url[f"{server}/article/dup1"]["record_type"] == "revisit"
    assert by_url[f"{server}/article/dup2"]["record_type"] == "revisit"
    assert by_url[f"{server}/article/gz?x=1&y=2"]["record_type"] == "revisit"
    assert cdxj_path_for(warc_dir / first.name).exists()
    [second] = [p for p in warc_dir.glob("*.warc.gz") if p.name != first.name]
    first_ids = {r[0].get_header("WARC-Record-ID") for r in records_of(first)}
    revisits = [r for r in by_type(records_of(second), "revisit") if r[0].get_header("WARC-Refers-To")]
    assert revisits and all(r[0].get_header("WARC-Refers-To") in first_ids for r in revisits)


@pytest.mark.integration
def test_killed_crawl_leaves_readable_open_file(server: str, tmp_path: Path) -> None:
    warc_dir = tmp_path / "warc"
    crawler = subprocess.Popen(
        crawl_command(tmp_path, f"{server}/chain/0", warc_dir),
        cwd=tmp_path,
        env=crawl_env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    captures_path = tmp_path / "captures.jsonl"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if captures_path.exists() and len(captures_path.read_text().splitlines()) >= 12:
            break
        time.sleep(0.05)
    os.kill(crawler.pid, signal.SIGKILL)
    crawler.wait()
    [open_file] = list(warc_dir.glob("*.warc.gz.open"))
    captured = [json.loads(line) for line in captures_path.read_text().splitlines()]
    assert len(captured) >= 12
    with open(open_file, "rb") as handle:
        ids = [record.rec_headers.get_header("WARC-Record-ID") for record in ArchiveIterator(handle)]
    assert {c["warc"]["record_id"] for c in captured} <= set(ids)
    for capture in captured:
        assert load_record(warc_dir, WarcPointer(**capture["warc"])).record_type == "response"

    # The next run finishes the abandoned file (so its records seed revisits) before it writes its own.
    run_crawl(tmp_path, server + "/", warc_dir)
    assert not list(warc_dir.glob("*.open"))
    finished = warc_dir / open_file.name.removesuffix(".open")
    assert cdxj_path_for(finished).exists()
    with open(finished, "rb") as handle:
        assert [r.rec_headers.get_header("WARC-Record-ID") for r in ArchiveIterator(handle)] == ids


def start_pywb(warc_dir: Path) -> PywbReplay:
    """pywb over `warc_dir`; without a package index to install pywb from the test skips, except under CI."""
    try:
        return PywbReplay(warc_dir).start()
    except PywbUnavailable as error:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"pywb replay must run in CI: {error}")
        pytest.skip(str(error))


@pytest.fixture(scope="module")
def replay(crawl: tuple) -> Iterator[PywbReplay]:
    server = start_pywb(crawl[0])
    yield server
    server.stop()


def replayed(replay: PywbReplay, url: str) -> tuple[int, bytes]:
    """Status and body pywb answers for the capture of `url` (redirects not followed)."""
    address = urlsplit(replay.url_for(url))
    connection = http.client.HTTPConnection(address.hostname, address.port, timeout=30)
    try:
        connection.request("GET", address.path + (f"?{address.query}" if address.query else ""))
        answer = connection.getresponse()
        return answer.status, answer.read()
    finally:
        connection.close()


@pytest.mark.integration
def test_pywb_replays_the_captures(crawl: tuple, server: str, replay: PywbReplay) -> None:
    expected = {
        "/article/gz?x=1&y=2": (200, GZIP_HTML),
        "/article/chunked": (200, b"".join(CHUNKS)),
        "/article/dup1": (200, DUPLICATE),
        "/article/dup2": (200, DUPLICATE),
        "/article/moved": (200, b"<html><body><p>moved here</p></body></html>"),
        "/missing": (404, b"<html><body>not found</body></html>"),
    }
    for path, answer in expected.items():
        assert replayed(replay, server + path) == answer, path
    assert replayed(replay, server + "/old")[0] == 301


@pytest.mark.integration
def test_rotation_in_a_crawl_with_sha256(server: str, tmp_path: Path) -> None:
    warc_dir = tmp_path / "warc"
    captures = run_crawl(tmp_path, server, warc_dir, WARC_MAX_SIZE=2500, WARC_DIGEST="sha256", WARC_PREFIX="rot")
    files = sorted(warc_dir.glob("rot-*.warc.gz"))
    assert len(files) >= 3 and not list(warc_dir.glob("*.open"))
    assert [int(path.name.split("-")[2]) for path in files] == list(range(len(files)))
    assert all(cdxj_path_for(path).exists() for path in files)
    ids = {}
    for path in files:
        records = records_of(path)
        assert records[0][0].get_header("WARC-Type") == "warcinfo"
        ids.update({r[0].get_header("WARC-Record-ID"): r for r in records})
    for capture in captures:
        pointer = WarcPointer(**capture["warc"])
        if capture["status"] == 304:  # a server-not-modified revisit has no payload of its own
            assert pointer.payload_digest is None
        else:
            assert pointer.payload_digest.startswith("sha256:")
        assert load_record(warc_dir, pointer).record_id in ids
    metadata = [r for r in ids.values() if r[0].get_header("WARC-Type") == "metadata"]
    assert len(metadata) == 5 and all(r[0].get_header("WARC-Refers-To") in ids for r in metadata)


# --- the project's own crawl of the newsroom site -------------------------------------------------------------------


# `newsroom_crawl` (conftest.py): the session's one `newsarchive crawl --sitemap` of the newsroom, read only.


@pytest.mark.integration
def test_newsroom_archive_is_valid_for_warcio_and_fastwarc(newsroom_crawl) -> None:
    warc_dir, store = newsroom_crawl.warc_dir, newsroom_crawl.store
    files = sorted(warc_dir.glob("*.warc.gz"))
    assert files and not list(warc_dir.glob("*.open"))
    assert {article.warc.file for article in store.iter_articles()} <= {path.name for path in files}
    warcio = Path(sys.executable).with_name("warcio")
    for path in files:
        checked = subprocess.run([warcio, "check", path], capture_output=True, text=True)
        assert checked.returncode == 0, checked.stdout + checked.stderr
        records = records_of(path)
        with open(path, "rb") as handle:
            fast = [
                (r.headers["WARC-Record-ID"], r.verify_block_digest())
                for r in FastArchiveIterator(handle, parse_http=False)
            ]
        assert [record_id for record_id, _ in fast] == [r[0].get_header("WARC-Record-ID") for r in records]
        assert all(valid for _, valid in fast)
    gzipped = [
        r
        for path in files
        for r in by_type(records_of(path), "response")
        if r[1].get_header("Content-Encoding") == "gzip"
    ]
    assert gzipped and all(r[2][:2] == b"\x1f\x8b" for r in gzipped)


@pytest.mark.integration
def test_a_standard_indexer_serves_the_page_for_every_article_url_never_its_metadata(newsroom_crawl) -> None:
    """pywb and `cdxj-indexer` key records by WARC-Target-URI: the article URL must lead to the page only."""
    files = sorted(newsroom_crawl.warc_dir.glob("*.warc.gz"))
    indexer = Path(sys.executable).with_name("cdxj-indexer")
    lines = subprocess.run([indexer, *map(str, files)], capture_output=True, text=True, check=True).stdout
    entries = [json.loads(line.split(" ", 2)[2]) for line in lines.splitlines() if line.strip()]
    articles = list(newsroom_crawl.store.iter_articles())
    assert len(articles) == len(newsroom_crawl.newsroom.stories)
    for article in articles:
        served = [e for e in entries if e["url"] == article.url]
        assert served and {e["mime"] for e in served} <= {"text/html", "warc/revisit"}, article.url
        assert [e for e in entries if e["url"] == metadata_uri(article.url)]  # the extracted record is still there
    assert not [e for e in entries if e.get("mime") == "application/json" and not e["url"].startswith("urn:")]


@pytest.mark.integration
def test_newsroom_article_pointers_resolve(newsroom_crawl) -> None:
    warc_dir, store = newsroom_crawl.warc_dir, newsroom_crawl.store
    articles = list(store.iter_articles())
    assert len(articles) == len(newsroom_crawl.newsroom.stories)
    for article in articles:
        stored = load_record(warc_dir, article.warc)
        assert stored.record_type in ("response", "revisit")
        assert stored.warc_headers.get_header("WARC-Payload-Digest") == article.warc.payload_digest
        if stored.record_type == "response":
            assert payload_digest(stored.payload) == article.warc.payload_digest
        assert read_record(warc_dir, article.warc).startswith(b"HTTP/1.1 200 ")


@pytest.mark.integration
def test_newsroom_reextraction_reproduces_the_articles(newsroom_crawl) -> None:
    warc_dir, store = newsroom_crawl.warc_dir, newsroom_crawl.store
    articles = {article.warc.record_id: article for article in store.iter_articles()}
    assert len(articles) == len(newsroom_crawl.newsroom.stories)
    reproduced = 0
    for response in iter_archived_responses(warc_dir):
        article = articles.get(response.pointer.record_id)
        if article is None:
            continue
        encoding = http_content_type_encoding(response.content_type or "")
        again = extract_article(response.body, response.url, encoding=encoding, fetched_at=response.date)
        for field in ("title", "lead", "text", "section", "captions", "authors", "published_at"):
            assert getattr(again, field) == getattr(article, field), (response.url, field)
        reproduced += 1
    assert reproduced == len(articles)


@pytest.mark.integration
def test_pywb_replays_every_newsroom_article(newsroom_crawl) -> None:
    newsroom: Newsroom = newsroom_crawl.newsroom
    base_url, warc_dir, store = newsroom_crawl.base_url, newsroom_crawl.warc_dir, newsroom_crawl.store
    articles = list(store.iter_articles())
    assert len(articles) == len(newsroom.stories)
    replay = start_pywb(warc_dir)
    try:
        for article in articles:
            url = load_record(warc_dir, article.warc).warc_headers.get_header("WARC-Target-URI")
            original = newsroom.handle("GET", url.removeprefix(base_url), {}, base_url)
            assert replayed(replay, url) == (200, original.body), url
    finally:
        replay.stop()


@pytest.mark.integration
def test_revisit_index_asks_a_lookup_of_another_archive(server: str, tmp_path: Path) -> None:
    earlier = [payload_digest(DUPLICATE), "http://elsewhere.example/dup", "2026-01-02T03:04:05+00:00", "<urn:uuid:e>"]
    captures = run_crawl(
        tmp_path,
        server,
        tmp_path / "warc",
        WARC_DIGEST_LOOKUP="__main__.earlier_payloads",
        TEST_EARLIER_PAYLOADS=[earlier],
    )
    for path in ("/article/dup1", "/article/dup2"):
        [capture] = [c for c in captures if c["url"] == server + path]
        assert capture["record_type"] == "revisit"
        headers = load_record(tmp_path / "warc", WarcPointer(**capture["warc"])).warc_headers
        assert headers.get_header("WARC-Refers-To") == "<urn:uuid:e>"
        assert headers.get_header("WARC-Refers-To-Target-URI") == "http://elsewhere.example/dup"
        assert headers.get_header("WARC-Refers-To-Date") == "2026-01-02T03:04:05Z"


@pytest.mark.integration
def test_newsroom_export_as_wacz_validates(newsroom_crawl, tmp_path: Path) -> None:
    warc_dir, store = newsroom_crawl.warc_dir, newsroom_crawl.store
    out = tmp_path / "newsroom.wacz"
    run_newsarchive(
        "export", "--db", store.engine.url.render_as_string(False), "--format", "wacz", "-o", str(out),
        "--warc-dir", str(warc_dir), cwd=tmp_path, timeout=120,
    )
    validated = subprocess.run(
        [Path(sys.executable).with_name("wacz"), "validate", "-f", out], capture_output=True, text=True
    )
    assert validated.returncode == 0, validated.stdout + validated.stderr
    articles = {a.warc.record_id for a in store.iter_articles()}
    packaged = {r.pointer.record_id for r in iter_archived_responses(out)}
    assert len(articles) == len(newsroom_crawl.newsroom.stories)
    assert articles <= packaged


# --- the middleware alone, without a crawl ----------------------------------------------------------------------------


@pytest.fixture
def middleware(tmp_path: Path) -> Iterator[WarcRecorderMiddleware]:
    crawler = get_crawler(Spider, {"ADDONS": ADDONS, "WARC_DIR": str(tmp_path), "USER_AGENT": "unit"})
    recorder = WarcRecorderMiddleware.from_crawler(crawler)
    yield recorder
    recorder.writer.close()


def test_request_line_and_host_as_sent() -> None:
    request = Request("http://example.com:80/a;p?q=1#frag", headers={"Cookie": ["a=1", "b=2"]})
    assert request_target(request) == "/a;p?q=1"
    assert host_header(request) == b"example.com"
    assert host_header(Request("https://user@example.com:8443/")) == b"example.com:8443"
    proxied = Request("http://example.com/x?y", meta={"proxy": "http://proxy:3128"})
    assert request_target(proxied) == "http://example.com/x?y"
    tunnelled = Request("https://example.com/x?y", meta={"proxy": "http://proxy:3128"})
    assert request_target(tunnelled) == "/x?y"
    headers = sent_request_headers(
        Request("http://example.com/", method="POST", body=b"k=v", headers={"Proxy-Authorization": "secret"})
    )
    assert headers[0] == (b"Host", b"example.com") and (b"Content-Length", b"3") in headers
    assert all(name.lower() != b"proxy-authorization" for name, _ in headers)


def test_middleware_records_and_signals(middleware: WarcRecorderMiddleware, tmp_path: Path) -> None:
    captures = []

    def recorded(capture: Capture) -> None:
        captures.append(capture)

    middleware.crawler.signals.connect(recorded, signal=capture_recorded)  # weakly held: `recorded` lives here
    request = Request("http://example.com/page#top", meta={"download_latency": 1.5})
    response = HtmlResponse(
        "http://example.com/page",
        status=200,
        body=b"<p>partial",
        flags=["dataloss"],
        headers={"Content-Type": "text/html", "ETag": '"v1"'},
        request=request,
    )
    assert asyncio.run(middleware.process_response(request, response)) is response
    pointer = request.meta["warc"]
    stored = load_record(tmp_path, pointer)
    assert stored.warc_headers.get_header("WARC-Target-URI") == "http://example.com/page"
    assert stored.warc_headers.get_header("WARC-Truncated") == "disconnect"
    assert stored.payload == b"<p>partial"
    [capture] = captures
    assert capture.warc == pointer and capture.etag == '"v1"' and capture.content_type == "text/html"
    assert capture.fetched_at == request.meta["warc_date"]
    assert timedelta(seconds=1) < datetime.now(UTC) - capture.fetched_at < timedelta(seconds=60)
    assert middleware.crawler.stats.get_value("warc/response_records") == 1


def test_middleware_skips_what_was_not_fetched_over_http(middleware: WarcRecorderMiddleware) -> None:
    data = Request("data:text/plain,hello")
    assert asyncio.run(middleware.process_response(data, TextResponse("data:text/plain,hello", body=b"hello")))
    cached = Request("http://example.com/")
    asyncio.run(middleware.process_response(cached, HtmlResponse("http://example.com/", body=b"x", flags=["cached"])))
    assert "warc" not in data.meta and "warc" not in cached.meta
    assert middleware.writer.current_path is None


@pytest.mark.integration
def test_import_warc_reproduces_the_crawled_articles(newsroom_crawl, tmp_path: Path) -> None:
    warc_dir, store = newsroom_crawl.warc_dir, newsroom_crawl.store
    database = f"sqlite:///{tmp_path / 'imported.db'}"
    run_newsarchive("import-warc", str(warc_dir), "--db", database, cwd=tmp_path, timeout=240)
    fields = (
        "url",
        "canonical_url",
        "site",
        "title",
        "lead",
        "text",
        "captions",
        "authors",
        "section",
        "published_at",
        "modified_at",
        "fetched_at",
        "content_hash",
        "duplicate_of",
        "warc",
    )

    def records(archive: ArchiveStore) -> dict[str, dict]:
        return {a.url: {f: getattr(a, f) for f in fields} for a in archive.iter_articles()}

    again = ArchiveStore(database)
    try:
        assert len(records(store)) == len(newsroom_crawl.newsroom.stories)
        assert records(again) == records(store)
    finally:
        again.close()
