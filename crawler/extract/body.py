"""The article body: trafilatura's run and the tree it reads, its paragraphs with the caption markers resolved,
the dropped captions taken back when they stand inside the article, and the headline and lead blocks left out."""

from __future__ import annotations

import copy
import re
from bisect import bisect_right
from collections import defaultdict
from collections.abc import Iterable, Iterator
from itertools import accumulate

import trafilatura
from lxml import etree, html
from trafilatura.settings import Document

from archive.records import NotAnArticle
from crawler.extract.captions import CAPTION_MARK, MARK_PATTERN, FoundCaption, mark_captions
from crawler.extract.dom import class_names, link_texts, loose_form, one_line, select
from crawler.sites import SiteProfile


def _block_text(element) -> str:
    parts = [element.text or ""]
    for child in element:
        parts.append(" " if child.tag == "lb" else "")
        parts.append(_block_text(child))
        parts.append(child.tail or "")
    return "".join(parts)


def _blocks(body) -> Iterator[str]:
    """Paragraph-level texts of trafilatura's XML body in reading order (loose text between blocks included)."""
    if body.text:
        yield body.text
    for child in body:
        if child.tag == "list":
            for item in child.iterchildren("item"):
                yield _block_text(item)
        elif child.tag == "table":
            for row in child.iter("row"):
                yield " | ".join(one_line(_block_text(cell)) for cell in row.iter("cell"))
        elif child.tag == "quote" and len(child) and all(c.tag == "p" for c in child):
            for paragraph in child:
                yield _block_text(paragraph)
        else:
            yield _block_text(child)
        if child.tail:
            yield child.tail


def body_paragraphs(body: etree._Element, captions: list[FoundCaption]) -> list[tuple[str, int | None]]:
    """(paragraph, caption number or None) in reading order, each marker replaced by its caption."""
    paragraphs: list[tuple[str, int | None]] = []
    for block in _blocks(body):
        position = 0
        for match in MARK_PATTERN.finditer(block):
            index = int(match.group(1))
            paragraphs.append((block[position : match.start()], None))
            position = match.end()
            if index < len(captions):
                # The marker paragraph also carries the caption's own text after the marker: skip it.
                rest = block[position:].lstrip()
                display = captions[index].display
                if rest.startswith(display):
                    position = len(block) - len(rest) + len(display)
                paragraphs.append((display, index))
        paragraphs.append((block[position:], None))
    return [(text, index) for text, index in ((one_line(t), i) for t, i in paragraphs) if text]


# Words of class/id names that mark a box beside the article (related news, recommendations, comments, ads).
_OUTSIDE_ARTICLE_WORDS = frozenset(
    {
        "related", "recommended", "recommendation", "recommendations", "sidebar", "aside", "footer", "comments",
        "comment", "newsletter", "promo", "promotion", "outbrain", "taboola", "popular", "trending", "mostread",
        "most-read", "readmore", "read-more", "morenews", "more-news", "lienquan", "tinlienquan", "box-related",
    }
)  # fmt: skip
_NAME_PARTS = re.compile(r"[\s_]+|(?<=[a-z])-(?=[a-z])")
_TEXT_TAGS = ("p", "h2", "h3", "h4", "h5", "h6", "li", "blockquote", "td", "div", "span", "pre")
_ANCHOR_LENGTH = 40


def _outside_article(element) -> bool:
    """True when an ancestor up to the article container is an aside, a nav or a box of related content."""
    for ancestor in element.iterancestors():
        if ancestor.tag in ("article", "main", "body"):
            return False
        if ancestor.tag in ("aside", "nav", "footer"):
            return True
        names = class_names(ancestor).lower()
        if any(part in _OUTSIDE_ARTICLE_WORDS for part in [*names.split(), *_NAME_PARTS.split(names)]):
            return True
    return False


