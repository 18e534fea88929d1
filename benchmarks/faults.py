"""The slow fault scenarios: crawls of loopback sites under faults, each followed by the runs that must repair it,
then a table: scenario, articles expected / stored / archived, rows without a WARC record, crashes.

    python benchmarks/faults.py [--articles 150] [--only NAME ...] [--million-urls 1000000] [--sigint-after 20]
                                [--workers 2]

- `kill-9`: a crawl killed with SIGKILL at a random moment, five times in a row, then one run to the end; also
  counts the processes a killed crawl left behind and the runs the next start marked `killed`.
- `database-outage`: a crawl into PostgreSQL through a TCP proxy this script controls, cut for 20 s mid-batch once
  it stored 20 captures (every connection dropped, new ones refused), then one more run (the spool replayed). The
  machine's PostgreSQL is never stopped; the scenario's database is created and dropped here.
- `hostile-inputs`: `crawler.newsroom.hostile.HostileSite` (bad header names, a cut gzip body, 429 with
  Retry-After, a soft 404, a 2,100-character URL, a cut sitemap): each URL's recorded outcome checked.
- `slow-pages`: 8 pages that take extraction many seconds each ahead of 40 ordinary articles, `--workers`
  extraction workers: no ordinary page may fail (waiting for a free worker does not count against its time).
- `million-url-sitemap`: a gzipped sitemap of `--million-urls` articles (`crawler.newsroom.listing`), the crawl
  capped by `--max-articles`; peak memory of the crawler and its workers while it runs, and the time it takes to
  stop after SIGINT (sent after `--sigint-after` seconds, unless it ended by itself).
- `disk-full-warc`, `disk-full-sqlite`, `disk-full-spool`: the WARC folder, the SQLite database's folder, or the
  spool folder (with the database, PostgreSQL through the proxy, cut from 20 captures in to the end) on a tmpfs
  this script mounts (needs root) too small for the crawl; then the tmpfs is grown and one more run made.

A crash is a traceback or an exit code no fault explains; a crawl a fault stopped with a clear error (exit 1) has
not crashed.

Expected articles are those a clean crawl of the same site stores. Loopback only; every crawl has a time limit.
"""

from __future__ import annotations

import argparse
import contextlib
import itertools
import os
import random
import signal
import socket
import socketserver
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from archive.models import CaptureRow, CrawlRun, DiscoveredUrl
from archive.runstatus import RunStatus
from archive.store import ArchiveStore
from crawler.newsroom import Newsroom, serve
from crawler.newsroom.hostile import EXPECTED, HostileSite, SlowSite
from crawler.newsroom.listing import SITEMAP_PATH, LargeSitemapSite

CRAWL_TIME_LIMIT = 600  # seconds any one crawl may take
POSTGRES = ("127.0.0.1", 5432)
POSTGRES_ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


@dataclass
class Row:
    scenario: str
    expected: int | None  # None: no fixed number (an interrupted crawl)
    stored: int
    archived: int
    without_record: int
    crashes: int
    note: str = ""


# --- running crawls ----------------------------------------------------------------------------------------------
def crawl_command(seed_url: str, db_url: str, warc_dir: Path, *settings: str) -> list[str]:
    return [
        sys.executable, "-m", "crawler.cli", "crawl", "--sitemap", seed_url, "--db", db_url,
        "--warc-dir", str(warc_dir), "--allow-private", "-s", "AUTOTHROTTLE_ENABLED=false", "-s", "LOG_LEVEL=WARNING",
        "-s", "RUN_LOCK_STALE_AFTER=5", *(option for setting in settings for option in ("-s", setting)),
    ]


def start(command: list[str], workdir: Path) -> subprocess.Popen:
    return subprocess.Popen(command, cwd=workdir, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent)})


def finish(process: subprocess.Popen) -> tuple[int, str]:
    """Wait for a crawl (killed at the time limit); its exit code and whether it crashed (a traceback)."""
    try:
        _, stderr = process.communicate(timeout=CRAWL_TIME_LIMIT)
    except subprocess.TimeoutExpired:
        process.kill()
        _, stderr = process.communicate()
        return -9, "time limit"
    return process.returncode, stderr


def crashed(code: int, stderr: str, stopped: bool = False) -> bool:
    """A traceback, or an exit code not designed for the case; a crawl `stopped` by a fault may exit 1."""
    # 5: the database was unreachable at the end (what was left is spooled for the next run), a designed outcome
    return "Traceback" in stderr or code not in (0, 3, 4, 5, 130, *((1,) if stopped else ()))


