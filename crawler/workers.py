"""The extraction worker pool: processes that die with the crawler.

The spider extracts articles in a `ProcessPoolExecutor` started with the forkserver method (workers do not inherit
the reactor's threads and sockets). When the crawler is killed (kill -9, the OOM killer) nothing shuts the pool
down, and the workers' parent is the forkserver, not the crawler: the workers would wait on their queue for ever,
and the forkserver and the resource tracker with them (each worker holds the pipe whose closing ends the
forkserver). So each worker watches the crawler's process (a pidfd on Linux, immune to pid reuse; else a poll
every second) from a thread and exits the moment it is gone; the forkserver and the resource tracker then end
on their own. The pool runs `extract_in_worker`, which tells a page over its time budget from one that is no
article.
"""

from __future__ import annotations

import multiprocessing
import os
import select
import threading
from concurrent.futures import ProcessPoolExecutor
from typing import Any

from archive.records import Article, NotAnArticle
from archive.runlock import process_exists
from crawler.extract import extract_article
from crawler.extract.budget import ExtractionTimeout

PARENT_POLL_SECONDS = 1.0  # where pidfds are missing


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


def extract_in_worker(body: bytes, url: str, **arguments: Any) -> Article:
    """`crawler.extract.extract_article` as the pool runs it; a page over its time budget raises
    `ExtractionOverBudget` with the extractor's reason (the cause a `NotAnArticle` carries is lost on its way back
    from the worker)."""
    try:
        return extract_article(body, url, **arguments)
    except NotAnArticle as exc:
        if isinstance(exc.__cause__, ExtractionTimeout):
            raise ExtractionOverBudget(str(exc)) from None
        raise


def extraction_pool(workers: int) -> ProcessPoolExecutor:
    """A pool of `workers` extraction processes (forkserver), each dying with the process that made the pool.

    The forkserver imports the extractor once, before it forks a worker: each worker starts with it loaded (no
    import of lxml, trafilatura and dateparser per worker) and its pages shared with the others."""
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["__main__", "crawler.extract"])
    return ProcessPoolExecutor(max_workers=workers, mp_context=context, initializer=die_with,
                               initargs=(os.getpid(),))
