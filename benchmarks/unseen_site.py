"""Crawl a site newsarchive has never seen: a folder of real article pages (`*.html` or `*.html.gz`) served on
127.0.0.1 behind a generated sitemap, crawled with `newsarchive crawl --sitemap`. Prints how many pages became
rows, how many have non-empty text, and what became of the rest.

    python benchmarks/unseen_site.py DIR [DIR ...]      # e.g. ../shared/eval/aeb-dev/html
"""

from __future__ import annotations

import argparse
import gzip
import json
import subprocess
import sys
import tempfile
import threading
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from archive.models import CaptureRow
from archive.store import ArchiveStore


def load_pages(folders: list[Path]) -> dict[str, bytes]:
    pages = {}
    for folder in folders:
        for path in sorted(folder.rglob("*.htm*")):
            body = path.read_bytes()
            if path.suffix == ".gz":
                body = gzip.decompress(body)
            pages[f"/{len(pages):05d}-{path.name.split('.')[0][:40]}.html"] = body
    return pages


def serve(pages: dict[str, bytes]) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if self.path == "/sitemap.xml":
                base = f"http://127.0.0.1:{self.server.server_port}"
                locs = "".join(f"<url><loc>{base}{path}</loc></url>" for path in pages)
                body = f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{locs}</urlset>'.encode()
                kind = "application/xml"
            elif self.path in pages:
                body, kind = pages[self.path], "text/html"
            else:
                self.send_error(404)
                return
            self.send_response(200)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("folders", nargs="+", type=Path)
    args = parser.parse_args()
    pages = load_pages(args.folders)
    server = serve(pages)
    base = f"http://127.0.0.1:{server.server_port}"
    with tempfile.TemporaryDirectory() as tmp:
        db_url = f"sqlite:///{tmp}/x.db"
        command = [str(Path(sys.executable).parent / "newsarchive"), "crawl", "--sitemap", f"{base}/sitemap.xml",
                   "--db", db_url, "--warc-dir", f"{tmp}/w", "--allow-private",
                   "-s", "AUTOTHROTTLE_ENABLED=false", "-s", "LOG_LEVEL=WARNING"]
        subprocess.run(command, check=True, capture_output=True)
        export = subprocess.run(
            [str(Path(sys.executable).parent / "newsarchive"), "export", "--db", db_url, "--format", "jsonl"],
            check=True, capture_output=True, text=True,
        )
        records = [json.loads(line) for line in export.stdout.splitlines()]
        store = ArchiveStore(db_url)
        with Session(store.engine) as session:
            outcomes = Counter(
                (row.outcome, row.reason) for row in session.scalars(select(CaptureRow))
                if row.url.endswith(".html") and row.outcome != "article"
            )
        store.close()
    server.shutdown()
    print(f"article pages served    {len(pages)}")
    print(f"rows stored             {len(records)}")
    print(f"rows with non-empty text {sum(1 for r in records if r['text'].strip())}")
    print(f"rows with a date        {sum(1 for r in records if r['published_at'])}")
    for (outcome, reason), count in outcomes.most_common():
        print(f"not stored: {count:4d}  {outcome}: {reason}")


if __name__ == "__main__":
    main()
