"""Site profiles: what the crawler knows about one news site, as data (`crawler/sites/<name>.toml`).

A profile names where discovery starts (robots.txt, sitemaps, feeds, listing pages), which URLs are articles,
the site's time zone, language and date order, and optional CSS/XPath selectors that override any extracted
field. Nothing in the core is specific to one site: the generic path works with the default profile.
"""

from __future__ import annotations

import difflib
import re
import tomllib
from dataclasses import dataclass, field, fields
from functools import lru_cache
from importlib import resources
from pathlib import Path

from cssselect import GenericTranslator, SelectorError
from lxml import etree

from crawler.urls import ascii_host, host_of, with_ascii_host
from crawler.zones import get_zone, guess_timezone

DEFAULT_TIMEZONE = "Asia/Ho_Chi_Minh"

DATE_ORDERS = ("DMY", "MDY", "YMD")
SELECTOR_FIELDS = ("title", "lead", "section", "authors", "published", "modified", "body", "captions", "tags")


@dataclass(frozen=True)
class SiteProfile:
    """Everything site-specific; every field has a generic default."""

    name: str = "generic"
    base_url: str = ""
    domains: tuple[str, ...] = ()
    sitemaps: tuple[str, ...] = ()
    feeds: tuple[str, ...] = ()
    start_urls: tuple[str, ...] = ()
    article_patterns: tuple[str, ...] = ()
    deny_patterns: tuple[str, ...] = ()
    timezone: str = DEFAULT_TIMEZONE  # "" = guess per page from the country domain or the page's language
    languages: tuple[str, ...] = ("vi", "en")
    date_order: str = "DMY"
    selectors: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        # one form for hosts: a profile naming bücher.example owns links to xn--bcher-kva.example and back
        object.__setattr__(self, "domains", tuple(dict.fromkeys(ascii_host(d) for d in self.domains)))

    def is_article_url(self, url: str) -> bool:
        """True when `url` matches the article patterns (every URL does when none are set) and no deny pattern.
        A URL with an internationalised host is matched as given and with its host in IDNA form."""
        forms = dict.fromkeys((url, with_ascii_host(url)))
        if any(re.search(p, form) for p in self.deny_patterns for form in forms):
            return False
        return not self.article_patterns or any(re.search(p, form) for p in self.article_patterns for form in forms)

    @classmethod
    def ad_hoc(cls, urls: list[str]) -> SiteProfile:
        """The profile of a crawl without one (`--sitemap`/`--feed`/`--start`, or `import-warc` without `--site`):
        named after the first host, staying on the hosts of `urls`, no zone (each page's is guessed)."""
        hosts = tuple(dict.fromkeys(host_of(u) for u in urls))
        return cls(name=hosts[0], domains=hosts, timezone="")

    def zone_name(self, url: str, language: str = "") -> str:
        """The time zone of a page of this site: the profile's, else the one its country domain or language
        suggests (`crawler.zones.guess_timezone`). The one rule: extraction, `--since` and finishing use it."""
        return self.timezone or guess_timezone(url, language)

    def owns(self, url: str) -> bool:
        """True when `url` belongs to one of the profile's domains (or any domain when none are set), whichever
        form (Unicode or IDNA) either names its host in."""
        host = host_of(url)
        return not self.domains or any(host == d or host.endswith("." + d) for d in self.domains)


@lru_cache(maxsize=256)
def compile_selector(selector: str) -> etree.XPath:
    """A profile's CSS or XPath selector (XPath when it starts with `/` or `(`) compiled to XPath."""
    try:
        is_xpath = selector.lstrip().startswith(("/", "("))
        return etree.XPath(selector if is_xpath else GenericTranslator().css_to_xpath(selector))
    except (SelectorError, etree.XPathSyntaxError) as exc:
        raise ValueError(f"invalid selector {selector!r}: {exc}") from exc


def available_profiles() -> list[str]:
    """Names of the profiles shipped with the package."""
    folder = resources.files(__package__)
    return sorted(p.name.removesuffix(".toml") for p in folder.iterdir() if p.name.endswith(".toml"))


class ProfileError(ValueError):
    """A profile that cannot be used: the message names the file, the line and the key where known."""


def load_profile(name_or_path: str) -> SiteProfile:
    """Load a shipped profile by name (`baonghean`) or any profile file by path; `ProfileError` if it is wrong."""
    path = Path(name_or_path)
    if path.suffix == ".toml":
        if not path.is_file():
            raise ProfileError(f"no profile file {name_or_path}")
        source, text = str(path), path.read_text(encoding="utf-8")
    else:
        resource = resources.files(__package__) / f"{name_or_path}.toml"
        if not resource.is_file():
            close = difflib.get_close_matches(name_or_path, available_profiles(), n=1)
            hint = f"did you mean {close[0]}? " if close else ""
            raise ProfileError(f"unknown site profile {name_or_path!r}: {hint}known profiles: "
                               f"{', '.join(available_profiles())}, or give the path of a .toml file")
        source, text = f"{name_or_path}.toml", resource.read_text(encoding="utf-8")
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ProfileError(f"{source}: not valid TOML: {exc}") from None
    return profile_from_dict(data, source=source, text=text)


def profile_from_dict(data: dict, source: str = "profile", text: str = "") -> SiteProfile:
    """Build a profile from a TOML table, checking every key and value: a typo is an error, not a silent default.

    `source` and `text` (the file's name and content) let the error say where the key is.
    """

    def error(key: str, problem: str) -> ProfileError:
        match = re.search(rf"^\s*{re.escape(key)}\s*=", text, re.MULTILINE)
        line = f", line {text.count(chr(10), 0, match.start()) + 1}" if match else ""
        return ProfileError(f"{source}{line}: key {key!r}: {problem}")

    types = {f.name: f.type for f in fields(SiteProfile)}
    for key, value in data.items():
        if key not in types:
            close = difflib.get_close_matches(key, types, n=1)
            raise error(key, f"unknown key{f' (did you mean {close[0]}?)' if close else ''}")
        if "tuple" in str(types[key]):
            if not (isinstance(value, list) and all(isinstance(v, str) for v in value)):
                raise error(key, "expected a list of strings, e.g. [\"...\"]")
        elif key == "selectors":
            if not isinstance(value, dict):
                raise error(key, "expected a table [selectors] of field = \"CSS or XPath\"")
        elif not isinstance(value, str):
            raise error(key, "expected a string in quotes")
    for name, selector in data.get("selectors", {}).items():
        if name not in SELECTOR_FIELDS:
            raise error(name, f"unknown selector field; allowed: {', '.join(SELECTOR_FIELDS)}")
        if not isinstance(selector, str) or not selector.strip():
            raise error(name, "expected a CSS or XPath selector in quotes")
        try:
            compile_selector(selector)
        except ValueError as exc:
            raise error(name, str(exc)) from None
    for key in ("article_patterns", "deny_patterns"):
        for pattern in data.get(key, ()):
            try:
                re.compile(pattern)
            except re.error as exc:
                raise error(key, f"{pattern!r} is not a regular expression: {exc}") from None
    if data.get("timezone"):
        try:
            get_zone(data["timezone"])
        except ValueError:
            raise error("timezone", f"unknown time zone {data['timezone']!r} (an IANA name, e.g. "
                                    "Asia/Ho_Chi_Minh, or \"\" to guess per page)") from None
    if data.get("date_order", "DMY") not in DATE_ORDERS:
        raise error("date_order", f"expected one of {', '.join(DATE_ORDERS)}")
    values = {k: tuple(v) if isinstance(v, list) else v for k, v in data.items()}
    return SiteProfile(**values)
