"""Article extraction: HTML bytes + URL (+ site profile) → `Article`, or `NotAnArticle` with the reason.

trafilatura finds the main text. Before it runs, every image caption of the page (figcaption and the CMS caption
classes) is replaced by a paragraph holding a unique marker, so the captions come out of trafilatura in the place
where their image stands. Captions it drops are taken back only when they stand inside the article (after the
headline, before the end of the text, not in an aside or a related-news box): a lead photo, a gallery. Credits
are split off the captions ("Ảnh: …", "(AAP)"). Metadata comes from the site profile's selectors first, then
JSON-LD, meta tags and the visible header; dates from `crawler.dates`; text in the normal form of `archive.text`.

Pure: no Scrapy; meant to run in a process pool. Bad input raises `NotAnArticle` with its reason, and a page
gets a size cap, an element cap and a time budget.
"""

from __future__ import annotations

import codecs
import copy
import json
import re
import signal
import threading
from bisect import bisect_right
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from itertools import accumulate
from urllib.parse import urljoin, urlsplit

import charset_normalizer
import trafilatura
from cssselect import GenericTranslator, SelectorError
from dateparser.data.languages_info import language_order
from lxml import etree, html
from trafilatura.metadata import extract_metadata
from w3lib.encoding import html_body_declared_encoding, read_bom, resolve_encoding

from archive.records import Article, Caption, NotAnArticle
from archive.text import content_hash, normalize_text
from crawler.dates import DateSettings, find_dates, guess_timezone
from crawler.sites import SiteProfile

MAX_INPUT_BYTES = 8 * 1024 * 1024
MAX_ELEMENTS = 60_000
TIME_BUDGET_SECONDS = 20.0
MIN_TEXT_CHARS = 120
# Pages that call themselves something else (og:type website, video.other) need real text to count as articles.
MIN_TEXT_CHARS_OTHER_TYPE = 500
MAX_LEAD_CHARS = 1200
MAX_CAPTION_CHARS = 1500

DATEPARSER_LANGUAGES = frozenset(language_order)
DEFAULT_PROFILE = SiteProfile(timezone="")  # no zone: guessed per page


class ExtractionTimeout(BaseException):
    """Raised inside extraction when the per-page time budget is spent.

    A BaseException, so that the `except Exception` blocks trafilatura wraps around its slow parts (readability,
    justext, the recall pass) cannot swallow it and let the page run on without a limit.
    """


@contextmanager
def time_budget(seconds: float) -> Iterator[None]:
    """Interrupt the block with `ExtractionTimeout` after `seconds` (main thread on Unix; else no limit)."""
    usable = seconds > 0 and hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()
    if not usable:
        yield
        return

    def on_alarm(signum, frame):
        raise ExtractionTimeout

    previous = signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


# ---------------------------------------------------------------------------------------------------------------
# Decoding

_BINARY_SIGNATURES = (b"\x1f\x8b", b"%PDF", b"PK\x03\x04", b"\x89PNG", b"GIF8", b"\xff\xd8\xff", b"RIFF")
_SINGLE_BYTE_WESTERN = frozenset({"cp1252", "iso8859-1", "iso8859-15"})
_VIETNAMESE_PAGE = re.compile(rb"""lang\s*=\s*["']?vi\b|content-language["']?\s+content\s*=\s*["']?vi\b""", re.I)


def _codec(name: str | None) -> str | None:
    if not name:
        return None
    resolved = resolve_encoding(name)
    if not resolved:
        return None
    try:
        return codecs.lookup(resolved).name
    except LookupError:
        return None


def decode_html(body: bytes, declared: str | None = None) -> str:
    """Decode an HTML body: BOM, then the HTTP charset, then the page's own `<meta charset>`, strictly.

    Bytes that do not fit their label are decoded by what they are: valid UTF-8 labelled latin-1 as UTF-8,
    latin-1 (or windows-1258 on a Vietnamese page) labelled UTF-8 as such, anything else as detected; when
    nothing decodes, `NotAnArticle` says so.
    """
    head = body[:4096].lstrip()
    if not head:
        raise NotAnArticle("empty page")
    bom_encoding, bom = read_bom(body)
    if bom_encoding:
        try:
            return body[len(bom) :].decode(_codec(bom_encoding) or bom_encoding)
        except (UnicodeDecodeError, LookupError) as exc:
            raise NotAnArticle(f"undecodable page: byte order mark says {bom_encoding} but {exc}") from exc
    if head.startswith(_BINARY_SIGNATURES) or b"\x00" in head:
        raise NotAnArticle("binary content, not HTML")
    tried = []
    for name in (declared, html_body_declared_encoding(body[:8192]), "utf-8"):
        codec = _codec(name)
        if codec is None or codec in tried:
            continue
        tried.append(codec)
        if codec in _SINGLE_BYTE_WESTERN and not body.isascii():
            # Non-ASCII bytes that form valid UTF-8 are UTF-8 whatever the label says: in latin-1 such byte
            # pairs ("Ã¼") are mojibake, never text.
            try:
                return body.decode("utf-8")
            except UnicodeDecodeError:
                pass
        try:
            return body.decode(codec)
        except UnicodeDecodeError:
            continue
    # Mislabelled legacy pages: Vietnamese ones are windows-1258, most others windows-1252 (latin-1's superset).
    legacy = "cp1258" if _VIETNAMESE_PAGE.search(body[:8192]) else "cp1252"
    try:
        return body.decode(legacy)
    except UnicodeDecodeError:
        pass
    guess = charset_normalizer.from_bytes(body[:MAX_INPUT_BYTES]).best()
    if guess is None:
        raise NotAnArticle(f"undecodable page: not valid {', '.join(tried)} and no charset detected")
    return str(guess)


