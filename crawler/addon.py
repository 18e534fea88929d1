"""The Scrapy add-on that wires newsarchive: its settings' defaults and its components, in one place.

`scrapy.cfg` points Scrapy at `crawler.settings`, whose `ADDONS` enables `Newsarchive`; `newsarchive crawl`
uses the same project settings. The add-on
- gives every newsarchive setting (and the politeness settings it wants) its default, at the `addon` priority,
  so the project's settings module, `NEWSARCHIVE_<NAME>` environment variables (project priority), a spider's
  `custom_settings` and `-s NAME=VALUE` all override it;
- installs the downloader middlewares, item pipelines and extensions at the orders below, and, with the WARC
  archive on, the tapped HTTP/1.1 download handler for http and https (`crawler.wiretap`). Each optional one
  raises `NotConfigured` when its `*_ENABLED` switch is off, as Scrapy's own components do;
- switches on distributed mode (scrapy-redis scheduler and dupefilter, keys scoped by `CRAWL_JOB`) when
  `REDIS_URL` is set.

The component orders are contracts (ARCHITECTURE.md, "Wiring: one add-on"): the WARC recorder sits above every
built-in downloader middleware so it sees responses as received; the pipelines run dedup → sql → WARC metadata,
because the metadata record archives what dedup and the store decided.
"""

from __future__ import annotations

import os
from typing import Any

from scrapy.settings import BaseSettings

from archive import __version__
from crawler.distributed import job_key
from crawler.settingcheck import SettingError, check_settings

ENV_PREFIX = "NEWSARCHIVE_"

# newsarchive's own settings, each also read from the environment as NEWSARCHIVE_<NAME> (README, "Settings").
DEFAULTS: dict[str, Any] = {
    "DATABASE_URL": "sqlite:///data/newsarchive.db",
    "WARC_ENABLED": True,  # the WARC recorder and the metadata records
    "WARC_DIR": "data/warc",
    "WARC_MAX_SIZE": 1_000_000_000,
    "WARC_MAX_AGE": 24 * 3600,  # seconds a WARC file stays open before rotation
    "WARC_PREFIX": "newsarchive",
    "WARC_DIGEST": "sha1",  # sha1 (base32, the WARC norm) or sha256
    "WARC_OPERATOR": "",
    "WARC_DIGEST_LOOKUP": None,  # e.g. "crawler.recorder.archived_payloads_of"
    "SQL_ENABLED": True,  # the SQL store pipeline and the archive queries the spider asks
    "SQL_BATCH_SIZE": 100,
    "SQL_BATCH_SECONDS": 2.0,
    "SQL_CLOSE_TIMEOUT": 60.0,  # seconds to retry an unreachable database at close
    "SQL_SPOOL_DIR": "data/sql-spool",  # what could not be written then, replayed by the next crawl
    "DEDUP_ENABLED": True,  # duplicates within one crawl (the store resolves them across crawls regardless)
    "CONDITIONAL_REQUESTS_ENABLED": True,  # If-None-Match / If-Modified-Since on discovery documents
    "REFETCH_ATTEMPTS": 5,  # failed fetches of a listed article before later runs give it up
    "REFETCH_BACKOFF": 900.0,  # seconds after a first failure before a run tries again (doubled after each)
    # Requests the crawl holds below which article URLs are taken from the frontier: several times
    # CONCURRENT_REQUESTS, since an article's requisites (queued after the articles) count too, and an article
    # queue run dry between two looks (FRONTIER_POLL) leaves the extraction workers idle.
    "FRONTIER_LOW_WATER": 128,
    "FRONTIER_BATCH": 64,  # article URLs taken from the frontier at a time
    "REQUISITES_ENABLED": True,  # archive each article's photos and stylesheets (crawler.requisites)
    "REQUISITES_ALL_IMAGES": False,  # ... and every other image of the page
    "EXTRACT_WORKERS": 0,  # 0: one per CPU
    "EXTRACT_TIMEOUT": 30.0,  # seconds of extraction allowed per page
    # steps of priority below the crawler's for the extraction workers (0 to 19; 0: the same): the crawler, through
    # which every page passes, gets a core first (README, "Benchmarks")
    "EXTRACT_NICENESS": 10,
    "ALLOW_PRIVATE_ADDRESSES": False,
    "RETRY_AFTER_MAX": 120.0,  # seconds of a 429/503 Retry-After waited for before the retry; longer: the page fails
    # True: a refused connection or a failed lookup is retried, and the host asked again (Scrapy's way)
    "RETRY_UNREACHABLE_HOSTS": False,
    "SITEMAP_MAX_DEPTH": 4,  # levels of sitemap indexes followed below a seed sitemap
    "SITEMAP_MAX_COUNT": 5000,  # sitemaps fetched in one run
    "REDIS_URL": None,  # distributed mode
    "CRAWL_JOB": "",  # distributed mode (required there): crawlers of the same job share one queue on Redis
    "REDIS_JOB_TTL": 7 * 24 * 3600,  # seconds an unfinished job's queue and dupefilter stay on Redis
    "PROGRESS_INTERVAL": 5.0,  # seconds between status lines of a crawl (0: none)
    "SELECTOR_CHECK_PAGES": 50,  # article pages checked for profile selectors that never match (0: off)
    "RUN_LOCK_STALE_AFTER": 120.0,  # seconds without a heartbeat after which a run's lock is taken over
    "FAIL_ON_FAILED_SEEDS": False,  # a run in which any seed failed ends as failed_seeds (exit code 4)
    "MAX_FAILURE_RATIO": None,  # e.g. 0.2: more failed pages than this share ends as too_many_failures (exit 4)
}

