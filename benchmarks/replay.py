"""Replay figures of a newsroom crawl, and the screenshot of the README's "Replay".

Serves a newsroom (photos and stylesheet on its image host, 127.0.0.2), crawls it with `newsarchive crawl`, edits
a few articles and crawls again with `--refresh` (every article of the changed sitemaps again, and their photos:
unchanged, they are stored as revisit records), stops it, then
- loads the WARC files the standard way (`wb-manager init c`, `wb-manager add c *.warc.gz`, `wayback`) and counts
  the article pages whose latest memento (`/c/id_/URL`) is byte for byte what the newsroom served (decoded where it
  gzip-encoded), and the photos their records name that replay byte for byte;
- replays the folder with the project's pywb replay (`newsarchive replay`'s `PywbReplay`) and screenshots the seed
  article in Debian's headless Chromium (tests/browser.py: loopback only).

    python benchmarks/replay.py [--articles 60] [-o docs/replay.png] [--width 860] [--height 1200]
"""

from __future__ import annotations

import argparse
import gzip
import subprocess
import sys
import tempfile
import urllib.request
from collections import Counter
from pathlib import Path
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from browser import chromium, render
from sqlalchemy import select
from sqlalchemy.orm import Session

from archive.models import CaptureRow
from archive.outcomes import Outcome
from archive.replay import PywbReplay, standard_collection
from archive.store import ArchiveStore
from crawler.newsroom import Newsroom, serve
from crawler.newsroom.site import PHOTO_WIDTH
from crawler.newsroom.templates import media_base

EDITS = 5  # articles edited between the two crawls


def replayed(url: str) -> bytes:
    """What pywb serves at `url`, content-decoded as a browser reads it."""
    with urllib.request.urlopen(url, timeout=60) as answer:
        body = answer.read()
        return gzip.decompress(body) if answer.headers.get("Content-Encoding") == "gzip" else body


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--articles", type=int, default=60)
    parser.add_argument("-o", "--output", type=Path, default=Path("docs/replay.png"))
    parser.add_argument("--width", type=int, default=860)
    parser.add_argument("--height", type=int, default=1200)
    args = parser.parse_args()

    newsroom = Newsroom(articles=args.articles)
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        db_url, warc_dir = f"sqlite:///{workdir / 'archive.db'}", workdir / "warc"
        with serve(newsroom) as base_url:
            command = [
                str(Path(sys.executable).parent / "newsarchive"), "crawl", "--sitemap", f"{base_url}/sitemap.xml",
                "--db", db_url, "--warc-dir", str(warc_dir), "--allow-private",
                "-s", "AUTOTHROTTLE_ENABLED=false", "-s", "LOG_LEVEL=WARNING",
            ]
            for again in ([], ["--refresh"]):
                if again:
                    for story in list(newsroom.case_stories.values())[:EDITS]:
                        newsroom.edit_article(story.id)
                result = subprocess.run(command + again, cwd=workdir, capture_output=True, text=True)
                if result.returncode != 0:
                    sys.exit(f"crawl failed:\n{result.stderr[-3000:]}")
        store = ArchiveStore(db_url)
        articles = list(store.iter_articles())
        with Session(store.engine) as session:
            requisites = Counter(
                (row.outcome, row.status, row.record_type)
                for row in session.scalars(
                    select(CaptureRow).where(CaptureRow.outcome.in_([Outcome.REQUISITE, Outcome.NOT_MODIFIED]))
                )
            )
        store.close()
        seed = next(a for a in articles if a.url.endswith(newsroom.seed_path))
        media = media_base(base_url)
        pages = photos = exact_pages = exact_photos = 0
        files = sorted(warc_dir.glob("*.warc.gz"))
        with PywbReplay(root=standard_collection(files, workdir / "pywb"), collection="c") as standard:
            for article in articles:
                pages += 1
                served = newsroom.handle("GET", article.url.removeprefix(base_url), {}, base_url).body
                exact_pages += replayed(f"{standard.base_url}/c/id_/{article.url}") == served
                for caption in article.captions:
                    photos += 1
                    photo = newsroom.handle("GET", urlsplit(caption.image_url).path, {}, media).body
                    exact_photos += replayed(f"{standard.base_url}/c/id_/{caption.image_url}") == photo
        args.output.parent.mkdir(parents=True, exist_ok=True)
        with PywbReplay(warc_dir) as replay, chromium(args.width, args.height) as browser:
            page = render(browser, replay.url_for(seed.url, mode=""), screenshot=args.output)
    shown = [i for i in page.images if i["width"] == PHOTO_WIDTH and any(i["src"].endswith(c.image_url)
                                                                        for c in seed.captions)]
    print(f"articles crawled                      {len(articles)}")
    for (outcome, status, record_type), count in sorted(requisites.items()):
        print(f"captures {outcome:12} HTTP {status} {record_type:8}  {count}")
    print(f"article pages byte-exact (latest)     {exact_pages} of {pages}")
    print(f"captioned photos byte-exact           {exact_photos} of {photos}")
    print(f"seed article in Chromium: photos shown {len(shown)} of {len(seed.captions)}")
    print(f"screenshot                            {args.output} ({args.output.stat().st_size:,} bytes)")


if __name__ == "__main__":
    main()
