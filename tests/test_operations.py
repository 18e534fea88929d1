"""Operations, the pure parts: run statuses and exit codes, the run judge, settings and profile checks, the run lock
(SQLite and PostgreSQL), run counts."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import threading
from datetime import UTC, datetime, timedelta

import pytest
from scrapy.settings import Settings
from sqlalchemy import insert, select, update
from sqlalchemy.exc import OperationalError

from archive.models import RunLockRow
from archive.outcomes import Outcome
from archive.runlock import LockHeld, RunLock
from archive.runrecords import REQUISITES_FAILED_STAT, run_counts
from archive.runstatus import ExitCode, RunStatus, exit_code, status_of_close_reason
from crawler.addon import DEFAULTS, SCRAPY_DEFAULTS, apply_defaults
from crawler.runhealth import Tally, judge
from crawler.settingcheck import SettingError, check_settings, parse_size, unknown_settings
from crawler.sites import ProfileError, available_profiles, load_profile


# --- statuses and exit codes ----------------------------------------------------------------------------------------
def test_every_status_has_its_exit_code():
    assert {status: exit_code(status) for status in RunStatus} == {
        RunStatus.RUNNING: ExitCode.ERROR, RunStatus.FINISHED: 0, RunStatus.NOTHING_FETCHED: 3,
        RunStatus.FAILED_SEEDS: 4, RunStatus.TOO_MANY_FAILURES: 4, RunStatus.INTERRUPTED: 130,
        RunStatus.LOCKED: 6, RunStatus.CONFIG_ERROR: 2, RunStatus.DATABASE_UNREACHABLE: 5, RunStatus.ERROR: 1,
        RunStatus.KILLED: ExitCode.ERROR,
    }
    assert exit_code("no such status") == ExitCode.ERROR
    assert exit_code("shutdown") == ExitCode.INTERRUPTED  # a run recorded with its close reason, before statuses


@pytest.mark.parametrize(("reason", "status"), [
    ("finished", RunStatus.FINISHED), ("closespider_itemcount", RunStatus.FINISHED),
    ("shutdown", RunStatus.INTERRUPTED), ("memusage_exceeded", RunStatus.ERROR),
    ("database_unreachable", RunStatus.DATABASE_UNREACHABLE),  # the store went away once the crawl had started
])
def test_close_reasons(reason, status):
    assert status_of_close_reason(reason) == status


def tally(*outcomes: tuple[str, str, str], seeds: tuple[str, ...] = ("https://a.vn/sitemap.xml",)) -> Tally:
    result = Tally(seeds=dict.fromkeys(seeds))
    for url, outcome, reason in outcomes:
        result.add(url, outcome, reason)
    return result


def test_a_run_whose_every_seed_failed_fetched_nothing():
    status, detail = judge("finished", tally(("https://a.vn/sitemap.xml", Outcome.FAILED, "HTTP 404")))
    assert status == RunStatus.NOTHING_FETCHED
    assert "https://a.vn/sitemap.xml: HTTP 404" in detail
    assert judge("finished", Tally())[0] == RunStatus.NOTHING_FETCHED  # not even an outcome


def test_a_redirected_seed_is_judged_by_where_it_led():
    run = tally(("https://a.vn/sitemap.xml", Outcome.REDIRECT, "https://www.a.vn/sitemap.xml"),
                ("https://www.a.vn/sitemap.xml", Outcome.FAILED, "HTTP 500"),
                ("https://www.a.vn/a-1.html", Outcome.ARTICLE, ""))
    assert run.failed_seeds() == {"https://a.vn/sitemap.xml": "HTTP 500"}
    assert judge("finished", run) == (RunStatus.FINISHED, "")
    assert judge("finished", run, fail_on_failed_seeds=True)[0] == RunStatus.FAILED_SEEDS


def test_the_failure_ratio_counts_pages_not_redirects_or_duplicates():
    run = tally(("https://a.vn/sitemap.xml", Outcome.SITEMAP, ""),
                *[(f"https://a.vn/{n}", Outcome.ARTICLE, "") for n in range(3)],
                ("https://a.vn/0", Outcome.DUPLICATE, "same"), ("https://a.vn/old", Outcome.REDIRECT, "https://a.vn/1"),
                ("https://a.vn/x", Outcome.FAILED, "HTTP 404"))
    assert (run.pages, run.failed) == (5, 1)
    assert judge("finished", run, max_failure_ratio=0.2)[0] == RunStatus.FINISHED
    status, detail = judge("finished", run, max_failure_ratio=0.1)
    assert status == RunStatus.TOO_MANY_FAILURES and "1 of 5 pages failed" in detail


def test_the_failure_ratio_leaves_a_pages_photos_and_stylesheets_out():
    page = "https://a.vn/0"
    run = tally(("https://a.vn/sitemap.xml", Outcome.SITEMAP, ""), (page, Outcome.ARTICLE, ""))
    run.add("https://cdn.a.vn/1.jpg", Outcome.REQUISITE, page, requisite_of=page)
    for n in range(5):
        run.add(f"https://cdn.a.vn/gone-{n}.jpg", Outcome.FAILED, f"requisite of {page}: HTTP 404", requisite_of=page)
    assert (run.pages, run.failed) == (2, 0)
    assert judge("finished", run, max_failure_ratio=0) == (RunStatus.FINISHED, "")


def test_an_interrupted_run_stays_interrupted():
    assert judge("shutdown", tally())[0] == RunStatus.INTERRUPTED


# --- settings -------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(("text", "size"), [
    ("1GB", 10**9), ("1 GB", 10**9), ("512MiB", 512 * 2**20), ("2k", 2000), ("1000", 1000), (1000, 1000),
    ("1.5G", 1_500_000_000),
])
def test_sizes_take_units(text, size):
    assert parse_size(text) == size


def checked(**values: object) -> Settings:
    settings = Settings()
    apply_defaults(settings)
    for name, value in values.items():
        settings.set(name, value, priority="cmdline")
    check_settings(settings, DEFAULTS | SCRAPY_DEFAULTS)
    return settings


def test_settings_get_their_types_at_their_priority():
    settings = checked(WARC_MAX_SIZE="2GB", SQL_BATCH_SIZE="50", WARC_ENABLED="off", SQL_BATCH_SECONDS="0.5",
                       MAX_FAILURE_RATIO="0.25")
    assert settings["WARC_MAX_SIZE"] == 2 * 10**9 and settings.getpriority("WARC_MAX_SIZE") == 40
    assert (settings["SQL_BATCH_SIZE"], settings["WARC_ENABLED"], settings["SQL_BATCH_SECONDS"]) == (50, False, 0.5)
    assert settings["MAX_FAILURE_RATIO"] == 0.25


@pytest.mark.parametrize(("name", "value", "expected"), [
    ("SQL_BATCH_SIZE", "abc", "setting SQL_BATCH_SIZE='abc' is not a whole number"),
    ("SQL_BATCH_SIZE", "0", "is not a whole number of at least 1"),
    ("WARC_MAX_SIZE", "lots", "is not a size in bytes"),
    ("WARC_ENABLED", "maybe", "is not true or false"),
    ("SQL_BATCH_SECONDS", "soon", "is not a number"),
    ("MAX_FAILURE_RATIO", "2", "between 0 and 1"),
    ("WARC_DIGEST", "md5", "one of sha1, sha256"),
])
def test_a_bad_setting_is_one_clear_error(name, value, expected):
    with pytest.raises(SettingError) as error:
        checked(**{name: value})
    assert expected in str(error.value)


def test_environment_sizes_with_units_work(monkeypatch):
    monkeypatch.setenv("NEWSARCHIVE_WARC_MAX_SIZE", "1GB")
    monkeypatch.setenv("NEWSARCHIVE_SQL_ENABLED", "no")
    settings = checked()
    assert (settings["WARC_MAX_SIZE"], settings["SQL_ENABLED"]) == (10**9, False)


def test_unknown_setting_names_are_warned_with_the_nearest_known():
    warnings = unknown_settings(["WARC_MAX_SIZ", "DOWNLOAD_DELAY", "SQL_BATCH_SIZE", "ZZZ_QQQ"], DEFAULTS)
    assert len(warnings) == 2
    assert "unknown setting WARC_MAX_SIZ (did you mean WARC_MAX_SIZE?)" in warnings[0]
    assert warnings[1].startswith("unknown setting ZZZ_QQQ:")


# --- profiles -------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(("content", "expected"), [
    ('name = "x"\nbase_url = "https://x.vn/"\ntimezon = "Asia/Ho_Chi_Minh"\n',
     "p.toml, line 3: key 'timezon': unknown key (did you mean timezone?)"),
    ('name = "x"\ntimezone = "Mars/Base"\n', "p.toml, line 2: key 'timezone': unknown time zone 'Mars/Base'"),
    ('name = "x"\nfeeds = "https://x.vn/rss"\n', "p.toml, line 2: key 'feeds': expected a list of strings"),
    ('name = "x"\narticle_patterns = ["(unclosed"]\n', "p.toml, line 2: key 'article_patterns': '(unclosed' is not"),
    ('name = "x"\n[selectors]\nheadline = "h1"\n', "p.toml, line 3: key 'headline': unknown selector field"),
    ('name = "x"\ndate_order = "XYZ"\n', "p.toml, line 2: key 'date_order': expected one of DMY, MDY, YMD"),
    ('name = "x\n', "p.toml: not valid TOML: "),
])
def test_a_bad_profile_names_file_line_and_key(tmp_path, monkeypatch, content, expected):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "p.toml").write_text(content, encoding="utf-8")
    with pytest.raises(ProfileError) as error:
        load_profile("p.toml")
    assert str(error.value).startswith(expected)


def test_an_unknown_profile_name_suggests_the_nearest():
    with pytest.raises(ProfileError, match="unknown site profile 'baonghen': did you mean baonghean"):
        load_profile("baonghen")
    with pytest.raises(ProfileError, match=r"no profile file missing\.toml"):
        load_profile("missing.toml")
    assert all(load_profile(name).name == name for name in available_profiles())


# --- the run lock ---------------------------------------------------------------------------------------------------
def test_a_second_run_of_a_site_is_refused_until_the_first_releases(store):
    first = RunLock(store.engine, "baonghean").acquire()
    with first, pytest.raises(LockHeld, match=f"another run of baonghean holds the lock.*pid {os.getpid()}"):
        RunLock(store.engine, "baonghean").acquire()
    with RunLock(store.engine, "vnexpress").acquire():  # another site is another lock
        pass
    with RunLock(store.engine, "baonghean").acquire():  # released
        pass
    with store.engine.connect() as connection:
        assert connection.execute(select(RunLockRow)).all() == []


def test_workers_of_one_distributed_job_share_the_lock(store):
    with RunLock(store.engine, "baonghean", job="j1").acquire(), RunLock(store.engine, "baonghean", job="j1").acquire():
        with pytest.raises(LockHeld, match=r"\(job j1\)"):
            RunLock(store.engine, "baonghean", job="j2").acquire()
        with pytest.raises(LockHeld):
            RunLock(store.engine, "baonghean").acquire()


def dead_pid() -> int:
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


def plant_holder(store, *, host: str, pid: int, heartbeat_age: float) -> None:
    beat = datetime.now(UTC) - timedelta(seconds=heartbeat_age)
    with store.engine.begin() as connection:
        connection.execute(insert(RunLockRow).values(site="baonghean", job="", host=host, pid=pid, token=host + "x",
                                                     acquired_at=beat, heartbeat_at=beat))


def test_the_lock_of_a_killed_run_on_this_host_is_taken_over(store, caplog):
    plant_holder(store, host=RunLock(store.engine, "x").host, pid=dead_pid(), heartbeat_age=1)
    with RunLock(store.engine, "baonghean").acquire():
        assert "taking over the lock of baonghean from a run that is gone" in caplog.text


def test_a_lock_without_heartbeat_is_taken_over_and_a_live_one_is_not(store):
    plant_holder(store, host="elsewhere", pid=1, heartbeat_age=30)
    with pytest.raises(LockHeld, match="pid 1 on elsewhere"):
        RunLock(store.engine, "baonghean", stale_after=120).acquire()
    with store.engine.begin() as connection:
        connection.execute(update(RunLockRow).values(heartbeat_at=datetime.now(UTC) - timedelta(seconds=300)))
    with RunLock(store.engine, "baonghean", stale_after=120).acquire():
        pass


@pytest.mark.slow
def test_the_heartbeat_keeps_a_long_run_fresh(store):
    with RunLock(store.engine, "baonghean", stale_after=0.6, heartbeat_every=0.1).acquire() as lock:
        threading.Event().wait(1.0)  # longer than stale_after: only the heartbeat keeps the lock alive
        with pytest.raises(LockHeld):
            RunLock(store.engine, "baonghean", stale_after=0.6).acquire()
        assert lock.site == "baonghean"


def test_a_heartbeat_outage_is_logged_when_it_starts_and_ends_not_at_every_beat(store, caplog, monkeypatch):
    caplog.set_level(logging.INFO, logger="archive.runlock")
    with RunLock(store.engine, "baonghean", heartbeat_every=0.02).acquire() as lock:
        beats, begin = threading.Semaphore(0), lock.engine.begin

        def unreachable():
            beats.release()
            raise OperationalError("UPDATE run_locks", {}, ConnectionError("server closed the connection"))

        monkeypatch.setattr(lock.engine, "begin", unreachable)
        for _ in range(5):
            assert beats.acquire(timeout=30)
        monkeypatch.setattr(lock.engine, "begin", begin)
        for _ in range(1500):
            if "refreshed again" in caplog.text:
                break
            threading.Event().wait(0.02)
    assert caplog.text.count("cannot refresh the lock of baonghean: server closed the connection") == 1
    assert "the lock of baonghean is refreshed again" in caplog.text


def test_wait_queues_until_the_lock_is_free(store):
    first = RunLock(store.engine, "baonghean").acquire()
    waited = []
    threading.Timer(0.3, first.release).start()
    with RunLock(store.engine, "baonghean").acquire(wait=True, poll=0.1, on_wait=waited.append):
        pass
    assert len(waited) == 1 and isinstance(waited[0], LockHeld)


# --- run counts -----------------------------------------------------------------------------------------------------
def test_run_counts_come_from_the_stores_counters():
    counts = run_counts({"response_received_count": 10, "newsarchive/sql/articles_new": 7,
                         "newsarchive/sql/articles_unchanged": 1, "newsarchive/sql/duplicates_near": 1,
                         "newsarchive/duplicates/url_in_run": 1, "newsarchive/outcome/failed": 2,
                         "item_scraped_count": 9, "warc/payload_bytes": 1234})
    assert counts == {"pages fetched": 10, "articles new": 7, "articles changed": 0, "articles unchanged": 1,
                      "articles refused": 0, "duplicates": 2, "pages failed": 2, "requisites failed": 0,
                      "bytes archived": 1234}
    # a page's photos and stylesheets that failed are failures of their own, not failed pages
    both = run_counts({"newsarchive/outcome/failed": 5, REQUISITES_FAILED_STAT: 3})
    assert (both["pages failed"], both["requisites failed"]) == (2, 3)
