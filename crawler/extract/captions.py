"""Image captions: finding them (figcaption, the CMS caption classes), their images and credits, and replacing each
by a marker paragraph so that trafilatura leaves it where its image stands (`mark_captions`)."""

from __future__ import annotations

import copy
import re
from collections.abc import Iterable
from dataclasses import dataclass
from itertools import islice
from urllib.parse import urljoin, urlsplit

from lxml import etree, html

from archive.records import Caption
from crawler.extract.credits import (
    DANGLING_MARKER,
    bare_credit,
    credit_node,
    is_credit_node,
    split_credit,
    strip_caption_end,
)
from crawler.extract.dom import (
    IMAGE_FILE,
    Metas,
    class_names,
    link_texts,
    loose_form,
    one_line,
    page_elements,
    same_text,
    select,
    visible_text,
)

MAX_CAPTION_CHARS = 1500
CAPTION_MARK = "nacaptionmark"
MARK_PATTERN = re.compile(rf"{CAPTION_MARK}(\d+)x")
_CAPTION_CLASS = re.compile(
    r"(?:^|[-_])(?:fig)?caption(?:[-_]?text)?(?:$|[-_])|^(?:image|img|photo|pic|picture)[-_]?desc"
    r"|^legend$|(?:image|img|photo|pic|media|slide|figure)\w*[-_]?\w*desc",
    re.IGNORECASE,
)


_IMAGE_TAGS = {"img", "picture", "amp-img", "video", "svg", "source"}
_PHOTO_TAGS = {"img", "picture", "amp-img"}
_NOT_PHOTO_TAGS = {"video", "iframe", "audio", "embed", "object", "svg", "script", "noscript", "source"}
_IMAGE_URL_ATTRS = ("data-src", "data-original", "data-lazy-src", "data-srcset", "data-lazy", "srcset", "src")
_PLACEHOLDER_IMAGE = re.compile(r"^data:|blank\.|spacer\.|placeholder|1x1|pixel\.|grey\.gif|lazy\.", re.IGNORECASE)


def _may_be_caption(element: etree._Element) -> bool:
    """The cheap pre-selection before the exact test: a figcaption, a class holding "aption", "esc" or "legend", an
    itemprop caption, the description of an ImageObject."""
    names = element.get("class") or ""
    if "aption" in names or "APTION" in names or "esc" in names or "legend" in names or element.tag == "figcaption":
        return True
    itemprop = element.get("itemprop")
    return itemprop == "caption" or (itemprop == "description" and _describes_an_image(element))


def is_caption_element(element: etree._Element) -> bool:
    if element.tag == "figcaption" or element.get("itemprop") == "caption":
        return True
    # "text-caption" and the like are typography utility classes (Tailwind), not captions.
    return any(
        _CAPTION_CLASS.search(token) and not token.startswith("text-") for token in element.get("class", "").split()
    )


def _describes_an_image(element) -> bool:
    """The description of a schema.org ImageObject in microdata: its caption."""
    return element.get("itemprop") == "description" and any(
        "ImageObject" in (a.get("itemtype") or "") for a in element.iterancestors()
    )


def _image_url(holder, base_url: str) -> str | None:
    for image in holder.iter("img", "source", "amp-img"):
        for attr in _IMAGE_URL_ATTRS:
            value = (image.get(attr) or "").strip()
            if attr.endswith("srcset"):
                value = value.split(",")[0].strip().split(" ")[0]
            if value and not _PLACEHOLDER_IMAGE.search(value):
                return urljoin(base_url, value)
    lazy = next((url for e in holder.iter() if isinstance(e.tag, str) and (url := _lazy_image_url(e))), None)
    return urljoin(base_url, lazy) if lazy else None


_LAZY_IMAGE_ATTRS = ("data-src", "data-original", "data-lazy-src", "data-srcset", "data-lazy")


def _lazy_image_url(element) -> str | None:
    """The address of the image an element stands for until a script loads it: a data-* attribute (data-src,
    data-original, data-hi-res, data-bg, …) holding an image file's address."""
    for name, value in element.attrib.items():
        if name.startswith("data-") and IMAGE_FILE.search(value := value.strip().split(" ")[0]):
            return value
    return None


def _has_image(element) -> bool:
    """An image, a picture, a video or an element standing for a lazy image (data-src, data-original, …)."""
    for e in element.iter():
        if isinstance(e.tag, str) and (e.tag in _IMAGE_TAGS or any(e.get(a) for a in _LAZY_IMAGE_ATTRS)):
            return True
    return any(_lazy_image_url(e) for e in element.iter() if isinstance(e.tag, str))


