"""archive.store against SQLite and PostgreSQL: schema and migrations, round trips, deduplication, versions,
incremental-crawl queries, captures, stats, bad input and concurrent writers."""

from __future__ import annotations

import multiprocessing
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from conftest import vietnamese_like_text
from sqlalchemy import create_engine, func, inspect, select, text

import archive.db
import archive.store
from archive.duplicates import NEAR_DUPLICATE_THRESHOLD
from archive.models import ArticleRow, ArticleVersion, Base, CaptionRow, CaptureRow, CrawlRun
from archive.records import Article, Caption, Capture, WarcPointer
from archive.store import FRONTIER_CHUNK, ArchiveStore, DueRules, NoArchive, StoreUnavailable
from archive.text import content_hash

ICT = timezone(timedelta(hours=7))
TABLES = {
    "alembic_version", "crawl_runs", "articles", "captions", "article_versions", "article_urls", "captures",
    "warc_folders", "run_locks", "discovered",
}  # fmt: skip


def count(store: ArchiveStore, model: type) -> int:
    with store.engine.connect() as connection:
        return connection.execute(select(func.count()).select_from(model)).scalar_one()


# --- schema -------------------------------------------------------------------------------------------------------
def test_empty_database_gets_the_schema_at_head(store: ArchiveStore) -> None:
    assert store.current_revision() == store.head_revision()
    assert set(inspect(store.engine).get_table_names()) == TABLES


def test_the_head_revision_stated_is_the_newest_migration_script() -> None:
    # The crawl checks the schema against archive.db.HEAD_REVISION (no Alembic imported at start): a new migration
    # must move it, or every crawl would refuse the databases it upgrades.
    assert ScriptDirectory(str(archive.db.migrations_folder())).get_current_head() == archive.db.HEAD_REVISION


def test_the_revision_is_read_as_alembic_reads_it(store: ArchiveStore) -> None:
    with store.engine.connect() as connection:
        read_by_alembic = MigrationContext.configure(connection).get_current_revision()
    assert archive.db.current_revision(store.engine) == read_by_alembic == archive.db.HEAD_REVISION


def test_migrations_build_exactly_the_models(store: ArchiveStore) -> None:
    with store.engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert differences == []


def test_read_only_opening_creates_nothing(database_url: str, tmp_path: Path) -> None:
    """The read commands open the archive with `create=False`: where there is none, a NoArchive, and no trace."""
    missing = tmp_path / "no" / "such" / "folder" / "archive.db"
    with pytest.raises(NoArchive, match=f"no archive at {missing}; crawl first or pass --db"):
        ArchiveStore(f"sqlite:///{missing}", create=False)
    assert not (tmp_path / "no").exists()
    with pytest.raises(NoArchive, match="no archive at"):  # an empty database (SQLite file or PostgreSQL schema)
        ArchiveStore(database_url, create=False)
    with ArchiveStore(database_url).engine.connect() as connection:  # the writing commands make the archive
        assert MigrationContext.configure(connection).get_current_revision() is not None
    ArchiveStore(database_url, create=False).close()


def test_the_archive_remembers_its_warc_folders(store: ArchiveStore, tmp_path: Path) -> None:
    assert store.warc_folders() == []
    store.remember_warc_folders([tmp_path / "a", tmp_path / "b" / ".." / "a"])  # one folder, two spellings
    store.remember_warc_folders(["relative-warc"])
    assert store.warc_folders() == [Path("relative-warc").resolve(), tmp_path / "a"]  # most recently used first
    store.remember_warc_folders([tmp_path / "a"])
    assert store.warc_folders() == [tmp_path / "a", Path("relative-warc").resolve()]


def test_migrations_up_down_up_keep_data(database_url: str, make_article) -> None:
    store = ArchiveStore(database_url)
    store.downgrade("base")
    assert set(inspect(store.engine).get_table_names()) <= {"alembic_version"}
    store.upgrade("0001")
    assert store.current_revision() == "0001"
    with store.engine.begin() as connection:
        run_id = connection.execute(
            text(
                "INSERT INTO crawl_runs (site, arguments, started_at, status) VALUES ('s', '{}', :t, 'done')"
                " RETURNING id"
            ),
            {"t": datetime(2025, 1, 1)},
        ).scalar_one()
        connection.execute(
            text(
                "INSERT INTO articles (site, canonical_url, url, title, lead, text, authors, section, tags, language,"
                " first_seen, last_seen, content_hash, version) VALUES ('s', 'https://s.vn/a', 'https://s.vn/a',"
                " 't', '', 'x', '[]', '', '[]', 'vi', :t, :t, 'h', 1)"
            ),
            {"t": datetime(2025, 1, 1)},
        )
    with pytest.raises(StoreUnavailable, match="newsarchive db upgrade"):
        store.known_article_urls("s")
    store.upgrade()
    assert store.current_revision() == store.head_revision()
    # the upgrade registered the canonical URL; the copy dates from when it was last seen
    assert store.known_article_urls("s") == {"https://s.vn/a": datetime(2025, 1, 1, tzinfo=UTC)}
    store.downgrade("0001")
    assert "article_urls" not in inspect(store.engine).get_table_names()
    store.upgrade()
    store.save_articles([make_article(1)], run_id)
    assert count(store, ArticleRow) == 2
    store.close()


def test_database_of_another_application_is_refused(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'other.db'}"
    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE invoices (id INTEGER PRIMARY KEY)"))
    engine.dispose()
    with pytest.raises(StoreUnavailable, match="not a newsarchive database"):
        ArchiveStore(url)


@pytest.mark.parametrize(
    "url",
    [
        "postgresql+psycopg://postgres@127.0.0.1:1/test",
        "postgresql+psycopg://nobody:secret@127.0.0.1:1/test",
        "nonsense://",
        "sqlite:////proc/newsarchive/archive.db",
    ],
)
def test_unusable_database_fails_with_one_clear_line(url: str) -> None:
    with pytest.raises(StoreUnavailable) as error:
        ArchiveStore(url)
    message = str(error.value)
    assert "\n" not in message
    assert "secret" not in message
    assert message.startswith(("cannot reach database", "not a database URL", "no driver", "cannot create"))


