"""Export of a selection as WARC and WACZ (archive/wacz.py), and reading archives back (archive/importer.py)."""

from __future__ import annotations

import gzip
import io
import json
import subprocess
import sys
import zipfile
import zlib
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import brotli
import pytest
from warcio.archiveiterator import ArchiveIterator
from warcio.statusandheaders import StatusAndHeaders, StatusAndHeadersParser

from archive.digests import DigestIndex
from archive.importer import iter_archived_responses, total_size
from archive.index import index_warc
from archive.locations import RecordsMissing, WarcLocations
from archive.revisits import read_record
from archive.store import ArchiveStore
from archive.wacz import export_wacz, export_warc
from archive.warc import HttpExchange, RotatingWarcWriter, metadata_uri
from archive.warcread import StoredRecord, decoded_message, load_record
from crawler.newsroom import Newsroom
from crawler.reextract import import_archives

WHEN = datetime(2026, 11, 27, 4, 5, 6, tzinfo=UTC)
PNG = b"\x89PNG\r\n\x1a\n" + bytes(40)
PAGE = "<html><head><title>Bài viết</title></head><body><p>Nội dung.</p></body></html>".encode()


def exchange(url: str, body: bytes, headers: list[tuple[bytes, bytes]] = (), status: int = 200) -> HttpExchange:
    return HttpExchange(
        url=url,
        method="GET",
        request_target="/" + url.split("/", 3)[3],
        request_headers=[(b"Host", b"news.example"), (b"Accept-Encoding", b"gzip")],
        status=status,
        response_headers=[(b"Content-Type", b"text/html; charset=utf-8"), *headers],
        body=body,
        date=WHEN,
    )


@pytest.fixture
def archive(tmp_path: Path) -> dict:
    """A two-file archive: a gzip-encoded article, a revisit of it at another URL, an unrelated page."""
    warc_dir = tmp_path / "warc"
    writer = RotatingWarcWriter(warc_dir, max_size=1, digests=DigestIndex(), on_close=index_warc)
    gzipped = writer.write_exchange(
        exchange("http://news.example/a/1", gzip.compress(PAGE, mtime=0), [(b"Content-Encoding", b"gzip")])
    )
    writer.write_metadata("http://news.example/a/1", gzipped.pointer.record_id, b'{"title": "1"}')
    revisit = writer.write_exchange(
        exchange("http://news.example/a/2", gzip.compress(PAGE, mtime=0), [(b"Content-Encoding", b"gzip")])
    )
    writer.write_metadata("http://news.example/a/2", revisit.pointer.record_id, b'{"title": "2"}')
    other = writer.write_exchange(exchange("http://news.example/other", b"<p>other</p>"))
    missing = writer.write_exchange(exchange("http://news.example/missing", b"gone", status=404))
    writer.close()
    return {"dir": warc_dir, "gzipped": gzipped, "revisit": revisit, "other": other, "missing": missing}


def records(path: Path) -> list[tuple[str, str, str]]:
    with open(path, "rb") as handle:
        return [
            (r.rec_type, r.rec_headers.get_header("WARC-Target-URI"), r.rec_headers.get_header("WARC-Record-ID"))
            for r in ArchiveIterator(handle, check_digests="raise")
        ]


def test_export_warc_brings_requests_metadata_and_revisited_original_with_request(
    archive: dict, tmp_path: Path
) -> None:
    out = tmp_path / "export.warc.gz"
    copied = export_warc([archive["revisit"].pointer], archive["dir"], out)
    exported = records(out)
    assert copied == 8
    assert [(t, u) for t, u, _ in exported] == [
        ("warcinfo", None),
        ("warcinfo", None),
        ("response", "http://news.example/a/1"),
        ("request", "http://news.example/a/1"),  # the revisited original comes with its request
        ("warcinfo", None),
        ("revisit", "http://news.example/a/2"),
        ("request", "http://news.example/a/2"),
        ("warcinfo", None),
        ("metadata", metadata_uri("http://news.example/a/2")),
    ]
    assert exported[2][2] == archive["gzipped"].pointer.record_id
    assert "http://news.example/other" not in {u for _, u, _ in exported}


