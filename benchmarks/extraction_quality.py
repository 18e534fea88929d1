"""Extraction quality of newsarchive against plain trafilatura on labelled real pages, cross-validated by publisher.

    python benchmarks/extraction_quality.py --aeb DIR --fundus DIR [--vi DIR] [--seed DIR] [--dates DIR] [--failures]

The pages are split by publisher into 5 deterministic folds (CRC-32 of the publisher: the fundus label file's name,
the aeb page's host without "www."). Folds 0 and 1 are the development folds: the rules were written looking at
failures on their pages only (`--failures` prints those, and never a page of another fold). Every figure is
printed per fold, for the development folds ("seen"), for the three others ("held-apart": publishers whose pages
nobody looked at while writing the rules, the estimate for unseen sites) and for all pages, for newsarchive and
for plain trafilatura on the same pages.

`--aeb`: the article-extraction-benchmark layout (ground-truth.json + html/<id>.html.gz). `--fundus`: fundus test
resources (<country>/<Publisher>.json + <Publisher>_<date>.html.gz + meta.info). Body F1 is scored the benchmark's
way (Unicode \\w+ tokens, 4-gram shingle multisets, per-page tp/fp/fn normalised to sum 1, precision and recall
averaged over pages, F1 from the averages), newsarchive's captions taken out of its text first (on fundus pages
the lead is put before the text, the label being summary + body). Captions (fundus): recall and precision (a
caption matches a label at token F1 >= 0.8, credits taken out of both), credit accuracy on the matched ones
(marker word left out), dates (right to the day, and to the minute where the label has a time), lead and section
fill rates, exact titles, authors. `--vi`: the hand-labelled Vietnamese pages and date strings. "Vietnamese CMS pages
fully right" counts the `--vi` pages, fundus's pages of Vietnam and the `--seed` record (the baonghean.vn article in
the text form, rendered by the newsroom in its two layouts) whose title, lead, section, published_at (+07:00) and
captions with credits are all as labelled (a field without a label is not checked), by the generic extractor and
with the shipped profile of the page's platform. `--dates`: the
date benchmark (htmldate's layout) scored by `benchmarks/date_quality.py`, its seen and held-apart table against
htmldate alone and trafilatura, so that one command prints body, captions, credits and dates. Prints figures;
asserts nothing.
"""

from __future__ import annotations

import argparse
import gzip
import json
import re
import sys
import time
import zlib
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

import trafilatura

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import date_quality

from archive.records import Article, DatePrecision, NotAnArticle
from crawler.dates import parse_date
from crawler.extract import extract_article
from crawler.sites import load_profile

FOLDS = 5
DEVELOPMENT_FOLDS = frozenset({0, 1})
CAPTION_MATCH_F1 = 0.8
EXTRACTORS = ("newsarchive", "trafilatura")

# The scorer's own list of credit marker words, kept apart from the extractor's so that changing the extractor
# cannot change the labels it is scored against.
_MARKER_WORDS = (
    r"Ảnh|Nguồn|Photo|Foto|Fot|Bild|Credit|Crédit|Image|Picture|Source|Quelle|Kuva|Zdjęcie|Źródło|Фото|Fuente"
    r"|Fonte|Sumber|Beeld|Bron|Kilde|Källa|Kaynak|Izvor|Zdroj|Courtesy|사진|写真"
)
_CREDIT_MARKER = re.compile(
    rf"^\W*(?:(?:{_MARKER_WORDS})\w*\.?\s*)+(?:(?:by|von|de|di|par|of)\b\s*|[:：=]\s*|(?<=Fot\.)\s*)"
    r"|^\W*©\s*|\s*(?:撮影|nuotr\.?)\s*$",
    re.IGNORECASE,
)
_LEFT_MARKER = re.compile(rf"[\s(\[|/–—-]*(?:(?:{_MARKER_WORDS})\w*\s*[:：]?|©)?\s*[)\]]?\s*$", re.IGNORECASE)