def recover_captions(
    work: etree._Element, paragraphs: list[tuple[str, int | None]], captions: list[FoundCaption]
) -> list[tuple[str, int | None]]:
    """Add the captions trafilatura left out that stand inside the article: after the headline, before the end
    of the body text, and not in an aside, a related-news box or the comments. Each goes where its image stands
    (a lead photo above the text, a gallery inside it)."""
    kept = {index for _, index in paragraphs if index is not None}
    dropped = [i for i in range(len(captions)) if i not in kept]
    if not dropped or not paragraphs:
        return paragraphs
    order = {element: n for n, element in enumerate(work.iter())}
    first_position: dict[str, int] = {}
    for element in work.iter(*_TEXT_TAGS):
        key = one_line(element.text_content()[: _ANCHOR_LENGTH * 4])[:_ANCHOR_LENGTH]
        if len(key) >= 20:
            first_position.setdefault(key, order[element])
    positions: list[int | None] = [
        order.get(captions[index].marker) if index is not None else first_position.get(text[:_ANCHOR_LENGTH])
        for text, index in paragraphs
    ]
    known = [p for p in positions if p is not None]
    if not known:
        return paragraphs
    headline = next(work.iter("h1"), None)
    # the article begins at its container when the headline has one (a lead photo may stand above the headline)
    opening = next(headline.iterancestors("article"), headline) if headline is not None else None
    start = order[opening] if opening is not None else min(known)
    end = max(known)
    # Where each paragraph stands in the document, made non-decreasing so that it can be bisected.
    reach = list(accumulate((-1 if p is None else p for p in positions), max))
    inserts: dict[int, list[tuple[str, int]]] = defaultdict(list)
    for index in dropped:
        position = order.get(captions[index].marker)
        if position is None or not start <= position <= end or _outside_article(captions[index].marker):
            continue
        inserts[bisect_right(reach, position)].append((captions[index].display, index))
    result: list[tuple[str, int | None]] = []
    for at, paragraph in enumerate(paragraphs):
        result.extend(inserts.get(at, ()))
        result.append(paragraph)
    result.extend(inserts.get(len(paragraphs), ()))
    return result


# Words of class/id names of boxes inside the article that are not its text: newsletter and subscription forms,
# share and social bars, author bios, pop-ups.
_BOILERPLATE_WORDS = frozenset(
    {"newsletter", "subscribe", "subscription", "signup", "share", "sharing", "social", "bio", "biography", "popup",
     "modal", "paywall"}
)  # fmt: skip
_CAMEL_CASE = re.compile(r"(?<=[a-z])(?=[A-Z])")
_NAME_WORDS = re.compile(r"[^a-z]+")
_BOILERPLATE_SUBSTRING = re.compile("|".join(sorted(_BOILERPLATE_WORDS)))
_NAMED_ELEMENTS = etree.XPath("descendant-or-self::*[@class or @id]")
MAX_BOILERPLATE_CHARS = 1500
MAX_BOILERPLATE_SHARE = 0.15


def drop_boilerplate_boxes(work: etree._Element) -> None:
    """Remove the boxes whose class or id names them as boilerplate (`_BOILERPLATE_WORDS`, whole words: "share-bar",
    "authorBio", "newsletter-form"), unless they hold a caption marker, a headline, or more text than such a box
    has (1,500 characters, or 15 % of the page's paragraphs: a short article in a box named "share")."""
    doomed = []
    for element in _NAMED_ELEMENTS(work):
        names = class_names(element)
        # Each whole word is also a substring of the lowered names: most elements end at this cheap test.
        if not _BOILERPLATE_SUBSTRING.search(names.lower()) or element.tag in ("html", "body", "article", "main"):
            continue
        words = set(_NAME_WORDS.split(_CAMEL_CASE.sub(" ", names).lower()))
        if words & _BOILERPLATE_WORDS and not any(a in doomed for a in element.iterancestors()):
            doomed.append(element)
    if not doomed:
        return
    paragraph_chars = sum(len(p.text_content()) for p in work.iter("p"))
    for element in doomed:
        text = element.text_content()
        if len(text) > MAX_BOILERPLATE_CHARS or CAPTION_MARK in text or next(element.iter("h1"), None) is not None:
            continue
        if sum(len(p.text_content()) for p in element.iter("p")) > MAX_BOILERPLATE_SHARE * paragraph_chars:
            continue
        if element.getparent() is not None:
            element.drop_tree()


def drop_header_blocks(paragraphs: list[tuple[str, int | None]], title: str, lead: str) -> list[tuple[str, int | None]]:
    """trafilatura often starts with the headline and the lead: they have fields of their own."""
    header = {one_line(text).casefold() for text in (title, lead) if text}  # what `same_text` compares
    head = [(t, i) for t, i in paragraphs[:4] if i is not None or not (t and one_line(t).casefold() in header)]
    return head + paragraphs[4:]


def run_trafilatura(tree: etree._Element, url: str) -> Document | None:
    return trafilatura.bare_extraction(
        tree,
        url=url,
        include_comments=False,
        include_tables=True,
        include_images=False,
        include_formatting=False,
        include_links=False,
        deduplicate=False,
        with_metadata=False,
        output_format="python",
    )


def body_tree(tree: etree._Element, profile: SiteProfile) -> etree._Element:
    """The tree trafilatura should read: the whole page, or only what the profile's body selector matches."""
    selector = profile.selectors.get("body")
    if not selector:
        return tree
    matched = [n for n in select(tree, selector) if not isinstance(n, str)]
    if not matched:
        return tree
    document = html.Element("html")
    body = etree.SubElement(document, "body")
    for node in matched:
        node.tail = None
        body.append(node)
    return document


def main_text(
    tree: etree._Element, url: str, profile: SiteProfile, known_captions: Iterable[str] = ()
) -> tuple[etree._Element, list[FoundCaption], etree._Element]:
    """(the marked copy of the page, its captions by marker number, trafilatura's XML body).

    The captions are marked on a copy, so that the page itself stays as it was for the metadata;
    `known_captions` are the caption texts the page states outside its visible text (JSON-LD, og:image:alt).
    """
    work = copy.deepcopy(tree)
    found = mark_captions(work, url, profile.selectors.get("captions"), known_captions)
    drop_boilerplate_boxes(work)
    document = run_trafilatura(body_tree(work, profile), url)
    if document is None or document.body is None:
        raise NotAnArticle("no article text found")
    return work, found, document.body


def article_paragraphs(
    work: etree._Element,
    body: etree._Element,
    captions: list[FoundCaption],
    profile: SiteProfile,
    title: str,
    printed_lead: str,
) -> list[tuple[str, int | None]]:
    """(paragraph, caption number or None) of the article: the body, captions taken back (unless the profile picks
    the body), without the headline and the printed lead."""
    numbered = body_paragraphs(body, captions)
    if not profile.selectors.get("body"):
        numbered = recover_captions(work, numbered, captions)
        numbered = drop_link_headlines(work, numbered)
    return drop_header_blocks(numbered, title, printed_lead)


def drop_link_headlines(work: etree._Element, paragraphs: list[tuple[str, int | None]]) -> list[tuple[str, int | None]]:
    """Leave out the paragraphs that are wholly the text of a link to another page: the headlines of related
    stories, "read more" teasers, calls to follow or subscribe elsewhere, not the article's own text."""
    headlines = link_texts(work)
    openings = {headline[:_OPENING_CHARS] for headline in headlines}
    return [
        (text, index) for text, index in paragraphs if index is not None or not _is_headline(text, headlines, openings)
    ]


_OPENING_CHARS = 8  # of the loose form


def _is_headline(text: str, headlines: set[str], openings: set[str]) -> bool:
    """`loose_form(text) in headlines`, most paragraphs settled by their first characters: the loose form is made
    character by character, so that of the text's first 40 characters opens that of the whole text."""
    opening = loose_form(text[:40])[:_OPENING_CHARS]
    if len(opening) == _OPENING_CHARS and opening not in openings:
        return False
    return loose_form(text) in headlines
