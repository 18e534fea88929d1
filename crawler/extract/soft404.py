"""Soft 404s: error pages served with status 200 ("404 Not Found", "Không tìm thấy trang", "page doesn't exist").

A page whose title or main heading says it was not found, and which has little text, is no article, whatever its
status line says. The words are those of English and Vietnamese sites; a real article about a "404 error" has a
headline that says more than that and a body longer than `MAX_SOFT_404_CHARS`.
"""

from __future__ import annotations

import re

from lxml import etree

MAX_SOFT_404_CHARS = 1500  # text of the page's main content: more than this is an article, whatever its title says

NOT_FOUND = re.compile(
    r"\b404\b|\bnot\s+found\b|\bpage\s+(?:does\s*n[o']t|doesn't|no\s+longer)\s+(?:exist|available)"
    r"|\bcould\s*n[o']t\s+be\s+found|\bcannot\s+be\s+found|\bno\s+longer\s+available"
    r"|không\s+tìm\s+thấy|không\s+tồn\s+tại|trang\s+bạn\s+tìm|đã\s+bị\s+xóa|lỗi\s+404",
    re.IGNORECASE,
)


def soft_404_reason(tree: etree._Element, text_chars: int) -> str | None:
    """Why the page is a soft 404 (the heading that says so), or None: `text_chars` is its main text's length."""
    if text_chars > MAX_SOFT_404_CHARS:
        return None
    for heading in (tree.findtext(".//title"), _first_text(tree, "h1")):
        heading = " ".join((heading or "").split())
        if heading and NOT_FOUND.search(heading):
            return f"soft 404: the page says {heading[:80]!r} ({text_chars} characters of text)"
    return None


def _first_text(tree: etree._Element, tag: str) -> str:
    element = next(tree.iter(tag), None)
    return "".join(element.itertext()) if element is not None else ""
