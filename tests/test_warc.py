"""Unit tests of the pure WARC modules (writer, files, reading back, revisits) and the CDXJ indexes."""

from __future__ import annotations

import gzip
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from warcio.archiveiterator import ArchiveIterator

import archive.warc
from archive.digests import DIGEST_INDEX_NAME, ArchivedPayload, DigestIndex, payload_digest
from archive.index import cdxj_path_for, index_warc, merge_indexes, parse_cdxj_line
from archive.locations import RecordsMissing
from archive.records import WarcPointer
from archive.revisits import read_record
from archive.warc import (
    IDENTICAL_PAYLOAD_PROFILE,
    SERVER_NOT_MODIFIED_PROFILE,
    HttpExchange,
    RotatingWarcWriter,
    consistent_response_headers,
    status_line,
)
from archive.warcfiles import complete_length, finish_abandoned, locate
from archive.warcread import load_record

WHEN = datetime(2026, 11, 27, 4, 5, 6, 789000, tzinfo=UTC)


def exchange(url: str = "http://example.com/a?b=1", body: bytes = b"<p>hello</p>", **changes) -> HttpExchange:
    values = {
        "url": url,
        "method": "GET",
        "request_target": url.split("example.com", 1)[1] or "/",
        "request_headers": [(b"Host", b"example.com"), (b"Accept-Encoding", b"gzip, deflate")],
        "status": 200,
        "response_headers": [(b"Content-Type", b"text/html"), (b"Content-Length", str(len(body)).encode())],
        "body": body,
        "date": WHEN,
        "ip_address": "93.184.216.34",
    }
    values.update(changes)
    return HttpExchange(**values)


def read_all(path: Path) -> list:
    """(type, warc headers, http headers, raw block after the HTTP head) with every digest verified."""
    with open(path, "rb") as handle:
        return [
            (record.rec_type, record.rec_headers, record.http_headers, record.raw_stream.read())
            for record in ArchiveIterator(handle, check_digests="raise")
        ]


def test_consistent_response_headers() -> None:
    headers = [
        (b"Content-Encoding", b"gzip"),
        (b"Transfer-Encoding", b"chunked"),
        (b"Set-Cookie", b"a=1"),
        (b"Set-Cookie", b"b=2"),
    ]
    stored = consistent_response_headers(headers, 42, method="GET", status=200, body_decoded=False)
    assert stored == [
        (b"Content-Encoding", b"gzip"),
        (b"Set-Cookie", b"a=1"),
        (b"Set-Cookie", b"b=2"),
        (b"Content-Length", b"42"),
    ]
    decoded = consistent_response_headers(
        [*headers, (b"Content-Length", b"10")], 42, method="GET", status=200, body_decoded=True
    )
    assert decoded == [(b"Set-Cookie", b"a=1"), (b"Set-Cookie", b"b=2"), (b"Content-Length", b"42")]
    head = consistent_response_headers([(b"Content-Length", b"1000")], 0, method="HEAD", status=200, body_decoded=False)
    assert head == [(b"Content-Length", b"1000")]
    assert consistent_response_headers([], 0, method="GET", status=304, body_decoded=False) == []


def test_status_line() -> None:
    assert status_line(404) == "404 Not Found"
    assert status_line(200, "Fine") == "200 Fine"
    assert status_line(599) == "599 "


