"""A loopback HTTP server of hostile inputs, written byte for byte (tests/test_edges.py, benchmarks/faults.py).

`HostileSite`: every page is an article under a sitemap, each damaged one way: a header name Twisted refuses, a
gzip body cut in half under a correct Content-Length, a 429 with `Retry-After` before the page, a soft 404, a URL
of 2,100 characters, a cut sitemap; `EXPECTED` says what the archive must hold for each. `SlowSite`: ordinary articles
behind pages that take extraction many seconds each.
"""

from __future__ import annotations

import gzip
import socketserver
import threading
from collections import Counter
from collections.abc import Iterable

TEXT = "Người dân Nghệ An đón mưa lớn sau nhiều ngày nắng nóng kéo dài trên khắp các huyện miền núi. " * 4
LONG_PATH = "/tin/a-long-" + "x" * 2100 + ".html"


def article(title: str, text: str = TEXT) -> bytes:
    return (f"<html lang=vi><head><title>{title}</title><meta property='og:type' content='article'></head><body>"
            f"<article><h1>{title}</h1><p>{text}</p><p>{text}</p></article></body></html>").encode()


def response(body: bytes, *headers: bytes, status: bytes = b"200 OK") -> bytes:
    head = [b"HTTP/1.1 " + status, b"Content-Type: text/html; charset=utf-8", *headers,
            b"Content-Length: %d" % len(body), b"Connection: close"]
    return b"\r\n".join(head) + b"\r\n\r\n" + body


# path → (outcome the archive must record, a word of its reason)
EXPECTED = {
    "/tin/a-good.html": ("article", ""),
    "/tin/a-header.html": ("article", ""),
    "/tin/a-busy.html": ("article", ""),
    "/tin/a-cut-gzip.html": ("failed", "damaged body"),
    "/tin/a-soft404.html": ("not_article", "soft 404"),
    LONG_PATH: ("failed", "URLLENGTH_LIMIT"),
    "/sitemap-cut.xml": ("sitemap", "partial"),
}


class RawSite(socketserver.ThreadingTCPServer):
    """A loopback server answering each request with the bytes its subclass's `page(path)` returns, then closing."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.base = f"http://127.0.0.1:{self.server_address[1]}"
        self.hits: Counter[str] = Counter()
        self.thread = threading.Thread(target=self.serve_forever, daemon=True)

    def __enter__(self) -> RawSite:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.shutdown()
        self.server_close()

    def sitemap(self, paths: Iterable[str]) -> bytes:
        urls = "".join(f"<url><loc>{self.base}{p}</loc></url>" for p in paths)
        return response(f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{urls}</urlset>'.encode())


class HostileSite(RawSite):
    """The hostile inputs of `EXPECTED`, under /sitemap.xml."""

    def page(self, path: str) -> bytes:
        self.hits[path] += 1
        if path == "/robots.txt":
            return response(b"User-agent: *\nAllow: /\n")
        if path == "/sitemap.xml":
            index = "".join(f"<sitemap><loc>{self.base}{p}</loc></sitemap>" for p in ("/sitemap-1.xml",
                                                                                     "/sitemap-cut.xml"))
            return response(f'<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{index}'
                            "</sitemapindex>".encode())
        if path == "/sitemap-1.xml":
            return self.sitemap(p for p in EXPECTED if p.startswith("/tin/"))
        if path == "/sitemap-cut.xml":
            urls = f"<url><loc>{self.base}/tin/a-good.html</loc></url>" * 3
            return response(f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{urls}'.encode()[:-10])
        if path == "/tin/a-header.html":
            return response(article("Tin có tiêu đề lạ"), "X-Tëst: 1".encode(), b"X Bad Header: 2")
        if path == "/tin/a-busy.html" and self.hits[path] == 1:
            return response(b"busy", b"Retry-After: 1", status=b"429 Too Many Requests")
        if path == "/tin/a-cut-gzip.html":
            body = gzip.compress(article("Tin bị cắt"))
            return response(body[: len(body) // 2], b"Content-Encoding: gzip")
        if path == "/tin/a-soft404.html":
            return response(article("404 Not Found", "Trang bạn tìm không tồn tại hoặc đã bị xóa. " * 3))
        if path.startswith("/tin/"):
            return response(article("Mưa lớn ở Nghệ An " + path))
        return response(b"not here", status=b"404 Not Found")


class SlowSite(RawSite):
    """`normal` ordinary articles and `slow` pages that take extraction many seconds (thousands of linked
    paragraphs), under /sitemap.xml, the slow ones first."""

    def __init__(self, normal: int = 40, slow: int = 8, slow_paragraphs: int = 5000) -> None:
        super().__init__()
        self.paths = [f"/tin/slow-{n}.html" for n in range(slow)] + [f"/tin/a-{n}.html" for n in range(normal)]
        self.slow_body = ("<html lang=vi><head><title>Bài rất dài</title></head><body><article><h1>Bài rất dài</h1>"
                          + "".join(f"<div><p>Đoạn {i} của bài viết dài có <a href='/x{i}'>liên kết {i}</a>.</p></div>"
                                    for i in range(slow_paragraphs)) + "</article></body></html>").encode()

    def page(self, path: str) -> bytes:
        self.hits[path] += 1
        if path == "/sitemap.xml":
            return self.sitemap(self.paths)
        if path.startswith("/tin/slow-"):
            return response(self.slow_body)
        if path.startswith("/tin/a-"):
            return response(article("Mưa lớn ở Nghệ An " + path))
        return response(b"not here", status=b"404 Not Found")


class _Handler(socketserver.BaseRequestHandler):
    def handle(self) -> None:
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = self.request.recv(65536)
            if not chunk:
                return
            data += chunk
        path = data.split(b" ", 2)[1].decode("latin-1")
        self.request.sendall(self.server.page(path))