def _shows_a_photo(element) -> bool:
    """A photo, not a video, an embedded player or an icon (custom image elements with a `src` count)."""
    for node in element.iter():
        if not isinstance(node.tag, str) or node.tag in _NOT_PHOTO_TAGS:
            continue
        if node.tag in _PHOTO_TAGS or node.get("src") or any(node.get(a) for a in _LAZY_IMAGE_ATTRS):
            return True
        if _lazy_image_url(node):
            return True
    return False


def _is_video_caption(element, holder) -> bool:
    names = " ".join(class_names(e) for e in (element, holder) if e is not None).lower()
    if "video" in names or "player" in names:
        return True
    box = holder if holder is not None else element.getparent()
    return box is not None and not _shows_a_photo(box)


def _image_holder(caption):
    """The element holding the caption and its image: the figure, or the closest ancestor with an image."""
    node = caption
    for _ in range(4):
        parent = node.getparent()
        if parent is None or parent.tag in ("body", "article", "main"):
            break
        node = parent
        if node.tag == "figure" or _has_image(node):
            return node
    previous = caption.getprevious()
    if previous is not None and _has_image(previous):
        return previous
    return None


@dataclass
class FoundCaption:
    """A caption of the page, its text as displayed, and the marker paragraph that took its place."""

    caption: Caption
    display: str
    marker: etree._Element


def _caption_parts(element, holder) -> tuple[str, str | None, str]:
    """(caption text, credit, caption as displayed); the credit from a credit element when there is one."""
    node = credit_node(element, holder)
    if node is None:
        display = _display_text(element)
        text, credit = split_credit(display)
        return text, credit, display
    node_text = _display_text(node)
    credit = bare_credit(node_text)
    display = _display_text(element)
    if element in node.iterancestors():
        clone = copy.deepcopy(element)
        for twin in clone.iterdescendants():
            if isinstance(twin.tag, str) and twin.tag == node.tag and _display_text(twin) == node_text:
                twin.drop_tree()
                break
        remainder = _display_text(clone)
    else:
        remainder = display
        display = f"{display} {credit}"
    text, marked = split_credit(remainder)
    if marked and loose_form(credit) in loose_form(marked):
        credit = marked
    elif marked and loose_form(marked) not in loose_form(credit):
        credit = f"{marked} {credit}"
    elif dangling := DANGLING_MARKER.search(text):
        text = strip_caption_end(text[: dangling.start()])
        credit = f"{dangling.group(1)} {credit}"
    return text, credit or None, display


# "Von Hannah Ritzmann, Redakteurin …", "By Jane Doe": an author's byline beside a portrait.
_BYLINE_CAPTION = re.compile(r"^(?:Von|By|Por|Par|Door|Af|Av|Di|Da|Bởi)\s+\w+\s+\w+.{0,100}$")
_NOT_A_CAPTION_BOX = re.compile(r"author|byline|avatar|autor|profile|writer|journalist|redakt", re.IGNORECASE)


def _caption_belongs_elsewhere(element, holder) -> bool:
    """Author portraits, bylines and teaser cards (a caption that is a link, or sits in one with a headline) carry
    caption markup but are not photo captions of the article."""
    top = holder if holder is not None else element
    ancestors = list(islice(element.iterancestors(), 4))
    nearby = [element, *ancestors[:3], top, *islice(top.iterancestors(), 2)]
    if any(_NOT_A_CAPTION_BOX.search(class_names(e)) for e in nearby):
        return True
    caption_text = one_line(element.text_content())
    if _BYLINE_CAPTION.match(caption_text):
        return True
    # A teaser card: the caption is a link to another page, or sits in a link together with a headline.
    link_text = sum(len(one_line(a.text_content())) for a in element.iter("a"))
    if caption_text and link_text >= 0.8 * len(caption_text):
        return True
    link = next((a for a in ancestors if a.tag == "a"), None)
    if link is not None and len(one_line(link.text_content())) > len(caption_text) + 20:
        return True
    # A pull quote's attribution: a caption beside a blockquote (or a figure holding one) and no photo.
    parent = element.getparent()
    if parent is None or _shows_a_photo(parent):
        return False
    return any(q.tag == "blockquote" or next(q.iter("blockquote"), None) is not None for q in parent.iterchildren())


MAX_ICON_PIXELS = 100
_HEADINGS = ("h1", "h2", "h3", "h4", "h5", "h6")


