"""WARC writing throughput and archive size per article, with and without revisit records.

Article pages of the bundled newsroom site (gzip-encoded, as a browser-like crawler receives them) are written
by `archive.warc.RotatingWarcWriter` as a first crawl, then as a second crawl of the unchanged site, once with
the revisit index (identical payloads become revisit records) and once without it (every page stored again).

    .venv/bin/python benchmarks/warc.py [--articles 300] [--rounds 3]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from archive.warc import DigestIndex, HttpExchange, RotatingWarcWriter
from crawler.newsroom import Newsroom

BASE_URL = "http://newsroom.example"
REQUEST_HEADERS = {"Accept-Encoding": "gzip, deflate", "User-Agent": "newsarchive-benchmark"}


def article_exchanges(articles: int) -> list[HttpExchange]:
    newsroom = Newsroom(articles=articles, seed=7)
    exchanges = []
    for story in newsroom.stories:
        answer = newsroom.handle("GET", story.path, REQUEST_HEADERS, BASE_URL)
        exchanges.append(
            HttpExchange(
                url=BASE_URL + story.path,
                method="GET",
                request_target=story.path,
                request_headers=[(b"Host", b"newsroom.example")]
                + [(k.encode(), v.encode()) for k, v in REQUEST_HEADERS.items()],
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

    exchanges = article_exchanges(args.articles)
    payload = sum(len(e.body) for e in exchanges)
    count = len(exchanges)
    gzipped = sum(1 for e in exchanges if (b"Content-Encoding", b"gzip") in e.response_headers)
    print(f"{count} article pages, {gzipped} gzip-encoded, payload {payload / 1e6:.2f} MB as received")

    best = None
    for _ in range(args.rounds):
        with tempfile.TemporaryDirectory() as folder:
            elapsed, size = write_all(RotatingWarcWriter(folder, digests=DigestIndex()), exchanges)
            best = min(best or (elapsed, size), (elapsed, size))
    elapsed, size = best
    print(
        f"first crawl:  {count / elapsed:8.0f} pages/s  {payload / elapsed / 1e6:7.1f} MB/s of payload in  "
        f"{size / elapsed / 1e6:7.1f} MB/s of WARC out  {size / count:8.0f} WARC bytes/article"
    )

    for label, digests in (("with revisits", DigestIndex()), ("without revisits", None)):
        with tempfile.TemporaryDirectory() as folder:
            write_all(RotatingWarcWriter(folder, digests=digests), exchanges)
            elapsed, size = write_all(RotatingWarcWriter(folder, digests=digests), exchanges)
        print(
            f"second crawl of the unchanged site, {label + ':':18} {size / count:8.0f} WARC bytes/article  "
            f"({count / elapsed:.0f} pages/s)"
        )


if __name__ == "__main__":
    main()