def test_sqlite_folder_is_created(tmp_path: Path) -> None:
    store = ArchiveStore(f"sqlite:///{tmp_path / 'deep' / 'er' / 'archive.db'}")
    assert (tmp_path / "deep" / "er" / "archive.db").exists()
    store.close()


# --- articles -----------------------------------------------------------------------------------------------------
def test_article_round_trip_keeps_every_field(store: ArchiveStore, make_article) -> None:
    article = make_article(1, modified_at=datetime(2025, 9, 18, 10, 30, tzinfo=ICT))
    run_id = store.start_run("baonghean", {"site": "baonghean"})
    report = store.save_articles([article], run_id)
    assert report.new == [article.canonical_url]
    [stored] = store.iter_articles()
    assert stored.to_record() == article.to_record()
    # the same instant and the publisher's offset, on both databases
    assert stored.published_at == datetime(2025, 9, 18, 1, 1, tzinfo=UTC)
    assert stored.published_at.utcoffset() == timedelta(hours=7)
    assert stored.fetched_at.tzinfo == UTC


def test_unchanged_recrawl_only_moves_last_seen(store: ArchiveStore, make_article) -> None:
    article = make_article(1)
    store.save_articles([article])
    with store.engine.connect() as connection:
        first_seen, last_seen = connection.execute(select(ArticleRow.first_seen, ArticleRow.last_seen)).one()
    report = store.save_articles([replace(article, fetched_at=datetime(2025, 9, 20, tzinfo=UTC))])
    assert report.unchanged == [article.canonical_url]
    with store.engine.connect() as connection:
        row = connection.execute(select(ArticleRow.first_seen, ArticleRow.last_seen, ArticleRow.version)).one()
    assert row.first_seen == first_seen
    assert row.last_seen > last_seen
    assert row.version == 1
    assert count(store, ArticleVersion) == 0
    assert count(store, ArticleRow) == 1


def test_changed_text_keeps_the_old_version(store: ArchiveStore, make_article) -> None:
    original = make_article(1)
    store.save_articles([original])
    edited_text = original.text + "\n\nCập nhật: thêm một đoạn mới."
    edited = replace(
        original,
        text=edited_text,
        content_hash=content_hash(edited_text),
        title="Tiêu đề đã sửa",
        captions=[],
        modified_at=datetime(2025, 9, 19, 9, 0, tzinfo=ICT),
    )
    report = store.save_articles([edited])
    assert report.changed == [original.canonical_url]
    [current] = store.iter_articles()
    assert current.text == edited_text
    assert current.title == "Tiêu đề đã sửa"
    assert current.captions == []
    [old] = store.article_versions(original.canonical_url)
    assert old["version"] == 1
    assert old["text"] == original.text
    assert old["title"] == original.title
    assert old["captions"] == [
        {"text": "Ảnh minh họa số 1.", "credit": "Ảnh: Thành Duy", "image_url": "https://baonghean.vn/img/1.jpg"}
    ]
    with store.engine.connect() as connection:
        assert connection.execute(select(ArticleRow.version)).scalar_one() == 2
    # the archive knows the new modification date, so a sitemap saying the same date does not refetch
    assert store.known_article_urls("baonghean")[original.canonical_url] == edited.modified_at


def test_an_article_inserted_and_changed_in_one_batch_is_versioned(store: ArchiveStore, make_article) -> None:
    """A row the batch inserted (one INSERT, no ORM object) is changed like a stored one when a later copy in the
    same batch has another text: its first text and captions become version 1."""
    first = make_article(1)
    edited = replace(first, text=first.text + "\n\nCập nhật.", content_hash=content_hash(first.text + "\n\nCập nhật."),
                     captions=[Caption("Ảnh mới.", None, "https://baonghean.vn/img/moi.jpg")])  # fmt: skip
    report = store.save_articles([first, edited, replace(edited, url=first.url + "?utm_source=x")])
    assert (report.new, report.changed, report.unchanged) == ([first.canonical_url], [first.canonical_url],
                                                              [first.canonical_url])  # fmt: skip
    [current] = store.iter_articles()
    assert current.text == edited.text and current.captions == edited.captions
    [old] = store.article_versions(first.canonical_url)
    assert (old["version"], old["text"]) == (1, first.text)
    assert old["captions"] == [{"text": c.text, "credit": c.credit, "image_url": c.image_url} for c in first.captions]
    assert count(store, ArticleRow) == 1 and count(store, CaptionRow) == 1


def test_a_second_url_of_an_article_is_the_same_row(store: ArchiveStore, make_article) -> None:
    article = make_article(1)
    amp = replace(article, url="https://baonghean.vn/amp/thoi-su/bai-viet-so-1-100001.html")
    store.save_articles([article])
    report = store.save_articles([amp])
    assert report.unchanged == [article.canonical_url]
    assert count(store, ArticleRow) == 1
    known = store.known_article_urls("baonghean")
    assert set(known) == {article.canonical_url, amp.url}
    assert store.get_article(amp.url).canonical_url == article.canonical_url
    assert store.stats()["duplicates by kind"]["url"] == 1


def test_two_copies_in_one_batch_are_one_row(store: ArchiveStore, make_article) -> None:
    article = make_article(1)
    report = store.save_articles([article, replace(article, url=article.url + "?utm_source=x")])
    assert count(store, ArticleRow) == 1
    assert report.new == [article.canonical_url]


