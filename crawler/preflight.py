"""What `newsarchive crawl` checks before anything starts.

Every check turns a mistake into a `crawler.commanderror.CommandError`: one line saying what is wrong, a hint
saying what to do, and the exit code of its `archive.runstatus.RunStatus` (configuration error, database
unreachable, locked), never a traceback. The settings (types, sizes, unknown names), the site profile, Redis in
distributed mode, the database and its schema are checked, then the run lock of the site is taken
(`archive.runlock`), so a crawl that starts is one that can finish.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import click

from archive.db import DatabaseUnreachable
from archive.runlock import LockHeld, RunLock
from archive.runstatus import RunStatus
from archive.store import ArchiveStore, StoreUnavailable
from crawler.addon import DEFAULTS, SCRAPY_DEFAULTS, check_distributed_mode
from crawler.commanderror import CommandError
from crawler.settingcheck import check_settings, unknown_settings
from crawler.sites import SiteProfile, load_profile

logger = logging.getLogger(__name__)


def check_crawl_settings(settings: Any, given: list[str]) -> None:
    """Check the crawl's settings (raising `SettingError`) and warn of each `-s` name nobody reads."""
    check_settings(settings, DEFAULTS | SCRAPY_DEFAULTS)
    check_distributed_mode(settings)
    for warning in unknown_settings(given, DEFAULTS | SCRAPY_DEFAULTS):
        click.echo(f"warning: {warning}", err=True)


def crawl_profile(site: str | None, urls: list[str]) -> SiteProfile:
    """The profile the spider will crawl with (`spiders.news`): SITE's, else one made for the URLs given."""
    return load_profile(site) if site else SiteProfile.ad_hoc(urls)


def open_archive(database_url: str) -> ArchiveStore:
    """The archive store, its schema at head; a `CommandError` if it cannot be used."""
    try:
        store = ArchiveStore(database_url)
    except DatabaseUnreachable as exc:
        raise CommandError(str(exc), RunStatus.DATABASE_UNREACHABLE,
                           hint="is the database server running, and the URL (--db, DATABASE_URL) right?") from None
    except StoreUnavailable as exc:
        raise CommandError(str(exc), hint="check --db / DATABASE_URL") from None
    current, head = store.current_revision(), store.head_revision()
    if current != head:
        store.close()
        raise CommandError(f"the archive's schema is at revision {current}, this newsarchive needs {head}",
                           hint="run `newsarchive db upgrade` (with the same --db)")
    return store


def redis_client(url: str) -> Any:
    """A client of the Redis at `url` that answered; a `CommandError` if it did not, or if redis is missing."""
    try:
        import redis
    except ImportError:
        raise CommandError("distributed mode needs the redis package",
                           hint="pip install 'newsarchive[redis]'") from None
    client = redis.Redis.from_url(url)
    try:
        client.ping()
    except (redis.RedisError, ValueError) as exc:
        raise CommandError(f"cannot reach Redis at {url}: {exc}", RunStatus.DATABASE_UNREACHABLE,
                           hint="is redis-server running, and --redis / REDIS_URL right?") from None
    return client


@contextmanager
def site_lock(store: ArchiveStore, site: str, *, job: str, wait: bool, stale_after: float,
              arguments: dict[str, Any]) -> Iterator[RunLock]:
    """Hold the run lock of `site` on the archive for the block; without `wait`, a held lock is a `CommandError`
    (exit code 6), recorded as a run with the status `locked`."""

    def waiting(held: LockHeld) -> None:
        click.echo(f"waiting: {held}", err=True)

    lock = RunLock(store.engine, site, job=job, stale_after=stale_after, heartbeat_every=stale_after / 4)
    try:
        lock.acquire(wait=wait, on_wait=waiting)
    except LockHeld as held:
        run_id = store.start_run(site, arguments)
        store.finish_run(run_id, {}, RunStatus.LOCKED)
        raise CommandError(str(held), RunStatus.LOCKED,
                           hint="use --wait to start when it ends; a killed run's lock is taken over "
                                f"after {stale_after:g} s without a heartbeat") from None
    with lock:
        yield lock
