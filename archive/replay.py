"""Replay of the WARC archive with pywb, run as a separate process from an environment of its own.

pywb pins `redis==2.10.6` (and an old fakeredis), which cannot share an environment with scrapy-redis, so
`pywb_environment()` creates a virtualenv for it on first use (under the user's cache directory, reused by later
runs; creation is serialised by a lock file). `PywbReplay(warc_dir)` serves a collection named `archive` whose
index is the folder of per-file CDXJ indexes (finished WARC files only) and whose archive is the WARC folder.
`PywbReplay.url_for(url)` gives the identity-mode address (`id_`) that returns a capture as archived,
`url_for(url, mode="")` the page as a reader browses it.
`standard_collection(warc_files, root)` makes a collection the way an archivist does (`wb-manager init` and
`wb-manager add`, pywb's own index), and `PywbReplay(root=…, collection=…)` serves such a directory as it is.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import Self

from archive.index import index_missing

PYWB_REQUIREMENT = "pywb>=2.8,<3"
COLLECTION = "archive"


def default_cache_dir() -> Path:
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "newsarchive"


class PywbUnavailable(RuntimeError):
    """pywb could not be installed or started; the message says why."""


def pywb_environment(cache_dir: str | os.PathLike[str] | None = None,
                     on_install: Callable[[str], object] | None = None) -> Path:
    """The `wayback` executable of pywb's own virtualenv, created on first use (`on_install` is told what is
    installed where, before the minute or so that takes)."""
    root = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    venv = root / "pywb-venv"
    wayback = venv / "bin" / "wayback"
    ready = venv / ".newsarchive-ready"
    root.mkdir(parents=True, exist_ok=True)
    with open(root / "pywb-venv.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if ready.exists() and wayback.exists():
            return wayback
        shutil.rmtree(venv, ignore_errors=True)  # a half-made environment of an interrupted creation
        if on_install is not None:
            on_install(f"installing {PYWB_REQUIREMENT} into {venv} (first use only; about a minute)")
        steps = (
            [sys.executable, "-m", "venv", str(venv)],
            [str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", PYWB_REQUIREMENT],
        )
        for step in steps:
            done = subprocess.run(step, capture_output=True, text=True)
            if done.returncode != 0:
                raise PywbUnavailable(f"cannot create pywb's environment in {venv}: {done.stderr.strip()[-2000:]}")
        ready.touch()
    return wayback


def write_collection_config(warc_dir: str | os.PathLike[str], root: str | os.PathLike[str]) -> Path:
    """pywb's config.yaml in `root` for the collection over `warc_dir` (indexing files not indexed yet)."""
    warc_dir = Path(warc_dir).resolve()
    index_missing(warc_dir)
    config = Path(root) / "config.yaml"
    config.parent.mkdir(parents=True, exist_ok=True)
    # JSON strings are valid YAML scalars: safe quoting of any path.
    folder = json.dumps(f"{warc_dir}/")
    config.write_text(
        f"collections:\n  {COLLECTION}:\n    index: {folder}\n    archive_paths: {folder}\n", encoding="utf-8"
    )
    return config


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def standard_collection(
    warc_files: list[Path], root: str | os.PathLike[str], name: str = "c",
    cache_dir: str | os.PathLike[str] | None = None,
) -> Path:
    """A pywb directory at `root` holding collection `name` of `warc_files`, made with `wb-manager init` and
    `wb-manager add` (pywb indexes them itself), as an archivist loads WARC files."""
    wb_manager = pywb_environment(cache_dir).with_name("wb-manager")
    Path(root).mkdir(parents=True, exist_ok=True)
    for step in ([str(wb_manager), "init", name], [str(wb_manager), "add", name, *map(str, warc_files)]):
        done = subprocess.run(step, cwd=root, capture_output=True, text=True)
        if done.returncode != 0:
            raise PywbUnavailable(f"{' '.join(step[1:3])} failed: {(done.stderr or done.stdout).strip()[-2000:]}")
    return Path(root)


class PywbReplay:
    """A pywb server over a WARC folder, as a context manager (`with PywbReplay(dir) as replay:`); or, with `root`,
    over a pywb directory as it is (`standard_collection`), serving `collection`."""

    def __init__(
        self,
        warc_dir: str | os.PathLike[str] | None = None,
        *,
        root: str | os.PathLike[str] | None = None,
        collection: str = COLLECTION,
        port: int | None = None,
        host: str = "127.0.0.1",
        cache_dir: str | os.PathLike[str] | None = None,
        startup_timeout: float = 60.0,
        on_install: Callable[[str], object] | None = None,
    ) -> None:
        if (warc_dir is None) == (root is None):
            raise ValueError("give either a WARC folder or a pywb directory")
        self.warc_dir = Path(warc_dir) if warc_dir is not None else None
        self.root = Path(root) if root is not None else None
        self.collection = collection
        self.host = host
        self.port = port or _free_port()
        self.cache_dir = cache_dir
        self.startup_timeout = startup_timeout
        self.on_install = on_install
        self._root: tempfile.TemporaryDirectory[str] | None = None
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def url_for(self, url: str, timestamp: str = "", mode: str = "id_") -> str:
        """The replay address of the capture of `url` closest to `timestamp` (the latest by default): unmodified
        (`id_`), or as a reader browses it (`""`: the page in pywb's frame, under its banner)."""
        return f"{self.base_url}/{self.collection}/{timestamp or '2999'}{mode}/{url}"

    def start(self) -> Self:
        wayback = pywb_environment(self.cache_dir, self.on_install)
        self._root = tempfile.TemporaryDirectory(prefix="newsarchive-pywb-")
        if self.warc_dir is not None:
            write_collection_config(self.warc_dir, self._root.name)
        log_path = Path(self._root.name) / "pywb.log"
        with open(log_path, "wb") as log:
            self._process = subprocess.Popen(
                [str(wayback), "--port", str(self.port), "--bind", self.host],
                cwd=self.root or self._root.name,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        try:
            self._wait_until_serving(log_path)
        except BaseException:  # pywb exited, never answered, or a stop signal came while it started
            self.stop()
            raise
        return self

    def _wait_until_serving(self, log_path: Path) -> None:
        assert self._process is not None
        deadline = time.monotonic() + self.startup_timeout
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                error = log_path.read_text(errors="replace")
                raise PywbUnavailable(f"pywb exited at start: {error.strip()[-2000:]}")
            try:
                urllib.request.urlopen(self.base_url + "/", timeout=1).close()
                return
            except (urllib.error.URLError, OSError):
                time.sleep(0.2)
        raise PywbUnavailable(f"pywb did not answer on {self.base_url} within {self.startup_timeout:g} s")

    def wait(self) -> int:
        """Block until the server exits (for the command line); returns its exit status."""
        assert self._process is not None, "start() first"
        return self._process.wait()

    def stop(self) -> None:
        if self._process is not None:
            self._process.terminate()
            try:
                self._process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
            self._process = None
        if self._root is not None:
            self._root.cleanup()
            self._root = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.stop()