def test_syndicated_copy_is_an_exact_duplicate(store: ArchiveStore, make_article) -> None:
    original = make_article(1)
    copy = make_article(
        1,
        url="https://nghean.gov.vn/tin/bai-1.html",
        canonical_url="https://nghean.gov.vn/tin/bai-1.html",
        site="nghean",
    )
    store.save_articles([original])
    report = store.save_articles([copy])
    assert report.duplicates == {copy.canonical_url: ("exact", original.canonical_url, 1.0)}
    stored = store.get_article(copy.canonical_url)
    assert stored.duplicate_of == original.canonical_url
    assert stored.similarity == 1.0
    assert count(store, ArticleRow) == 2  # recorded, not dropped
    assert store.get_article(original.canonical_url).duplicate_of is None


def test_copy_with_an_added_byline_is_a_near_duplicate(store: ArchiveStore, make_article) -> None:
    original = make_article(1)
    with_byline = original.text + "\n\nPV Thành Duy - Báo Nghệ An"
    copy = make_article(2, text=with_byline)
    unrelated = make_article(3)
    store.save_articles([original])
    report = store.save_articles([copy, unrelated])
    kind, of, similarity = report.duplicates[copy.canonical_url]
    assert (kind, of) == ("near", original.canonical_url)
    assert NEAR_DUPLICATE_THRESHOLD <= similarity < 1.0
    assert unrelated.canonical_url not in report.duplicates
    assert store.stats()["duplicates by kind"] == {"near": 1, "url": 0}


def test_short_texts_are_not_matched_as_near_duplicates(store: ArchiveStore, make_article) -> None:
    store.save_articles([make_article(1, text="Tin ngắn: mưa lớn ở Vinh.")])
    report = store.save_articles([make_article(2, text="Tin ngắn: mưa lớn ở Vinh chiều nay.")])
    assert report.duplicates == {}


def test_duplicates_point_at_the_original_not_at_a_copy(store: ArchiveStore, make_article) -> None:
    store.save_articles([make_article(1)])
    for n in (2, 3):
        store.save_articles([make_article(1, url=f"https://copy{n}.vn/a", canonical_url=f"https://copy{n}.vn/a")])
    originals = {a.duplicate_of for a in store.iter_articles() if a.duplicate_of}
    assert originals == {make_article(1).canonical_url}


# --- incremental crawls, captures, outcomes -----------------------------------------------------------------------
def test_known_article_urls_by_site_with_the_date_of_the_stored_copy(store: ArchiveStore, make_article) -> None:
    # the stored copy holds every change made before it was fetched: its date is the later of the two
    modified_before_fetch = datetime(2025, 9, 18, 12, 0, tzinfo=ICT)
    modified_after_fetch = datetime(2025, 9, 20, 12, 0, tzinfo=ICT)  # a site clock ahead of ours
    store.save_articles([
        make_article(1, modified_at=modified_before_fetch),
        make_article(2, modified_at=modified_after_fetch),
        make_article(3),
        make_article(4, site="vnexpress"),
    ])
    known = store.known_article_urls("baonghean")
    assert known == {
        make_article(1).canonical_url: make_article(1).fetched_at,
        make_article(2).canonical_url: modified_after_fetch,
        make_article(3).canonical_url: make_article(3).fetched_at,
    }
    assert store.known_article_urls("tuoitre") == {}


def test_urls_that_redirected_to_an_article_are_known(store: ArchiveStore, make_article) -> None:
    article = make_article(1)
    run_id = store.start_run("baonghean", {})
    store.save_articles([article], run_id)
    store.record_outcomes([
        ("https://baonghean.vn/tin-tuc/bai-cu.html", "redirect", article.url),
        ("https://baonghean.vn/r/1", "redirect", "https://baonghean.vn/trang-khac.html"),  # not an article
    ], run_id)
    known = store.known_article_urls("baonghean")
    assert known["https://baonghean.vn/tin-tuc/bai-cu.html"] == known[article.canonical_url]
    assert "https://baonghean.vn/r/1" not in known
    assert store.known_article_urls("vnexpress") == {}


def capture(url: str, minute: int, **values) -> Capture:
    return Capture(
        url=url, status=values.pop("status", 200), fetched_at=datetime(2025, 9, 19, 1, minute, tzinfo=UTC), **values
    )


def test_outcome_goes_to_the_latest_capture_of_the_url(store: ArchiveStore) -> None:
    url = "https://baonghean.vn/thoi-su/"
    run_id = store.start_run("baonghean", {})
    store.save_captures([capture(url, 1), capture(url, 5)], run_id)
    store.record_outcomes([(url, "listing", "")], run_id)
    store.record_outcomes([("https://baonghean.vn/x.html", "failed", "DNSLookupError: no such host")], run_id)
    with store.engine.connect() as connection:
        rows = connection.execute(
            select(CaptureRow.url, CaptureRow.fetched_at, CaptureRow.outcome, CaptureRow.status).order_by(CaptureRow.id)
        ).all()
    assert [(r.outcome, r.fetched_at.minute if r.url == url else None) for r in rows] == [
        ("", 1),
        ("listing", 5),
        ("failed", None),
    ]
    assert rows[2].status is None
    assert store.stats()["failures by reason"] == {"DNSLookupError: no such host": 1}
    # a later crawl that could not fetch the URL records that, and leaves the earlier crawl's capture alone
    store.record_outcomes([(url, "failed", "TimeoutError")], store.start_run("baonghean", {}))
    assert store.stats()["captures by outcome"] == {"failed": 2, "listing": 1, "": 1}


