"""Exporting the archive's articles: JSONL, CSV, the plain-text form, and (through `archive.wacz`) WARC and WACZ.

- `jsonl`: one `Article.to_record()` a line, UTF-8 (not \\u-escaped).
- `csv`: one row an article with a header; `authors` and `tags` joined with "; ", `captions` as a JSON array
  of {text, credit, image_url} (caption text may hold any delimiter), the WARC pointer as five `warc_*` columns.
- `txt`: the archive's text form (`archive.text.to_text_form`, the form of the reference record). When `out` is a
  folder (an existing one, or a path without a suffix, or ending in "/"), one file per article named after it,
  `<publication date>-<slug of the title>.txt` (`-2`, `-3`, ... when two would share a name), and `index.csv`
  listing file, date, section, title and URL of each; when it is a file or "-" (stdout), the articles
  concatenated, separated by a line of 80 "=".
- `warc` / `wacz`: the WARC records of the selected articles (responses with their requests and metadata)
  copied from wherever the archive's locations find them (`archive.locations`: the WARC folders the store
  remembers, or the one given); `out` must be a file, and an empty selection is refused.

Every file is written to a temporary file beside it and renamed into place; only regular files are replaced
(`archive.outputs`). Articles are read from the store in batches; jsonl, csv and txt write them one by one, warc
and wacz keep only their WARC pointers and page entries until the records are copied.
"""

from __future__ import annotations

import csv
import json
import os
import re
import sys
import tempfile
import unicodedata
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, datetime
from pathlib import Path
from typing import IO, Any

from archive.locations import WarcLocations
from archive.outputs import ExportError, text_file
from archive.records import Article, WarcPointer
from archive.store import ArchiveStore
from archive.text import to_text_form

FORMATS = ("jsonl", "csv", "txt", "warc", "wacz")
CSV_COLUMNS = (
    "url", "canonical_url", "site", "title", "lead", "text", "captions", "authors", "section", "tags", "language",
    "main_image", "published_at", "published_precision", "published_zone", "modified_at", "modified_precision",
    "modified_zone", "fetched_at", "content_hash", "duplicate_of", "similarity",
    "warc_file", "warc_offset", "warc_length", "warc_record_id", "warc_payload_digest",
)  # fmt: skip
TEXT_SEPARATOR = "=" * 80
TEXT_INDEX = "index.csv"
TEXT_INDEX_COLUMNS = ("file", "published", "section", "title", "url")
SLUG_LENGTH = 60


def export(
    store: ArchiveStore,
    fmt: str,
    out: str | os.PathLike[str],
    site: str | None = None,
    since: date | datetime | None = None,
    warc_dir: WarcLocations | str | os.PathLike[str] | None = None,
) -> int:
    """Write the articles of `store` (of `site`, published since `since`) to `out` ("-" = stdout) as `fmt`.

    `warc_dir` (warc and wacz): where the records are, by default the folders the store remembers. Returns the
    number of articles exported; what cannot be exported as asked is an `ExportError`.
    """
    if fmt not in FORMATS:
        raise ExportError(f"unknown export format {fmt!r}; choose one of {', '.join(FORMATS)}")
    articles = store.iter_articles(site=site, since=since)
    if fmt == "jsonl":
        with _text_output(out) as stream:
            return write_jsonl(articles, stream)
    if fmt == "csv":
        with _text_output(out, newline="") as stream:
            return write_csv(articles, stream)
    if fmt == "txt":
        if out != "-" and _is_folder(Path(out)):
            return write_text_files(articles, Path(out))
        with _text_output(out) as stream:
            return write_text_stream(articles, stream)
    if str(out) == "-":
        raise ExportError(f"a {fmt} export needs an output file (-o PATH)")
    return _export_warc(articles, fmt, out, WarcLocations.for_store(store) if warc_dir is None else warc_dir)


def _write_each(articles: Iterator[Article], write: Callable[[int, Article], object]) -> int:
    """Call `write(number, article)` for each article (numbers from 0); returns how many there were."""
    count = 0
    for article in articles:
        write(count, article)
        count += 1
    return count


def write_jsonl(articles: Iterator[Article], stream: IO[str]) -> int:
    return _write_each(articles, lambda _, a: stream.write(json.dumps(a.to_record(), ensure_ascii=False) + "\n"))


def csv_row(article: Article) -> dict[str, Any]:
    """The flat CSV row of an article."""
    record = article.to_record()
    warc = record.pop("warc") or {}
    record["authors"] = "; ".join(article.authors)
    record["tags"] = "; ".join(article.tags)
    record["captions"] = json.dumps(record["captions"], ensure_ascii=False) if article.captions else ""
    for key in ("file", "offset", "length", "record_id", "payload_digest"):
        record[f"warc_{key}"] = warc.get(key)
    return {column: "" if record[column] is None else record[column] for column in CSV_COLUMNS}


