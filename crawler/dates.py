"""Publication and modification dates of a news page, always time-zone aware.

`parse_date` turns one date string as news sites print it (ISO 8601, RFC 822, Unix epochs, Vietnamese bylines
such as "Thứ tư, 22/10/2025, 19:25 (GMT+7)", the ASP.NET "9/5/2026 10:17:01 PM" meta format, localized month
names through dateparser) into a `ParsedDate`. `find_dates` collects candidates from JSON-LD, meta tags, `<time>`
elements, the visible byline, the URL and htmldate, and reconciles them into (published, modified).

A string with its own offset keeps it; otherwise the site's zone applies. Pure: no Scrapy.
"""

from __future__ import annotations

import email.utils
import itertools
import logging
import re
from collections.abc import Iterator
from copy import deepcopy
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta, timezone, tzinfo
from functools import cache, lru_cache
from typing import TYPE_CHECKING, NamedTuple

import dateparser
from lxml import etree

from archive.records import DATE_FIELDS, DatePrecision, ZoneSource
from crawler.zones import get_zone

if TYPE_CHECKING:
    from archive.records import Article

logger = logging.getLogger(__name__)

EARLIEST = datetime(1990, 1, 1, tzinfo=UTC)
# A page may be fetched a little before the clock of its server says it was published (skewed clocks, caches).
FUTURE_TOLERANCE = timedelta(minutes=10)
MAX_DATE_STRING = 200

# Source ranks: lower is more trusted.
RANK_SELECTOR = 0
RANK_JSONLD = 1
RANK_META = 2
RANK_TIME_ELEMENT = 3
RANK_OPENING_DATELINE = 3  # what a reader sees first stands like a marked <time>
RANK_VISIBLE = 4
RANK_DATELINE = 5
RANK_URL = 6
RANK_HTMLDATE = 7
# A string in a format known to be read differently by different sites (M/D vs D/M) loses to any other source.
AMBIGUITY_PENALTY = 10  # above every rank: an ambiguous reading loses to any other source


@dataclass(frozen=True)
class ParsedDate:
    """A parsed date: the instant, whether the string gave a time of day (and seconds) and an offset, and if it was
    ambiguous. A day-only date holds midnight of its day."""

    value: datetime
    has_time: bool = True
    has_offset: bool = False
    ambiguous: bool = False
    has_seconds: bool = False
    day_dot_month: bool = False  # written "D.M.Y": the order every locale that writes dots reads day first

    @property
    def precision(self) -> DatePrecision:
        if not self.has_time:
            return DatePrecision.DAY
        return DatePrecision.SECOND if self.has_seconds else DatePrecision.MINUTE

    @property
    def zone(self) -> ZoneSource:
        return ZoneSource.DECLARED if self.has_offset else ZoneSource.ASSUMED


class FoundDates(NamedTuple):
    """What `find_dates` found on a page, and why dates the page states were dropped."""

    published: ParsedDate | None
    modified: ParsedDate | None
    dropped: tuple[str, ...] = ()


@dataclass(frozen=True)
class DateCandidate:
    """One date found on a page, where it came from and how much that source is trusted."""

    parsed: ParsedDate
    source: str
    rank: int

    @property
    def effective_rank(self) -> int:
        return self.rank + (AMBIGUITY_PENALTY if self.parsed.ambiguous else 0)


_EPOCH = re.compile(r"^\d{10}(\d{3})?$")
_ISO = re.compile(
    r"^(\d{4})-(\d{1,2})-(\d{1,2})"
    r"(?:[T ](\d{1,2}):(\d{2})(?::(\d{2})(?:[.,]\d+)?)?)?"
    r"\s*(Z|[+-]\d{2}:?\d{2}|[+-]\d{2})?$",
    re.IGNORECASE,
)
# ASP.NET's invariant culture prints "M/D/YYYY h:mm:ss AM": month first, seconds, 12-hour clock, no zone.
_DOTNET_US = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4}) (\d{1,2}):(\d{2}):(\d{2}) ?([AP]M)$", re.IGNORECASE)
# A dot may be followed by a space, as typesetting does with thin spaces ("4. 2. 2022").
_NUMERIC_DATE = re.compile(r"(?<!\d)(\d{1,4})(?:[/-]|\.\s?)(\d{1,2})(?:[/-]|\.\s?)(\d{2,4})(?!\d)")
# A date with its month written out, day first or month first; the month word is checked by the parser.
_WRITTEN_DATE = re.compile(
    r"(?<![\w.])(?:\d{1,2}\.?\s+(?:de\s+)?[^\W\d_]{3,}\.?,?\s+(?:de\s+)?\d{4}|[^\W\d_]{3,}\.?\s+\d{1,2}(?:st|nd|rd|th)?,?\s+\d{4})(?!\d)"
)
_CLOCK = re.compile(r"(?<![\d/.-])(\d{1,2})[:hg](\d{2})(?::(\d{2}))?(?:\s*([AaPp])\.?\s?[Mm]\.?)?(?![\d/])")
_GMT_OFFSET = re.compile(r"\b(?:GMT|UTC)\s*([+-])\s*(\d{1,2})(?::?(\d{2}))?\b", re.IGNORECASE)
_NUMERIC_OFFSET = re.compile(r"(?<=[\d\s])([+-])(\d{2}):?(\d{2})\b")
_UTC_WORD = re.compile(r"\b(?:GMT|UTC)\b|(?<=\d)Z\b")
_CLOCK_SECONDS = re.compile(r"\d:\d{2}:\d{2}")
_RFC822 = re.compile(r"^[A-Za-z]{3},?\s+\d{1,2}\s+[A-Za-z]{3}\s+\d{2,4}\s+\d{1,2}:\d{2}")


def _offset(sign: str, hours: str, minutes: str | None) -> timezone:
    delta = timedelta(hours=int(hours), minutes=int(minutes or 0))
    return timezone(-delta if sign == "-" else delta)


