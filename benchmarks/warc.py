"""WARC writing throughput and archive size per article, with and without revisit records.

Article pages of the bundled newsroom site, gzip-encoded (as a crawler sending Accept-Encoding receives them)
and identity-encoded, are written by `archive.warc.RotatingWarcWriter` as a first crawl and read back with
`archive.importer`; then the identity pages are written as a second crawl of the unchanged site, once with the
revisit index (identical payloads become revisit records) and once without it (every page stored again).
Also printed: the memory the revisit index takes per archived payload.

    .venv/bin/python benchmarks/warc.py [--articles 300] [--rounds 3]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
import tracemalloc
import uuid
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from archive.digests import DigestIndex, payload_digest
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
    args = parser.parse_args()

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
    print(f"revisit index in memory: {index_memory_per_entry():.0f} bytes per archived payload")


def index_memory_per_entry(entries: int = 100_000) -> float:
    """Bytes of memory the revisit index takes per known payload (digest, URL, date, record id)."""
    tracemalloc.start()
    index = DigestIndex(
        (
            payload_digest(str(n).encode()),
            f"{BASE_URL}/thoi-su/bai-viet-so-{n}-ve-chuyen-doi-so-trong-co-quan-nha-nuoc-{n}.html",
            datetime.now(UTC),
            f"<urn:uuid:{uuid.uuid4()}>",
        )
        for n in range(entries)
    )
    size, _ = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return size / len(index)


if __name__ == "__main__":
    main()
