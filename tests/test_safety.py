"""The crawler refuses to be steered into the operator's network."""

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from scrapy.exceptions import CannotResolveHostError, IgnoreRequest, NotConfigured
from scrapy.http import Request
from scrapy.utils.test import get_crawler
from sqlalchemy import select
from twisted.internet.error import DNSLookupError

from archive.models import CaptureRow, CrawlRun
from archive.store import ArchiveStore
from crawler.addon import DOWNLOADER_MIDDLEWARES, RETRY_ORDER
from crawler.safety import (
    PublicAddressMiddleware,
    PublicAddressResolver,
    RefusedAddressMiddleware,
    is_public_ip,
    refusal_reason,
)
from crawler.settings import ADDONS


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "10.1.2.3",
        "172.16.0.1",
        "192.168.1.1",
        "169.254.169.254",
        "::1",
        "fe80::1",
        "fc00::1",
        "0.0.0.0",
        "::ffff:127.0.0.1",
        "100.64.0.1",
        "224.0.0.1",
    ],
)
def test_non_public_addresses(address):
    assert not is_public_ip(address)


@pytest.mark.parametrize("address", ["8.8.8.8", "1.1.1.1", "2606:4700:4700::1111", "::ffff:8.8.8.8"])
def test_public_addresses(address):
    assert is_public_ip(address)


@pytest.mark.parametrize(
    ("url", "fragment"),
    [
        ("http://127.0.0.1:8000/a.html", "loopback, private or link-local"),
        ("http://[::1]/", "loopback, private or link-local"),
        ("http://169.254.169.254/latest/meta-data/", "loopback, private or link-local"),
        ("http://localhost/", "loopback name"),
        ("http://api.localhost/", "loopback name"),
        ("file:///etc/passwd", "scheme 'file'"),
        ("ftp://example.org/x", "scheme 'ftp'"),
        ("http:///nohost", "no host"),
    ],
)
def test_refused_urls(url, fragment):
    assert fragment in refusal_reason(url)


def test_names_are_left_to_the_resolver():
    assert refusal_reason("https://baonghean.vn/x-123.html") is None


def test_allow_private_still_refuses_other_schemes():
    assert refusal_reason("http://127.0.0.1/", allow_private=True) is None
    assert "scheme" in refusal_reason("file:///etc/passwd", allow_private=True)


def test_middleware_raises_with_reason():
    middleware = PublicAddressMiddleware(allow_private=False)
    with pytest.raises(IgnoreRequest, match="ALLOW_PRIVATE_ADDRESSES"):
        middleware.process_request(Request("http://192.168.0.10/admin"))
    assert middleware.process_request(Request("https://vnexpress.net/a-4955555.html")) is None
    assert PublicAddressMiddleware(allow_private=True).process_request(Request("http://127.0.0.1:9/")) is None


def test_resolver_refuses_names_resolving_to_private_addresses():
    resolver = PublicAddressResolver(None, 0, 1.0, allow_private=False)
    with pytest.raises(DNSLookupError, match=r"resolves to 10\.0\.0\.5"):
        resolver._refuse_private("10.0.0.5", "intranet.example")
    assert resolver._refuse_private("93.184.216.34", "example.org") == "93.184.216.34"


def test_refused_host_is_reported_as_refused_not_retried():
    """The resolver's refusal reaches the request's failure (Twisted's lookup error loses its message), as
    IgnoreRequest, which the retry middleware below it never retries."""
    crawler = get_crawler(settings_dict={"ADDONS": ADDONS})
    resolver = PublicAddressResolver.from_crawler(crawler, None)
    assert isinstance(RefusedAddressMiddleware.from_crawler(crawler), RefusedAddressMiddleware)
    middleware = RefusedAddressMiddleware(resolver)
    with pytest.raises(DNSLookupError):
        resolver._refuse_private("127.0.0.7", "Intranet.Example.")
    with pytest.raises(IgnoreRequest, match=r"refused Intranet\.Example\.: it resolves to 127\.0\.0\.7"):
        middleware.process_exception(Request("http://intranet.example/a"), CannotResolveHostError("lookup failed"))
    # an ordinary lookup failure of another host goes on to be retried
    assert middleware.process_exception(Request("http://other.example/"), DNSLookupError("no answer")) is None
    assert DOWNLOADER_MIDDLEWARES["crawler.safety.RefusedAddressMiddleware"] > RETRY_ORDER
    assert DOWNLOADER_MIDDLEWARES["crawler.retry.RetryAfterMiddleware"] == RETRY_ORDER
    with pytest.raises(NotConfigured):
        RefusedAddressMiddleware.from_crawler(get_crawler(settings_dict={"ADDONS": ADDONS,
                                                                         "ALLOW_PRIVATE_ADDRESSES": True}))


def test_cookie_handling_never_downloads_the_public_suffix_list(tmp_path):
    """Scrapy's cookie middleware consults the Public Suffix List: the bundled copy, no download, no socket."""
    check = (
        "import socket\n"
        "attempts = []\n"
        "def no_network(*args, **kwargs):\n"
        "    attempts.append(args)\n"
        "    raise OSError('network used')\n"
        "socket.socket.connect = no_network\n"
        "socket.create_connection = no_network\n"
        "socket.getaddrinfo = no_network\n"
        "import crawler.settings\n"
        "from scrapy.downloadermiddlewares import cookies\n"
        "assert cookies._is_public_domain('co.uk') and not cookies._is_public_domain('bbc.co.uk')\n"
        "print(len(attempts))\n"
    )
    env = {**os.environ, "TLDEXTRACT_CACHE": str(tmp_path / "empty-cache")}
    env.pop("TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS", None)
    result = subprocess.run([sys.executable, "-c", check], env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "0", "tldextract tried to download the Public Suffix List"


@pytest.mark.integration
def test_a_name_resolving_to_loopback_is_recorded_as_refused_once(tmp_path):
    host = socket.gethostname()
    try:
        address = socket.gethostbyname(host)
    except OSError:
        pytest.skip("this machine's name does not resolve")
    if is_public_ip(address) or host == "localhost":
        pytest.skip("this machine's name does not resolve to a private address")
    database = tmp_path / "archive.db"
    result = subprocess.run(
        [sys.executable, "-m", "crawler.cli", "crawl", "--start", f"http://{host}:9/news", "--db",
         f"sqlite:///{database}", "--warc-dir", str(tmp_path / "warc"), "-s", "LOG_LEVEL=WARNING"],
        cwd=tmp_path, env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent)},
        capture_output=True, text=True, timeout=120,
    )
    assert "Traceback" not in result.stderr
    store = ArchiveStore(f"sqlite:///{database}", create=False)
    with store.engine.connect() as connection:
        captures = connection.execute(select(CaptureRow.outcome, CaptureRow.reason)).all()
        stats = connection.execute(select(CrawlRun.stats)).scalar_one()
    store.close()
    assert len(captures) == 1 and captures[0].outcome == "failed"
    assert f"refused {host}: it resolves to {address}" in captures[0].reason
    assert "DNS lookup failed" not in captures[0].reason
    assert not stats.get("retry/count")