def test_one_batch_of_captures_and_outcomes_is_written_as_one_at_a_time(store: ArchiveStore, make_article) -> None:
    """The bulk path (captures inserted with their outcomes, one lookup for the stored ones) leaves the rows the
    call-by-call path leaves: outcomes on the latest capture (of the batch, else of the run by fetch time), the last
    outcome winning, one capture-less row per URL never fetched, an earlier run's captures untouched."""
    page, listing, lost = "https://baonghean.vn/a.html", "https://baonghean.vn/thoi-su/", "https://baonghean.vn/x"
    refused = make_article(7, site="")

    def events(run_id: int) -> list[tuple[str, list]]:
        return [
            ("captures", [capture(listing, 9), capture(listing, 2)]),  # stored: the latest is minute 9, not the last
            ("captures", [capture(page, 1), capture(page, 3), capture(refused.url, 4)]),
            ("outcomes", [(page, "failed", "first"), (page, "article", ""), (lost, "failed", "DNS"),
                          (lost, "failed", "DNS again"), (listing, "listing", "")]),
            ("articles", [refused]),
        ]

    def snapshot(batched: bool) -> list[tuple]:
        # a capture of an earlier run, later than this run's
        store.save_captures([capture(listing, 30)], store.start_run("earlier", {}))
        run_id = store.start_run("baonghean", {})
        batch = events(run_id)
        store.save_captures(batch[0][1], run_id)
        if batched:
            store.save_batch(captures=batch[1][1], outcomes=batch[2][1], articles=batch[3][1], run_id=run_id)
        else:
            store.save_captures(batch[1][1], run_id)
            store.save_articles(batch[3][1], run_id)
            for outcome in batch[2][1]:
                store.record_outcomes([outcome], run_id)
        with store.engine.begin() as connection:
            found = connection.execute(
                select(CaptureRow.run_id, CaptureRow.url, CaptureRow.fetched_at, CaptureRow.record_type,
                       CaptureRow.outcome, CaptureRow.reason).order_by(CaptureRow.id)
            ).all()
            for table in ("captures", "crawl_runs"):
                connection.execute(text(f"DELETE FROM {table}"))
        return [(r.run_id - run_id, r.url, None if r.record_type == "none" else r.fetched_at, *r[3:]) for r in found]

    one_at_a_time = snapshot(batched=False)
    assert snapshot(batched=True) == one_at_a_time
    outcomes = {(url, minute.minute if minute else None): (outcome, reason) for _, url, minute, _, outcome, reason
                in one_at_a_time}  # fmt: skip
    assert outcomes[listing, 9] == ("listing", "") and outcomes[listing, 30] == ("", "")
    assert outcomes[page, 3] == ("article", "") and outcomes[page, 1] == ("", "")
    assert outcomes[lost, None] == ("failed", "DNS again")
    assert outcomes[refused.url, 4][0] == "failed" and "no site" in outcomes[refused.url, 4][1]


def test_conditional_headers_come_from_the_last_capture_with_validators(store: ArchiveStore) -> None:
    url = "https://baonghean.vn/sitemap.xml"
    assert store.conditional_headers(url) == {}
    finished = store.start_run("baonghean", {})
    store.save_captures(
        [
            capture(url, 1, etag='"v1"', last_modified="Thu, 18 Sep 2025 01:00:00 GMT"),
            capture(url, 2, etag='"v2"'),
            capture(url, 3, status=503),
        ],
        finished,
    )
    store.finish_run(finished, {}, "finished")
    assert store.conditional_headers(url) == {"If-None-Match": '"v2"'}
    assert store.conditional_headers("https://baonghean.vn/other.xml") == {}
    # a later run that stopped half-way may not have followed what the document led to: its validators don't count
    stopped = store.start_run("baonghean", {})
    store.save_captures([capture(url, 4, etag='"v3"')], stopped)
    store.finish_run(stopped, {}, "shutdown")
    assert store.conditional_headers(url) == {"If-None-Match": '"v2"'}


def test_the_first_whole_response_of_a_payload_and_the_latest_of_a_url(store: ArchiveStore) -> None:
    def pointer(n: int, digest: str) -> WarcPointer:
        return WarcPointer("a.warc.gz", n * 100, 90, f"<urn:uuid:{n}>", digest)

    store.save_captures(
        [
            capture("https://x.vn/1", 1, warc=pointer(1, "sha1:AAA")),
            capture("https://x.vn/2", 2, warc=pointer(2, "sha1:AAA")),
            capture("https://x.vn/1", 3, warc=pointer(3, "sha1:BBB")),
            capture("https://x.vn/4", 4, warc=pointer(4, "sha1:AAA"), record_type="revisit"),
            capture("https://x.vn/5", 5),
            capture("https://x.vn/1", 6, warc=pointer(6, "sha1:CCC"), truncated="length"),
        ]
    )
    minute = [datetime(2025, 9, 19, 1, n, tzinfo=UTC) for n in range(4)]
    assert store.first_payload("sha1:AAA") == ("https://x.vn/1", minute[1], "<urn:uuid:1>")
    assert store.first_payload("sha1:CCC") is None  # a truncated payload is no original
    assert store.first_payload("sha1:ZZZ") is None
    assert store.latest_response("https://x.vn/1") == (minute[3], "<urn:uuid:3>", "sha1:BBB")
    assert store.latest_response("https://x.vn/4") is None and store.latest_response("https://x.vn/5") is None


def test_crawl_run_is_recorded(store: ArchiveStore) -> None:
    run_id = store.start_run("baonghean", {"since": "2025-09-01", "max_articles": 10, "start": "https://x.vn/\x00"})
    stats = {"item_scraped_count": 3, "start_time": datetime(2025, 9, 19, tzinfo=UTC), "odd\ud800": "\\u0000\x00",
             "rate": float("nan")}
    store.finish_run(run_id, stats, "finished")
    with store.engine.connect() as connection:
        run = connection.execute(select(CrawlRun)).one()
    assert run.site == "baonghean"
    assert run.arguments == {"since": "2025-09-01", "max_articles": 10, "start": "https://x.vn/"}
    assert run.stats == {"item_scraped_count": 3, "start_time": "2025-09-19 00:00:00+00:00", "odd\ufffd": "\\u0000",
                         "rate": None}
    assert run.status == "finished"
    assert run.finished_at >= run.started_at


