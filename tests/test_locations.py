"""Where the records are, through the command line: row pointers at their own URL's capture, export and show with
`--db` alone after crawls into other folders, rows imported from a WACZ read like any other, read commands that
never create an archive, and one clear line for every mistake."""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
import zipfile
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from conftest import ROOT, run_newsarchive
from warcio.archiveiterator import ArchiveIterator

from archive.index import parse_cdxj_line
from archive.locations import WarcLocations
from archive.store import ArchiveStore
from archive.warcdates import parse_warc_date
from archive.warcread import load_record
from crawler.newsroom import Newsroom, serve
from crawler.newsroom.site import section_sitemap_path

pytestmark = pytest.mark.integration  # crawls the newsroom and runs the command line

FAST = ["--allow-private", "-s", "AUTOTHROTTLE_ENABLED=false", "-s", "LOG_LEVEL=WARNING"]


def fails(*args: str, cwd: Path) -> str:
    """Run `newsarchive` expecting a user mistake: non-zero exit, one line on stderr, no traceback."""
    result = subprocess.run(
        [sys.executable, "-m", "crawler.cli", *args], cwd=cwd, env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode != 0, result.stdout + result.stderr
    assert "Traceback" not in result.stderr, result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    return lines[0]


@dataclass(frozen=True)
class TwoCrawls:
    newsroom: Newsroom
    base: str
    db_url: str
    folders: tuple[Path, Path]
    elsewhere: Path  # a working folder with no data/ of its own


@pytest.fixture(scope="module")
def two_crawls(tmp_path_factory: pytest.TempPathFactory) -> TwoCrawls:
    """The newsroom crawled twice into two WARC folders: first the odd pages (the AMP copy of an article before the
    article), then, with --refresh, the article's section (the article itself)."""
    root = tmp_path_factory.mktemp("locations")
    db_url = f"sqlite:///{root / 'archive.db'}"
    folders = (root / "warc-first", root / "warc-second")
    newsroom = Newsroom(articles=12, seed=5)
    amp_story = newsroom.case_stories["amp"]
    with serve(newsroom) as base:
        newsroom.base_url = base
        run_newsarchive("crawl", "--sitemap", f"{base}/sitemaps/misc.xml", "--db", db_url,
                        "--warc-dir", str(folders[0]), *FAST, cwd=root)  # fmt: skip
        run_newsarchive("crawl", "--sitemap", base + section_sitemap_path(amp_story.category), "--refresh",
                        "--db", db_url, "--warc-dir", str(folders[1]), *FAST, cwd=root)  # fmt: skip
    elsewhere = root / "elsewhere"
    elsewhere.mkdir()
    return TwoCrawls(newsroom, base, db_url, folders, elsewhere)


def test_every_row_points_at_its_own_urls_capture(two_crawls: TwoCrawls) -> None:
    store = ArchiveStore(two_crawls.db_url, create=False)
    try:
        assert store.warc_folders() == [two_crawls.folders[1], two_crawls.folders[0]]
        locations = WarcLocations.for_store(store)
        articles = {article.canonical_url: article for article in store.iter_articles()}
    finally:
        store.close()
    amp_case = two_crawls.newsroom.cases["amp"]
    home = articles[amp_case.target_url(two_crawls.base)]
    assert home.url == home.canonical_url  # first archived as its AMP copy, now at home
    assert home.warc.file.startswith("newsarchive-") and (two_crawls.folders[1] / home.warc.file).exists()
    for article in articles.values():
        record = load_record(locations, article.warc)
        assert record.warc_headers.get_header("WARC-Target-URI") == article.url
        assert record.warc_headers.get_header("WARC-Payload-Digest") == article.warc.payload_digest
        warc_date = parse_warc_date(record.warc_headers.get_header("WARC-Date"))
        assert abs(warc_date - article.fetched_at) < timedelta(seconds=1)


def test_wacz_and_warc_exports_with_the_database_alone(two_crawls: TwoCrawls, tmp_path: Path) -> None:
    package = tmp_path / "archive.wacz"
    run_newsarchive("export", "--db", two_crawls.db_url, "--format", "wacz", "-o", str(package),
                    cwd=two_crawls.elsewhere)  # fmt: skip
    with zipfile.ZipFile(package) as wacz:
        pages = [json.loads(line) for line in wacz.read("pages/pages.jsonl").decode().splitlines()[1:]]
        indexed = {parse_cdxj_line(line)[2]["url"] for line in wacz.read("indexes/index.cdx").decode().splitlines()}
    assert pages and {page["url"] for page in pages} <= indexed  # every page is served by the package's index
    assert two_crawls.newsroom.cases["amp"].target_url(two_crawls.base) in {page["url"] for page in pages}

    exported = tmp_path / "selection.warc.gz"
    run_newsarchive("export", "--db", two_crawls.db_url, "--format", "warc", "-o", str(exported),
                    cwd=two_crawls.elsewhere)  # fmt: skip
    with exported.open("rb") as stream:
        kinds = {(r.rec_type, r.rec_headers.get_header("WARC-Target-URI")) for r in ArchiveIterator(stream)}
    for page in pages:
        assert {("response", page["url"]), ("request", page["url"])} <= kinds, page["url"]
    assert not (two_crawls.elsewhere / "data").exists()


def test_show_finds_the_article_under_any_of_its_addresses(two_crawls: TwoCrawls) -> None:
    base, cases = two_crawls.base, two_crawls.newsroom.cases
    tracking = cases["tracking"]
    expected = {
        cases["amp"].target_url(base): [cases["amp"].url(base)],
        tracking.target_url(base): [
            tracking.url(base),
            tracking.target_url(base) + "?utm_source=zalo#binh-luan",
            tracking.target_url(base).replace("http://", "HTTP://"),
        ],
        cases["redirect_301"].target_url(base): [cases["redirect_301"].url(base), cases["redirect_302"].url(base)],
    }
    for canonical, addresses in expected.items():
        text = run_newsarchive("show", canonical, "--db", two_crawls.db_url, cwd=two_crawls.elsewhere).stdout
        assert text.startswith("date ")
        for address in addresses:
            shown = run_newsarchive("show", address, "--db", two_crawls.db_url, cwd=two_crawls.elsewhere).stdout
            assert shown == text, address


def test_show_raw_as_archived_and_decoded(two_crawls: TwoCrawls) -> None:
    newsroom, base = two_crawls.newsroom, two_crawls.base
    story = newsroom.case_stories["amp"]
    raw = subprocess.run(
        [sys.executable, "-m", "crawler.cli", "show", base + story.path, "--raw", "--db", two_crawls.db_url],
        cwd=two_crawls.elsewhere, env={**os.environ, "PYTHONPATH": str(ROOT)}, capture_output=True, timeout=120,
    )  # fmt: skip
    assert raw.returncode == 0, raw.stderr
    head, _, body = raw.stdout.partition(b"\r\n\r\n")
    served = newsroom.handle("GET", story.path, {"Accept-Encoding": "gzip"}, base).body
    assert head.startswith(b"HTTP/1.1 200") and b"gzip" in head.lower() and body == served  # as archived
    decoded = subprocess.run(
        [sys.executable, "-m", "crawler.cli", "show", base + story.path, "--raw", "--decoded",
         "--db", two_crawls.db_url],
        cwd=two_crawls.elsewhere, env={**os.environ, "PYTHONPATH": str(ROOT)}, capture_output=True, timeout=120,
    )  # fmt: skip
    assert decoded.returncode == 0, decoded.stderr
    head, _, body = decoded.stdout.partition(b"\r\n\r\n")
    assert body == gzip.decompress(served)
    assert b"content-encoding" not in head.lower() and f"Content-Length: {len(body)}".encode() in head


def test_rows_imported_from_a_wacz_read_like_any_other(two_crawls: TwoCrawls, tmp_path: Path) -> None:
    packages = tmp_path / "packages"
    run_newsarchive("export", "--db", two_crawls.db_url, "--format", "wacz", "-o", str(packages / "news.wacz"),
                    cwd=two_crawls.elsewhere)  # fmt: skip
    imported = f"sqlite:///{tmp_path / 'imported.db'}"
    run_newsarchive("import-warc", str(packages / "news.wacz"), "--db", imported, cwd=tmp_path)
    url = two_crawls.newsroom.cases["amp"].target_url(two_crawls.base)
    store = ArchiveStore(imported, create=False)
    try:
        assert store.get_article(url).warc.file == "news.wacz#archive/news.warc.gz"
    finally:
        store.close()
    raw = subprocess.run(
        [sys.executable, "-m", "crawler.cli", "show", url, "--raw", "--decoded", "--db", imported],
        cwd=two_crawls.elsewhere, env={**os.environ, "PYTHONPATH": str(ROOT)}, capture_output=True, timeout=120,
    )  # fmt: skip
    assert raw.returncode == 0, raw.stderr
    assert raw.stdout.startswith(b"HTTP/1.1 200") and b"</html>" in raw.stdout
    for fmt in ("warc", "wacz"):
        out = tmp_path / f"again.{fmt}"
        run_newsarchive("export", "--db", imported, "--format", fmt, "-o", str(out), cwd=two_crawls.elsewhere)
        assert out.stat().st_size > 0
    with zipfile.ZipFile(tmp_path / "again.wacz") as wacz, wacz.open("archive/again.warc.gz") as stream:
        records = [(r.rec_type, r.rec_headers.get_header("WARC-Target-URI"))
                   for r in ArchiveIterator(stream, check_digests="raise")]  # fmt: skip
    assert ("response", url) in records and ("request", url) in records


def test_read_commands_never_create_an_archive(tmp_path: Path) -> None:
    for command in (["stats"], ["show", "http://news.example/a"], ["export", "--format", "jsonl"]):
        line = fails(*command, cwd=tmp_path)
        assert line == f"error: no archive at {Path('data/newsarchive.db')}; crawl first or pass --db"
        line = fails(*command, "--db", "sqlite:////nonexistent/dir/x.db", cwd=tmp_path)
        assert line == "error: no archive at /nonexistent/dir/x.db; crawl first or pass --db"
    assert list(tmp_path.iterdir()) == [] and not Path("/nonexistent").exists()


def test_every_mistake_is_one_clear_line(two_crawls: TwoCrawls, tmp_path: Path) -> None:
    db = ["--db", two_crawls.db_url]
    here = two_crawls.elsewhere
    assert "nothing to export" in fails("export", *db, "--format", "warc", "--site", "nosuch", "-o",
                                        str(tmp_path / "x.warc.gz"), cwd=here)  # fmt: skip
    assert "needs an output file" in fails("export", *db, "--format", "wacz", cwd=here)
    assert "no WARC folder at /nonexistent" in fails("export", *db, "--format", "warc", "-o", str(tmp_path / "x"),
                                                     "--warc-dir", "/nonexistent", cwd=here)  # fmt: skip
    target = tmp_path / "link.jsonl"
    target.symlink_to(tmp_path / "elsewhere.jsonl")
    assert "is a symbolic link, not a regular file" in fails("export", *db, "-o", str(target), cwd=here)
    assert not (tmp_path / "elsewhere.jsonl").exists()
    assert "no archived article for http://nosuch.example/" in fails("show", "http://nosuch.example/", *db, cwd=here)
    assert "is not a WARC" in fails("import-warc", str(Path(__file__)), *db, cwd=here)
    line = fails("import-warc", str(tmp_path / "nothere.warc.gz"), *db, cwd=here)
    assert line == f"error: no such WARC, WACZ or folder: {tmp_path / 'nothere.warc.gz'}"


def test_a_warc_folder_gone_is_one_clear_line(two_crawls: TwoCrawls, tmp_path: Path) -> None:
    url = two_crawls.newsroom.cases["amp"].target_url(two_crawls.base)
    second = two_crawls.folders[1]
    second.rename(tmp_path / "moved")
    try:
        line = fails("show", url, "--raw", "--db", two_crawls.db_url, cwd=two_crawls.elsewhere)
        assert "is in none of the archive's WARC folders" in line and "pass --warc-dir" in line
        shown = subprocess.run(
            [sys.executable, "-m", "crawler.cli", "show", url, "--raw", "--db", two_crawls.db_url,
             "--warc-dir", str(tmp_path / "moved")],
            cwd=two_crawls.elsewhere, env={**os.environ, "PYTHONPATH": str(ROOT)}, capture_output=True, timeout=120,
        )  # fmt: skip
        assert shown.returncode == 0 and shown.stdout.startswith(b"HTTP/1.1 200"), shown.stderr
    finally:
        (tmp_path / "moved").rename(second)
