"""A host that refused a connection or did not resolve: not retried, and not asked again in the run
(`crawler.unreachable`), its robots.txt's failure one line, no traceback (`crawler.robots`); a crawl whose photos
sit on a host nothing listens on makes one connection attempt."""

from __future__ import annotations

import logging
import re
import socket
from pathlib import Path

import pytest
from conftest import CRAWL_SETTINGS, run_newsarchive
from scrapy.downloadermiddlewares import robotstxt
from scrapy.exceptions import (
    CannotResolveHostError,
    DownloadConnectionRefusedError,
    DownloadTimeoutError,
    NotConfigured,
)
from scrapy.http import Request
from scrapy.utils.test import get_crawler
from test_requisites import SeedWithAwkwardPhotos, captures_by_url

from archive.outcomes import Outcome
from archive.store import ArchiveStore
from crawler import meta
from crawler.addon import DOWNLOADER_MIDDLEWARES, RETRY_ORDER
from crawler.newsroom import serve
from crawler.newsroom.templates import media_base
from crawler.robots import RobotsTxtMiddleware
from crawler.unreachable import HostUnreachable, UnreachableHostMiddleware


def test_a_refused_connection_is_not_retried_and_its_host_is_not_asked_again():
    middleware = UnreachableHostMiddleware()
    failed = Request("http://photos.example:8080/a.jpg")
    assert middleware.process_exception(failed, DownloadConnectionRefusedError("Connection refused")) is None
    assert failed.meta["dont_retry"]
    with pytest.raises(
        HostUnreachable,
        match=r"not sent: photos\.example:8080 DownloadConnectionRefusedError: "
        r"Connection refused \(earlier in this run\)",
    ):
        middleware.process_request(Request("http://PHOTOS.example:8080/b.jpg?w=800"))
    # another port is another server; another host is not concerned
    assert middleware.process_request(Request("http://photos.example/b.jpg")) is None
    assert middleware.process_request(Request("https://news.example/")) is None


def test_a_failed_lookup_is_remembered_a_timeout_is_retried():
    middleware = UnreachableHostMiddleware()
    middleware.process_exception(Request("https://gone.example/x.css"), CannotResolveHostError("no such host"))
    with pytest.raises(HostUnreachable, match=r"gone\.example:443 CannotResolveHostError: no such host"):
        middleware.process_request(Request("https://gone.example/y.css"))
    slow = Request("https://slow.example/a.jpg")
    middleware.process_exception(slow, DownloadTimeoutError("took longer than 60 s"))
    assert "dont_retry" not in slow.meta
    assert middleware.process_request(Request("https://slow.example/b.jpg")) is None


def test_installed_between_the_retry_and_the_refused_address_middlewares_and_switched_off_by_its_setting():
    order = DOWNLOADER_MIDDLEWARES["crawler.unreachable.UnreachableHostMiddleware"]
    assert RETRY_ORDER < order < DOWNLOADER_MIDDLEWARES["crawler.safety.RefusedAddressMiddleware"]
    with pytest.raises(NotConfigured):
        UnreachableHostMiddleware.from_crawler(get_crawler(settings_dict={"RETRY_UNREACHABLE_HOSTS": True}))


