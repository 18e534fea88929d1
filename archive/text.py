"""Text normal form, content hashing and the archive's plain-text export form of an article.

Vietnamese pages mix composed and decomposed diacritics, zero-width characters and non-breaking spaces; two texts
that read the same must hash the same, so everything the extractor emits passes through `normalize_text`.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from archive.records import Article

# Invisible format characters that carry no text: zero-width space/joiners, word joiner, BOM, soft hyphen.
_INVISIBLE = re.compile("[\u200b\u200c\u200d\u2060\ufeff\u00ad\u180e]")
_PARAGRAPH_BREAK = re.compile(r"\n[^\S\n]*\n\s*")
_SPACE_RUN = re.compile(r"\s+")


def _visible_nfc(s: str) -> str:
    """NFC without the invisible characters (an ASCII text has neither to change: the common case, left as is)."""
    return s if s.isascii() else unicodedata.normalize("NFC", _INVISIBLE.sub("", s))


def normalize_line(s: str) -> str:
    """The normal form of `s` on one line: what `normalize_text` gives, its paragraphs joined by a space."""
    return " ".join(_visible_nfc(s).split())


def normalize_text(s: str) -> str:
    """NFC, invisible characters removed, every Unicode space a plain space, whitespace collapsed per paragraph.

    Paragraphs (separated by a blank line) are kept apart by exactly one blank line; inside a paragraph any run of
    whitespace, line breaks included, becomes one space.
    """
    # `\s` is Unicode-aware: NBSP, thin and ideographic spaces are whitespace like any other.
    s = _visible_nfc(s).replace("\r\n", "\n").replace("\r", "\n")
    paragraphs = (_SPACE_RUN.sub(" ", p).strip() for p in _PARAGRAPH_BREAK.split(s))
    return "\n\n".join(p for p in paragraphs if p)


def content_hash(text: str) -> str:
    """sha256 hex digest of the normal form of `text` (equal-reading texts hash equal)."""
    return hashlib.sha256(normalize_text(text).encode("utf-8")).hexdigest()


def to_text_form(article: Article) -> str:
    """The export text form: `date <YYYY-MM-DD> <section> <title> <lead>`, a blank line, then the body text.

    The date is the publication date in the article's own offset; missing parts are left out without leaving
    doubled spaces.
    """
    day = article.published_at.date().isoformat() if article.published_at else ""
    header_parts = [part for part in (day, article.section, article.title, article.lead) if part]
    header = " ".join(["date", *(_SPACE_RUN.sub(" ", normalize_text(p)) for p in header_parts)])
    return f"{header}\n\n{article.text}" if article.text else header


_WORD = re.compile(r"\w+")


def shingle_containment(a: str, b: str, size: int = 5) -> float:
    """Share of the word `size`-grams of the shorter text that also occur in the other (0.0 to 1.0).

    Order-sensitive where a Simhash is not: two texts made of the same words in another order share few
    shingles, while a copy with a byline or an ad paragraph added, or its last paragraph cut, contains nearly
    all of the original's.
    """
    return containment(shingles(a, size), shingles(b, size))


def shingles(text: str, size: int = 5) -> set[tuple[str, ...]]:
    """The word `size`-grams of the normal form of `text`, lower-cased."""
    words = _WORD.findall(normalize_text(text).lower())
    return {tuple(words[i : i + size]) for i in range(max(len(words) - size + 1, 1))}


def containment(first: set[tuple[str, ...]], second: set[tuple[str, ...]]) -> float:
    """Share of the smaller set of shingles found in the other (`shingle_containment` of two shingled texts)."""
    smaller = min(len(first), len(second))
    return len(first & second) / smaller if smaller else 0.0
