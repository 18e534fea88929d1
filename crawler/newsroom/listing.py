"""A site with one very large sitemap, for the frontier's tests and the million-URL benchmark; served like the
newsroom (`with serve(LargeSitemapSite(count)) as base_url:`).

`/sitemap.xml.gz` is a gzipped urlset of `count` article URLs `/a/<n>.html`, each a short story of its own (no two
texts alike, so none is a duplicate of another); `requested` records which article paths were asked for.
"""

from __future__ import annotations

import gzip
import re
from collections.abc import Mapping

from crawler.newsroom.site import Response

SITEMAP_PATH = "/sitemap.xml.gz"
SITEMAP_NAMESPACE = "http://www.sitemaps.org/schemas/sitemap/0.9"
ARTICLE_PATH = re.compile(r"/a/(\d+)\.html")
WORDS = ("council", "river", "harvest", "school", "market", "bridge", "festival", "hospital", "rain", "port")


def story(n: int) -> bytes:
    """The article page `/a/<n>.html`."""
    paragraphs = "".join(
        f"<p>Report {n}, part {part}: the {WORDS[(n + part) % 10]} of district {n % 97} saw {n * 7 + part} "
        f"residents gather on day {part + 1}, as officials of ward {n // 3} described the {WORDS[part]} plan "
        f"and its cost of {n * 13 + part} thousand.</p>"
        for part in range(6)
    )
    return (f"<html><head><title>Story {n}</title></head><body><article><h1>Story number {n} of the site</h1>"
            f"{paragraphs}</article></body></html>").encode()


class LargeSitemapSite:
    def __init__(self, count: int) -> None:
        self.count = count
        self.sitemap = b""  # made on the first request, when the base URL is known
        self.requested: list[str] = []

    def handle(self, method: str, target: str, headers: Mapping[str, str], base_url: str) -> Response:
        if target == SITEMAP_PATH:
            if not self.sitemap:
                entries = "".join(f"<url><loc>{base_url}/a/{n}.html</loc></url>" for n in range(self.count))
                self.sitemap = gzip.compress(f'<urlset xmlns="{SITEMAP_NAMESPACE}">{entries}</urlset>'.encode(), 1)
            return _answer(self.sitemap, "application/gzip")
        if match := ARTICLE_PATH.fullmatch(target):
            self.requested.append(target)
            return _answer(story(int(match.group(1))), "text/html; charset=utf-8")
        return Response(404, [("Content-Length", "0")], b"")


def _answer(body: bytes, kind: str) -> Response:
    return Response(200, [("Content-Type", kind), ("Content-Length", str(len(body)))], body)
