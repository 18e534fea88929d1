"""Benchmark of the newsroom site: generation time and requests/s served to concurrent keep-alive clients.

    .venv/bin/python benchmarks/newsroom.py [--articles 5000] [--clients 8] [--requests 20000]

The server runs in its own process (`python -m crawler.newsroom`) so that the clients (asyncio, one
keep-alive connection each, loopback only) do not share its interpreter lock. Passes over article, listing,
feed and sitemap URLs: the first renders every page, the next serve cached bytes; the first gzip pass compresses
each page once, the second serves the compressed bytes.
"""

from __future__ import annotations

import argparse
import asyncio
import re
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from crawler.newsroom import CATEGORIES, Newsroom  # noqa: E402


def generation(articles: int) -> Newsroom:
    """Print wall and CPU time of generating the site and of rendering every article page once."""
    wall, cpu = time.perf_counter(), time.process_time()
    newsroom = Newsroom(articles=articles)
    made = time.perf_counter() - wall, time.process_time() - cpu
    wall, cpu = time.perf_counter(), time.process_time()
    for story in newsroom.stories:
        newsroom.handle("GET", story.path, {}, "http://127.0.0.1:1")
    rendered = time.perf_counter() - wall, time.process_time() - cpu
    pages = len(newsroom.stories)
    print(f"generation: {articles} articles in {made[0]:.2f} s ({made[1]:.2f} s CPU)")
    print(
        f"rendering all {pages} article pages in-process: {rendered[0]:.2f} s ({rendered[1]:.2f} s CPU, "
        f"{pages / rendered[1]:,.0f} pages per CPU second)"
    )
    return newsroom


async def _client(host: str, port: int, paths: list[str], gzip: bool) -> int:
    reader, writer = await asyncio.open_connection(host, port)
    received = 0
    accept = "Accept-Encoding: gzip\r\n" if gzip else ""
    for path in paths:
        writer.write(f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\n{accept}\r\n".encode())
        status = await reader.readline()
        if not status.startswith(b"HTTP/1.1 "):
            raise RuntimeError(f"bad status line {status!r} for {path}")
        length = 0
        while (line := await reader.readline()) not in (b"\r\n", b""):
            name, _, value = line.partition(b":")
            if name.lower() == b"content-length":
                length = int(value)
        received += len(await reader.readexactly(length))
    writer.close()
    await writer.wait_closed()
    return received


async def _load(host: str, port: int, paths: list[str], clients: int, gzip: bool) -> tuple[float, int]:
    shares = [paths[i::clients] for i in range(clients)]
    started = time.perf_counter()
    received = await asyncio.gather(*(_client(host, port, share, gzip) for share in shares))
    return time.perf_counter() - started, sum(received)


def serve_and_measure(newsroom: Newsroom, articles: int, clients: int, requests: int) -> None:
    command = [sys.executable, "-m", "crawler.newsroom", "--port", "0", "--articles", str(articles)]
    server = subprocess.Popen(command, cwd=ROOT, stderr=subprocess.PIPE, text=True)
    try:
        banner = server.stderr.readline() if server.stderr else ""
        match = re.search(r"http://([\d.]+):(\d+)", banner)
        if not match:
            raise RuntimeError(f"the newsroom did not start: {banner!r}")
        host, port = match[1], int(match[2])
        site_paths = [s.path for s in newsroom.stories]
        site_paths += [f"/{c.slug}?page={n}" for c in CATEGORIES for n in range(1, 4)]
        site_paths += ["/", "/tin-moi", "/sitemap.xml", "/sitemaps/news.xml", "/rss/tin-moi.rss", "/robots.txt"]
        paths = (site_paths * (requests // len(site_paths) + 1))[:requests]
        passes = (
            ("first pass (renders pages)", False),
            ("cached, identity", False),
            ("gzip (compresses each page)", True),
            ("cached, gzip", True),
        )
        for label, gzip in passes:
            elapsed, received = asyncio.run(_load(host, port, paths, clients, gzip))
            print(
                f"{label:28s}: {len(paths):,} requests, {clients} keep-alive clients: "
                f"{len(paths) / elapsed:,.0f} requests/s, {received / elapsed / 1e6:,.1f} MB/s"
            )
    finally:
        server.terminate()
        server.wait(timeout=10)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--articles", type=int, default=5000)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--requests", type=int, default=20_000)
    args = parser.parse_args()
    newsroom = generation(args.articles)
    serve_and_measure(newsroom, args.articles, args.clients, args.requests)


if __name__ == "__main__":
    main()
