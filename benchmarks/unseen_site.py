"""Crawl a site newsarchive has never seen: a folder of real article pages (`*.html` or `*.html.gz`) served on
127.0.0.1 behind a generated sitemap, crawled with `newsarchive crawl --sitemap`. Prints how many pages became
rows, how many have non-empty text, and what became of the rest.

    python benchmarks/unseen_site.py DIR [DIR ...]      # e.g. ../shared/eval/aeb-dev/html
    python benchmarks/unseen_site.py --aeb DIR --fundus DIR
    python benchmarks/unseen_site.py ../shared/eval/dates-dev/html --set REQUISITES_ENABLED=false
    python benchmarks/unseen_site.py ../shared/eval/dates-dev/html --rounds 3     # the cost, medians of 3
    python benchmarks/unseen_site.py ../shared/eval/dates-dev/html --rounds 3 --side-by-side
    python benchmarks/unseen_site.py ../shared/eval/dates-dev/html --identity     # pages not gzip-encoded
    python benchmarks/unseen_site.py ../shared/eval/dates-dev/html --rounds 3 --breakdown

With `--aeb` / `--fundus` the labelled pages are served (at URLs that carry no date) and the export is scored with
`benchmarks/extraction_quality.py`'s scorer, per publisher fold, seen and held-apart, beside plain trafilatura on
the same pages: the end-to-end figure, through the public commands.

Also printed, the cost on real pages: the crawl's CPU (its whole process tree, read as `benchmarks/throughput.py`
does; the site is served by this process, apart) per stored article, against trafilatura's
`extract(..., with_metadata=True)` CPU per page on the same pages, in a fresh process of its own (imported before
the clock starts; its caches as cold as the crawl's). With `--rounds N` the two alternate N times and the medians
are printed too: a machine whose speed drifts from minute to minute moves both alike. Where it swings faster than
that (trafilatura's own figure seen at 50 and 90 ms a page in consecutive rounds), `--side-by-side` runs
trafilatura's pass at the same time as the crawl, so that both are timed at the machine's speed of the moment
(each process's CPU is its own; the crawl then has less of the cores, so its share of them is not printed).
`--breakdown` also prints what lies under the crawl's figure: the project's own extraction alone on the same pages
(`extract_article`, timed page by page beside trafilatura's in the same process) and Scrapy alone fetching every
URL the crawl fetched, once each, through the same dead proxy (`throughput.py`'s `scrapy-floor`, run after the
crawl): the floor no crawl on Scrapy that archives the pages' requisites goes under.

The pages are gzip-encoded for the crawler, which asks for it, as news sites serve them (`--identity`: not).
The pages' photos and stylesheets are on real outside hosts: the crawl goes through a dead proxy
(127.0.0.1:9) for every host but 127.0.0.1, so their requests fail at once and nothing leaves the machine.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import trafilatura
from sqlalchemy import select
from sqlalchemy.orm import Session

sys.path.insert(0, str(Path(__file__).resolve().parent))

from extraction_quality import (
    Page,
    Tally,
    aeb_pages,
    from_article,
    fundus_pages,
    print_figures,
    run_trafilatura,
    score_page,
)
from throughput import Usage, crawl_command, fetched_urls, measure, measure_floor

from archive.models import CaptureRow
from archive.records import Article, NotAnArticle
from archive.store import ArchiveStore
from crawler.addon import SCRAPY_DEFAULTS
from crawler.extract import extract_article


def load_pages(folders: list[Path]) -> dict[str, bytes]:
    pages = {}
    for folder in folders:
        for path in sorted(folder.rglob("*.htm*")):
            body = path.read_bytes()
            if path.suffix == ".gz":
                body = gzip.decompress(body)
            pages[f"/{len(pages):05d}-{path.name.split('.')[0][:40]}.html"] = body
    return pages


def serve(pages: dict[str, bytes], gzip_encoding: bool = True) -> ThreadingHTTPServer:
    """The pages and their sitemap on 127.0.0.1, gzip-encoded for a client that accepts it (as news sites answer a
    crawler; each page compressed once, here, before the crawl) unless `gzip_encoding` is off."""
    compressed = {path: gzip.compress(body, 6) for path, body in pages.items()} if gzip_encoding else {}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            encoding = None
            if self.path == "/sitemap.xml":
                base = f"http://127.0.0.1:{self.server.server_port}"
                locs = "".join(f"<url><loc>{base}{path}</loc></url>" for path in pages)
                body = f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{locs}</urlset>'.encode()
                kind = "application/xml"
            elif self.path in pages:
                body, kind = pages[self.path], "text/html"
                if self.path in compressed and "gzip" in self.headers.get("Accept-Encoding", ""):
                    body, encoding = compressed[self.path], "gzip"
            else:
                self.send_error(404)
                return
            self.send_response(200)
            self.send_header("Content-Type", kind)
            if encoding:
                self.send_header("Content-Encoding", encoding)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def crawl_and_export(
    pages: dict[str, bytes],
    settings: list[str],
    gzip_encoding: bool = True,
    side_by_side: bool = False,
    breakdown: bool = False,
) -> tuple[list[dict], Counter, str, Cost]:
    """Serve the pages, crawl them with `newsarchive crawl`, export with `newsarchive export`: (records, what became
    of the pages not stored, the base URL they were served at, the cost of the crawl beside trafilatura's, measured
    after the crawl or, `side_by_side`, during it). With `breakdown`, the cost also holds the project's extraction
    alone (timed with trafilatura's) and the floor: a bare Scrapy spider (`throughput.py`'s `scrapy-floor`)
    fetching every URL the crawl fetched, once each, after the crawl, as the crawl did (the same dead proxy)."""
    newsarchive = str(Path(sys.executable).parent / "newsarchive")  # for the export
    with (served(pages, gzip_encoding) as base, tempfile.TemporaryDirectory() as tmp,
          extractors_cost(pages, started=side_by_side, ours=breakdown) as extractors):
        work = Path(tmp)
        db_url = f"sqlite:///{work}/x.db"
        usage = measure(crawl_command(base, db_url, work / "w", settings), cwd=work, name="unseen-site")
        export = subprocess.run(
            [newsarchive, "export", "--db", db_url, "--format", "jsonl"], check=True, capture_output=True, text=True
        )
        records = [json.loads(line) for line in export.stdout.splitlines()]
        store = ArchiveStore(db_url)
        with Session(store.engine) as session:
            outcomes = Counter(
                (row.outcome, row.reason) for row in session.scalars(select(CaptureRow))
                if row.url.endswith(".html") and row.outcome != "article"
            )  # fmt: skip
        store.close()
        fetched = fetched_urls(db_url)
        floor = None
        if breakdown:
            (work / "fetched-urls.txt").write_text("\n".join(fetched))
            floor = measure_floor(work / "fetched-urls.txt", SCRAPY_DEFAULTS["CONCURRENT_REQUESTS"], work)
    trafilatura, extraction = extractors()
    cost = Cost(usage, len(records), trafilatura, side_by_side, extraction, floor, len(fetched))
    print_cost(cost)
    return records, outcomes, base, cost


@contextmanager
def served(pages: dict[str, bytes], gzip_encoding: bool = True) -> Iterator[str]:
    """The pages served on 127.0.0.1 (base URL yielded), every other host behind a dead proxy meanwhile."""
    server = serve(pages, gzip_encoding)
    try:
        with dead_proxy_for_outside_hosts():
            yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()


@contextmanager
def dead_proxy_for_outside_hosts() -> Iterator[None]:
    """Every request of a crawl started here to a host other than 127.0.0.1 goes to a proxy that is not there."""
    names = ("http_proxy", "https_proxy", "no_proxy")
    saved = {name: os.environ.get(name) for name in names}
    os.environ.update(http_proxy="http://127.0.0.1:9", https_proxy="http://127.0.0.1:9", no_proxy="127.0.0.1")
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


@contextmanager
def extractors_cost(
    pages: dict[str, bytes], started: bool = False, ours: bool = False
) -> Iterator[Callable[[], tuple[float, float | None]]]:
    """trafilatura's `extract(..., with_metadata=True)` CPU seconds per page over `pages`, and with `ours` the
    project's `extract_article` too (each page given to one, then the other), in a fresh process: run on leaving
    the block, or, if `started`, beside the block from its start (both then share the machine's speed of the
    moment). Yields what gives (trafilatura's figure, the project's or None) once the block is left."""
    with tempfile.TemporaryDirectory() as tmp:
        saved = Path(tmp) / "pages.json"
        saved.write_text(json.dumps({path: html.decode("latin-1") for path, html in pages.items()}))
        command = [sys.executable, __file__, "--extractors-cost", str(saved), *(["--ours"] if ours else [])]
        child = subprocess.Popen(command, stdout=subprocess.PIPE, text=True) if started else None
        output: list[str] = []

        def figures() -> tuple[float, float | None]:
            trafilatura_figure, *ours_figure = (float(word) for word in output[0].split())
            return trafilatura_figure, (ours_figure[0] if ours_figure else None)

        try:
            yield figures
        finally:
            if child is None:
                output.append(subprocess.run(command, check=True, capture_output=True, text=True).stdout)
            else:
                output.append(child.communicate()[0])
                if child.returncode:
                    raise subprocess.CalledProcessError(child.returncode, command)


def time_extractors(saved: Path, ours: bool) -> None:
    """The child of `extractors_cost`: print trafilatura's CPU seconds per page, and with `ours` the project's."""
    pages = {path: text.encode("latin-1") for path, text in json.loads(saved.read_text()).items()}
    spent = [0.0, 0.0]
    for path, html in pages.items():
        url = f"http://127.0.0.1{path}"
        started = time.process_time()
        trafilatura.extract(html, url=url, with_metadata=True)
        spent[0] += time.process_time() - started
        if ours:
            started = time.process_time()
            with suppress(NotAnArticle):
                extract_article(html, url)
            spent[1] += time.process_time() - started
    print(*(seconds / max(len(pages), 1) for seconds in spent[: 1 + ours]))


@dataclass(frozen=True)
class Cost:
    """One round: the crawl's CPU per stored article against trafilatura's per page (measured beside the crawl when
    `side_by_side`: then the cores the crawl kept busy are not its own figure, trafilatura took its share); with
    `--breakdown`, what is under the crawl's figure: the project's extraction alone per page and Scrapy's own cost
    of fetching the crawl's URLs (`floor`, a bare spider)."""

    crawl: Usage
    stored: int
    trafilatura: float
    side_by_side: bool = False
    extraction: float | None = None
    floor: Usage | None = None
    fetched: int = 0  # the URLs the crawl fetched or failed to fetch, which the floor fetches again

    @property
    def per_article(self) -> float:
        return self.crawl.cpu / max(self.stored, 1)

    @property
    def ratio(self) -> float:
        return self.per_article / self.trafilatura

    @property
    def cores_busy(self) -> float:
        return self.crawl.cpu / (self.crawl.wall * (os.cpu_count() or 1))

    @property
    def floor_per_article(self) -> float:
        return self.floor.cpu / max(self.stored, 1) if self.floor else 0.0

    def cores(self) -> str:
        return "trafilatura beside the crawl" if self.side_by_side else f"cores busy {self.cores_busy:.0%}"


