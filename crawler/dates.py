"""Publication and modification dates of a news page, always time-zone aware.

`parse_date` turns one date string as news sites print it (ISO 8601, RFC 822, Unix epochs, Vietnamese bylines
such as "Thứ tư, 22/10/2025, 19:25 (GMT+7)", the ASP.NET "9/5/2026 10:17:01 PM" meta format, localized month
names through dateparser) into a `ParsedDate`. `find_dates` collects candidates from JSON-LD, meta tags, `<time>`
elements, the visible byline, the URL and htmldate, and reconciles them into (published, modified).

A string with its own offset keeps it; otherwise the site's zone applies. Pure: no Scrapy.
"""

from __future__ import annotations

import email.utils
import re
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from functools import lru_cache
from typing import TYPE_CHECKING
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import dateparser

if TYPE_CHECKING:
    from archive.records import Article

EARLIEST = datetime(1990, 1, 1, tzinfo=UTC)
# A page may be fetched a little before the clock of its server says it was published (skewed clocks, caches).
FUTURE_TOLERANCE = timedelta(minutes=10)
MAX_DATE_STRING = 200

# Source ranks: lower is more trusted.
RANK_SELECTOR = 0
RANK_JSONLD = 1
RANK_META = 2
RANK_TIME_ELEMENT = 3
RANK_VISIBLE = 4
RANK_DATELINE = 5
RANK_URL = 6
RANK_HTMLDATE = 7
# A string in a format known to be read differently by different sites (M/D vs D/M) loses to any other source.
AMBIGUITY_PENALTY = 10  # above every rank: an ambiguous reading loses to any other source


@dataclass(frozen=True)
class ParsedDate:
    """A parsed date: the instant, whether the string gave a time of day and an offset, and if it was ambiguous."""

    value: datetime
    has_time: bool = True
    has_offset: bool = False
    ambiguous: bool = False


@dataclass(frozen=True)
class DateCandidate:
    """One date found on a page, where it came from and how much that source is trusted."""

    parsed: ParsedDate
    source: str
    rank: int

    @property
    def effective_rank(self) -> int:
        return self.rank + (AMBIGUITY_PENALTY if self.parsed.ambiguous else 0)