def last_error_line(stderr: str) -> str:
    lines = [line for line in stderr.splitlines() if "Error" in line or "error" in line]
    return (lines or stderr.splitlines() or [""])[-1][:200]


def audit(db_url: str, warc_dir: Path) -> tuple[int, int]:
    """(articles stored, articles whose WARC pointer leads to a record in a finished WARC file)."""
    store = ArchiveStore(db_url)
    stored = archived = 0
    try:
        for article in store.iter_articles():
            stored += 1
            pointer = article.warc
            path = warc_dir / pointer.file if pointer else None
            if path is not None and path.is_file() and pointer.offset < path.stat().st_size:
                archived += 1
    finally:
        store.close()
    return stored, archived


# --- processes ---------------------------------------------------------------------------------------------------
def _parents() -> dict[int, int]:
    parents = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            with contextlib.suppress(OSError):
                parents[int(entry)] = int(Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()[1])
    return parents


def descendants(pid: int) -> set[int]:
    parents = _parents()
    found, frontier = set(), {pid}
    while frontier:
        frontier = {child for child, parent in parents.items() if parent in frontier} - found
        found |= frontier
    return found


def running(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def rss_kib(pids: set[int]) -> int:
    total = 0
    for pid in pids:
        with contextlib.suppress(OSError, ValueError, IndexError, StopIteration):  # a zombie has no VmRSS
            line = next(li for li in Path(f"/proc/{pid}/status").read_text().splitlines() if li.startswith("VmRSS"))
            total += int(line.split()[1])
    return total


# --- scenarios ---------------------------------------------------------------------------------------------------
def baseline(base: str, workdir: Path) -> tuple[int, float]:
    """(articles a clean crawl stores, seconds it takes)."""
    db_url = f"sqlite:///{workdir / 'baseline.db'}"
    started = time.monotonic()
    code, stderr = finish(start(crawl_command(f"{base}/sitemap.xml", db_url, workdir / "baseline-warc"), workdir))
    if crashed(code, stderr):
        sys.exit(f"the clean crawl failed ({code}):\n{stderr[-3000:]}")
    return audit(db_url, workdir / "baseline-warc")[0], time.monotonic() - started


def kill_nine(base: str, workdir: Path, expected: int, duration: float, rng: random.Random) -> Row:
    """Five crawls killed at random points of a clean crawl's `duration` (start-up included), then one to the end."""
    db_url, warc = f"sqlite:///{workdir / 'kill9.db'}", workdir / "kill9-warc"
    command = crawl_command(f"{base}/sitemap.xml", db_url, warc)
    crashes = orphans = 0
    for _ in range(5):
        process = start(command, workdir)
        time.sleep(rng.uniform(0.3, 0.9) * duration)
        family = descendants(process.pid)
        process.kill()
        code, stderr = finish(process)
        crashes += "Traceback" in stderr
        time.sleep(3)  # the workers' parent watch acts at once; give the process table a moment
        orphans += sum(running(pid) for pid in family)
    code, stderr = finish(start(command, workdir))
    crashes += crashed(code, stderr)
    stored, archived = audit(db_url, warc)
    store = ArchiveStore(db_url)
    with store.engine.connect() as connection:
        statuses = [row.status for row in connection.execute(select(CrawlRun.status))]
    store.close()
    note = (f"orphan processes {orphans}; runs killed {statuses.count(RunStatus.KILLED)}, still running "
            f"{statuses.count(RunStatus.RUNNING)}; final exit {code}")
    if crashed(code, stderr):
        note += f"; last error line: {last_error_line(stderr)}"
    return Row("kill-9 x5 + 1 run", expected, stored, archived, stored - archived, crashes, note)


class CuttableProxy(socketserver.ThreadingTCPServer):
    """A TCP proxy to PostgreSQL on loopback whose `outage()` drops every connection and refuses new ones."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Forward)
        self.up = threading.Event()
        self.up.set()
        self.sockets: set[socket.socket] = set()
        self.lock = threading.Lock()
        threading.Thread(target=self.serve_forever, daemon=True).start()

    def cut(self) -> None:
        self.up.clear()
        with self.lock:
            for sock in self.sockets:
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)


class _Forward(socketserver.BaseRequestHandler):
    def handle(self) -> None:
        server: CuttableProxy = self.server
        if not server.up.is_set():
            return
        upstream = socket.create_connection(POSTGRES)
        with server.lock:
            server.sockets |= {self.request, upstream}
        pump = threading.Thread(target=_pump, args=(upstream, self.request), daemon=True)
        pump.start()
        _pump(self.request, upstream)
        pump.join()
        with server.lock:
            server.sockets -= {self.request, upstream}


def _pump(source: socket.socket, target: socket.socket) -> None:
    with contextlib.suppress(OSError):
        while data := source.recv(65536):
            target.sendall(data)
    with contextlib.suppress(OSError):
        target.shutdown(socket.SHUT_WR)


_databases = itertools.count()


@contextlib.contextmanager
def small_disk(folder: Path, size: int) -> Iterator[Callable[[], None]]:
    """`folder` on a tmpfs of `size` bytes (mounted here: needs root); yields `grow()`, which makes it 1 GiB."""
    folder.mkdir(parents=True)
    subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(folder)], check=True)
    try:
        yield lambda: subprocess.run(["mount", "-o", "remount,size=1g", str(folder)], check=True)
    finally:
        subprocess.run(["umount", str(folder)], check=True)


def folder_bytes(folder: Path) -> int:
    return sum(path.stat().st_size for path in folder.rglob("*") if path.is_file())


@contextlib.contextmanager
def scratch_database() -> Iterator[str]:
    import psycopg

    name = f"faults_{os.getpid()}_{next(_databases)}"
    admin = psycopg.connect("host=127.0.0.1 port=5432 user=postgres dbname=test", autocommit=True)
    admin.execute(f"CREATE DATABASE {name}")
    try:
        yield name
    finally:
        admin.execute(f"DROP DATABASE {name} WITH (FORCE)")
        admin.close()


def storing(name: str, process: subprocess.Popen, captures: int = 20) -> None:
    """Wait until the crawl stored `captures` captures in database `name` (asked directly, not through the proxy):
    a cut before that would find the crawl still starting up on a loaded machine."""
    import psycopg

    with psycopg.connect(f"host={POSTGRES[0]} port={POSTGRES[1]} user=postgres dbname={name}") as connection:
        while process.poll() is None:
            with contextlib.suppress(psycopg.errors.UndefinedTable):
                if connection.execute("SELECT count(*) FROM captures").fetchone()[0] >= captures:
                    return
            connection.rollback()
            time.sleep(0.2)


def database_outage(base: str, workdir: Path, expected: int) -> Row:
    warc = workdir / "outage-warc"
    with scratch_database() as name:
        proxy = CuttableProxy()
        db_url = f"postgresql+psycopg://postgres@127.0.0.1:{proxy.server_address[1]}/{name}"
        command = crawl_command(f"{base}/sitemap.xml", db_url, warc, "SQL_BATCH_SIZE=10",
                                f"SQL_SPOOL_DIR={workdir / 'spool'}", "SQL_CLOSE_TIMEOUT=5")
        process = start(command, workdir)
        storing(name, process)
        proxy.cut()
        time.sleep(20)
        proxy.up.set()
        first = finish(process)
        second = finish(start(command, workdir))
        stored, archived = audit(db_url, warc)
        proxy.shutdown()
    return fault_row("database outage 20 s", expected, stored, archived, first, second)


def disk_full(base: str, workdir: Path, expected: int, folder: str) -> Row:
    """The WARC folder or the SQLite database's folder (`folder`: warc, sqlite) on a tmpfs of a third of what a
    clean crawl puts there; then the tmpfs grown and one more run."""
    small = workdir / f"{folder}-full"
    used = folder_bytes(workdir / "baseline-warc") if folder == "warc" else (workdir / "baseline.db").stat().st_size
    database = small / "archive.db" if folder == "sqlite" else workdir / f"{folder}-full.db"
    warc = small if folder == "warc" else workdir / f"{folder}-full-warc"
    command = crawl_command(f"{base}/sitemap.xml", f"sqlite:///{database}", warc,
                            f"SQL_SPOOL_DIR={workdir / f'{folder}-full-spool'}")
    with small_disk(small, used // 3) as grow:
        first = finish(start(command, workdir))
        grow()
        second = finish(start(command, workdir))
        stored, archived = audit(f"sqlite:///{database}", warc)
    return fault_row(f"{folder} folder full", expected, stored, archived, first, second)


def spool_full(base: str, workdir: Path, expected: int) -> Row:
    """The database (PostgreSQL through the proxy) cut from 20 captures in to the end of the crawl, the spool folder
    on a tmpfs of 16 KiB; then the database back, the tmpfs grown and one more run."""
    spool, warc = workdir / "spool-full", workdir / "spool-full-warc"
    with scratch_database() as name, small_disk(spool, 16 * 1024) as grow:
        proxy = CuttableProxy()
        db_url = f"postgresql+psycopg://postgres@127.0.0.1:{proxy.server_address[1]}/{name}"
        command = crawl_command(f"{base}/sitemap.xml", db_url, warc, "SQL_BATCH_SIZE=10", f"SQL_SPOOL_DIR={spool}",
                                "SQL_CLOSE_TIMEOUT=5")
        process = start(command, workdir)
        storing(name, process)
        proxy.cut()
        first = finish(process)
        proxy.up.set()
        grow()
        second = finish(start(command, workdir))
        stored, archived = audit(db_url, warc)
        proxy.shutdown()
    return fault_row("spool folder full", expected, stored, archived, first, second)


def fault_row(scenario: str, expected: int, stored: int, archived: int, first: tuple[int, str],
              second: tuple[int, str]) -> Row:
    """The row of a fault's run (which may stop with a clear error: exit 1) and of the run after it."""
    (first_code, first_err), (code, stderr) = first, second
    crashes = crashed(first_code, first_err, stopped=True) + crashed(code, stderr)
    note = f"exit codes {first_code} then {code}; first run's last error line: {last_error_line(first_err)}"
    if crashed(code, stderr):
        note += f"; then: {last_error_line(stderr)}"
    return Row(scenario, expected, stored, archived, stored - archived, crashes, note)


def hostile_inputs(workdir: Path) -> Row:
    db_url, warc = f"sqlite:///{workdir / 'hostile.db'}", workdir / "hostile-warc"
    with HostileSite() as site:
        code, stderr = finish(start(crawl_command(f"{site.base}/sitemap.xml", db_url, warc), workdir))
        outcomes = latest_outcomes(db_url, site.base)
    wrong = [path for path, (outcome, word) in EXPECTED.items()
             if outcomes.get(path, ("", ""))[0] != outcome or word not in outcomes.get(path, ("", ""))[1]]
    stored, archived = audit(db_url, warc)
    expected = sum(outcome == "article" for outcome, _ in EXPECTED.values())
    note = f"{len(EXPECTED) - len(wrong)}/{len(EXPECTED)} URLs recorded as expected"
    if wrong:
        note += f"; wrong: {wrong}"
    return Row("hostile inputs", expected, stored, archived, stored - archived, crashed(code, stderr), note)


def latest_outcomes(db_url: str, base: str) -> dict[str, tuple[str, str]]:
    """path → (outcome, reason) of each URL's latest capture."""
    store = ArchiveStore(db_url)
    try:
        with store.engine.connect() as connection:
            rows = connection.execute(
                select(CaptureRow.url, CaptureRow.outcome, CaptureRow.reason).order_by(CaptureRow.id))
            return {url.removeprefix(base): (outcome, reason or "") for url, outcome, reason in rows}
    finally:
        store.close()


def slow_pages(workdir: Path, workers: int) -> Row:
    db_url, warc = f"sqlite:///{workdir / 'slow.db'}", workdir / "slow-warc"
    with SlowSite(normal=40, slow=8) as site:
        code, stderr = finish(start(crawl_command(f"{site.base}/sitemap.xml", db_url, warc, "ROBOTSTXT_OBEY=false",
                                                  f"EXTRACT_WORKERS={workers}"), workdir))
        outcomes = latest_outcomes(db_url, site.base)
    normal = {path: outcome for path, outcome in outcomes.items() if path.startswith("/tin/a-")}
    failed = [path for path, (outcome, _) in normal.items() if outcome != "article"]
    slow = [outcome for path, (outcome, _) in outcomes.items() if path.startswith("/tin/slow-")]
    stored, archived = audit(db_url, warc)
    note = (f"{workers} workers, EXTRACT_TIMEOUT 30 s: normal pages not stored {len(failed)}"
            f"{' ' + str([normal[p] for p in failed[:3]]) if failed else ''}; slow pages {Counter(slow)}")
    return Row("8 slow among 40 pages", 40, stored, archived, stored - archived, crashed(code, stderr), note)


MILLION_MAX_ARTICLES = 1000  # the million-URL crawl is capped, as a scheduled job would be


def million_url_sitemap(workdir: Path, count: int, sigint_after: float) -> Row:
    """A crawl of a `count`-URL sitemap capped by --max-articles, stopped by SIGINT after `sigint_after` seconds
    (unless it ended first): peak memory of the crawler and its workers, seconds from SIGINT to exit."""
    db_url, warc = f"sqlite:///{workdir / 'million.db'}", workdir / "million-warc"
    with serve(LargeSitemapSite(count)) as base_url:
        command = crawl_command(base_url + SITEMAP_PATH, db_url, warc, "REQUISITES_ENABLED=false",
                                "ROBOTSTXT_OBEY=false")
        process = start([*command, "--max-articles", str(MILLION_MAX_ARTICLES)], workdir)
        peak = 0
        started = time.monotonic()
        while time.monotonic() - started < sigint_after and process.poll() is None:
            peak = max(peak, rss_kib({process.pid} | descendants(process.pid)))
            time.sleep(0.2)
        ran = time.monotonic() - started
        interrupted = time.monotonic()
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
        while process.poll() is None and time.monotonic() - interrupted < CRAWL_TIME_LIMIT:
            peak = max(peak, rss_kib({process.pid} | descendants(process.pid)))
            time.sleep(0.2)
        stop_seconds = time.monotonic() - interrupted
        if process.poll() is None:  # SIGINT not honoured within the time limit
            process.kill()
        code, stderr = finish(process)
    stored, archived = audit(db_url, warc)
    with contextlib.closing(ArchiveStore(db_url)) as store, Session(store.engine) as session:
        listed = session.scalar(select(func.count()).select_from(DiscoveredUrl).where(DiscoveredUrl.kind == "article"))
    ending = (f"ended by itself after {ran:.1f} s" if stop_seconds < 0.3 and code != 130
              else f"stopped {stop_seconds:.1f} s after SIGINT sent at {ran:.0f} s")
    note = (f"{count:,} URLs, --max-articles {MILLION_MAX_ARTICLES}: peak memory {peak / 1024:.0f} MB; {ending} "
            f"(exit {code}); {listed:,} URLs recorded as listed")
    if crashed(code, stderr):
        note += f"; last error line: {last_error_line(stderr)}"
    return Row(f"{count:,}-URL sitemap", None, stored, archived, stored - archived, crashed(code, stderr), note)


SCENARIOS = ("kill-9", "database-outage", "disk-full-warc", "disk-full-sqlite", "disk-full-spool", "hostile-inputs",
             "slow-pages", "million-url-sitemap")
NEED_BASELINE = {"kill-9", "database-outage", "disk-full-warc", "disk-full-sqlite", "disk-full-spool"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--articles", type=int, default=150)
    parser.add_argument("--only", action="append", choices=SCENARIOS, help="run only these scenarios")
    parser.add_argument("--million-urls", type=int, default=1_000_000)
    parser.add_argument("--sigint-after", type=float, default=20.0)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--workers", type=int, default=2, help="extraction workers of the slow-pages scenario")
    args = parser.parse_args()
    chosen = args.only or SCENARIOS
    rows = []
    with tempfile.TemporaryDirectory() as tmp, serve(Newsroom(articles=args.articles)) as base:
        workdir = Path(tmp)
        expected, duration = baseline(base, workdir) if NEED_BASELINE & set(chosen) else (0, 0.0)
        if "kill-9" in chosen:
            rows.append(kill_nine(base, workdir, expected, duration, random.Random(args.seed)))
        if "database-outage" in chosen:
            rows.append(database_outage(base, workdir, expected))
        for folder in ("warc", "sqlite"):
            if f"disk-full-{folder}" in chosen:
                rows.append(disk_full(base, workdir, expected, folder))
        if "disk-full-spool" in chosen:
            rows.append(spool_full(base, workdir, expected))
        if "hostile-inputs" in chosen:
            rows.append(hostile_inputs(workdir))
        if "slow-pages" in chosen:
            rows.append(slow_pages(workdir, args.workers))
        if "million-url-sitemap" in chosen:
            rows.append(million_url_sitemap(workdir, args.million_urls, args.sigint_after))
    print(f"{'scenario':<24} {'expected':>8} {'stored':>7} {'archived':>8} {'no WARC':>7} {'crashes':>7}  note")
    for row in rows:
        expected = "-" if row.expected is None else row.expected
        print(f"{row.scenario:<24} {expected:>8} {row.stored:>7} {row.archived:>8} {row.without_record:>7} "
              f"{row.crashes:>7}  {row.note}")


if __name__ == "__main__":
    main()