def print_cost(cost: Cost) -> None:
    print(f"cost on these pages: crawl {cost.crawl.cpu:.1f} s CPU, {cost.crawl.wall:.1f} s wall for {cost.stored} "
          f"articles = {cost.per_article * 1000:.1f} ms CPU per article; trafilatura extract "
          f"{cost.trafilatura * 1000:.1f} ms CPU per page; crawl / trafilatura {cost.ratio:.2f}x; "
          f"{cost.cores()}", flush=True)  # fmt: skip
    if cost.floor is not None and cost.extraction is not None:
        print_breakdown(cost.per_article, cost.trafilatura, cost.extraction, cost.floor_per_article,
                        f"{cost.fetched} URLs ({cost.fetched / max(cost.stored, 1):.1f} an article)")


def print_breakdown(crawl: float, trafilatura: float, extraction: float, floor: float, urls: str) -> None:
    under = extraction + floor
    print(f"  under it: the project's extraction alone {extraction * 1000:.1f} ms a page "
          f"({extraction / trafilatura:.2f}x trafilatura); Scrapy alone fetching the crawl's {urls}, each once, "
          f"{floor * 1000:.1f} ms an article; the two {under * 1000:.1f} ms = {under / trafilatura:.2f}x "
          f"trafilatura; the rest of the crawl (WARC, SQL, dedup, the pool's hand-off, failures recorded) "
          f"{(crawl - under) * 1000:.1f} ms", flush=True)


