"""The extraction pool: its workers hold the extractor and none of the crawl's other machinery, and run at the
niceness asked for."""

from __future__ import annotations

import os
import subprocess
import sys

from crawler.workers import extraction_pool

# A worker's main module is the crawler's (the forkserver imports it): here, as in `newsarchive`, one importing
# `crawler.cli`. The pool is made where the command makes it, after start.
PROBE = """
import sys

from crawler.cli import main


def loaded() -> list[str]:
    names = ("crawler.extract", "scrapy", "twisted", "sqlalchemy", "alembic")
    return [name for name in names if name in sys.modules]


if __name__ == "__main__":
    from crawler.workers import extraction_pool

    pool = extraction_pool(1)
    print(pool.submit(loaded).result())
    pool.shutdown()
"""


def test_workers_hold_the_extractor_and_none_of_the_crawls_other_machinery(tmp_path):
    # What the forkserver imports, every crawl pays for: the command line and the workers load neither Scrapy nor
    # the database code at import.
    probe = tmp_path / "probe.py"
    probe.write_text(PROBE)
    result = subprocess.run([sys.executable, str(probe)], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "['crawler.extract']"


def test_workers_run_the_steps_of_priority_asked_below_the_crawler():
    for niceness in (0, 7):
        pool = extraction_pool(1, niceness)
        try:
            assert pool.submit(os.nice, 0).result(timeout=120) == min(19, os.nice(0) + niceness)
        finally:
            pool.shutdown()


# What a crawl's process loads at its start: the spider and every component the add-on installs (as Scrapy loads
# them); prints which of the worker's modules came with them.
CRAWLER_PROBE = """
import sys

from scrapy.utils.conf import build_component_list
from scrapy.utils.misc import load_object
from scrapy.utils.test import get_crawler

from crawler.settings import ADDONS
from spiders.news import NewsSpider

settings = get_crawler(NewsSpider, {"ADDONS": ADDONS}).settings
for name in ("DOWNLOADER_MIDDLEWARES", "SPIDER_MIDDLEWARES", "ITEM_PIPELINES", "EXTENSIONS"):
    for path in build_component_list(settings.getwithbase(name)):
        load_object(path)
for path in filter(None, settings.getwithbase("DOWNLOAD_HANDLERS").values()):
    load_object(path)
names = ("crawler.extract", "crawler.dates", "crawler.finish", "trafilatura", "dateparser", "htmldate", "alembic")
print([name for name in names if name in sys.modules])
"""


def test_the_crawlers_process_loads_none_of_the_workers_extractor():
    # The forkserver loads it for the workers; the crawl's process only hands pages over (and imports trafilatura's
    # Simhash when it stores an article).
    result = subprocess.run([sys.executable, "-c", CRAWLER_PROBE], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"