@pytest.mark.integration  # runs `wacz validate`
def test_export_wacz_validates_and_reads_back(archive: dict, tmp_path: Path) -> None:
    out = tmp_path / "out" / "news.wacz"
    pointers = [archive[name].pointer for name in ("gzipped", "revisit", "other")]
    pages = [
        {"url": "http://news.example/a/1", "ts": "2026-11-27T04:05:06Z", "title": "Bài viết"},
        {"url": "http://news.example/a/2", "ts": "2026-11-27T04:05:06Z", "title": "Bài viết"},
    ]
    assert export_wacz(pointers, archive["dir"], out, pages) == out
    wacz = Path(sys.executable).with_name("wacz")
    validated = subprocess.run([wacz, "validate", "-f", out], capture_output=True, text=True)
    assert validated.returncode == 0, validated.stdout + validated.stderr
    assert "Validation succeeded" in validated.stdout
    with zipfile.ZipFile(out) as package:
        names = set(package.namelist())
        assert names == {
            "archive/news.warc.gz",
            "indexes/index.cdx",
            "pages/pages.jsonl",
            "datapackage.json",
            "datapackage-digest.json",
        }
        assert package.getinfo("archive/news.warc.gz").compress_type == zipfile.ZIP_STORED
        lines = package.read("pages/pages.jsonl").decode().splitlines()
        assert json.loads(lines[0])["format"] == "json-pages-1.0"
        assert [json.loads(line)["url"] for line in lines[1:]] == [p["url"] for p in pages]
        index = package.read("indexes/index.cdx").decode().splitlines()
        assert len(index) == 3 and all('"filename": "news.warc.gz"' in line for line in index)
    responses = list(iter_archived_responses(out))
    assert [(r.url, r.body, r.status) for r in responses] == [
        ("http://news.example/a/1", PAGE, 200),
        ("http://news.example/a/2", PAGE, 200),
        ("http://news.example/other", b"<p>other</p>", 200),
    ]
    assert responses[0].pointer.file == "news.wacz#archive/news.warc.gz"
    assert responses[0].headers.get_header("Content-Encoding") == "gzip"


def test_wacz_page_without_timestamp_is_refused(archive: dict, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="needs a url and a ts"):
        export_wacz([archive["other"].pointer], archive["dir"], tmp_path / "x.wacz", [{"url": "http://x"}])


def test_import_folder_gives_every_response_with_pointers(archive: dict) -> None:
    progress = []
    responses = list(iter_archived_responses(archive["dir"], on_progress=progress.append))
    assert [r.url for r in responses] == [
        "http://news.example/a/1",
        "http://news.example/a/2",
        "http://news.example/other",
        "http://news.example/missing",
    ]
    assert responses[1].body == PAGE and responses[1].pointer == archive["revisit"].pointer
    assert responses[0].pointer == archive["gzipped"].pointer
    assert responses[3].status == 404 and responses[3].date == WHEN
    assert sum(progress) == total_size(archive["dir"])


def test_import_reports_what_it_cannot_give(archive: dict, tmp_path: Path) -> None:
    revisit_file = archive["dir"] / archive["revisit"].pointer.file
    skipped = []
    responses = list(iter_archived_responses(revisit_file, on_skip=lambda url, why: skipped.append((url, why))))
    assert all(r.url != "http://news.example/a/2" for r in responses)
    assert responses == []  # the file holds the revisit alone: nothing it can give without the original's file
    assert skipped and skipped[0][0] == "http://news.example/a/2" and "not in the input" in skipped[0][1]

    pointer = archive["gzipped"].pointer
    data = (archive["dir"] / pointer.file).read_bytes()
    cut = tmp_path / "cut.warc.gz"
    cut.write_bytes(data[: pointer.offset + pointer.length - 30])
    skipped.clear()
    assert list(iter_archived_responses(cut, on_skip=lambda url, why: skipped.append((url, why)))) == []
    assert skipped and skipped[0][0] == "http://news.example/a/1", skipped

    text = tmp_path / "notes.txt"
    text.write_text("not a WARC")
    with pytest.raises(ValueError, match="is not a WARC"):
        list(iter_archived_responses(text))
    with pytest.raises(FileNotFoundError):
        list(iter_archived_responses(tmp_path / "nothing.warc.gz"))


def test_a_revisit_reads_back_with_the_payload_it_refers_to(archive: dict, tmp_path: Path) -> None:
    original = load_record(archive["dir"], archive["gzipped"].pointer)
    revisit = read_record(archive["dir"], archive["revisit"].pointer)
    assert original.payload and revisit.endswith(original.payload)
    assert revisit.startswith(b"HTTP/1.1 200")
    alone = tmp_path / "alone"
    alone.mkdir()
    (alone / archive["revisit"].pointer.file).write_bytes(
        (archive["dir"] / archive["revisit"].pointer.file).read_bytes()
    )
    with pytest.raises(LookupError, match="is not archived"):
        read_record(alone, archive["revisit"].pointer)