def _localize(naive: datetime, offset: tzinfo | None, zone: tzinfo) -> datetime:
    return naive.replace(tzinfo=offset or zone)


def _parse_iso(text: str, zone: tzinfo) -> ParsedDate | None:
    match = _ISO.match(text)
    if not match:
        return None
    year, month, day, hour, minute, second, tz = match.groups()
    naive = datetime(int(year), int(month), int(day), int(hour or 0), int(minute or 0), int(second or 0))
    offset: tzinfo | None = None
    if tz:
        offset = UTC if tz.upper() == "Z" else _offset(tz[0], tz[1:3], tz[-2:] if len(tz) > 3 else None)
    return ParsedDate(
        _localize(naive, offset, zone),
        has_time=hour is not None,
        has_offset=offset is not None,
        has_seconds=bool(second),
    )


def _parse_dotnet_us(text: str, zone: tzinfo) -> ParsedDate | None:
    match = _DOTNET_US.match(text)
    if not match:
        return None
    month, day, year, hour, minute, second, half = match.groups()
    hour_24 = int(hour) % 12 + (12 if half.upper() == "PM" else 0)
    naive = datetime(int(year), int(month), int(day), hour_24, int(minute), int(second))
    return ParsedDate(_localize(naive, None, zone), ambiguous=True, has_seconds=True)


def _explicit_offset(text: str) -> tzinfo | None:
    if match := _GMT_OFFSET.search(text):
        return _offset(*match.groups())
    if match := _NUMERIC_OFFSET.search(text):
        return _offset(*match.groups())
    if _UTC_WORD.search(text):
        return UTC
    return None


def _parse_numeric(text: str, zone: tzinfo, date_order: str) -> ParsedDate | None:
    """Day, month and year in digits anywhere in the string, with an optional clock and GMT offset."""
    date_match = _NUMERIC_DATE.search(text)
    if not date_match:
        return None
    a, b, c = date_match.groups()
    if len(a) == 4:
        year, month, day = int(a), int(b), int(c)
    elif len(c) in (2, 4):
        year = int(c) + (2000 if len(c) == 2 else 0)
        first, second = int(a), int(b)
        month_first = date_order.upper().index("M") < date_order.upper().index("D")
        if first > 12 >= second:
            month_first = False
        elif second > 12 >= first:
            month_first = True
        month, day = (first, second) if month_first else (second, first)
    else:
        return None
    rest = text[: date_match.start()] + " " + text[date_match.end() :]
    clock = _CLOCK.search(rest)
    hour = minute = second_ = 0
    if clock:
        hour, minute, second_ = int(clock.group(1)), int(clock.group(2)), int(clock.group(3) or 0)
        half = (clock.group(4) or "").upper()
        # Some CMSs print a 24-hour clock and still add AM/PM ("13:30 PM"): the suffix only matters below 13.
        if half == "P" and hour < 12:
            hour += 12
        elif half == "A" and hour == 12:
            hour = 0
    try:
        naive = datetime(year, month, day, hour, minute, second_)
    except ValueError:
        return None
    offset = _explicit_offset(rest)
    return ParsedDate(
        _localize(naive, offset, zone),
        has_time=clock is not None,
        has_offset=offset is not None,
        has_seconds=bool(clock and clock.group(3)),
        day_dot_month=len(a) < 4 and "." in date_match.group(0),
    )


def _parse_rfc822(text: str) -> ParsedDate | None:
    if not _RFC822.match(text):
        return None
    normalized = re.sub(r"\bGMT([+-]\d{1,2})$", lambda m: f"{int(m.group(1)):+03d}00", text.strip())
    try:
        value = email.utils.parsedate_to_datetime(normalized)
    except (TypeError, ValueError, IndexError):
        return None
    if value.tzinfo is None:
        return None
    return ParsedDate(value, has_offset=True, has_seconds=bool(_CLOCK_SECONDS.search(text)))


# A page repeats its date strings (header, meta, related boxes); with every part required, the answer depends only on
# the arguments, never on the day it is asked.
@lru_cache(maxsize=4096)
def _parse_with_dateparser(text: str, zone_name: str, date_order: str, languages: tuple[str, ...]) -> ParsedDate | None:
    settings = {
        "DATE_ORDER": date_order,
        "TIMEZONE": zone_name,
        "RETURN_AS_TIMEZONE_AWARE": False,
        "PREFER_DATES_FROM": "past",
        "REQUIRE_PARTS": ["day", "month", "year"],
        "STRICT_PARSING": False,
        # Only dates written out: "today" or "2 hours ago" would date the page by the moment it is read.
        "PARSERS": ["custom-formats", "absolute-time"],
    }
    try:
        value = dateparser.parse(text, languages=list(languages) or None, settings=settings)
    except (ValueError, OverflowError, TypeError, AttributeError):
        return None
    if value is None:
        return None
    clock = _CLOCK.search(text)
    has_time, has_seconds = clock is not None, bool(clock and clock.group(3))
    offset = _explicit_offset(text)
    if offset is not None:
        # dateparser converts to TIMEZONE; re-read the wall clock in the page's own offset instead.
        aware = dateparser.parse(
            text, languages=list(languages) or None, settings={**settings, "RETURN_AS_TIMEZONE_AWARE": True}
        )
        if aware is not None and aware.tzinfo is not None:
            return ParsedDate(aware.astimezone(offset), has_time, True, has_seconds=has_seconds)
    return ParsedDate(value.replace(tzinfo=get_zone(zone_name)), has_time, False, has_seconds=has_seconds)