def test_iter_articles_filters_by_site_and_date(store: ArchiveStore, make_article) -> None:
    store.save_articles(
        [
            make_article(1, published_at=datetime(2025, 9, 1, 8, 0, tzinfo=ICT)),
            make_article(2, published_at=datetime(2025, 9, 20, 8, 0, tzinfo=ICT)),
            make_article(3, published_at=None, fetched_at=datetime(2025, 9, 21, tzinfo=UTC)),
            make_article(4, site="vnexpress"),
        ]
    )
    numbers = {a.title.rsplit(" ", 1)[1] for a in store.iter_articles(since=date(2025, 9, 15))}
    assert numbers == {"2", "3", "4"}
    assert {a.site for a in store.iter_articles(site="vnexpress")} == {"vnexpress"}
    assert len(list(store.iter_articles(site="baonghean", since=datetime(2025, 9, 20, 1, 0, tzinfo=UTC)))) == 2


def test_stats_counts(store: ArchiveStore, make_article) -> None:
    store.start_run("baonghean", {})
    store.save_articles(
        [
            make_article(1),
            make_article(2, section="Kinh tế", published_at=datetime(2025, 9, 17, 23, 30, tzinfo=ICT)),
            make_article(1, url="https://copy.vn/1", canonical_url="https://copy.vn/1", site="copy"),
        ]
    )
    summary = store.stats()
    assert summary["articles"] == 3
    assert summary["crawl runs"] == 1
    assert summary["articles per site"] == {"baonghean": 2, "copy": 1}
    assert summary["articles per section"] == {"Thời sự": 2, "Kinh tế": 1}
    assert summary["articles per day"] == {"2025-09-18": 2, "2025-09-17": 1}  # the publisher's day, not UTC's
    assert summary["duplicates by kind"] == {"exact": 1, "url": 0}
    assert summary["articles with cleaned or dropped values"] == 0


# --- bad input ----------------------------------------------------------------------------------------------------
def test_nul_bytes_surrogates_and_long_fields_are_stored_cleanly(store: ArchiveStore, make_article) -> None:
    article = make_article(
        1,
        title="Tiêu\x00 đề \ud800 hỏng",
        section="S" * 900,
        authors=["Tác\x00giả"],
        lead="x" * 200_000,
    )
    store.save_articles([article])
    [stored] = store.iter_articles()
    assert stored.title == "Tiêu đề \ufffd hỏng"
    assert stored.section == "S" * 500
    assert stored.authors == ["Tácgiả"]
    assert len(stored.lead) == 200_000
    with store.engine.connect() as connection:
        issues = connection.execute(select(ArticleRow.issues)).scalar_one()
    assert "section longer than 500 characters" in issues


@pytest.mark.parametrize(
    "published_at",
    [
        datetime(1, 1, 1, 0, 0, tzinfo=ICT),  # year 1 east of UTC: before datetime.min in UTC
        datetime(9999, 12, 31, 23, 0, tzinfo=timezone(timedelta(hours=-5))),  # after datetime.max in UTC
        datetime(9999, 1, 1, tzinfo=UTC),
        datetime(1800, 1, 1, tzinfo=UTC),
        "2025-09-18",
    ],
)
def test_absurd_dates_are_dropped_with_a_recorded_reason(store: ArchiveStore, make_article, published_at) -> None:
    store.save_articles([make_article(1, published_at=published_at)])
    [stored] = store.iter_articles()
    assert stored.published_at is None
    with store.engine.connect() as connection:
        issues = connection.execute(select(ArticleRow.issues)).scalar_one()
    assert issues.startswith("published_at")


def test_naive_dates_are_taken_as_utc_with_a_recorded_reason(store: ArchiveStore, make_article) -> None:
    store.save_articles([make_article(1, published_at=datetime(2025, 9, 18, 8, 0))])
    [stored] = store.iter_articles()
    assert stored.published_at == datetime(2025, 9, 18, 8, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"url": "https://baonghean.vn/" + "a" * 3000, "canonical_url": ""}, "URL longer than 2083"),
        ({"text": "  ", "content_hash": "x"}, "no text"),
        ({"content_hash": ""}, "no content hash"),
        ({"site": ""}, "no site"),
    ],
)
def test_unstorable_articles_are_refused_with_the_reason_on_their_capture(
    store: ArchiveStore, make_article, change, reason
) -> None:
    article = make_article(1, **change)
    report = store.save_articles([article, make_article(2)])
    assert len(report.refused) == 1 and reason in report.refused[0][1]
    assert report.new == [make_article(2).canonical_url]
    assert store.stats()["failures by reason"] == {f"not stored: {report.refused[0][1]}": 1}


def test_capture_with_a_very_long_url_and_odd_values(store: ArchiveStore) -> None:
    long_url = "https://baonghean.vn/?q=" + "x" * 10_000
    store.save_captures(
        [
            Capture(
                url=long_url,
                status=200,
                fetched_at=datetime(2025, 9, 19, tzinfo=UTC),
                content_type="text/html; " + "c" * 400,
                etag="\x00e",
                last_modified="L" * 300,
            ),
            Capture(url="https://baonghean.vn/naive", status=200, fetched_at=datetime(2025, 9, 19)),
        ]
    )
    store.record_outcomes([(long_url, "listing", "")])
    with store.engine.connect() as connection:
        rows = connection.execute(select(CaptureRow).order_by(CaptureRow.id)).all()
    assert rows[0].url == long_url and rows[0].outcome == "listing" and rows[0].etag == "e"
    assert rows[0].last_modified is None
    assert "unusable" in rows[1].reason


