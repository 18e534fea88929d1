"""The fixed cost of a crawl: the first pages of a folder of real pages (served as `benchmarks/unseen_site.py` serves
them, outside hosts behind a dead proxy) crawled into a new archive, then `--runs` times more into the same one: the
case of a scheduled job, whose archive exists and whose pages it already has. Prints the CPU of each run's whole
process tree (extraction workers and their forkserver included, counted as `benchmarks/throughput.py` counts them)
and the median of the later runs.

    .venv/bin/python benchmarks/startup.py ../shared/eval/dates-dev/html [--pages 3] [--runs 4]

Before and after a change, on a machine whose speed swings from one minute to the next: run the two at the same
time, one of them with `PYTHONPATH=` a checkout of the other version (each then has about a core).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from throughput import crawl_command, measure
from unseen_site import load_pages, served


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("folders", nargs="+", type=Path)
    parser.add_argument("--pages", type=int, default=3, help="how many of the folders' pages the site has")
    parser.add_argument("--runs", type=int, default=4, help="runs after the first, into the same archive")
    args = parser.parse_args()
    pages = dict(list(load_pages(args.folders).items())[: args.pages])
    with served(pages) as base, tempfile.TemporaryDirectory() as tmp:
        command = crawl_command(base, f"sqlite:///{tmp}/archive.db", Path(tmp) / "warc")
        first = measure(command, cwd=Path(tmp), name="first")
        later = [measure(command, cwd=Path(tmp), name=f"later{n}").cpu for n in range(args.runs)]
    print(f"{len(pages)} pages: first run (new archive) {first.cpu:.2f} s CPU; later runs into the same archive "
          f"{', '.join(f'{cpu:.2f}' for cpu in later)} s CPU (median {statistics.median(later):.2f} s)")


if __name__ == "__main__":
    main()