def fold_of(publisher: str) -> int:
    return zlib.crc32(publisher.casefold().encode()) % FOLDS


def tokens(text: str) -> list[str]:
    return re.findall(r"\w+", text or "")


def shingle_scores(truth: str, prediction: str, n: int = 4) -> tuple[float, float]:
    """Per-page (precision, recall) of the benchmark's 4-gram shingle matching."""

    def shingles(text: str) -> Counter:
        words = tokens(text)
        return Counter(tuple(words[i : i + n]) for i in range(max(1, len(words) - n + 1)))

    true_counts, pred_counts = shingles(truth), shingles(prediction)
    tp = sum((true_counts & pred_counts).values())
    fp = sum((pred_counts - true_counts).values())
    fn = sum((true_counts - pred_counts).values())
    total = tp + fp + fn
    if not total:
        return 1.0, 1.0
    tp, fp, fn = tp / total, fp / total, fn / total
    return (tp / (tp + fp) if tp + fp else 0.0), (tp / (tp + fn) if tp + fn else 0.0)


def token_f1(a: str, b: str) -> float:
    ta, tb = Counter(t.lower() for t in tokens(a)), Counter(t.lower() for t in tokens(b))
    common = sum((ta & tb).values())
    if not common:
        return 0.0
    precision, recall = common / sum(tb.values()), common / sum(ta.values())
    return 2 * precision * recall / (precision + recall)


def f1(precision: float, recall: float) -> float:
    return 2 * precision * recall / (precision + recall) if precision + recall else 0.0


def text_without_captions(article: Article) -> str:
    """newsarchive's body as the benchmark scores it: its inline captions (text, then credit) removed."""

    def is_caption(paragraph: str) -> bool:
        return any(
            paragraph.startswith(c.text) and len(paragraph) <= len(c.text) + len(c.credit or "") + 8
            for c in article.captions
        )

    return "\n\n".join(p for p in article.text.split("\n\n") if not is_caption(p))


@dataclass
class Timer:
    seconds: float = 0.0
    pages: int = 0

    def rate(self) -> str:
        return f"{self.pages / self.seconds:.1f} pages/s" if self.seconds else "-"


def timed(timer: Timer, function: Callable, *args):
    """Run and time in CPU seconds of this process: a figure for one core that other work on the machine does not
    lower."""
    start = time.process_time()
    try:
        return function(*args)
    finally:
        timer.seconds += time.process_time() - start
        timer.pages += 1


@dataclass
class Page:
    """One labelled page: where it comes from, its publisher's fold, and its labels."""

    corpus: str  # "aeb" or "fundus"
    name: str
    publisher: str
    url: str
    html: bytes
    label: dict
    fetched_at: datetime | None = None

    @property
    def fold(self) -> int:
        return fold_of(self.publisher)


def aeb_pages(folder: Path) -> Iterator[Page]:
    truth = json.loads((folder / "ground-truth.json").read_text(encoding="utf-8"))
    for page_id, label in sorted(truth.items()):
        html = gzip.decompress((folder / "html" / f"{page_id}.html.gz").read_bytes())
        host = (urlsplit(label["url"]).hostname or "").removeprefix("www.")
        yield Page("aeb", page_id, host, label["url"], html, label)


def fundus_pages(folder: Path) -> Iterator[Page]:
    for file in date_quality.fundus_files(folder):
        yield Page("fundus", file.name, file.publisher, file.url, file.html, file.label, file.fetched_at)