# --- two writers ----------------------------------------------------------------------------------------------------
def write_articles_in_another_process(database_url: str, order: int, barrier: Any) -> None:
    store = ArchiveStore(database_url)
    numbers = list(range(40)) if order == 0 else list(reversed(range(40)))
    barrier.wait(timeout=60)  # both processes write at the same time, in small batches that interleave
    for start in range(0, 40, 2):
        batch = []
        for n in numbers[start : start + 2]:
            body = vietnamese_like_text(n % 30)  # 10 texts appear under two URLs each: exact duplicates
            url = f"https://baonghean.vn/bai-{n}.html"
            batch.append(
                Article(
                    url=url + ("?utm_source=x" if order else ""),
                    canonical_url=url,
                    site="baonghean",
                    title=str(n),
                    text=body,
                    content_hash=content_hash(body),
                    published_at=datetime(2025, 9, 18, tzinfo=ICT),
                )
            )
        store.save_articles(batch, run_id=None)
    store.close()


@pytest.mark.integration  # two spawned processes
def test_two_processes_writing_the_same_articles_make_no_duplicate_rows(store: ArchiveStore) -> None:
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(2)
    workers = [
        context.Process(target=write_articles_in_another_process, args=(store.database_url, order, barrier))
        for order in (0, 1)
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=120)
        assert worker.exitcode == 0
    with store.engine.connect() as connection:
        assert connection.execute(select(func.count()).select_from(ArticleRow)).scalar_one() == 40
        kinds = connection.execute(select(ArticleRow.duplicate_kind, func.count()).group_by(ArticleRow.duplicate_kind))
        assert dict(kinds.all()) == {None: 30, "exact": 10}
    assert len(store.known_article_urls("baonghean")) == 80  # 40 canonical URLs + 40 with the tracking parameter


def open_store_in_another_process(database_url: str, barrier: Any) -> None:
    barrier.wait(timeout=60)
    ArchiveStore(database_url).close()


@pytest.mark.integration  # three spawned processes
def test_processes_opening_an_empty_database_together_create_the_schema_once(database_url: str) -> None:
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(3)
    workers = [context.Process(target=open_store_in_another_process, args=(database_url, barrier)) for _ in range(3)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=120)
    assert [worker.exitcode for worker in workers] == [0, 0, 0]
    store = ArchiveStore(database_url)
    assert store.current_revision() == store.head_revision()
    store.close()


def test_an_outdated_database_opens_for_the_upgrade_command(database_url: str) -> None:
    ArchiveStore(database_url).downgrade("0001")
    outdated = ArchiveStore(database_url)  # what `newsarchive db upgrade` does first
    assert outdated.current_revision() == "0001"
    outdated.upgrade()
    assert outdated.known_article_urls("baonghean") == {}
    outdated.close()


@pytest.mark.parametrize("kind", ["exact", "near"])
def test_the_copy_published_first_is_the_original_whatever_the_crawl_order(
    store: ArchiveStore, make_article, kind: str
) -> None:
    original = make_article(1, published_at=datetime(2025, 9, 19, 8, 0, tzinfo=ICT))
    copy_text = original.text if kind == "exact" else original.text + "\n\nTheo Báo Nghệ An"
    late_copies = [
        make_article(n, text=copy_text, published_at=datetime(2025, 9, 19, 8 + n, 0, tzinfo=ICT),
                     url=f"https://vnexpress.net/copy-{n}.html", canonical_url=f"https://vnexpress.net/copy-{n}.html",
                     site="vnexpress")
        for n in (2, 3)
    ]
    store.save_articles([late_copies[0]])  # crawled before the original
    store.save_articles([original])
    store.save_articles([late_copies[1]])
    stored = {a.canonical_url: a for a in store.iter_articles()}
    assert stored[original.canonical_url].duplicate_of is None
    for copy in late_copies:
        assert stored[copy.canonical_url].duplicate_of == original.canonical_url
    assert store.stats()["duplicates by kind"] == {kind: 2, "url": 0}


def test_an_article_first_archived_via_an_alias_moves_home(store: ArchiveStore, make_article) -> None:
    article = make_article(1)
    amp = replace(article, url="https://baonghean.vn/amp/thoi-su/bai-viet-so-1-100001.html")
    store.save_articles([amp])
    assert store.get_article(article.canonical_url).url == amp.url
    store.save_articles([article])
    assert store.get_article(article.canonical_url).url == article.url
    assert count(store, ArticleRow) == 1


def test_a_row_first_archived_via_an_alias_takes_its_canonical_capture(store: ArchiveStore, make_article) -> None:
    """The row's URL, WARC pointer, fetch time and payload digest are always those of one capture: its own URL's."""
    article = make_article(1)
    amp = replace(
        article,
        url="https://baonghean.vn/amp/thoi-su/bai-viet-so-1-100001.html",
        fetched_at=article.fetched_at - timedelta(minutes=5),
        warc=WarcPointer("amp.warc.gz", 10, 20, "<urn:uuid:amp>", "sha1:AMP"),
    )
    store.save_articles([amp])
    assert store.get_article(article.canonical_url).warc == amp.warc
    store.save_articles([article])
    home = store.get_article(article.canonical_url)
    assert (home.url, home.warc, home.fetched_at) == (article.url, article.warc, article.fetched_at)
    store.save_articles([replace(amp, fetched_at=article.fetched_at + timedelta(minutes=5))])  # the alias again
    assert store.get_article(article.canonical_url).warc == article.warc  # a row at home stays at home


def test_same_words_in_another_order_are_not_a_near_duplicate(store: ArchiveStore, make_article) -> None:
    original = make_article(1)
    words = original.text.split()
    shuffled = " ".join(words[1::2] + words[::2])  # the same bag of words: the same Simhash, other phrasing
    store.save_articles([original])
    report = store.save_articles([make_article(2, text=shuffled)])
    assert report.duplicates == {}


def test_an_unchanged_refetch_confirms_the_stored_copy(store: ArchiveStore, make_article) -> None:
    first = make_article(1)
    store.save_articles([first])
    later = first.fetched_at + timedelta(days=10)
    report = store.save_articles([replace(first, fetched_at=later)])
    assert report.unchanged == [first.canonical_url]
    # a sitemap date between the two fetches is not news any more
    assert store.known_article_urls("baonghean")[first.canonical_url] >= later


