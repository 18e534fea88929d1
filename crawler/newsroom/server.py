"""The newsroom's HTTP server: HTTP/1.1 with keep-alive on a thread per connection, in a background thread.

`NewsroomServer(newsroom)` binds 127.0.0.1 on a free port by default. As a context manager it starts and gives
the base URL (`with newsroom.serve() as base_url:`); `serve_forever()` runs it in the foreground (the CLI).
A site with a `media_host` attribute (the newsroom's image host, 127.0.0.2) is served on that address too, on the
same port: another host for a crawler and a browser, as a CDN is. All the site logic is in `Newsroom.handle`
(which tells the hosts apart by the base URL it is given); this module only moves bytes.
"""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Callable, Mapping, Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Protocol


class Answer(Protocol):
    """What a site answers to one request (`crawler.newsroom.site.Response` is one)."""

    status: int
    headers: Sequence[tuple[str, str]]
    body: bytes


class Site(Protocol):
    """What this server serves: anything that answers a request without sockets (`Newsroom` is one)."""

    def handle(self, method: str, target: str, headers: Mapping[str, str], base_url: str) -> Answer: ...

IDLE_CONNECTION_SECONDS = 30
BIND_ATTEMPTS = 5  # a free port of the site's address may be taken on the image host's: try another


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "newsroom/1.0"
    disable_nagle_algorithm = True
    timeout = IDLE_CONNECTION_SECONDS
    server: _HTTPServer

    def _serve(self) -> None:
        length = self.headers.get("Content-Length", "0")
        if length.isdigit() and int(length):
            self.rfile.read(int(length))
        response = self.server.newsroom.handle(self.command, self.path, self.headers, self.server.base_url)
        self.send_response(response.status)
        for name, value in response.headers:
            self.send_header(name, value)
        self.end_headers()
        if response.body:
            self.wfile.write(response.body)

    do_GET = do_HEAD = do_POST = do_PUT = do_DELETE = do_PATCH = do_OPTIONS = _serve

    def log_message(self, format: str, *args: object) -> None:
        """Requests are logged by the newsroom itself (`Newsroom.request_log`), not on stderr."""


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 256

    def __init__(self, address: tuple[str, int], newsroom: Site) -> None:
        super().__init__(address, _Handler)
        self.newsroom = newsroom
        host, port = self.server_address[:2]
        self.base_url = f"http://{host}" if port == 80 else f"http://{host}:{port}"  # URLs as a browser writes them
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()

    def process_request_thread(self, request: socket.socket, client_address: tuple[str, int]) -> None:
        with self._connections_lock:
            self._connections.add(request)
        try:
            super().process_request_thread(request, client_address)
        finally:
            with self._connections_lock:
                self._connections.discard(request)

    def close_connections(self) -> None:
        """Hang up on kept-alive clients so their handler threads end with the server."""
        with self._connections_lock:
            connections = list(self._connections)
        for connection in connections:
            with contextlib.suppress(OSError):  # the client may have hung up already
                connection.shutdown(socket.SHUT_RDWR)


class NewsroomServer:
    """Serves a `Newsroom` over HTTP on `host:port` (port 0: a free port, known once started)."""

    def __init__(self, newsroom: Site, host: str = "127.0.0.1", port: int = 0) -> None:
        self.newsroom = newsroom
        self.host = host
        self.port = port
        self.media_host: str | None = getattr(newsroom, "media_host", None)
        self._server: _HTTPServer | None = None
        self._media_server: _HTTPServer | None = None
        self._threads: list[threading.Thread] = []

    @property
    def base_url(self) -> str:
        if self._server is None:
            raise RuntimeError("the newsroom server is not started")
        return self._server.base_url

    def _bind(self) -> _HTTPServer:
        if self._server is not None:
            raise RuntimeError("the newsroom server is already started")
        for attempt in range(BIND_ATTEMPTS):
            server = _HTTPServer((self.host, self.port), self.newsroom)
            if self.media_host is None:
                break
            try:
                self._media_server = _HTTPServer((self.media_host, server.server_address[1]), self.newsroom)
                break
            except OSError:
                server.server_close()
                if self.port or attempt == BIND_ATTEMPTS - 1:
                    raise
        self._server = server
        return server

    def _serve_in_background(self, server: _HTTPServer) -> None:
        thread = threading.Thread(target=server.serve_forever, name="newsroom-server", daemon=True)
        thread.start()
        self._threads.append(thread)

    def start(self) -> str:
        """Start serving in a background thread; returns the base URL (`http://127.0.0.1:PORT`)."""
        server = self._bind()
        for each in (server, self._media_server):
            if each is not None:
                self._serve_in_background(each)
        return server.base_url

    def serve_forever(self, ready: Callable[[str], object] | None = None) -> None:
        """Serve in the calling thread until interrupted; `ready(base_url)` is called once listening."""
        server = self._bind()
        if self._media_server is not None:
            self._serve_in_background(self._media_server)
        if ready is not None:
            ready(server.base_url)
        try:
            server.serve_forever()
        finally:
            server.server_close()
            self._server = None
            self.stop()

    def stop(self) -> None:
        """Stop serving, close the listening sockets and hang up on open connections."""
        servers = [s for s in (self._server, self._media_server) if s is not None]
        self._server = self._media_server = None
        for server in servers:
            server.shutdown()
            server.close_connections()
            server.server_close()
        for thread in self._threads:
            thread.join()
        self._threads = []

    def __enter__(self) -> str:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


def serve(newsroom: Site, host: str = "127.0.0.1", port: int = 0) -> NewsroomServer:
    """A server for `newsroom`; `with serve(newsroom) as base_url:` serves it for the block's duration."""
    return NewsroomServer(newsroom, host, port)
