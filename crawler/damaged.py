"""Damaged bodies are failures with their reason, not garbled articles.

A server may send a complete HTTP message whose compressed body is cut (a gzip stream without its end, a proxy
that stopped mid-stream but framed the rest): Scrapy's decompression then hands the spider what it could inflate,
silently. `DamagedBodyMiddleware` sits just above `HttpCompressionMiddleware`, so it sees the body still encoded
(after the WARC recorder archived it as received), checks that a gzip or deflate body is whole, and fails a cut
or corrupt one with `IgnoreRequest` ("damaged body: ..."), which the spider records as `failed` with that reason.

A whole encoded body goes on as Scrapy's plain `Response`, bytes: the class Scrapy's own headers rule gives an
encoded body, which Scrapy overrides by the URL's extension (".html": an `HtmlResponse` of gzip bytes). Handed
such a response, `HttpCompressionMiddleware` asks it for its charset while replacing it with the decoded one, and
where the server names none Scrapy detects one in the compressed bytes (charset_normalizer over the whole body,
about as long as decoding it); it picks the decoded body's class itself.
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


def as_bytes(response: Response) -> Response:
    """`response` as Scrapy's plain `Response` (same URL, status, headers, body, request and connection data),
    made without asking a text response for its charset."""
    if type(response) is Response:
        return response
    return Response(**{name: getattr(response, name) for name in Response.attributes})


class DamagedBodyMiddleware:
    """Downloader middleware (just above HttpCompressionMiddleware) failing responses whose encoded body is cut,
    and handing on a whole encoded body as bytes when `HttpCompressionMiddleware` will decode it."""

    def __init__(self, decoded_above: bool) -> None:
        self.decoded_above = decoded_above

    @classmethod
    def from_crawler(cls, crawler: Any) -> DamagedBodyMiddleware:
        return cls(decoded_above=crawler.settings.getbool("COMPRESSION_ENABLED"))

    def process_response(self, request: Request, response: Response, spider: Any = None) -> Response:
        if request.method == "HEAD" or response.status in (204, 304):
            return response
        content_encoding = response.headers.get("Content-Encoding")
        if not content_encoding:
            return response
        problem = encoded_body_problem(response.body, content_encoding)
        if problem:
            raise IgnoreRequest(f"damaged body: {problem}")
        return as_bytes(response) if self.decoded_above else response