def print_medians(costs: list[Cost]) -> None:
    median = statistics.median
    cores = "trafilatura beside the crawl" if costs[0].side_by_side else \
        f"cores busy {median(c.cores_busy for c in costs):.0%}"  # fmt: skip
    print(f"medians of {len(costs)} rounds: crawl {median(c.per_article for c in costs) * 1000:.1f} ms CPU per "
          f"article, trafilatura {median(c.trafilatura for c in costs) * 1000:.1f} ms per page, crawl / trafilatura "
          f"{median(c.ratio for c in costs):.2f}x, {cores}")  # fmt: skip
    if all(c.floor is not None and c.extraction is not None for c in costs):
        print_breakdown(median(c.per_article for c in costs), median(c.trafilatura for c in costs),
                        median(c.extraction for c in costs), median(c.floor_per_article for c in costs),
                        f"{median(c.fetched for c in costs):.0f} URLs")


def score_export(labelled: list[Page], settings: list[str]) -> None:
    """Serve the labelled pages, crawl and export them, score the export and plain trafilatura per fold."""
    served = {f"/{n:05d}.html": page for n, page in enumerate(labelled)}
    records, outcomes, base, _ = crawl_and_export({path: page.html for path, page in served.items()}, settings)
    by_url = {record["url"]: record for record in records}
    by_fold: dict[int, dict[str, Tally]] = defaultdict(lambda: {"crawled": Tally(), "trafilatura": Tally()})
    for path, page in served.items():
        record = by_url.get(base + path)
        crawled = from_article(Article.from_record(record), page) if record else None
        score_page(page, crawled, by_fold[page.fold]["crawled"])
        score_page(page, run_trafilatura(page), by_fold[page.fold]["trafilatura"])
    print(f"pages served {len(served)}, rows exported {len(records)}")
    for (outcome, reason), count in outcomes.most_common():
        print(f"not stored: {count:4d}  {outcome}: {reason}")
    print_figures(labelled, by_fold)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("folders", nargs="*", type=Path)
    parser.add_argument("--aeb", type=Path, help="article-extraction-benchmark folder: score the export")
    parser.add_argument("--fundus", type=Path, help="fundus test-resources folder: score the export")
    parser.add_argument("--set", dest="settings", action="append", default=[], metavar="NAME=VALUE",
                        help="a setting for the crawl (repeatable), e.g. --set REQUISITES_ENABLED=false")
    parser.add_argument("--rounds", type=int, default=1, help="crawl and trafilatura alternated this many times")
    parser.add_argument("--identity", action="store_true", help="serve the pages uncompressed (default: gzip)")
    parser.add_argument("--side-by-side", action="store_true",
                        help="time trafilatura during the crawl, not after it (a machine whose speed swings)")
    parser.add_argument("--breakdown", action="store_true",
                        help="also time the project's extraction alone and Scrapy alone fetching the crawl's URLs")
    parser.add_argument("--extractors-cost", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--ours", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.extractors_cost:
        time_extractors(args.extractors_cost, args.ours)
        return
    if args.aeb or args.fundus:
        score_export([*(aeb_pages(args.aeb) if args.aeb else ()), *(fundus_pages(args.fundus) if args.fundus else ())],
                     args.settings)
    if not args.folders:
        if not (args.aeb or args.fundus):
            parser.error("give folders of pages, or --aeb DIR / --fundus DIR")
        return
    pages = load_pages(args.folders)
    costs = []
    for _ in range(args.rounds):
        records, outcomes, _, cost = crawl_and_export(pages, args.settings, not args.identity, args.side_by_side,
                                                      args.breakdown)
        costs.append(cost)
    if len(costs) > 1:
        print_medians(costs)
    print(f"article pages served    {len(pages)}")
    print(f"rows stored             {len(records)}")
    print(f"rows with non-empty text {sum(1 for r in records if r['text'].strip())}")
    print(f"rows with a date        {sum(1 for r in records if r['published_at'])}")
    for (outcome, reason), count in outcomes.most_common():
        print(f"not stored: {count:4d}  {outcome}: {reason}")


if __name__ == "__main__":
    main()
