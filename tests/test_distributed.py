"""Distributed mode: two crawler processes share one Redis queue and one PostgreSQL archive."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections import Counter

import pytest
import redis

from archive.store import ArchiveStore
from crawler.newsroom import Newsroom, serve

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
BIN = os.path.dirname(sys.executable)

pytestmark = [pytest.mark.integration, pytest.mark.services]  # two crawler processes, Redis and PostgreSQL


@pytest.fixture
def redis_server():
    client = redis.Redis.from_url(REDIS_URL)
    try:
        client.ping()
    except redis.ConnectionError as exc:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"Redis is not reachable at {REDIS_URL}: {exc} (CI=true: the Redis tests must run)")
        pytest.skip(f"Redis is not reachable at {REDIS_URL}: {exc}. Start redis-server or set TEST_REDIS_URL.")
    job = f"test-{uuid.uuid4().hex[:12]}"
    yield job
    for key in client.scan_iter(f"newsarchive:{job}:*"):
        client.delete(key)


def test_two_crawlers_share_the_work_without_duplicates(redis_server, postgres_database_url, tmp_path):
    newsroom = Newsroom(articles=40, seed=3)
    with serve(newsroom) as base_url:
        command = [
            os.path.join(BIN, "newsarchive"), "crawl", "--sitemap", f"{base_url}/sitemap.xml",
            "--db", postgres_database_url, "--redis", REDIS_URL, "--job", redis_server, "--allow-private",
            "-s", "AUTOTHROTTLE_ENABLED=false", "-s", "LOG_LEVEL=WARNING",
        ]
        workers = [
            subprocess.Popen([*command, "--warc-dir", str(tmp_path / f"warc-{n}")], cwd=tmp_path,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            for n in range(2)
        ]
        outputs = [worker.communicate(timeout=300) for worker in workers]
        for worker, (out, err) in zip(workers, outputs, strict=True):
            assert worker.returncode == 0, out + err[-3000:]
        article_requests = Counter(
            r.target for r in newsroom.request_log if r.kind == "article" and r.status == 200
        )
        index_requests = newsroom.request_counts()["/sitemap.xml"]
    # Both workers read the sitemaps (start requests are not filtered) and so both found every article, yet each
    # article page was fetched once: the dupefilter on Redis is shared.
    assert index_requests == 2
    assert article_requests and max(article_requests.values()) == 1
    assert set(article_requests) == {story.path for story in newsroom.stories}
    store = ArchiveStore(postgres_database_url)
    canonical = [a.canonical_url for a in store.iter_articles()]
    assert len(canonical) == len(set(canonical)) == len({base_url + s.path for s in newsroom.stories})
    store.close()