def _pixels(value: str | None) -> int | None:
    value = (value or "").strip().removesuffix("px")
    return int(value) if value.isdigit() else None


def _is_icon(image) -> bool:
    """An image the page sizes at most 100 pixels wide and high: an icon, a logo, an author's avatar."""
    sizes = [_pixels(image.get(a)) for a in ("width", "height")]
    return all(size is not None and 0 < size <= MAX_ICON_PIXELS for size in sizes)


def _host(url: str) -> str:
    return (urlsplit(url.strip()).hostname or "").removeprefix("www.")


def _promotes_another_site(element, image, page_host: str) -> bool:
    """The image and most of its caption are links to another host: an advertisement, a promotion of a partner's
    product or a video. (A photo that links to another host with only its credit points to its source.)"""
    link = next((a for a in [*image.iterancestors()][:4] if a.tag == "a"), None)
    if link is None or IMAGE_FILE.search(link.get("href") or ""):
        return False
    host = _host(link.get("href") or "")
    if not host or host == page_host:
        return False
    linked = sum(len(one_line(a.text_content())) for a in element.iter("a") if _host(a.get("href") or "") == host)
    return linked >= 0.5 * len(one_line(element.text_content()))


def _not_an_article_photo(element, holder, base_url: str) -> bool:
    """A caption of an icon, an avatar or a logo, of an image linking to another site, or a card with a linked
    headline of its own: not a photo of the article."""
    if any(next(h.iter("a"), None) is not None for h in element.iter(*_HEADINGS)):
        return True
    box = holder if holder is not None else element.getparent()
    images = list(box.iter("img", "amp-img")) if box is not None else []
    page_host = _host(base_url)
    return bool(images) and all(_is_icon(i) or _promotes_another_site(element, i, page_host) for i in images)


def mark_captions(
    tree: etree._Element, base_url: str, extra_selector: str | None = None, known_captions: Iterable[str] = ()
) -> list[FoundCaption]:
    """Replace each caption (with its image) by a marker paragraph; return the captions by marker number.

    `known_captions`: caption texts the page states elsewhere (JSON-LD, og:image:alt); an element right after an
    image that repeats one is that image's caption.
    """
    elements = [
        e for e in page_elements(tree) if _may_be_caption(e) and (is_caption_element(e) or _describes_an_image(e))
    ]
    metas = Metas(tree)
    holders = unmarked_captions(tree, elements, metas, known_captions)
    if extra_selector:
        elements += [e for e in select(tree, extra_selector) if not isinstance(e, str)]
    if extra_selector or holders:
        elements += [e for e in holders if e not in set(elements)]
        position = {element: n for n, element in enumerate(tree.iter())}
        elements.sort(key=lambda e: position.get(e, -1))
    # In document order an outer caption comes before the ones nested in it: keep the outermost only.
    chosen: list = []
    taken: set = set()
    for element in elements:
        if element not in taken and not any(a in taken for a in element.iterancestors()):
            chosen.append(element)
            taken.add(element)
    found: list[FoundCaption] = []
    headlines_of_links = link_texts(tree)
    site_names = {loose_form(name) for name in metas.contents(*_SITE_NAME_META)}
    for element in chosen:
        holder = holders.get(element)
        if holder is None:
            holder = _image_holder(element)
            parent = element.getparent()
            if holder is None and element.tag != "figcaption" and parent is not None and parent.tag != "figure":
                continue
        if (
            _caption_belongs_elsewhere(element, holder)
            or _is_video_caption(element, holder)
            or _not_an_article_photo(element, holder, base_url)
        ):
            continue
        text, credit, display = _caption_parts(element, holder)
        if loose_form(text) in headlines_of_links:
            continue  # a teaser card: its title is the text of a link to the other page too
        words = text.split()
        credit_only = text.startswith("(") and text.endswith(")")
        if not words or credit_only or len(text) > MAX_CAPTION_CHARS or (len(words) == 1 and text.isascii()):
            continue
        box = holder if holder is not None else element.getparent()
        image_url = _image_url(box, base_url)
        if _repeats_a_caption(text, box, image_url, found):
            element.drop_tree()  # a copy for a lightbox, a slide show or another screen size
            continue
        credit = credit or _credit_in_image_attributes(box, text, site_names)
        marker = html.Element("p")
        marker.text = f"{CAPTION_MARK}{len(found)}x {display}"
        holder_fits = holder is not None and len(one_line(holder.text_content())) <= len(display) + 40
        target = holder if holder_fits else element
        if target.getparent() is None:
            continue
        marker.tail = target.tail
        target.getparent().replace(target, marker)
        if element.getparent() is not None and target not in element.iterancestors() and target is not element:
            element.drop_tree()  # a caption beside its image, the image's block replaced: the caption goes too
        found.append(FoundCaption(Caption(text=text, credit=credit, image_url=image_url), display, marker))
    return found


