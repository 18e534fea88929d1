"""Scrapy project settings of newsarchive (`scrapy.cfg` points here).

Everything newsarchive needs is wired by its add-on, `crawler.addon.Newsarchive`, which also holds every default
(one place). What stays here is what Scrapy reads before any add-on runs: the spider modules, the reactor and
logging. Any setting can be given as `-s NAME=VALUE`, in a settings module of your own that sets `ADDONS` the
same way, or (newsarchive's own settings and `LOG_LEVEL`) as an environment variable `NEWSARCHIVE_<NAME>`.
"""

import os

# Scrapy's cookie middleware asks tldextract for public suffixes, and tldextract downloads the Public Suffix List
# from the internet on first use unless told not to. A crawl talks only to the hosts it crawls: use the list bundled
# with tldextract. (Read when Scrapy imports its cookie middleware, which happens after this module.)
os.environ.setdefault("TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS", "")

BOT_NAME = "newsarchive"
SPIDER_MODULES = ["spiders"]
NEWSPIDER_MODULE = "spiders"
ADDONS = {"crawler.addon.Newsarchive": 0}

TWISTED_REACTOR = "twisted.internet.asyncioreactor.AsyncioSelectorReactor"
LOG_LEVEL = os.environ.get("NEWSARCHIVE_LOG_LEVEL", "INFO")
