"""Distributed mode without traps: the workers of one job (`CRAWL_JOB`) know of each other through Redis.

The add-on puts every worker of a job on one scrapy-redis queue and dupefilter (`newsarchive:<job>:requests`,
`:dupefilter`). This extension (on when `REDIS_URL` is set) adds what that leaves out:

- each worker keeps a key `newsarchive:<job>:workers:<id>` (busy or idle, expiring after `WORKER_TTL` seconds
  unless refreshed, so a killed worker disappears) refreshed every second;
- a worker that runs out of requests does not close while another worker of the job is busy: that worker may
  still add requests to the shared queue (without this, a worker whose seeds another worker took quit in its
  first second with nothing done);
- a worker that finishes a job (its queue empty, no other worker busy) removes the job's keys, so a job name
  used again starts afresh; a job stopped half-way keeps them (resumable) for `REDIS_JOB_TTL` seconds, and
  `newsarchive jobs clean` removes them at once.
"""

from __future__ import annotations

import logging
import uuid
from typing import Any

from scrapy import signals as scrapy_signals
from scrapy.exceptions import DontCloseSpider, NotConfigured
from scrapy.utils.asyncio import create_looping_call

logger = logging.getLogger(__name__)

KEY_PREFIX = "newsarchive"
WORKER_TTL = 10  # seconds a worker's key lives without a refresh
BUSY, IDLE = b"busy", b"idle"


def job_key(job: str, part: str) -> str:
    """The Redis key of `part` (requests, dupefilter, workers:<id>) of `job`."""
    return f"{KEY_PREFIX}:{job}:{part}"


def worker_states(client: Any, job: str) -> dict[str, bytes]:
    """The live workers of `job`: worker id → busy or idle."""
    keys = list(client.scan_iter(job_key(job, "workers:*")))
    values = client.mget(keys) if keys else []
    return {key.decode().rsplit(":", 1)[1]: value for key, value in zip(keys, values, strict=True) if value}


def job_names(client: Any) -> set[str]:
    """Every job that has keys on this Redis."""
    return {key.decode().split(":")[1] for key in client.scan_iter(f"{KEY_PREFIX}:*")}


def remove_job(client: Any, job: str) -> int:
    """Delete every key of `job`; returns how many there were."""
    keys = list(client.scan_iter(job_key(job, "*")))
    return client.delete(*keys) if keys else 0


class JobWorkers:
    def __init__(self, crawler: Any, client: Any, job: str, job_ttl: int) -> None:
        self.crawler = crawler
        self.client = client
        self.job = job
        self.job_ttl = job_ttl
        self.worker = uuid.uuid4().hex[:12]
        self.key = job_key(job, f"workers:{self.worker}")
        self.task: Any = None

    @classmethod
    def from_crawler(cls, crawler: Any) -> JobWorkers:
        settings = crawler.settings
        if not settings.get("REDIS_URL"):
            raise NotConfigured
        import redis  # the redis extra: only distributed mode needs it

        client = redis.Redis.from_url(settings["REDIS_URL"])
        workers = cls(crawler, client, settings["CRAWL_JOB"], settings.getint("REDIS_JOB_TTL"))
        crawler.signals.connect(workers.on_spider_opened, signal=scrapy_signals.spider_opened)
        crawler.signals.connect(workers.on_spider_idle, signal=scrapy_signals.spider_idle)
        crawler.signals.connect(workers.on_spider_closed, signal=scrapy_signals.spider_closed)
        return workers

    def on_spider_opened(self, spider: Any) -> None:
        self.client.set(self.key, BUSY, ex=WORKER_TTL)
        self.task = create_looping_call(self.beat)
        self.task.start(1.0, now=False)

    def beat(self) -> None:
        self.client.set(self.key, IDLE if self.crawler.engine.spider_is_idle() else BUSY, ex=WORKER_TTL)

    def on_spider_idle(self, spider: Any) -> None:
        self.client.set(self.key, IDLE, ex=WORKER_TTL)
        others = {w: state for w, state in worker_states(self.client, self.job).items() if w != self.worker}
        if any(state == BUSY for state in others.values()):
            raise DontCloseSpider  # another worker may still add requests to the shared queue

    def on_spider_closed(self, spider: Any, reason: str) -> None:
        if self.task is not None and self.task.running:
            self.task.stop()
        self.client.delete(self.key)
        queue = job_key(self.job, "requests")
        others_busy = BUSY in worker_states(self.client, self.job).values()
        if reason == "finished" and not others_busy and not self.client.exists(queue):
            removed = remove_job(self.client, self.job)
            logger.info("job %s finished: its %d Redis keys removed", self.job, removed)
            return
        for part in ("requests", "dupefilter"):
            self.client.expire(job_key(self.job, part), self.job_ttl)
        logger.info("job %s kept on Redis for %d s (resume with the same --job, or `newsarchive jobs clean %s`)",
                    self.job, self.job_ttl, self.job)
