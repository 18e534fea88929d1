"""End to end: crawl the newsroom site for real, through the CLI and through `scrapy crawl`, then look at what
the archive holds (SQL rows, WARC files, exports)."""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
import threading
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from conftest import run_newsarchive
from sqlalchemy import select
from sqlalchemy.orm import Session

from archive.models import CaptureRow
from archive.store import ArchiveStore
from archive.text import normalize_text
from crawler.newsroom import SEED_TEXT, Newsroom, serve

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
FAST = ["-s", "AUTOTHROTTLE_ENABLED=false", "-s", "LOG_LEVEL=WARNING"]


newsarchive = run_newsarchive

pytestmark = pytest.mark.integration  # every test here crawls, or runs the command line in a process of its own


@pytest.fixture
def newsroom(newsroom_crawl):
    """The newsroom the session's shared crawl fetched (`newsroom.base_url`: where it was served)."""
    return newsroom_crawl.newsroom


@pytest.fixture
def crawled(newsroom_crawl):
    """The shared crawl of the newsroom (conftest.newsroom_crawl), read only: its folder, database URL and store."""
    return newsroom_crawl.workdir, newsroom_crawl.db_url, newsroom_crawl.store


@pytest.fixture(scope="module")
def live_newsroom():
    """A newsroom served for the tests that crawl it themselves (the shared crawl's server is stopped)."""
    site = Newsroom(articles=30, seed=7)
    with serve(site) as base_url:
        site.base_url = base_url
        yield site


def articles_by_url(store: ArchiveStore) -> dict:
    """Stored articles by canonical URL (the row of an article reached by several URLs is keyed by it)."""
    return {article.canonical_url: article for article in store.iter_articles()}


def test_every_article_page_is_one_row(newsroom, crawled):
    _, _, store = crawled
    stored = articles_by_url(store)
    expected = {newsroom.base_url + story.path for story in newsroom.stories}
    assert set(stored) == expected
    for article in stored.values():
        assert article.text and article.title, article.url
        assert article.published_at is not None and article.published_at.utcoffset() is not None
        assert article.warc is not None and article.warc.record_id.startswith("<urn:uuid:")


def test_seed_article_exports_to_the_seed_text(newsroom, crawled, tmp_path):
    workdir, db_url, _ = crawled
    out = tmp_path / "txt"
    newsarchive("export", "--db", db_url, "--format", "txt", "-o", str(out), cwd=workdir)
    texts = [path.read_text(encoding="utf-8") for path in sorted(out.glob("*.txt"))]
    assert len(texts) == len(newsroom.stories)
    assert SEED_TEXT.strip() in [text.strip() for text in texts]


def test_jsonl_export_holds_the_contract_fields(newsroom, crawled, tmp_path):
    workdir, db_url, _ = crawled
    out = tmp_path / "articles.jsonl"
    newsarchive("export", "--db", db_url, "--format", "jsonl", "-o", str(out), cwd=workdir)
    records = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert len(records) == len(newsroom.stories)
    fields = {"url", "canonical_url", "site", "title", "lead", "text", "captions", "authors", "section", "tags",
              "language", "published_at", "modified_at", "fetched_at", "content_hash", "duplicate_of", "warc"}
    for record in records:
        assert fields <= set(record)
        assert set(record["warc"]) >= {"file", "offset", "length", "record_id", "payload_digest"}
        assert record["fetched_at"].endswith("+00:00")
    seed = next(r for r in records if r["url"].endswith(newsroom.seed_path))
    assert seed["section"] == "Thời sự"
    assert seed["published_at"].startswith("2025-09-18T") and seed["published_at"].endswith("+07:00")
    assert all(c["credit"] == "Ảnh: Thành Duy" for c in seed["captions"])
    assert len(seed["captions"]) == SEED_TEXT.count("Ảnh: Thành Duy") > 0
    assert seed["captions"] == newsroom.expected_record(newsroom.seed_path, newsroom.base_url)["captions"]


