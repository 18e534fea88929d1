"""WARC writing throughput and archive size per article, with and without revisit records.

Article pages of the bundled newsroom site, gzip-encoded (as a crawler sending Accept-Encoding receives them)
and identity-encoded, are written by `archive.warc.RotatingWarcWriter` as a first crawl and read back with
`archive.importer`; then the identity pages are written as a second crawl of the unchanged site, once with the
revisit index (identical payloads become revisit records) and once without it (every page stored again).
Also printed: what the revisit index (on disk, a bounded cache in front) costs for a large archive: its file
per archived payload, the memory it holds, and a lookup.

    .venv/bin/python benchmarks/warc.py [--articles 300] [--rounds 3]
    .venv/bin/python benchmarks/warc.py --recorder 1000 [--rounds 3] [--concurrency 16]

`--recorder N` measures the recorder middleware alone, in the thread that calls it (the reactor's in a crawl) and
in the others: N newsroom pages (gzip-encoded) handed to `process_response`, each followed by its metadata record,
`concurrency` at a time, as a crawl does. Where the WARC work runs in a real crawl (the CPU of each thread of the
crawl process): `benchmarks/profile_crawl.py --threads`.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
import tracemalloc
import uuid
from datetime import UTC, datetime
from pathlib import Path

sys.path.append(str(Path(__file__).resolve().parent.parent))  # after PYTHONPATH: another checkout can be measured

from archive.digests import DigestIndex, payload_digest
from archive.diskmap import PAGE_CACHE_KIB
from archive.importer import iter_archived_responses
from archive.warc import HttpExchange, RotatingWarcWriter
from crawler.newsroom import Newsroom

BASE_URL = "http://newsroom.example"
USER_AGENT = "newsarchive-benchmark"


def article_exchanges(articles: int, accept_encoding: str | None) -> list[HttpExchange]:
    """The site's article pages as a crawler sending `Accept-Encoding: accept_encoding` (or none) receives them."""
    newsroom = Newsroom(articles=articles, seed=7)
    request_headers = {"User-Agent": USER_AGENT} | ({"Accept-Encoding": accept_encoding} if accept_encoding else {})
    exchanges = []
    for story in newsroom.stories:
        answer = newsroom.handle("GET", story.path, request_headers, BASE_URL)
        exchanges.append(
            HttpExchange(
                url=BASE_URL + story.path,
                method="GET",
                request_target=story.path,
                request_headers=[(b"Host", b"newsroom.example")]
                + [(k.encode(), v.encode()) for k, v in request_headers.items()],
                status=answer.status,
                response_headers=[(k.encode("latin-1"), v.encode("latin-1")) for k, v in answer.headers],
                body=answer.body,
                date=datetime.now(UTC),
                ip_address="127.0.0.1",
            )
        )
    return exchanges


def write_all(writer: RotatingWarcWriter, exchanges: list[HttpExchange]) -> tuple[float, int]:
    """Seconds spent and bytes the files grew by."""
    before = sum(p.stat().st_size for p in writer.directory.glob("*.warc.gz*"))
    started = time.perf_counter()
    for exchange in exchanges:
        writer.write_exchange(exchange)
    writer.close()
    elapsed = time.perf_counter() - started
    after = sum(p.stat().st_size for p in writer.directory.glob("*.warc.gz*"))
    return elapsed, after - before


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--articles", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=3, help="first crawls timed (the best one is reported)")
    parser.add_argument("--recorder", type=int, metavar="N", help="CPU of the recorder middleware on N pages")
    parser.add_argument("--concurrency", type=int, default=16)
    args = parser.parse_args()
    if args.recorder:
        recorder_threads(args.recorder, args.rounds, args.concurrency)
        return

    for label, accept_encoding in (("gzip-encoded", "gzip, deflate"), ("identity", None)):
        exchanges = article_exchanges(args.articles, accept_encoding)
        count, payload = len(exchanges), sum(len(e.body) for e in exchanges)
        best = None
        for _ in range(args.rounds):
            with tempfile.TemporaryDirectory() as folder:
                elapsed, size = write_all(RotatingWarcWriter(folder, digests=DigestIndex()), exchanges)
                best = min(best or (elapsed, size), (elapsed, size))
        elapsed, size = best
        print(
            f"first crawl, {count} {label} pages ({payload / count / 1e3:.1f} kB each): {count / elapsed:6.0f} pages/s "
            f"{payload / elapsed / 1e6:6.1f} MB/s of payload in {size / elapsed / 1e6:6.1f} MB/s of WARC out, "
            f"{size / count:6.0f} WARC bytes/article"
        )
        with tempfile.TemporaryDirectory() as folder:
            write_all(RotatingWarcWriter(folder, digests=DigestIndex()), exchanges)
            started = time.perf_counter()
            read = sum(len(response.body) for response in iter_archived_responses(folder))
            elapsed = time.perf_counter() - started
        print(
            f"  read back (import-warc): {count / elapsed:6.0f} pages/s "
            f"{read / elapsed / 1e6:6.1f} MB/s of decoded bodies"
        )

    for label, digests in (("with revisits", DigestIndex()), ("without revisits", None)):
        with tempfile.TemporaryDirectory() as folder:
            write_all(RotatingWarcWriter(folder, digests=digests), exchanges)
            elapsed, size = write_all(RotatingWarcWriter(folder, digests=digests), exchanges)
        print(
            f"second crawl of the unchanged site (identity pages), {label + ':':18} {size / count:6.0f} "
            "WARC bytes/article "
            f"({count / elapsed:.0f} pages/s)"
        )
    index_figures()


