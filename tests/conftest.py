"""Shared fixtures: the archive database, parametrised over SQLite and PostgreSQL, and one crawl of the newsroom.

PostgreSQL comes from `TEST_DATABASE_URL` (default `postgresql+psycopg://postgres@127.0.0.1:5432/test`); each
test gets a fresh schema of its own, dropped afterwards. Without a server the PostgreSQL cases are skipped with a
message saying how to run them, except under `CI=true`, where a missing server fails them.

Markers (registered in pyproject.toml, `--strict-markers`): `integration` (crawls, subprocesses, the command
line, servers, pywb), `services` (needs PostgreSQL or Redis), `slow` (more than about a second for another
reason). `make test-fast` runs the rest. A test that reaches PostgreSQL or Redis without the `services` marker is
refused at collection, so that the fast selection never needs a server.
"""

from __future__ import annotations

import os
import random
import subprocess
import sys
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

# The project root on sys.path, so `pytest` (not only `python -m pytest`) finds the packages.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from archive.records import Article, Caption, WarcPointer
from archive.store import ArchiveStore
from archive.text import content_hash
from crawler.newsroom import Newsroom, serve

ROOT = Path(__file__).resolve().parent.parent


def run_newsarchive(*args: str, cwd: Path, timeout: float = 300) -> subprocess.CompletedProcess:
    """Run the `newsarchive` command line in a process of its own, as a user does; it must succeed."""
    result = subprocess.run(
        [sys.executable, "-m", "crawler.cli", *args], cwd=cwd, env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True, text=True, timeout=timeout,
    )
    assert result.returncode == 0, f"newsarchive {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}"
    return result


DEFAULT_POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def postgres_url() -> str:
    return os.environ.get("TEST_DATABASE_URL") or DEFAULT_POSTGRES_URL


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[Engine]:
    url = postgres_url()
    engine = create_engine(url, pool_pre_ping=True)
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except OperationalError as exc:
        engine.dispose()
        reason = " ".join(str(exc.orig).split())
        message = f"PostgreSQL is not reachable at {make_url(url).render_as_string()}: {reason}"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"{message} (CI=true: the PostgreSQL tests must run)", pytrace=False)
        pytest.skip(
            f"{message}. Start PostgreSQL or set TEST_DATABASE_URL=postgresql+psycopg://USER@HOST:PORT/DB "
            "to run the PostgreSQL cases."
        )
    yield engine
    engine.dispose()


def url_with_schema(url: str, schema: str) -> str:
    """`url` with the PostgreSQL search_path set to `schema`: everything the store creates goes there."""
    return make_url(url).update_query_dict({"options": f"-csearch_path={schema}"}).render_as_string(False)


@pytest.fixture
def postgres_database_url(postgres_server: Engine) -> Iterator[str]:
    """A PostgreSQL URL whose tables live in a schema of this test only."""
    schema = f"test_{uuid.uuid4().hex[:16]}"
    with postgres_server.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    yield url_with_schema(postgres_url(), schema)
    with postgres_server.begin() as connection:
        connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))


