"""Scrapy project settings of newsarchive (`scrapy.cfg` points here).

Everything newsarchive needs is wired by its add-on, `crawler.addon.Newsarchive`, which also holds every default
(one place). What stays here is what Scrapy reads before any add-on runs: the spider modules, the reactor and
logging. Any setting can be given as `-s NAME=VALUE`, in a settings module of your own that sets `ADDONS` the
same way, or (newsarchive's own settings and `LOG_LEVEL`) as an environment variable `NEWSARCHIVE_<NAME>`.
"""

import os

BOT_NAME = "newsarchive"
SPIDER_MODULES = ["spiders"]
NEWSPIDER_MODULE = "spiders"
ADDONS = {"crawler.addon.Newsarchive": 0}

TWISTED_REACTOR = "twisted.internet.asyncioreactor.AsyncioSelectorReactor"
LOG_LEVEL = os.environ.get("NEWSARCHIVE_LOG_LEVEL", "INFO")