def test_awkward_cases(newsroom, crawled, newsroom_crawl):
    _, _, store = crawled
    base = newsroom.base_url
    cases = newsroom.cases
    stored = articles_by_url(store)
    # the AMP copy, the redirects and the tracking link each lead to their article's one row
    for name in ("amp", "redirect_301", "redirect_302", "tracking", "flaky"):
        target = cases[name].target_url(base)
        assert sum(1 for a in stored.values() if a.canonical_url == target) == 1, name
    assert not any("utm_" in a.url for a in stored.values())
    # copies are stored and pointed at their original
    assert stored[cases["syndicated"].url(base)].duplicate_of == cases["syndicated"].target_url(base)
    near = stored[cases["near_duplicate"].url(base)]
    assert near.duplicate_of == cases["near_duplicate"].target_url(base)
    # decoded and normalised text, whatever the page's encoding or Unicode form
    for name in ("nfd", "windows_1258"):
        article = stored[cases[name].url(base)]
        assert article.text == normalize_text(article.text)
        expected = newsroom.expected_record(cases[name].path, base)
        assert article.title == expected["title"], name
    # robots.txt is obeyed: the draft under /admin/ is listed in a sitemap, yet never requested
    counts = newsroom_crawl.requests
    assert counts["/robots.txt"] >= 1 and counts[newsroom.seed_path] == 1
    assert cases["disallowed"].path in newsroom.handle("GET", "/sitemaps/misc.xml", {}, base).body.decode()
    assert not any(path.startswith("/admin/") for path in counts)


def test_failures_are_recorded_with_their_reason(newsroom, crawled):
    _, _, store = crawled
    base = newsroom.base_url
    with Session(store.engine) as session:
        outcomes = {row.url: (row.outcome, row.reason) for row in session.scalars(select(CaptureRow))}
    assert outcomes[newsroom.cases["not_found"].url(base)] == ("failed", "HTTP 404")
    for name in ("video", "contact"):
        outcome, reason = outcomes[newsroom.cases[name].url(base)]
        assert outcome == "not_article" and reason, name
    for name, kind in (("video", "video.other"), ("contact", "website")):
        _, reason = outcomes[newsroom.cases[name].url(base)]
        assert reason.startswith(f"a {kind} page (og:type) with only ") and reason.endswith(" characters of text")
    assert outcomes[newsroom.cases["disallowed"].url(base)] == ("failed", "IgnoreRequest: Forbidden by robots.txt")
    failed = {url for url, (outcome, _) in outcomes.items() if outcome == "failed"}
    assert failed == {newsroom.cases["not_found"].url(base), newsroom.cases["disallowed"].url(base)}


