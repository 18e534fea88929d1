"""Date parsing and reconciliation (crawler/dates.py), one case per date format family seen on real news pages."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from lxml import html

from crawler.dates import (
    DateCandidate,
    DateSettings,
    ParsedDate,
    find_dates,
    parse_date,
    reconcile,
)
from crawler.zones import guess_timezone

VN = timezone(timedelta(hours=7))


def at(*parts: int, tz=VN) -> datetime:
    return datetime(*parts, tzinfo=tz)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # VnExpress span.date: weekday, D/M/YYYY, time, "(GMT+7)"; day and month not always zero-padded
        ("Thứ tư, 22/10/2025, 19:25 (GMT+7)", at(2025, 10, 22, 19, 25)),
        ("Thứ bảy, 24/8/2025, 09:00 (GMT+7)", at(2025, 8, 24, 9, 0)),
        # ISO 8601 with offset, with Z, with an offset without colon
        ("2025-10-22T19:25:52+07:00", at(2025, 10, 22, 19, 25, 52)),
        ("2026-09-05T22:57:40Z", at(2026, 9, 5, 22, 57, 40, tz=UTC)),
        ("2026-09-05T09:18:48+0700", at(2026, 9, 5, 9, 18, 48)),
        # Unix epoch seconds (VnExpress its_publication)
        ("1761135952", at(2025, 10, 22, 19, 25, 52)),
        # OneCMS visible date "dd/mm/yyyy - HH:MM"
        ("05/09/2026 - 22:17", at(2026, 9, 5, 22, 17)),
        ("15-01-2024 13:04", at(2024, 1, 15, 13, 4)),
        # RFC 822 feeds: numeric offset, two-digit year, GMT, literal "GMT+7"
        ("Sat, 05 Sep 2026 22:17:01 +0700", at(2026, 9, 5, 22, 17, 1)),
        ("Sat, 05 Sep 26 17:09:00 +0700", at(2026, 9, 5, 17, 9)),
        ("Fri, 04 Sep 2026 02:43:06 GMT", at(2026, 9, 4, 2, 43, 6, tz=UTC)),
        ("Fri, 04 Sep 2026 18:48:27 GMT+7", at(2026, 9, 4, 18, 48, 27)),
        # AM/PM suffixes, including a 24-hour clock that still says PM
        ("17-04-2026 - 00:07 AM", at(2026, 4, 17, 0, 7)),
        ("15-08-2025 - 13:30 PM ", at(2025, 8, 15, 13, 30)),
        ("Thứ ba, ngày 02/05/2023 09:04 AM (GMT+7)", at(2023, 5, 2, 9, 4)),
        # time before the date, in several separators
        ("FILI - 19:30 05/09/2026", at(2026, 9, 5, 19, 30)),
        ("22:17, 05/09/2026", at(2026, 9, 5, 22, 17)),
        ("18:48 | 04/09/2026", at(2026, 9, 4, 18, 48)),
        ("Thứ Hai, 16:54, 29/12/2025", at(2025, 12, 29, 16, 54)),
        # weekday and "ngày" before the date
        ("Thứ Sáu, 26/12/2025 - 22:10", at(2025, 12, 26, 22, 10)),
        ("Thứ sáu, ngày 25/04/2025 - 11:39", at(2025, 4, 25, 11, 39)),
        ("05/10/2026 15:42 GMT+7", at(2026, 10, 5, 15, 42)),
        (" - 24/06/2025 12:49", at(2025, 6, 24, 12, 49)),
        ("2021-08-29 18:19", at(2021, 8, 29, 18, 19)),
        # localized month names go through dateparser
        ("28. April 2023, 18:03 Uhr", at(2023, 4, 28, 18, 3)),
        ("April 26, 2023 2:20pm EDT", at(2023, 4, 26, 14, 20, tz=timezone(timedelta(hours=-4)))),
    ],
)
def test_date_format_families(text: str, expected: datetime):
    parsed = parse_date(text, languages=("vi", "en", "de"))
    assert parsed is not None
    assert parsed.value == expected
    assert parsed.value.tzinfo is not None


def test_the_page_offset_is_kept_and_the_site_zone_fills_in():
    with_offset = parse_date("2025-10-22T12:25:52+00:00").value
    assert with_offset.utcoffset() == timedelta(0)
    without = parse_date("05/09/2026 - 22:17", timezone_name="Europe/Berlin").value
    assert without.utcoffset() == timedelta(hours=2)


def test_dotnet_us_meta_format_is_month_first_and_marked_ambiguous():
    parsed = parse_date("9/5/2026 10:17:01 PM")
    assert parsed.value == at(2026, 9, 5, 22, 17, 1)
    assert parsed.ambiguous


def test_day_month_order_follows_the_site_but_impossible_orders_are_swapped():
    assert parse_date("05/09/2026 13:30", date_order="MDY").value == at(2026, 5, 9, 13, 30)
    assert parse_date("25/04/2025 11:39", date_order="MDY").value == at(2025, 4, 25, 11, 39)


@pytest.mark.parametrize("text", ["", "   ", "Vừa xong", "không có ngày", "99/99/9999", "x" * 5000])
def test_strings_without_a_date_give_none(text: str):
    assert parse_date(text) is None


def test_unknown_zone_is_a_clear_error():
    with pytest.raises(ValueError, match="unknown time zone"):
        parse_date("05/09/2026 22:17", timezone_name="Mars/Olympus")


def candidate(value: datetime, rank: int, **flags) -> DateCandidate:
    return DateCandidate(ParsedDate(value, **flags), "test", rank)


def test_visible_date_beats_an_ambiguous_meta_that_disagrees():
    meta = candidate(at(2026, 5, 9, 22, 17, 1), 2, ambiguous=True)  # read as 9 May
    visible = candidate(at(2026, 9, 5, 22, 17), 4)
    assert reconcile([meta, visible]).parsed.value == at(2026, 9, 5, 22, 17)


def test_agreeing_candidates_refine_the_winner():
    visible = candidate(at(2026, 9, 5, 22, 17), 0)
    meta = candidate(at(2026, 9, 5, 22, 17, 1), 2, ambiguous=True)
    assert reconcile([visible, meta]).parsed.value == at(2026, 9, 5, 22, 17, 1)
    day_only = candidate(at(2024, 5, 3, 0, 0), 1, has_time=False)
    timed = candidate(at(2024, 5, 3, 14, 24), 5)
    assert reconcile([day_only, timed]).parsed.value == at(2024, 5, 3, 14, 24)


def test_dates_after_the_fetch_are_rejected():
    fetched = at(2026, 9, 5, 12, 0)
    future = candidate(at(2026, 9, 6, 9, 0), 1)
    past = candidate(at(2026, 9, 5, 8, 0), 4)
    assert reconcile([future, past], fetched_at=fetched).parsed.value == at(2026, 9, 5, 8, 0)
    assert reconcile([future], fetched_at=fetched) is None


PAGE = """<html><head>
<meta property="article:published_time" content="9/5/2026 10:17:01 PM">
<meta name="datetimenow" content="9/6/2026 8:18:09 AM">
<meta property="article:modified_time" content="2026-09-06T08:00:00+07:00">
</head><body><header><span class="date">Thứ bảy, 06/09/2026</span></header>
<h1>Tiêu đề</h1><div class="meta"><span class="publish-date">05/09/2026 - 22:17</span></div>
<p>Nội dung.</p></body></html>"""


def test_find_dates_reads_meta_and_visible_byline_but_not_the_site_header():
    published, modified, _ = find_dates(html.fromstring(PAGE), "https://example.vn/a.html", settings=DateSettings())
    assert published.value == at(2026, 9, 5, 22, 17, 1)
    assert modified.value == at(2026, 9, 6, 8, 0)


def test_find_dates_prefers_jsonld_and_falls_back_to_the_url():
    tree = html.fromstring("<html><body><h1>T</h1><p>x</p></body></html>")
    jsonld = [{"@type": "NewsArticle", "datePublished": "2024-05-03T14:24:00+00:00"}]
    published = find_dates(tree, "https://e.de/2024/05/01/a.html", settings=DateSettings(), jsonld=jsonld).published
    assert published.value == at(2024, 5, 3, 14, 24, tz=UTC)
    published = find_dates(tree, "https://e.de/2024/05/01/a.html", settings=DateSettings()).published
    assert published.value == at(2024, 5, 1, 0, 0)


def test_a_page_that_states_its_offset_reads_its_other_dates_in_it():
    tree = html.fromstring(
        '<html><head><meta property="article:modified_time" content="2024-04-26T21:00:00+02:00">'
        '<meta property="article:published_time" content="2024-04-26 20:44"></head><body><p>x</p></body></html>'
    )
    published, modified, _ = find_dates(tree, "https://example.com/a", settings=DateSettings("UTC"))
    assert published.value == datetime(2024, 4, 26, 20, 44, tzinfo=timezone(timedelta(hours=2)))
    assert modified.value == datetime(2024, 4, 26, 21, 0, tzinfo=timezone(timedelta(hours=2)))


def test_utc_machine_times_do_not_move_local_ones():
    tree = html.fromstring(
        '<html><head><meta property="article:modified_time" content="2026-09-05T22:57:40Z"></head>'
        '<body><h1>T</h1><span class="date">05/09/2026 - 22:17</span><p>x</p></body></html>'
    )
    published = find_dates(tree, "https://example.vn/a", settings=DateSettings()).published
    assert published.value == at(2026, 9, 5, 22, 17)


@pytest.mark.parametrize(
    ("url", "language", "zone"),
    [
        ("https://vnexpress.net/a.html", "vi", "Asia/Ho_Chi_Minh"),
        ("https://www.faz.net/a.html", "de", "Europe/Berlin"),
        ("https://www.br.de/a", "", "Europe/Berlin"),
        ("https://www.bbc.co.uk/news/1", "en", "Europe/London"),
        ("https://www.nature.com/articles/1", "en", "UTC"),
    ],
)
def test_guess_timezone_for_sites_without_a_profile(url: str, language: str, zone: str):
    assert guess_timezone(url, language) == zone


def test_an_ambiguous_reading_loses_even_to_the_url():
    # OneCMS writes US month/day without a zone: "5/9/2026" is 9 May or 5 September; the URL says September
    tree = html.fromstring("<html><body><p>x</p></body></html>")
    jsonld = [{"@type": "NewsArticle", "datePublished": "5/9/2026 10:17:01 PM"}]
    published = find_dates(tree, "https://e.vn/2026/09/05/a.html", settings=DateSettings(), jsonld=jsonld).published
    assert published.value.date() == datetime(2026, 9, 5).date()
