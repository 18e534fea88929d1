"""A screenshot of a crawled article as pywb replays it, with its photos: the picture of the README's "Replay".

Serves a small newsroom (photos and stylesheet on its image host, 127.0.0.2), crawls it with `newsarchive crawl`,
stops it, replays the WARC folder with the project's pywb replay (`newsarchive replay`'s `PywbReplay`) and loads the
seed article in Debian's headless Chromium (tests/browser.py: loopback only), then prints what the page showed.

    python benchmarks/replay_screenshot.py [-o docs/replay.png] [--width 860] [--height 1200]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from browser import chromium, render

from archive.replay import PywbReplay
from archive.store import ArchiveStore
from crawler.newsroom import Newsroom, serve
from crawler.newsroom.site import PHOTO_WIDTH


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-o", "--output", type=Path, default=Path("docs/replay.png"))
    parser.add_argument("--width", type=int, default=860)
    parser.add_argument("--height", type=int, default=1200)
    args = parser.parse_args()

    newsroom = Newsroom(articles=12)
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        db_url, warc_dir = f"sqlite:///{workdir / 'archive.db'}", workdir / "warc"
        with serve(newsroom) as base_url:
            command = [
                str(Path(sys.executable).parent / "newsarchive"), "crawl", "--sitemap", f"{base_url}/sitemap.xml",
                "--db", db_url, "--warc-dir", str(warc_dir), "--allow-private",
                "-s", "AUTOTHROTTLE_ENABLED=false", "-s", "LOG_LEVEL=WARNING",
            ]
            result = subprocess.run(command, cwd=workdir, capture_output=True, text=True)
            if result.returncode != 0:
                sys.exit(f"crawl failed:\n{result.stderr[-3000:]}")
        store = ArchiveStore(db_url)
        seed = next(a for a in store.iter_articles() if a.url.endswith(newsroom.seed_path))
        store.close()
        args.output.parent.mkdir(parents=True, exist_ok=True)
        with PywbReplay(warc_dir) as replay, chromium(args.width, args.height) as browser:
            page = render(browser, replay.url_for(seed.url, mode=""), screenshot=args.output)
    shown = [i for i in page.images if i["width"] == PHOTO_WIDTH and any(i["src"].endswith(c.image_url)
                                                                        for c in seed.captions)]
    print(f"replayed {seed.url}")
    print(f"captioned photos rendered {len(shown)} of {len(seed.captions)}")
    print(f"screenshot              {args.output} ({args.output.stat().st_size:,} bytes)")


if __name__ == "__main__":
    main()
