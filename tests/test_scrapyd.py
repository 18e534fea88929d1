"""scrapyd as shipped: `scrapyd-deploy` of the project to a real scrapyd on 127.0.0.1, then `schedule.json` runs the
`news` spider against the local newsroom, and the articles land in the archive."""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from archive.runrecords import list_runs
from archive.store import ArchiveStore
from crawler.newsroom import Newsroom, serve

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
SHIPPED = ["crawler", "spiders", "pipelines", "archive", "scrapy.cfg", "pyproject.toml", "README.md"]

pytestmark = pytest.mark.integration  # starts scrapyd, builds an egg, crawls


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def call(base: str, endpoint: str, data: list[tuple[str, str]] | None = None) -> dict:
    body = urllib.parse.urlencode(data).encode() if data is not None else None
    with urllib.request.urlopen(f"{base}/{endpoint}", data=body, timeout=30) as response:
        return json.load(response)


@pytest.fixture
def scrapyd(tmp_path):
    """A scrapyd of its own on a free port of 127.0.0.1; yields its URL."""
    port = free_port()
    folder = tmp_path / "scrapyd"
    folder.mkdir()
    (folder / "scrapyd.conf").write_text(
        f"[scrapyd]\nbind_address = 127.0.0.1\nhttp_port = {port}\neggs_dir = eggs\nlogs_dir = logs\n"
        "items_dir =\ndbs_dir = dbs\nmax_proc = 1\n", encoding="utf-8")
    server = subprocess.Popen([str(BIN / "scrapyd")], cwd=folder, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            call(base, "daemonstatus.json")
            break
        except OSError:
            assert server.poll() is None, server.stderr.read().decode() if server.stderr else ""
            assert time.monotonic() < deadline, "scrapyd did not start"
            time.sleep(0.2)
    yield base
    server.terminate()
    server.wait(timeout=30)


def test_scrapyd_deploy_and_schedule_store_articles(scrapyd, tmp_path):
    project = tmp_path / "project"  # the shipped files; scrapyd-deploy leaves setup.py and build/ where it runs
    project.mkdir()
    for name in SHIPPED:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, project / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy(source, project / name)
    with (project / "scrapy.cfg").open("a", encoding="utf-8") as config:  # a target at this test's port
        config.write(f"\n[deploy:test]\nurl = {scrapyd}/\nproject = newsarchive\n")
    deployed = subprocess.run([str(BIN / "scrapyd-deploy"), "test"], cwd=project, capture_output=True, text=True,
                              timeout=300)
    assert '"status": "ok"' in deployed.stdout + deployed.stderr, deployed.stdout + deployed.stderr
    assert call(scrapyd, "listspiders.json?project=newsarchive")["spiders"] == ["news"]

    db_url = f"sqlite:///{tmp_path / 'archive.db'}"
    newsroom = Newsroom(articles=15, seed=9)
    with serve(newsroom) as base_url:
        settings = {"DATABASE_URL": db_url, "WARC_DIR": str(tmp_path / "warc"), "ALLOW_PRIVATE_ADDRESSES": "true",
                    "AUTOTHROTTLE_ENABLED": "false", "SQL_SPOOL_DIR": str(tmp_path / "spool")}
        job = call(scrapyd, "schedule.json", [("project", "newsarchive"), ("spider", "news"),
                                              ("sitemap", f"{base_url}/sitemap.xml"),
                                              *(("setting", f"{k}={v}") for k, v in settings.items())])
        assert job["status"] == "ok", job
        deadline = time.monotonic() + 240
        while not any(j["id"] == job["jobid"] for j in call(scrapyd, "listjobs.json?project=newsarchive")["finished"]):
            assert time.monotonic() < deadline, "the scheduled crawl did not finish"
            time.sleep(0.5)
    store = ArchiveStore(db_url)
    stored = {article.canonical_url for article in store.iter_articles()}
    assert {base_url + story.path for story in newsroom.stories} <= stored
    assert [run["status"] for run in list_runs(store)] == ["finished"]
    store.close()
