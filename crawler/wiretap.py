"""The bytes of each HTTP exchange as they crossed the connection: Scrapy's HTTP/1.1 download handler with a tap.

`TappedHTTP11DownloadHandler` (installed by the add-on for `http` and `https` when `WARC_ENABLED`) is Scrapy's
HTTP/1.1 handler whose connections are `TappedClientProtocol`s: Twisted's HTTP/1.1 client protocol (Scrapy's
lenient parser) with its transport wrapped, so that every byte the protocol writes and every byte it is handed is
also kept in the `Wire` of the request being exchanged. The tap sits at the HTTP level: over TLS it holds the
decrypted bytes (TLS is the transport below it); through an HTTP proxy it holds what was said to the proxy (the
request in absolute form, the proxy's answer); a CONNECT tunnel's own exchange is not part of any wire (a wire
starts with the request written on the connection, which for a tunnel is the origin's request inside TLS).

A wire ends where the HTTP framing ended the response (Content-Length reached, last chunk and trailers read, no
body for a 304), bytes after that cut off; else where the connection ended. It reaches the WARC recorder in
`request.meta[crawler.meta.WIRE]` as soon as the response head is in, before the body is read, so that a download
that then fails (too large, cut, timed out) is archived from what was received. It keeps at most
`DOWNLOAD_MAXSIZE` + `WIRE_HEAD_ROOM` received bytes (`DOWNLOAD_MAXSIZE` bounds the decoded body; the room is
for the head and chunk framing) and `overflowed` says it lost some.
"""

from __future__ import annotations

import logging
from functools import partial
from typing import Any

from scrapy import Request
from scrapy.core.downloader.handlers import http11
from scrapy.core.downloader.handlers.http11 import HTTP11DownloadHandler
from scrapy.crawler import Crawler
from scrapy.exceptions import ResponseDataLossError
from scrapy.http import Response
from scrapy.utils._download_handlers import get_dataloss_msg, wrap_twisted_exceptions
from scrapy.utils.defer import maybe_deferred_to_future
from twisted.internet.defer import Deferred
from twisted.web._newclient import HTTP11ClientProtocol
from twisted.web.client import Response as TxResponse
from twisted.web.client import _HTTP11ClientFactory

from crawler import meta
from crawler.headers import skip_invalid_header_names

logger = logging.getLogger(__name__)

# What the tap extends: Scrapy 2.19 made its agent private and parses with a lenient protocol of its own; before
# (the floor, 2.15), the agent was public and Twisted's protocol served.
_ScrapyAgent = getattr(http11, "_ScrapyAgent", None) or http11.ScrapyAgent
_ScrapyClientProtocol = getattr(http11, "_LenientHTTP11ClientProtocol", HTTP11ClientProtocol)

WIRE_HEAD_ROOM = 1024 * 1024
# Where the protocol leaves a response's wire for the agent (Scrapy stashes its own connection data likewise).
_WIRE_ATTRIBUTE = "_newsarchive_wire"


class Wire:
    """What was written (`sent`) and received (`received`) on a connection for one request, as bytes."""

    def __init__(self, limit: int = 0, peer: str | None = None, local: str | None = None) -> None:
        self.limit = limit  # received bytes kept at most; 0: no limit
        self.peer = peer  # the address connected to (the server's, or the proxy's)
        self.local = local  # the crawler's own address on that connection
        self.sent = bytearray()
        self.received = bytearray()
        self.overflowed = False

    def wrote(self, data: bytes) -> None:
        self.sent += data

    def got(self, data: bytes) -> None:
        if self.limit and len(self.received) + len(data) > self.limit:
            self.overflowed = True
            data = data[: max(0, self.limit - len(self.received))]
        self.received += data

    def ended(self, rest: int) -> None:
        """The response ended `rest` bytes before the end of what was received (those belong to no response)."""
        if rest and not self.overflowed:
            del self.received[-rest:]