# ---------------------------------------------------------------------------------------------------------------
# Selectors and small tree helpers


@lru_cache(maxsize=256)
def _compile_selector(selector: str) -> etree.XPath:
    """A CSS or XPath selector (XPath when it starts with `/` or `(`) compiled to XPath."""
    try:
        is_xpath = selector.lstrip().startswith(("/", "("))
        return etree.XPath(selector if is_xpath else GenericTranslator().css_to_xpath(selector))
    except (SelectorError, etree.XPathSyntaxError) as exc:
        raise ValueError(f"invalid selector {selector!r}: {exc}") from exc


def select(tree, selector: str) -> list:
    """Elements (or strings, for XPath text/attribute selections) matching a CSS or XPath selector."""
    result = _compile_selector(selector)(tree)
    return result if isinstance(result, list) else [result]


def _text_of(node) -> str:
    if isinstance(node, str):
        return normalize_text(node)
    return normalize_text(" ".join(node.itertext()))


def _selected_texts(tree, profile: SiteProfile, field_name: str) -> list[str]:
    selector = profile.selectors.get(field_name)
    if not selector:
        return []
    return [t for t in (_text_of(n) for n in select(tree, selector)) if t]


def _one_line(s: str) -> str:
    return " ".join(normalize_text(s).split())


def _classes(element) -> str:
    return f"{element.get('class', '')} {element.get('id', '')}"


def _iter_after(anchor, limit: int) -> Iterator:
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
        yield from _iter_after(parent, limit - count)


# ---------------------------------------------------------------------------------------------------------------
# JSON-LD

_ARTICLE_TYPES = re.compile(r"Article|BlogPosting|Report|NewsArticle|LiveBlogPosting", re.IGNORECASE)


def _jsonld_objects(tree) -> list[dict]:
    objects: list[dict] = []

    def walk(value) -> None:
        if isinstance(value, list):
            for item in value:
                walk(item)
        elif isinstance(value, dict):
            objects.append(value)
            walk(value.get("@graph", []))

    for script in tree.xpath("//script[@type='application/ld+json']"):
        try:
            walk(json.loads(script.text or "", strict=False))
        except (json.JSONDecodeError, RecursionError):
            continue
    return objects


def _types(obj: dict) -> list[str]:
    kind = obj.get("@type", [])
    if isinstance(kind, str):
        return [kind]
    return [k for k in kind if isinstance(k, str)] if isinstance(kind, list) else []


def _jsonld_articles(objects: list[dict]) -> list[dict]:
    return [o for o in objects if any(_ARTICLE_TYPES.search(t) for t in _types(o))]