def parse_date(
    text: str,
    *,
    timezone_name: str = "Asia/Ho_Chi_Minh",
    date_order: str = "DMY",
    languages: tuple[str, ...] = ("vi", "en"),
) -> ParsedDate | None:
    """Parse one date string as a news page prints it; None when it carries no date.

    The result is aware: in the string's own offset when it gives one, else in `timezone_name`.
    """
    text = " ".join(text.split())[:MAX_DATE_STRING]
    if not text or not any(ch.isdigit() for ch in text):
        return None
    zone = get_zone(timezone_name)
    if _EPOCH.match(text):
        seconds = int(text[:10])
        # An epoch is an absolute instant: it carries its offset as surely as "+07:00" does.
        return ParsedDate(datetime.fromtimestamp(seconds, UTC).astimezone(zone), has_offset=True, has_seconds=True)
    for parse in (
        lambda: _parse_iso(text, zone),
        lambda: _parse_rfc822(text),
        lambda: _parse_dotnet_us(text, zone),
        lambda: _parse_numeric(text, zone, date_order),
        lambda: _parse_with_dateparser(text, timezone_name, date_order, languages),
    ):
        try:
            parsed = parse()
        except (ValueError, OverflowError):
            parsed = None
        if parsed is not None and parsed.value >= EARLIEST:
            return parsed
    return None


def _same_minute(a: datetime, b: datetime) -> bool:
    return a.replace(second=0, microsecond=0) == b.astimezone(a.tzinfo).replace(second=0, microsecond=0)


def _same_day(a: datetime, b: datetime) -> bool:
    return a.date() == b.astimezone(a.tzinfo).date()


def believable(candidates: list[DateCandidate], fetched_at: datetime | None) -> list[DateCandidate]:
    """The candidates not before 1990 and not after the fetch time (beyond a small tolerance)."""
    latest = fetched_at + FUTURE_TOLERANCE if fetched_at is not None else None
    return [c for c in candidates if c.parsed.value >= EARLIEST and (latest is None or c.parsed.value <= latest)]


def reconcile(candidates: list[DateCandidate], fetched_at: datetime | None = None) -> DateCandidate | None:
    """The best-supported candidate among `candidates`, its date refined by those that agree with it.

    Dates after the fetch time (beyond a small tolerance) and before 1990 are rejected. The most trusted source
    wins; an ambiguous format (M/D vs D/M) loses to any other source. The winner is then refined by a candidate
    that agrees with it but says more: a time of day for a bare date, an explicit offset, seconds.
    """
    valid = believable(candidates, fetched_at)
    if not valid:
        return None
    ordered = sorted(valid, key=lambda c: (c.effective_rank, not c.parsed.has_time, not c.parsed.has_offset))
    winner = ordered[0]
    best = winner.parsed
    for other in ordered[1:]:
        candidate = other.parsed
        if not best.has_time and candidate.has_time and _same_day(best.value, candidate.value):
            best = candidate
        elif best.has_time and candidate.has_time and _same_minute(best.value, candidate.value):
            if candidate.has_offset and not best.has_offset:
                best = replace(candidate, ambiguous=False)
            elif best.value.second == 0 and candidate.value.second != 0 and best.has_offset == candidate.has_offset:
                best = replace(best, value=best.value.replace(second=candidate.value.second), has_seconds=True)
    return replace(winner, parsed=best)


@dataclass(frozen=True)
class DateSettings:
    """How to read dates without an offset: the site's zone, its day/month order and languages."""

    timezone_name: str = "Asia/Ho_Chi_Minh"
    date_order: str = "DMY"
    languages: tuple[str, ...] = ("vi", "en")

    def parse(self, text: str) -> ParsedDate | None:
        return parse_date(text, timezone_name=self.timezone_name, date_order=self.date_order, languages=self.languages)


PUBLISHED_META = frozenset(
    {
        "article:published_time", "og:published_time", "og:article:published_time", "article:published",
        "datepublished", "pubdate", "publishdate", "publish-date", "publish_date", "published_time",
        "published-date", "publication_date", "date", "dc.date", "dc.date.issued", "dc.date.created",
        "dcterms.created", "dcterms.date", "dcterms.issued", "sailthru.date", "parsely-pub-date",
        "cxenseparse:recs:publishtime", "its_publication", "article.published", "displaydate",
        "originalpublicationdate", "citation_publication_date", "article_date_original", "datecreated",
        "vr:published_time", "bt:pubdate", "ga-publication-date",
    }
)  # fmt: skip
MODIFIED_META = frozenset(
    {
        "article:modified_time", "og:updated_time", "og:modified_time", "article:modified", "datemodified",
        "lastmod", "last-modified", "dcterms.modified", "dc.date.modified", "modified_time", "article.updated",
        "parsely-updated", "cxenseparse:recs:updatetime", "dateupdated",
    }
)  # fmt: skip
_META_KEYS = ("property", "name", "itemprop", "http-equiv")
_URL_DATE = re.compile(r"(?<!\d)(20\d{2}|19\d{2})[/_-]?(0[1-9]|1[0-2])[/_-]?(0[1-9]|[12]\d|3[01])(?!\d)")
_BYLINE_CLASS = re.compile(r"date|time|publish|posted|dateline", re.IGNORECASE)
_MODIFIED_CLASS = re.compile(r"update|modif", re.IGNORECASE)
MAX_BYLINE_LENGTH = 90
MAX_VISIBLE_CANDIDATES = 2
NEAR_HEADLINE_ELEMENTS = 80
MAX_DATELINE_LENGTH = 60
MAX_MARKED_TIMES = 2
OPENING_TEXTS = 4  # texts after the headline looked at for a dateline
DATELINE_START = 40  # characters of a text within which its date must stand
DATELINE_CLOCK = 12  # characters after the date where its time of day may stand ("10:16 Uhr")


_METAS_WITH_CONTENT = etree.XPath("descendant::meta[@content]")
_ITEMPROPS = etree.XPath("//*[@itemprop]")  # the values compared in Python: quicker than by XPath


