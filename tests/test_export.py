"""archive.export: JSONL, CSV and text exports of the stored articles (and its refusals)."""

from __future__ import annotations

import csv
import io
import json
import os
import stat
import zipfile
from collections.abc import Iterator
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest
from warcio.archiveiterator import ArchiveIterator

from archive.export import TEXT_INDEX, TEXT_SEPARATOR, csv_row, export, write_csv
from archive.outputs import ExportError
from archive.records import Article, Caption
from archive.store import ArchiveStore
from archive.text import to_text_form
from archive.warc import HttpExchange, RotatingWarcWriter

ICT = timezone(timedelta(hours=7))


@pytest.fixture
def filled(store: ArchiveStore, make_article) -> list[Article]:
    body = "Đoạn một, có \"ngoặc kép\", dấu; chấm phẩy.\n\nĐoạn hai.\n\nẢnh minh họa số 1. Ảnh: Thành Duy"
    articles = [
        make_article(1, text=body,
                     captions=[Caption("Ảnh minh họa số 1.", "Ảnh: Thành Duy", "https://baonghean.vn/1.jpg"),
                               Caption("Ảnh minh họa số 1.", "Ảnh: Thành Duy", "https://baonghean.vn/1b.jpg")]),
        make_article(2, published_at=datetime(2025, 9, 1, 7, 0, tzinfo=ICT), warc=None),
        make_article(3, site="vnexpress", authors=[], tags=[], captions=[], published_at=None),
    ]
    store.save_articles(articles)
    return articles


def test_jsonl_is_the_export_record_per_line(store: ArchiveStore, filled: list[Article], tmp_path: Path) -> None:
    out = tmp_path / "out" / "articles.jsonl"
    assert export(store, "jsonl", out) == 3
    lines = out.read_text(encoding="utf-8").splitlines()
    assert [json.loads(line) for line in lines] == [a.to_record() for a in filled]
    assert "Đoạn một" in lines[0]  # not \\u-escaped
    assert Article.from_record(json.loads(lines[0])) == filled[0]


def test_jsonl_to_stdout(store: ArchiveStore, filled: list[Article], capsys: pytest.CaptureFixture[str]) -> None:
    assert export(store, "jsonl", "-", site="vnexpress") == 1
    assert json.loads(capsys.readouterr().out)["site"] == "vnexpress"


def test_csv_flattens_lists_captions_and_warc(store: ArchiveStore, filled: list[Article], tmp_path: Path) -> None:
    out = tmp_path / "articles.csv"
    assert export(store, "csv", out) == 3
    with out.open(encoding="utf-8", newline="") as stream:
        rows = list(csv.DictReader(stream))
    assert len(rows) == 3
    first = rows[0]
    assert first["text"] == filled[0].text  # quotes, semicolons and blank lines survive
    assert first["authors"] == "Thành Duy"
    assert first["tags"] == "Nghệ An; Đảng ủy"
    assert [Caption(**c) for c in json.loads(first["captions"])] == filled[0].captions
    assert first["warc_file"] == filled[0].warc.file
    assert int(first["warc_offset"]) == filled[0].warc.offset
    assert first["published_at"] == "2025-09-18T08:01:00+07:00"
    assert rows[1]["warc_file"] == ""
    assert rows[2]["captions"] == "" and rows[2]["published_at"] == ""


def test_csv_header_names_every_column() -> None:
    stream = io.StringIO()
    assert write_csv(iter([]), stream) == 0
    header = stream.getvalue().strip().split(",")
    assert header == list(csv_row(Article(url="https://x.vn/a")).keys())


def test_txt_folder_gets_one_file_per_article(store: ArchiveStore, filled: list[Article], tmp_path: Path) -> None:
    """Files named from the article (publication date, else fetch date, and the title's slug) and an index."""
    folder = tmp_path / "texts"
    assert export(store, "txt", folder) == 3
    names = ["2025-09-18-tieu-de-bai-viet-so-1.txt", "2025-09-01-tieu-de-bai-viet-so-2.txt",
             "2025-09-19-tieu-de-bai-viet-so-3.txt"]  # fmt: skip
    assert sorted(path.name for path in folder.iterdir()) == sorted([*names, TEXT_INDEX])
    first = (folder / names[0]).read_text(encoding="utf-8")
    assert first == to_text_form(filled[0]) + "\n"
    assert first.splitlines()[0].startswith("date 2025-09-18 Thời sự Tiêu đề bài viết số 1 Sáng 18/9")
    with (folder / TEXT_INDEX).open(encoding="utf-8", newline="") as stream:
        index = list(csv.DictReader(stream))
    assert [(row["file"], row["title"], row["url"]) for row in index] == [
        (name, article.title, article.url) for name, article in zip(names, filled, strict=True)
    ]
    assert index[0]["published"] == "2025-09-18T08:01:00+07:00" and index[2]["published"] == ""


def test_txt_file_names_never_collide(store: ArchiveStore, make_article, tmp_path: Path) -> None:
    same_title = [make_article(n, title="Đường về Nghệ An: 100% sẵn sàng!") for n in (1, 2)]
    address = "https://baonghean.vn/thoi-su/le-hoi-lang-sen-100003.html"
    untitled = make_article(3, title="", url=address, canonical_url=address)
    store.save_articles([*same_title, untitled])
    assert export(store, "txt", tmp_path / "out/") == 3
    assert sorted(path.name for path in (tmp_path / "out").iterdir()) == [
        "2025-09-18-duong-ve-nghe-an-100-san-sang-2.txt",
        "2025-09-18-duong-ve-nghe-an-100-san-sang.txt",
        "2025-09-18-le-hoi-lang-sen-100003.txt",
        TEXT_INDEX,
    ]


