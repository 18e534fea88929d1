"""Scrapy settings of newsarchive.

Every newsarchive setting can also be given as an environment variable `NEWSARCHIVE_<NAME>`
(for example `NEWSARCHIVE_DATABASE_URL`); `-s NAME=value` on the command line wins over both.
"""

from __future__ import annotations

import os


def _env(name: str, default: str | None) -> str | None:
    return os.environ.get(f"NEWSARCHIVE_{name}", default)


BOT_NAME = "newsarchive"
SPIDER_MODULES = ["spiders"]
NEWSPIDER_MODULE = "spiders"

# --- newsarchive's own settings -------------------------------------------------------------------------------
DATABASE_URL = _env("DATABASE_URL", "sqlite:///data/newsarchive.db")
WARC_DIR = _env("WARC_DIR", "data/warc")
WARC_MAX_SIZE = int(_env("WARC_MAX_SIZE", str(1_000_000_000)))
WARC_MAX_AGE = int(_env("WARC_MAX_AGE", str(24 * 3600)))  # seconds a WARC file stays open before rotation
WARC_PREFIX = _env("WARC_PREFIX", "newsarchive")
WARC_DIGEST = _env("WARC_DIGEST", "sha1")  # sha1 (base32, the WARC norm) or sha256
WARC_OPERATOR = _env("WARC_OPERATOR", "")
REDIS_URL = _env("REDIS_URL", None)
CRAWL_JOB = _env("CRAWL_JOB", "")  # distributed mode: crawlers of the same job share one queue on Redis
ALLOW_PRIVATE_ADDRESSES = _env("ALLOW_PRIVATE_ADDRESSES", "false").lower() in ("1", "true", "yes", "on")
SQL_BATCH_SIZE = int(_env("SQL_BATCH_SIZE", "100"))
SQL_BATCH_SECONDS = float(_env("SQL_BATCH_SECONDS", "2.0"))
SQL_CLOSE_TIMEOUT = float(_env("SQL_CLOSE_TIMEOUT", "60"))  # seconds to retry an unreachable database at close
SQL_SPOOL_DIR = _env("SQL_SPOOL_DIR", "data/sql-spool")  # what could not be written then, replayed next crawl
EXTRACT_WORKERS = int(_env("EXTRACT_WORKERS", "0"))  # 0: one per CPU
EXTRACT_TIMEOUT = float(_env("EXTRACT_TIMEOUT", "30"))  # seconds of extraction allowed per page

# --- crawling politeness ----------------------------------------------------------------------------------------
USER_AGENT = "newsarchive/0.1 (+https://github.com/newsarchive/newsarchive)"
ROBOTSTXT_OBEY = True
CONCURRENT_REQUESTS = 16
CONCURRENT_REQUESTS_PER_DOMAIN = 8
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 0.5
AUTOTHROTTLE_TARGET_CONCURRENCY = 4.0
DOWNLOAD_TIMEOUT = 60
DOWNLOAD_MAXSIZE = 32 * 1024 * 1024
DOWNLOAD_WARNSIZE = 8 * 1024 * 1024
RETRY_TIMES = 2
REDIRECT_MAX_TIMES = 10
TWISTED_DNS_RESOLVER = "crawler.safety.PublicAddressResolver"

# --- components -------------------------------------------------------------------------------------------------
DOWNLOADER_MIDDLEWARES = {
    "crawler.safety.PublicAddressMiddleware": 50,
    "crawler.conditional.ConditionalRequestMiddleware": 60,
    # Above HttpCompressionMiddleware (590) and every other built-in: it sees the request as sent and the
    # response as received (still compressed, before redirects and retries are handled).
    "crawler.recorder.WarcRecorderMiddleware": 950,
}
ITEM_PIPELINES = {
    "pipelines.timestamp.TimestampPipeline": 100,
    "pipelines.dedup.DedupPipeline": 200,
    "pipelines.sql.SqlStorePipeline": 300,
    "pipelines.warcmeta.WarcMetadataPipeline": 400,
}

REQUEST_FINGERPRINTER_IMPLEMENTATION = "2.7"
TWISTED_REACTOR = "twisted.internet.asyncioreactor.AsyncioSelectorReactor"
FEED_EXPORT_ENCODING = "utf-8"
LOG_LEVEL = _env("LOG_LEVEL", "INFO")
