"""Run records a person can read: `newsarchive runs` and `stats` (tables on stdout, `--json`), the crawl summary
counting what `stats` counts, and `--max-articles` counting articles stored."""

from __future__ import annotations

import json
import re

import pytest
from conftest import run_newsarchive

from crawler.newsroom import Newsroom, serve

FAST = ["-s", "AUTOTHROTTLE_ENABLED=false", "-s", "LOG_LEVEL=WARNING"]

pytestmark = pytest.mark.integration  # crawls the newsroom through the command line


def summary_count(stdout: str, name: str) -> int:
    match = re.search(rf"│ {name}\s+│\s+(\d+) │", stdout)
    assert match, stdout
    return int(match.group(1))


def test_runs_stats_and_the_summary_count_the_same(tmp_path):
    db_url = f"sqlite:///{tmp_path / 'a.db'}"
    newsroom = Newsroom(articles=24, seed=5)
    with serve(newsroom) as base_url:
        crawl = ["crawl", "--sitemap", f"{base_url}/sitemap.xml", "--db", db_url, "--allow-private", *FAST]
        limited = run_newsarchive(*crawl, "--max-articles", "7", cwd=tmp_path)
        # articles stored, not requests made; a slot that went to a second URL of a story stored in the same run
        # (its AMP copy: a duplicate) adds no row
        new = summary_count(limited.stdout, "articles new")
        assert new in (7, 7 - summary_count(limited.stdout, "duplicates"))
        stats = json.loads(run_newsarchive("stats", "--db", db_url, "--json", cwd=tmp_path).stdout)
        assert stats["articles"] == new
        rest = run_newsarchive(*crawl, cwd=tmp_path)
    stats = json.loads(run_newsarchive("stats", "--db", db_url, "--json", cwd=tmp_path).stdout)
    runs = json.loads(run_newsarchive("runs", "--db", db_url, "--json", cwd=tmp_path).stdout)
    assert [run["status"] for run in runs] == ["finished", "finished"] and [r["exit_code"] for r in runs] == [0, 0]
    assert sum(run["articles_new"] for run in runs) == stats["articles"]
    assert runs[0]["articles_new"] == summary_count(rest.stdout, "articles new")
    assert runs[0]["pages_fetched"] == summary_count(rest.stdout, "pages fetched") > 0
    assert sum(run["failures_by_reason"].get("HTTP 404", 0) for run in runs) == 1  # the newsroom's broken link
    assert runs[1]["arguments"] == {"sitemap": f"{base_url}/sitemap.xml", "max_articles": "7"}
    assert runs[0]["bytes_archived"] > 0 and runs[0]["duration_s"] >= 0
    table = run_newsarchive("runs", "--db", db_url, cwd=tmp_path)
    assert re.search(r"│\s+2 │ \d{4}-\d\d-\d\d \d\d:\d\d │ 127\.0\.0\.1 │ finished\s+│\s+0 │", table.stdout)
    assert "failures: " in table.stdout and "HTTP 404" in table.stdout
    assert table.stderr == ""  # data on stdout only
    only = json.loads(run_newsarchive("runs", "--db", db_url, "--run", "1", "--json", cwd=tmp_path).stdout)
    assert [run["id"] for run in only] == [1]
    listed = run_newsarchive("stats", "--db", db_url, cwd=tmp_path)
    assert "│ articles  " in listed.stdout and listed.stderr == ""


def test_progress_lines_without_scrapy_boilerplate_unless_verbose(tmp_path):
    newsroom = Newsroom(articles=12, seed=6)
    with serve(newsroom) as base_url:
        crawl = ["crawl", "--sitemap", f"{base_url}/sitemap.xml", "--allow-private", "-s", "AUTOTHROTTLE_ENABLED=false",
                 "-s", "PROGRESS_INTERVAL=0.2", "-s", "DOWNLOAD_DELAY=0.1"]
        quiet = run_newsarchive(*crawl, "--db", f"sqlite:///{tmp_path / 'q.db'}", cwd=tmp_path)
        verbose = run_newsarchive(*crawl, "--db", f"sqlite:///{tmp_path / 'v.db'}", "-v", cwd=tmp_path)
    lines = quiet.stderr.splitlines()
    progress = [line for line in lines if "[crawler.progress] INFO: progress: " in line]
    assert len(progress) >= 2, quiet.stderr
    assert re.search(r"progress: \d+ pages \(\d+\.\d/s\), \d+ articles \(\d+ new\), \d+ duplicates, \d+ failed, "
                     r"\d+ queued$", progress[0])
    assert re.search(r"done \(finished\): \d+ pages .* 0 queued$", lines[-1])
    assert not any("[scrapy." in line or "[alembic." in line for line in lines), quiet.stderr
    assert len(lines) < len(progress) + 10  # progress, a few warnings, the last line: no boilerplate
    for boilerplate in ("Scrapy 2.", "Overridden settings", "Dumping Scrapy stats", "Enabled extensions"):
        assert boilerplate in verbose.stderr
    assert "Telnet console listening" not in verbose.stderr and "TelnetConsole" not in verbose.stderr
