"""The seed article: a real baonghean.vn article in the archive's text form, turned into a newsroom `Story`.

The text file ships in `crawler/newsroom/data/` (tests of the project must not read /work/shared). Its first
line is `date <YYYY-MM-DD> <section> <title> <lead>`; the lead is the sentence that opens with the time of the
event ("Sáng 18/9, …"), as Vietnamese news leads do. The other blocks are separated by blank lines: a block
ending in " Ảnh: <credit>" is an image caption, a short block without final punctuation is a sub-heading, the
rest are paragraphs.
"""

from __future__ import annotations

import re
from datetime import datetime
from importlib import resources

from crawler.newsroom.story import CATEGORIES, VIETNAM, Block, Category, Story, slugify

SEED_FILE_NAME = "000_554f729a5d51e2e1.txt"
SEED_TEXT: str = (resources.files(__package__) / "data" / SEED_FILE_NAME).read_text(encoding="utf-8").strip()
"""The seed article in text form (the shipped file, without its surrounding white space)."""

SEED_ID = 10305001
SEED_PUBLISHED = datetime(2025, 9, 18, 10, 2, 0, tzinfo=VIETNAM)
SEED_AUTHOR = "Thành Duy"
SEED_TAGS = ("Đảng ủy các cơ quan Đảng tỉnh", "Nghị quyết Đại hội", "chuyển đổi số", "Nghệ An")

_LEAD_START = re.compile(r"\s(?=(?:Sáng|Trưa|Chiều|Tối|Đêm|Ngày|Hôm nay) \d{1,2}/\d{1,2}\b)")
_CAPTION = re.compile(r"^(?P<text>.+?)\s+Ảnh:\s+(?P<credit>[^.!?]{1,60})$")
_SUBHEADING_MAX = 100
_FINAL_PUNCTUATION = '.!?…:;”")'


class SeedFormatError(ValueError):
    """The text form does not have the expected header line or blocks."""


def parse_header(line: str, categories: tuple[Category, ...] = CATEGORIES) -> tuple[str, Category, str, str]:
    """Split `date <YYYY-MM-DD> <section> <title> <lead>` into (date, category, title, lead)."""
    match = re.match(r"date (\d{4}-\d{2}-\d{2}) (.*)$", line.strip())
    if not match:
        raise SeedFormatError(f"first line does not start with 'date YYYY-MM-DD': {line[:60]!r}")
    day, rest = match.groups()
    category = next((c for c in sorted(categories, key=lambda c: -len(c.name)) if rest.startswith(c.name + " ")), None)
    if category is None:
        raise SeedFormatError(f"no known section at the start of {rest[:40]!r}")
    heading = rest[len(category.name) + 1 :]
    lead_start = _LEAD_START.search(heading)
    if not lead_start:
        raise SeedFormatError(f"cannot tell the title from the lead in {heading[:80]!r}")
    return day, category, heading[: lead_start.start()], heading[lead_start.end() :]


def classify_block(text: str) -> Block:
    """A body block of the text form: a caption with its credit, a sub-heading or a paragraph."""
    caption = _CAPTION.match(text)
    if caption:
        return Block("figure", caption["text"], credit=caption["credit"])
    if len(text) <= _SUBHEADING_MAX and not text.endswith(tuple(_FINAL_PUNCTUATION)):
        return Block("h2", text)
    return Block("p", text)


def seed_story() -> Story:
    """The seed article as a OneCMS story in "Thời sự", with an image for every caption."""
    header, *rest = SEED_TEXT.split("\n\n")
    day, category, title, lead = parse_header(header)
    if day != SEED_PUBLISHED.date().isoformat():
        raise SeedFormatError(f"seed date {day} differs from SEED_PUBLISHED {SEED_PUBLISHED.date()}")
    blocks = []
    for block in (classify_block(chunk.strip()) for chunk in rest if chunk.strip()):
        if block.kind == "figure":
            image = f"/uploads/2025/09/18/{slugify(block.text, 8)}-{len(blocks) + 1:02d}.png"
            block = Block("figure", block.text, block.credit, image)
        blocks.append(block)
    return Story(
        id=SEED_ID,
        category=category,
        slug=slugify(title),
        title=title,
        lead=lead,
        author=SEED_AUTHOR,
        tags=SEED_TAGS,
        published=SEED_PUBLISHED,
        blocks=tuple(blocks),
        json_ld=True,
    )