@dataclass(frozen=True)
class _DateMarkup:
    """The dates a page marks for machines: (role, content) of its meta tags with a date role, and its elements
    (not meta) with itemprop datePublished or dateModified, in page order."""

    metas: list[tuple[str, str]]
    itemprops: list

    @classmethod
    def of(cls, tree) -> _DateMarkup:
        metas = [
            (role, content)
            for m in _METAS_WITH_CONTENT(tree)
            if (content := m.get("content")) and (role := _meta_role(m))
        ]
        dated = [
            e for e in _ITEMPROPS(tree) if e.get("itemprop") in ("datePublished", "dateModified") and e.tag != "meta"
        ]
        return cls(metas, dated)

    def marked(self, prop: str) -> list:
        return [element for element in self.itemprops if element.get("itemprop") == prop]


def _meta_candidates(markup: _DateMarkup, settings: DateSettings) -> tuple[list[DateCandidate], list[DateCandidate]]:
    published: list[DateCandidate] = []
    modified: list[DateCandidate] = []
    for role, content in markup.metas:
        if parsed := settings.parse(content):
            target = published if role == "published" else modified
            target.append(DateCandidate(parsed, f"meta:{role}", RANK_META))
    for prop, target in (("datePublished", published), ("dateModified", modified)):
        found = []
        for element in markup.marked(prop):
            value = element.get("datetime") or element.get("content") or element.text_content()
            if parsed := settings.parse(value):
                found.append(DateCandidate(parsed, "itemprop", RANK_TIME_ELEMENT))
        target += _unless_listed(found)
    return published, modified


def _unless_listed(found: list[DateCandidate]) -> list[DateCandidate]:
    """Dates marked the same way on more than `MAX_MARKED_TIMES` different days date a list, not the page."""
    return found if len({c.parsed.value.date() for c in found}) <= MAX_MARKED_TIMES else []


def _meta_role(meta) -> str | None:
    keys = {meta.get(k, "").strip().lower() for k in _META_KEYS} - {""}
    if keys & PUBLISHED_META or "cms-date" in meta.get("class", ""):
        return "published"
    return "modified" if keys & MODIFIED_META else None


def _stated_publication(markup: _DateMarkup, jsonld: list[dict]) -> Iterator[str]:
    """The publication dates the page states for machines (meta tags, itemprop, JSON-LD), as written."""
    yield from (content for role, content in markup.metas if role == "published")
    for element in markup.marked("datePublished"):
        yield element.get("datetime") or element.get("content") or ""
    for obj in jsonld:
        if isinstance(value := obj.get("datePublished"), str):
            yield value


def impossible_date(text: str) -> str | None:
    """Why `text`, written like a date, cannot be one (a day its month lacks, an offset beyond a day), else None."""
    text = " ".join(text.split())[:MAX_DATE_STRING]
    offsets = [m.group(2) for pattern in (_GMT_OFFSET, _NUMERIC_OFFSET) for m in pattern.finditer(text)]
    readings = []
    if iso := _ISO.match(text):
        year, month, day, *_, zone = iso.groups()
        offsets += [zone[1:3]] if zone and zone.upper() != "Z" else []
        readings = [(year, month, day)]
    elif numeric := _NUMERIC_DATE.search(text):
        first, second, third = numeric.groups()
        readings = [(first, second, third)] if len(first) == 4 else [(third, second, first), (third, first, second)]
    if any(int(hours) >= 24 for hours in offsets):
        return f"{text!r} has an impossible UTC offset"
    if readings and not any(_is_calendar_day(*reading) for reading in readings):
        return f"{text!r} is not a calendar day"
    return None


def _is_calendar_day(year: str, month: str, day: str) -> bool:
    try:
        datetime(int(year) + (2000 if len(year) == 2 else 0), int(month), int(day))
    except ValueError:
        return False
    return True


def without_impossible_dates(tree):
    """A copy of `tree` without the date attributes (`content`, `datetime`) that cannot be dates: htmldate, inside
    trafilatura's metadata, fails on a page with an impossible offset ("+99:00")."""
    copy = deepcopy(tree)
    for element in copy.xpath("//*[@content or @datetime]"):
        for attribute in ("content", "datetime"):
            if (value := element.get(attribute)) and any(ch.isdigit() for ch in value) and impossible_date(value):
                del element.attrib[attribute]
    return copy


def _jsonld_candidates(objects: list[dict], settings: DateSettings, key: str) -> list[DateCandidate]:
    found = []
    for obj in objects:
        value = obj.get(key)
        if isinstance(value, list):
            value = value[0] if value else None
        if isinstance(value, str | int) and (parsed := settings.parse(str(value))):
            found.append(DateCandidate(parsed, f"jsonld:{key}", RANK_JSONLD))
    return found


def _time_element_candidates(tree, settings: DateSettings) -> tuple[list[DateCandidate], list[DateCandidate]]:
    """`<time>` elements marked as published (a `pubdate` attribute, a class) or modified, the page's only `<time>`
    with a machine-readable `datetime`, and the first `<time>` of the page as a weak published date.

    More than `MAX_MARKED_TIMES` elements marked the same way date a list (comments, related articles), not the page.
    """
    published: list[DateCandidate] = []
    modified: list[DateCandidate] = []
    elements = list(tree.iterfind(".//time"))
    roles = [_time_role(element) for element in elements]
    listed = {role for role in ("published", "modified") if roles.count(role) > MAX_MARKED_TIMES}
    for index, (element, role) in enumerate(zip(elements, roles, strict=True)):
        value = element.get("datetime") or element.text_content()
        parsed = settings.parse(value) if value else None
        if parsed is None:
            continue
        if role == "modified" and role not in listed:
            modified.append(DateCandidate(parsed, "time", RANK_TIME_ELEMENT))
        elif role == "published" and role not in listed:
            published.append(DateCandidate(parsed, "time", RANK_TIME_ELEMENT))
        elif len(elements) == 1 and element.get("datetime"):
            published.append(DateCandidate(parsed, "time:only", RANK_TIME_ELEMENT))
        elif index == 0:
            published.append(DateCandidate(parsed, "time:first", RANK_VISIBLE))
    return published, modified


