"""Settings checked when they are read, not when a component first trips over them.

`check_settings` turns each newsarchive setting (and the Scrapy settings the add-on gives a default) into the type
its default has, at the priority it was given with: `-s SQL_BATCH_SIZE=abc` or `NEWSARCHIVE_WARC_MAX_SIZE=lots`
is one `SettingError` naming the setting, the value and what is expected; sizes take units (`1GB`, `512 MiB`,
`2k`). `unknown_settings` names the `-s` names neither newsarchive nor Scrapy knows, with the nearest known name.
"""

from __future__ import annotations

import difflib
import re
from typing import Any

import scrapy.settings.default_settings as scrapy_defaults
from scrapy.settings import BaseSettings

SIZE_SETTINGS = frozenset({"WARC_MAX_SIZE", "DOWNLOAD_MAXSIZE", "DOWNLOAD_WARNSIZE"})
RATIO_SETTINGS = frozenset({"MAX_FAILURE_RATIO"})
AT_LEAST_ONE = frozenset({"SQL_BATCH_SIZE", "CONCURRENT_REQUESTS", "CONCURRENT_REQUESTS_PER_DOMAIN", "FRONTIER_BATCH",
                          "FRONTIER_LOW_WATER"})
CHOICES: dict[str, tuple[str, ...]] = {"WARC_DIGEST": ("sha1", "sha256")}

TRUE_WORDS = frozenset({"1", "true", "yes", "on"})
FALSE_WORDS = frozenset({"0", "false", "no", "off", ""})
SIZE_UNITS = {"": 1, "b": 1, "k": 10**3, "kb": 10**3, "m": 10**6, "mb": 10**6, "g": 10**9, "gb": 10**9,
              "t": 10**12, "tb": 10**12, "kib": 2**10, "mib": 2**20, "gib": 2**30, "tib": 2**40}
SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$", re.IGNORECASE)


class SettingError(ValueError):
    """A setting's value cannot be used; the message names the setting, the value and what it should be."""


def parse_size(value: Any) -> int:
    """A byte count from `1000000`, `"1GB"`, `"512 MiB"` or `"2k"` (decimal units, binary with `i`)."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    match = SIZE.match(str(value))
    if not match or match.group(2).lower() not in SIZE_UNITS:
        raise ValueError("a size in bytes, e.g. 1000000000, 1GB or 512MiB")
    return int(float(match.group(1)) * SIZE_UNITS[match.group(2).lower()])


def parse_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    word = str(value).strip().lower()
    if word in TRUE_WORDS | FALSE_WORDS:
        return word in TRUE_WORDS
    raise ValueError("true or false (also 1/0, yes/no, on/off)")


def _parse(name: str, value: Any, default: Any) -> Any:
    if name in SIZE_SETTINGS:
        return parse_size(value)
    if name in RATIO_SETTINGS:
        ratio = float(value)
        if not 0 <= ratio <= 1:
            raise ValueError("a share of pages between 0 and 1, e.g. 0.2")
        return ratio
    if name in CHOICES:
        if value not in CHOICES[name]:
            raise ValueError(f"one of {', '.join(CHOICES[name])}")
        return value
    if isinstance(default, bool):
        return parse_bool(value)
    if isinstance(default, int):
        number = int(str(value).strip()) if not isinstance(value, int) else value
        if number < (1 if name in AT_LEAST_ONE else 0):
            raise ValueError(f"a whole number of at least {1 if name in AT_LEAST_ONE else 0}")
        return number
    if isinstance(default, float):
        number = float(value)
        if number < 0:
            raise ValueError("a number of at least 0")
        return number
    return value


def check_settings(settings: BaseSettings, defaults: dict[str, Any]) -> None:
    """Give each setting of `defaults` the type of its default, at its own priority; raise `SettingError` on the
    first that has none."""
    for name, default in defaults.items():
        value = settings.get(name)
        if value is None or value == default:
            continue
        try:
            parsed = _parse(name, value, default)
        except (TypeError, ValueError) as exc:
            expected = str(exc) if not str(exc).startswith(("invalid literal", "could not convert")) else (
                "a whole number" if isinstance(default, int) else "a number")
            raise SettingError(f"setting {name}={value!r} is not {expected}") from None
        if parsed != value:
            settings.set(name, parsed, priority=settings.getpriority(name) or "project")


def unknown_settings(names: list[str], defaults: dict[str, Any]) -> list[str]:
    """A warning for each name that is neither in `defaults` nor a Scrapy setting, with the nearest known name."""
    known = set(defaults) | {n for n in dir(scrapy_defaults) if n.isupper()}
    warnings = []
    for name in names:
        if name in known:
            continue
        close = difflib.get_close_matches(name.upper(), known, n=1)
        hint = f" (did you mean {close[0]}?)" if close else ""
        warnings.append(f"unknown setting {name}{hint}: it is passed on, but nothing in newsarchive or Scrapy reads it")
    return warnings
