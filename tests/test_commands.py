"""What users hit around the crawl: `demo --port` and a second demo run, `replay` saying what it installs and
stopping pywb on SIGTERM, the systemd unit."""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from archive import replay
from archive.runstatus import ExitCode
from archive.store import ArchiveStore

ROOT = Path(__file__).resolve().parent.parent
UNIT = ROOT / "contrib" / "systemd" / "newsarchive-crawl@.service"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def command(*args: str) -> list[str]:
    return [sys.executable, "-m", "crawler.cli", *args]


ENVIRONMENT = {**os.environ, "PYTHONPATH": str(ROOT)}


@pytest.mark.integration
def test_a_second_demo_on_the_same_port_is_incremental(tmp_path):
    port = str(free_port())
    runs = [subprocess.run(command("demo", "--articles", "20", "--port", port, "--data-dir", str(tmp_path / "d")),
                           cwd=tmp_path, env=ENVIRONMENT, capture_output=True, text=True, timeout=300)
            for _ in range(2)]
    for run in runs:
        assert run.returncode == 0, run.stderr[-3000:]
        assert f"at http://127.0.0.1:{port}" in run.stderr
    new = [int(re.search(r"│ articles new\s+│\s+(\d+) │", run.stdout).group(1)) for run in runs]
    store = ArchiveStore(f"sqlite:///{tmp_path / 'd' / 'newsarchive.db'}")
    assert new[0] == len(list(store.iter_articles())) > 0 and new[1] == 0  # nothing twice
    store.close()


@pytest.mark.integration
def test_demo_on_a_busy_port_is_one_line(tmp_path):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        result = subprocess.run(command("demo", "--port", str(busy.getsockname()[1]), "--data-dir", str(tmp_path)),
                                cwd=tmp_path, env=ENVIRONMENT, capture_output=True, text=True, timeout=120)
    assert result.returncode == ExitCode.CONFIG_ERROR and result.stderr.startswith("error: cannot serve the newsroom")


def test_pywb_environment_says_what_it_installs(tmp_path, monkeypatch):
    steps = []

    def install(step, **_):  # stands in for venv and pip: makes the executable they would
        steps.append(step)
        wayback = tmp_path / "pywb-venv" / "bin" / "wayback"
        wayback.parent.mkdir(parents=True, exist_ok=True)
        wayback.touch()
        return subprocess.CompletedProcess(step, 0, "", "")

    monkeypatch.setattr(replay.subprocess, "run", install)
    told = []
    wayback = replay.pywb_environment(tmp_path, on_install=told.append)
    assert told == [f"installing {replay.PYWB_REQUIREMENT} into {tmp_path / 'pywb-venv'} (first use only; about a "
                    "minute)"]
    assert steps[-1][-3:] == ["install", "--quiet", replay.PYWB_REQUIREMENT]
    assert replay.pywb_environment(tmp_path, on_install=told.append) == wayback and len(told) == 1  # made once


def children_of(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(child) for child in path.read_text().split()] if path.exists() else []


@pytest.mark.integration
def test_replay_stops_pywb_on_sigterm(tmp_path):
    replay.pywb_environment()  # made here on a fresh machine (about a minute), as the first replay would make it
    (tmp_path / "warc").mkdir()
    server = subprocess.Popen(command("replay", "--warc-dir", str(tmp_path / "warc"), "--port", str(free_port())),
                              cwd=tmp_path, env=ENVIRONMENT, stderr=subprocess.PIPE, text=True)
    assert server.stderr is not None
    assert "pywb replays" in server.stderr.readline()
    pywb = children_of(server.pid)
    assert pywb, "pywb is not running"
    server.send_signal(signal.SIGTERM)
    assert server.wait(timeout=60) == 0
    deadline = time.monotonic() + 30
    while any(Path(f"/proc/{pid}").exists() and "zombie" not in Path(f"/proc/{pid}/status").read_text()
              for pid in pywb):
        assert time.monotonic() < deadline, "pywb still runs after the replay command stopped"
        time.sleep(0.1)


def test_the_systemd_unit_runs_unprivileged_sandboxed_and_a_stop_is_a_success():
    lines = dict(line.split("=", 1) for line in UNIT.read_text(encoding="utf-8").splitlines()
                 if "=" in line and not line.startswith("#"))
    assert lines["User"] == "newsarchive" and lines["NoNewPrivileges"] == "yes"
    assert lines["ProtectSystem"] == "strict" and lines["ReadWritePaths"] == "/srv/newsarchive"
    assert lines["CapabilityBoundingSet"] == ""
    assert lines["SuccessExitStatus"] == str(int(ExitCode.INTERRUPTED))
    if shutil.which("systemd-analyze"):
        verified = subprocess.run(["systemd-analyze", "verify", str(UNIT)], capture_output=True, text=True)
        problems = [line for line in verified.stderr.splitlines() if "is not executable" not in line]
        assert problems == [], verified.stderr  # only the crawler's own path is missing here


def test_the_import_summary_prints_as_one_readable_line():
    from rich.console import Console

    from crawler.reextract import ImportSummary

    console = Console(record=True, width=200)
    console.print(ImportSummary(responses=3, candidates=2, new=1, skipped=[("urn:x", "bad gzip \x00\x01")]))
    assert console.export_text().strip() == (
        "3 responses read, 2 article candidates, 0 not articles; stored 1 new, 0 changed, 0 unchanged "
        "(0 duplicates), 0 refused, 1 records unreadable")