def _time_role(element) -> str:
    marks = " ".join(filter(None, (element.get("class"), element.get("itemprop"), element.get("data-role"))))
    if _MODIFIED_CLASS.search(marks):
        return "modified"
    if element.get("pubdate") is not None or re.search("publish|created", marks, re.IGNORECASE):
        return "published"
    return ""


# Words that say "published" before a date, in the languages of the sites crawled: generic vocabulary, never a
# site's own label. A date after one of them is what the page tells its reader.
_PUBLISHED_WORDS = (
    "published", "posted", "publication date", "veröffentlicht", "erschienen", "publiziert", "publié", "publiée",
    "mis en ligne", "date de publication", "publicado", "publicada", "fecha de publicación", "publicação",
    "pubblicato", "pubblicata", "data di pubblicazione", "gepubliceerd", "geplaatst", "opublikowano", "publikováno",
    "zveřejněno", "publicerad", "publiceret", "publisert", "julkaistu", "yayınlanma", "yayın tarihi", "közzétéve",
    "publicat", "ngày đăng", "đăng lúc", "xuất bản",
)  # fmt: skip
# "Date" labels the page's date only with a colon or as a text of its own ("<dt>Date</dt>"): "up to date" is none.
_DATE_NOUNS = ("date", "datum", "fecha", "data", "dátum", "tarih")
# Participles that end the sentence in languages that put them last, after the date they label.
_PARTICIPLES = frozenset({"veröffentlicht", "erschienen", "publiziert", "gepubliceerd", "geplaatst"})
_PUBLISHED_LABEL = re.compile(
    rf"(?<!\w)(?:(?:{'|'.join(map(re.escape, _PUBLISHED_WORDS))})"
    r"(?:\s+(?:on|am|le|el|il|em|op|den|at|ngày))?\s*:?"
    rf"|(?:{'|'.join(_DATE_NOUNS)})\s*:|(?<![^\n])(?:{'|'.join(_DATE_NOUNS)})(?=[ \t]*\n))\s*",
    re.IGNORECASE,
)
LABEL_WINDOW = 40  # characters after a "published" label where its date must stand
_TEXTS = etree.XPath(".//text()[not(parent::script or parent::style or parent::title)]", smart_strings=False)


def _labelled_candidates(tree, settings: DateSettings) -> list[DateCandidate]:
    """Dates the page's text introduces as published ("Published: 3 May 2024", "Veröffentlicht am 03.05.2024"),
    the label and the date in one text or in two that follow each other; more than `MAX_MARKED_TIMES` different
    ones are a list, not the page's date."""
    body = tree.find(".//body")  # a page with text before <html> (server warnings) may have no <body>
    texts = "\n".join(_TEXTS(tree if body is None else body))
    found: list[DateCandidate] = []
    for start in _label_starts(texts):
        if (match := _PUBLISHED_LABEL.match(texts, start)) is None:
            continue
        following = texts[match.end() : match.end() + 4 * LABEL_WINDOW].strip().split("\n")
        window = following[0] if any(ch.isdigit() for ch in following[0]) or len(following) == 1 else following[1]
        parsed = settings.parse(window[:LABEL_WINDOW])
        if parsed is None and match.group(0).strip().lower() in _PARTICIPLES:
            parsed = _date_before(texts[max(0, start - 2 * LABEL_WINDOW) : start].rsplit("\n", 1)[-1], settings)
        if parsed:
            found.append(DateCandidate(parsed, "label", RANK_OPENING_DATELINE))
    return _unless_listed(found)


def _date_before(text: str, settings: DateSettings) -> ParsedDate | None:
    """The date that ends `text` within `LABEL_WINDOW` characters, with the clock that follows it: where the
    label comes last ("Dieser Beitrag wurde am 3. Dezember 2011 um 10:12 Uhr veröffentlicht")."""
    last = max(
        (m for pattern in (_NUMERIC_DATE, _WRITTEN_DATE) for m in pattern.finditer(text)),
        key=lambda m: m.end(),
        default=None,
    )
    if last is None or len(text) - last.end() > LABEL_WINDOW:
        return None
    clock = _CLOCK.search(text, last.end())
    return settings.parse(text[last.start() : clock.end() if clock else last.end()])


def _label_starts(text: str) -> list[int]:
    """Where a "published" word may start: plain substring search first, the regular expression only there."""
    lowered = text.lower()
    if len(lowered) != len(text):  # a letter whose lower case is longer: positions would shift
        return [match.start() for match in _PUBLISHED_LABEL.finditer(text)]
    starts = set()
    for opening, words in _LABEL_WORDS_BY_OPENING.items():
        start = lowered.find(opening)
        while start >= 0:
            if any(lowered.startswith(word, start) for word in words):
                starts.add(start)
            start = lowered.find(opening, start + 1)
    return sorted(starts)


def _by_opening(words: tuple[str, ...]) -> dict[str, tuple[str, ...]]:
    """The words grouped by their first three letters (a word alone in its group by itself): one search of the text
    for "pub" instead of one for each of "published", "publié", "publicado", …"""
    groups: dict[str, list[str]] = {}
    for word in words:
        groups.setdefault(word[:3], []).append(word)
    return {group[0] if len(group) == 1 else opening: tuple(group) for opening, group in groups.items()}


_LABEL_WORDS_BY_OPENING = _by_opening((*_PUBLISHED_WORDS, *_DATE_NOUNS))


def _headline(tree):
    """The page's headline: of several `<h1>` (a logo, a section name, the story), the longest the title holds."""
    headlines = list(tree.iterfind(".//h1"))
    if len(headlines) < 2:
        return headlines[0] if headlines else None
    title = " ".join((tree.findtext(".//title") or "").split()).casefold()
    named = [h for h in headlines if (text := " ".join(h.text_content().split()).casefold()) and text in title]
    return max(named, key=lambda h: len(h.text_content()), default=headlines[0])