# Scrapy's settings, as newsarchive wants them: polite, bounded, safe.
SCRAPY_DEFAULTS: dict[str, Any] = {
    "USER_AGENT": f"newsarchive/{__version__} (+https://github.com/newsarchive/newsarchive)",
    "ROBOTSTXT_OBEY": True,
    "CONCURRENT_REQUESTS": 16,
    "CONCURRENT_REQUESTS_PER_DOMAIN": 8,
    # The spider yields one item per article page: Scrapy's 100 started 101 asyncio tasks for every response, about
    # a seventh of the crawl's main-process CPU, for no parallelism (README, "Benchmarks").
    "CONCURRENT_ITEMS": 4,
    "AUTOTHROTTLE_ENABLED": True,
    "AUTOTHROTTLE_START_DELAY": 0.5,
    "AUTOTHROTTLE_TARGET_CONCURRENCY": 4.0,
    "DOWNLOAD_TIMEOUT": 60,
    "DOWNLOAD_MAXSIZE": 32 * 1024 * 1024,
    "DOWNLOAD_WARNSIZE": 8 * 1024 * 1024,
    "RETRY_TIMES": 2,
    "REDIRECT_MAX_TIMES": 10,
    "TWISTED_DNS_RESOLVER": "crawler.safety.PublicAddressResolver",
    # Scrapy's dupefilter with its fingerprints on disk: its set grew ~300 bytes an article for the whole run
    "DUPEFILTER_CLASS": "crawler.dupefilter.DiskRFPDupeFilter",
    "FEED_EXPORT_ENCODING": "utf-8",
    # Listening servers only when asked for: a crawl is a batch job, not a service.
    "TELNETCONSOLE_ENABLED": False,
    "REMOTE_CONTROL_ENABLED": False,
}

SAFETY_ORDER = 50  # first: a refused URL goes no further
# Above RetryMiddleware (550), whose place RetryAfterMiddleware takes: exceptions pass the chain from the highest
# order down, so a host the resolver refused is reported as refused before it could be retried.
REFUSED_ADDRESS_ORDER = 560
RETRY_ORDER = 550
# Between RetryMiddleware and RefusedAddressMiddleware: sees a network failure before it is retried, and not the
# lookup failure of a host the resolver refused (RefusedAddressMiddleware reports that, with its reason)
UNREACHABLE_ORDER = 555
URLLENGTH_ORDER = 800  # Scrapy's own order for it
# Just above HttpCompressionMiddleware (590): sees the body still encoded, after the recorder archived it
DAMAGED_BODY_ORDER = 595
CONDITIONAL_ORDER = 60
# Above HttpCompressionMiddleware (590) and every other built-in: the recorder sees the request as sent and the
# response as received (still compressed, before redirects and retries are handled).
RECORDER_ORDER = 950
ROBOTS_ORDER = 100  # Scrapy's own order for it
DOWNLOADER_MIDDLEWARES = {
    "crawler.safety.PublicAddressMiddleware": SAFETY_ORDER,
    "crawler.safety.RefusedAddressMiddleware": REFUSED_ADDRESS_ORDER,
    # Scrapy's, waiting out a 429's or 503's Retry-After (crawler/retry.py)
    "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
    "crawler.retry.RetryAfterMiddleware": RETRY_ORDER,
    # a host that refused a connection or did not resolve: not retried, nor asked again (crawler/unreachable.py)
    "crawler.unreachable.UnreachableHostMiddleware": UNREACHABLE_ORDER,
    # Scrapy's, fixed: requests waiting for a host's robots.txt are checked too (crawler/robots.py)
    "scrapy.downloadermiddlewares.robotstxt.RobotsTxtMiddleware": None,
    "crawler.robots.RobotsTxtMiddleware": ROBOTS_ORDER,
    "crawler.conditional.ConditionalRequestMiddleware": CONDITIONAL_ORDER,
    "crawler.recorder.WarcRecorderMiddleware": RECORDER_ORDER,
    "crawler.damaged.DamagedBodyMiddleware": DAMAGED_BODY_ORDER,
}
SPIDER_MIDDLEWARES = {
    # Scrapy's, recording each over-long URL as failed instead of dropping it with a log line (crawler/urllength.py)
    "scrapy.spidermiddlewares.urllength.UrlLengthMiddleware": None,
    "crawler.urllength.RecordedUrlLengthMiddleware": URLLENGTH_ORDER,
}
ITEM_PIPELINES = {
    "pipelines.dedup.DedupPipeline": 200,
    "pipelines.sql.SqlStorePipeline": 300,
    # after dedup (it archives what dedup decided), before sql: no row without its records
    "pipelines.warcmeta.WarcMetadataPipeline": 250,
}
EXTENSIONS: dict[str, int] = {
    "crawler.archivequeries.ArchiveQueries": 500,
    "crawler.frontier.Frontier": 505,
    "crawler.runhealth.RunHealth": 510,
    "crawler.selectorcheck.SelectorCheck": 520,
    "crawler.progress.Progress": 530,
    "crawler.distributed.JobWorkers": 540,
}
# Scrapy's listening servers, each with the switch that turns it on (off in SCRAPY_DEFAULTS): switched off, it is
# not even imported (the remote control's aiohttp was ~0.2 s of CPU at every crawl's start). It leaves
# EXTENSIONS_BASE: Scrapy imports every key of EXTENSIONS to normalise it, a None one too, and a key of the base dict
# only if it is enabled.
LISTENING_EXTENSIONS = {
    "scrapy.extensions.telnet.TelnetConsole": "TELNETCONSOLE_ENABLED",
    "scrapy.extensions.remote_control.RemoteControl": "REMOTE_CONTROL_ENABLED",
}
# With the WARC archive on: Scrapy's HTTP/1.1 handler with a tap keeping each exchange's bytes as they crossed the
# connection (crawler/wiretap.py), which the recorder archives.
TAPPED_DOWNLOAD_HANDLERS = dict.fromkeys(("http", "https"), "crawler.wiretap.TappedHTTP11DownloadHandler")

