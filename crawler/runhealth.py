"""Extension: judges how a crawl run ended, so a scheduler can tell a dead job from a good one.

It listens to every page's outcome (`page_outcome`) and, when the spider closes, turns Scrapy's close reason and
what was fetched into an `archive.runstatus.RunStatus`: a run in which no page could be fetched (unreachable host,
404 sitemap, refused host, unsupported scheme) is `nothing_fetched`, not `finished`; the thresholds
`FAIL_ON_FAILED_SEEDS` (any seed failed) and `MAX_FAILURE_RATIO` (failed pages / pages with an outcome) make a
run that fetched something fail too, like browsertrix's `--failOnFailedSeed` and `--failOnFailedLimit`, which
likewise count pages: a page's photos and stylesheets (`requisite_of` in the outcome) are not counted.
The status goes into the crawl stats (`newsarchive/status`, `newsarchive/status_detail`): the SQL pipeline records
it on the run and `newsarchive crawl` exits with its code. The extension is built before the item pipelines, so
its `spider_closed` handler (synchronous) runs before theirs.
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from scrapy import signals as scrapy_signals
from w3lib.url import safe_url_string

from archive.outcomes import Outcome
from archive.runstatus import RunStatus, status_of_close_reason
from crawler.signals import page_outcome

logger = logging.getLogger(__name__)

STATUS_STAT = "newsarchive/status"
DETAIL_STAT = "newsarchive/status_detail"
# Outcomes that are not a page of their own: a redirect's page gets its own outcome, a duplicate was an article.
NOT_A_PAGE = frozenset({Outcome.REDIRECT, Outcome.DUPLICATE})


@dataclass
class Tally:
    """What a run fetched: outcomes counted per page, and the final outcome of each seed (None: not yet)."""

    outcomes: Counter[str] = field(default_factory=Counter)
    seeds: dict[str, tuple[str, str] | None] = field(default_factory=dict)  # seed URL → (outcome, reason)
    redirected: dict[str, str] = field(default_factory=dict)  # a redirect's target → the seed it came from

    def add(self, url: str, outcome: str, reason: str, requisite_of: str = "") -> None:
        if requisite_of:  # a page's photo or stylesheet: not a page of the run
            return
        self.outcomes[outcome] += 1
        seed = url if url in self.seeds else self.redirected.get(url)
        if seed is None:
            return
        if outcome == Outcome.REDIRECT:
            self.redirected[reason] = seed  # the seed's fate is its target's
        else:
            self.seeds[seed] = (outcome, reason)

    @property
    def pages(self) -> int:
        return sum(n for outcome, n in self.outcomes.items() if outcome not in NOT_A_PAGE)

    @property
    def failed(self) -> int:
        return self.outcomes[Outcome.FAILED]

    def failed_seeds(self) -> dict[str, str]:
        return {url: got[1] for url, got in self.seeds.items() if got is not None and got[0] == Outcome.FAILED}


def judge(reason: str, tally: Tally, *, fail_on_failed_seeds: bool = False, max_failure_ratio: float | None = None,
          distributed: bool = False) -> tuple[RunStatus, str]:
    """The status of a run Scrapy closed with `reason`, and a one-line explanation when it is not `finished`.

    A `distributed` worker that fetched nothing and saw nothing fail is fine: the job's other workers took the
    requests (the one that fetched the failing seeds reports them)."""
    status = status_of_close_reason(reason)
    if status is not RunStatus.FINISHED:
        return status, f"close reason {reason}"
    failed_seeds = tally.failed_seeds()
    seed_failures = "; ".join(f"{url}: {why}" for url, why in list(failed_seeds.items())[:3])
    if tally.pages == tally.failed and not (distributed and tally.pages == 0):
        detail = f"every seed failed ({seed_failures})" if failed_seeds else "no page was fetched"
        return RunStatus.NOTHING_FETCHED, detail
    if fail_on_failed_seeds and failed_seeds:
        return RunStatus.FAILED_SEEDS, f"{len(failed_seeds)} of {len(tally.seeds)} seeds failed ({seed_failures})"
    if max_failure_ratio is not None and tally.failed > max_failure_ratio * tally.pages:
        return RunStatus.TOO_MANY_FAILURES, (
            f"{tally.failed} of {tally.pages} pages failed, more than the maximum ratio {max_failure_ratio:g}"
        )
    return RunStatus.FINISHED, ""


class RunHealth:
    """Always on: every run gets a status."""

    def __init__(self, crawler: Any, fail_on_failed_seeds: bool, max_failure_ratio: float | None,
                 distributed: bool = False) -> None:
        self.crawler = crawler
        self.distributed = distributed
        self.fail_on_failed_seeds = fail_on_failed_seeds
        self.max_failure_ratio = max_failure_ratio
        self.tally = Tally()

    @classmethod
    def from_crawler(cls, crawler: Any) -> RunHealth:
        settings = crawler.settings
        ratio = settings.get("MAX_FAILURE_RATIO")
        extension = cls(crawler, settings.getbool("FAIL_ON_FAILED_SEEDS"), None if ratio is None else float(ratio),
                        distributed=bool(settings.get("REDIS_URL")))
        crawler.signals.connect(extension.on_spider_opened, signal=scrapy_signals.spider_opened)
        crawler.signals.connect(extension.on_outcome, signal=page_outcome)
        crawler.signals.connect(extension.on_spider_closed, signal=scrapy_signals.spider_closed)
        return extension

    def on_spider_opened(self, spider: Any) -> None:
        seeds = spider.seeds() if hasattr(spider, "seeds") else []
        self.tally.seeds = {safe_url_string(url): None for url, _ in seeds}

    def on_outcome(self, url: str, outcome: str, reason: str = "", requisite_of: str = "") -> None:
        self.tally.add(url, outcome, reason, requisite_of)

    def on_spider_closed(self, spider: Any, reason: str) -> None:
        status, detail = judge(reason, self.tally, fail_on_failed_seeds=self.fail_on_failed_seeds,
                               max_failure_ratio=self.max_failure_ratio, distributed=self.distributed)
        self.crawler.stats.set_value(STATUS_STAT, str(status))
        if detail:
            self.crawler.stats.set_value(DETAIL_STAT, detail)
        if status is not RunStatus.FINISHED:
            logger.error("run %s: %s", status, detail)
