"""`newsarchive crawl` as a scheduler sees it: one exit code per way a run ends, the same status on the run record,
one line (and a hint) for every user mistake, and the lock that keeps two runs of a site apart."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import create_engine, select

from archive.models import CaptureRow, CrawlRun, RunLockRow
from archive.runlock import RunLock
from archive.runstatus import ExitCode, RunStatus
from archive.store import ArchiveStore
from crawler.newsroom import Newsroom, serve

ROOT = Path(__file__).resolve().parent.parent
FAST = ["-s", "AUTOTHROTTLE_ENABLED=false", "-s", "LOG_LEVEL=WARNING"]
SLOW = ["-s", "AUTOTHROTTLE_ENABLED=false", "-s", "LOG_LEVEL=WARNING", "-s", "DOWNLOAD_DELAY=0.4",
        "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=1", "-s", "SQL_BATCH_SECONDS=0.2"]

pytestmark = pytest.mark.integration  # every test runs the command line in a process of its own


def command(*args: str) -> list[str]:
    return [sys.executable, "-m", "crawler.cli", *args]


def environment(**extra: str) -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(ROOT), **extra}


def newsarchive(*args: str, cwd: Path, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(command(*args), cwd=cwd, env=environment(**env), capture_output=True, text=True,
                          timeout=300)


def statuses(db_url: str) -> list[str]:
    engine = create_engine(db_url)
    with engine.connect() as connection:
        found = list(connection.scalars(select(CrawlRun.status).order_by(CrawlRun.id)))
    engine.dispose()
    return found


def assert_one_clear_line(result: subprocess.CompletedProcess, code: int, message: str) -> None:
    """Exit `code`; stderr is `error: <message...>` and perhaps a hint, nothing else, no traceback."""
    assert result.returncode == code, result.stderr[-3000:]
    lines = result.stderr.strip().splitlines()
    assert "Traceback" not in result.stderr and "Unhandled error" not in result.stderr, result.stderr
    assert lines[0].startswith("error: ") and message in lines[0], result.stderr
    assert len(lines) <= 2 and all(line.startswith("hint: ") for line in lines[1:]), result.stderr


@pytest.fixture(scope="module")
def site():
    newsroom = Newsroom(articles=20, seed=11)
    with serve(newsroom) as base_url:
        newsroom.base_url = base_url
        yield newsroom


# --- a run that did its job, and runs that did not ------------------------------------------------------------------
def test_a_good_run_exits_0_and_is_recorded_finished(site, tmp_path):
    db_url = f"sqlite:///{tmp_path / 'a.db'}"
    result = newsarchive("crawl", "--sitemap", f"{site.base_url}/sitemap.xml", "--db", db_url, "--allow-private",
                         *FAST, cwd=tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    assert statuses(db_url) == ["finished"]


@pytest.mark.parametrize(("seed", "allow_private", "reason"), [
    ("{base}/no-such-sitemap.xml", True, "HTTP 404"),
    ("http://127.0.0.1:9/sitemap.xml", True, "Connection was refused"),  # nothing listens on port 9
    ("{base}/sitemap.xml", False, "is a loopback, private or link-local address"),
    ("ftp://127.0.0.1/sitemap.xml", True, "scheme 'ftp' is not crawled"),
], ids=["404-sitemap", "unreachable-host", "refused-private-host", "ftp-url"])
def test_a_run_that_fetched_nothing_exits_3(site, tmp_path, seed, allow_private, reason):
    db_url = f"sqlite:///{tmp_path / 'a.db'}"
    flags = ["--allow-private"] if allow_private else []
    result = newsarchive("crawl", "--sitemap", seed.format(base=site.base_url), "--db", db_url, *flags, *FAST,
                         cwd=tmp_path)
    assert result.returncode == ExitCode.NOTHING_FETCHED, result.stderr[-3000:]
    assert "nothing_fetched: every seed failed" in result.stderr and reason in result.stderr
    assert statuses(db_url) == ["nothing_fetched"]


def test_failure_thresholds_exit_4(site, tmp_path):
    db_url = f"sqlite:///{tmp_path / 'a.db'}"
    seeds = ["--sitemap", f"{site.base_url}/sitemap.xml", "--feed", f"{site.base_url}/no-such-feed.rss"]
    relaxed = newsarchive("crawl", *seeds, "--db", db_url, "--allow-private", *FAST, cwd=tmp_path)
    assert relaxed.returncode == 0, relaxed.stderr[-3000:]  # one seed failed, the run did its job
    strict = newsarchive("crawl", *seeds, "--db", db_url, "--allow-private", "--fail-on-failed-seeds", *FAST,
                         cwd=tmp_path)
    assert strict.returncode == ExitCode.FAILURE_THRESHOLD, strict.stderr[-3000:]
    assert f"1 of 2 seeds failed ({site.base_url}/no-such-feed.rss: HTTP 404)" in strict.stderr
    ratio = newsarchive("crawl", *seeds, "--db", db_url, "--allow-private", "--max-failure-ratio", "0", *FAST,
                        cwd=tmp_path)
    assert ratio.returncode == ExitCode.FAILURE_THRESHOLD, ratio.stderr[-3000:]
    assert "more than the maximum ratio 0" in ratio.stderr
    assert statuses(db_url) == ["finished", "failed_seeds", "too_many_failures"]


def wait_for(condition, what: str, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"gave up waiting for {what}"
        time.sleep(0.1)


def rows_of(db_url: str, model) -> int:
    engine = create_engine(db_url)
    try:
        with engine.connect() as connection:
            return len(connection.execute(select(model)).all())
    except Exception:  # the schema is not there yet
        return 0
    finally:
        engine.dispose()


def test_an_interrupted_run_exits_130(site, tmp_path):
    db_url = f"sqlite:///{tmp_path / 'a.db'}"
    crawl = subprocess.Popen(command("crawl", "--sitemap", f"{site.base_url}/sitemap.xml", "--db", db_url,
                                     "--allow-private", *SLOW), cwd=tmp_path, env=environment(),
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    wait_for(lambda: rows_of(db_url, CaptureRow) > 0 or crawl.poll() is not None, "the crawl's first capture")
    crawl.send_signal(signal.SIGTERM)
    _, err = crawl.communicate(timeout=120)
    assert crawl.returncode == ExitCode.INTERRUPTED, err[-3000:]
    assert statuses(db_url) == ["interrupted"]


# --- user mistakes: one line, a hint, no traceback ------------------------------------------------------------------
NOWHERE = ["--sitemap", "http://127.0.0.1:9/sitemap.xml"]  # a crawl that passed its checks would fetch nothing
PROFILE_TYPO = 'name = "mysite"\nbase_url = "https://mysite.vn/"\nfeed = ["https://mysite.vn/rss"]\n'
PROFILE_ZONE = 'name = "mysite"\ntimezone = "Asia/Hanoi City"\n'
PROFILE_SYNTAX = 'name = "mysite"\ndomains = ["mysite.vn"\n'


@pytest.mark.parametrize(("args", "env", "message"), [
    (["crawl", "nosuchsite"], {}, "unknown site profile 'nosuchsite': known profiles: baonghean"),
    (["crawl", "typo.toml"], {}, "typo.toml, line 3: key 'feed': unknown key (did you mean feeds?)"),
    (["crawl", "zone.toml"], {}, "zone.toml, line 2: key 'timezone': unknown time zone 'Asia/Hanoi City'"),
    (["crawl", "syntax.toml"], {}, "syntax.toml: not valid TOML"),
    (["crawl", *NOWHERE, "-s", "SQL_BATCH_SIZE=abc"], {}, "setting SQL_BATCH_SIZE='abc' is not a whole number"),
    (["crawl", *NOWHERE], {"NEWSARCHIVE_WARC_MAX_SIZE": "a lot"}, "setting WARC_MAX_SIZE='a lot' is not a size"),
    (["stats"], {"NEWSARCHIVE_SQL_BATCH_SECONDS": "soon"}, "setting SQL_BATCH_SECONDS='soon' is not a number"),
    (["crawl", *NOWHERE, "--db", "sqlite:///old.db"], {}, "the archive's schema is at revision 0002"),
], ids=["unknown-site", "profile-typo", "profile-zone", "profile-syntax", "bad-int", "bad-size", "bad-float",
        "old-schema"])
def test_a_user_mistake_is_one_line_and_exit_2(tmp_path, args, env, message):
    (tmp_path / "typo.toml").write_text(PROFILE_TYPO, encoding="utf-8")
    (tmp_path / "zone.toml").write_text(PROFILE_ZONE, encoding="utf-8")
    (tmp_path / "syntax.toml").write_text(PROFILE_SYNTAX, encoding="utf-8")
    ArchiveStore(f"sqlite:///{tmp_path / 'old.db'}").downgrade("0002")
    assert_one_clear_line(newsarchive(*args, cwd=tmp_path, **env), ExitCode.CONFIG_ERROR, message)


def test_an_unreachable_database_exits_5(tmp_path):
    result = newsarchive("crawl", *NOWHERE, "--db", "postgresql+psycopg://nobody@127.0.0.1:9/archive",
                         cwd=tmp_path)
    assert_one_clear_line(result, ExitCode.DATABASE_UNREACHABLE, "cannot reach database")


def test_an_unreachable_redis_exits_5(tmp_path):
    result = newsarchive("crawl", *NOWHERE, "--redis", "redis://127.0.0.1:9/0", "--job", "j", cwd=tmp_path)
    assert_one_clear_line(result, ExitCode.DATABASE_UNREACHABLE, "cannot reach Redis at redis://127.0.0.1:9/0")


def test_sizes_with_units_and_unknown_names(site, tmp_path):
    result = newsarchive("crawl", "--sitemap", f"{site.base_url}/sitemap.xml", "--allow-private", *FAST,
                         "-s", "WARC_MAX_SIZ=1GB", "--max-articles", "3", cwd=tmp_path, NEWSARCHIVE_WARC_MAX_SIZE="1GB")
    assert result.returncode == 0, result.stderr[-3000:]
    assert "warning: unknown setting WARC_MAX_SIZ (did you mean WARC_MAX_SIZE?)" in result.stderr
    negative = newsarchive("crawl", *NOWHERE, "--max-articles", "-1", cwd=tmp_path)
    assert negative.returncode == ExitCode.CONFIG_ERROR and "Traceback" not in negative.stderr
    assert "-1 is not in the range x>=1" in negative.stderr


def test_selectors_that_never_matched_are_reported(site, tmp_path):
    (tmp_path / "newsroom.toml").write_text(
        f'name = "newsroom"\nbase_url = "{site.base_url}/"\ndomains = ["127.0.0.1"]\n'
        '[selectors]\ntitle = "h1"\nlead = "p.no-such-class"\n', encoding="utf-8")
    result = newsarchive("crawl", "newsroom.toml", "--allow-private", "--max-articles", "5", *FAST, cwd=tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "warning: profile selectors that never matched: lead = 'p.no-such-class'" in result.stderr
    assert "title = 'h1'" not in result.stderr


# --- the lock -------------------------------------------------------------------------------------------------------
def test_a_run_while_another_holds_the_lock_exits_6_or_waits(site, tmp_path):
    db_url = f"sqlite:///{tmp_path / 'a.db'}"
    store = ArchiveStore(db_url)
    holder = RunLock(store.engine, "127.0.0.1").acquire()  # the site of an ad-hoc crawl is its first host
    crawl = ["crawl", "--sitemap", f"{site.base_url}/sitemap.xml", "--db", db_url, "--allow-private", *FAST]
    with holder:
        refused = newsarchive(*crawl, cwd=tmp_path)
        assert_one_clear_line(refused, ExitCode.LOCKED, "another run of 127.0.0.1 holds the lock on this archive")
        waiting = subprocess.Popen(command(*crawl, "--wait"), cwd=tmp_path, env=environment(),
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        assert waiting.stderr is not None
        assert waiting.stderr.readline().startswith("waiting: another run of 127.0.0.1 holds the lock")
    _, err = waiting.communicate(timeout=300)
    assert waiting.returncode == 0, err[-3000:]
    assert statuses(db_url) == ["locked", "finished"]
    store.close()


@pytest.mark.parametrize("database_url", ["sqlite", pytest.param("postgresql", marks=pytest.mark.services)],
                         indirect=True)
def test_two_overlapping_runs_fetch_each_article_once(database_url, tmp_path):
    newsroom = Newsroom(articles=20, seed=12)
    with serve(newsroom) as base_url:
        crawl = command("crawl", "--sitemap", f"{base_url}/sitemap.xml", "--db", database_url, "--allow-private",
                        "--wait", *SLOW)
        runs = [subprocess.Popen(crawl, cwd=tmp_path, env=environment(), stdout=subprocess.PIPE,
                                 stderr=subprocess.PIPE, text=True) for _ in range(2)]
        errors = [run.communicate(timeout=300)[1] for run in runs]
        articles = Counter(r.target for r in newsroom.request_log if r.kind == "article" and r.status == 200)
    assert [run.returncode for run in runs] == [0, 0], errors
    assert sum("waiting: another run of 127.0.0.1" in err for err in errors) == 1  # the second queued
    assert len(articles) == len(newsroom.stories) and set(articles.values()) == {1}
    assert statuses(database_url) == [RunStatus.FINISHED] * 2
    assert rows_of(database_url, RunLockRow) == 0


def test_import_of_an_archive_without_responses_exits_3(tmp_path):
    from warcio.warcwriter import WARCWriter

    archive = tmp_path / "empty.warc.gz"
    with archive.open("wb") as out:
        writer = WARCWriter(out, gzip=True)
        writer.write_record(writer.create_warcinfo_record("empty.warc.gz", {"software": "a test"}))
    result = newsarchive("import-warc", str(archive), "--db", f"sqlite:///{tmp_path / 'a.db'}", cwd=tmp_path)
    assert_one_clear_line(result, int(ExitCode.NOTHING_FETCHED), "no HTTP response in")