REDIS_SCHEDULER = "scrapy_redis.scheduler.Scheduler"
REDIS_DUPEFILTER = "scrapy_redis.dupefilter.RFPDupeFilter"


def apply_defaults(settings: BaseSettings) -> None:
    """Give every newsarchive setting its default, and the environment's value where one is set.

    Used by the add-on and by commands that read the archive without a crawler (`newsarchive export`, ...).
    Raises `crawler.settingcheck.SettingError` on a value of the wrong type; sizes take units (`1GB`).
    """
    for name, value in (DEFAULTS | SCRAPY_DEFAULTS).items():
        settings.set(name, value, priority="addon")
    for name in DEFAULTS:
        if ENV_PREFIX + name in os.environ:  # a string, given its type by check_settings
            settings.set(name, os.environ[ENV_PREFIX + name], priority="project")
    check_settings(settings, DEFAULTS | SCRAPY_DEFAULTS)


def _install(settings: BaseSettings, name: str, components: dict[str, Any]) -> None:
    """Add `components` (path → order, or scheme → handler) to the dict setting `name`; a user's own entry for one
    (None disables it) wins."""
    for key, value in components.items():
        settings[name].set(key, value, priority="addon")


def check_distributed_mode(settings: BaseSettings) -> None:
    """Distributed mode needs a job name: without one, every run would share (and find done) one queue."""
    if settings.get("REDIS_URL") and not settings.get("CRAWL_JOB"):
        raise SettingError("REDIS_URL is set but CRAWL_JOB is not: give the workers of one run a job name "
                           "(--job NAME, the same on every worker, a new one for each scheduled run)")


def _distributed_mode(settings: BaseSettings) -> None:
    """The crawlers of one CRAWL_JOB share a request queue and a dupefilter on Redis.

    scrapy-redis must not flush them when a worker closes (the others still use them): `crawler.distributed`
    removes them when the job is done, and lets them expire when it is not.
    """
    check_distributed_mode(settings)
    job = settings["CRAWL_JOB"]
    settings.set("SCHEDULER", REDIS_SCHEDULER, priority="addon")
    settings.set("DUPEFILTER_CLASS", REDIS_DUPEFILTER, priority="addon")
    settings.set("SCHEDULER_PERSIST", True, priority="addon")
    settings.set("SCHEDULER_QUEUE_KEY", job_key(job, "requests"), priority="addon")
    settings.set("SCHEDULER_DUPEFILTER_KEY", job_key(job, "dupefilter"), priority="addon")


class Newsarchive:
    """Scrapy add-on: `ADDONS = {"crawler.addon.Newsarchive": 0}`."""

    def update_settings(self, settings: BaseSettings) -> None:
        apply_defaults(settings)
        _install(settings, "DOWNLOADER_MIDDLEWARES", DOWNLOADER_MIDDLEWARES)
        _install(settings, "SPIDER_MIDDLEWARES", SPIDER_MIDDLEWARES)
        _install(settings, "ITEM_PIPELINES", ITEM_PIPELINES)
        _install(settings, "EXTENSIONS", EXTENSIONS)
        base = settings["EXTENSIONS_BASE"]
        for path, switch in LISTENING_EXTENSIONS.items():
            if path in base and not settings.getbool(switch):  # an older Scrapy has no remote control
                base.delete(path, priority="addon")
        if settings.getbool("WARC_ENABLED"):
            _install(settings, "DOWNLOAD_HANDLERS", TAPPED_DOWNLOAD_HANDLERS)
        if settings.get("REDIS_URL"):
            _distributed_mode(settings)
