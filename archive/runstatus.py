"""How a crawl run ended: the status recorded in `crawl_runs.status` and the exit code of `newsarchive crawl`.

One place for both, so a scheduler (cron, systemd, scrapyd's caller) and a person reading `newsarchive runs` see
the same verdict. Values are part of the archive's format: add, never rename.
"""

from __future__ import annotations

from enum import IntEnum, StrEnum


class RunStatus(StrEnum):
    RUNNING = "running"  # not finished (or the process died and no run of the site has started since)
    KILLED = "killed"  # the process died without closing the run (kill -9, a crash): found by the next start
    FINISHED = "finished"  # the run did its job
    NOTHING_FETCHED = "nothing_fetched"  # every seed failed: no page could be fetched
    FAILED_SEEDS = "failed_seeds"  # a seed failed and FAIL_ON_FAILED_SEEDS is on
    TOO_MANY_FAILURES = "too_many_failures"  # more failed pages than MAX_FAILURE_RATIO allows
    INTERRUPTED = "interrupted"  # stopped by SIGINT/SIGTERM: what was fetched is archived, the run is incomplete
    LOCKED = "locked"  # another run of the same site on the same archive holds the lock
    CONFIG_ERROR = "config_error"  # a mistake in the command, a setting or a site profile
    DATABASE_UNREACHABLE = "database_unreachable"
    ERROR = "error"  # anything else: an unexpected close reason or a crash


class ExitCode(IntEnum):
    """Exit codes of `newsarchive crawl` (README, "Exit codes")."""

    OK = 0
    ERROR = 1
    CONFIG_ERROR = 2  # also click's code for a usage error
    NOTHING_FETCHED = 3
    FAILURE_THRESHOLD = 4
    DATABASE_UNREACHABLE = 5
    LOCKED = 6
    INTERRUPTED = 130  # the shell's code for a stop by SIGINT


EXIT_CODES: dict[RunStatus, ExitCode] = {
    RunStatus.FINISHED: ExitCode.OK,
    RunStatus.NOTHING_FETCHED: ExitCode.NOTHING_FETCHED,
    RunStatus.FAILED_SEEDS: ExitCode.FAILURE_THRESHOLD,
    RunStatus.TOO_MANY_FAILURES: ExitCode.FAILURE_THRESHOLD,
    RunStatus.INTERRUPTED: ExitCode.INTERRUPTED,
    RunStatus.LOCKED: ExitCode.LOCKED,
    RunStatus.CONFIG_ERROR: ExitCode.CONFIG_ERROR,
    RunStatus.DATABASE_UNREACHABLE: ExitCode.DATABASE_UNREACHABLE,
    RunStatus.ERROR: ExitCode.ERROR,
    RunStatus.RUNNING: ExitCode.ERROR,
    RunStatus.KILLED: ExitCode.ERROR,
}

# Scrapy close reasons of a run that did its job: it ran out of work or reached a limit it was given.
COMPLETE_REASONS = frozenset(
    {"finished", "closespider_itemcount", "closespider_pagecount", "closespider_timeout", "max_articles"}
)
INTERRUPT_REASONS = frozenset({"shutdown", "cancelled"})


def exit_code(status: str) -> ExitCode:
    """The exit code of a run recorded with `status`; runs recorded before statuses existed hold Scrapy's close
    reason (`shutdown`, `closespider_itemcount`), read as such (anything else is an error)."""
    try:
        return EXIT_CODES[RunStatus(status)]
    except ValueError:
        return EXIT_CODES[status_of_close_reason(status)]


def status_of_close_reason(reason: str) -> RunStatus:
    """The status of a run Scrapy closed with `reason`, before the failure thresholds are looked at."""
    if reason in COMPLETE_REASONS:
        return RunStatus.FINISHED
    if reason in INTERRUPT_REASONS:
        return RunStatus.INTERRUPTED
    if reason == RunStatus.DATABASE_UNREACHABLE:  # the store went away after the command's own check
        return RunStatus.DATABASE_UNREACHABLE
    return RunStatus.ERROR
