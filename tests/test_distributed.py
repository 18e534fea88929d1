"""Distributed mode: two crawler processes share one Redis queue and one PostgreSQL archive."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import urlsplit

import pytest
import redis

from archive.runrecords import list_runs
from archive.store import ArchiveStore
from crawler.distributed import IDLE, worker_states
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


class HeldArticles:
    """The newsroom, but its article pages wait until the test opens the gate; who asked for one is noted.

    A crawler's requests are told apart by their User-Agent (each worker is started with its own), so a test can
    bring the workers of a job into a chosen state instead of hoping the operating system schedules them so.
    """

    def __init__(self, newsroom: Newsroom) -> None:
        self.newsroom = newsroom
        self.article_paths = {story.path for story in newsroom.stories}
        self.gate = threading.Event()
        self.asked: Counter[str] = Counter()  # User-Agent -> article requests received (held or not)
        self.lock = threading.Lock()

    def __getattr__(self, name: str) -> object:
        return getattr(self.newsroom, name)

    def handle(self, method: str, target: str, headers, base_url: str):
        if urlsplit(target).path in self.article_paths:
            with self.lock:
                self.asked[headers.get("User-Agent", "")] += 1
            self.gate.wait(timeout=120)
        return self.newsroom.handle(method, target, headers, base_url)

    def wait_for(self, agent: str, count: int = 1, timeout: float = 120) -> None:
        deadline = time.monotonic() + timeout
        while self.asked[agent] < count:
            assert time.monotonic() < deadline, f"{agent} asked for {self.asked[agent]} articles, not {count}"
            time.sleep(0.05)


def crawl_command(base_url: str, db_url: str, job: str, warc_dir, *extra: str) -> list[str]:
    """`newsarchive crawl` of the newsroom's sitemap in distributed mode (`job` "": no job name given)."""
    return [os.path.join(BIN, "newsarchive"), "crawl", "--sitemap", f"{base_url}/sitemap.xml", "--db", db_url,
            "--warc-dir", str(warc_dir), "--allow-private", "-s", "AUTOTHROTTLE_ENABLED=false",
            "-s", "LOG_LEVEL=WARNING", "--redis", REDIS_URL, *(["--job", job] if job else []), *extra]


def start_worker(base_url: str, db_url: str, job: str, tmp_path, name: str, *extra: str) -> subprocess.Popen:
    return subprocess.Popen(
        crawl_command(base_url, db_url, job, tmp_path / f"warc-{name}", "-s", f"USER_AGENT={name}", *extra),
        cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )


def finish(workers: list[subprocess.Popen]) -> None:
    for worker in workers:
        out, err = worker.communicate(timeout=300)
        assert worker.returncode == 0, out + err[-3000:]


@contextmanager
def released(site: HeldArticles, workers: list[subprocess.Popen]) -> Iterator[None]:
    """On the way out, whatever failed: the gate opened and no worker left running."""
    try:
        yield
    finally:
        site.gate.set()
        for worker in workers:
            if worker.poll() is None:
                worker.kill()
            worker.communicate()


def runs_by_worker(store: ArchiveStore) -> list[dict]:
    return sorted(list_runs(store), key=lambda run: run["id"])  # the first worker started opened the first run


def test_two_crawlers_share_the_work_without_duplicates(redis_server, postgres_database_url, tmp_path):
    """A worker joining a job takes from the shared queue; nothing is fetched twice; the job's keys go at the end.

    The first worker's article downloads are held until the second has asked for articles too: by then the first
    holds as many requests as its downloader takes (16) and the second found the rest in the shared queue.
    """
    newsroom = Newsroom(articles=40, seed=3)
    site = HeldArticles(newsroom)
    workers: list[subprocess.Popen] = []
    with serve(site) as base_url, released(site, workers):
        for name in ("w0", "w1"):  # the second starts once the first one's article downloads are held
            workers.append(start_worker(base_url, postgres_database_url, redis_server, tmp_path, name,
                                        "-s", "CONCURRENT_REQUESTS=16", "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=2"))
            site.wait_for(name)
        site.gate.set()
        finish(workers)
        article_requests = Counter(
            r.target for r in newsroom.request_log if r.kind == "article" and r.status == 200
        )
        index_requests = newsroom.request_counts()["/sitemap.xml"]
    # Both workers read the sitemaps (start requests are not filtered) and so both found every article, yet each
    # article page was fetched once: the dupefilter on Redis is shared.
    assert index_requests == 2
    assert article_requests and max(article_requests.values()) == 1
    assert set(article_requests) == {story.path for story in newsroom.stories}
    assert site.asked["w1"] > 0  # the second worker fetched articles the first had not taken
    store = ArchiveStore(postgres_database_url)
    canonical = [a.canonical_url for a in store.iter_articles()]
    assert len(canonical) == len(set(canonical)) == len({base_url + s.path for s in newsroom.stories})
    runs = runs_by_worker(store)
    assert [run["status"] for run in runs] == ["finished", "finished"]
    assert all(run["articles_new"] > 0 for run in runs), runs
    store.close()
    assert list(redis.Redis.from_url(REDIS_URL).scan_iter(f"newsarchive:{redis_server}:*")) == []


def test_a_worker_with_nothing_to_do_stays_while_another_is_busy(redis_server, postgres_database_url, tmp_path):
    """A worker whose job's queue is empty while another worker of the job is busy does not close.

    The other may still add requests to the shared queue. Here the first worker has taken every article (its
    downloader takes 64) and its downloads are held: the second finds nothing to do, says so on Redis, and waits.
    """
    newsroom = Newsroom(articles=20, seed=5)
    site = HeldArticles(newsroom)
    client = redis.Redis.from_url(REDIS_URL)
    workers: list[subprocess.Popen] = []
    with serve(site) as base_url, released(site, workers):
        workers.append(start_worker(base_url, postgres_database_url, redis_server, tmp_path, "w0",
                                    "-s", "CONCURRENT_REQUESTS=64", "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=64"))
        site.wait_for("w0", count=len(newsroom.stories))
        second = start_worker(base_url, postgres_database_url, redis_server, tmp_path, "w1")
        workers.append(second)
        deadline = time.monotonic() + 120
        while IDLE not in worker_states(client, redis_server).values():
            assert second.poll() is None, "closed while the other was busy: " + second.communicate()[1][-3000:]
            assert time.monotonic() < deadline, "the second worker never reported itself idle"
            time.sleep(0.05)
        time.sleep(2)  # a worker that would close on idle closes in well under this
        assert second.poll() is None, "closed while the other was busy: " + second.communicate()[1][-3000:]
        site.gate.set()
        finish(workers)
    assert set(site.asked) == {"w0"}
    store = ArchiveStore(postgres_database_url)
    runs = runs_by_worker(store)
    assert [run["status"] for run in runs] == ["finished", "finished"]
    assert runs[0]["articles_new"] > 0 and runs[1]["articles_new"] == 0, runs
    store.close()
    assert list(client.scan_iter(f"newsarchive:{redis_server}:*")) == []


def crawl_job(base_url: str, db_url: str, job: str, tmp_path, *extra: str) -> subprocess.CompletedProcess:
    return subprocess.run(crawl_command(base_url, db_url, job, tmp_path / "warc", *extra),
                          cwd=tmp_path, capture_output=True, text=True, timeout=300)


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