@dataclass
class Tally:
    pages: int = 0
    labels: int = 0
    predicted: int = 0
    matched: int = 0
    credits_right: int = 0
    dated: int = 0
    day_right: int = 0
    timed_labels: int = 0
    minute_right: int = 0
    lead_filled: int = 0
    section_filled: int = 0
    title_right: int = 0
    authors_right: int = 0
    fundus_pages: int = 0
    body: dict[str, list[tuple[float, float]]] = field(default_factory=lambda: defaultdict(list))

    def add(self, other: Tally) -> None:
        for name in self.__dataclass_fields__:
            if name == "body":
                for corpus, pairs in other.body.items():
                    self.body[corpus].extend(pairs)
            else:
                setattr(self, name, getattr(self, name) + getattr(other, name))

    def body_scores(self, *corpora: str) -> tuple[float, float, float, int]:
        """(F1, precision, recall, pages) of the body on the pages of these corpora."""
        pairs = [pair for corpus in corpora for pair in self.body.get(corpus, [])]
        if not pairs:
            return 0.0, 0.0, 0.0, 0
        precision = sum(p for p, _ in pairs) / len(pairs)
        recall = sum(r for _, r in pairs) / len(pairs)
        return f1(precision, recall), precision, recall, len(pairs)

    def body_row(self, name: str) -> str:
        cells = []
        for corpora in (("aeb",), ("fundus",), ("aeb", "fundus")):
            score, precision, recall, pages = self.body_scores(*corpora)
            cells.append(f"{pages:>4} {score:.3f} ({precision:.3f} {recall:.3f})" if pages else f"{'-':>25}")
        return f"{name:<28}" + "  ".join(cells)

    def fields_row(self, name: str) -> str:
        def ratio(a: int, b: int) -> str:
            return f"{a / b:.3f}" if b else "  -  "

        pages = self.fundus_pages
        return (
            f"{name:<28}{pages:>5} {self.labels:>5} {ratio(self.matched, self.labels):>6}"
            f" {ratio(self.matched, self.predicted):>6} {ratio(self.credits_right, self.matched):>6}"
            f" {ratio(self.day_right, self.dated):>6} {ratio(self.minute_right, self.timed_labels):>6}"
            f" {ratio(self.lead_filled, pages):>6} {ratio(self.section_filled, pages):>6}"
            f" {ratio(self.title_right, pages):>6} {ratio(self.authors_right, pages):>6}"
        )


BODY_HEADER = f"{'fold / extractor':<28}{'aeb: pages F1 (P R)':>25}  {'fundus: pages F1 (P R)':>25}  {'all':>25}"
FIELDS_HEADER = (
    f"{'fold / extractor':<28}{'pages':>5} {'capts':>5} {'c.rec':>6} {'c.prec':>6} {'credit':>6} {'day':>6}"
    f" {'minute':>6} {'lead':>6} {'sect.':>6} {'title':>6} {'author':>6}"
)


def label_caption(image: dict) -> str:
    """The labelled caption without its credit: the labelled authors and a marker word left behind taken out."""
    text = image.get("caption") or ""
    for author in image.get("authors") or []:
        text = text.replace(author, " ")
    return _LEFT_MARKER.sub("", " ".join(text.split()))


def credit_right(image: dict, credit: str | None) -> bool:
    credit = _CREDIT_MARKER.sub("", credit or "")
    expected = " ".join(image.get("authors") or [])
    return (not expected and not credit) or bool(expected and token_f1(expected, credit) >= CAPTION_MATCH_F1)


@dataclass
class CaptionReport:
    """What went wrong with a page's captions, for `--failures`."""

    missed: list[str] = field(default_factory=list)
    spurious: list[tuple[str, str | None]] = field(default_factory=list)
    wrong_credits: list[tuple[str, str, str | None]] = field(default_factory=list)


def match_captions(labels: list[dict], predicted: list[tuple[str, str | None]], tally: Tally) -> CaptionReport:
    report = CaptionReport()
    tally.labels += len(labels)
    tally.predicted += len(predicted)
    free = list(range(len(predicted)))
    for image in labels:
        target = label_caption(image)
        best = max(free, key=lambda i: token_f1(target, predicted[i][0]), default=None)
        if best is None or token_f1(target, predicted[best][0]) < CAPTION_MATCH_F1:
            report.missed.append(image.get("caption") or "")
            continue
        free.remove(best)
        tally.matched += 1
        if credit_right(image, predicted[best][1]):
            tally.credits_right += 1
        else:
            report.wrong_credits.append((target, " ".join(image.get("authors") or []), predicted[best][1]))
    report.spurious = [predicted[i] for i in free]
    return report


