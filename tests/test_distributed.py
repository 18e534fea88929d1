"""Distributed mode: two crawler processes share one Redis queue and one PostgreSQL archive."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import uuid
from collections import Counter

import pytest
import redis

from archive.runrecords import list_runs
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
    """Two workers started in the same second: both work, nothing is fetched twice, the job's keys go at the end."""
    newsroom = Newsroom(articles=40, seed=3)
    with serve(newsroom) as base_url:
        command = [
            os.path.join(BIN, "newsarchive"), "crawl", "--sitemap", f"{base_url}/sitemap.xml",
            "--db", postgres_database_url, "--redis", REDIS_URL, "--job", redis_server, "--allow-private",
            "-s", "AUTOTHROTTLE_ENABLED=false", "-s", "LOG_LEVEL=WARNING", "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=2",
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
    runs = list_runs(store)
    assert [run["status"] for run in runs] == ["finished", "finished"]
    assert all(run["pages_fetched"] > 0 for run in runs), runs  # neither worker quit at once with nothing done
    store.close()
    assert list(redis.Redis.from_url(REDIS_URL).scan_iter(f"newsarchive:{redis_server}:*")) == []


def crawl_job(base_url: str, db_url: str, job: str, tmp_path, *extra: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [os.path.join(BIN, "newsarchive"), "crawl", "--sitemap", f"{base_url}/sitemap.xml", "--db", db_url,
         "--warc-dir", str(tmp_path / "warc"), "--allow-private", "-s", "AUTOTHROTTLE_ENABLED=false",
         "-s", "LOG_LEVEL=WARNING", *(["--redis", REDIS_URL, "--job", job] if job else ["--redis", REDIS_URL]),
         *extra],
        cwd=tmp_path, capture_output=True, text=True, timeout=300,
    )


def test_a_finished_job_name_used_again_starts_afresh(redis_server, tmp_path):
    newsroom = Newsroom(articles=12, seed=4)
    with serve(newsroom) as base_url:
        for n in range(2):  # the second run, into a new archive, must not find the job done
            db_url = f"sqlite:///{tmp_path / f'a{n}.db'}"
            result = crawl_job(base_url, db_url, redis_server, tmp_path)
            assert result.returncode == 0, result.stderr[-3000:]
            store = ArchiveStore(db_url)
            assert len(list(store.iter_articles())) == len(newsroom.stories)
            store.close()


def test_redis_without_a_job_name_is_refused(tmp_path):
    result = crawl_job("http://127.0.0.1:9", f"sqlite:///{tmp_path / 'a.db'}", "", tmp_path)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert result.stderr.startswith("error: REDIS_URL is set but CRAWL_JOB is not"), result.stderr


def test_jobs_list_and_clean(redis_server, tmp_path):
    client = redis.Redis.from_url(REDIS_URL)
    client.zadd(f"newsarchive:{redis_server}:requests", {"request": 0})
    client.sadd(f"newsarchive:{redis_server}:dupefilter", "fingerprint")
    newsarchive = [os.path.join(BIN, "newsarchive"), "jobs"]
    listed = subprocess.run([*newsarchive, "list", "--redis", REDIS_URL], capture_output=True, text=True, cwd=tmp_path)
    assert listed.returncode == 0, listed.stderr
    assert re.search(rf"│ {redis_server}\s*│\s+1 │\s+1 │", listed.stdout), listed.stdout  # queued, seen
    client.set(f"newsarchive:{redis_server}:workers:w1", b"busy", ex=10)
    refused = subprocess.run([*newsarchive, "clean", redis_server, "--redis", REDIS_URL], capture_output=True,
                             text=True, cwd=tmp_path)
    assert refused.returncode == 6 and f"job {redis_server} has live workers" in refused.stderr
    client.delete(f"newsarchive:{redis_server}:workers:w1")
    cleaned = subprocess.run([*newsarchive, "clean", redis_server, "--redis", REDIS_URL], capture_output=True,
                             text=True, cwd=tmp_path)
    assert cleaned.returncode == 0 and f"job {redis_server}: 2 keys removed" in cleaned.stderr
    assert list(client.scan_iter(f"newsarchive:{redis_server}:*")) == []