def test_copies_never_point_at_a_displaced_original(store: ArchiveStore, make_article) -> None:
    base = make_article(1)
    now = base.published_at
    near_text = base.text + "\n\nPV Thành Duy - Báo Nghệ An"
    a = make_article(2, text=base.text, published_at=now - timedelta(days=2))
    b = make_article(3, text=near_text, published_at=now - timedelta(days=5))
    c = make_article(4, text=base.text, published_at=now - timedelta(days=1))
    store.save_articles([a, b, c])
    rows = {article.canonical_url: article for article in store.iter_articles()}
    originals = {article.canonical_url for article in rows.values() if article.duplicate_of is None}
    assert originals == {b.canonical_url}
    assert all(article.duplicate_of in originals for article in rows.values() if article.duplicate_of)
    assert {url: article.duplicate_of for url, article in rows.items()} == {
        a.canonical_url: b.canonical_url, b.canonical_url: None, c.canonical_url: b.canonical_url
    }


def test_the_store_answers_the_warc_revisit_index(database_url: str, tmp_path: Path) -> None:
    from types import SimpleNamespace

    from archive.digests import ArchivedPayload, DigestIndex
    from crawler.recorder import archived_payloads_of

    store = ArchiveStore(database_url)
    pointer = WarcPointer("a.warc.gz", 100, 90, "<urn:uuid:1>", "sha1:AAA")
    store.save_captures([capture("https://x.vn/1", 1, warc=pointer)])
    store.close()
    crawler = SimpleNamespace(settings={"DATABASE_URL": database_url})
    lookup = archived_payloads_of(crawler)
    index = DigestIndex(fallbacks=[lookup])
    when = datetime(2025, 9, 19, 1, 1, tzinfo=UTC)
    assert index.get("sha1:AAA") == ArchivedPayload("https://x.vn/1", when, "<urn:uuid:1>", "sha1:AAA")
    assert index.latest("https://x.vn/1") == ArchivedPayload("https://x.vn/1", when, "<urn:uuid:1>", "sha1:AAA")
    assert index.get("sha1:BBB") is None and index.latest("https://x.vn/2") is None
    # the store's copy stays the first of its payload; a later capture of the URL is its latest
    index.add("sha1:AAA", "https://x.vn/1", when + timedelta(days=1), "<urn:uuid:2>")
    assert index.get("sha1:AAA").record_id == "<urn:uuid:1>"
    assert index.latest("https://x.vn/1").record_id == "<urn:uuid:2>"
    index.close()
    lookup.close()


# --- what discovery listed, and what the archive still owes ----------------------------------------------------------
def test_listed_urls_are_owed_until_archived_or_settled(store: ArchiveStore, make_article) -> None:
    listed = [make_article(n).url for n in range(1, 7)]
    store.note_listed("baonghean", "https://baonghean.vn/sitemap-1.xml", "article", listed)
    store.note_listed("baonghean", "https://baonghean.vn/sitemap.xml", "sitemap", ["https://baonghean.vn/sitemap-1.xml"])
    store.save_articles([make_article(1)])  # archived
    now = datetime(2025, 9, 20, tzinfo=UTC)
    hour = timedelta(hours=1)
    store.save_captures([
        Capture(listed[0], 200, now - hour, outcome="article"),
        Capture(listed[1], 200, now - hour, outcome="not_article", reason="no text"),  # settled
        Capture(listed[2], 500, now - hour, outcome="failed", reason="HTTP 500"),  # failed once, an hour ago
        Capture(listed[3], 500, now - 10 * hour, outcome="failed", reason="HTTP 500"),  # twice, 3 h ago at last
        Capture(listed[3], 500, now - 3 * hour, outcome="failed", reason="HTTP 500"),
        Capture(listed[4], 200, now - hour, outcome="article"),  # fetched, but no row: lost (a crash, a failed write)
    ])  # fmt: skip
    started = datetime.now(UTC)  # the run asking started after the listing: what is due is owed by earlier runs

    def due(site: str = "baonghean", **rules: Any):
        return store.due_articles(site, after=None, limit=10, rules=DueRules(run_started=started, now=now, **rules))

    owed = due(attempts=2, backoff=1800)
    # listed[5] was never fetched; listed[3] failed as often as allowed
    assert (owed.urls, owed.verdicts["later"], owed.verdicts["given_up"]) == ([listed[2], listed[4], listed[5]], 0, 1)
    assert (owed.verdicts["archived"], owed.verdicts["settled"], owed.earlier, owed.more) == (1, 1, 3, False)
    owed = due(attempts=5, backoff=7200)  # listed[2] due 2 h after its failure
    assert (owed.urls, owed.verdicts["later"], owed.verdicts["given_up"]) == ([listed[4], listed[5]], 2, 0)
    assert due("another-site", attempts=5, backoff=0).urls == []
    assert store.listed_documents("baonghean", "https://baonghean.vn/sitemap.xml") == [
        ("https://baonghean.vn/sitemap-1.xml", "sitemap")]


def test_the_frontier_reads_listed_urls_in_listing_order_a_batch_at_a_time(store: ArchiveStore, make_article) -> None:
    urls = [f"https://baonghean.vn/a-{n}.html" for n in range(FRONTIER_CHUNK + 20)]
    store.note_listed("baonghean", "https://baonghean.vn/sitemap-1.xml", "article", urls)
    rules = DueRules(attempts=5, backoff=0, run_started=datetime.now(UTC))
    first = store.due_articles("baonghean", after=None, limit=3, rules=rules)
    assert first.urls == urls[:3] and first.more and first.judged == 3
    assert store.listed_not_reached("baonghean", first.after) == len(urls) - 3  # left waiting
    # a URL listed again after that position (a sitemap read later in the run) lies after it: judged again
    store.save_articles([make_article(1, url=urls[1])])
    store.save_captures([Capture(urls[1], 200, datetime(2025, 9, 19, tzinfo=UTC), outcome="article")])
    store.note_listed("baonghean", "https://baonghean.vn/sitemap-2.xml", "article", {urls[0]: None})
    rest = store.due_articles("baonghean", after=first.after, limit=len(urls), rules=rules)
    assert rest.urls == [*urls[3:], urls[0]] and not rest.more  # across chunks of queries
    assert store.listed_not_reached("baonghean", rest.after) == 0
    assert store.listed_not_reached("baonghean", None) == len(urls) - 1  # one is archived