def score_date(label: str | None, predicted: datetime | None, day_only: bool, tally: Tally) -> None:
    if not label:
        return
    expected = datetime.fromisoformat(label)
    tally.dated += 1
    has_time = (expected.hour, expected.minute, expected.second) != (0, 0, 0)
    tally.timed_labels += has_time
    if predicted is None:
        return
    # a day-only date is its day as the page gave it (midnight of the offset it was read in), not an instant
    local = predicted if day_only or not expected.tzinfo else predicted.astimezone(expected.tzinfo)
    if local.date() == expected.date():
        tally.day_right += 1
        if has_time and not day_only and (local.hour, local.minute) == (expected.hour, expected.minute):
            tally.minute_right += 1


def score_title_authors(label: dict, title: str, authors: str, tally: Tally) -> None:
    tally.title_right += " ".join((label.get("title") or "").split()) == " ".join(title.split())
    expected = " ".join(label.get("authors") or [])
    tally.authors_right += (not expected and not authors) or token_f1(expected, authors) >= CAPTION_MATCH_F1


def label_body(label: dict) -> str:
    body = label.get("body") or {}
    parts = list(body.get("summary") or [])
    for section in body.get("sections") or []:
        parts += list(section.get("headline") or []) + list(section.get("paragraphs") or [])
    return "\n\n".join(parts)


@dataclass
class Extracted:
    """What one extractor made of one page, in the terms the scorer compares."""

    body: str
    captions: list[tuple[str, str | None]]
    published_at: datetime | None
    day_only: bool
    title: str
    authors: str
    lead: bool
    section: bool


def run_newsarchive(page: Page) -> Extracted | None:
    try:
        article = extract_article(page.html, page.url, fetched_at=page.fetched_at)
    except NotAnArticle:
        return None
    return from_article(article, page)


def from_article(article: Article, page: Page) -> Extracted:
    """What the scorer compares of an article newsarchive made of `page` (extracted here, or crawled and exported)."""
    body = text_without_captions(article)
    if page.corpus == "fundus" and article.lead:
        body = f"{article.lead}\n\n{body}"
    return Extracted(
        body=body,
        captions=[(c.text, c.credit) for c in article.captions],
        published_at=article.published_at,
        day_only=article.published_precision == DatePrecision.DAY,
        title=article.title,
        authors="; ".join(article.authors),
        lead=bool(article.lead),
        section=bool(article.section),
    )


def run_trafilatura(page: Page) -> Extracted | None:
    if page.corpus == "aeb":  # the benchmark's published reference: trafilatura's default extraction
        text = trafilatura.extract(page.html, url=page.url)
        return Extracted(text or "", [], None, True, "", "", False, False)
    document = trafilatura.bare_extraction(page.html, url=page.url, with_metadata=True, include_images=True)
    if document is None:
        return None
    captions = []
    for graphic in document.body.iter("graphic") if document.body is not None else ():
        if (text := graphic.get("title") or graphic.get("alt") or "").strip():
            captions.append((text, None))
    return Extracted(
        body=document.text or "",
        captions=captions,
        published_at=datetime.fromisoformat(document.date) if document.date else None,
        day_only=True,
        title=document.title or "",
        authors=document.author or "",
        lead=bool(document.description),
        section=bool(document.categories),
    )