def test_import_archives_of_a_third_party_warc(tmp_path: Path) -> None:
    """No metadata records: every HTML 200 response is an article candidate."""
    newsroom = Newsroom(articles=12, seed=4)
    base = "http://news.example"
    closed: list[Path] = []
    writer = RotatingWarcWriter(tmp_path / "warc", on_close=closed.append)
    stories = [story for story in newsroom.stories if story != newsroom.case_stories["flaky"]][:3]
    for story in stories:
        page = newsroom.handle("GET", story.path, {"Accept-Encoding": "gzip"}, base)
        writer.write_exchange(
            exchange(
                base + story.path,
                page.body,
                [(k.encode(), v.encode()) for k, v in page.headers if k != "Content-Type"],
                status=page.status,
            )
        )
    writer.write_exchange(exchange(base + "/gone", b"<html>gone</html>", status=404))
    png = exchange(base + "/logo.png", PNG)
    writer.write_exchange(replace(png, response_headers=[(b"Content-Type", b"image/png")]))
    writer.close()
    store = ArchiveStore(f"sqlite:///{tmp_path / 'import.db'}")
    try:
        summary = import_archives(store, [tmp_path / "warc"])
        assert (summary.responses, summary.candidates, summary.new) == (5, 3, 3), summary
        articles = {a.url: a for a in store.iter_articles()}
        assert set(articles) == {base + story.path for story in stories}
        assert all(a.site == "news.example" and a.warc.file == closed[0].name for a in articles.values())
        assert "3 new" in str(summary)
    finally:
        store.close()


def http_record(head: bytes, payload: bytes) -> StoredRecord:
    """A response record as `load_record` gives it, for the decoding tests."""
    stream = io.BytesIO(head)
    headers = StatusAndHeadersParser([], verify=False).parse(stream)
    return StoredRecord("response", StatusAndHeaders("", []), head + payload, headers, payload)


@pytest.mark.parametrize(("codings", "encode"), [
    (b"gzip", lambda body: gzip.compress(body[:30]) + gzip.compress(body[30:])),  # two gzip members
    (b"deflate", zlib.compress),
    (b"deflate", lambda body: zlib.compress(body, wbits=-zlib.MAX_WBITS)),  # raw deflate, as some servers send
    (b"br", brotli.compress),
    (b"gzip, br", lambda body: brotli.compress(gzip.compress(body))),  # applied in order, undone in reverse
])
def test_decoded_message_undoes_content_and_transfer_codings(codings: bytes, encode) -> None:
    encoded = encode(PAGE)
    chunked = b"%x;ext=1\r\n%s\r\n%x\r\n%s\r\n0\r\nX-Trailer: t\r\n\r\n" % (
        10, encoded[:10], len(encoded) - 10, encoded[10:]
    )
    head = (b"HTTP/1.1 200 Fine Thanks\r\nContent-Type: text/html\r\nContent-Encoding: " + codings +
            b"\r\nTransfer-Encoding: chunked\r\nX-Case: Kept\r\n\r\n")  # fmt: skip
    message = decoded_message(head, http_record(head, chunked))
    assert message == (b"HTTP/1.1 200 Fine Thanks\r\nContent-Type: text/html\r\nX-Case: Kept\r\n"
                       b"Content-Length: %d\r\n\r\n" % len(PAGE)) + PAGE  # fmt: skip


def test_decoded_message_of_a_truncated_or_corrupt_body() -> None:
    head = b"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: 999\r\n\r\n"
    body = b"".join(b"<p>%d</p>" % n for n in range(5000))
    cut = gzip.compress(body)[:-60]  # cut off: what was received decodes
    decoded = decoded_message(head, http_record(head, cut)).partition(b"\r\n\r\n")[2]
    assert len(decoded) > len(body) // 2 and body.startswith(decoded)
    with pytest.raises(ValueError, match="the gzip body cannot be decoded"):
        decoded_message(head, http_record(head, b"\x1f\x8b not gzip at all"))


def test_a_revisit_reads_back_decoded_with_its_originals_encoding(archive: dict) -> None:
    decoded = read_record(archive["dir"], archive["revisit"].pointer, decoded=True)
    assert decoded.startswith(b"HTTP/1.1 200") and decoded.endswith(b"\r\n\r\n" + PAGE)
    assert b"Content-Encoding" not in decoded


def test_records_inside_a_wacz_are_read_and_found(archive: dict, tmp_path: Path) -> None:
    pointers = [archive[name].pointer for name in ("gzipped", "revisit", "other")]
    package = tmp_path / "packages" / "news.wacz"
    export_wacz(pointers, archive["dir"], package, [])
    responses = {r.url: r.pointer for r in iter_archived_responses(package)}
    locations = WarcLocations.of(package.parent)
    revisit = responses["http://news.example/a/2"]
    assert revisit.file == "news.wacz#archive/news.warc.gz"
    assert load_record(locations, revisit).record_type == "revisit"
    assert read_record(locations, revisit) == read_record(archive["dir"], archive["revisit"].pointer)
    copied = tmp_path / "again.warc.gz"
    export_warc([revisit], locations, copied)
    assert {(t, u) for t, u, _ in records(copied)} >= {
        ("response", "http://news.example/a/1"), ("request", "http://news.example/a/1"),
        ("revisit", "http://news.example/a/2"), ("request", "http://news.example/a/2"),
        ("metadata", metadata_uri("http://news.example/a/2")),
    }  # fmt: skip
    with pytest.raises(RecordsMissing, match=r"news\.wacz holds no archive/other\.warc\.gz"):
        load_record(locations, replace(revisit, file="news.wacz#archive/other.warc.gz"))