def test_exchange_records_and_pointer(tmp_path: Path) -> None:
    closed: list[Path] = []
    writer = RotatingWarcWriter(tmp_path, info={"operator": "me"}, on_close=closed.append)
    recorded = writer.write_exchange(exchange(response_headers=[(b"X-Name", b"caf\xe9"), (b"X-Name", b"two")]))
    assert writer.current_path is not None and writer.current_path.name.endswith(".warc.gz.open")
    stored = load_record(tmp_path, recorded.pointer)  # readable while the file is still open
    assert stored.record_type == "response" and stored.payload == b"<p>hello</p>"
    writer.close()
    [path] = closed
    assert path.name == recorded.pointer.file and locate(tmp_path, path.name) == path
    records = read_all(path)
    assert [r[0] for r in records] == ["warcinfo", "response", "request"]
    warcinfo, response, request = records
    assert b"operator: me" in warcinfo[3] and b"format: WARC File Format 1.1" in warcinfo[3]
    assert response[1].protocol == "WARC/1.1"
    assert response[1].get_header("WARC-Date") == "2026-11-27T04:05:06.789000Z"
    assert response[1].get_header("WARC-IP-Address") == "93.184.216.34"
    assert response[1].get_header("WARC-Warcinfo-ID") == warcinfo[1].get_header("WARC-Record-ID")
    assert response[1].get_header("WARC-Payload-Digest") == payload_digest(b"<p>hello</p>")
    assert recorded.pointer.payload_digest == payload_digest(b"<p>hello</p>")
    assert [v for k, v in response[2].headers if k == "X-Name"] == ["caf\xe9", "two"]
    assert b"X-Name: caf\xe9\r\n" in gzip.decompress(path.read_bytes())  # bytes as received, not %-encoded
    assert request[1].get_header("WARC-Concurrent-To") == recorded.pointer.record_id
    assert request[2].protocol == "GET" and request[2].statusline == "/a?b=1 HTTP/1.1"


def test_pointer_mismatch_and_missing_file(tmp_path: Path) -> None:
    writer = RotatingWarcWriter(tmp_path)
    recorded = writer.write_exchange(exchange())
    writer.close()
    wrong = WarcPointer(recorded.pointer.file, recorded.pointer.offset, recorded.pointer.length, "<urn:uuid:x>")
    with pytest.raises(ValueError, match="not <urn:uuid:x>"):
        load_record(tmp_path, wrong)
    with pytest.raises(RecordsMissing, match=f"nope.warc.gz is in none of the archive's WARC folders \\({tmp_path}\\)"):
        load_record(tmp_path, WarcPointer("nope.warc.gz", 0, 10, "<urn:uuid:x>"))


def test_revisits_identical_payload_and_not_modified(tmp_path: Path) -> None:
    closed: list[Path] = []
    writer = RotatingWarcWriter(tmp_path, digests=DigestIndex(), on_close=closed.append)
    first = writer.write_exchange(exchange("http://example.com/one"))
    second = writer.write_exchange(exchange("http://example.com/two"))
    empty_one = writer.write_exchange(exchange("http://example.com/r1", body=b"", status=301))
    empty_two = writer.write_exchange(exchange("http://example.com/r2", body=b"", status=301))
    not_modified = writer.write_exchange(exchange("http://example.com/one", body=b"", status=304))
    writer.close()
    assert [r.record_type for r in (first, second, empty_one, empty_two, not_modified)] == [
        "response",
        "revisit",
        "response",
        "response",
        "revisit",
    ]
    assert second.pointer.payload_digest == first.pointer.payload_digest
    revisit = load_record(tmp_path, second.pointer)
    assert revisit.warc_headers.get_header("WARC-Profile") == IDENTICAL_PAYLOAD_PROFILE
    assert revisit.warc_headers.get_header("WARC-Refers-To") == first.pointer.record_id
    assert revisit.warc_headers.get_header("WARC-Refers-To-Target-URI") == "http://example.com/one"
    assert revisit.warc_headers.get_header("WARC-Refers-To-Date") == "2026-11-27T04:05:06.789000Z"
    assert revisit.payload == b""
    unchanged = load_record(tmp_path, not_modified.pointer)
    assert unchanged.warc_headers.get_header("WARC-Profile") == SERVER_NOT_MODIFIED_PROFILE
    assert unchanged.warc_headers.get_header("WARC-Refers-To") == first.pointer.record_id
    assert unchanged.warc_headers.get_header("WARC-Refers-To-Target-URI") == "http://example.com/one"
    # the revisited payload's digest, so that replay finds what the 304 stands for
    assert unchanged.warc_headers.get_header("WARC-Payload-Digest") == first.pointer.payload_digest
    assert not_modified.pointer.payload_digest == first.pointer.payload_digest
    read_all(closed[0])


