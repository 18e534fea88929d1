"""Time zones by name and the zone a site without a profile is likely in: what the crawl's own process needs of
dates (the spider's `--since`, the site profiles) without the date parsers, which only the extraction workers load.
"""

from __future__ import annotations

from datetime import tzinfo
from functools import lru_cache
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


@lru_cache(maxsize=64)
def get_zone(name: str) -> tzinfo:
    """The zone called `name`, or a clear error."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown time zone {name!r}") from exc


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
