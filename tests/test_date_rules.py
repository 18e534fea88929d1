"""The date rules that decide between the page's own evidence and htmldate, and how precise and how zoned a date
is, from extraction through the store to the export. Each page here is written for its test."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path

import pytest
from lxml import html

from archive.export import export
from archive.records import Article, DatePrecision, ZoneSource, format_date
from archive.store import ArchiveStore
from archive.text import to_text_form
from crawler.dates import DateSettings, find_dates, impossible_date, parse_date
from crawler.extract import extract_article

CET = timezone(timedelta(hours=1))
US_MOUNTAIN = timezone(timedelta(hours=-7))
PARAGRAPHS = "".join(
    f"<p>Paragraph {n} of a story written for this test, long enough to be taken for an article body.</p>"
    for n in range(6)
)


def page(head: str = "", byline: str = "", tail: str = "") -> str:
    return (
        f"<html><head><title>Story</title>{head}</head><body><header><nav>Home</nav></header>"
        f"<article><h1>Story</h1>{byline}{PARAGRAPHS}</article>{tail}</body></html>"
    )


def published(document: str, url: str = "https://example.org/story", zone: str = "UTC", **kwargs):
    settings = DateSettings(zone, "DMY", ("en", "de"))
    return find_dates(html.fromstring(document), url, settings=settings, **kwargs).published


# --- the page's offset ----------------------------------------------------------------------------------------------
def test_a_declared_offset_is_kept_past_midnight():
    found = published(page('<meta property="article:published_time" content="2025-01-01T00:11:00+01:00">'))
    assert found.value == datetime(2025, 1, 1, 0, 11, tzinfo=CET)
    assert found.value.utcoffset() == timedelta(hours=1) and found.zone == ZoneSource.DECLARED


def test_a_utc_instant_printed_as_local_time_is_read_in_the_pages_offset():
    document = page(
        '<meta property="article:published_time" content="2023-03-09T03:30:00Z">',
        '<span class="posted">March 8, 2023 8:30 pm</span>',
    )
    found = published(document)
    assert found.value == datetime(2023, 3, 8, 20, 30, tzinfo=US_MOUNTAIN)
    assert found.value.utcoffset() == timedelta(hours=-7)


def test_a_utc_instant_with_a_local_day_on_the_day_before_gives_the_readers_day():
    document = page(
        '<meta property="article:published_time" content="2023-03-09T03:30:00+00:00">',
        '<time datetime="2023-03-08">8 March</time>',
    )
    found = published(document)
    assert found.value.date() == date(2023, 3, 8)
    assert found.precision == DatePrecision.DAY


def test_utc_times_without_a_local_counterpart_stay_in_utc():
    document = page('<meta property="article:published_time" content="2023-03-09T03:30:00Z">')
    assert published(document, htmldate="2023-03-09").value == datetime(2023, 3, 9, 3, 30, tzinfo=UTC)


def test_a_utc_instant_on_the_day_after_htmldates_is_the_readers_day_of_htmldate():
    document = page('<meta property="article:published_time" content="2023-03-09T03:30:00Z">')
    found = published(document, htmldate="2023-03-08")
    assert found.value.date() == date(2023, 3, 8) and found.precision == DatePrecision.DAY
    # a day no real offset reaches is another matter: the instant stands
    assert published(document, htmldate="2023-03-07").value == datetime(2023, 3, 9, 3, 30, tzinfo=UTC)


def test_a_utc_instant_is_expressed_in_the_sites_zone_when_that_gives_the_readers_day():
    document = page('<meta property="article:published_time" content="2023-03-08T23:30:00Z">')
    found = published(document, zone="Europe/Berlin", htmldate="2023-03-09")
    assert found.value == datetime(2023, 3, 9, 0, 30, tzinfo=CET)
    assert (found.precision, found.zone) == (DatePrecision.SECOND, ZoneSource.ASSUMED)


# --- which evidence wins --------------------------------------------------------------------------------------------
def test_dates_of_a_listed_time_class_are_not_the_pages():
    comments = "".join(
        f'<li><time class="entry-published" datetime="2024-02-{day:02d}T10:00:00+01:00">{day}</time></li>'
        for day in (10, 11, 12)
    )
    document = page(byline='<time datetime="2024-02-03T09:15:00+01:00">3 Feb</time>', tail=f"<ul>{comments}</ul>")
    assert published(document, htmldate="2024-02-03").value == datetime(2024, 2, 3, 9, 15, tzinfo=CET)


def test_structured_evidence_stands_against_htmldate():
    jsonld = [{"@type": "NewsArticle", "datePublished": "2024-06-02"}]
    assert published(page(), jsonld=jsonld, htmldate="2024-05-30").value.date() == date(2024, 6, 2)
    document = page('<meta property="article:published_time" content="2024-06-02T10:00:00+02:00">')
    assert published(document, htmldate="2024-05-30").value.date() == date(2024, 6, 2)


def test_htmldate_decides_against_a_lone_visible_reading():
    document = page(tail='<div class="date-box">Updated list of 14.07.2021</div>')
    assert published(document, htmldate="2021-07-20").value.date() == date(2021, 7, 20)


@pytest.mark.parametrize(
    "opening",
    ["<p>Springfield, (03.04.2022). The council met.</p>", "<p>03.04.2022 10:16 - The council met.</p>",
     '<div class="facts"><b>Date:</b> 03.04.2022</div>'],
)  # fmt: skip
def test_a_dateline_opening_the_text_stands_against_htmldate(opening: str):
    found = published(page(byline=opening), htmldate="2022-04-09")
    assert found.value.date() == date(2022, 4, 3)


@pytest.mark.parametrize(
    ("opening", "expected"),
    [("<p>March 5, 2020 · 3 min read</p>", date(2020, 3, 5)),
     ("<p>Berlin, 5. März 2020, 10:12 Uhr – Der Rat tagte.</p>", datetime(2020, 3, 5, 10, 12, tzinfo=CET)),
     ("<p>Top 10 Games 2020: the list of the year, from the first to the last.</p>", date(2020, 3, 9))],
)  # fmt: skip
def test_a_dateline_with_the_month_written_out_stands_against_htmldate(opening: str, expected: date | datetime):
    found = published(page(byline=opening), zone="Europe/Berlin", htmldate="2020-03-09")
    assert (found.value if isinstance(expected, datetime) else found.value.date()) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [("<p><b>Datum:</b> 03.02.2022</p>", date(2022, 2, 3)),
     ("<ul><li><strong>Datum</strong> 03.02.2022</li><li><strong>Autor</strong> A. Writer</li></ul>", date(2022, 2, 3)),
     ("<p>Kept up to date 03.02.2022 by the editors of the archive.</p>", date(2022, 2, 9)),
     ("<p>Sorted by date</p><p>03.02.2022 and more from the archive.</p>", date(2022, 2, 9))],
)  # fmt: skip
def test_a_date_labelled_date_is_the_pages_date(text: str, expected: date):
    """ "Date" with its colon or as a text of its own labels the date that follows; a "date" in a sentence does not."""
    assert published(page(tail=f"<footer>{text}</footer>"), htmldate="2022-02-09").value.date() == expected


def test_a_renewed_page_is_dated_by_the_day_it_shows_when_that_is_its_modification_day():
    jsonld = [{"@type": "Article", "datePublished": "2021-01-01T11:00:00Z", "dateModified": "2023-04-01T10:00:00Z"}]
    shown = '<p class="info"><time datetime="2023-04-01 12:00">01.04.2023, 12:00</time></p>'
    found = published(page(byline=shown), zone="Europe/Berlin", jsonld=jsonld)
    assert found.value == datetime(2023, 4, 1, 12, 0, tzinfo=timezone(timedelta(hours=2)))
    # the page also shows its publication day: the shown modification is an update
    both = shown + '<p class="date">01.01.2021</p>'
    assert published(page(byline=both), zone="Europe/Berlin", jsonld=jsonld).value.date() == date(2021, 1, 1)
    # a shown day the page does not declare as its modification day does not outweigh the publication date
    other = [{**jsonld[0], "dateModified": "2023-05-02T10:00:00Z"}]
    assert published(page(byline=shown), zone="Europe/Berlin", jsonld=other).value.date() == date(2021, 1, 1)
    # the site profile's selector is the site's own word
    found = published(page(byline=shown), zone="Europe/Berlin", jsonld=jsonld, published_texts=("01.01.2021",))
    assert found.value.date() == date(2021, 1, 1)


def test_a_dateline_right_above_the_headline_stands_against_htmldate():
    document = (
        "<html><head><title>Story</title></head><body><div><p>03.04.2022 10:16 - Politics - Wire</p>"
        f"<h1>Story</h1>{PARAGRAPHS}</div><ul><li>28.03.2022 - An older story</li></ul></body></html>"
    )
    assert published(document, zone="Europe/Berlin", htmldate="2022-03-28").value == datetime(
        2022, 4, 3, 10, 16, tzinfo=timezone(timedelta(hours=2))
    )
    # a long paragraph above the headline is not a dateline
    long_line = "<p>03.04.2022: a teaser of another story that runs on for far more words than a dateline has</p>"
    document = document.replace("<p>03.04.2022 10:16 - Politics - Wire</p>", long_line)
    assert published(document, zone="Europe/Berlin", htmldate="2022-03-28").value.date() == date(2022, 3, 28)


def test_a_visible_reading_confirmed_by_an_independent_source_stands_against_htmldate():
    byline = '<div class="related"><span class="date-box">14.07.2021</span></div>'
    confirmed = published(page(tail=byline), url="https://example.org/2021/07/14/story", htmldate="2021-07-20")
    assert confirmed.value.date() == date(2021, 7, 14)
    # the <time> inside the classed element is the same reading, not a confirmation
    byline = '<div class="related"><span class="date-box"><time>14.07.2021</time></span></div>'
    assert published(page(tail=byline), htmldate="2021-07-20").value.date() == date(2021, 7, 20)


def test_htmldate_echoing_an_ambiguous_string_is_no_evidence():
    document = page(
        '<meta property="article:published_time" content="4/7/2022 9:12:30 AM">',
        '<span class="date">04/07/2022 - 09:12</span>',
    )
    assert published(document, htmldate="2022-04-07").value == datetime(2022, 7, 4, 9, 12, tzinfo=UTC)


def test_htmldate_refined_by_a_candidate_of_its_day():
    document = page(tail='<div class="date-box">Sunday 3 April 2022, 18:40</div>')
    found = published(document, htmldate="2022-04-05")
    assert found.value.date() == date(2022, 4, 5) and found.precision == DatePrecision.DAY
    document = page(tail='<div class="date-box">Sunday 3 April 2022, 18:40</div><p class="time">5.4.2022 07:05</p>')
    assert published(document, htmldate="2022-04-05").value == datetime(2022, 4, 5, 7, 5, tzinfo=UTC)


@pytest.mark.parametrize(
    "statement",
    ["<footer><p>Last change: 02.11.2023<br><b>Published on:</b> 30.10.2023</p></footer>",
     "<footer><p>Veröffentlicht am 30. Oktober 2023</p></footer>",
     "<footer><p>Dieser Beitrag wurde am Montag, 30. Oktober 2023 um 10:12 Uhr veröffentlicht.</p></footer>",
     "<footer><p>Der Artikel ist am 30.10.2023 in der Zeitung erschienen.</p></footer>",
],
)  # fmt: skip
def test_a_date_the_text_calls_published_stands_against_htmldate(statement: str):
    found = published(page(tail=statement), zone="Europe/Berlin", htmldate="2023-11-02")
    assert found.value.date() == date(2023, 10, 30)


def test_a_date_before_a_label_that_does_not_come_last_is_not_labelled():
    statement = "<footer><p>Updated 30.10.2023 | Published by the city desk</p></footer>"
    assert published(page(tail=statement), htmldate="2023-11-02").value.date() == date(2023, 11, 2)


def test_htmldate_reading_a_dotted_date_month_first_is_no_evidence():
    byline = '<div class="publish-date">By the desk 4.\u20092.\u20092022.</div>'
    assert published(page(tail=byline), zone="Europe/Berlin", htmldate="2022-04-02").value.date() == date(2022, 2, 4)
    # a slashed date may be month first: htmldate's reading stands
    byline = '<div class="publish-date">By the desk 4/2/2022</div>'
    assert published(page(tail=byline), zone="Europe/Berlin", htmldate="2022-04-02").value.date() == date(2022, 4, 2)


def test_a_published_label_counts_on_a_page_that_server_warnings_leave_without_a_body():
    warnings = "<br />\n<b>Warning</b>: undefined constant in <b>page.php</b><br />\n<!DOCTYPE html>"
    document = warnings + page(tail="<p>Veröffentlicht am 3. Dezember 2011</p>")
    assert html.fromstring(document).find(".//body") is None
    assert published(document, zone="Europe/Berlin", htmldate="2010-06-01").value.date() == date(2011, 12, 3)


def test_many_published_labels_are_a_list():
    items = "".join(f"<li>Published: {day}.10.2023</li>" for day in (10, 17, 24))
    assert published(page(tail=f"<ul>{items}</ul>"), htmldate="2023-10-30").value.date() == date(2023, 10, 30)


def test_the_headline_is_the_h1_the_title_holds():
    document = (
        "<html><head><title>Portal - News - Bridge reopens</title></head><body><h1>Portal</h1><nav><a>Home</a></nav>"
        "<h1>News</h1><ul><li>Link one</li><li>Link two</li><li>Link three</li><li>Link four</li></ul>"
        f"<main><h1>Bridge reopens</h1><p>21.03.2024 - The bridge reopened today.</p>{PARAGRAPHS}</main></body></html>"
    )
    assert published(document, htmldate="2024-03-25").value.date() == date(2024, 3, 21)


def test_a_page_without_a_marked_date_gets_htmldates_extensive_search():
    document = page(byline="<p>The committee met in Berlin to discuss the plans on 17 November 2021.</p>")
    assert published(document).value.date() == date(2021, 11, 17)


def test_relative_dates_are_not_dates():
    for text in ("today", "2 hours ago", "yesterday, 10:15", "ma 10:15"):
        assert parse_date(text, timezone_name="UTC", languages=("en", "hu")) is None


# --- precision and zone ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "precision", "zone"),
    [
        ("2024-05-03", DatePrecision.DAY, ZoneSource.ASSUMED),
        ("2024-05-03T14:24", DatePrecision.MINUTE, ZoneSource.ASSUMED),
        ("2024-05-03T14:24:05+02:00", DatePrecision.SECOND, ZoneSource.DECLARED),
        ("3 May 2024, 14:24", DatePrecision.MINUTE, ZoneSource.ASSUMED),
        ("Fri, 03 May 2024 14:24 +0200", DatePrecision.MINUTE, ZoneSource.DECLARED),
        ("1714739045", DatePrecision.SECOND, ZoneSource.DECLARED),
        ("03/05/2024 14:24:05", DatePrecision.SECOND, ZoneSource.ASSUMED),
    ],
)
def test_precision_and_zone_of_a_date_string(text: str, precision: DatePrecision, zone: ZoneSource):
    parsed = parse_date(text, timezone_name="Europe/Berlin", languages=("en",))
    assert (parsed.precision, parsed.zone) == (precision, zone)


def test_extraction_records_precision_and_zone():
    document = page('<meta property="article:published_time" content="2024-05-03T14:24">')
    article = extract_article(document.encode(), "https://example.de/story")
    assert article.published_at == datetime(2024, 5, 3, 14, 24, tzinfo=timezone(timedelta(hours=2)))
    assert (article.published_precision, article.published_zone) == ("minute", "assumed")


# --- the export -----------------------------------------------------------------------------------------------------
def test_export_writes_a_date_only_as_precise_as_the_page():
    midnight = datetime(2025, 1, 1, tzinfo=CET)
    assert format_date(midnight, DatePrecision.DAY) == "2025-01-01"
    assert format_date(datetime(2025, 1, 1, 0, 11, tzinfo=CET), DatePrecision.MINUTE) == "2025-01-01T00:11+01:00"
    assert format_date(datetime(2025, 1, 1, 0, 11, 5, tzinfo=CET), DatePrecision.SECOND) == "2025-01-01T00:11:05+01:00"
    assert format_date(midnight, None) == "2025-01-01T00:00:00+01:00"


def test_record_round_trip_and_text_form_keep_the_day():
    midnight = datetime(2025, 1, 1, tzinfo=CET)
    article = Article(url="https://example.de/a", title="T", text="Body.", published_at=midnight,
                      published_precision="day", published_zone="assumed")  # fmt: skip
    record = article.to_record()
    assert record["published_at"] == "2025-01-01"
    back = Article.from_record(record)
    assert back.published_at.date() == date(2025, 1, 1) and back.published_precision == "day"
    assert to_text_form(back).startswith("date 2025-01-01 T")


def test_store_and_export_keep_precision_and_zone(store: ArchiveStore, make_article, tmp_path: Path) -> None:
    day_only = make_article(1, published_at=datetime(2025, 1, 1, tzinfo=CET), published_precision="day",
                            published_zone="assumed")  # fmt: skip
    timed = make_article(2, published_at=datetime(2025, 1, 1, 0, 11, tzinfo=CET), published_precision="minute",
                         published_zone="declared", modified_at=datetime(2025, 1, 2, 8, 0, tzinfo=CET),
                         modified_precision="second", modified_zone="bogus")  # fmt: skip
    store.save_articles([day_only, timed])
    out = tmp_path / "a.jsonl"
    export(store, "jsonl", out)
    first, second = (json.loads(line) for line in out.read_text(encoding="utf-8").splitlines())
    assert (first["published_at"], first["published_precision"], first["published_zone"]) == (
        "2025-01-01", "day", "assumed")  # fmt: skip
    assert second["published_at"] == "2025-01-01T00:11+01:00" and second["published_zone"] == "declared"
    assert second["modified_precision"] == "second" and second["modified_zone"] is None  # not a known value


# --- impossible dates -----------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "reason"),
    [("2025-01-01T00:11:00+99:00", "impossible UTC offset"), ("31/02/2025", "not a calendar day"),
     ("2025-02-30", "not a calendar day"), ("Sat, 01 Feb 2025 10:00 GMT+31", "impossible UTC offset"),
     ("2025-01-01T00:11:00+01:00", None), ("02/13/2025", None), ("no date here", None)],
)  # fmt: skip
def test_impossible_dates_are_named_with_their_reason(text: str, reason: str | None):
    found = impossible_date(text)
    assert (found is None) if reason is None else (reason in found)


@pytest.mark.parametrize(
    "head",
    ['<meta property="article:published_time" content="2025-01-01T00:11:00+99:00">',
     '<meta property="article:published_time" content="31/02/2025">',
     '<script type="application/ld+json">{"@type": "NewsArticle", "datePublished": "2025-02-31T10:00:00Z"}</script>'],
)  # fmt: skip
def test_an_impossible_date_is_dropped_with_its_reason_and_the_article_kept(head: str, caplog):
    article = extract_article(page(head).encode(), "https://example.de/story")
    assert article.title == "Story" and article.published_at is None and article.published_precision is None
    assert "publication date dropped" in caplog.text
    assert [issue.split(":")[0] for issue in article.issues] == ["publication date dropped"]


def test_the_reason_of_a_dropped_date_is_stored_and_exported(store: ArchiveStore, make_article, tmp_path: Path):
    reason = "publication date dropped: '31/02/2025' is not a calendar day"
    store.save_articles([make_article(1, published_at=None, issues=[reason])])
    out = tmp_path / "a.jsonl"
    export(store, "jsonl", out)
    assert json.loads(out.read_text(encoding="utf-8"))["issues"] == [reason]


@pytest.mark.parametrize(
    ("modified", "kept"),
    [
        ("2024-06-01T09:00:00+02:00", False),
        ("2024-06-02T08:00:00+02:00", False),
        ("2024-06-02T12:00:00+02:00", True),
        ("2024-06-02", True),
    ],
)
def test_a_modification_before_the_publication_is_dropped_with_its_reason(modified: str, kept: bool, caplog):
    head = (
        '<meta property="article:published_time" content="2024-06-02T10:00:00+02:00">'
        f'<meta property="article:modified_time" content="{modified}">'
    )
    found_published, found_modified, _ = find_dates(
        html.fromstring(page(head)), "https://example.org/story", settings=DateSettings("Europe/Berlin")
    )
    assert found_published.value == datetime(2024, 6, 2, 10, tzinfo=timezone(timedelta(hours=2)))
    assert (found_modified is not None) is kept
    assert ("is before the publication date" in caplog.text) is not kept


def test_itemprop_dates_of_a_list_are_not_the_pages():
    items = "".join(f'<li><span itemprop="datePublished">2023-10-{day}</span></li>' for day in (10, 17, 24))
    document = page(byline='<time datetime="2023-10-30T08:00:00+01:00">30 Oct</time>', tail=f"<ul>{items}</ul>")
    assert published(document, htmldate="2023-10-30").value == datetime(2023, 10, 30, 8, 0, tzinfo=CET)
