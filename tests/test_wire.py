"""The WARC records hold the bytes as they crossed the connection (crawler/wiretap.py, archive/warc.py).

A raw asyncio server of the test on 127.0.0.1 writes exact bytes: an unusual reason phrase, mixed-case and repeated
headers, a gzip body in chunks with chunk extensions, an HTTP/1.0 answer without length, an interim 103, a 304,
bodies cut short, too large or too slow. It logs what it read and wrote for every request; the crawl goes through
the real crawler stack (the recorder tests' crawl script, and `newsarchive crawl` with its SQL store), and every
request and response record is compared byte for byte with the log.
"""

from __future__ import annotations

import asyncio
import gzip
import json
import re
import sqlite3
import ssl
import subprocess
import sys
import threading
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from conftest import run_newsarchive
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from fastwarc.warc import ArchiveIterator as FastArchiveIterator
from test_recorder import run_crawl
from warcio.archiveiterator import ArchiveIterator

from archive.digests import payload_digest
from archive.records import Capture, WarcPointer
from archive.store import ArchiveStore
from archive.warc import SERVER_NOT_MODIFIED_PROFILE, received_response, sent_request
from archive.warcread import load_record
from crawler.wiretap import Wire

TITLE = "Nén gzip, từng khúc"
GZIP_BODY = gzip.compress(f"<html><head><title>{TITLE}</title></head><body><p>Bài.</p></body></html>".encode(), mtime=0)
MAXSIZE = 20_000
TIMEOUT = 2


def html(text: str) -> bytes:
    return f"<html><head><title>{text}</title></head><body><p>{text}</p></body></html>".encode()


def with_length(head: bytes, body: bytes) -> bytes:
    return head + b"Content-Length: %d\r\n\r\n" % len(body) + body


def chunked(body: bytes, size: int, extension: bytes = b"") -> bytes:
    pieces = [body[i : i + size] for i in range(0, len(body), size)]
    return b"".join(b"%x%s\r\n%s\r\n" % (len(piece), extension, piece) for piece in pieces) + b"0\r\n\r\n"