def test_seeded_index_makes_revisits_of_earlier_runs(tmp_path: Path) -> None:
    earlier = WHEN - timedelta(days=3)
    digests = DigestIndex([(payload_digest(b"<p>hello</p>"), "http://example.com/old", earlier, "<urn:uuid:old>")])
    assert len(digests) == 1 and payload_digest(b"<p>hello</p>") in digests
    writer = RotatingWarcWriter(tmp_path, digests=digests)
    recorded = writer.write_exchange(exchange())
    writer.close()
    stored = load_record(tmp_path, recorded.pointer)
    assert stored.warc_headers.get_header("WARC-Refers-To") == "<urn:uuid:old>"
    assert stored.warc_headers.get_header("WARC-Refers-To-Date") == "2026-11-24T04:05:06.789000Z"


def test_sha256_digests(tmp_path: Path) -> None:
    closed: list[Path] = []
    writer = RotatingWarcWriter(tmp_path, digest="sha256", on_close=closed.append)
    recorded = writer.write_exchange(exchange())
    writer.close()
    assert recorded.pointer.payload_digest == payload_digest(b"<p>hello</p>", "sha256")
    assert recorded.pointer.payload_digest.startswith("sha256:")
    records = read_all(closed[0])
    assert all(r[1].get_header("WARC-Block-Digest").startswith("sha256:") for r in records)
    with pytest.raises(ValueError, match="sha1, sha256"):
        RotatingWarcWriter(tmp_path, digest="md5")


def test_http2_and_truncated_responses(tmp_path: Path) -> None:
    writer = RotatingWarcWriter(tmp_path)
    recorded = writer.write_exchange(exchange(protocol="h2", truncated="disconnect"))
    writer.close()
    stored = load_record(tmp_path, recorded.pointer)
    assert stored.warc_headers.get_header("WARC-Protocol") == "h2"
    assert stored.warc_headers.get_header("WARC-Truncated") == "disconnect"
    assert stored.http_headers.protocol == "HTTP/1.1"


def test_rotation_by_size_and_age(tmp_path: Path) -> None:
    closed = []
    now = [0.0]
    writer = RotatingWarcWriter(tmp_path, max_size=2000, max_age=60, on_close=closed.append, clock=lambda: now[0])
    body = bytes(range(256)) * 8  # incompressible enough to fill a file in a few records
    pointers = [
        writer.write_exchange(exchange(f"http://example.com/{n}", body=body + bytes([n]))).pointer for n in range(4)
    ]
    assert len(closed) >= 1
    files_before_age = len(closed)
    now[0] = 61.0
    writer.write_metadata("http://example.com/0", pointers[0].record_id, b"{}")
    assert len(closed) == files_before_age + 1
    writer.close()
    assert closed == sorted(tmp_path.glob("*.warc.gz")) and not list(tmp_path.glob("*.open"))
    serials = [int(path.name.split("-")[2]) for path in closed]
    assert serials == list(range(len(closed)))
    for path in closed:
        records = read_all(path)
        assert records[0][0] == "warcinfo" and records[0][1].get_header("WARC-Filename") == path.name
    for pointer in pointers:
        assert load_record(tmp_path, pointer).payload.startswith(body)


def test_metadata_record(tmp_path: Path) -> None:
    writer = RotatingWarcWriter(tmp_path)
    recorded = writer.write_exchange(exchange())
    pointer = writer.write_metadata("http://example.com/a?b=1", recorded.pointer.record_id, b'{"title": "T\xc3\xa9"}')
    writer.close()
    stored = load_record(tmp_path, pointer)
    assert stored.record_type == "metadata" and stored.payload == b'{"title": "T\xc3\xa9"}'
    assert stored.warc_headers.get_header("Content-Type") == "application/json"
    assert stored.warc_headers.get_header("WARC-Refers-To") == recorded.pointer.record_id
    assert stored.warc_headers.get_header("WARC-Target-URI") == "urn:newsarchive:metadata:http://example.com/a?b=1"


def dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_abandoned_open_file_is_cut_to_complete_records_and_finished(tmp_path: Path) -> None:
    writer = RotatingWarcWriter(tmp_path)
    kept = [writer.write_exchange(exchange(f"http://example.com/{n}")).pointer for n in range(3)]
    last = writer.write_exchange(exchange("http://example.com/last")).pointer
    path = writer.current_path
    assert path is not None
    writer._file.close()  # simulate the kill: no close(), no rename
    data = path.read_bytes()
    cut = last.offset + last.length // 2
    host_and_pid = path.name.removesuffix(".warc.gz.open").rsplit("-", 1)[0]
    abandoned = path.with_name(f"{host_and_pid}-{dead_pid()}.warc.gz.open")
    abandoned.write_bytes(data[:cut])
    path.unlink()
    assert complete_length(abandoned) == last.offset
    live = tmp_path / f"{host_and_pid.rsplit('-', 1)[0]}-1.warc.gz.open"  # pid 1 runs: left alone
    live.write_bytes(data)
    [finished] = finish_abandoned(tmp_path)
    assert finished.name == abandoned.name.removesuffix(".open") and live.exists()
    records = read_all(finished)
    assert [r[0] for r in records] == ["warcinfo"] + ["response", "request"] * 3
    for pointer in kept:
        assert load_record(tmp_path, WarcPointer(finished.name, pointer.offset, pointer.length, pointer.record_id))


def test_cdxj_index_seeds_digests_and_merges(tmp_path: Path) -> None:
    indexes: list[Path] = []
    writer = RotatingWarcWriter(
        tmp_path, max_size=1, digests=DigestIndex(), on_close=lambda path: indexes.append(index_warc(path))
    )
    first = writer.write_exchange(exchange("http://example.com/b"))
    writer.write_exchange(exchange("http://example.com/a"))  # a revisit of b: not a seed
    writer.write_exchange(exchange("http://example.com/c", body=b"other"))
    writer.close()
    assert indexes == [cdxj_path_for(p) for p in sorted(tmp_path.glob("*.warc.gz"))] and len(indexes) == 3
    index = DigestIndex.for_folder(tmp_path)
    assert len(index) == 2 and index.latest("http://example.com/a") is None  # a revisit is no original
    assert index.get(payload_digest(b"<p>hello</p>")) == ArchivedPayload(
        "http://example.com/b", WHEN, first.pointer.record_id, payload_digest(b"<p>hello</p>")
    )
    assert index.latest("http://example.com/c").digest == payload_digest(b"other")
    merged = merge_indexes(tmp_path, tmp_path / "indexes" / "index.cdxj")
    lines = [parse_cdxj_line(line) for line in merged.read_text().splitlines()]
    assert [fields["url"] for _, _, fields in lines] == [f"http://example.com/{x}" for x in "abc"]
    assert lines[0][2]["mime"] == "warc/revisit"


def test_an_index_that_cannot_be_written_leaves_no_partial_file(tmp_path: Path, monkeypatch) -> None:
    writer = RotatingWarcWriter(tmp_path, digests=DigestIndex())
    writer.write_exchange(exchange("http://example.com/b"))
    writer.close()
    (warc_path,) = tmp_path.glob("*.warc.gz")

    def full_disk(indexer) -> None:
        Path(indexer.output).write_text("half an ind")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("archive.index.CDXJIndexer.process_all", full_disk)
    with pytest.raises(OSError, match="No space left"):
        index_warc(warc_path)
    assert sorted(path.name for path in tmp_path.iterdir()) == [warc_path.name]