def score_page(page: Page, extracted: Extracted | None, tally: Tally) -> CaptionReport | None:
    label = page.label
    tally.pages += 1
    if page.corpus == "aeb":
        tally.body["aeb"].append(shingle_scores(label["articleBody"], extracted.body if extracted else ""))
        return None
    tally.fundus_pages += 1
    tally.body["fundus"].append(shingle_scores(label_body(label), extracted.body if extracted else ""))
    report = None
    if "images" in label:  # pages labelled without images say nothing about captions
        captioned = [i for i in label["images"] or [] if (i.get("caption") or "").strip()]
        report = match_captions(captioned, extracted.captions if extracted else [], tally)
    score_date(label.get("publishing_date"), extracted and extracted.published_at,
               extracted is None or extracted.day_only, tally)  # fmt: skip
    score_title_authors(label, extracted.title if extracted else "", extracted.authors if extracted else "", tally)
    tally.lead_filled += bool(extracted and extracted.lead)
    tally.section_filled += bool(extracted and extracted.section)
    return report


def print_failures(page: Page, extracted: Extracted | None, report: CaptionReport | None) -> None:
    """A development page's caption and body failures (never called for a page of a held-apart fold)."""
    assert page.fold in DEVELOPMENT_FOLDS
    lines = []
    if report is not None:
        lines += [f"  missed caption: {text!r}" for text in report.missed]
        lines += [f"  spurious caption: {text!r} credit {credit!r}" for text, credit in report.spurious]
        lines += [f"  credit: {text[:60]!r} want {want!r} got {got!r}" for text, want, got in report.wrong_credits]
    truth = page.label["articleBody"] if page.corpus == "aeb" else label_body(page.label)
    precision, recall = shingle_scores(truth, extracted.body if extracted else "")
    if precision < 0.9 or recall < 0.9:
        lines.append(f"  body precision {precision:.3f} recall {recall:.3f}")
        truth_shingles = set(_shingle_set(truth))
        for paragraph in (extracted.body if extracted else "").split("\n\n"):
            own = _shingle_set(paragraph)
            if own and sum(s in truth_shingles for s in own) < 0.5 * len(own):
                lines.append(f"    extra: {paragraph[:160]!r}")
    if lines:
        print(f"{page.name} ({page.publisher}, fold {page.fold})")
        print("\n".join(lines))


def _shingle_set(text: str, n: int = 4) -> list[tuple[str, ...]]:
    words = tokens(text)
    return [tuple(words[i : i + n]) for i in range(len(words) - n + 1)]


def benchmark_folds(pages: list[Page], show_failures: bool) -> None:
    by_fold: dict[int, dict[str, Tally]] = defaultdict(lambda: {name: Tally() for name in EXTRACTORS})
    timers = {name: Timer() for name in EXTRACTORS}
    runners = {"newsarchive": run_newsarchive, "trafilatura": run_trafilatura}
    for page in pages:
        for name in EXTRACTORS:
            extracted = timed(timers[name], runners[name], page)
            report = score_page(page, extracted, by_fold[page.fold][name])
            if show_failures and name == "newsarchive" and page.fold in DEVELOPMENT_FOLDS:
                print_failures(page, extracted, report)
    print_figures(pages, by_fold)
    for name, timer in timers.items():
        print(f"speed {name:<22}{timer.rate()} ({timer.pages} pages, CPU time of one core)")