class SeedWithPhotosOnADeadHost(SeedWithAwkwardPhotos):
    """The seed article with every photo and stylesheet of the image host moved to a port nothing listens on."""

    def __init__(self, dead_base: str) -> None:
        super().__init__()
        self.dead_base = dead_base

    def handle(self, method, target, headers, base_url):
        response = super().handle(method, target, headers, base_url)
        if target.split("?")[0] == self.newsroom.seed_path:
            body = response.body.replace(media_base(base_url).encode(), self.dead_base.encode())
            headers = [(k, str(len(body)) if k == "Content-Length" else v) for k, v in response.headers]
            return type(response)(response.status, headers, body)
        return response


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.mark.integration
def test_photos_on_a_dead_host_cost_one_connection_attempt_and_each_is_recorded(tmp_path: Path) -> None:
    dead_base = f"http://127.0.0.1:{free_port()}"
    site = SeedWithPhotosOnADeadHost(dead_base)
    db_url = f"sqlite:///{tmp_path / 'archive.db'}"
    log = tmp_path / "crawl.log"
    with serve(site) as base_url:
        run_newsarchive(
            "crawl",
            "--sitemap",
            f"{base_url}/sitemap.xml",
            "--db",
            db_url,
            "--warc-dir",
            str(tmp_path / "warc"),
            "--allow-private",
            *CRAWL_SETTINGS,
            "-s",
            "LOG_LEVEL=INFO",
            "-s",
            f"LOG_FILE={log}",
            cwd=tmp_path,
        )
    store = ArchiveStore(db_url)
    [article] = list(store.iter_articles())
    store.close()
    photos = [caption.image_url for caption in article.captions]
    assert len(photos) == 9 and all(photo.startswith(dead_base) for photo in photos)
    article_url = base_url + site.newsroom.seed_path
    captures = captures_by_url(db_url)
    not_sent = 0
    for photo in dict.fromkeys(photos):
        [capture] = captures[photo]
        assert capture.outcome == Outcome.FAILED and capture.reason.startswith(f"requisite of {article_url}: ")
        not_sent += "HostUnreachable: not sent: 127.0.0.1:" in capture.reason
    assert not_sent == len(set(photos))  # the host's robots.txt was refused first: no photo was sent
    text = log.read_text()
    # each request not sent is logged at DEBUG only; one line at the end counts them (stylesheets included)
    assert f"could not fetch {dead_base}" not in text
    all_not_sent = sum(
        "HostUnreachable: not sent:" in capture.reason for found in captures.values() for capture in found
    )
    assert all_not_sent >= not_sent
    assert f"WARNING: {all_not_sent} requests not sent to unreachable hosts (1: refused a connection" in text
    assert f"'newsarchive/unreachable/not_sent': {all_not_sent}" in text
    assert "'newsarchive/unreachable/hosts': 1" in text
    # one attempt in all (the robots.txt), none retried
    assert re.findall(
        r"'downloader/exception_type_count/scrapy\.exceptions\.DownloadConnectionRefusedError': (\d+)", text
    ) == ["1"]
    assert "'retry/count'" not in text
    # the robots.txt refused to a photo is one INFO line (the photos' host is down, no page is lost), no traceback
    assert "Traceback" not in text
    assert f"[scrapy.downloadermiddlewares.robotstxt] INFO: Error downloading <GET {dead_base}/" in text


def test_a_robots_txt_lost_to_the_network_is_one_line_info_for_a_photos_host_other_errors_keep_their_traceback(caplog):
    RobotsTxtMiddleware(get_crawler(settings_dict={"ROBOTSTXT_OBEY": True}))
    logger = logging.getLogger(robotstxt.__name__)
    page = Request("https://news.example/a.html")
    photo = Request("https://img.example/a.jpg", meta={meta.REQUISITE_OF: page.url})
    for request, error in ((page, DownloadConnectionRefusedError("Connection refused")),
                           (photo, DownloadConnectionRefusedError("Connection refused")),
                           (page, ValueError("a parser's bug"))):
        try:
            raise error
        except Exception:
            # as Scrapy's middleware logs it: the request that asked for the robots.txt is an argument
            logger.error("Error downloading %(request)s: %(f_exception)s", {"request": request, "f_exception": error},
                         exc_info=True)
    refused, photo_host_refused, bug = caplog.records[-3:]
    assert (refused.levelname, refused.exc_info) == ("WARNING", None)
    assert (photo_host_refused.levelname, photo_host_refused.exc_info) == ("INFO", None)  # a photo's host: no page lost
    assert bug.levelname == "ERROR" and bug.exc_info[0] is ValueError
