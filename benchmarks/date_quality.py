"""Publication dates of newsarchive against htmldate and trafilatura, cross-validated by publisher.

    python benchmarks/date_quality.py --dates DIR [--fundus DIR] [--show-failures]

`--dates`: htmldate's benchmark layout (labels.json: id -> {url, date} + html/<id>.html.gz), the publisher is the
host of the label URL. `--fundus`: fundus test resources (<country>/<Publisher>.json + pages + meta.info), the
publisher is the label file's name. Pages are split into `FOLDS` folds by a hash of their publisher; the folds in
`DEVELOPMENT_FOLDS` are the ones whose failures may be read while writing date rules ("seen"), the others are
held apart and only ever counted. `--show-failures` lists failures of the development folds only.

Scoring (shared/eval/README.md): every page is handled at a neutral URL of its host that carries no date, so the
date must come from the page. A page is right when the date part of `published_at`, written with the page's own
offset, equals the label's day. Fundus labels are instants with an offset: newsarchive's date is read in the
label's offset, and to the minute where the label has a time of day. htmldate alone is
`find_date(html, original_date=True, extensive_search=True)`; trafilatura is its metadata date. Both run on the
same pages; pages newsarchive does not store as articles are counted apart (the crawl keeps no date for them).
Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from htmldate import find_date
from trafilatura.metadata import extract_metadata

from archive.records import DatePrecision, NotAnArticle
from crawler.extract import extract_article

FOLDS = 5
DEVELOPMENT_FOLDS = frozenset({0, 1})  # chosen before any page was looked at; never change it to improve figures


@dataclass(frozen=True)
class LabelledPage:
    """One page of a date benchmark: its HTML, the neutral URL it is handled at and its label."""

    name: str
    publisher: str
    html: bytes
    url: str
    day: date
    instant: datetime | None = None  # fundus: the labelled instant, with its offset
    fetched_at: datetime | None = None

    @property
    def fold(self) -> int:
        return fold_of(self.publisher)

    @property
    def timed(self) -> bool:
        return self.instant is not None and (self.instant.hour, self.instant.minute, self.instant.second) != (0, 0, 0)


def fold_of(publisher: str) -> int:
    """The fold of a publisher: stable across runs and machines (not Python's salted hash)."""
    return int(hashlib.sha1(publisher.lower().encode()).hexdigest(), 16) % FOLDS


def neutral_url(label_url: str) -> str:
    """The page's host with a path that carries no date (the country domain still says where the site is)."""
    parts = urlsplit(label_url)
    return f"{parts.scheme or 'https'}://{parts.hostname or 'example.org'}/article"


def dates_dev_pages(folder: Path) -> Iterator[LabelledPage]:
    labels = json.loads((folder / "labels.json").read_text(encoding="utf-8"))
    for page_id, label in sorted(labels.items()):
        if not isinstance(label.get("date"), str):
            continue  # a few pages of the benchmark have no publication date (NaN): nothing to score
        html = gzip.decompress((folder / "html" / f"{page_id}.html.gz").read_bytes())
        host = (urlsplit(label["url"]).hostname or "").removeprefix("www.")
        yield LabelledPage(page_id, host, html, neutral_url(label["url"]), date.fromisoformat(label["date"]))


@dataclass(frozen=True)
class FundusFile:
    """One page of fundus's test resources with its label, as both extraction benchmarks read it."""

    name: str  # country/file name
    publisher: str
    html: bytes
    url: str
    label: dict
    fetched_at: datetime | None


def fundus_files(folder: Path) -> Iterator[FundusFile]:
    for country in sorted(p for p in folder.iterdir() if p.is_dir()):
        meta = json.loads((country / "meta.info").read_text(encoding="utf-8"))
        for label_file in sorted(country.glob("*.json")):
            pages = sorted(country.glob(f"{label_file.stem}_*.html.gz"))
            labels = list(json.loads(label_file.read_text(encoding="utf-8")).values())
            for page, label in zip(pages, labels, strict=False):
                info = meta.get(page.name, {})
                crawled = info.get("crawl_date")
                yield FundusFile(
                    f"{country.name}/{page.name}",
                    label_file.stem,
                    gzip.decompress(page.read_bytes()),
                    info.get("url", ""),
                    label,
                    datetime.fromisoformat(crawled).replace(tzinfo=UTC) if crawled else None,
                )


def fundus_pages(folder: Path) -> Iterator[LabelledPage]:
    for file in fundus_files(folder):
        if file.label.get("publishing_date"):
            instant = datetime.fromisoformat(file.label["publishing_date"])
            yield LabelledPage(
                file.name, file.publisher, file.html, neutral_url(file.url), instant.date(), instant, file.fetched_at
            )


@dataclass
class Outcome:
    """What each extractor said about one page."""

    page: LabelledPage
    stored: bool
    newsarchive: datetime | None
    precision: str | None
    htmldate: date | None
    trafilatura: date | None

    def day(self, value: datetime | None) -> date | None:
        if value is None:
            return None
        # Fundus labels are instants with an offset: a time is compared in the label's offset. A day-only date, a
        # label without an offset and the date benchmark's days compare in the page's own offset.
        instant = self.page.instant
        if instant is None or instant.tzinfo is None or self.precision == DatePrecision.DAY:
            return value.date()
        return value.astimezone(instant.tzinfo).date()

    @property
    def right(self) -> bool:
        return self.day(self.newsarchive) == self.page.day

    @property
    def minute_right(self) -> bool:
        instant = self.page.instant
        return (
            self.newsarchive is not None
            and instant is not None
            and self.right
            and (
                self.newsarchive.astimezone(instant.tzinfo or self.newsarchive.tzinfo).replace(second=0, microsecond=0)
                == instant.replace(second=0, microsecond=0)
            )
        )


@dataclass
class Tally:
    pages: int = 0
    not_stored: int = 0
    right: int = 0
    htmldate_right: int = 0
    trafilatura_right: int = 0
    timed: int = 0
    minute_right: int = 0
    lost_to_htmldate: int = 0  # wrong where htmldate is right
    won_over_htmldate: int = 0
    no_date: int = 0
    htmldate_no_date: int = 0

    def add(self, outcome: Outcome) -> None:
        if not outcome.stored:
            self.not_stored += 1
            return
        page = outcome.page
        htmldate_right = outcome.htmldate == page.day
        self.pages += 1
        self.right += outcome.right
        self.htmldate_right += htmldate_right
        self.trafilatura_right += outcome.trafilatura == page.day
        self.timed += page.timed
        self.minute_right += page.timed and outcome.minute_right
        self.lost_to_htmldate += htmldate_right and not outcome.right
        self.won_over_htmldate += outcome.right and not htmldate_right
        self.no_date += outcome.newsarchive is None
        self.htmldate_no_date += outcome.htmldate is None

    def row(self, name: str) -> str:
        def ratio(a: int, b: int) -> str:
            return f"{a / b:.3f}" if b else "  -  "

        return (
            f"{name:<22}{self.pages:>6}{self.not_stored:>5} {ratio(self.right, self.pages):>7}"
            f" {ratio(self.htmldate_right, self.pages):>7} {ratio(self.trafilatura_right, self.pages):>7}"
            f" {ratio(self.minute_right, self.timed):>7}{self.lost_to_htmldate:>6}{self.won_over_htmldate:>6}"
            f"{self.no_date:>7}{self.htmldate_no_date:>7}"
        )


HEADER = (
    f"{'fold':<22}{'pages':>6}{'n/a':>5} {'day':>7} {'htmld.':>7} {'trafil.':>7} {'minute':>7}{'lost':>6}{'won':>6}"
    f"{'nodate':>7}{'h.none':>7}"
)
LEGEND = (
    "pages: stored as articles (scored); n/a: not stored, not scored; day: newsarchive right to the day; htmld. /"
    " trafil.: htmldate alone / trafilatura on the same pages;\nminute: newsarchive to the minute where the label"
    " has a time; lost: wrong where htmldate is right; won: right where htmldate is wrong; nodate / h.none: pages"
    " without a date"
)


@dataclass
class Timer:
    seconds: float = 0.0
    pages: int = 0

    def run(self, function: Callable, *args, **kwargs):
        start = time.process_time()  # CPU time of this process: one core, whatever the machine's load
        try:
            return function(*args, **kwargs)
        finally:
            self.seconds += time.process_time() - start
            self.pages += 1

    def rate(self) -> str:
        return f"{self.pages / self.seconds:.1f} pages/s" if self.seconds else "-"


@dataclass
class Report:
    """Outcomes of one benchmark and the time each extractor took."""

    outcomes: list[Outcome] = field(default_factory=list)
    timers: dict[str, Timer] = field(default_factory=lambda: {n: Timer() for n in ("newsarchive", "htmldate")})

    def tally(self, folds: frozenset[int] | set[int]) -> Tally:
        tally = Tally()
        for outcome in self.outcomes:
            if outcome.page.fold in folds:
                tally.add(outcome)
        return tally


def _newsarchive(page: LabelledPage) -> tuple[bool, datetime | None, str | None]:
    try:
        article = extract_article(page.html, page.url, fetched_at=page.fetched_at)
    except NotAnArticle:
        return False, None, None
    return True, article.published_at, article.published_precision


def _day(text: str | None) -> date | None:
    return date.fromisoformat(text[:10]) if text else None


def evaluate(pages: Iterator[LabelledPage]) -> Report:
    """Run newsarchive, htmldate alone and trafilatura's metadata on every page."""
    report = Report()
    for page in pages:
        stored, published, precision = report.timers["newsarchive"].run(_newsarchive, page)
        htmldate = report.timers["htmldate"].run(find_date, page.html, original_date=True, extensive_search=True)
        metadata = extract_metadata(page.html, default_url=page.url)
        report.outcomes.append(Outcome(page, stored, published, precision, _day(htmldate), _day(metadata.date)))
    return report


def print_report(title: str, report: Report, show_failures: bool) -> None:
    print(f"\n== {title}: {len(report.outcomes)} pages, development folds {sorted(DEVELOPMENT_FOLDS)}")
    print(LEGEND)
    print(HEADER)
    for fold in range(FOLDS):
        role = "seen" if fold in DEVELOPMENT_FOLDS else "held"
        print(report.tally({fold}).row(f"fold {fold} ({role})"))
    held = set(range(FOLDS)) - DEVELOPMENT_FOLDS
    print(report.tally(DEVELOPMENT_FOLDS).row("SEEN (dev folds)"))
    print(report.tally(held).row("HELD-APART"))
    for name, timer in report.timers.items():
        print(f"speed {name:<14}{timer.rate()} (CPU time, one core)")
    if show_failures:
        for outcome in report.outcomes:
            if outcome.page.fold in DEVELOPMENT_FOLDS and outcome.stored and not outcome.right:
                page = outcome.page
                found = outcome.newsarchive.isoformat() if outcome.newsarchive else None
                print(f"FAIL {page.name} {page.publisher} label {page.instant or page.day} got {found}"
                      f" htmldate {outcome.htmldate}")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--dates", type=Path, help="htmldate benchmark folder (labels.json, html/)")
    parser.add_argument("--fundus", type=Path, help="fundus test-resources folder")
    parser.add_argument("--show-failures", action="store_true", help="list failures of the development folds")
    args = parser.parse_args()
    if not (args.dates or args.fundus):
        parser.error("give --dates DIR and/or --fundus DIR")
    for folder, reader in ((args.dates, dates_dev_pages), (args.fundus, fundus_pages)):
        if folder is None:
            continue
        if not folder.is_dir():
            parser.error(f"not a folder: {folder}")
        print_report(str(folder), evaluate(reader(folder)), args.show_failures)


if __name__ == "__main__":
    main()
