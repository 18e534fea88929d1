"""A real browser for the tests that look at a replayed page as a reader does: Debian's headless Chromium
(`/usr/bin/chromium`, installed by `.ci/run` where missing) driven by playwright, never a browser playwright
downloads. It starts with a new, empty profile and cannot leave loopback: every host name but localhost resolves
to nothing, and `RenderedPage.requests` lists every request the page made, so a test can check where they went.
Used by tests/test_replay_browser.py and benchmarks/replay.py.
"""

from __future__ import annotations

import os
import socket
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    # nothing leaves 127.0.0.1: every other host, names and addresses alike (the newsroom's image host too),
    # resolves to nothing; the tests also check every request the page made
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE 127.0.0.1",
]
# What a lazy-loading page needs before its images are all there: each image scrolled into view and loaded.
LOAD_EVERY_IMAGE = """async () => {
    for (const image of document.images) {
        image.loading = "eager";
        image.scrollIntoView();
        if (!image.complete) {
            await new Promise(done => { image.onload = image.onerror = done; setTimeout(done, 10000); });
        }
    }
    window.scrollTo(0, 0);
}"""
IMAGES = "() => Array.from(document.images, i => ({src: i.currentSrc || i.src, width: i.naturalWidth}))"


class BrowserUnavailable(RuntimeError):
    """Chromium or playwright is missing; the message says how to get it."""


@dataclass(frozen=True)
class RenderedPage:
    text: str  # what a reader sees (innerText of the body)
    images: list[dict[str, Any]]  # every <img>: src (the address it shows) and width (its natural width)
    requests: list[str]  # every URL the page requested


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def chromium(width: int = 1000, height: int = 1400) -> Iterator[Any]:
    """A browser context of headless Chromium with a new, empty profile (a playwright `BrowserContext`)."""
    if not CHROMIUM.exists():
        raise BrowserUnavailable(f"{CHROMIUM} is missing: apt-get install chromium (.ci/run does)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as error:
        raise BrowserUnavailable(f"playwright is missing: pip install -e '.[dev]' ({error})") from error
    os.environ.setdefault("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1")
    with tempfile.TemporaryDirectory(prefix="newsarchive-chromium-") as profile, sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            profile, executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_FLAGS,
            viewport={"width": width, "height": height},
        )
        try:
            yield context
        finally:
            context.close()


def render(context: Any, url: str, screenshot: Path | None = None) -> RenderedPage:
    """Load `url`, let every image load, and tell what the page shows (optionally saving a screenshot).

    pywb shows a capture in a frame under its banner (the replayed page is the frame whose address has `mp_/`):
    what is told is that frame's content, as a reader sees it."""
    page = context.new_page()
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    try:
        page.goto(url, wait_until="load", timeout=60_000)
        replayed = next((frame for frame in page.frames if "mp_/" in frame.url), page.main_frame)
        replayed.wait_for_load_state("load")
        replayed.evaluate(LOAD_EVERY_IMAGE)
        if screenshot is not None:
            page.wait_for_load_state("networkidle")  # pywb's banner settles once the frame has told it what it shows
            page.screenshot(path=str(screenshot))
        return RenderedPage(replayed.inner_text("body"), replayed.evaluate(IMAGES), requests)
    finally:
        page.close()
