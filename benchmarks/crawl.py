"""End-to-end crawl throughput: serve a generated newsroom on 127.0.0.1, crawl it with `newsarchive crawl`
(WARC + SQLite + extraction in the process pool, as a user runs it), print pages/s, articles/s, peak memory and
archive sizes.

    python benchmarks/crawl.py [--articles 2000] [--concurrency 16] [--db URL] [--set NAME=VALUE ...]

Pages are what the site serves (articles, listings, sitemaps, feeds, robots.txt); requisites the photos and the
stylesheet its image host serves (`--set REQUISITES_ENABLED=false` to crawl without them).
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from archive.store import ArchiveStore
from crawler.newsroom import Newsroom, serve


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--articles", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--db", help="database URL (default: a fresh SQLite file)")
    parser.add_argument("--set", action="append", default=[], metavar="NAME=VALUE", help="a crawl setting")
    args = parser.parse_args()

    newsroom = Newsroom(articles=args.articles)
    with tempfile.TemporaryDirectory() as tmp, serve(newsroom) as base_url:
        workdir = Path(tmp)
        db_url = args.db or f"sqlite:///{workdir / 'archive.db'}"
        command = [
            str(Path(sys.executable).parent / "newsarchive"), "crawl", "--sitemap", f"{base_url}/sitemap.xml",
            "--db", db_url, "--warc-dir", str(workdir / "warc"), "--allow-private",
            "-s", "AUTOTHROTTLE_ENABLED=false", "-s", "LOG_LEVEL=WARNING",
            "-s", f"CONCURRENT_REQUESTS={args.concurrency}", "-s", f"CONCURRENT_REQUESTS_PER_DOMAIN={args.concurrency}",
            *(option for setting in args.set for option in ("-s", setting)),
        ]
        started = time.perf_counter()
        result = subprocess.run(command, cwd=workdir, capture_output=True, text=True)
        elapsed = time.perf_counter() - started
        if result.returncode != 0:
            sys.exit(f"crawl failed:\n{result.stderr[-3000:]}")
        # ru_maxrss of the children: the largest of the crawler and its extraction workers, in KiB
        peak_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        store = ArchiveStore(db_url)
        articles = sum(1 for _ in store.iter_articles())
        store.close()
        requisites = sum(1 for r in newsroom.request_log if r.kind in ("image", "stylesheet"))
        pages = len(newsroom.request_log) - requisites
        warc_bytes = sum(p.stat().st_size for p in (workdir / "warc").glob("*.warc.gz"))
        db_file = workdir / "archive.db"

    print(f"newsroom articles       {args.articles}")
    print(f"pages fetched           {pages}")
    print(f"requisites fetched      {requisites}")
    print(f"articles stored         {articles}")
    print(f"wall time               {elapsed:.1f} s")
    print(f"pages/s                 {pages / elapsed:.1f}")
    print(f"articles/s              {articles / elapsed:.1f}")
    print(f"peak RSS (largest proc) {peak_kib / 1024:.0f} MiB")
    print(f"WARC bytes / article    {warc_bytes / max(articles, 1):,.0f}")
    if not args.db:
        print(f"SQLite bytes / article  {db_file.stat().st_size / max(articles, 1):,.0f}" if db_file.exists() else "")


if __name__ == "__main__":
    main()
