"""Print a normalised dump of an archive folder (WARC records, SQL rows, exports) for comparing two crawls.

Two crawls of the newsroom made by different versions of the code should archive the same thing. What may
differ between runs is masked: dates of fetching, record ids, the test site's port, row ids and WARC offsets
(which follow the order pages arrived in, and that order depends on concurrency). Everything else — every
WARC header that is not a date or an id, every payload byte (as its sha1), every stored column, every exported
line — is printed in a stable order, so `diff` of two dumps shows any change of behaviour.

    python benchmarks/archive_fingerprint.py DATA_DIR > before.txt
    (change the code, crawl again)
    python benchmarks/archive_fingerprint.py DATA_DIR2 > after.txt && diff before.txt after.txt
"""

from __future__ import annotations

import argparse
import csv
import gzip
import hashlib
import json
import re
import sqlite3
import subprocess
import sys
import tempfile
from pathlib import Path

from warcio.archiveiterator import ArchiveIterator

PORT = re.compile(r"127\.0\.0\.1:\d+")
UUID = re.compile(r"<?urn:uuid:[0-9a-f-]{36}>?")
ISO_TIME = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:?\d{2})?")
HTTP_DATE = re.compile(r"\w{3}, \d{2} \w{3} \d{4} \d{2}:\d{2}:\d{2} GMT")
WARC_NAME = re.compile(r"[\w-]*-\d{17}-\d{5}-[\w.-]+?\.warc\.gz")
# Payloads name the test site's port, so their digests differ between runs: the dump hashes masked payloads.
DIGEST = re.compile(r"(sha1|sha256):[A-Za-z0-9+/=]{20,}")
# A WARC pointer's position (JSON of metadata records and exports; CSV columns warc_offset, warc_length).
POSITION = re.compile(r'("(?:offset|length)": )\d+')
# WARC headers whose value is a date, an id, a file name or a digest of bytes that hold dates.
VOLATILE_WARC = {"warc-date", "warc-record-id", "warc-concurrent-to", "warc-refers-to", "warc-block-digest",
                 "warc-filename", "content-length", "warc-refers-to-date", "warc-ip-address"}
# HTTP headers that depend on the run: the date, an ETag of bytes that name the port, the page that happened to
# link first (several sitemaps list the same article; which one is fetched first depends on concurrency).
# Content-Length: of compressed bytes, which name the port as well.
VOLATILE_HTTP = {"date", "etag", "referer", "content-length"}
# SQL columns that are ids, fetch times, positions in WARC files, or hashes of what names the port.
VOLATILE_COLUMN = re.compile(r"(^id$|^etag$|^url_key$|_id$|_at$|^first_seen|^last_seen|^warc_offset|^warc_length|"
                             r"^warc_file|"
                             r"^warc_record|^stats$|^arguments$|^started|^finished)")


def mask(text: str) -> str:
    for pattern, token in ((PORT, "HOST"), (UUID, "UUID"), (WARC_NAME, "WARCFILE"), (ISO_TIME, "TIME"),
                           (HTTP_DATE, "HTTPDATE"), (POSITION, r"\1N"), (DIGEST, "DIGEST")):
        text = pattern.sub(token, text)
    return text


def warc_lines(warc_dir: Path) -> list[str]:
    lines = []
    for path in sorted(warc_dir.glob("*.warc.gz")):
        with path.open("rb") as stream:
            for record in ArchiveIterator(stream, no_record_parse=False):
                headers = [f"{k}: {mask(v)}" for k, v in record.rec_headers.headers if k.lower() not in VOLATILE_WARC]
                http = []
                if record.http_headers is not None:
                    http = [record.http_headers.statusline] + [
                        f"{k}: {mask(v)}" for k, v in record.http_headers.headers if k.lower() not in VOLATILE_HTTP]
                # the payload (content-decoded), masked: whole for our own records, as its sha1 for responses
                content = record.content_stream().read()
                if content[:2] == b"\x1f\x8b":  # a .xml.gz sitemap: its gzip bytes name the port
                    content = gzip.decompress(content)
                payload = mask(content.decode("utf-8", "replace"))
                own = record.rec_type in ("metadata", "warcinfo")
                body = payload if own else hashlib.sha1(payload.encode()).hexdigest()
                lines.append(" | ".join([record.rec_type, *sorted(headers), *http, body]))
    return sorted(lines)


def sql_lines(db_path: Path) -> list[str]:
    lines = []
    with sqlite3.connect(db_path) as connection:
        tables = [row[0] for row in connection.execute("select name from sqlite_master where type='table'")]
        for table in sorted(tables):
            if table == "alembic_version":
                continue
            cursor = connection.execute(f"select * from {table}")
            names = [d[0] for d in cursor.description]
            for row in cursor:
                kept = {n: v for n, v in zip(names, row, strict=True) if not VOLATILE_COLUMN.search(n)}
                lines.append(f"{table} " + mask(json.dumps(kept, sort_keys=True, ensure_ascii=False, default=str)))
    return sorted(lines)


def export_rows(path: Path, fmt: str) -> list[str]:
    """One line per exported article; CSV rows as JSON without the WARC position columns."""
    if fmt == "jsonl":
        return path.read_text(encoding="utf-8").splitlines()
    with path.open(encoding="utf-8", newline="") as stream:
        rows = list(csv.DictReader(stream))
    volatile = ("warc_offset", "warc_length")
    return [json.dumps({k: v for k, v in row.items() if k not in volatile}, ensure_ascii=False) for row in rows]


def export_lines(db_path: Path) -> list[str]:
    lines = []
    command = [sys.executable, "-m", "crawler.cli", "export", "--db", f"sqlite:///{db_path}"]
    with tempfile.TemporaryDirectory() as tmp:
        for fmt in ("jsonl", "csv"):
            out = Path(tmp) / f"export.{fmt}"
            subprocess.run([*command, "--format", fmt, "-o", str(out)], check=True, capture_output=True)
            lines += sorted(f"{fmt} {mask(line)}" for line in export_rows(out, fmt))
        txt = Path(tmp) / "txt"
        subprocess.run([*command, "--format", "txt", "-o", str(txt)], check=True, capture_output=True)
        # file names number the articles in row order and hash their URL (which names the port): contents only
        lines += sorted(f"txt {hashlib.sha1(path.read_bytes()).hexdigest()}" for path in txt.iterdir())
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("data_dir", type=Path, help="a folder as `newsarchive demo --data-dir` leaves it")
    args = parser.parse_args()
    for line in warc_lines(args.data_dir / "warc") + sql_lines(args.data_dir / "newsarchive.db"):
        print(line)
    for line in export_lines(args.data_dir / "newsarchive.db"):
        print(line)


if __name__ == "__main__":
    main()
