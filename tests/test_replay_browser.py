"""Seen in a real browser: the newsroom crawl (photos and stylesheet on its image host, 127.0.0.2) replayed by pywb,
through `newsarchive replay` and through a collection made the standard way (`wb-manager init` + `wb-manager add`,
then `wayback`), and loaded in headless Chromium (tests/browser.py). The newsroom is stopped by then: whatever the
page shows comes from the archive. The standard collection also replays every article page and every photo its
record names byte for byte as the newsroom served them."""

from __future__ import annotations

import gzip
import os
import signal
import subprocess
import sys
import time
import unicodedata
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import ExitStack
from urllib.parse import urlsplit

import pytest
from browser import BrowserUnavailable, chromium, free_port, render
from conftest import ROOT, NewsroomCrawl

from archive.records import Article
from archive.replay import PywbReplay, PywbUnavailable, standard_collection
from crawler.newsroom.site import PHOTO_WIDTH
from crawler.newsroom.templates import media_base

pytestmark = pytest.mark.integration


def unavailable(reason: str) -> None:
    """Skip for want of Chromium, playwright or pywb, except under CI, where this test must run."""
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"the replay-in-a-browser test must run in CI: {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="module")
def browser() -> Iterator:
    with ExitStack() as stack:
        try:
            context = stack.enter_context(chromium())
        except BrowserUnavailable as error:
            unavailable(str(error))
        yield context


def wait_for(url: str, process: subprocess.Popen, timeout: float = 300) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            unavailable(f"`newsarchive replay` exited: {process.stderr.read()[-2000:]}")
        try:
            urllib.request.urlopen(url, timeout=2).close()
            return
        except (urllib.error.URLError, OSError):
            time.sleep(0.3)
    raise AssertionError(f"nothing answered on {url} within {timeout:g} s")


@pytest.fixture(scope="module")
def project_replay(newsroom_crawl: NewsroomCrawl) -> Iterator[PywbReplay]:
    """`newsarchive replay` over the crawl's WARC folder, run as a user runs it."""
    port = free_port()
    command = ["replay", "--warc-dir", str(newsroom_crawl.warc_dir), "--port", str(port)]
    process = subprocess.Popen(
        [sys.executable, "-m", "crawler.cli", *command],
        cwd=newsroom_crawl.workdir, env={**os.environ, "PYTHONPATH": str(ROOT)}, stderr=subprocess.PIPE, text=True,
        # as a shell starts a background job (`newsarchive replay &`): SIGINT ignored, which the command overrides
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN),
    )
    try:
        addresses = PywbReplay(newsroom_crawl.warc_dir, port=port)  # its addresses (the command serves it)
        wait_for(addresses.base_url + "/", process)
        yield addresses
    finally:
        process.send_signal(signal.SIGINT)  # the command stops pywb on Ctrl-C
        process.wait(timeout=30)


@pytest.fixture(scope="module")
def standard_replay(newsroom_crawl: NewsroomCrawl, tmp_path_factory: pytest.TempPathFactory) -> Iterator[PywbReplay]:
    """`wb-manager init c`, `wb-manager add c *.warc.gz`, `wayback`: the archivist's way."""
    files = sorted(newsroom_crawl.warc_dir.glob("*.warc.gz"))
    try:
        root = standard_collection(files, tmp_path_factory.mktemp("pywb"), "c")
        replay = PywbReplay(root=root, collection="c").start()
    except PywbUnavailable as error:
        unavailable(str(error))
    yield replay
    replay.stop()


def sampled_articles(newsroom_crawl: NewsroomCrawl) -> list[Article]:
    """The seed article (nine photos in every figure markup), a VnExpress-layout one, two more with photos."""
    articles = sorted(newsroom_crawl.store.iter_articles(), key=lambda a: a.url)
    seed = next(a for a in articles if a.url.endswith(newsroom_crawl.newsroom.seed_path))
    vnexpress = next(a for a in articles if "/vnx/" in a.url and a.captions)
    others = [a for a in articles if a not in (seed, vnexpress) and len(a.captions) >= 2][:2]
    return [seed, vnexpress, *others]


def words(text: str) -> str:
    """Text compared as read: NFC (the newsroom has a page in decomposed form), whitespace collapsed."""
    return " ".join(unicodedata.normalize("NFC", text).split())


@pytest.mark.parametrize("replay_name", ["project_replay", "standard_replay"])
def test_a_replayed_article_shows_its_text_and_every_captioned_photo(
    replay_name: str, request: pytest.FixtureRequest, newsroom_crawl: NewsroomCrawl, browser
) -> None:
    replay: PywbReplay = request.getfixturevalue(replay_name)
    newsroom, base_url = newsroom_crawl.newsroom, newsroom_crawl.base_url
    for article in sampled_articles(newsroom_crawl):
        page = render(browser, replay.url_for(article.url, mode=""))  # pywb's default view: its frame
        shown = words(page.text)
        story = newsroom.story_at(article.url.removeprefix(base_url))
        for text in (story.title, story.lead, *(block.text for block in story.blocks)):
            assert words(text) in shown, (article.url, text)
        for caption in article.captions:
            showing = [image for image in page.images if image["src"].endswith("/" + caption.image_url)]
            assert showing, (article.url, caption.image_url, page.images)
            assert all(image["width"] == PHOTO_WIDTH for image in showing), (caption.image_url, showing)
        # every request went to the replay server: nothing came from the (stopped) newsroom or elsewhere
        assert all(url.startswith((replay.base_url + "/", "data:")) for url in page.requests), page.requests


def identity_body(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=30) as answer:
        body = answer.read()
        return gzip.decompress(body) if answer.headers.get("Content-Encoding") == "gzip" else body


def test_the_standard_collection_replays_pages_and_photos_byte_exact(
    newsroom_crawl: NewsroomCrawl, standard_replay: PywbReplay
) -> None:
    newsroom, base_url = newsroom_crawl.newsroom, newsroom_crawl.base_url
    media = media_base(base_url)
    articles = list(newsroom_crawl.store.iter_articles())
    assert len(articles) == len(newsroom.stories)
    photos = 0
    for article in articles:
        latest = f"{standard_replay.base_url}/c/id_/{article.url}"  # what pywb serves by default: the latest
        served = newsroom.handle("GET", article.url.removeprefix(base_url), {}, base_url).body
        assert identity_body(latest) == served, article.url
        for caption in article.captions:
            assert caption.image_url.startswith(media + "/"), caption.image_url
            photo = newsroom.handle("GET", urlsplit(caption.image_url).path, {}, media).body
            assert identity_body(f"{standard_replay.base_url}/c/id_/{caption.image_url}") == photo
            photos += 1
    assert photos >= len(articles)
