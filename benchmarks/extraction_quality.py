"""Extraction quality of newsarchive against plain trafilatura, side by side, on labelled real pages.

    python benchmarks/extraction_quality.py --aeb DIR --fundus DIR [--vi DIR]

`--aeb`: the article-extraction-benchmark layout (ground-truth.json + html/<id>.html.gz); body F1 is scored the
benchmark's way (Unicode \\w+ tokens, 4-gram shingle multisets, per-page tp/fp/fn normalised to sum 1, precision
and recall averaged over pages, F1 from the averages). newsarchive's captions are taken out of its text first.
`--fundus`: fundus test resources (<country>/<Publisher>.json + <Publisher>_<date>.html.gz + meta.info); prints
caption recall/precision/credit accuracy, date accuracy (day, and minute where the label has a time), lead and
section fill rates, per language group and overall. Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import gzip
import json
import re
import sys
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import trafilatura

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from archive.records import Article, NotAnArticle
from crawler.dates import parse_date
from crawler.extract import extract_article, split_credit

CAPTION_MATCH_F1 = 0.8


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


def run_newsarchive(html: bytes, url: str, fetched_at: datetime | None = None) -> Article | None:
    try:
        return extract_article(html, url, fetched_at=fetched_at)
    except NotAnArticle:
        return None


def run_trafilatura(html: bytes, url: str):
    return trafilatura.bare_extraction(html, url=url, with_metadata=True, include_images=True)


@dataclass
class Timer:
    seconds: float = 0.0
    pages: int = 0

    def rate(self) -> str:
        return f"{self.pages / self.seconds:.1f} pages/s" if self.seconds else "-"


def timed(timer: Timer, function, *args):
    start = time.perf_counter()
    try:
        return function(*args)
    finally:
        timer.seconds += time.perf_counter() - start
        timer.pages += 1


def benchmark_aeb(folder: Path) -> None:
    truth = json.loads((folder / "ground-truth.json").read_text(encoding="utf-8"))
    scores: dict[str, list[tuple[float, float]]] = defaultdict(list)
    timers = {"trafilatura": Timer(), "newsarchive": Timer()}
    for page_id, label in sorted(truth.items()):
        html = gzip.decompress((folder / "html" / f"{page_id}.html.gz").read_bytes())
        plain = timed(timers["trafilatura"], trafilatura.extract, html, label["url"])
        scores["trafilatura"].append(shingle_scores(label["articleBody"], plain or ""))
        article = timed(timers["newsarchive"], run_newsarchive, html, label["url"])
        body = text_without_captions(article) if article else ""
        scores["newsarchive (text)"].append(shingle_scores(label["articleBody"], body))
        with_lead = f"{article.lead}\n\n{body}" if article and article.lead and article.lead not in body else body
        scores["newsarchive (lead + text)"].append(shingle_scores(label["articleBody"], with_lead))
    print(f"\n== article-extraction-benchmark: {len(truth)} pages ({folder})")
    print(f"{'extractor':<28}{'F1':>8}{'precision':>11}{'recall':>9}")
    for name, pairs in scores.items():
        precision = sum(p for p, _ in pairs) / len(pairs)
        recall = sum(r for _, r in pairs) / len(pairs)
        print(f"{name:<28}{f1(precision, recall):>8.3f}{precision:>11.3f}{recall:>9.3f}")
    for name, timer in timers.items():
        print(f"speed {name:<22}{timer.rate()}")


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
    body: list[tuple[float, float]] = field(default_factory=list)

    def add(self, other: Tally) -> None:
        for name in self.__dataclass_fields__:
            if name == "body":
                self.body.extend(other.body)
            else:
                setattr(self, name, getattr(self, name) + getattr(other, name))

    def row(self, name: str) -> str:
        def ratio(a: int, b: int) -> str:
            return f"{a / b:.3f}" if b else "  -  "

        precision = sum(p for p, _ in self.body) / len(self.body) if self.body else 0.0
        recall = sum(r for _, r in self.body) / len(self.body) if self.body else 0.0
        return (
            f"{name:<30}{self.pages:>5} {ratio(self.matched, self.labels):>6} {ratio(self.matched, self.predicted):>6}"
            f" {ratio(self.credits_right, self.matched):>6} {ratio(self.day_right, self.dated):>6}"
            f" {ratio(self.minute_right, self.timed_labels):>6} {ratio(self.lead_filled, self.pages):>6}"
            f" {ratio(self.section_filled, self.pages):>6} {ratio(self.title_right, self.pages):>6}"
            f" {ratio(self.authors_right, self.pages):>6} {f1(precision, recall):>6.3f}"
        )


HEADER = (
    f"{'group / extractor':<30}{'pages':>5} {'c.rec':>6} {'c.prec':>6} {'credit':>6} {'day':>6} {'minute':>6}"
    f" {'lead':>6} {'sect.':>6} {'title':>6} {'author':>6} {'bodyF1':>6}"
)


def _label_caption(image: dict) -> str:
    text = image.get("caption") or ""
    for author in image.get("authors") or []:
        text = text.replace(author, " ")
    return split_credit(text)[0]


def _match_captions(labels: list[dict], predicted: list[tuple[str, str | None]], tally: Tally) -> None:
    tally.labels += len(labels)
    tally.predicted += len(predicted)
    free = list(range(len(predicted)))
    for image in labels:
        target = _label_caption(image)
        best = max(free, key=lambda i: token_f1(target, predicted[i][0]), default=None)
        if best is None or token_f1(target, predicted[best][0]) < CAPTION_MATCH_F1:
            continue
        free.remove(best)
        tally.matched += 1
        credit = predicted[best][1] or ""
        credit = re.sub(r"^\W*(?:Ảnh|Nguồn|Photo|Foto|Bild|Credit|Image|©)\w*\s*:?\s*", "", credit, flags=re.I)
        expected = " ".join(image.get("authors") or [])
        if (not expected and not credit) or (expected and token_f1(expected, credit) >= CAPTION_MATCH_F1):
            tally.credits_right += 1


def _score_date(label: str | None, predicted: datetime | None, day_only: bool, tally: Tally) -> None:
    if not label:
        return
    expected = datetime.fromisoformat(label)
    tally.dated += 1
    has_time = (expected.hour, expected.minute, expected.second) != (0, 0, 0)
    tally.timed_labels += has_time
    if predicted is None:
        return
    local = predicted.astimezone(expected.tzinfo) if expected.tzinfo else predicted
    if local.date() == expected.date():
        tally.day_right += 1
        if has_time and not day_only and (local.hour, local.minute) == (expected.hour, expected.minute):
            tally.minute_right += 1


def _score_title_authors(label: dict, title: str, authors: str, tally: Tally) -> None:
    tally.title_right += " ".join((label.get("title") or "").split()) == " ".join(title.split())
    expected = " ".join(label.get("authors") or [])
    tally.authors_right += (not expected and not authors) or token_f1(expected, authors) >= CAPTION_MATCH_F1


def _plain_captions(document) -> list[tuple[str, str | None]]:
    if document is None or document.body is None:
        return []
    found = []
    for graphic in document.body.iter("graphic"):
        text = graphic.get("title") or graphic.get("alt") or ""
        if text.strip():
            found.append((text, None))
    return found


def _label_body(label: dict) -> str:
    body = label.get("body") or {}
    parts = list(body.get("summary") or [])
    for section in body.get("sections") or []:
        parts += list(section.get("headline") or []) + list(section.get("paragraphs") or [])
    return "\n\n".join(parts)


def benchmark_fundus(folder: Path) -> None:
    groups: dict[str, dict[str, Tally]] = {}
    timers = {"trafilatura": Timer(), "newsarchive": Timer()}
    for country in sorted(p for p in folder.iterdir() if p.is_dir()):
        meta = json.loads((country / "meta.info").read_text(encoding="utf-8"))
        tallies = {"trafilatura": Tally(), "newsarchive": Tally()}
        for label_file in sorted(country.glob("*.json")):
            pages = sorted(country.glob(f"{label_file.stem}_*.html.gz"))
            labels = list(json.loads(label_file.read_text(encoding="utf-8")).values())
            for page, label in zip(pages, labels, strict=False):
                info = meta.get(page.name, {})
                url = info.get("url", "")
                crawled = info.get("crawl_date")
                fetched_at = datetime.fromisoformat(crawled).replace(tzinfo=UTC) if crawled else None
                html = gzip.decompress(page.read_bytes())
                captioned = [i for i in label.get("images") or [] if (i.get("caption") or "").strip()]
                truth_body = _label_body(label)

                plain = timed(timers["trafilatura"], run_trafilatura, html, url)
                tally = tallies["trafilatura"]
                tally.pages += 1
                if "images" in label:  # pages labelled without images say nothing about captions
                    _match_captions(captioned, _plain_captions(plain), tally)
                plain_date = datetime.fromisoformat(plain.date) if plain is not None and plain.date else None
                _score_date(label.get("publishing_date"), plain_date, True, tally)
                _score_title_authors(label, plain.title if plain else "", (plain.author or "") if plain else "", tally)
                tally.lead_filled += bool(plain is not None and plain.description)
                tally.section_filled += bool(plain is not None and plain.categories)
                tally.body.append(shingle_scores(truth_body, plain.text if plain is not None else ""))

                article = timed(timers["newsarchive"], run_newsarchive, html, url, fetched_at)
                tally = tallies["newsarchive"]
                tally.pages += 1
                predicted = [(c.text, c.credit) for c in article.captions] if article else []
                if "images" in label:
                    _match_captions(captioned, predicted, tally)
                _score_date(label.get("publishing_date"), article.published_at if article else None, False, tally)
                byline = "; ".join(article.authors) if article else ""
                _score_title_authors(label, article.title if article else "", byline, tally)
                tally.lead_filled += bool(article and article.lead)
                tally.section_filled += bool(article and article.section)
                body = f"{article.lead}\n\n{text_without_captions(article)}" if article else ""
                tally.body.append(shingle_scores(truth_body, body))
        groups[country.name] = tallies
    print(f"\n== fundus: {sum(t['newsarchive'].pages for t in groups.values())} pages ({folder})")
    print("c.rec/c.prec: caption recall/precision (token F1 >= 0.8, credit removed); credit: accuracy on matched;")
    print("day/minute: publication date right to the day / to the minute where labelled; lead/sect.: fill rates;")
    print("title: exact; author: token F1 >= 0.8 with the labelled authors; bodyF1: lead + body vs summary + body")
    print(HEADER)
    totals = {"trafilatura": Tally(), "newsarchive": Tally()}
    for country, tallies in groups.items():
        for name, tally in tallies.items() if tallies["newsarchive"].pages else ():
            print(tally.row(f"{country} {name}"))
            totals[name].add(tally)
    for name, tally in totals.items():
        print(tally.row(f"ALL {name}"))
    for name, timer in timers.items():
        print(f"speed {name:<22}{timer.rate()}")


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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--aeb", type=Path, help="article-extraction-benchmark folder")
    parser.add_argument("--fundus", type=Path, help="fundus test-resources folder")
    parser.add_argument("--vi", type=Path, help="folder of hand-labelled Vietnamese pages and date strings")
    args = parser.parse_args()
    if not (args.aeb or args.fundus or args.vi):
        parser.error("give --aeb DIR, --fundus DIR and/or --vi DIR")
    if args.aeb:
        benchmark_aeb(args.aeb)
    if args.fundus:
        benchmark_fundus(args.fundus)
    if args.vi:
        benchmark_vi(args.vi)


if __name__ == "__main__":
    main()
