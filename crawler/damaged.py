"""Damaged bodies are failures with their reason, not garbled articles.

A server may send a complete HTTP message whose compressed body is cut (a gzip stream without its end, a proxy
that stopped mid-stream but framed the rest): Scrapy's decompression then hands the spider what it could inflate,
silently. `DamagedBodyMiddleware` sits just above `HttpCompressionMiddleware`, so it sees the body still encoded
(after the WARC recorder archived it as received), checks that a gzip or deflate body is whole, and fails a cut
or corrupt one with `IgnoreRequest` ("damaged body: ..."), which the spider records as `failed` with that reason.
"""

from __future__ import annotations

import zlib
from typing import Any

from scrapy.exceptions import IgnoreRequest
from scrapy.http import Request, Response

CHECK_CHUNK = 1 << 20  # bytes inflated at a time while checking: the inflated body is never held whole
WINDOW_BITS = {b"gzip": 16 + zlib.MAX_WBITS, b"x-gzip": 16 + zlib.MAX_WBITS, b"deflate": zlib.MAX_WBITS}


def encoded_body_problem(body: bytes, content_encoding: bytes) -> str | None:
    """What is wrong with a gzip or deflate `body` (cut before its end, corrupt), or None when it is whole or in
    another encoding."""
    encoding = content_encoding.strip().lower()
    if encoding not in WINDOW_BITS or not body:
        return None
    inflater = zlib.decompressobj(WINDOW_BITS[encoding])
    if encoding == b"deflate" and body[:1] and body[0] & 0x0F != 8:
        inflater = zlib.decompressobj(-zlib.MAX_WBITS)  # raw deflate, as some servers send it
    try:
        inflater.decompress(body, CHECK_CHUNK)
        while inflater.unconsumed_tail:
            inflater.decompress(inflater.unconsumed_tail, CHECK_CHUNK)
    except zlib.error as exc:
        return f"corrupt {encoding.decode()} body: {exc}"
    if not inflater.eof:
        return f"{encoding.decode()} body cut before its end ({len(body)} bytes received)"
    return None


class DamagedBodyMiddleware:
    """Downloader middleware (just above HttpCompressionMiddleware) failing responses whose encoded body is cut."""

    @classmethod
    def from_crawler(cls, crawler: Any) -> DamagedBodyMiddleware:
        return cls()

    def process_response(self, request: Request, response: Response, spider: Any = None) -> Response:
        if request.method == "HEAD" or response.status in (204, 304):
            return response
        problem = encoded_body_problem(response.body, response.headers.get("Content-Encoding") or b"")
        if problem:
            raise IgnoreRequest(f"damaged body: {problem}")
        return response