@lru_cache(maxsize=64)
def get_zone(name: str) -> tzinfo:
    """The zone called `name`, or a clear error."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown time zone {name!r}") from exc


_EPOCH = re.compile(r"^\d{10}(\d{3})?$")
_ISO = re.compile(
    r"^(\d{4})-(\d{1,2})-(\d{1,2})"
    r"(?:[T ](\d{1,2}):(\d{2})(?::(\d{2})(?:[.,]\d+)?)?)?"
    r"\s*(Z|[+-]\d{2}:?\d{2}|[+-]\d{2})?$",
    re.IGNORECASE,
)
# ASP.NET's invariant culture prints "M/D/YYYY h:mm:ss AM": month first, seconds, 12-hour clock, no zone.
_DOTNET_US = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4}) (\d{1,2}):(\d{2}):(\d{2}) ?([AP]M)$", re.IGNORECASE)
_NUMERIC_DATE = re.compile(r"(?<!\d)(\d{1,4})[/.-](\d{1,2})[/.-](\d{2,4})(?!\d)")
_CLOCK = re.compile(r"(?<![\d/.-])(\d{1,2})[:hg](\d{2})(?::(\d{2}))?(?:\s*([AaPp])\.?\s?[Mm]\.?)?(?![\d/])")
_GMT_OFFSET = re.compile(r"\b(?:GMT|UTC)\s*([+-])\s*(\d{1,2})(?::?(\d{2}))?\b", re.IGNORECASE)
_NUMERIC_OFFSET = re.compile(r"(?<=[\d\s])([+-])(\d{2}):?(\d{2})\b")
_UTC_WORD = re.compile(r"\b(?:GMT|UTC)\b|(?<=\d)Z\b")
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
    return ParsedDate(_localize(naive, offset, zone), has_time=hour is not None, has_offset=offset is not None)


def _parse_dotnet_us(text: str, zone: tzinfo) -> ParsedDate | None:
    match = _DOTNET_US.match(text)
    if not match:
        return None
    month, day, year, hour, minute, second, half = match.groups()
    hour_24 = int(hour) % 12 + (12 if half.upper() == "PM" else 0)
    naive = datetime(int(year), int(month), int(day), hour_24, int(minute), int(second))
    return ParsedDate(_localize(naive, None, zone), ambiguous=True)


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
    return ParsedDate(_localize(naive, offset, zone), has_time=clock is not None, has_offset=offset is not None)


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
    return ParsedDate(value, has_offset=True)


def _parse_with_dateparser(text: str, zone_name: str, date_order: str, languages: tuple[str, ...]) -> ParsedDate | None:
    settings = {
        "DATE_ORDER": date_order,
        "TIMEZONE": zone_name,
        "RETURN_AS_TIMEZONE_AWARE": False,
        "PREFER_DATES_FROM": "past",
        "REQUIRE_PARTS": ["day", "month", "year"],
        "STRICT_PARSING": False,
    }
    try:
        value = dateparser.parse(text, languages=list(languages) or None, settings=settings)
    except (ValueError, OverflowError, TypeError, AttributeError):
        return None
    if value is None:
        return None
    has_time = bool(_CLOCK.search(text))
    offset = _explicit_offset(text)
    if offset is not None:
        # dateparser converts to TIMEZONE; re-read the wall clock in the page's own offset instead.
        aware = dateparser.parse(
            text, languages=list(languages) or None, settings={**settings, "RETURN_AS_TIMEZONE_AWARE": True}
        )
        if aware is not None and aware.tzinfo is not None:
            return ParsedDate(aware.astimezone(offset), has_time=has_time, has_offset=True)
    return ParsedDate(value.replace(tzinfo=get_zone(zone_name)), has_time=has_time, has_offset=False)


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
        return ParsedDate(datetime.fromtimestamp(seconds, UTC).astimezone(zone), has_offset=True)
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


def reconcile(candidates: list[DateCandidate], fetched_at: datetime | None = None) -> datetime | None:
    """The best-supported instant among `candidates`.

    Dates after the fetch time (beyond a small tolerance) and before 1990 are rejected. The most trusted source
    wins; an ambiguous format (M/D vs D/M) loses to any other source. The winner is then refined by a candidate
    that agrees with it but says more: a time of day for a bare date, an explicit offset, seconds.
    """
    latest = fetched_at + FUTURE_TOLERANCE if fetched_at is not None else None
    valid = [c for c in candidates if c.parsed.value >= EARLIEST and (latest is None or c.parsed.value <= latest)]
    if not valid:
        return None
    ordered = sorted(valid, key=lambda c: (c.effective_rank, not c.parsed.has_time, not c.parsed.has_offset))
    best = ordered[0].parsed
    for other in ordered[1:]:
        candidate = other.parsed
        if not best.has_time and candidate.has_time and _same_day(best.value, candidate.value):
            best = candidate
        elif best.has_time and candidate.has_time and _same_minute(best.value, candidate.value):
            if candidate.has_offset and not best.has_offset:
                best = replace(candidate, ambiguous=False)
            elif best.value.second == 0 and candidate.value.second != 0 and best.has_offset == candidate.has_offset:
                best = replace(best, value=best.value.replace(second=candidate.value.second))
    return best.value


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


def _meta_candidates(tree, settings: DateSettings) -> tuple[list[DateCandidate], list[DateCandidate]]:
    published: list[DateCandidate] = []
    modified: list[DateCandidate] = []
    for meta in tree.iterfind(".//meta"):
        content = meta.get("content")
        if not content:
            continue
        keys = {meta.get(k, "").strip().lower() for k in _META_KEYS} - {""}
        target = published if keys & PUBLISHED_META else modified if keys & MODIFIED_META else None
        if target is None and "cms-date" in meta.get("class", ""):
            target = published
        if target is not None and (parsed := settings.parse(content)):
            target.append(DateCandidate(parsed, "meta:" + "/".join(sorted(keys)), RANK_META))
    for element in tree.xpath("//*[not(self::meta)][@itemprop='datePublished' or @itemprop='dateModified']"):
        value = element.get("datetime") or element.get("content") or element.text_content()
        if parsed := settings.parse(value):
            target = published if element.get("itemprop") == "datePublished" else modified
            target.append(DateCandidate(parsed, "itemprop", RANK_TIME_ELEMENT))
    return published, modified


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
    published: list[DateCandidate] = []
    modified: list[DateCandidate] = []
    for index, element in enumerate(tree.iterfind(".//time")):
        value = element.get("datetime") or element.text_content()
        parsed = settings.parse(value) if value else None
        if parsed is None:
            continue
        marks = " ".join(filter(None, (element.get("class"), element.get("itemprop"), element.get("data-role"))))
        if _MODIFIED_CLASS.search(marks):
            modified.append(DateCandidate(parsed, "time", RANK_TIME_ELEMENT))
        elif element.get("pubdate") is not None or re.search("publish|created", marks, re.IGNORECASE):
            published.append(DateCandidate(parsed, "time", RANK_TIME_ELEMENT))
        elif index == 0:
            published.append(DateCandidate(parsed, "time:first", RANK_VISIBLE))
    return published, modified


def _visible_candidates(tree, settings: DateSettings) -> list[DateCandidate]:
    """Short elements whose class says date/time, after the headline (site headers often show today's date)."""
    headline = next(tree.iterfind(".//h1"), None)
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
    return found


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


def _htmldate_candidate(tree, url: str, settings: DateSettings, fetched_at: datetime | None) -> DateCandidate | None:
    from htmldate import find_date  # imported lazily: only pages without any other date need it

    max_date = (fetched_at or datetime.now(UTC)).strftime("%Y-%m-%d")
    try:
        found = find_date(tree, url=url, extensive_search=False, original_date=True, max_date=max_date)
    except (ValueError, TypeError):
        return None
    if not found:
        return None
    day = datetime.strptime(found, "%Y-%m-%d").replace(tzinfo=get_zone(settings.timezone_name))
    return DateCandidate(ParsedDate(day, has_time=False), "htmldate", RANK_HTMLDATE)


def _in_page_offset(candidates: list[DateCandidate], stated: list[DateCandidate]) -> list[DateCandidate]:
    """Read dates without an offset in the offset the page itself states elsewhere (its own zone wins).

    UTC is not taken as the page's zone: servers write machine-readable times in UTC ("…Z") and still print
    local times for readers.
    """
    offsets = (c.parsed.value.utcoffset() for c in stated if c.parsed.has_offset)
    offset = next((o for o in offsets if o), None)
    if offset is None:
        return candidates
    zone = timezone(offset)
    return [
        c if c.parsed.has_offset else replace(c, parsed=replace(c.parsed, value=c.parsed.value.replace(tzinfo=zone)))
        for c in candidates
    ]


_TLD_ZONES = {
    "vn": "Asia/Ho_Chi_Minh", "de": "Europe/Berlin", "at": "Europe/Vienna", "ch": "Europe/Zurich",
    "li": "Europe/Vaduz", "fr": "Europe/Paris", "it": "Europe/Rome", "es": "Europe/Madrid", "pt": "Europe/Lisbon",
    "nl": "Europe/Amsterdam", "be": "Europe/Brussels", "lu": "Europe/Luxembourg", "dk": "Europe/Copenhagen",
    "se": "Europe/Stockholm", "no": "Europe/Oslo", "fi": "Europe/Helsinki", "is": "Atlantic/Reykjavik",
    "uk": "Europe/London", "ie": "Europe/Dublin", "pl": "Europe/Warsaw", "cz": "Europe/Prague",
    "lt": "Europe/Vilnius", "lv": "Europe/Riga", "ee": "Europe/Tallinn", "ua": "Europe/Kyiv",
    "tr": "Europe/Istanbul", "gr": "Europe/Athens", "hu": "Europe/Budapest", "ro": "Europe/Bucharest",
    "il": "Asia/Jerusalem", "lb": "Asia/Beirut", "jp": "Asia/Tokyo", "kr": "Asia/Seoul", "cn": "Asia/Shanghai",
    "tw": "Asia/Taipei", "hk": "Asia/Hong_Kong", "sg": "Asia/Singapore", "th": "Asia/Bangkok",
    "my": "Asia/Kuala_Lumpur", "ph": "Asia/Manila", "kh": "Asia/Phnom_Penh", "la": "Asia/Vientiane",
    "in": "Asia/Kolkata", "id": "Asia/Jakarta", "za": "Africa/Johannesburg", "na": "Africa/Windhoek",
    "ls": "Africa/Maseru", "tz": "Africa/Dar_es_Salaam", "ke": "Africa/Nairobi", "ng": "Africa/Lagos",
    "nz": "Pacific/Auckland", "gl": "America/Nuuk", "py": "America/Asuncion",
}  # fmt: skip
_LANGUAGE_ZONES = {
    "vi": "Asia/Ho_Chi_Minh", "ja": "Asia/Tokyo", "ko": "Asia/Seoul", "de": "Europe/Berlin", "fr": "Europe/Paris",
    "it": "Europe/Rome", "pl": "Europe/Warsaw", "cs": "Europe/Prague", "da": "Europe/Copenhagen",
    "sv": "Europe/Stockholm", "nb": "Europe/Oslo", "no": "Europe/Oslo", "is": "Atlantic/Reykjavik",
    "lt": "Europe/Vilnius", "nl": "Europe/Amsterdam", "uk": "Europe/Kyiv", "tr": "Europe/Istanbul",
    "he": "Asia/Jerusalem", "th": "Asia/Bangkok", "el": "Europe/Athens", "hu": "Europe/Budapest",
    "ro": "Europe/Bucharest", "fi": "Europe/Helsinki", "km": "Asia/Phnom_Penh", "lo": "Asia/Vientiane",
}  # fmt: skip


def guess_timezone(url: str, language: str = "") -> str:
    """The likely zone of a site without a profile: from its country domain, else its language, else UTC."""
    host = (urlsplit(url).hostname or "").rstrip(".")
    tld = host.rsplit(".", 1)[-1].lower() if "." in host else ""
    return _TLD_ZONES.get(tld) or _LANGUAGE_ZONES.get(language.lower()[:2]) or "UTC"


def find_dates(
    tree,
    url: str,
    *,
    settings: DateSettings,
    jsonld: list[dict] = (),
    published_texts: tuple[str, ...] = (),
    modified_texts: tuple[str, ...] = (),
    fetched_at: datetime | None = None,
) -> tuple[datetime | None, datetime | None]:
    """(published, modified) of the page in `tree` (an lxml HTML tree), each aware or None.

    `jsonld` are the page's article objects; `published_texts`/`modified_texts` are what the site profile's
    selectors matched (the most trusted source).
    """
    published = [DateCandidate(p, "selector", RANK_SELECTOR) for t in published_texts if (p := settings.parse(t))]
    modified = [DateCandidate(p, "selector", RANK_SELECTOR) for t in modified_texts if (p := settings.parse(t))]
    published += _jsonld_candidates(jsonld, settings, "datePublished")
    published += _jsonld_candidates(jsonld, settings, "dateCreated")
    modified += _jsonld_candidates(jsonld, settings, "dateModified")
    for found_published, found_modified in (
        _meta_candidates(tree, settings),
        _time_element_candidates(tree, settings),
    ):
        published += found_published
        modified += found_modified
    published += _visible_candidates(tree, settings)
    if url_date := date_from_url(url, settings):
        published.append(url_date)
    # htmldate only when the page offers no candidate at all: it reads "9/5/2026 10:17:01 PM" as 9 May, and
    # candidates all rejected as later than the fetch mean the date is unknown, not that htmldate should guess.
    if not published and (fallback := _htmldate_candidate(tree, url, settings, fetched_at)):
        published.append(fallback)
    everything = published + modified
    published, modified = _in_page_offset(published, everything), _in_page_offset(modified, everything)
    published_at = reconcile(published, fetched_at)
    return published_at, reconcile(modified, fetched_at)


def normalize_timestamps(article: Article, zone: tzinfo, now: datetime | None = None) -> Article:
    """Set `fetched_at` (UTC) if missing, make every datetime of `article` aware with a fixed offset."""
    fetched = article.fetched_at or now or datetime.now(UTC)
    article.fetched_at = (fetched if fetched.tzinfo else fetched.replace(tzinfo=UTC)).astimezone(UTC)
    article.published_at = _with_fixed_offset(article.published_at, zone)
    article.modified_at = _with_fixed_offset(article.modified_at, zone)
    return article


def _with_fixed_offset(value: datetime | None, zone: tzinfo) -> datetime | None:
    if value is None:
        return None
    if value.tzinfo is None or value.utcoffset() is None:
        value = value.replace(tzinfo=zone)
    offset = value.utcoffset()
    assert offset is not None
    return value.replace(tzinfo=timezone(offset))