def test_the_folder_revisit_index_lives_on_disk_and_reads_each_cdxj_once(tmp_path: Path) -> None:
    def crawl(*urls_and_bodies: tuple[str, bytes]) -> list:
        index = DigestIndex.for_folder(tmp_path)
        writer = RotatingWarcWriter(tmp_path, max_size=1, digests=index, on_close=index_warc)
        recorded = [writer.write_exchange(exchange(url, body=body)) for url, body in urls_and_bodies]
        writer.close()
        index.close()
        return recorded

    first = crawl(("http://example.com/one", b"<p>one</p>"), ("http://example.com/two", b"<p>two</p>"))
    index = DigestIndex.for_folder(tmp_path)
    assert (tmp_path / DIGEST_INDEX_NAME).exists() and len(index) == 2
    assert index.update_from(tmp_path) == 0  # every CDXJ read already
    index.close()
    second = crawl(("http://example.com/again", b"<p>one</p>"), ("http://example.com/three", b"<p>three</p>"))
    assert [r.record_type for r in second] == ["revisit", "response"]
    revisit = load_record(tmp_path, second[0].pointer)
    assert revisit.warc_headers.get_header("WARC-Refers-To") == first[0].pointer.record_id
    # a file gone from the folder: the index is made again from what is left, never pointing into the missing file
    (tmp_path / first[0].pointer.file).unlink()
    cdxj_path_for(tmp_path / first[0].pointer.file).unlink()
    index = DigestIndex.for_folder(tmp_path)
    assert len(index) == 2 and payload_digest(b"<p>one</p>") not in index
    assert index.latest("http://example.com/three").record_id == second[1].pointer.record_id
    index.close()
    # an index file SQLite cannot read is made anew
    (tmp_path / DIGEST_INDEX_NAME).write_bytes(b"not a database" * 100)
    index = DigestIndex.for_folder(tmp_path)
    assert len(index) == 2 and payload_digest(b"<p>two</p>") in index
    index.close()


def test_the_revisit_index_answers_from_disk_past_its_cache(tmp_path: Path) -> None:
    class Elsewhere:
        """Another archive's answers (the SQL store's, in a crawl)."""

        def get(self, digest: str) -> ArchivedPayload | None:
            known = digest == "sha1:X"
            return ArchivedPayload("http://elsewhere/x", WHEN, "<urn:uuid:else>", digest) if known else None

        def latest(self, uri: str) -> ArchivedPayload | None:
            known = uri in ("http://example.com/x", "http://example.com/new")
            return ArchivedPayload(uri, WHEN, "<urn:uuid:else-latest>", "sha1:X") if known else None

    earlier = WHEN - timedelta(days=1)
    entries = [(f"sha1:{n}", f"http://example.com/{n % 50}", earlier + timedelta(seconds=n), f"<urn:uuid:{n}>")
               for n in range(200)]
    index = DigestIndex(entries, path=tmp_path / "index.sqlite", fallbacks=[Elsewhere()], cache_size=3)
    for _ in range(2):  # read from the file, then partly from the cache
        assert [index.get(f"sha1:{n}").record_id for n in range(200)] == [f"<urn:uuid:{n}>" for n in range(200)]
        assert [index.latest(f"http://example.com/{n}").record_id for n in range(50)] == [
            f"<urn:uuid:{150 + n}>" for n in range(50)
        ]
    index.add("sha1:0", "http://example.com/later", WHEN, "<urn:uuid:later>")  # the first of a digest stays
    index.add("sha1:X", "http://example.com/x", WHEN + timedelta(seconds=1), "<urn:uuid:x>")
    assert index.get("sha1:0").record_id == "<urn:uuid:0>"
    assert index.get("sha1:X").record_id == "<urn:uuid:else>"  # the fallback knew it first
    assert index.latest("http://example.com/x").record_id == "<urn:uuid:x>"  # later than the fallback's
    assert index.latest("http://example.com/later").record_id == "<urn:uuid:later>"
    assert index.latest("http://example.com/new").record_id == "<urn:uuid:else-latest>"
    assert len(index) == 200
    index.close()