def _repeats_a_caption(text: str, box, image_url: str | None, found: list[FoundCaption]) -> bool:
    """The text of a caption already found, of the same photo: its marker stands in `box`, or its image is the
    same file (sizes asked in the query aside)."""
    own, image_file = loose_form(text), _image_file(image_url)
    return any(
        loose_form(f.caption.text) == own
        and (
            (box is not None and box in f.marker.iterancestors())
            or (image_file and _image_file(f.caption.image_url) == image_file)
        )
        for f in found
    )


def _image_file(url: str | None) -> str:
    return urlsplit(url).path if url else ""


_NOT_CAPTION_CONTENT = ("h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "table", "blockquote", "iframe", "video")
_SIBLING_CAPTION_TAGS = frozenset({"p", "div", "span", "small", "em", "i", "cite", "font"})
_SMALL_TYPE_TAGS = frozenset({"small", "em", "i", "cite"})
_HEADLINE_META = ("og:title", "twitter:title", "og:description", "twitter:description", "description")
MAX_UNMARKED_CAPTION_WORDS = 60


def unmarked_captions(
    tree: etree._Element, marked: list[etree._Element], metas: Metas, known_captions: Iterable[str] = ()
) -> dict[etree._Element, etree._Element]:
    """Captions without caption markup, each with the element holding its image: the element right after an image
    (or a figure without a caption of its own) that reads as its caption: set in small or italic type, ending in a
    photo credit, or repeating the image's alt text or title or a caption the page states elsewhere."""
    marked_set = set(marked)
    found: dict[etree._Element, etree._Element] = {}
    # The headline and the page's description are no evidence of a caption: an image's alt text often repeats them.
    headlines = {loose_form(t) for t in metas.contents(*_HEADLINE_META)}
    headlines |= {loose_form(h.text_content()) for h in tree.iter("h1")}
    known = {loose_form(k) for k in known_captions if len(k) >= 15} - headlines
    for image in tree.iter("img", "picture", "amp-img"):
        block = _image_block(image)
        if block is None:
            continue
        after = block.getnext()
        while after is not None and after.tag == "br" and not (after.tail or "").strip():
            after = after.getnext()
        if after is None or after in marked_set or after in found or not _short_caption_text(after):
            continue
        if (block.tail or "").strip() or (
            block is image and not same_text(block.getparent().text_content(), after.text_content())
        ):
            continue  # an image in running text: what follows it is the text, not a caption
        if after.tag not in _SIBLING_CAPTION_TAGS or _in_teaser(block) or loose_form(after.text_content()) in headlines:
            continue
        if _reads_as_caption(after, image, known, headlines):
            found[after] = block
    blocks = set(found.values())
    for figure in tree.iter("figure"):
        if figure in blocks or (caption := _figure_text(figure, marked_set)) is None:
            continue
        image = next(figure.iter(*_PHOTO_TAGS))
        if _reads_as_caption(caption, image, known, headlines):
            found[caption] = figure
    for table in tree.iter("table"):
        if table not in blocks and (caption := _table_caption(table, marked_set)) is not None:
            found[caption] = table
    return found


def _figure_text(figure, marked: set):
    """The text that may be the caption of a figure without a caption element: its one block of short text beside
    the photo (a credit beside it aside). A figure with more text (a label and a headline: a teaser) has none."""
    if any(e in marked for e in figure.iter()) or next(figure.iter(*_PHOTO_TAGS), None) is None or _in_teaser(figure):
        return None
    texts = [e for e in figure.iterdescendants() if _text_beside_image(e) and not is_credit_node(e)]
    if len(texts) != 1 or not _short_caption_text(texts[0]):
        return None
    return texts[0]


def _text_beside_image(element) -> bool:
    """An element with text and no image whose parent holds the image: a block of text beside it."""
    if not isinstance(element.tag, str) or element.tag in ("a", "button", "script", "style", "noscript"):
        return False
    parent = element.getparent()
    return bool(one_line(element.text_content())) and not _has_image(element) and _has_image(parent)


MAX_PHOTO_TABLE_ROWS = 3


def _table_caption(table, marked: set):
    """A photo laid out in a table (the image in one cell, the caption in the cell below): the text cell."""
    rows = [r for r in table.iter("tr") if next(r.iterancestors("table"), None) is table]
    if not 2 <= len(rows) <= MAX_PHOTO_TABLE_ROWS or any(e in marked for e in table.iter()):
        return None
    photos = list(table.iter(*_PHOTO_TAGS))
    if len(photos) != 1 or _in_teaser(table):
        return None
    cells = [c for row in rows for c in row if isinstance(c.tag, str) and c.tag in ("td", "th")]
    texts = [c for c in cells if one_line(c.text_content()) and not _has_image(c)]
    if len(texts) != 1 or not _short_caption_text(texts[0]):
        return None
    children = [c for c in texts[0] if isinstance(c.tag, str)]
    if len(children) == 1 and same_text(children[0].text_content(), texts[0].text_content()):
        return children[0]  # the caption's own element (a paragraph) inside the cell
    return texts[0]


def _in_teaser(block) -> bool:
    """An image in a list item or in a link to another page (not to the image file): a teaser, not a photo."""
    for ancestor in [block, *block.iterancestors()][:6]:
        if ancestor.tag == "li" or (ancestor.tag == "a" and not IMAGE_FILE.search(ancestor.get("href") or "")):
            return True
    return False


def _image_block(image):
    """The image with the wrappers around it that hold nothing else (a link, a picture, a lazy-loading box, a
    figure without text); None for an image inside a figure that has text of its own (the figure's caption rules
    apply)."""
    block = image
    for _ in range(4):
        parent = block.getparent()
        if parent is None or parent.tag in ("body", "article", "main") or one_line(parent.text_content()):
            break
        block = parent
        if block.tag == "figure":
            return block
    return None if any(a.tag == "figure" for a in block.iterancestors()) else block


def _short_caption_text(element) -> bool:
    if not isinstance(element.tag, str) or any(True for _ in element.iter(*_NOT_CAPTION_CONTENT)):
        return False
    words = [w for w in one_line(element.text_content()).split() if any(ch.isalpha() for ch in w)]
    return 2 <= len(words) <= MAX_UNMARKED_CAPTION_WORDS and not _has_image(element)


def _reads_as_caption(element, image, known: set[str], headlines: set[str]) -> bool:
    text = one_line(element.text_content())
    if element.tag in _SMALL_TYPE_TAGS:
        return True
    children = [c for c in element if isinstance(c.tag, str)]
    if len(children) == 1 and children[0].tag in _SMALL_TYPE_TAGS and same_text(children[0].text_content(), text):
        return True
    img = image if image.tag != "picture" else next(image.iter("img"), image)
    own = loose_form(text)
    if own and own in {loose_form(img.get(a) or "") for a in ("alt", "title")} - headlines:
        return True  # the image's own alt text or title, however short
    said = known | {loose_form(img.get(a) or "") for a in ("alt", "title") if len(img.get(a) or "") >= 15} - headlines
    if any(own.startswith(k) or (len(own) >= 15 and k.startswith(own)) for k in said if k):
        return True
    return split_credit(text)[1] is not None and len(text.split()) <= 40


_ATTRIBUTE_CREDIT_SEPARATOR = re.compile(r"^\W*?[|/–—-]\s*|^\s*(?=©)")


_SITE_NAME_META = ("og:site_name", "application-name", "apple-mobile-web-app-title")


def _credit_in_image_attributes(box, caption: str, site_names: set[str]) -> str | None:
    """The credit an image's title or alt text adds after the caption ("<caption> | Getty Images/Jane Roe"); the
    site's own name added to every alt text is its signature, not a credit."""
    if box is None:
        return None
    image = next(box.iter("img"), None)
    for value in (image.get("title"), image.get("alt")) if image is not None else ():
        value = one_line(value or "")
        if not value.casefold().startswith(caption.casefold()) or len(value) <= len(caption):
            continue
        rest = value[len(caption) :]
        if (separator := _ATTRIBUTE_CREDIT_SEPARATOR.match(rest)) and 0 < len(rest) - separator.end() <= 80:
            credit = bare_credit(rest[separator.end() :])
            return None if loose_form(credit) in site_names else credit
    return None


def _display_text(element) -> str:
    """The caption as the reader sees it, credit included ("… Ảnh: Thành Duy"); icons and buttons left out."""
    return one_line(" ".join(visible_text(element)))
