"""Small helpers on the lxml tree: parsing, CSS/XPath selectors, the text of a node, visible text, class names, meta
tags, the elements after a node, and the loose comparison of short texts."""

from __future__ import annotations

import re
from collections.abc import Iterator

from lxml import etree, html
from trafilatura.utils import is_dubious_html, repair_faulty_html

from archive.text import normalize_line, normalize_text
from crawler.sites import SiteProfile, compile_selector


def _html_parser() -> html.HTMLParser:
    """trafilatura's HTML parser (its options, lxml.html's element classes) with the element classes looked up in C:
    lxml.html's own lookup is a Python call for every element object made, by our steps and trafilatura's alike."""
    lookup = etree.ElementNamespaceClassLookup(
        etree.ElementDefaultClassLookup(
            element=html.HtmlElement,
            comment=html.HtmlComment,
            pi=html.HtmlProcessingInstruction,
            entity=html.HtmlEntity,
        )
    )
    by_tag = lookup.get_namespace(None)
    for tag, element_class in html.HtmlElementClassLookup._default_element_classes.items():  # form, input, label, …
        by_tag[tag] = element_class
    parser = html.HTMLParser(
        collect_ids=False, default_doctype=False, encoding="utf-8", remove_comments=True, remove_pis=True
    )
    parser.set_element_class_lookup(lookup)
    return parser


_HTML_PARSER = _html_parser()


def _fromstring(source: str | bytes) -> html.HtmlElement | None:
    try:
        return html.fromstring(source, parser=_HTML_PARSER)
    except Exception:  # as trafilatura: "Unicode strings with encoding declaration are not supported", …
        return None


def parse_html(text: str) -> html.HtmlElement | None:
    """The tree of an HTML page as `trafilatura.utils.load_html` makes it of a text (its repairs, its retry on the
    bytes, its rejection of what is not HTML), built by `_HTML_PARSER`; None when it is not HTML."""
    beginning = text[:50].lower()
    text = repair_faulty_html(text, beginning)
    tree = _fromstring(text)
    if tree is None or len(tree) < 1:
        tree = _fromstring(text.encode("utf8", "surrogatepass"))
    return None if tree is not None and is_dubious_html(beginning) and len(tree) < 2 else tree


def select(tree: etree._Element, selector: str) -> list:
    """Elements (or strings, for XPath text/attribute selections) matching a CSS or XPath selector."""
    result = compile_selector(selector)(tree)
    return result if isinstance(result, list) else [result]


def text_of(node: etree._Element | str) -> str:
    if isinstance(node, str):
        return normalize_text(node)
    return normalize_text(" ".join(node.itertext()))


def selected_texts(tree: etree._Element, profile: SiteProfile, field_name: str) -> list[str]:
    selector = profile.selectors.get(field_name)
    if not selector:
        return []
    return [t for t in (text_of(n) for n in select(tree, selector)) if t]


def one_line(s: str) -> str:
    return normalize_line(s)


def class_names(element: etree._Element) -> str:
    return f"{element.get('class', '')} {element.get('id', '')}"


def iter_after(anchor: etree._Element, limit: int) -> Iterator[etree._Element]:
    """Elements following `anchor` in document order (its own subtree excluded), at most `limit` of them."""
    count = 0
    for element in anchor.itersiblings():
        for node in element.iter():
            if isinstance(node.tag, str):
                yield node
                count += 1
                if count >= limit:
                    return
    parent = anchor.getparent()
    if parent is not None and count < limit:
        yield from iter_after(parent, limit - count)


_NOT_WORD = re.compile(r"\W+")


def loose_form(s: str) -> str:
    return _NOT_WORD.sub("", s.casefold())


_INVISIBLE_TAGS = frozenset({"svg", "button", "script", "style", "noscript", "template"})


_SCREEN_READER_ONLY = re.compile(r"off-?screen|visually-?hidden|sr-only|screen-?reader", re.IGNORECASE)


def visible_text(element: etree._Element) -> Iterator[str]:
    if element.text and element.tag not in _INVISIBLE_TAGS:
        yield element.text
    for child in element:
        visible = isinstance(child.tag, str) and child.tag not in _INVISIBLE_TAGS
        if visible and not _SCREEN_READER_ONLY.search(child.get("class", "")):
            yield from visible_text(child)
        if child.tail:
            yield child.tail


def same_text(a: str, b: str) -> bool:
    return bool(a) and bool(b) and one_line(a).casefold() == one_line(b).casefold()


_META_NAMES = ("property", "name", "itemprop")
_METAS_WITH_CONTENT = etree.XPath("descendant::meta[@content]")


class Metas:
    """The `<meta>` tags of a page that have content, read once for every lookup: each tag's property, name and
    itemprop (stripped, lower case) and its content, in page order."""

    def __init__(self, tree: etree._Element) -> None:
        self._tags = [
            ({(meta.get(name) or "").strip().lower() for name in _META_NAMES}, meta.get("content"))
            for meta in _METAS_WITH_CONTENT(tree)
        ]

    def contents(self, *keys: str) -> list[str]:
        """The contents (on one line) of the tags whose property, name or itemprop is one of `keys` (any case), in
        order."""
        wanted = {k.lower() for k in keys}
        return [line for names, content in self._tags if not wanted.isdisjoint(names) and (line := one_line(content))]


def page_elements(tree: etree._Element) -> Iterator[etree._Element]:
    """Every element of the page that holds `tree`, in document order: what XPath `//*` selects, for the tests an
    XPath would do slowly (`contains(@class, …)` costs more than the same test in Python)."""
    return tree.getroottree().iter(etree.Element)


IMAGE_FILE = re.compile(r"\.(?:jpe?g|png|webp|gif|avif)(?:$|\?)", re.IGNORECASE)
MIN_LINK_HEADLINE_CHARS = 20


# string-length() counts characters as len() does: the short links are left out before Python sees them.
_LONG_LINKS = etree.XPath(f"descendant-or-self::a[string-length(.) >= {MIN_LINK_HEADLINE_CHARS}]")


def link_texts(tree: etree._Element) -> set[str]:
    """The texts (loose form) of the page's links to other pages, long enough to be headlines."""
    texts = set()
    for link in _LONG_LINKS(tree):
        href = link.get("href") or ""
        if not href.startswith(("#", "javascript:")) and not IMAGE_FILE.search(href):
            texts.add(loose_form(link.text_content()))
    return texts - {""}