def print_figures(pages: list[Page], by_fold: dict[int, dict[str, Tally]]) -> None:
    """The folds, then body and field figures per fold, seen, held-apart and all, for each extractor tallied."""
    publishers: dict[int, set[str]] = defaultdict(set)
    for page in pages:
        publishers[page.fold].add(page.publisher)
    development = ", ".join(str(f) for f in sorted(DEVELOPMENT_FOLDS))
    print(f"\n== {len(pages)} pages, {sum(len(p) for p in publishers.values())} publishers in {FOLDS} folds by"
          f" publisher; seen = development folds {development}, held-apart = the others")  # fmt: skip
    for fold in sorted(publishers):
        kind = "development" if fold in DEVELOPMENT_FOLDS else "held apart"
        counts = Counter(p.corpus for p in pages if p.fold == fold)
        print(f"fold {fold} ({kind}): {len(publishers[fold])} publishers, {counts['aeb']} aeb + "
              f"{counts['fundus']} fundus pages")  # fmt: skip
    groups = [(f"fold {fold}", {fold}) for fold in sorted(by_fold)] + [
        ("seen", set(DEVELOPMENT_FOLDS)),
        ("held-apart", set(range(FOLDS)) - DEVELOPMENT_FOLDS),
        ("all", set(range(FOLDS))),
    ]
    names = list(next(iter(by_fold.values()), {}))
    totals: dict[str, dict[str, Tally]] = {}
    for group, folds in groups:
        totals[group] = {name: Tally() for name in names}
        for fold in folds & set(by_fold):
            for name in names:
                totals[group][name].add(by_fold[fold][name])
    print("\nbody: shingle F1 (precision recall), captions removed from newsarchive's text")
    print(BODY_HEADER)
    for group, tallies in totals.items():
        for name, tally in tallies.items():
            print(tally.body_row(f"{group} {name}"))
    print("\nfundus fields: c.rec/c.prec caption recall/precision (token F1 >= 0.8, credits out); credit: accuracy")
    print("on matched; day/minute: publication date to the day / minute where labelled; lead/sect.: fill rates;")
    print("title: exact; author: token F1 >= 0.8")
    print(FIELDS_HEADER)
    for group, tallies in totals.items():
        for name, tally in tallies.items():
            print(tally.fields_row(f"{group} {name}"))


def benchmark_vi(folder: Path) -> None:
    """The hand-labelled Vietnamese pages (`*.expected.json` beside `*.html`) and the real date strings."""
    print(f"\n== Vietnamese labelled pages ({folder})")
    for expected_file in sorted(folder.glob("*.expected.json")):
        expected = json.loads(expected_file.read_text(encoding="utf-8"))
        page = expected_file.with_name(expected_file.name.replace(".expected.json", ".html"))
        article = extract_article(page.read_bytes(), expected["url"])
        checks = {
            "title": (article.title, expected.get("title")),
            "lead": (article.lead, expected.get("sapo")),
            "author": (article.authors, [expected.get("author")]),
            "section": (article.section, expected.get("category")),
            "published": (article.published_at.isoformat() if article.published_at else None,
                          expected.get("published_iso")),
            "tags": (article.tags, expected.get("tags")),
            "captions": ([[c.text.rstrip("."), c.credit] for c in article.captions],
                         [[c["caption"], c["credit"]] for c in expected.get("image_captions", [])]),
            "body first": (article.text.split("\n\n")[0], expected.get("body_first")),
        }  # fmt: skip
        for name, (got, want) in checks.items():
            print(f"{page.name} {name:<11}{'ok' if got == want else f'DIFFERS: got {got!r}, want {want!r}'}")
    strings = folder / "date_strings.txt"
    if strings.exists():
        lines = [ln.split("\t") for ln in strings.read_text(encoding="utf-8").splitlines() if ln and ln[0] != "#"]
        print(f"\n{'date string':<45}{'site':<28}parsed")
        for text, site, *_ in lines:
            parsed = parse_date(text)
            print(f"{text.strip():<45}{site[:27]:<28}{parsed.value.isoformat() if parsed else 'NO DATE'}")


VN_FIELDS = ("title", "lead", "section", "published", "captions")
# The shipped profile of each page's platform (nguoiquansat.vn runs OneCMS, the platform of baonghean.vn).
VN_PLATFORM_PROFILES = {"vnexpress.net": "vnexpress", "nguoiquansat.vn": "baonghean", "baonghean.vn": "baonghean"}
SEED_BASES = {"OneCMS": "https://baonghean.vn", "VnExpress layout": "https://vnexpress.net"}