def _visible_candidates(tree, settings: DateSettings) -> list[DateCandidate]:
    """Short elements whose class says date/time, after the headline (site headers often show today's date)."""
    headline = _headline(tree)
    if headline is None:
        elements = list(tree.iter())
    else:
        elements = [
            e
            for ancestor in [headline, *headline.iterancestors()][:4]
            for sibling in ancestor.itersiblings()
            for e in sibling.iter()
        ]
    found: list[DateCandidate] = []
    for element in elements:
        names = f"{element.get('class', '')} {element.get('id', '')}"
        if not isinstance(element.tag, str) or not _BYLINE_CLASS.search(names) or _MODIFIED_CLASS.search(names):
            continue
        text = element.text_content()
        if len(text) > MAX_BYLINE_LENGTH or not (parsed := settings.parse(text)):
            continue
        found.append(DateCandidate(parsed, "visible", RANK_VISIBLE))
        if len(found) >= MAX_VISIBLE_CANDIDATES:
            break
    if not found:
        found = _dateline_near_headline(elements[:NEAR_HEADLINE_ELEMENTS], settings)
    if headline is not None:
        opening = _opening_dateline(elements, settings) or _kicker_dateline(headline, settings)
        found += [opening] if opening else []
    return found


def _kicker_dateline(headline, settings: DateSettings) -> DateCandidate | None:
    """A short line that opens with a date right above the headline, where a kicker stands
    ("03.04.2022 10:16 - Politics - Wire"): read before the headline, it is the page's date as the reader sees it."""
    above = headline.getprevious()
    if above is None or not isinstance(above.tag, str) or above.tag in ("script", "style"):
        return None
    text = " ".join(above.text_content().split())
    parsed = _opening_date(text, settings) if len(text) <= MAX_DATELINE_LENGTH else None
    return DateCandidate(parsed, "opening", RANK_OPENING_DATELINE) if parsed else None


def _opening_dateline(elements: list, settings: DateSettings) -> DateCandidate | None:
    """A date that opens one of the first texts after the headline: the dateline a reader sees first
    ("Springfield, (03.04.2022). The council …", "03.04.2022 10:16 - The council …", "Date: 03.04.2022")."""
    texts = (e for e in elements if isinstance(e.tag, str) and e.tag not in ("script", "style") and _holds_text(e))
    for element in itertools.islice(texts, OPENING_TEXTS):
        if parsed := _opening_date(" ".join(element.text_content().split()), settings):
            return DateCandidate(parsed, "opening", RANK_OPENING_DATELINE)
    return None


def _opening_date(text: str, settings: DateSettings) -> ParsedDate | None:
    """The date that opens `text` (within `DATELINE_START` characters) with the time of day that follows it: in
    digits ("03.04.2022 10:16"), else with the month written out ("3 March 2022", "March 3, 2022")."""
    if match := _NUMERIC_DATE.search(text[:DATELINE_START]):
        return settings.parse(text[: match.end() + DATELINE_CLOCK])
    if match := _WRITTEN_DATE.search(text[:DATELINE_START]):
        # Only a clock joins the words: dateparser gives up on a date followed by other words ("· 3 min read").
        clock = _CLOCK.search(text, match.end(), match.end() + DATELINE_CLOCK)
        return settings.parse(text[match.start() : clock.end() if clock else match.end()])
    return None


def _dateline_near_headline(elements: list, settings: DateSettings) -> list[DateCandidate]:
    """A short line with a numeric date and a clock right after the headline ("Do 25.04.24 | 14:07 Uhr")."""
    for element in elements:
        if not isinstance(element.tag, str) or element.tag in ("script", "style"):
            continue
        text = element.text_content()
        if len(text) <= MAX_DATELINE_LENGTH and _NUMERIC_DATE.search(text) and _CLOCK.search(text):
            parsed = settings.parse(text)
            if parsed is not None and parsed.has_time:
                return [DateCandidate(parsed, "dateline", RANK_DATELINE)]
    return []


def _holds_text(element) -> bool:
    """True when text stands in the element itself, not only in its children."""
    return bool((element.text or "").strip() or any((child.tail or "").strip() for child in element))


def date_from_url(url: str, settings: DateSettings) -> DateCandidate | None:
    """A date written in the URL path (/2024/05/03/, -20240503-), as a day without time."""
    match = _URL_DATE.search(url.split("?", 1)[0])
    if not match:
        return None
    try:
        naive = datetime(*(int(g) for g in match.groups()))
    except ValueError:
        return None
    return DateCandidate(
        ParsedDate(naive.replace(tzinfo=get_zone(settings.timezone_name)), has_time=False), "url", RANK_URL
    )


def htmldate_day(tree, url: str, fetched_at: datetime | None) -> str | None:
    """htmldate's publication day of the page (YYYY-MM-DD), its extensive search included, or None."""
    from htmldate import find_date  # imported lazily: most pages never need it

    max_date = (fetched_at or datetime.now(UTC)).strftime("%Y-%m-%d")
    try:
        return find_date(tree, url=url, extensive_search=True, original_date=True, max_date=max_date)
    except (ValueError, TypeError):
        return None


def _htmldate_candidate(day: str | None, settings: DateSettings) -> DateCandidate | None:
    try:
        value = datetime.strptime(day or "", "%Y-%m-%d").replace(tzinfo=get_zone(settings.timezone_name))
    except ValueError:
        return None
    return DateCandidate(ParsedDate(value, has_time=False), "htmldate", RANK_HTMLDATE)


# Readings of the page's visible text: a date in a classed element and the <time> inside it are one statement.
_VISIBLE_TEXT_SOURCES = frozenset({"visible", "time:first", "dateline", "opening", "label"})