SERVICE_FIXTURES = {"postgres_server", "postgres_database_url", "redis_server"}


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Refuse a test that needs PostgreSQL or Redis without the `services` marker (the fast selection would)."""
    unmarked = []
    for item in items:
        params = getattr(getattr(item, "callspec", None), "params", {})
        needs_service = SERVICE_FIXTURES & set(getattr(item, "fixturenames", ())) or (
            params.get("database_url") == "postgresql"
        )
        if needs_service and item.get_closest_marker("services") is None:
            unmarked.append(item.nodeid)
    if unmarked:
        raise pytest.UsageError("tests that need PostgreSQL or Redis must be marked `services`: " + ", ".join(unmarked))


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.services)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty database, once SQLite (a file in tmp_path) and once PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'archive.db'}"
    return request.getfixturevalue("postgres_database_url")


@pytest.fixture
def store(database_url: str) -> Iterator[ArchiveStore]:
    archive = ArchiveStore(database_url)
    yield archive
    archive.close()


@dataclass(frozen=True)
class NewsroomCrawl:
    """What one `newsarchive crawl --sitemap` of the newsroom left: its archive, its WARC files, its requests."""

    newsroom: Newsroom  # served at `base_url` during the crawl (`newsroom.base_url` too); stopped since
    base_url: str
    workdir: Path  # the crawl's folder: archive.db and warc/; tests write their own outputs to tmp_path
    db_url: str
    store: ArchiveStore
    requests: Counter[str]  # the crawl's requests per path, as the newsroom logged them

    @property
    def warc_dir(self) -> Path:
        return self.workdir / "warc"


CRAWL_SETTINGS = ["-s", "AUTOTHROTTLE_ENABLED=false", "-s", "LOG_LEVEL=WARNING"]


@pytest.fixture(scope="session")
def newsroom_crawl(tmp_path_factory: pytest.TempPathFactory) -> Iterator[NewsroomCrawl]:
    """One crawl of the newsroom (30 articles, seed 7) for the whole session, through the command line.

    Shared: a test may read the archive, the WARC files and the newsroom (`handle`, `expected_record`), not change
    them; a test that edits the site or the archive, or needs a live server, makes a crawl of its own.
    """
    workdir = tmp_path_factory.mktemp("newsroom-crawl")
    db_url = f"sqlite:///{workdir / 'archive.db'}"
    newsroom = Newsroom(articles=30, seed=7)
    with serve(newsroom) as base_url:
        newsroom.base_url = base_url
        run_newsarchive("crawl", "--sitemap", f"{base_url}/sitemap.xml", "--db", db_url,
                        "--warc-dir", str(workdir / "warc"), "--allow-private", *CRAWL_SETTINGS, cwd=workdir)
    store = ArchiveStore(db_url)
    yield NewsroomCrawl(newsroom, base_url, workdir, db_url, store, newsroom.request_counts())
    store.close()


ONSETS = ["ngh", "th", "tr", "ch", "kh", "ph", "gi", "qu", "b", "đ", "h", "l", "m", "n", "s", "v", "x"]
VOWELS = ["a", "ă", "â", "e", "ê", "i", "o", "ô", "ơ", "u", "ư", "y", "oa", "uy", "ươ", "iê"]
CODAS = ["nh", "ng", "n", "m", "c", "t", "p", "ch", ""]


def vietnamese_like_text(seed: int, words: int = 160, paragraphs: int = 4) -> str:
    """Deterministic filler text: `words` Vietnamese-looking syllables from a vocabulary of about 2,400."""
    rng = random.Random(seed)
    syllables = [rng.choice(ONSETS) + rng.choice(VOWELS) + rng.choice(CODAS) for _ in range(words)]
    size = -(-words // paragraphs)
    return "\n\n".join(" ".join(syllables[i : i + size]).capitalize() + "." for i in range(0, words, size))


ICT = timezone(timedelta(hours=7))


@pytest.fixture
def make_article() -> Callable[..., Article]:
    """A factory of complete, distinct articles: `make_article(n, **field_overrides)`."""

    def make(n: int, **overrides: Any) -> Article:
        url = f"https://baonghean.vn/thoi-su/bai-viet-so-{n}-{100000 + n}.html"
        values: dict[str, Any] = {
            "url": url,
            "canonical_url": url,
            "site": "baonghean",
            "title": f"Tiêu đề bài viết số {n}",
            "lead": f"Sáng 18/9, sự kiện số {n} diễn ra tại Nghệ An.",
            "text": vietnamese_like_text(n),
            "captions": [Caption(f"Ảnh minh họa số {n}.", "Ảnh: Thành Duy", f"https://baonghean.vn/img/{n}.jpg")],
            "authors": ["Thành Duy"],
            "section": "Thời sự",
            "tags": ["Nghệ An", "Đảng ủy"],
            "language": "vi",
            "main_image": f"https://baonghean.vn/img/{n}.jpg",
            "published_at": datetime(2025, 9, 18, 8, n % 60, tzinfo=ICT),
            "modified_at": None,
            "fetched_at": datetime(2025, 9, 19, 1, 2, 3, tzinfo=UTC),
            "warc": WarcPointer(f"newsarchive-{n}.warc.gz", 1000 * n, 900, f"<urn:uuid:{uuid.UUID(int=n)}>", "sha1:A"),
        }
        values.update(overrides)
        values.setdefault("content_hash", content_hash(values["text"]))
        return Article(**values)

    return make


SmallDisk = Callable[[str, str], tuple[Path, Callable[[], None]]]


@pytest.fixture
def tmpfs(tmp_path: Path) -> Iterator[SmallDisk]:
    """`tmpfs(name, size)` mounts a tmpfs of `size` (`200k`) on the new folder `tmp_path / name` (needs root: the
    test is skipped otherwise) and returns it with `grow()`, which makes it 64 MiB; unmounted after the test."""
    mounted: list[Path] = []

    def mount(name: str, size: str) -> tuple[Path, Callable[[], None]]:
        folder = tmp_path / name
        folder.mkdir()
        result = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(folder)],
                                capture_output=True)
        if result.returncode != 0:
            pytest.skip(f"cannot mount a tmpfs here: {result.stderr.decode().strip()}")
        mounted.append(folder)
        return folder, lambda: subprocess.run(["mount", "-o", "remount,size=64m", str(folder)], check=True)

    yield mount
    for folder in mounted:
        subprocess.run(["umount", str(folder)], check=True)
