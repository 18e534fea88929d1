"""The request dupefilter with its fingerprints on disk: Scrapy's answers, memory that does not grow, JOBDIR."""

from __future__ import annotations

import tracemalloc

from scrapy.http import Request
from scrapy.utils.test import get_crawler

from crawler.dupefilter import DiskRFPDupeFilter
from crawler.settings import ADDONS


def make_filter(**settings) -> DiskRFPDupeFilter:
    crawler = get_crawler(settings_dict={"ADDONS": ADDONS, **settings})
    return DiskRFPDupeFilter.from_crawler(crawler)


def test_it_is_the_crawls_dupefilter_and_answers_as_scrapys():
    assert get_crawler(settings_dict={"ADDONS": ADDONS}).settings["DUPEFILTER_CLASS"] == (
        "crawler.dupefilter.DiskRFPDupeFilter")
    seen = make_filter()
    page = "https://news.example/a-1.html"
    assert not seen.request_seen(Request(page))
    assert seen.request_seen(Request(page + "#photo"))  # the same fingerprint as Scrapy's
    assert not seen.request_seen(Request(page, method="POST"))
    assert not seen.request_seen(Request("https://news.example/site.css"))
    seen.close("finished")


def test_fingerprints_past_the_cache_are_still_known_and_memory_stays_flat():
    seen = make_filter()
    urls = [f"https://news.example/a-{n}.html" for n in range(20_000)]
    tracemalloc.start()
    for url in urls[:10_000]:
        assert not seen.request_seen(Request(url))
    middle = tracemalloc.get_traced_memory()[0]
    for url in urls[10_000:]:
        assert not seen.request_seen(Request(url))
    grown = tracemalloc.get_traced_memory()[0] - middle
    tracemalloc.stop()
    assert grown < 200_000  # a set of 10,000 more fingerprints: ~900 kB
    assert all(seen.request_seen(Request(url)) for url in urls[:100])  # long out of the cache
    seen.close("finished")


def test_a_job_directory_keeps_what_was_seen_for_the_resumed_job(tmp_path):
    first = make_filter(JOBDIR=str(tmp_path))
    assert not first.request_seen(Request("https://news.example/a-1.html"))
    first.close("shutdown")
    resumed = make_filter(JOBDIR=str(tmp_path))
    assert resumed.request_seen(Request("https://news.example/a-1.html"))
    assert not resumed.request_seen(Request("https://news.example/a-2.html"))
    resumed.close("finished")