def _family(candidate: DateCandidate) -> str:
    return "visible text" if candidate.source in _VISIBLE_TEXT_SOURCES else candidate.source


def _checked_by_htmldate(
    best: DateCandidate | None, published: list[DateCandidate], htmldate: DateCandidate | None
) -> DateCandidate | None:
    """htmldate's day where the page's own evidence is weak: no date, or a lone reading of the visible text.

    A structured statement (profile selector, JSON-LD, meta tag, itemprop, a marked `<time>`) stands, and so does
    a weak reading that an independent source on the page confirms (same day: a meta tag, the URL, not another
    reading of the visible text); otherwise htmldate's day wins, refined by any candidate of that day that says
    more (a time, an offset).
    """
    if htmldate is None or (best is not None and best.effective_rank <= RANK_TIME_ELEMENT):
        return best
    day = htmldate.parsed.value.date()
    if any(c.parsed.ambiguous and c.parsed.value.date() == day for c in published):
        return best  # htmldate read the same ambiguous string (M/D or D/M) one way: no evidence of its own
    if any(c.parsed.day_dot_month and _month_first(c.parsed.value.date()) == day for c in published):
        return best  # htmldate read a "D.M.Y" string month first: no evidence of its own
    if best is not None:
        best_day = best.parsed.value.date()
        confirmed = any(_family(c) != _family(best) and c.parsed.value.date() == best_day for c in published)
        if best_day == day or confirmed:
            return best
    return reconcile([htmldate, *(c for c in published if c.parsed.value.date() == day)])


# What the reader sees printed on the page: a `<time>`, a byline, a dateline, a labelled date.
_SHOWN_SOURCES = frozenset({"time", "time:only", *_VISIBLE_TEXT_SOURCES})


def _shown_as_republished(
    best: DateCandidate | None, published: list[DateCandidate], modified: list[DateCandidate]
) -> DateCandidate | None:
    """The day the page shows its reader when that is its declared modification day, later than the publication
    day it declares for machines, and every date it shows is that day: the page was renewed and presented again
    under its address (a yearly test, a guide rewritten), and its reader dates it by the day shown.

    The shown date and the modification date are two independent statements of one day; together they outweigh
    the lone machine-readable publication date. The result is ranked like a meta tag, refined by both.
    """
    if best is None or not RANK_JSONLD <= best.rank <= RANK_META:  # a profile's selector is the site's word
        return best
    shown = [c for c in published if c.source in _SHOWN_SOURCES]
    shown_days = {c.parsed.value.date() for c in shown}
    if len(shown_days) != 1:
        return best
    (day,) = shown_days
    if day <= best.parsed.value.date() or not any(c.parsed.value.date() == day for c in modified):
        return best
    again = reconcile([*shown, *(c for c in modified if c.parsed.value.date() == day)])
    return replace(again, source=f"{again.source}+modified", rank=RANK_META) if again else best


def _month_first(day: date) -> date | None:
    """`day` as it reads with day and month swapped, if that is a calendar day."""
    try:
        return day.replace(month=day.day, day=day.month)
    except ValueError:
        return None


MAX_OFFSET_EAST = timedelta(hours=14)
MAX_OFFSET_WEST = timedelta(hours=12)
OFFSET_STEP = timedelta(minutes=15)


def _in_utc_and_local(candidates: list[DateCandidate]) -> list[DateCandidate]:
    """Read the page's UTC instants as its readers see them when it also prints them in local time.

    Servers write machine-readable times in UTC ("…Z", "+00:00") and print the same instant as a wall clock for
    readers. A wall clock that differs from a UTC instant by a whole number of quarter hours within the range of
    real offsets gives the page's offset: the instants are expressed in it, the wall clocks read in it.
    """
    instants = [c for c in candidates if c.parsed.has_offset and c.parsed.has_time and not c.parsed.value.utcoffset()]
    if not instants:
        return candidates
    for instant in instants:
        utc = instant.parsed.value.replace(tzinfo=None)
        for wall in (c for c in candidates if not c.parsed.has_offset and c.parsed.has_time):
            difference = wall.parsed.value.replace(tzinfo=None) - utc
            if difference and -MAX_OFFSET_WEST <= difference <= MAX_OFFSET_EAST and not difference % OFFSET_STEP:
                offset = timezone(difference)
                return [_read_in(c, offset) if c in instants or not c.parsed.has_offset else c for c in candidates]
    return candidates


def _on_readers_day(best: DateCandidate, local_days: Iterator[date], zone: tzinfo) -> DateCandidate:
    """A UTC instant ("…Z") does not say on which day the page's reader saw it. When a local day of the page (a
    day-only date, else htmldate's) is a neighbouring day the instant falls on in some real offset, the instant is
    expressed in the site's zone if that puts it on the reader's day (its offset then assumed), else the date says
    no more than the reader's day."""
    value = best.parsed.value
    if not best.parsed.has_offset or not best.parsed.has_time or value.utcoffset():
        return best
    for day in local_days:
        if day != value.date() and (value - MAX_OFFSET_WEST).date() <= day <= (value + MAX_OFFSET_EAST).date():
            local = value.astimezone(zone)
            if local.date() == day:
                return replace(best, parsed=replace(best.parsed, value=local, has_offset=False))
            return replace(best, parsed=ParsedDate(datetime.combine(day, datetime.min.time(), UTC), has_time=False))
        if day == value.date():
            break
    return best


def _read_in(candidate: DateCandidate, offset: timezone) -> DateCandidate:
    """An instant expressed in `offset`; a date without an offset read in it."""
    value = candidate.parsed.value
    value = value.astimezone(offset) if candidate.parsed.has_offset else value.replace(tzinfo=offset)
    return replace(candidate, parsed=replace(candidate.parsed, value=value))


