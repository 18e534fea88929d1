"""Response headers Twisted refuses cost only themselves.

Twisted's HTTP client refuses a response header whose name is not an HTTP token (`X-Tëst`, `X Bad Header`):
`InvalidHeaderName` fails the whole download. Browsers ignore such a line and show the page. The tapped download
handler (`crawler.wiretap`) makes each response's parser lenient the same way: the line is left out of the
parsed headers (and logged), the page is downloaded, and the WARC record keeps the bytes as received, the
refused line included.
"""

from __future__ import annotations

import logging
from typing import Any

from twisted.web.http_headers import InvalidHeaderName

logger = logging.getLogger(__name__)


def skip_invalid_header_names(parser: Any) -> None:
    """Make a Twisted `HTTPParser` skip the header lines whose name Twisted refuses, instead of failing."""
    strict = parser.headerReceived

    def header_received(name: bytes, value: bytes) -> None:
        try:
            strict(name, value)
        except InvalidHeaderName:
            logger.warning("ignored a response header with an invalid name: %r", name[:100])

    parser.headerReceived = header_received