def test_txt_file_concatenates_with_a_separator(store: ArchiveStore, filled: list[Article], tmp_path: Path) -> None:
    out = tmp_path / "all.txt"
    assert export(store, "txt", out, since=date(2025, 9, 10)) == 2  # article 2 is older; 3 has no date
    content = out.read_text(encoding="utf-8")
    assert content.count(TEXT_SEPARATOR) == 1
    assert content.split(f"\n{TEXT_SEPARATOR}\n\n")[0] == to_text_form(filled[0]) + "\n"


def test_empty_selection_exports_nothing(store: ArchiveStore, filled: list[Article], tmp_path: Path) -> None:
    out = tmp_path / "none.jsonl"
    assert export(store, "jsonl", out, site="tuoitre") == 0
    assert out.read_text(encoding="utf-8") == ""


@pytest.mark.parametrize(("fmt", "out", "message"), [
    ("xml", "x.xml", "unknown export format"),
    ("warc", "-", "needs an output file"),
    ("wacz", "x.wacz", "nothing to export"),  # an empty archive
])
def test_unusable_requests_are_refused(store: ArchiveStore, fmt: str, out: str, message: str) -> None:
    with pytest.raises(ExportError, match=message):
        export(store, fmt, out)


def test_exports_replace_regular_files_only(store: ArchiveStore, filled: list[Article], tmp_path: Path) -> None:
    folder = tmp_path / "out"
    folder.mkdir()
    old = folder / "old.jsonl"
    old.write_text("old\n")
    assert export(store, "jsonl", old) == 3
    assert len(old.read_text(encoding="utf-8").splitlines()) == 3
    link = folder / "link.jsonl"
    link.symlink_to(old)
    fifo = folder / "fifo.jsonl"
    os.mkfifo(fifo)
    for target, kind in ((link, "a symbolic link"), (fifo, "a FIFO"), (folder, "a folder")):
        with pytest.raises(ExportError, match=f"is {kind}, not a regular file: refusing to replace it"):
            export(store, "csv", target)
    assert link.is_symlink() and stat.S_ISFIFO(fifo.lstat().st_mode)
    assert len(old.read_text(encoding="utf-8").splitlines()) == 3  # nothing written through the link
    assert sorted(p.name for p in folder.iterdir()) == ["fifo.jsonl", "link.jsonl", "old.jsonl"]  # no leftovers


def test_a_failed_export_leaves_the_previous_file(store: ArchiveStore, make_article, tmp_path: Path) -> None:
    store.save_articles([make_article(1)])
    (tmp_path / "out").mkdir()
    out = tmp_path / "out" / "articles.jsonl"
    out.write_text("previous export\n")

    def broken() -> Iterator[Article]:
        yield make_article(1)
        raise OSError("disk gone")

    store.iter_articles = lambda **_: broken()
    with pytest.raises(OSError, match="disk gone"):
        export(store, "jsonl", out)
    assert out.read_text() == "previous export\n"
    assert [p.name for p in out.parent.iterdir()] == ["articles.jsonl"]


def test_warc_and_wacz_exports_hold_the_selected_articles_records(
    store: ArchiveStore, make_article, tmp_path: Path
) -> None:
    warc_dir = tmp_path / "warc"
    writer = RotatingWarcWriter(warc_dir)
    articles = []
    for n in range(3):
        url = f"https://baonghean.vn/bai-{n}.html"
        recorded = writer.write_exchange(HttpExchange(
            url=url, method="GET", request_target=f"/bai-{n}.html", request_headers=[(b"Host", b"baonghean.vn")],
            status=200, response_headers=[(b"Content-Type", b"text/html; charset=utf-8")],
            body=f"<html><body><p>Bài {n}</p></body></html>".encode(), date=datetime(2025, 9, 19, 1, n),
        ))
        articles.append(make_article(n, url=url, canonical_url=url, site="vnexpress" if n == 2 else "baonghean",
                                     warc=recorded.pointer))
    writer.close()
    store.save_articles(articles)

    out = tmp_path / "export.warc.gz"
    assert export(store, "warc", out, site="baonghean", warc_dir=warc_dir) == 2
    with out.open("rb") as stream:
        responses = [r.rec_headers.get_header("WARC-Target-URI") for r in ArchiveIterator(stream)
                     if r.rec_type == "response"]
    assert sorted(responses) == ["https://baonghean.vn/bai-0.html", "https://baonghean.vn/bai-1.html"]

    package = tmp_path / "export.wacz"
    assert export(store, "wacz", package, warc_dir=warc_dir) == 3
    with zipfile.ZipFile(package) as wacz:
        pages = [json.loads(line) for line in wacz.read("pages/pages.jsonl").decode().splitlines()[1:]]
    assert sorted(page["url"] for page in pages) == [a.url for a in articles]
    by_url = {page["url"]: page for page in pages}
    for article in articles:  # text and title for full-text search in ReplayWeb.page
        assert (by_url[article.url]["title"], by_url[article.url]["text"]) == (article.title, article.text)
        assert by_url[article.url]["text"]