def write_csv(articles: Iterator[Article], stream: IO[str]) -> int:
    writer = csv.DictWriter(stream, fieldnames=CSV_COLUMNS)
    writer.writeheader()
    return _write_each(articles, lambda _, a: writer.writerow(csv_row(a)))


def write_text_stream(articles: Iterator[Article], stream: IO[str]) -> int:
    def write(number: int, article: Article) -> None:
        if number:
            stream.write(f"\n{TEXT_SEPARATOR}\n\n")
        stream.write(to_text_form(article) + "\n")

    return _write_each(articles, write)


def slug(text: str) -> str:
    """A file-name-safe slug: lower case, Latin letters without their diacritics, words joined by "-"."""
    letters = unicodedata.normalize("NFKD", text.replace("đ", "d").replace("Đ", "D"))
    words = re.findall(r"\w+", "".join(c for c in letters if not unicodedata.combining(c)).lower())
    return "-".join(words)[:SLUG_LENGTH].strip("-_")


def text_file_stem(article: Article) -> str:
    """`<date>-<slug>`: the publication date in the article's own offset (else the fetch date), the title's slug
    (else the last part of its URL's path)."""
    when = article.published_at or article.fetched_at
    day = when.date().isoformat() if when else "undated"
    path_end = (article.canonical_url or article.url).rstrip("/").rsplit("/", 1)[-1].rsplit(".", 1)[0]
    return f"{day}-{slug(article.title or '') or slug(path_end) or 'article'}"


def write_text_files(articles: Iterator[Article], folder: Path) -> int:
    used: set[str] = set()
    entries: list[dict[str, str]] = []

    def write(_: int, article: Article) -> None:
        stem = text_file_stem(article)
        name, copies = f"{stem}.txt", 1
        while name in used:
            copies += 1
            name = f"{stem}-{copies}.txt"
        used.add(name)
        with text_file(folder / name) as stream:
            stream.write(to_text_form(article) + "\n")
        published = article.published_at.isoformat() if article.published_at else ""
        entries.append({"file": name, "published": published, "section": article.section,
                        "title": article.title, "url": article.url})  # fmt: skip

    count = _write_each(articles, write)
    with text_file(folder / TEXT_INDEX, newline="") as stream:
        index = csv.DictWriter(stream, fieldnames=TEXT_INDEX_COLUMNS)
        index.writeheader()
        index.writerows(entries)
    return count


def _is_folder(path: Path) -> bool:
    return path.is_dir() or str(path).endswith(("/", os.sep)) or (not path.exists() and not path.suffix)


@contextmanager
def _text_output(out: str | os.PathLike[str], newline: str | None = None) -> Iterator[IO[str]]:
    if str(out) == "-":
        stdout = sys.stdout
        if callable(reconfigure := getattr(stdout, "reconfigure", None)):
            reconfigure(encoding="utf-8")  # Vietnamese text whatever the terminal's locale
        yield stdout
        stdout.flush()
        return
    with text_file(out, newline=newline) as stream:
        yield stream


def _page_entry(article: Article, fetched_at: datetime) -> dict[str, Any]:
    """The WACZ `pages.jsonl` entry of an article (json-pages-1.0: url, ts, title, text)."""
    return {"url": article.url, "ts": fetched_at.isoformat(), "title": article.title, "text": article.text}


def _export_warc(
    articles: Iterator[Article], fmt: str, out: str | os.PathLike[str], where: WarcLocations | str | os.PathLike[str]
) -> int:
    from archive.wacz import export_wacz, export_warc  # the WARC side is only needed for these formats
    # the pointers stay in memory; the page entries (with the article's text, for full-text search in replay
    # tools) go through a temporary file, so a large export does not hold every text
    pointers: list[WarcPointer] = []
    with tempfile.TemporaryFile("w+", encoding="utf-8") as page_lines:
        for article in articles:
            if article.warc is not None:
                pointers.append(article.warc)
                if article.fetched_at is not None:  # a page entry needs its date; the records go in regardless
                    page_lines.write(json.dumps(_page_entry(article, article.fetched_at), ensure_ascii=False) + "\n")
        if not pointers:
            raise ExportError(f"nothing to export: no selected article has a WARC record, so no {fmt} was written")
        if fmt == "warc":
            export_warc(pointers, where, out)
        else:
            page_lines.seek(0)
            export_wacz(pointers, where, out, (json.loads(line) for line in page_lines))
    return len(pointers)