def test_a_failing_revisit_index_costs_revisits_never_records(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    index = DigestIndex(path=tmp_path / "index.sqlite")
    writer = RotatingWarcWriter(tmp_path, digests=index)
    index._db.close()  # the file unusable from now on (as a damaged or vanished one would be)
    recorded = [writer.write_exchange(exchange(f"http://example.com/{n}", body=b"<p>new</p>")) for n in range(2)]
    writer.close()
    assert [r.record_type for r in recorded] == ["response", "revisit"]  # this run's own records: from the cache
    assert load_record(tmp_path, recorded[0].pointer).payload == b"<p>new</p>"
    assert [r.getMessage() for r in caplog.records if r.levelname == "ERROR"] == [
        f"the revisit index {tmp_path / 'index.sqlite'} failed (Cannot operate on a closed database.): identical "
        "payloads may be archived in full"
    ]


def test_read_record_gives_the_http_message_as_captured(tmp_path: Path) -> None:
    writer = RotatingWarcWriter(tmp_path, max_size=1, digests=DigestIndex(), on_close=index_warc)
    body = gzip.compress(b"<p>hello</p>", mtime=0)
    headers = [(b"Content-Encoding", b"gzip"), (b"Content-Length", str(len(body)).encode())]
    original = writer.write_exchange(exchange("http://example.com/one", body=body, response_headers=headers))
    revisit = writer.write_exchange(exchange("http://example.com/two", body=body, response_headers=headers))
    writer.close()
    head = b"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: %d\r\n\r\n" % len(body)
    assert read_record(tmp_path, original.pointer) == head + body
    assert read_record(tmp_path, revisit.pointer) == head + body
    (tmp_path / original.pointer.file).unlink()
    (tmp_path / original.pointer.file.replace(".warc.gz", ".cdxj")).unlink()
    with pytest.raises(LookupError, match="is not archived"):
        read_record(tmp_path, revisit.pointer)


def test_two_writers_starting_in_the_same_millisecond(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    class FrozenClock(datetime):
        @classmethod
        def now(cls, tz=None):
            return WHEN

    monkeypatch.setattr(archive.warc, "datetime", FrozenClock)
    first, second = RotatingWarcWriter(tmp_path), RotatingWarcWriter(tmp_path)
    first.write_exchange(exchange())
    second.write_exchange(exchange())
    assert first.current_path != second.current_path
    assert [path.name.split("-")[2] for path in (first.current_path, second.current_path)] == ["00000", "00001"]


def test_read_record_of_a_revisit_while_the_files_are_open(tmp_path: Path) -> None:
    writer = RotatingWarcWriter(tmp_path, digests=DigestIndex())
    writer.write_exchange(exchange("http://example.com/one"))
    revisit = writer.write_exchange(exchange("http://example.com/two"))
    assert read_record(tmp_path, revisit.pointer).endswith(b"\r\n\r\n<p>hello</p>")
    writer.close()


@pytest.mark.parametrize(
    ("headers", "stored"),
    [
        ([(b"Content-Type", b"image/jpeg")], True),
        ([(b"Content-Type", b"text/html; charset=utf-8"), (b"Content-Encoding", b"gzip")], True),
        ([(b"Content-Type", b"text/css"), (b"Content-Encoding", b"br")], True),
        ([(b"Content-Type", b"video/mp4")], True),
        ([(b"Content-Type", b"text/html")], False),
        ([(b"Content-Type", b"image/png")], False),
        ([(b"Content-Type", b"text/html"), (b"Content-Encoding", b"identity")], False),
    ],
)
def test_a_payload_already_compressed_is_stored_not_deflated_again(tmp_path: Path, headers, stored) -> None:
    body = b"0123456789" * 6000  # compressible, so that a stored member and a deflated one differ in length
    writer = RotatingWarcWriter(tmp_path)
    recorded = writer.write_exchange(
        exchange(body=body, response_headers=[*headers, (b"Content-Length", str(len(body)).encode())])
    )
    writer.close()
    assert (recorded.pointer.length > len(body)) == stored
    [path] = tmp_path.glob("*.warc.gz")
    [response] = [r for r in read_all(path) if r[0] == "response"]  # one gzip member each, digests verified
    assert response[3] == body