def test_an_archived_url_is_due_again_when_listed_as_changed_or_with_refresh(store: ArchiveStore, make_article) -> None:
    stored = make_article(1)  # fetched 2025-09-19 01:00 UTC
    store.save_articles([stored])
    store.save_captures([Capture(stored.url, 200, stored.fetched_at, outcome="article")])
    declared = "https://baonghean.vn/declared-canonical-10300099.html"  # archived under it, never fetched from it
    store.save_articles([make_article(2, canonical_url=declared)])
    before, after = datetime(2025, 9, 18, tzinfo=UTC), datetime(2025, 9, 21, tzinfo=UTC)
    run = datetime.now(UTC)
    store.note_listed("baonghean", "https://baonghean.vn/s.xml", "article", {stored.url: before})

    def due(**rules: Any) -> list[str]:
        return store.due_articles("baonghean", after=None, limit=10, rules=DueRules(5, 0, **rules)).urls

    assert due(run_started=run) == []  # archived, unchanged since
    assert due(run_started=run - timedelta(hours=1), refresh=True) == [stored.url]  # listed in this run
    assert due(run_started=datetime.now(UTC), refresh=True) == []  # listed before this run: not this run's
    store.note_listed("baonghean", "https://baonghean.vn/s.xml", "article", {stored.url: after})
    assert due(run_started=run) == [stored.url]  # the listing says it changed after the stored copy
    assert due(run_started=run, since=datetime(2025, 9, 22, tzinfo=UTC)) == []  # older than --since: left
    store.note_listed("baonghean", "https://baonghean.vn/s.xml", "article", [declared])
    # a URL another page declared its canonical is fetched once, so that the row moves to its own capture
    assert due(run_started=datetime.now(UTC)) == [stored.url, declared]
    store.save_captures([Capture(declared, 200, stored.fetched_at, outcome="article")])
    assert due(run_started=datetime.now(UTC)) == [stored.url]


def test_a_canonical_link_merges_only_the_same_story(store: ArchiveStore, make_article) -> None:
    first = make_article(1)
    # another article declaring the first one's URL as its canonical (a CMS mistake): another row
    other = make_article(2, canonical_url=first.url)
    # the same story under a second URL (a print version with a byline added): one row
    copy = make_article(1, url=first.url.replace(".html", "-print.html"), canonical_url=first.url,
                        text=first.text + "\n\nThành Duy")
    report = store.save_articles([first, other, copy])
    assert report.canonical_disagreed == [other.url]
    by_url = {a.canonical_url: a for a in store.iter_articles()}
    assert set(by_url) == {first.url, other.url}
    assert by_url[other.url].text == other.text
    assert store.get_article(copy.url).canonical_url == first.url  # the copy is a version of the first
    assert [v["text"] for v in store.article_versions(first.url)] == [first.text]


def test_a_page_claiming_another_articles_url_gives_it_back(store: ArchiveStore, make_article) -> None:
    second = make_article(2)
    # fetched first, the page declaring the second article's URL its canonical is archived under it...
    first = make_article(1, canonical_url=second.url)
    store.save_articles([first])
    assert store.get_article(second.url).text == first.text
    # ...until the second article itself comes, another story: each is then archived under its own URL
    report = store.save_articles([second])
    assert report.canonical_disagreed == [first.url]
    assert {a.canonical_url: a.text for a in store.iter_articles()} == {first.url: first.text, second.url: second.text}
    assert store.get_article(second.url).text == second.text and store.get_article(first.url).text == first.text


@pytest.mark.parametrize("chunk", [2, 500], ids=["chunks-of-2", "one-chunk"])
def test_near_duplicates_in_one_batch_see_the_rows_saved_before_them(
    store: ArchiveStore, make_article, monkeypatch, chunk: int
) -> None:
    # A chunk's new rows are inserted together at its end: until then they are found and displaced in memory.
    monkeypatch.setattr(archive.store, "PREFETCH_CHUNK", chunk)
    base = make_article(1)
    day = timedelta(days=1)

    def article(n: int, text: str, published_at: datetime, canonical: int | None = None) -> Article:
        url = f"https://a.vn/{n}"
        return make_article(n, url=url, canonical_url=f"https://a.vn/{canonical or n}", text=text,
                            published_at=published_at)

    first = article(1, base.text, base.published_at)
    earlier = article(2, base.text + "\n\nTheo TTXVN", base.published_at - day)  # displaces the first
    exact = article(3, base.text, base.published_at + day)  # the first's text, whose original is displaced
    changed = article(4, base.text + "\n\nPV", base.published_at, canonical=1)  # the first, changed
    report = store.save_articles([first, earlier, exact, changed])
    stored = {a.canonical_url: (a.url, a.duplicate_of) for a in store.iter_articles()}
    assert stored == {
        "https://a.vn/1": ("https://a.vn/4", "https://a.vn/2"),
        "https://a.vn/2": ("https://a.vn/2", None),
        "https://a.vn/3": ("https://a.vn/3", "https://a.vn/2"),
    }
    assert (report.new, report.changed) == (["https://a.vn/1", "https://a.vn/2", "https://a.vn/3"], ["https://a.vn/1"])
    assert {url: found[:2] for url, found in report.duplicates.items()} == {
        "https://a.vn/1": ("near", "https://a.vn/2"), "https://a.vn/3": ("near", "https://a.vn/2"),
    }
    assert [v["version"] for v in store.article_versions("https://a.vn/1")] == [1]