@dataclass
class VnPage:
    """A Vietnamese CMS page and its labels: `expected` holds the fields of VN_FIELDS that are labelled (published
    as an ISO instant, or a day that must come out in +07:00; captions as (text, credit) pairs)."""

    name: str
    url: str
    html: bytes
    expected: dict


def vi_folder_pages(folder: Path) -> Iterator[VnPage]:
    for expected_file in sorted(folder.glob("*.expected.json")):
        label = json.loads(expected_file.read_text(encoding="utf-8"))
        page = expected_file.with_name(expected_file.name.replace(".expected.json", ".html"))
        expected = {"title": label.get("title"), "lead": label.get("sapo"), "section": label.get("category"),
                    "published": label.get("published_iso"),
                    "captions": [(c["caption"], c["credit"]) for c in label.get("image_captions", [])]}  # fmt: skip
        yield VnPage(page.name, label["url"], page.read_bytes(), {k: v for k, v in expected.items() if v is not None})


def fundus_vn_pages(folder: Path) -> Iterator[VnPage]:
    """The fundus pages of Vietnam (no section label: fundus labels topics, not sections)."""
    for page in fundus_pages(folder):
        if page.name.startswith("vn/"):
            label = page.label
            captions = [(label_caption(i), " ".join(i.get("authors") or []) or None)
                        for i in label.get("images") or [] if (i.get("caption") or "").strip()]  # fmt: skip
            expected = {"title": label.get("title"), "lead": " ".join((label.get("body") or {}).get("summary") or []),
                        "published": label.get("publishing_date"), "captions": captions}  # fmt: skip
            yield VnPage(page.name, page.url, page.html, expected)


def seed_pages(folder: Path) -> Iterator[VnPage]:
    """The seed record (a baonghean.vn article in the text form), as the newsroom renders it in the OneCMS layout
    of baonghean.vn and in the VnExpress layout, labelled by the record: its header's day, section, title and
    lead, and its captions ("<caption> Ảnh: <credit>" blocks)."""
    from crawler.newsroom import SEED_TEXT, Newsroom
    from crawler.newsroom import templates as layouts
    from crawler.newsroom.seed import classify_block, parse_header

    for record in sorted(folder.glob("*.txt")):
        text = record.read_text(encoding="utf-8").strip()
        if text != SEED_TEXT:
            print(f"{record.name}: not the newsroom's seed record, which is the one it renders: skipped")
            continue
        header, *blocks = text.split("\n\n")
        day, category, title, lead = parse_header(header)
        captions = [(b.text, b.credit) for b in map(classify_block, blocks) if b.kind == "figure"]
        expected = {"title": title, "lead": lead, "section": category.name, "published": day, "captions": captions}
        newsroom = Newsroom()
        for layout, base in SEED_BASES.items():
            if layout == "OneCMS":
                html = newsroom.handle("GET", newsroom.seed_path, {}, base).body
            else:
                html = layouts.vnexpress_article(newsroom.seed_story, base, []).encode()
            yield VnPage(f"{record.name} ({layout})", base + newsroom.seed_path, html, expected)


def _credit_agrees(got: str | None, want: str | None) -> bool:
    """The credit as written (marker included), or, against a label without the marker, the credit after it."""
    return got == want or (got is not None and want is not None and _CREDIT_MARKER.sub("", got) == want)


def vn_field_checks(article: Article, expected: dict) -> dict[str, tuple[bool, object, object]]:
    """(right, got, wanted) of each labelled field of VN_FIELDS."""
    published = article.published_at
    got = {
        "title": article.title,
        "lead": article.lead,
        "section": article.section,
        "published": published.isoformat() if published else None,
        "captions": [(c.text, c.credit) for c in article.captions],
    }
    checks = {}
    for name in VN_FIELDS:
        if name not in expected:
            continue
        want = expected[name]
        if name == "published" and len(want) == len("2025-09-18"):  # a day: that day, in +07:00
            right = published is not None and published.date().isoformat() == want
            right = right and published.utcoffset() == timedelta(hours=7)
        elif name == "published":
            right = published is not None and published == datetime.fromisoformat(want)
            right = right and published.utcoffset() == datetime.fromisoformat(want).utcoffset()
        elif name == "captions":
            right = len(got[name]) == len(want) and all(
                text.rstrip(".") == label.rstrip(".") and _credit_agrees(credit, label_credit)
                for (text, credit), (label, label_credit) in zip(got[name], want, strict=True)
            )
        else:
            right = got[name] == want
        checks[name] = (right, got[name], want)
    return checks