def _in_page_offset(candidates: list[DateCandidate], stated: list[DateCandidate]) -> list[DateCandidate]:
    """Read dates without an offset in the offset the page itself states elsewhere (its own zone wins).

    UTC is not taken as the page's zone: servers write machine-readable times in UTC ("…Z") and still print
    local times for readers.
    """
    offsets = (c.parsed.value.utcoffset() for c in stated if c.parsed.has_offset)
    offset = next((o for o in offsets if o), None)
    if offset is None:
        return candidates
    return [c if c.parsed.has_offset else _read_in(c, timezone(offset)) for c in candidates]


def find_dates(
    tree,
    url: str,
    *,
    settings: DateSettings,
    jsonld: list[dict] = (),
    published_texts: tuple[str, ...] = (),
    modified_texts: tuple[str, ...] = (),
    fetched_at: datetime | None = None,
    htmldate: str | None = None,
) -> FoundDates:
    """The publication and modification dates of the page in `tree` (an lxml HTML tree), each aware or None, and
    why dates the page states were dropped (an impossible date, a modification before the publication).

    `jsonld` are the page's article objects; `published_texts`/`modified_texts` are what the site profile's
    selectors matched (the most trusted source). `htmldate` is htmldate's day of the page when the caller already
    has it (trafilatura's metadata); without it, htmldate runs when the page's own evidence is weak.
    """
    published = [DateCandidate(p, "selector", RANK_SELECTOR) for t in published_texts if (p := settings.parse(t))]
    modified = [DateCandidate(p, "selector", RANK_SELECTOR) for t in modified_texts if (p := settings.parse(t))]
    published += _jsonld_candidates(jsonld, settings, "datePublished")
    published += _jsonld_candidates(jsonld, settings, "dateCreated")
    modified += _jsonld_candidates(jsonld, settings, "dateModified")
    markup = _DateMarkup.of(tree)
    for found_published, found_modified in (
        _meta_candidates(markup, settings),
        _time_element_candidates(tree, settings),
    ):
        published += found_published
        modified += found_modified
    published += _visible_candidates(tree, settings)
    published += _labelled_candidates(tree, settings)
    if url_date := date_from_url(url, settings):
        published.append(url_date)
    everything = published + modified
    stated = _in_page_offset(_in_utc_and_local(published), everything)
    published = believable(stated, fetched_at)
    modified = believable(_in_page_offset(modified, everything), fetched_at)
    best = _shown_as_republished(reconcile(published), published, modified)
    impossible = [reason for text in _stated_publication(markup, jsonld) if (reason := impossible_date(text))]
    dropped = [f"publication date dropped: {reason}" for reason in impossible]

    # Dates the page states, all later than the fetch or impossible, mean the date is unknown, not that htmldate
    # should guess (it reads "31/02/2025" as 1 February).
    @cache
    def htmldate_found() -> DateCandidate | None:
        day = _htmldate_candidate(htmldate or htmldate_day(tree, url, fetched_at), settings)
        return day if day and believable([day], fetched_at) else None

    may_guess = not impossible and (best is not None or not stated)
    if may_guess and (best is None or best.effective_rank > RANK_TIME_ELEMENT):
        best = _checked_by_htmldate(best, published, htmldate_found())

    def local_days() -> Iterator[date]:  # htmldate only asked when the page's own day-only dates do not settle it
        yield from (c.parsed.value.date() for c in published if not c.parsed.has_time and not c.parsed.has_offset)
        if found := htmldate_found():
            yield found.parsed.value.date()

    if best is not None:
        best = _on_readers_day(best, local_days(), get_zone(settings.timezone_name))
    modified_at = reconcile(modified)
    published_date = best.parsed if best else None
    modified_date = modified_at.parsed if modified_at else None
    if published_date and modified_date and _before(modified_date, published_date):
        dropped.append(
            f"modification date dropped: {modified_date.value.isoformat()} is before the publication date"
            f" {published_date.value.isoformat()}"
        )
        modified_date = None
    for reason in dropped:
        logger.warning("%s: %s", url, reason)
    return FoundDates(published_date, modified_date, tuple(dropped))


def _before(a: ParsedDate, b: ParsedDate) -> bool:
    """True when `a` is before `b`: by the day when either gives only a day, else by the instant."""
    if not (a.has_time and b.has_time):
        return a.value.date() < b.value.date()
    return a.value < b.value


def set_dates(article: Article, dates: FoundDates) -> Article:
    """Put found dates on `article` with their precision and whether their offset was the page's own, and the
    reasons of dropped dates among its issues."""
    for name, found in zip(DATE_FIELDS, (dates.published, dates.modified), strict=True):
        setattr(article, f"{name}_at", found.value if found else None)
        setattr(article, f"{name}_precision", found.precision if found else None)
        setattr(article, f"{name}_zone", found.zone if found else None)
    article.issues += dates.dropped
    return article


def normalize_timestamps(article: Article, zone: tzinfo, now: datetime | None = None) -> Article:
    """Set `fetched_at` (UTC) if missing, make every datetime of `article` aware with a fixed offset.

    A date without an offset is read in `zone` and marked as assumed; a missing date has no precision or zone.
    """
    fetched = article.fetched_at or now or datetime.now(UTC)
    article.fetched_at = (fetched if fetched.tzinfo else fetched.replace(tzinfo=UTC)).astimezone(UTC)
    for name in DATE_FIELDS:
        value = getattr(article, f"{name}_at")
        if value is None:
            setattr(article, f"{name}_precision", None)
            setattr(article, f"{name}_zone", None)
            continue
        if value.tzinfo is None or value.utcoffset() is None:
            value = value.replace(tzinfo=zone)
            setattr(article, f"{name}_zone", ZoneSource.ASSUMED)
        offset = value.utcoffset()
        assert offset is not None
        setattr(article, f"{name}_at", value.replace(tzinfo=timezone(offset)))
    return article