def index_figures(entries: int = 100_000) -> None:
    """The revisit index of `entries` archived payloads: file size, memory held (traced by Python) and the time
    of a lookup past its cache."""
    digests = [payload_digest(str(n).encode()) for n in range(entries)]
    unknown = [payload_digest(f"new {n}".encode()) for n in range(entries)]
    with tempfile.TemporaryDirectory() as folder:
        tracemalloc.start()
        entries_made = (
            (
                digest,
                f"{BASE_URL}/thoi-su/bai-viet-so-{n}-ve-chuyen-doi-so-trong-co-quan-nha-nuoc-{n}.html",
                datetime.now(UTC),
                f"<urn:uuid:{uuid.uuid4()}>",
            )
            for n, digest in enumerate(digests)
        )
        index = DigestIndex(entries_made, path=Path(folder) / "index.sqlite")
        started = time.perf_counter()
        found = sum(index.get(digest) is not None for digest in reversed(digests))
        found += sum(index.get(digest) is not None for digest in unknown)
        elapsed = time.perf_counter() - started
        held, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        size = sum(p.stat().st_size for p in Path(folder).iterdir())
        index.close()
    print(
        f"revisit index of {entries} payloads: {size / entries:.0f} bytes per payload on disk, "
        f"{held / 2**20:.1f} MiB held by Python (peak {peak / 2**20:.1f} MiB; SQLite's page cache: at most "
        f"{PAGE_CACHE_KIB / 1024:.0f} MiB), "
        f"{elapsed / (2 * entries) * 1e6:.1f} µs per lookup past the cache ({found} found)"
    )


def recorder_threads(articles: int, rounds: int, concurrency: int) -> None:
    """The recorder middleware's CPU per page (and its metadata record): in the calling thread, and in the others;
    medians over the rounds."""
    import asyncio
    import inspect
    import json

    from scrapy import Request, Spider
    from scrapy.http import HtmlResponse
    from scrapy.utils.test import get_crawler

    from crawler.recorder import WarcRecorderMiddleware
    from crawler.settings import ADDONS

    exchanges = article_exchanges(articles, "gzip, deflate")
    metadata = {e.url: json.dumps({"url": e.url, "text": e.body.hex()[:8000]}).encode() for e in exchanges}

    async def settled(result: object) -> object:  # coroutines since the writer thread; plain calls before
        return await result if inspect.isawaitable(result) else result

    async def record(recorder: WarcRecorderMiddleware, exchange: HttpExchange) -> None:
        request = Request(exchange.url, headers=[(k, v) for k, v in exchange.request_headers if k != b"Host"])
        response = HtmlResponse(exchange.url, status=exchange.status, headers=list(exchange.response_headers),
                                body=exchange.body, request=request)  # fmt: skip
        await settled(recorder.process_response(request, response))
        pointer = request.meta["warc"]
        payload = metadata[exchange.url]
        await settled(recorder.write_metadata(exchange.url, pointer.record_id, payload, "application/json"))

    async def one_round(folder: str) -> tuple[float, float]:
        crawler = get_crawler(Spider, {"ADDONS": ADDONS, "WARC_DIR": folder, "USER_AGENT": USER_AGENT})
        recorder = WarcRecorderMiddleware.from_crawler(crawler)
        await recorder.spider_opened(Spider("benchmark"))
        slots = asyncio.Semaphore(concurrency)

        async def bounded(exchange: HttpExchange) -> None:
            async with slots:
                await record(recorder, exchange)

        main, process = time.thread_time(), time.process_time()
        await asyncio.gather(*(bounded(exchange) for exchange in exchanges))
        main, process = time.thread_time() - main, time.process_time() - process
        recorder.writer.on_close = None  # no indexing: only the pages count
        recorder.writer.close()
        return main, process - main

    main_ms, other_ms = [], []
    for _ in range(rounds):
        with tempfile.TemporaryDirectory() as folder:
            main, other = asyncio.run(one_round(folder))
        main_ms.append(main * 1000 / len(exchanges))
        other_ms.append(other * 1000 / len(exchanges))
    print(
        f"recorder, {len(exchanges)} pages and their metadata records, {concurrency} at a time (median of {rounds}): "
        f"{statistics.median(main_ms):.2f} ms CPU per page in the calling thread, {statistics.median(other_ms):.2f} ms "
        f"in the others; load average {os.getloadavg()[0]:.1f}"
    )


if __name__ == "__main__":
    main()