def benchmark_vn_cms(pages: list[VnPage]) -> None:
    """Every Vietnamese CMS page fully right (title, lead, section, published_at in +07:00, captions with credits),
    by the generic extractor and with the shipped profile of the page's platform."""
    print("\n== Vietnamese CMS pages: title, lead, section, published (+07:00), captions with credits")
    right = {"generic extractor": 0, "platform profile": 0}
    for page in pages:
        host = (urlsplit(page.url).hostname or "").removeprefix("www.")
        profiles = {"generic extractor": None, "platform profile": VN_PLATFORM_PROFILES.get(host)}
        for how, profile_name in profiles.items():
            options = {"profile": load_profile(profile_name)} if profile_name else {}
            try:
                article = extract_article(page.html, page.url, **options)
            except NotAnArticle as exc:
                print(f"{page.name} [{how}]: not an article: {exc}")
                continue
            checks = vn_field_checks(article, page.expected)
            wrong = {name: check for name, check in checks.items() if not check[0]}
            right[how] += not wrong
            unlabelled = [name for name in VN_FIELDS if name not in checks]
            note = f" ({', '.join(unlabelled)} unlabelled)" if unlabelled else ""
            print(f"{page.name} [{how}{f': {profile_name}' if profile_name else ''}]: "
                  f"{'fully right' if not wrong else 'WRONG ' + ', '.join(wrong)}{note}")  # fmt: skip
            for name, (_, got, want) in wrong.items():
                print(f"    {name}: got {got!r}, want {want!r}")
    for how, count in right.items():
        print(f"Vietnamese CMS pages fully right ({how}): {count} of {len(pages)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--aeb", type=Path, help="article-extraction-benchmark folder")
    parser.add_argument("--fundus", type=Path, help="fundus test-resources folder")
    parser.add_argument("--vi", type=Path, help="folder of hand-labelled Vietnamese pages and date strings")
    parser.add_argument("--seed", type=Path, help="folder of the seed record (a baonghean.vn article, text form)")
    parser.add_argument("--dates", type=Path, help="date benchmark folder (labels.json, html/), scored by date_quality")
    parser.add_argument("--failures", action="store_true", help="print the failures on development-fold pages")
    args = parser.parse_args()
    if not (args.aeb or args.fundus or args.vi or args.seed or args.dates):
        parser.error("give --aeb DIR, --fundus DIR, --vi DIR, --seed DIR and/or --dates DIR")
    for folder in (args.aeb, args.fundus, args.vi, args.seed, args.dates):
        if folder is not None and not folder.is_dir():
            parser.error(f"not a folder: {folder}")
    pages = [*(aeb_pages(args.aeb) if args.aeb else ()), *(fundus_pages(args.fundus) if args.fundus else ())]
    if pages:
        benchmark_folds(pages, args.failures)
    if args.vi:
        benchmark_vi(args.vi)
    vn_pages = [*(vi_folder_pages(args.vi) if args.vi else ()), *(fundus_vn_pages(args.fundus) if args.fundus else ()),
                *(seed_pages(args.seed) if args.seed else ())]  # fmt: skip
    if vn_pages:
        benchmark_vn_cms(vn_pages)
    if args.dates:
        report = date_quality.evaluate(date_quality.dates_dev_pages(args.dates))
        date_quality.print_report(f"dates: {args.dates}", report, args.failures)


if __name__ == "__main__":
    main()