FINE = with_length(
    b"HTTP/1.1 200 Fine Thanks\r\ncontent-type: text/html; charset=utf-8\r\nSet-Cookie: a=1; Path=/\r\n"
    b"ETag: \"abc\"\r\nX-Mixed-CASE: Yes\r\nSet-Cookie: b=2; Path=/\r\nLink: </a.css>; rel=preload\r\n"
    b"Link: </b.js>; rel=preload\r\n",
    html("fine thanks"),
)
CHUNKED_GZIP = (
    b"HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\nContent-Encoding: gzip\r\n"
    b"Transfer-Encoding: chunked\r\nVary: Accept-Encoding\r\n\r\n" + chunked(GZIP_BODY, 17, b";ext=1;q=\"x y\"")
)
HTTP10 = b"HTTP/1.0 200 OK\r\nContent-Type: text/html\r\nServer: old\r\n\r\n" + html("HTTP/1.0 until close")
EARLY_HINTS = b"HTTP/1.1 103 Early Hints\r\nLink: </a.css>; rel=preload\r\n\r\n"
HINTED = with_length(b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n", html("after a hint"))
NOT_MODIFIED = b"HTTP/1.1 304 Not Modified\r\nETag: \"c1\"\r\nCache-Control: max-age=60\r\n\r\n"
CONDITIONAL = with_length(b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nETag: \"c1\"\r\n", html("conditional"))
LONG = html("x" * 100_000)
CUT_HEAD = b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 5000\r\n\r\n"


@dataclass
class Exchange:
    """One request the server read and what it wrote back (`closed`: then it closed the connection)."""

    read: bytes
    written: bytes = b""


@dataclass
class RawServer:
    """An HTTP/1.1 server writing exact bytes, logging every exchange by path."""

    log: dict[str, list[Exchange]] = field(default_factory=lambda: defaultdict(list))
    base_url: str = ""
    hits: dict[str, int] = field(default_factory=lambda: defaultdict(int))

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                try:
                    head = await reader.readuntil(b"\r\n\r\n")
                except (asyncio.IncompleteReadError, ConnectionError):
                    return
                target = head.split(b" ", 2)[1].decode()
                path = urlsplit(target).path  # a request in absolute form when the server serves as a proxy
                exchange = Exchange(head)
                self.log[path].append(exchange)
                self.hits[path] += 1
                keep_open = await self.answer(path, exchange, writer)
                if not keep_open:
                    return
        except (ConnectionError, asyncio.CancelledError):  # cut by the client, or the test is over
            return
        finally:
            writer.close()

    async def answer(self, path: str, exchange: Exchange, writer: asyncio.StreamWriter) -> bool:
        """Write the answer for `path`; False when the connection is to be closed after it."""

        async def write(data: bytes) -> None:
            exchange.written += data
            writer.write(data)
            await writer.drain()

        if path == "/robots.txt":
            await write(with_length(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n", b"User-agent: *\nAllow: /\n"))
        elif path == "/":
            links = "".join(f'<a href="{p}">{p}</a>' for p in PAGES).encode()
            await write(with_length(b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n", b"<html>%s</html>" % links))
        elif path == "/sitemap.xml":
            urls = "".join(f"<url><loc>{self.base_url}{p}</loc></url>" for p in PAGES if p.startswith("/article/"))
            body = f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{urls}</urlset>'.encode()
            await write(with_length(b"HTTP/1.1 200 OK\r\nContent-Type: application/xml\r\n", body))
        elif path == "/article/fine":
            await write(FINE)
        elif path == "/article/chunked-gzip":
            await write(CHUNKED_GZIP)
        elif path == "/article/http10":
            await write(HTTP10)
            return False
        elif path == "/article/early-hints":
            await write(EARLY_HINTS)
            await write(HINTED)
        elif path == "/not-modified":
            await write(NOT_MODIFIED)
        elif path == "/article/conditional":
            await write(CONDITIONAL if self.hits[path] == 1 else NOT_MODIFIED)
        elif path == "/article/cut":
            await write(CUT_HEAD + b"<html><body>" + b"cut " * 200)
            return False
        elif path == "/article/cut-chunked":
            await write(b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nTransfer-Encoding: chunked\r\n\r\n")
            await write(chunked(html("never finished"), 10)[:-5])  # no last chunk
            return False
        elif path == "/article/oversize":  # announced too large: refused once its head is in
            await write(with_length(b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n", LONG))
            return False
        elif path == "/article/oversize-chunked":  # found too large while reading
            await write(b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nTransfer-Encoding: chunked\r\n\r\n")
            for start in range(0, len(LONG), 4096):
                await write(chunked(LONG[start : start + 4096], 4096)[:-5])
                await asyncio.sleep(0.01)
            await write(b"0\r\n\r\n")
        elif path == "/article/slow":
            await write(CUT_HEAD + b"<html><body>slow")
            await asyncio.sleep(TIMEOUT * 2)
            return False
        else:
            await write(with_length(b"HTTP/1.1 404 Not Found\r\nContent-Type: text/html\r\n", html("missing")))
        return True


PAGES = [
    "/article/fine", "/article/chunked-gzip", "/article/http10", "/article/early-hints", "/not-modified",
    "/article/conditional", "/article/cut", "/article/cut-chunked", "/article/oversize", "/article/oversize-chunked",
    "/article/slow",
]
TRUNCATED = {
    "/article/cut": "disconnect",
    "/article/cut-chunked": "disconnect",
    "/article/oversize": "length",
    "/article/oversize-chunked": "length",
    "/article/slow": "time",
}
CRAWL_SETTINGS = {"DOWNLOAD_MAXSIZE": MAXSIZE, "DOWNLOAD_WARNSIZE": 0, "DOWNLOAD_TIMEOUT": TIMEOUT, "RETRY_TIMES": 1}


@contextmanager
def serve_raw(tls: ssl.SSLContext | None = None) -> Iterator[RawServer]:
    """A `RawServer` on 127.0.0.1 (over TLS with `tls`), in a thread of its own."""
    server = RawServer()
    loop = asyncio.new_event_loop()
    started = threading.Event()
    stop = asyncio.Event()

    async def main() -> None:
        listening = await asyncio.start_server(server.handle, "127.0.0.1", 0, ssl=tls)
        scheme = "https" if tls else "http"
        server.base_url = f"{scheme}://127.0.0.1:{listening.sockets[0].getsockname()[1]}"
        started.set()
        await stop.wait()
        listening.close()
        others = [task for task in asyncio.all_tasks() if task is not asyncio.current_task()]
        for task in others:
            task.cancel()
        await asyncio.gather(*others, return_exceptions=True)

    thread = threading.Thread(target=lambda: loop.run_until_complete(main()), daemon=True)
    thread.start()
    assert started.wait(10)
    try:
        yield server
    finally:
        loop.call_soon_threadsafe(stop.set)
        thread.join(10)
        loop.close()


@pytest.fixture(scope="module")
def raw_server() -> Iterator[RawServer]:
    with serve_raw() as server:
        yield server


def self_signed_context(folder: Path) -> ssl.SSLContext:
    """A TLS server context with a certificate of its own for 127.0.0.1 (Scrapy's client does not verify)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.now(UTC)
    certificate = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number()).not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=1)).sign(key, hashes.SHA256())
    )
    (folder / "cert.pem").write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    (folder / "key.pem").write_bytes(key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ))
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(folder / "cert.pem", folder / "key.pem")
    return context


def blocks(warc_dir: Path) -> list[tuple[dict[str, str], bytes]]:
    """Every record of the folder's files: its WARC headers and its block, as stored."""
    found = []
    for path in sorted(warc_dir.glob("*.warc.gz")):
        with open(path, "rb") as handle:
            for record in ArchiveIterator(handle, no_record_parse=True):
                found.append((dict(record.rec_headers.headers), record.raw_stream.read()))
    return found


@dataclass(frozen=True)
class RawCrawl:
    server: RawServer
    warc_dir: Path
    captures: list[dict]
    records: list[tuple[dict[str, str], bytes]]

    def of(self, record_type: str, path: str) -> list[tuple[dict[str, str], bytes]]:
        url = self.server.base_url + path
        return [r for r in self.records if r[0]["WARC-Type"] == record_type and r[0].get("WARC-Target-URI") == url]


@pytest.fixture(scope="module")
def raw_crawl(raw_server: RawServer, tmp_path_factory: pytest.TempPathFactory) -> RawCrawl:
    tmp_path = tmp_path_factory.mktemp("raw-crawl")
    captures = run_crawl(tmp_path, raw_server.base_url, tmp_path / "warc", **CRAWL_SETTINGS)
    return RawCrawl(raw_server, tmp_path / "warc", captures, blocks(tmp_path / "warc"))


@pytest.mark.integration
def test_every_response_record_is_what_the_server_wrote(raw_crawl: RawCrawl) -> None:
    log = raw_crawl.server.log
    complete = ["/robots.txt", "/", "/article/fine", "/article/chunked-gzip", "/article/http10", "/not-modified"]
    for path in complete:
        [exchange] = log[path]
        [(headers, block)] = raw_crawl.of("revisit" if path == "/not-modified" else "response", path)
        assert block == exchange.written, path
        assert headers["WARC-IP-Address"] == "127.0.0.1" and "WARC-Truncated" not in headers
    [(_, hinted)] = raw_crawl.of("response", "/article/early-hints")
    assert hinted == HINTED  # the interim 103 is no part of the response
    [(headers, block)] = raw_crawl.of("response", "/article/fine")
    assert block.startswith(b"HTTP/1.1 200 Fine Thanks\r\ncontent-type: text/html; charset=utf-8\r\nSet-Cookie: a=1")
    [(_, block)] = raw_crawl.of("response", "/article/chunked-gzip")
    assert b";ext=1;q=\"x y\"\r\n" in block and block.endswith(b"\r\n0\r\n\r\n")
    [(_, block)] = raw_crawl.of("response", "/article/http10")
    assert b"Content-Length" not in block


@pytest.mark.integration
def test_every_request_record_is_what_the_server_read(raw_crawl: RawCrawl) -> None:
    requests = [r for r in raw_crawl.records if r[0]["WARC-Type"] == "request"]
    assert len(requests) == sum(len(exchanges) for exchanges in raw_crawl.server.log.values())
    for headers, block in requests:
        path = urlsplit(headers["WARC-Target-URI"]).path
        assert block in [exchange.read for exchange in raw_crawl.server.log[path]], path
    [(_, fine)] = raw_crawl.of("request", "/article/fine")
    assert fine.startswith(b"GET /article/fine HTTP/1.1\r\n")


@pytest.mark.integration
def test_payload_digests_are_warcio_s_and_gzip_is_decoded_for_the_spider(raw_crawl: RawCrawl) -> None:
    for path in ("/article/fine", "/article/chunked-gzip", "/article/http10"):
        [(headers, block)] = raw_crawl.of("response", path)
        body = block.split(b"\r\n\r\n", 1)[1]
        assert headers["WARC-Payload-Digest"] == payload_digest(body), path
    metadata = {json.loads(block)["url"]: json.loads(block) for headers, block in raw_crawl.records
                if headers["WARC-Type"] == "metadata"}
    assert metadata[raw_crawl.server.base_url + "/article/chunked-gzip"]["title"] == TITLE
    assert metadata[raw_crawl.server.base_url + "/article/fine"]["title"] == "fine thanks"


@pytest.mark.integration
def test_truncated_downloads_are_archived_and_flagged(raw_crawl: RawCrawl) -> None:
    base = raw_crawl.server.base_url
    for path, reason in TRUNCATED.items():
        attempts = raw_crawl.server.log[path]
        records = raw_crawl.of("response", path)
        # each attempt archived (RETRY_TIMES=1; a download too large is not retried)
        assert len(records) == len(attempts) == (1 if reason == "length" else 2), path
        for headers, block in records:
            assert headers["WARC-Truncated"] == reason, path
            assert any(exchange.written.startswith(block) for exchange in attempts), path
            assert block.startswith(b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n")
            assert len(block) <= MAXSIZE + 1024 * 1024
        captures = [c for c in raw_crawl.captures if c["url"] == base + path]
        assert [c["truncated"] for c in captures] == [reason] * len(attempts), path
        for capture in captures:
            assert load_record(raw_crawl.warc_dir, WarcPointer(**capture["warc"])).record_type == "response"
    assert not [c for c in raw_crawl.captures if c["url"] not in {base + p for p in TRUNCATED} and c["truncated"]]


@pytest.mark.integration
def test_warcio_check_and_fastwarc_verify_the_records(raw_crawl: RawCrawl) -> None:
    files = sorted(raw_crawl.warc_dir.glob("*.warc.gz"))
    warcio = Path(sys.executable).with_name("warcio")
    for path in files:
        checked = subprocess.run([warcio, "check", "-v", path], capture_output=True, text=True)
        assert checked.returncode == 0 and "fail" not in checked.stdout, checked.stdout + checked.stderr
        with open(path, "rb") as handle:
            for record in FastArchiveIterator(handle, parse_http=False):
                assert record.verify_block_digest(), record.headers["WARC-Record-ID"]
        with open(path, "rb") as handle:
            records = FastArchiveIterator(handle)
            verified = [r.verify_payload_digest() for r in records if r.headers["WARC-Type"] == "response"]
        assert verified and all(verified)
    warcinfo = next(block for headers, block in raw_crawl.records if headers["WARC-Type"] == "warcinfo").decode()
    assert "\r\nip: 127.0.0.1\r\n" in warcinfo and "\r\nhostname: " in warcinfo


@pytest.mark.integration
def test_a_304_revisit_names_what_it_revisits(raw_crawl: RawCrawl, tmp_path: Path) -> None:
    """A second crawl gets 304 for a page the first archived: the revisit carries its target, date and digest."""
    warc_dir = tmp_path / "warc"
    warc_dir.mkdir()
    for path in raw_crawl.warc_dir.glob("*.warc.gz"):
        (warc_dir / path.name).write_bytes(path.read_bytes())
    run_crawl(tmp_path, raw_crawl.server.base_url, warc_dir, **CRAWL_SETTINGS)
    [(original, _)] = raw_crawl.of("response", "/article/conditional")
    [(revisit, block)] = [r for r in blocks(warc_dir) if r[0]["WARC-Type"] == "revisit"
                          and r[0]["WARC-Target-URI"] == original["WARC-Target-URI"]]
    assert revisit["WARC-Profile"] == SERVER_NOT_MODIFIED_PROFILE
    assert revisit["WARC-Refers-To-Target-URI"] == original["WARC-Target-URI"]
    assert revisit["WARC-Refers-To-Date"] == original["WARC-Date"]
    assert revisit["WARC-Refers-To"] == original["WARC-Record-ID"]
    assert revisit["WARC-Payload-Digest"] == original["WARC-Payload-Digest"]
    assert block == NOT_MODIFIED
    # identical payloads of the first crawl become revisits, made of the head as received
    [(_, head)] = [r for r in blocks(warc_dir) if r[0]["WARC-Type"] == "revisit"
                      and r[0]["WARC-Target-URI"].endswith("/article/fine")]
    assert head == FINE.split(b"\r\n\r\n")[0] + b"\r\n\r\n"


@pytest.mark.integration
def test_over_tls_the_records_hold_the_decrypted_bytes(tmp_path: Path) -> None:
    with serve_raw(self_signed_context(tmp_path)) as server:
        run_crawl(tmp_path, server.base_url, tmp_path / "warc", **CRAWL_SETTINGS)
    crawl = RawCrawl(server, tmp_path / "warc", [], blocks(tmp_path / "warc"))
    for path in ("/article/fine", "/article/chunked-gzip", "/article/http10"):
        [exchange] = server.log[path]
        [(headers, block)] = crawl.of("response", path)
        assert block == exchange.written and headers["WARC-Target-URI"].startswith("https://"), path
        [(_, request)] = crawl.of("request", path)
        assert request == exchange.read, path
    [(headers, _)] = crawl.of("response", "/article/cut")[:1]
    assert headers["WARC-Truncated"] == "disconnect"


@pytest.mark.integration
def test_through_a_proxy_the_records_hold_the_exchange_with_it_less_its_credentials(
    raw_server: RawServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("http_proxy", raw_server.base_url.replace("http://", "http://user:secret@"))
    before = len(raw_server.log["/article/fine"])
    run_crawl(tmp_path, "http://origin.test", tmp_path / "warc", **CRAWL_SETTINGS)
    [exchange] = raw_server.log["/article/fine"][before:]
    assert exchange.read.startswith(b"GET http://origin.test/article/fine HTTP/1.1\r\n")
    assert b"\r\nProxy-Authorization: Basic " in exchange.read
    crawl = RawCrawl(raw_server, tmp_path / "warc", [], blocks(tmp_path / "warc"))
    [(_, request)] = [r for r in crawl.records if r[0]["WARC-Type"] == "request"
                      and r[0]["WARC-Target-URI"] == "http://origin.test/article/fine"]
    assert request == re.sub(rb"Proxy-Authorization: [^\r]*\r\n", b"", exchange.read)
    [(_, response)] = [r for r in crawl.records if r[0]["WARC-Type"] == "response"
                       and r[0]["WARC-Target-URI"] == "http://origin.test/article/fine"]
    assert response == exchange.written


@pytest.mark.integration
def test_newsarchive_crawl_records_truncated_pages_as_failures(raw_server: RawServer, tmp_path: Path) -> None:
    database = tmp_path / "archive.db"
    before = {path: len(raw_server.log[path]) for path in TRUNCATED}
    run_newsarchive(
        "crawl", "--sitemap", f"{raw_server.base_url}/sitemap.xml", "--db", f"sqlite:///{database}",
        "--warc-dir", str(tmp_path / "warc"), "--allow-private", "-s", "AUTOTHROTTLE_ENABLED=false",
        *[arg for name, value in CRAWL_SETTINGS.items() for arg in ("-s", f"{name}={value}")], cwd=tmp_path,
    )
    with sqlite3.connect(database) as connection:
        rows = connection.execute("SELECT url, truncated, outcome, reason, warc_file FROM captures").fetchall()
    base = raw_server.base_url
    for path, reason in TRUNCATED.items():
        attempts = [row for row in rows if row[0] == base + path]
        assert [row[1] for row in attempts] == [reason] * (len(raw_server.log[path]) - before[path]), path
        assert attempts, path
        assert all(row[4] for row in attempts), path  # each attempt has its record
        assert attempts[-1][2] == "failed" and attempts[-1][3], path  # the page is a recorded failure
    complete = [row for row in rows if row[0] == base + "/article/fine"]
    assert complete and all(row[1] is None and row[2] not in ("", "failed") for row in complete)


# --- the pure parts ---------------------------------------------------------------------------------------------------


def test_interim_responses_are_left_out_and_an_incomplete_head_is_none() -> None:
    head, body = received_response(EARLY_HINTS + EARLY_HINTS + HINTED)
    assert head.headers_buff + body == HINTED and head.get_statuscode() == "200"
    assert received_response(b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n") is None
    assert received_response(b"") is None
    lf_only, body = received_response(b"HTTP/1.0 200 OK\nA: b\n\nbody")
    assert lf_only.headers_buff == b"HTTP/1.0 200 OK\nA: b\n\n" and body == b"body"


def test_proxy_credentials_are_left_out_of_the_request() -> None:
    sent = (
        b"GET http://example.com/ HTTP/1.1\r\nHost: example.com\r\nproxy-authorization: Basic c2VjcmV0\r\nA: 1\r\n\r\n"
    )
    head, body = sent_request(sent)
    assert head.headers_buff == b"GET http://example.com/ HTTP/1.1\r\nHost: example.com\r\nA: 1\r\n\r\n"
    assert head.get_header("Proxy-Authorization") is None and body == b""
    plain = b"POST /form HTTP/1.1\r\nHost: example.com\r\nContent-Length: 3\r\n\r\nk=v"
    head, body = sent_request(plain)
    assert head.headers_buff + body == plain and head.protocol == "POST"


def test_a_capture_row_says_it_is_truncated(tmp_path: Path) -> None:
    store = ArchiveStore(f"sqlite:///{tmp_path / 'archive.db'}")
    try:
        fetched = datetime(2026, 12, 6, tzinfo=UTC)
        store.save_captures([Capture("https://example.com/a", 200, fetched, truncated="length"),
                             Capture("https://example.com/b", 200, fetched)])
    finally:
        store.close()
    with sqlite3.connect(tmp_path / "archive.db") as connection:
        assert dict(connection.execute("SELECT url, truncated FROM captures")) == {
            "https://example.com/a": "length", "https://example.com/b": None}


def test_a_wire_keeps_at_most_its_limit_and_ends_where_the_response_ended() -> None:
    wire = Wire(limit=10)
    wire.got(b"HTTP/1.1 2")
    assert not wire.overflowed
    wire.got(b"00 OK")
    assert wire.received == b"HTTP/1.1 2" and wire.overflowed
    whole = Wire()
    whole.got(b"HTTP/1.1 304 Not Modified\r\n\r\nHTTP/1.1 ")
    whole.ended(len(b"HTTP/1.1 "))  # bytes after the response belong to none
    assert whole.received == b"HTTP/1.1 304 Not Modified\r\n\r\n"