def _names(value) -> list[str]:
    """Names out of a JSON-LD person/organization value (string, object or list of them)."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [value["name"]] if isinstance(value.get("name"), str) else []
    if isinstance(value, list):
        return [name for item in value for name in _names(item)]
    return []


# ---------------------------------------------------------------------------------------------------------------
# Captions

CAPTION_MARK = "nacaptionmark"
_MARK_PATTERN = re.compile(rf"{CAPTION_MARK}(\d+)x")
_CAPTION_CLASS = re.compile(
    r"(?:^|[-_])(?:fig)?caption(?:[-_]?text)?(?:$|[-_])|^(?:image|img|photo|pic|picture)[-_]?desc"
    r"|^PhotoCMS_Caption$|^fig-caption$|^legend$|(?:image|img|photo|pic|media|slide|figure)\w*[-_]?\w*desc",
    re.IGNORECASE,
)
_CREDIT_CLASS = re.compile(
    r"credit|copyright|photographer|fotograf|byline|source|author|autor|courtesy|urheber|quelle|rights",
    re.IGNORECASE,
)
_IMAGE_TAGS = {"img", "picture", "amp-img", "video", "svg", "source"}
_PHOTO_TAGS = {"img", "picture", "amp-img"}
_NOT_PHOTO_TAGS = {"video", "iframe", "audio", "embed", "object", "svg", "script", "noscript", "source"}
_IMAGE_URL_ATTRS = ("data-src", "data-original", "data-lazy-src", "data-srcset", "data-lazy", "srcset", "src")
_PLACEHOLDER_IMAGE = re.compile(r"^data:|blank\.|spacer\.|placeholder|1x1|pixel\.|grey\.gif|lazy\.", re.IGNORECASE)

# Credits introduced by a marker word: "Ảnh: …", "Nguồn: …", "Photo: …", "Foto: …", "©…", "(Image: …)".
_CREDIT_MARKERS = (
    r"Ảnh(?:\s+minh\s+(?:họa|hoạ))?(?:\s+tư\s+liệu)?|Nguồn(?:\s+ảnh)?|Photo(?:graph)?s?(?:\s+credit)?|Fotos?"
    r"|Bild(?:er)?|Credits?|Image|Picture|Pic|Source|Kuva|Zdjęcie|Fotó|Фото|Quelle|Crédit"
    r"|Crédito|Illustration|Grafik|Video|Isithombe|Umfanekiso|Nuotrauka|Fotografija"
)
_MARKED_CREDIT = re.compile(
    rf"""(?P<sep>\s*[(\[]\s*|\s*[-–—|/]\s*|\s+|^)(?P<credit>(?:{_CREDIT_MARKERS})\s*(?:by\b)?\s*[:：]\s*\S.*?
        |©\s*\S.*?|(?:Photo|Foto|Bild|Image)\s+(?:by|von|de|par)\s+\S.*?)\s*[)\]]?\s*$""",
    re.IGNORECASE | re.VERBOSE,
)
# Credits without a marker word: agency names at the end ("(AAP)", "HANDOUT / AFP", "AP Photo/Evan Vucci").
_AGENCIES = (
    r"AP|AFP|AAP|EPA|EFE|ANP|ANSA|dpa|DPA|PA|Reuters|REUTERS|Getty\s+Images|Getty|iStock(?:photo)?|Shutterstock"
    r"|imago(?:\s+images)?|IMAGO|picture[\s-]+alliance|Keystone|KEYSTONE|Xinhua|TTXVN|TASS|Bloomberg|NurPhoto|SIPA"
    r"|Sipa|Alamy|Agencia|Kyodo|Yonhap|NTB|TT|Ritzau|Scanpix|Belga|BELGA|Anadolu|Zuma|ZUMA|SWNS|Sputnik|RIA"
    r"|HANDOUT|Handout|POOL|Pool|Bildbyrån|APA|Lehtikuva|ČTK|CTK|PAP|Supplied|SUPPLIED|Nine|WireImage|Stringer"
)
_AGENCY_CREDIT = re.compile(
    rf"""(?P<sep>\s*[(\[]\s*|\s*[|]\s*|\s+[-–—/]\s+|\s+)(?P<credit>
        (?:[\w'’-]+(?:\s[\w'’-]+){{0,3}}\s*/\s*)?(?:{_AGENCIES})(?:\s+(?:Photo|Images|via\s+Getty\s+Images))?
        (?>\s*(?:/|via)\s*[\w.'’ -]{{1,60}})*)\s*[)\]]?\s*$""",
    re.VERBOSE,
)


# Credits that end with their marker word ("J. Stacevičiaus / LRT nuotr.", "（潟沼義樹撮影）") or follow a
# full-width equals sign in Japanese captions ("韓国の国旗＝ＡＰ"; a date or time after "＝" is not a credit).
_TRAILING_MARKER_CREDIT = re.compile(
    r"(?P<sep>\s+/\s+|\s+)(?P<credit>(?:[^/]{1,40}/\s*)?[^/]{1,40}?\snuotr\.?)\s*$"
    r"|＝(?P<jcredit>[^＝、。\d]{1,12})$|[（(](?P<shot>[^（）()]{1,20}撮影)[）)]$",
    re.IGNORECASE,
)


def split_credit(caption: str) -> tuple[str, str | None]:
    """Split a photo credit off the end of a caption: ("Kỹ sư … BIWASE", "Nguồn: Bộ Xây dựng").

    A credit starts at a marker word ("Ảnh:", "Ảnh minh họa:", "Nguồn:", "Photo:", "Foto:", "Bild:", "Credit:",
    "©") or is an agency name at the end ("(AAP)", "HANDOUT / AFP"); the brackets or dash around the credit are
    part of neither, the caption's own full stop stays with the caption.
    """
    caption = _one_line(caption)
    if (trailing := _TRAILING_MARKER_CREDIT.search(caption)) and trailing.start() > 0:
        credit = trailing.group("credit") or trailing.group("jcredit") or trailing.group("shot")
        return _strip_caption_end(caption[: trailing.start()]), credit.strip()
    match = _MARKED_CREDIT.search(caption)
    if match is None:
        match = _AGENCY_CREDIT.search(caption)
        if match is None or match.start("credit") == 0:
            return _strip_caption_end(caption), None
    return _strip_caption_end(caption[: match.start()]), match.group("credit").strip().rstrip(")]").strip()


def _strip_caption_end(text: str) -> str:
    """The caption as written, without the separator that stood before its credit (its own full stop stays)."""
    return text.rstrip(" ,;:-–—|/(")


# Cheap pre-selection in C before the exact test in Python.
_CAPTION_CANDIDATES = etree.XPath(
    "//figcaption | //*[@itemprop='caption'] | //*[contains(@class, 'aption') or contains(@class, 'APTION')"
    " or contains(@class, 'Image') or contains(@class, 'esc') or contains(@class, 'legend')]"
)


def _is_caption_element(element) -> bool:
    if element.tag == "figcaption" or element.get("itemprop") == "caption":
        return True
    if element.tag == "p" and "Image" in element.get("class", "").split():
        return True
    # "text-caption" and the like are typography utility classes (Tailwind), not captions.
    return any(
        _CAPTION_CLASS.search(token) and not token.startswith("text-") for token in element.get("class", "").split()
    )


def _image_url(holder, base_url: str) -> str | None:
    for image in holder.iter("img", "source", "amp-img"):
        for attr in _IMAGE_URL_ATTRS:
            value = (image.get(attr) or "").strip()
            if attr.endswith("srcset"):
                value = value.split(",")[0].strip().split(" ")[0]
            if value and not _PLACEHOLDER_IMAGE.search(value):
                return urljoin(base_url, value)
    return None


def _has_image(element) -> bool:
    if any(isinstance(e.tag, str) and e.tag in _IMAGE_TAGS for e in element.iter()):
        return True
    return any(e.get(a) for e in element.iter() if isinstance(e.tag, str) for a in ("data-src", "data-original"))


def _shows_a_photo(element) -> bool:
    """A photo, not a video, an embedded player or an icon (custom image elements with a `src` count)."""
    for node in element.iter():
        if not isinstance(node.tag, str) or node.tag in _NOT_PHOTO_TAGS:
            continue
        if node.tag in _PHOTO_TAGS or node.get("data-src") or node.get("data-original") or node.get("src"):
            return True
    return False


def _is_video_caption(element, holder) -> bool:
    names = " ".join(_classes(e) for e in (element, holder) if e is not None).lower()
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
class _FoundCaption:
    caption: Caption
    display: str
    marker: etree._Element


def _is_credit_node(node) -> bool:
    if not isinstance(node.tag, str) or node.tag in ("img", "picture", "source", "a"):
        return False
    if node.tag in ("cite", "footer") or node.get("itemprop") in ("copyrightHolder", "author", "creator"):
        return True
    if _CREDIT_CLASS.search(_classes(node)):
        return True
    text = _one_line(node.text_content())
    return text.startswith("©") and len(text) <= 120


def _credit_node(element, holder):
    """The element holding the photo credit: inside the caption, else beside it in the image's holder."""
    inside = [e for e in element.iterdescendants() if _is_credit_node(e)]
    if inside:
        return inside[0]
    if holder is None or holder is element:
        return None
    around = set(element.iterancestors())
    for node in holder.iterdescendants():
        if node in around or element in node.iterancestors() or node is element:
            continue
        if _is_credit_node(node) and 0 < len(_one_line(node.text_content())) <= 120:
            return node
    return None


_DANGLING_MARKER = re.compile(rf"(?:^|\s|[(\[])((?:{_CREDIT_MARKERS})\s*[:：]?|©)\s*[)\]]?$", re.IGNORECASE)


def _loose(s: str) -> str:
    return re.sub(r"\W+", "", s.casefold())


def _caption_parts(element, holder) -> tuple[str, str | None, str]:
    """(caption text, credit, caption as displayed); the credit from a credit element when there is one."""
    node = _credit_node(element, holder)
    if node is None:
        display = _display_text(element)
        text, credit = split_credit(display)
        return text, credit, display
    node_text = _display_text(node)
    credit = node_text.strip("()[] ")
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
    if marked and _loose(credit) in _loose(marked):
        credit = marked
    elif marked and _loose(marked) not in _loose(credit):
        credit = f"{marked} {credit}"
    elif dangling := _DANGLING_MARKER.search(text):
        text = _strip_caption_end(text[: dangling.start()])
        credit = f"{dangling.group(1)} {credit}"
    return text, credit or None, display


# "Von Hannah Ritzmann, Redakteurin …", "By Jane Doe": an author's byline beside a portrait.
_BYLINE_CAPTION = re.compile(r"^(?:Von|By|Por|Par|Door|Af|Av|Di|Da|Bởi)\s+\w+\s+\w+.{0,100}$")
_NOT_A_CAPTION_BOX = re.compile(r"author|byline|avatar|autor|profile|writer|journalist|redakt", re.IGNORECASE)


def _caption_belongs_elsewhere(element, holder) -> bool:
    """Author portraits, bylines and teaser cards (a caption that is a link, or sits in one with a headline) carry
    caption markup but are not photo captions of the article."""
    top = holder if holder is not None else element
    nearby = [element, *element.iterancestors()][:4] + [top, *top.iterancestors()][:3]
    if any(_NOT_A_CAPTION_BOX.search(_classes(e)) for e in nearby):
        return True
    if _BYLINE_CAPTION.match(_one_line(element.text_content())):
        return True
    # A teaser card: the caption is a link to another page, or sits in a link together with a headline.
    caption_text = _one_line(element.text_content())
    link_text = sum(len(_one_line(a.text_content())) for a in element.iter("a"))
    if caption_text and link_text >= 0.8 * len(caption_text):
        return True
    link = next((a for a in [*element.iterancestors()][:4] if a.tag == "a"), None)
    return link is not None and len(_one_line(link.text_content())) > len(caption_text) + 20


def mark_captions(tree, base_url: str, extra_selector: str | None = None) -> list[_FoundCaption]:
    """Replace each caption (with its image) by a marker paragraph; return the captions by marker number."""
    elements = [e for e in _CAPTION_CANDIDATES(tree) if _is_caption_element(e)]
    if extra_selector:
        elements += [e for e in select(tree, extra_selector) if not isinstance(e, str)]
        position = {element: n for n, element in enumerate(tree.iter())}
        elements.sort(key=lambda e: position.get(e, -1))
    # In document order an outer caption comes before the ones nested in it: keep the outermost only.
    chosen: list = []
    taken: set = set()
    for element in elements:
        if element not in taken and not any(a in taken for a in element.iterancestors()):
            chosen.append(element)
            taken.add(element)
    found: list[_FoundCaption] = []
    for element in chosen:
        holder = _image_holder(element)
        parent = element.getparent()
        if holder is None and element.tag != "figcaption" and parent is not None and parent.tag != "figure":
            continue
        if _caption_belongs_elsewhere(element, holder) or _is_video_caption(element, holder):
            continue
        text, credit, display = _caption_parts(element, holder)
        words = text.split()
        credit_only = text.startswith("(") and text.endswith(")")
        if not words or credit_only or len(text) > MAX_CAPTION_CHARS or (len(words) == 1 and text.isascii()):
            continue
        image_url = _image_url(holder if holder is not None else element.getparent(), base_url)
        marker = html.Element("p")
        marker.text = f"{CAPTION_MARK}{len(found)}x {display}"
        holder_fits = holder is not None and len(_one_line(holder.text_content())) <= len(display) + 40
        target = holder if holder_fits else element
        if target.getparent() is None:
            continue
        marker.tail = target.tail
        target.getparent().replace(target, marker)
        found.append(_FoundCaption(Caption(text=text, credit=credit, image_url=image_url), display, marker))
    return found


def _display_text(element) -> str:
    """The caption as the reader sees it, credit included ("… Ảnh: Thành Duy"); icons and buttons left out."""
    return _one_line(" ".join(_visible_text(element)))


_INVISIBLE_TAGS = frozenset({"svg", "button", "script", "style", "noscript", "template"})


_SCREEN_READER_ONLY = re.compile(r"off-?screen|visually-?hidden|sr-only|screen-?reader", re.IGNORECASE)


def _visible_text(element) -> Iterator[str]:
    if element.text and element.tag not in _INVISIBLE_TAGS:
        yield element.text
    for child in element:
        visible = isinstance(child.tag, str) and child.tag not in _INVISIBLE_TAGS
        if visible and not _SCREEN_READER_ONLY.search(child.get("class", "")):
            yield from _visible_text(child)
        if child.tail:
            yield child.tail


# ---------------------------------------------------------------------------------------------------------------
# Body


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
                yield " | ".join(_one_line(_block_text(cell)) for cell in row.iter("cell"))
        elif child.tag == "quote" and len(child) and all(c.tag == "p" for c in child):
            for paragraph in child:
                yield _block_text(paragraph)
        else:
            yield _block_text(child)
        if child.tail:
            yield child.tail


def _body_paragraphs(body, captions: list[_FoundCaption]) -> list[tuple[str, int | None]]:
    """(paragraph, caption number or None) in reading order, each marker replaced by its caption."""
    paragraphs: list[tuple[str, int | None]] = []
    for block in _blocks(body):
        position = 0
        for match in _MARK_PATTERN.finditer(block):
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
    return [(text, index) for text, index in ((_one_line(t), i) for t, i in paragraphs) if text]


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
        names = _classes(ancestor).lower()
        if any(part in _OUTSIDE_ARTICLE_WORDS for part in [*names.split(), *_NAME_PARTS.split(names)]):
            return True
    return False


def _recover_captions(
    work, paragraphs: list[tuple[str, int | None]], captions: list[_FoundCaption]
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
        key = _one_line(element.text_content()[: _ANCHOR_LENGTH * 4])[:_ANCHOR_LENGTH]
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
    start = order[headline] if headline is not None else min(known)
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


def _same(a: str, b: str) -> bool:
    return bool(a) and bool(b) and _one_line(a).casefold() == _one_line(b).casefold()


def _drop_header_blocks(
    paragraphs: list[tuple[str, int | None]], title: str, lead: str
) -> list[tuple[str, int | None]]:
    """trafilatura often starts with the headline and the lead: they have fields of their own."""
    head = [(t, i) for t, i in paragraphs[:4] if i is not None or not (_same(t, title) or _same(t, lead))]
    return head + paragraphs[4:]


def _run_trafilatura(tree, url: str):
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


def _body_tree(tree, profile: SiteProfile):
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


# ---------------------------------------------------------------------------------------------------------------
# Metadata

_LEAD_CLASS = re.compile(
    r"sapo|(?:^|[-_ ])lead(?:$|[-_ ])|standfirst|summary|description|intro|teaser|excerpt|subtitle|(?:^|[-_ ])dek"
    r"|chapeau|subhead|abstract|kicker-text",
    re.IGNORECASE,
)
_HOME_WORDS = {"trang chủ", "home", "homepage", "startseite", "accueil", "inicio", "início", "forside", "etusivu"}


def _lead_from_page(tree) -> str:
    headline = next(tree.iterfind(".//h1"), None)
    elements = _iter_after(headline, 400) if headline is not None else tree.iter()
    for element in elements:
        if not isinstance(element.tag, str) or element.tag not in ("p", "div", "h2", "h3", "span", "strong", "section"):
            continue
        if not _LEAD_CLASS.search(_classes(element)) or _is_caption_element(element):
            continue
        text = _text_of(element)
        if 30 <= len(text) <= MAX_LEAD_CHARS and len(element.xpath(".//p")) <= 2:
            return _one_line(text)
    return ""


_HEADLINES = (etree.XPath("//article//h1 | //main//h1"), etree.XPath("//h1"))


def _headline(tree, sitename: str) -> str:
    """The page's `<h1>`, the one inside the article first; not a logo `<h1>` holding the site's name."""
    for headlines in _HEADLINES:
        for element in headlines(tree):
            text = _one_line(" ".join(_visible_text(element)))
            if 10 <= len(text) <= 400 and not (sitename and _loose(text) == _loose(sitename)):
                return text
    return ""


def _name_of(item: object) -> str | None:
    return item.get("name") if isinstance(item, dict) else None  # `item` may also be a plain URL


def _breadcrumb_section(tree, jsonld: list[dict], title: str) -> str:
    for obj in jsonld:
        if "BreadcrumbList" in _types(obj) and isinstance(obj.get("itemListElement"), list):
            items = [i for i in obj["itemListElement"] if isinstance(i, dict)]
            items.sort(key=lambda i: i.get("position", 0) if isinstance(i.get("position"), int) else 0)
            names = [i.get("name") or _name_of(i.get("item")) for i in items]
            section = _last_section_name([n for n in names if isinstance(n, str)], title)
            if section:
                return section
    for crumbs in tree.xpath("//*[contains(translate(@class, 'BREADCUM', 'breadcum'), 'breadcrumb')]"):
        names = [_text_of(a) for a in crumbs.iter("a", "li")]
        if section := _last_section_name(names, title):
            return section
    return ""


def _last_section_name(names: list[str], title: str) -> str:
    cleaned = [_one_line(n) for n in names if _one_line(n)]
    for name in reversed(cleaned):
        if not _same(name, title) and name.casefold() not in _HOME_WORDS and len(name) <= 80:
            return name
    return ""


def _meta(tree, *keys: str) -> list[str]:
    wanted = {k.lower() for k in keys}
    values = []
    for meta in tree.iterfind(".//meta"):
        names = {(meta.get(a) or "").strip().lower() for a in ("property", "name", "itemprop")}
        if names & wanted and (content := _one_line(meta.get("content") or "")):
            values.append(content)
    return values


def _unique(values) -> list[str]:
    seen: set[str] = set()
    result = []
    for value in values:
        value = _one_line(value)
        if value and value.casefold() not in seen:
            seen.add(value.casefold())
            result.append(value)
    return result


_DOMAIN_LIKE = re.compile(r"^[\w.-]+\.[a-z]{2,}$|^https?://", re.IGNORECASE)


def _authors(
    tree, url: str, profile: SiteProfile, articles: list[dict], sitename: str, fallback: str | None
) -> tuple[list[str], list[str]]:
    """(persons, organizations) named as authors.

    Persons come from the profile selector, JSON-LD, author metas, author elements or trafilatura's guess, in that
    order; organizations (JSON-LD organizations, the site's own name in an author field) only stand in for them.
    """
    if selected := _selected_texts(tree, profile, "authors"):
        return _unique(selected), []
    host = urlsplit(url).hostname or ""
    publishers = [name for o in articles for name in _names(o.get("publisher"))]
    site_names = {_loose(n) for n in (sitename, host, *publishers) if n}
    organizations: list[str] = []

    def is_site(name: str) -> bool:
        loose = _loose(name)
        return any(loose and (loose in site or site in loose) for site in site_names)

    def person(name: str) -> bool:
        name = _one_line(name)
        if not _is_name(name):
            return False
        if is_site(name) or _DOMAIN_LIKE.match(name):
            organizations.append(name)
            return False
        return True

    for obj in articles:
        people = obj.get("author")
        people = people if isinstance(people, list) else [people]
        for item in people:
            if isinstance(item, dict) and "Organization" in str(item.get("@type")):
                organizations.extend(_names(item))
        persons = [p for p in people if not (isinstance(p, dict) and "Organization" in str(p.get("@type")))]
        if names := [n for n in _names(persons) if person(n)]:
            return _unique(names), []
    metas = _meta(tree, "article:author", "author", "dc.creator", "sailthru.author")
    if names := [n for value in metas for n in value.split(",") if person(n)]:
        return _unique(names), []
    names = _visible_authors(tree) or [a for a in (fallback or "").split(";") if person(a)]
    distinct: dict[str, str] = {}
    for name in organizations:
        distinct.setdefault(_loose(name), name)  # "nieuwsblad.be" and "Nieuwsblad Be" are one
    return _unique(names), _unique(distinct.values())


_EMAIL_OR_URL = re.compile(r"@|https?://|www\.", re.IGNORECASE)


def _is_name(name: str) -> bool:
    """Looks like a name: letters, at most six words and 60 characters, no e-mail, no photo credit."""
    return (
        0 < len(name) <= 60
        and len(name.split()) <= 6
        and any(ch.isalpha() for ch in name)
        and not _EMAIL_OR_URL.search(name)
        and not name.startswith("(")
        and split_credit(name)[1] is None
    )


_VISIBLE_AUTHOR = etree.XPath(
    "//*[@rel='author' or @itemprop='author' or contains(@class, 'author') or contains(@class, 'byline')]"
    "[not(ancestor::*[contains(@class, 'related') or contains(@class, 'comment')])]"
)
_SIGNATURE = re.compile(r"^(?:[A-ZÀ-ỸĐ][\w'’.-]*\s){1,4}[A-ZÀ-ỸĐ][\w'’.-]*$")


def _visible_authors(tree) -> list[str]:
    """Short author elements on the page (`.author`, `[rel=author]`, `[itemprop=author]`)."""
    for element in _VISIBLE_AUTHOR(tree):
        name = re.sub(r"^(?:Von|By|Theo|Bởi|Por|Par)\s+", "", _text_of(element), flags=re.IGNORECASE)
        if 3 <= len(name) <= 60 and not any(ch.isdigit() for ch in name) and _SIGNATURE.match(name):
            return [name]
    return []


def _signature(paragraphs: list[str]) -> str:
    """A name alone in the last paragraph ("Lê Phương"), as Vietnamese papers sign their articles."""
    last = paragraphs[-1] if len(paragraphs) > 1 else ""
    return last if len(last) <= 40 and _SIGNATURE.match(last) else ""


_TAG_CONTAINER_CANDIDATES = etree.XPath(
    "//*[not(self::meta)][contains(@class, 'tag') or contains(@id, 'tag') or contains(@class, 'keyword')]"
)
_TAG_CONTAINER = re.compile(r"(?:^|[\s_-])(?:tags?|keywords?|tag-list|c-tags|item-tag)(?:$|[\s_-])", re.IGNORECASE)


def _visible_tags(tree) -> list[str]:
    """The article's tag links (`.tags a`, `.c-tags a`, `.keywords a`)."""
    containers = [e for e in _TAG_CONTAINER_CANDIDATES(tree) if _TAG_CONTAINER.search(_classes(e))]
    return _unique(_text_of(a) for container in containers for a in container.iter("a"))


def _split_tags(values: list[str], tree) -> list[str]:
    """Comma-separated tags split into tags, but a tag the page shows with a comma in it stays whole."""
    if len(values) > 1:  # one meta per tag, as Open Graph means it
        return _unique(values)
    parts = [p.strip() for value in values for p in value.split(",")]
    known = {v.casefold() for v in _visible_tags(tree)} if len(parts) > 1 else set()
    tags: list[str] = []
    for part in parts:
        merged = f"{tags[-1]}, {part}" if tags else ""
        if merged.casefold() in known:
            tags[-1] = merged
        elif part:
            tags.append(part)
    return _unique(tags)


def _tags(tree, profile: SiteProfile, articles: list[dict], fallback: list[str]) -> list[str]:
    if selected := _selected_texts(tree, profile, "tags"):
        return _unique(selected)
    if metas := _meta(tree, "article:tag"):
        return _split_tags(metas, tree)
    keywords: list[str] = []
    for obj in articles:
        value = obj.get("keywords")
        if isinstance(value, str):
            keywords.append(value)
        elif isinstance(value, list):
            keywords += [k for k in value if isinstance(k, str)]
    return _split_tags(keywords, tree) or _visible_tags(tree) or _split_tags([",".join(fallback)], tree)


def _language(tree, articles: list[dict]) -> str:
    root = tree if tree.tag == "html" else tree.getroottree().getroot()
    for value in (
        root.get("lang"),
        root.get("{http://www.w3.org/XML/1998/namespace}lang"),
        *_meta(tree, "og:locale", "content-language", "language", "dc.language"),
        *(o.get("inLanguage") for o in articles if isinstance(o.get("inLanguage"), str)),
    ):
        if value and (code := re.match(r"[A-Za-z]{2,3}", value.strip())):
            return code.group(0).lower()
    for meta in tree.iterfind(".//meta[@http-equiv]"):
        if meta.get("http-equiv", "").lower() == "content-language" and meta.get("content"):
            return meta.get("content")[:2].lower()
    return ""


def _canonical(tree, url: str) -> str:
    for link in tree.iterfind(".//link[@rel]"):
        if "canonical" in link.get("rel", "").lower().split() and (href := (link.get("href") or "").strip()):
            return urljoin(url, href)
    return ""


def _main_image(tree, articles: list[dict], url: str, fallback: str | None, captions: list[Caption]) -> str | None:
    candidates = [*_meta(tree, "og:image", "og:image:url", "twitter:image", "twitter:image:src")]
    for obj in articles:
        image = obj.get("image")
        image = image[0] if isinstance(image, list) and image else image
        candidates.append(image.get("url") if isinstance(image, dict) else image)
    candidates += [fallback, *(c.image_url for c in captions)]
    for candidate in candidates:
        if isinstance(candidate, str) and candidate.strip():
            return urljoin(url, candidate.strip())
    return None


# ---------------------------------------------------------------------------------------------------------------
# Entry point


def extract_article(
    body: bytes,
    url: str,
    *,
    profile: SiteProfile | None = None,
    encoding: str | None = None,
    fetched_at: datetime | None = None,
) -> Article:
    """Extract one article from an HTML response body; raise `NotAnArticle(reason)` when the page is not one.

    `encoding` is the charset of the HTTP Content-Type, if any; `fetched_at` (aware) bounds the dates.
    """
    if len(body) > MAX_INPUT_BYTES:
        raise NotAnArticle(f"page too large ({len(body)} bytes > {MAX_INPUT_BYTES})")
    try:
        with time_budget(TIME_BUDGET_SECONDS):
            return _extract(body, url, profile or DEFAULT_PROFILE, encoding, fetched_at)
    except ExtractionTimeout as exc:
        raise NotAnArticle(f"extraction exceeded its time budget of {TIME_BUDGET_SECONDS:g} s") from exc
    except NotAnArticle:
        raise
    except RecursionError as exc:
        raise NotAnArticle("page nested too deeply to parse") from exc
    except (etree.LxmlError, ValueError, TypeError, AttributeError, KeyError, IndexError) as exc:
        raise NotAnArticle(f"extraction failed: {type(exc).__name__}: {exc}") from exc


def _parse(body: bytes, encoding: str | None):
    text = decode_html(body, encoding)
    if "<" not in text[:65536]:
        raise NotAnArticle("not HTML: no markup found")
    tree = trafilatura.utils.load_html(text)
    if tree is None:
        raise NotAnArticle("HTML could not be parsed")
    count = sum(1 for _ in tree.iter())
    if count > MAX_ELEMENTS:
        raise NotAnArticle(f"page too complex ({count} elements > {MAX_ELEMENTS})")
    return tree


def _extract(body: bytes, url: str, profile: SiteProfile, encoding: str | None, fetched_at: datetime | None) -> Article:
    tree = _parse(body, encoding)
    objects = _jsonld_objects(tree)
    articles = _jsonld_articles(objects)
    metadata = extract_metadata(tree, default_url=url, extensive=False)  # reads the tree, does not change it

    work = copy.deepcopy(tree)
    found = mark_captions(work, url, profile.selectors.get("captions"))
    document = _run_trafilatura(_body_tree(work, profile), url)
    if document is None or document.body is None:
        raise NotAnArticle("no article text found")

    title = _one_line(
        next(iter(_selected_texts(tree, profile, "title")), "")
        or _headline(tree, metadata.sitename or "")
        or next((o["headline"] for o in articles if isinstance(o.get("headline"), str)), "")
        or metadata.title
        or ""
    )
    lead = _one_line(next(iter(_selected_texts(tree, profile, "lead")), "") or _lead_from_page(tree))
    # A lead printed on the page has a field of its own and leaves the body; a lead taken from the page's
    # description may just repeat the first paragraph, which then stays in the body.
    body_lead = lead
    if not lead:
        described = [o.get("description") for o in articles if isinstance(o.get("description"), str)]
        lead = _one_line(next(iter(described), "") or metadata.description or "")

    numbered = _body_paragraphs(document.body, found)
    if not profile.selectors.get("body"):
        numbered = _recover_captions(work, numbered, found)
    numbered = _drop_header_blocks(numbered, title, body_lead)
    captions = [found[index].caption for _, index in numbered if index is not None]
    body_chars = sum(len(text) for text, index in numbered if index is None)
    if body_chars < MIN_TEXT_CHARS:
        raise NotAnArticle(f"article text too short ({body_chars} characters)")
    page_type = next(iter(_meta(tree, "og:type")), "article").lower()
    if not page_type.startswith("article") and not articles and body_chars < MIN_TEXT_CHARS_OTHER_TYPE:
        raise NotAnArticle(f"a {page_type} page (og:type) with only {body_chars} characters of text")
    paragraphs = [text for text, _ in numbered]
    text = normalize_text("\n\n".join(paragraphs))

    section = _one_line(
        next(iter(_selected_texts(tree, profile, "section")), "")
        or _breadcrumb_section(tree, objects, title)
        or next(iter(_meta(tree, "article:section")), "")
        or next((o["articleSection"] for o in articles if isinstance(o.get("articleSection"), str)), "")
        or next(iter(metadata.categories or []), "")
    )
    authors, organizations = _authors(tree, url, profile, articles, metadata.sitename or "", metadata.author)
    if not authors and (signature := _signature(paragraphs)):
        authors = [signature]
        text = normalize_text("\n\n".join(paragraphs[:-1]))
    authors = authors or organizations

    language = _language(tree, articles)
    # A profile without a zone (no profile, an ad-hoc crawl) gets the zone of the country domain or language.
    zone = profile.timezone or guess_timezone(url, language)
    settings = DateSettings(zone, profile.date_order, _date_languages(language, profile))
    published_at, modified_at = find_dates(
        tree,
        url,
        settings=settings,
        jsonld=articles,
        published_texts=tuple(_selected_texts(tree, profile, "published")),
        modified_texts=tuple(_selected_texts(tree, profile, "modified")),
        fetched_at=fetched_at,
    )
    return Article(
        url=url,
        canonical_url=_canonical(tree, url),
        title=title,
        lead=lead,
        text=text,
        captions=captions,
        authors=authors,
        section=section,
        tags=_tags(tree, profile, articles, metadata.tags or []),
        language=language,
        main_image=_main_image(tree, articles, url, metadata.image, captions),
        published_at=published_at,
        modified_at=modified_at,
        fetched_at=fetched_at,
        content_hash=content_hash(text),
    )


def _date_languages(language: str, profile: SiteProfile) -> tuple[str, ...]:
    # dateparser refuses the whole list for one code it does not know ("no", "und"): keep only known ones
    language = {"no": "nb"}.get(language, language)  # dateparser knows Norwegian as Bokmål
    page = [language] if language in DATEPARSER_LANGUAGES else []
    return tuple(dict.fromkeys(page + list(profile.languages)))
