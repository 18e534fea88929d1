"""The newsroom's content model: categories, body blocks and stories, and the archive's text form of a story.

A `Story` is what an editor wrote (title, lead, body blocks, metadata); how it is laid out in HTML is the
business of `crawler.newsroom.templates`. The text form is the one of the reference record
(`date <YYYY-MM-DD> <section> <title> <lead>`, then the blocks separated by blank lines, captions inline with
their credit), so a test can compare an export of a crawled page with the story it came from.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

VIETNAM = timezone(timedelta(hours=7), "+07")


@dataclass(frozen=True)
class Category:
    """A section of the site, with the URL slug of its listing pages."""

    name: str
    slug: str


CATEGORIES: tuple[Category, ...] = (
    Category("Thời sự", "thoi-su"),
    Category("Kinh tế", "kinh-te"),
    Category("Xã hội", "xa-hoi"),
    Category("Pháp luật", "phap-luat"),
    Category("Thế giới", "the-gioi"),
    Category("Thể thao", "the-thao"),
    Category("Văn hóa", "van-hoa"),
    Category("Giáo dục", "giao-duc"),
    Category("Sức khỏe", "suc-khoe"),
    Category("Công nghệ", "cong-nghe"),
)
CATEGORY_BY_NAME = {c.name: c for c in CATEGORIES}
CATEGORY_BY_SLUG = {c.slug: c for c in CATEGORIES}


@dataclass(frozen=True)
class Block:
    """One body block: a paragraph (`p`), a sub-heading (`h2`) or a figure with its caption and credit."""

    kind: str
    text: str
    credit: str | None = None
    image: str | None = None

    def text_form(self) -> str:
        """The block as the archive's text form writes it (a caption keeps its credit inline)."""
        if self.kind == "figure" and self.credit:
            return f"{self.text} Ảnh: {self.credit}"
        return self.text


@dataclass(frozen=True)
class Story:
    """An article as written: everything a page of any layout is rendered from."""

    id: int
    category: Category
    slug: str
    title: str
    lead: str
    author: str
    tags: tuple[str, ...]
    published: datetime
    blocks: tuple[Block, ...]
    modified: datetime | None = None
    layout: str = "onecms"
    json_ld: bool = False

    @property
    def path(self) -> str:
        """The story's canonical path on the newsroom host."""
        prefix = "/vnx" if self.layout == "vnexpress" else ""
        return f"{prefix}/{self.category.slug}/{self.slug}-{self.id}.html"

    @property
    def last_modified(self) -> datetime:
        return self.modified or self.published

    def text_form(self) -> str:
        """The story in the reference record's text form (ARCHITECTURE.md, "The text form and the export record")."""
        header = f"date {self.published.date().isoformat()} {self.category.name} {self.title} {self.lead}"
        return "\n\n".join([header, *(block.text_form() for block in self.blocks)])

    def captions(self, base_url: str) -> list[dict[str, str | None]]:
        """The figures' captions as the export record structures them: the credit keeps its marker word, as
        on the page ("Ảnh: Thành Duy"); image URLs absolute on `base_url`."""
        return [
            {"text": b.text, "credit": f"Ảnh: {b.credit}" if b.credit else None,
             "image_url": base_url + b.image if b.image else None}
            for b in self.blocks
            if b.kind == "figure"
        ]


_SLUG_DROP = re.compile(r"[^a-z0-9]+")


def slugify(text: str, max_words: int = 24) -> str:
    """ASCII URL slug of a Vietnamese title, as Vietnamese CMSes make them ("Đảng ủy" → "dang-uy")."""
    folded = unicodedata.normalize("NFD", text.replace("Đ", "D").replace("đ", "d"))
    ascii_text = "".join(ch for ch in folded if not unicodedata.combining(ch)).lower()
    words = _SLUG_DROP.sub(" ", ascii_text).split()
    return "-".join(words[:max_words])