class _TapTransport:
    """A connection's transport, with each write also handed to the protocol's tap."""

    def __init__(self, transport: Any, protocol: TappedClientProtocol) -> None:
        self._transport = transport
        self._protocol = protocol

    def write(self, data: bytes) -> None:
        self._protocol.tap_written(data)
        self._transport.write(data)

    def writeSequence(self, data: list[bytes]) -> None:
        for part in data:
            self._protocol.tap_written(part)
        self._transport.writeSequence(data)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._transport, name)


class TappedClientProtocol(_ScrapyClientProtocol):
    """Scrapy's HTTP/1.1 client protocol keeping each exchange's bytes in a `Wire` attached to its response."""

    def __init__(self, quiescent_callback: Any, wire_limit: int = 0) -> None:
        super().__init__(quiescent_callback)
        self._wire_limit = wire_limit
        self._wire: Wire | None = None

    def connectionMade(self) -> None:
        super().connectionMade()  # first: it asks the real transport for its TCP interface
        self.transport = _TapTransport(self.transport, self)

    def tap_written(self, data: bytes) -> None:
        if self._wire is not None:
            self._wire.wrote(data)

    def request(self, request: Any) -> Deferred:
        peer, local = self.transport.getPeer(), self.transport.getHost()
        wire = self._wire = Wire(self._wire_limit, getattr(peer, "host", None), getattr(local, "host", None))
        answer = super().request(request)
        if getattr(self, "_parser", None) is not None:  # None when the request was refused before it was sent
            skip_invalid_header_names(self._parser)

        def attach(response: TxResponse) -> TxResponse:
            setattr(response, _WIRE_ATTRIBUTE, wire)
            return response

        return answer.addCallback(attach)

    def dataReceived(self, data: bytes) -> None:
        if self._wire is not None:
            self._wire.got(data)
        super().dataReceived(data)

    def _finishResponse(self, rest: bytes) -> None:
        # the parser says where the response ended; what follows is no part of it
        if self._wire is not None:
            self._wire.ended(len(rest))
            self._wire = None
        super()._finishResponse(rest)


class TappedClientFactory(_HTTP11ClientFactory):
    """The connection pool's factory of `TappedClientProtocol`s."""

    noisy = False

    def __init__(self, quiescent_callback: Any, metadata: Any, wire_limit: int = 0) -> None:
        super().__init__(quiescent_callback, metadata)
        self._wire_limit = wire_limit

    def buildProtocol(self, addr: Any) -> TappedClientProtocol:
        return TappedClientProtocol(self._quiescentCallback, self._wire_limit)


class _TappedAgent(_ScrapyAgent):
    """Scrapy's agent, handing a response's wire to the request as soon as the response head is in."""

    def _cb_bodyready(self, txresponse: TxResponse, request: Request) -> Any:
        wire = getattr(txresponse, _WIRE_ATTRIBUTE, None)
        if wire is not None:
            request.meta[meta.WIRE] = wire
        return super()._cb_bodyready(txresponse, request)


class TappedHTTP11DownloadHandler(HTTP11DownloadHandler):
    """`DOWNLOAD_HANDLERS` entry for http and https: Scrapy's HTTP/1.1 handler whose exchanges leave their bytes
    in `request.meta[WIRE]`."""

    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        limit = self._default_maxsize + WIRE_HEAD_ROOM if self._default_maxsize else 0
        self._pool._factory = partial(TappedClientFactory, wire_limit=limit)

    async def download_request(self, request: Request) -> Response:
        agent = _TappedAgent(
            contextFactory=self._contextFactory,
            bindAddress=self._bind_address,
            pool=self._pool,
            maxsize=self._default_maxsize,
            warnsize=self._default_warnsize,
            fail_on_dataloss=self._fail_on_dataloss,
            crawler=self._crawler,
            tls_verbose_logging=self._tls_verbose_logging,
        )
        try:
            with wrap_twisted_exceptions():
                return await maybe_deferred_to_future(agent.download_request(request))
        except ResponseDataLossError:
            if not self._fail_on_dataloss_warned:
                logger.warning(get_dataloss_msg(request.url))
                self._fail_on_dataloss_warned = True
            raise