def test_warc_files_pass_warcio_check(crawled):
    workdir, _, store = crawled
    files = sorted((workdir / "warc").glob("*.warc.gz"))
    assert files and not list((workdir / "warc").glob("*.open"))
    assert {article.warc.file for article in store.iter_articles()} <= {path.name for path in files}
    result = subprocess.run([str(BIN / "warcio"), "check", *map(str, files)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_scrapy_crawl_and_list_from_the_project_root(live_newsroom, tmp_path):
    listed = subprocess.run([str(BIN / "scrapy"), "list"], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert listed.stdout.split() == ["news"], listed.stderr
    db = tmp_path / "x.db"
    result = subprocess.run(
        [str(BIN / "scrapy"), "crawl", "news", "-a", f"feed={live_newsroom.base_url}/rss/tin-moi.rss",
         "-a", "max_articles=5", "-s", "ALLOW_PRIVATE_ADDRESSES=true", "-s", f"DATABASE_URL=sqlite:///{db}",
         "-s", f"WARC_DIR={tmp_path / 'w'}", *FAST],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    store = ArchiveStore(f"sqlite:///{db}")
    assert len(list(store.iter_articles())) == 5, result.stderr[-3000:]
    assert list((tmp_path / "w").glob("*.warc.gz"))


def test_private_addresses_are_refused_by_default(live_newsroom, tmp_path):
    result = subprocess.run(
        [str(BIN / "newsarchive"), "crawl", "--sitemap", f"{live_newsroom.base_url}/sitemap.xml",
         "--db", f"sqlite:///{tmp_path / 'x.db'}", "--warc-dir", str(tmp_path / "w"), *FAST],
        cwd=tmp_path, capture_output=True, text=True, timeout=120,
    )
    assert "loopback, private or link-local" in result.stderr + result.stdout
    assert list(ArchiveStore(f"sqlite:///{tmp_path / 'x.db'}").iter_articles()) == []


def test_second_crawl_fetches_only_what_changed(tmp_path):
    newsroom = Newsroom(articles=20, seed=11)
    db_url = f"sqlite:///{tmp_path / 'archive.db'}"
    with serve(newsroom) as base_url:
        crawl = ["crawl", "--sitemap", f"{base_url}/sitemap.xml", "--db", db_url,
                 "--warc-dir", str(tmp_path / "warc"), "--allow-private", *FAST]
        newsarchive(*crawl, cwd=tmp_path)
        store = ArchiveStore(db_url)
        first = {a.canonical_url: a for a in store.iter_articles()}
        edited = newsroom.cases["edited"]
        newsroom.edit_article(newsroom.case_stories["edited"].id)
        newsroom.reset_requests()
        newsarchive(*crawl, cwd=tmp_path)
        fetched_articles = newsroom.request_counts("article")
        sitemap_answers = Counter(r.status for r in newsroom.request_log if r.kind == "sitemap")
    # only the edited article is requested again; discovery documents are always re-read, conditionally: the
    # unchanged ones answer 304, those listing the edited article 200
    assert set(fetched_articles) == {edited.path}
    assert sitemap_answers[304] > 0 and sitemap_answers[200] > 0
    second = {a.canonical_url: a for a in store.iter_articles()}
    assert set(second) == set(first)
    edited_url = edited.url(base_url)
    assert second[edited_url].text != first[edited_url].text
    versions = store.article_versions(edited_url)
    assert len(versions) == 1 and versions[0]["text"] == first[edited_url].text
    store.close()


def test_every_article_is_extracted_as_published(newsroom, crawled):
    """Each stored record holds exactly what the newsroom published: title, lead, body, captions with credits,
    author, section, tags, dates with their offset (both CMS layouts, NFD and windows-1258 pages included)."""
    _, _, store = crawled
    base = newsroom.base_url
    stored = articles_by_url(store)
    mismatches = []
    for story in newsroom.stories:
        expected = newsroom.expected_record(story.path, base)
        record = stored[base + story.path].to_record()
        for field, value in expected.items():
            if field == "modified_at" and value == expected["published_at"]:
                continue  # never modified: the page need not say so
            if record[field] != value:
                mismatches.append((story.path, field, record[field], value))
    assert mismatches == []


def test_show_prints_an_article_and_its_archived_response(newsroom, crawled):
    workdir, db_url, _ = crawled
    url = newsroom.base_url + newsroom.seed_path
    text = newsarchive("show", url, "--db", db_url, cwd=workdir).stdout
    assert text.strip() == SEED_TEXT.strip()
    raw = subprocess.run([str(BIN / "newsarchive"), "show", url, "--raw", "--db", db_url,
                          "--warc-dir", str(workdir / "warc")], capture_output=True, timeout=60)
    assert raw.returncode == 0, raw.stderr
    head, _, body = raw.stdout.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200 OK")
    served = newsroom.handle("GET", newsroom.seed_path, {"Accept-Encoding": "gzip"}, newsroom.base_url).body
    assert body == served  # the bytes as received, still gzip-encoded


def test_stats_summarise_the_archive(newsroom, crawled):
    workdir, db_url, _ = crawled
    out = newsarchive("stats", "--db", db_url, cwd=workdir)
    report = out.stdout + out.stderr
    for heading in ("articles per section", "duplicates by kind", "failures by reason", "Thời sự", "HTTP 404"):
        assert heading in report
    # the two-column rows of the tables: name │ count
    counts = {}
    for line in report.splitlines():
        cells = [cell.strip() for cell in line.strip("│ ").split("│")]
        if len(cells) == 2 and cells[1].isdigit():
            counts.setdefault(cells[0], int(cells[1]))
    assert counts["article"] == len(newsroom.stories)  # captures by outcome
    assert (counts["exact"], counts["near"]) == (1, 1)  # the syndicated copy and the near-duplicate
    assert (counts["HTTP 404"], counts["IgnoreRequest: Forbidden by robots.txt"]) == (1, 1)
    assert counts["Thời sự"] == sum(1 for story in newsroom.stories if story.category.name == "Thời sự")


def test_an_unreachable_database_is_one_clear_message(tmp_path):
    result = subprocess.run(
        [str(BIN / "newsarchive"), "crawl", "--sitemap", "http://127.0.0.1:9/sitemap.xml",
         "--db", "postgresql+psycopg://nobody@127.0.0.1:9/archive", "--warc-dir", str(tmp_path / "w")],
        cwd=tmp_path, capture_output=True, text=True, timeout=60,
    )
    assert result.returncode == 5  # ExitCode.DATABASE_UNREACHABLE
    assert "cannot reach database postgresql+psycopg://nobody@127.0.0.1:9/archive" in result.stderr
    assert "Traceback" not in result.stderr


def test_db_commands_move_the_schema(tmp_path):
    db_url = f"sqlite:///{tmp_path / 'archive.db'}"
    head = ArchiveStore(db_url).head_revision()  # an empty database gets the schema on first use
    assert newsarchive("db", "current", "--db", db_url, cwd=tmp_path).stdout.strip() == f"{head} (head: {head})"
    asked = subprocess.run([sys.executable, "-m", "crawler.cli", "db", "downgrade", "0001", "--db", db_url],
                           cwd=tmp_path, capture_output=True, text=True, stdin=subprocess.DEVNULL,
                           env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert asked.returncode == 2, asked.stderr  # it drops data: not without --yes when nobody can be asked
    assert asked.stderr.startswith("error: downgrading sqlite:///") and "0 articles" in asked.stderr
    assert newsarchive("db", "current", "--db", db_url, cwd=tmp_path).stdout.startswith(f"{head} ")
    newsarchive("db", "downgrade", "0001", "--db", db_url, "--yes", cwd=tmp_path)
    assert newsarchive("db", "current", "--db", db_url, cwd=tmp_path).stdout.startswith("0001 ")
    upgraded = newsarchive("db", "upgrade", "--db", db_url, cwd=tmp_path)
    assert f"database at revision {head}" in upgraded.stderr


def test_index_command_merges_the_cdxj_indexes(newsroom, crawled, tmp_path):
    workdir, _, store = crawled
    merged = tmp_path / "all.cdxj"
    newsarchive("index", "--warc-dir", str(workdir / "warc"), "-o", str(merged), cwd=workdir)
    lines = merged.read_text(encoding="utf-8").splitlines()
    assert lines == sorted(lines)
    fields = [json.loads(line.split(" ", 2)[2]) for line in lines]
    indexed = {(entry["filename"], int(entry["offset"])) for entry in fields}
    articles = list(store.iter_articles())
    assert len(articles) == len(newsroom.stories)
    for article in articles:  # every article's response record is in the merged index
        assert (article.warc.file, article.warc.offset) in indexed


class HostileSite:
    """Pages that break naive crawlers: a redirect loop, a gzip bomb, binary bytes as HTML, an empty page."""

    BOMB = gzip.compress(b"\0" * (64 * 1024 * 1024))  # 64 MiB of zeros in about 64 kB

    def __init__(self) -> None:
        site = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                base = f"http://127.0.0.1:{self.server.server_port}"
                if self.path == "/sitemap.xml":
                    locs = "".join(f"<url><loc>{base}{p}</loc></url>" for p in site.pages)
                    self.answer(200, f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{locs}</urlset>'
                                .encode(), "application/xml")
                elif self.path in ("/loop-a-10300001.html", "/loop-b-10300002.html"):
                    other = "/loop-b-10300002.html" if "loop-a" in self.path else "/loop-a-10300001.html"
                    self.send_response(302)
                    self.send_header("Location", other)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                elif self.path == "/bomb-10300003.html":
                    self.answer(200, site.BOMB, "text/html", encoding="gzip")
                elif self.path == "/binary-10300004.html":
                    self.answer(200, bytes(range(256)) * 64, "text/html; charset=utf-8")
                elif self.path == "/empty-10300005.html":
                    self.answer(200, b"", "text/html")
                else:
                    self.answer(404, b"not here", "text/plain")

            def answer(self, status: int, body: bytes, kind: str, encoding: str | None = None) -> None:
                self.send_response(status)
                self.send_header("Content-Type", kind)
                if encoding:
                    self.send_header("Content-Encoding", encoding)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self.pages = ["/loop-a-10300001.html", "/bomb-10300003.html", "/binary-10300004.html",
                      "/empty-10300005.html"]
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.base_url = f"http://127.0.0.1:{self.server.server_port}"


def test_hostile_pages_are_recorded_failures_and_the_crawl_goes_on(tmp_path):
    site = HostileSite()
    db_url = f"sqlite:///{tmp_path / 'archive.db'}"
    try:
        newsarchive("crawl", "--sitemap", f"{site.base_url}/sitemap.xml", "--db", db_url,
                    "--warc-dir", str(tmp_path / "warc"), "--allow-private", "-s", "REDIRECT_MAX_TIMES=5",
                    "-s", "DOWNLOAD_MAXSIZE=8388608", *FAST, cwd=tmp_path)
    finally:
        site.server.shutdown()
    store = ArchiveStore(db_url)
    assert list(store.iter_articles()) == []
    with Session(store.engine) as session:
        outcomes = {row.url.removeprefix(site.base_url): (row.outcome, row.reason)
                    for row in session.scalars(select(CaptureRow))}
    store.close()
    for page in ("/loop-a-10300001.html", "/loop-b-10300002.html"):
        outcome, reason = outcomes[page]
        assert outcome == "failed" and reason.startswith("redirect loop:"), page
    for page in ("/bomb-10300003.html", "/binary-10300004.html", "/empty-10300005.html"):
        outcome, reason = outcomes[page]
        assert outcome in ("failed", "not_article") and reason, page
    # what was fetched stays archived, the bomb as the compressed bytes it arrived as
    files = sorted((tmp_path / "warc").glob("*.warc.gz"))
    check = subprocess.run([str(BIN / "warcio"), "check", *map(str, files)], capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr
