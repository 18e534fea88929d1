"""The extraction worker pool: processes that die with the crawler.

The spider extracts articles in a `ProcessPoolExecutor` started with the forkserver method (workers do not inherit
the reactor's threads and sockets). When the crawler is killed (kill -9, the OOM killer) nothing shuts the pool
down, and the workers' parent is the forkserver, not the crawler: the workers would wait on their queue for ever,
and the forkserver and the resource tracker with them (each worker holds the pipe whose closing ends the
forkserver). So each worker watches the crawler's process (a pidfd on Linux, immune to pid reuse; else a poll
every second) from a thread and exits the moment it is gone; the forkserver and the resource tracker then end
on their own.

The pool runs `finish_in_worker`: extraction (`extract_in_worker`, which tells a page over its time budget from
one that is no article), then the one finishing path (`crawler.finish`) and the page's requisites
(`crawler.requisites`, read from the tree the extraction parsed), so that none of that work, nor a second parse of
the page, falls on the crawl's process, whose one thread of Python runs every download, record and item of the
crawl.
"""

from __future__ import annotations

import multiprocessing
import os
import select
import threading
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from archive.processes import process_exists
from archive.records import Article, NotAnArticle, WarcPointer
from crawler.requisites import Requisite, page_requisites
from crawler.sites import SiteProfile

if TYPE_CHECKING:
    from crawler.extract import ExtractedPage

PARENT_POLL_SECONDS = 1.0  # where pidfds are missing
# What the workers run: imported by the forkserver before it forks a worker (each starts with it loaded), and by
# the functions below where they run. The crawl's process, which only hands pages over, never loads the extractor
# nor its date parsers (~0.3 s of every crawl's start).
WORKER_MODULES = ("crawler.extract", "crawler.finish")


def die_with(crawler_pid: int) -> None:
    """Pool initializer: the worker exits as soon as the process `crawler_pid` is gone."""
    try:
        pidfd = os.pidfd_open(crawler_pid) if hasattr(os, "pidfd_open") else None
    except ProcessLookupError:
        os._exit(1)  # the crawler died before this worker started
    except OSError:  # pidfds refused (old kernel, seccomp): poll instead
        pidfd = None
    threading.Thread(target=_watch, args=(crawler_pid, pidfd), name="newsarchive-parent-watch", daemon=True).start()


def _watch(crawler_pid: int, pidfd: int | None) -> None:
    if pidfd is not None:
        select.select([pidfd], [], [])  # readable once the process has exited
    else:
        while process_exists(crawler_pid):
            threading.Event().wait(PARENT_POLL_SECONDS)
    os._exit(1)


class ExtractionOverBudget(Exception):
    """A page whose extraction ran over its time budget: a failure of the page, retried by a later run, not a
    verdict that it is no article."""


def extract_in_worker(body: bytes, url: str, **arguments: Any) -> ExtractedPage:
    """`crawler.extract.extract_page` as the pool runs it; a page over its time budget raises
    `ExtractionOverBudget` with the extractor's reason (the cause a `NotAnArticle` carries is lost on its way back
    from the worker)."""
    from crawler.extract import extract_page
    from crawler.extract.budget import ExtractionTimeout

    try:
        return extract_page(body, url, **arguments)
    except NotAnArticle as exc:
        if isinstance(exc.__cause__, ExtractionTimeout):
            raise ExtractionOverBudget(str(exc)) from None
        raise


class UnarchivableUrl(Exception):
    """An article whose URL cannot be an archive key (`crawler.finish.finish_article` refused it)."""


@dataclass(frozen=True)
class FinishedPage:
    """What a worker makes of an article page: the record finished for the archive, and the page's requisites."""

    article: Article
    requisites: list[Requisite]


def finish_in_worker(
    body: bytes,
    url: str,
    *,
    profile: SiteProfile,
    fetched_at: datetime,
    warc: WarcPointer | None,
    encoding: str | None,
    time_limit: float,
    requisites: bool,
    every_image: bool,
) -> FinishedPage:
    """The article of the page extracted (`extract_in_worker`) and finished (`crawler.finish`), with its
    requisites when `requisites` (`crawler.requisites`; `every_image`: every image of the page too)."""
    from crawler.finish import finish_article

    page = extract_in_worker(
        body, url, profile=profile, encoding=encoding, fetched_at=fetched_at, time_limit=time_limit
    )
    article = page.article
    try:
        finish_article(article, profile, fetched_at=fetched_at, warc=warc)
    except ValueError as exc:
        raise UnarchivableUrl(str(exc)) from None
    needed = page_requisites(page.tree, url, article, every_image=every_image) if requisites else []
    return FinishedPage(article, needed)


def discard_broken_pool(pool: ProcessPoolExecutor) -> None:
    """Shut down a pool one of whose workers died, killing the workers still alive.

    The pool's own clean-up terminates its workers when it finds one dead, but a worker it starts for a page
    submitted in that same moment escapes it: the pool then waits for that worker at exit, and the worker waits
    for the crawler to exit — a crawl that never ends. Called from the thread that submits pages, after the
    failure reached it, so every worker the pool started is known here."""
    workers = list((pool._processes or {}).values())  # the pool's own table: no public way to its processes
    pool.shutdown(wait=False, cancel_futures=True)
    for worker in workers:
        if worker.is_alive():
            worker.kill()


def start_worker(crawler_pid: int, niceness: int) -> None:
    """Pool initializer: the worker runs `niceness` steps below the crawler's priority and dies with it."""
    if niceness > 0 and hasattr(os, "nice"):
        os.nice(niceness)
    die_with(crawler_pid)


def extraction_pool(workers: int, niceness: int = 0) -> ProcessPoolExecutor:
    """A pool of `workers` extraction processes (forkserver), each dying with the process that made the pool and
    running `niceness` steps below its priority.

    The forkserver imports the extractor once, before it forks a worker: each worker starts with it loaded (no
    import of lxml, trafilatura and dateparser per worker) and its pages shared with the others. Every page and
    record of the crawl passes through the crawler's one thread of Python, while a page waiting for a worker only
    waits: with the workers a few steps nicer, the crawler gets a core first when they compete for one, and the
    workers use what it leaves."""
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["__main__", "crawler.workers", *WORKER_MODULES])
    return ProcessPoolExecutor(max_workers=workers, mp_context=context, initializer=start_worker,
                               initargs=(os.getpid(), niceness))
