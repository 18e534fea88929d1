"""The crawl report: a self-contained HTML page with six charts, rendered in headless Chromium."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

from archive.report import CHART_IDS

ROOT = Path(__file__).resolve().parent.parent
WIDTH, HEIGHT = 1280, 2600
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
                  "--hide-scrollbars", f"--window-size={WIDTH},{HEIGHT}"]
# Bar colours of four charts (archive/report.py): fill rates, response codes, bytes per host, failures.
CHART_COLOURS = {"fill-rates": (0x2A, 0x9D, 0x8F), "response-codes": (0x45, 0x7B, 0x9D),
                 "bytes-per-host": (0x6A, 0x4C, 0x93), "failures-by-reason": (0xD6, 0x28, 0x28)}

pytestmark = pytest.mark.integration  # the command line in a process of its own, Chromium


def newsarchive(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "crawler.cli", *args], cwd=cwd, capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": str(ROOT)}, timeout=300)


def chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("chromium is not installed (CI=true: .ci/run installs it)")
        pytest.skip("chromium is not installed: apt-get install chromium")
    return found


def test_the_report_is_one_page_with_six_charts_that_chromium_renders(newsroom_crawl, tmp_path):
    page = tmp_path / "report.html"
    made = newsarchive("report", "--db", newsroom_crawl.db_url, "--run", "1", "-o", str(page), cwd=tmp_path)
    assert made.returncode == 0, made.stderr
    text = page.read_text(encoding="utf-8")
    for chart in CHART_IDS:
        assert re.search(rf'<figure id="{chart}"><figcaption>[^<]+</figcaption><svg', text), chart
    assert not re.search(r"<script|<link|src=|url\(http", text)  # self-contained: nothing fetched to show it
    stored = len(list(newsroom_crawl.store.iter_articles()))
    assert "newsarchive report: run 1 (127.0.0.1)" in text and f"<p>{stored} articles." in text

    screenshot = tmp_path / "report.png"
    subprocess.run([chromium(), *CHROMIUM_FLAGS, f"--screenshot={screenshot}", page.as_uri()], cwd=tmp_path,
                   capture_output=True, timeout=120, check=True)
    image = Image.open(screenshot).convert("RGB")
    assert image.size == (WIDTH, HEIGHT)
    colours = dict((colour, n) for n, colour in image.getcolors(maxcolors=WIDTH * HEIGHT))
    for chart, colour in CHART_COLOURS.items():
        assert colours.get(colour, 0) > 500, f"the {chart} chart's bars are not on the screenshot"
    assert sum(n for colour, n in colours.items() if colour != (255, 255, 255)) > WIDTH * HEIGHT // 20


def test_a_report_of_a_run_that_does_not_exist_is_one_line(newsroom_crawl, tmp_path):
    result = newsarchive("report", "--db", newsroom_crawl.db_url, "--run", "999", "-o", str(tmp_path / "r.html"),
                         cwd=tmp_path)
    assert result.returncode == 2 and result.stderr.startswith("error: no crawl run 999 in this archive")
    assert not (tmp_path / "r.html").exists()
