"""Site profiles: what the crawler knows about one news site, as data (`crawler/sites/<name>.toml`).

A profile names where discovery starts (robots.txt, sitemaps, feeds, listing pages), which URLs are articles,
the site's time zone, language and date order, and optional CSS/XPath selectors that override any extracted
field. Nothing in the core is specific to one site: the generic path works with the default profile.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field, fields
from importlib import resources
from pathlib import Path
from urllib.parse import urlsplit

from crawler.dates import guess_timezone

DEFAULT_TIMEZONE = "Asia/Ho_Chi_Minh"

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

    def is_article_url(self, url: str) -> bool:
        """True when `url` matches the article patterns (every URL does when none are set) and no deny pattern."""
        if any(re.search(p, url) for p in self.deny_patterns):
            return False
        return not self.article_patterns or any(re.search(p, url) for p in self.article_patterns)

    @classmethod
    def ad_hoc(cls, urls: list[str]) -> SiteProfile:
        """The profile of a crawl without one (`--sitemap`/`--feed`/`--start`, or `import-warc` without `--site`):
        named after the first host, staying on the hosts of `urls`, no zone (each page's is guessed)."""
        hosts = tuple(dict.fromkeys((urlsplit(u).hostname or "").lower() for u in urls))
        return cls(name=hosts[0], domains=hosts, timezone="")

    def zone_name(self, url: str, language: str = "") -> str:
        """The time zone of a page of this site: the profile's, else the one its country domain or language
        suggests (`crawler.dates.guess_timezone`). The one rule: extraction, `--since` and finishing use it."""
        return self.timezone or guess_timezone(url, language)

    def owns(self, url: str) -> bool:
        """True when `url` belongs to one of the profile's domains (or any domain when none are set)."""
        host = (urlsplit(url).hostname or "").lower()
        return not self.domains or any(host == d or host.endswith("." + d) for d in self.domains)


def available_profiles() -> list[str]:
    """Names of the profiles shipped with the package."""
    folder = resources.files(__package__)
    return sorted(p.name.removesuffix(".toml") for p in folder.iterdir() if p.name.endswith(".toml"))


def load_profile(name_or_path: str) -> SiteProfile:
    """Load a shipped profile by name (`baonghean`) or any profile file by path."""
    path = Path(name_or_path)
    if path.suffix == ".toml" and path.exists():
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    else:
        resource = resources.files(__package__) / f"{name_or_path}.toml"
        if not resource.is_file():
            known = ", ".join(available_profiles())
            raise ValueError(f"unknown site profile {name_or_path!r}; known profiles: {known}")
        data = tomllib.loads(resource.read_text(encoding="utf-8"))
    return profile_from_dict(data)


def profile_from_dict(data: dict) -> SiteProfile:
    """Build a profile from a TOML table; unknown keys are an error so a typo is not silently ignored."""
    known = {f.name for f in fields(SiteProfile)}
    unknown = set(data) - known
    if unknown:
        raise ValueError(f"unknown keys in site profile: {', '.join(sorted(unknown))}")
    bad = set(data.get("selectors", {})) - set(SELECTOR_FIELDS)
    if bad:
        raise ValueError(f"unknown selector fields: {', '.join(sorted(bad))}; allowed: {', '.join(SELECTOR_FIELDS)}")
    values = {k: tuple(v) if isinstance(v, list) else v for k, v in data.items()}
    return SiteProfile(**values)
