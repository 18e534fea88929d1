"""Store throughput and near-duplicate detection figures (printed, not asserted).

    python benchmarks/store.py [--articles N] [--postgres URL] [--eval PATH/ground-truth.json]

1. Articles stored per second by `ArchiveStore.save_articles`, SQLite and PostgreSQL, with batching on (one
   transaction per `SQL_BATCH_SIZE` = 100 articles, what the pipeline does) and off (one transaction per article),
   plus captures per second. PostgreSQL is skipped with a note when the server is not reachable.
2. With `--eval`, the article bodies of a labelled set (e.g. /work/shared/eval/aeb-dev/ground-truth.json):
   how often the store's Simhash test recognises a copy with an added byline, an inserted ad paragraph or a
   dropped paragraph, and the highest similarity between two unrelated articles (a false positive above the
   threshold would be a distinct article marked as a copy).
"""

from __future__ import annotations

import argparse
import itertools
import json
import random
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

from sqlalchemy import create_engine, text
from trafilatura.deduplication import Simhash

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from archive.duplicates import (
    NEAR_DUPLICATE_CONTAINMENT,
    NEAR_DUPLICATE_MIN_WORDS,
    NEAR_DUPLICATE_THRESHOLD,
    is_near_duplicate_candidate,
)
from archive.records import Article, Caption, Capture, WarcPointer
from archive.store import ArchiveStore, StoreUnavailable
from archive.text import content_hash, shingle_containment

ONSETS = ("ngh", "th", "tr", "ch", "kh", "ph", "b", "đ", "h", "l", "m", "n", "s", "v")
VOWELS = ("a", "ă", "â", "e", "ê", "i", "o", "ô", "ơ", "u", "ư", "oa", "uy", "ươ")
SYLLABLES = [onset + vowel + coda for onset in ONSETS for vowel in VOWELS for coda in ("nh", "ng", "n", "t", "")]
ICT = timezone(timedelta(hours=7))


def synthetic_article(n: int, rng: random.Random) -> Article:
    words = [rng.choice(SYLLABLES) for _ in range(600)]
    body = "\n\n".join(" ".join(words[i : i + 100]) for i in range(0, 600, 100))
    url = f"https://baonghean.vn/bai-{uuid.uuid4().hex}-{n}.html"
    return Article(
        url=url, canonical_url=url, site="baonghean", title=" ".join(words[:12]), lead=" ".join(words[12:40]),
        text=body, captions=[Caption("Ảnh minh họa.", "Ảnh: Thành Duy", f"https://baonghean.vn/{n}.jpg")] * 2,
        authors=["Thành Duy"], section="Thời sự", tags=["Nghệ An"], language="vi",
        published_at=datetime(2025, 9, 18, 8, 0, tzinfo=ICT), fetched_at=datetime.now(UTC),
        content_hash=content_hash(body), warc=WarcPointer("a.warc.gz", n * 1000, 999, f"<urn:uuid:{uuid.uuid4()}>"),
    )  # fmt: skip


def timed(action: Callable[[], object]) -> float:
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def throughput(name: str, database_url: str, count: int) -> None:
    rng = random.Random(7)
    store = ArchiveStore(database_url)
    for label, batch_size in (("batched (100 per transaction)", 100), ("unbatched (1 per transaction)", 1)):
        articles = [synthetic_article(n, rng) for n in range(count)]
        batches = [articles[i : i + batch_size] for i in range(0, count, batch_size)]
        seconds = timed(lambda batches=batches: [store.save_articles(batch) for batch in batches])
        print(f"{name:10} articles {label:32} {count / seconds:8.0f} /s  ({count} in {seconds:.2f} s)")
    captures = [Capture(f"https://baonghean.vn/p/{n}", 200, datetime.now(UTC)) for n in range(count * 4)]
    seconds = timed(lambda: [store.save_captures(captures[i : i + 100]) for i in range(0, len(captures), 100)])
    print(f"{name:10} captures {'batched (100 per transaction)':32} {len(captures) / seconds:8.0f} /s")
    store.close()


def postgres_schema_url(url: str) -> tuple[str, Callable[[], None]] | None:
    engine = create_engine(url)
    schema = f"bench_{uuid.uuid4().hex[:12]}"
    try:
        with engine.begin() as connection:
            connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    except Exception as exc:
        print(f"postgresql skipped: {str(exc).splitlines()[0]}")
        return None

    def drop() -> None:
        with engine.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        engine.dispose()

    separator = "&" if "?" in url else "?"
    return f"{url}{separator}options=-csearch_path%3D{schema}", drop


def near_duplicates(ground_truth: Path) -> None:
    bodies = [
        entry["articleBody"]
        for entry in json.loads(ground_truth.read_text(encoding="utf-8")).values()
        if len((entry.get("articleBody") or "").split()) >= NEAR_DUPLICATE_MIN_WORDS
    ]

    def paragraphs(body: str) -> list[str]:
        return [p for p in body.split("\n") if p.strip()]

    variants: dict[str, Callable[[str], str]] = {
        "byline added": lambda b: b + "\n\nReporting by John Smith; Editing by Jane Doe",
        "ad paragraph inserted": lambda b: "\n".join([
            *paragraphs(b)[: len(paragraphs(b)) // 2],
            "Advertisement: subscribe to our newsletter today",
            *paragraphs(b)[len(paragraphs(b)) // 2 :],
        ]),
        "last paragraph dropped": lambda b: "\n".join(paragraphs(b)[:-1]) if len(paragraphs(b)) > 3 else b,
    }

    print(f"\nnear-duplicates over {len(bodies)} bodies of {ground_truth} (threshold {NEAR_DUPLICATE_THRESHOLD})")
    for name, change in variants.items():
        similar = found = 0
        for body in bodies:
            changed = change(body)
            original, copy = Simhash(body), Simhash(changed)
            if original.similarity(copy) >= NEAR_DUPLICATE_THRESHOLD:
                similar += 1
                found += is_near_duplicate_candidate(original.hash, copy.hash) and (
                    shingle_containment(body, changed) >= NEAR_DUPLICATE_CONTAINMENT
                )
        print(f"  {name:24} similar enough {similar}/{len(bodies)}, found (LSH bands + shingles) {found}/{len(bodies)}")
    fingerprints = [Simhash(body) for body in bodies]
    unrelated = sorted(a.similarity(b) for a, b in itertools.combinations(fingerprints, 2))
    above = sum(s >= NEAR_DUPLICATE_THRESHOLD for s in unrelated)
    print(f"  unrelated pairs: {len(unrelated)}, highest similarity {unrelated[-1]:.3f}, "
          f"median {unrelated[len(unrelated) // 2]:.3f}, at or above the threshold {above}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--articles", type=int, default=500)
    parser.add_argument("--postgres", default="postgresql+psycopg://postgres@127.0.0.1:5432/test")
    parser.add_argument("--eval", type=Path, help="a ground-truth.json of article bodies (near-duplicate figures)")
    arguments = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        throughput("sqlite", f"sqlite:///{folder}/bench.db", arguments.articles)
    postgres = postgres_schema_url(arguments.postgres)
    if postgres is not None:
        url, drop = postgres
        try:
            throughput("postgresql", url, arguments.articles)
        except StoreUnavailable as exc:
            print(f"postgresql skipped: {exc}")
        finally:
            drop()
    if arguments.eval:
        near_duplicates(arguments.eval)


if __name__ == "__main__":
    main()
