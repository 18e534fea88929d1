"""Photo credits: splitting a credit off a caption's text (`split_credit`) and finding the element that holds one."""

from __future__ import annotations

import re

from lxml import etree

from crawler.extract.dom import class_names, one_line

_CREDIT_CLASS = re.compile(
    r"credit|copyright|photographer|fotograf|byline|source|author|autor|courtesy|urheber|quelle|rights",
    re.IGNORECASE,
)


# Credits introduced by a marker word, in the languages of the pages archived so far: "Ảnh: …", "Nguồn: …",
# "Photo: …", "Foto: …", "Fot. …", "Beeld: …", "Fuente: …", "Фото: …", "사진=…", "写真：…", "©…", "(Image: …)".
_CREDIT_MARKERS = (
    r"Ảnh(?:\s+minh\s+(?:họa|hoạ))?(?:\s+tư\s+liệu)?|Nguồn(?:\s+ảnh)?|Photo(?:graph)?s?(?:\s+credit)?|Fotos?(?:grafía|grafia)?"
    r"|Fotoğraf|Bild(?:er|quelle)?|Credits?(?:\s+photo)?|Crédits?(?:\s+photo)?|Crédito|Image|Picture|Pic|Source|Kuva"
    r"|Zdjęcie|Źródło|Fotó|Forrás|Фото|Источник|Джерело|Quelle|Fuente|Fonte|Sumber|Gambar|Beeld|Bron|Kilde|Källa"
    r"|Lähde|Kaynak|Izvor|Zdroj|Sursa|Ljósmynd|Mynd|Picha|צילום|Illustration|Grafik|Video|Isithombe|Umfanekiso"
    r"|Nuotrauka|Fotografija|Copyright|写真|撮影|사진|图片来源|圖片來源|图|圖|来源|來源|摄影|攝影"
    r"|Imagem|Imagen|Đồ\s+h(?:ọa|oạ)|फोटो|फ़ोटो|तस्वीर|\w{3,12}(?:bild|foto)"
)
_MARKED_CREDIT = re.compile(
    rf"""(?P<sep>\s*[(\[（]\s*|\s*[-–—|/]\s*|\s+|^|(?<=[。．、」』）]))(?P<credit>
        (?:{_CREDIT_MARKERS})(?:\s+(?:{_CREDIT_MARKERS}))?\s*(?:by\b)?\s*[:：=＝／]\s*\S.*?
        |Fot\.\s*\S.*?
        |©\s*\S.*?
        |(?:Photo(?:graph)?|Foto|Bild|Image|Picture)\s+(?:courtesy\s+(?:of\s+)?|by|von|de|di|par|door|af|av|por|od)\s*\S.*?
        |Courtesy\s+(?:of\s+)?\S.*?)
        \s*(?:[)\]）]\s*[.。]?)?\s*$""",
    re.IGNORECASE | re.VERBOSE,
)
# Credits without a marker word: agency names at the end ("(AAP)", "HANDOUT / AFP", "AP Photo/Evan Vucci").
_AGENCIES = (
    r"AP|AFP|AAP|EPA|EFE|ANP|ANSA|dpa|DPA|PA|Reuters|REUTERS|Getty\s+Images|Getty|iStock(?:photo)?|Shutterstock"
    r"|imago(?:\s+images)?|IMAGO|picture[\s-]+alliance|Keystone|KEYSTONE|Xinhua|TTXVN|TASS|Bloomberg|NurPhoto|SIPA"
    r"|Sipa|Alamy|Agencia|Kyodo|Yonhap|NTB|TT|Ritzau|Scanpix|Belga|BELGA|Anadolu|Zuma|ZUMA|SWNS|Sputnik|RIA"
    r"|HANDOUT|Handout|POOL|Pool|Bildbyrån|APA|Lehtikuva|ČTK|CTK|PAP|Supplied|SUPPLIED|WireImage|Stringer"
)
_AGENCY_CREDIT = re.compile(
    rf"""(?P<sep>\s*[(\[]\s*|\s*[|]\s*|\s+[-–—/]\s+|\s+)(?P<credit>
        (?:[\w'’-]+(?:\s[\w'’-]+){{0,3}}\s*/\s*)?(?:{_AGENCIES})(?:\s+(?:Photo|Images|via\s+Getty\s+Images|file(?:\s+photo)?))?
        (?>\s*(?:/|via)\s*[\w.'’ -]{{1,60}})*)\s*(?:[)\]]\s*[.。]?)?\s*$""",
    re.VERBOSE,
)


# Credits that end with their marker word ("J. Stacevičiaus / LRT nuotr.", "（潟沼義樹撮影）") or follow a
# full-width equals sign in Japanese captions ("韓国の国旗＝ＡＰ"; a date or time after "＝" is not a credit).
_TRAILING_MARKER_CREDIT = re.compile(
    r"(?P<sep>\s+/\s+|\s+)(?P<credit>(?:[^/]{1,40}/\s*)?[^/]{1,40}?\snuotr\.?)\s*$"
    r"|＝(?P<jcredit>[^＝、。\d]{1,12})$|[（(](?P<shot>[^（）()]{1,20}(?:撮影|提供|摄|攝))[）)]$",
    re.IGNORECASE,
)


def _trailing_marker_credit(caption: str) -> re.Match | None:
    # What each of its branches cannot match without ("nuotr", "＝", a closing bracket at the end), looked for first:
    # most captions have none of them.
    if "nuotr" in caption.lower() or "＝" in caption or caption.endswith((")", "）")):
        return _TRAILING_MARKER_CREDIT.search(caption)
    return None


def split_credit(caption: str) -> tuple[str, str | None]:
    """Split a photo credit off the end of a caption: ("Kỹ sư … BIWASE", "Nguồn: Bộ Xây dựng").

    A credit starts at a marker word ("Ảnh:", "Ảnh minh họa:", "Nguồn:", "Photo:", "Foto:", "Bild:", "Credit:",
    "©", "Photo by", …) or is an agency name at the end ("(AAP)", "HANDOUT / AFP"), a word and a colon before the
    agency being its marker in a language the list does not know ("Fotografie: AP"). The credit is kept as written,
    marker included; the brackets or dash around it are part of neither, the caption's own full stop stays with
    the caption ("… (Ảnh: Hoàng Lam)." gives "Ảnh: Hoàng Lam").
    """
    caption = one_line(caption)
    if (trailing := _trailing_marker_credit(caption)) and trailing.start() > 0:
        credit = trailing.group("credit") or trailing.group("jcredit") or trailing.group("shot")
        return strip_caption_end(caption[: trailing.start()]), credit.strip()
    match = _MARKED_CREDIT.search(caption)
    start = match.start() if match else 0
    if match is None:
        match = _AGENCY_CREDIT.search(caption) or _name_in_brackets(caption)
        if match is None or match.start("credit") == 0:
            return strip_caption_end(caption), None
        start = match.start()
        if marker_before := _WORD_AND_COLON.search(caption, 0, start) or _MARKER_BEFORE.search(caption, 0, start):
            start = marker_before.start()
    marker = caption[start : match.start("credit")].lstrip(" ([-–—|/")
    return strip_caption_end(caption[:start]), bare_credit(marker + match.group("credit"))


def bare_credit(credit: str) -> str:
    """The credit without the brackets and the full stop around it: "(Ảnh: Hoàng Lam)." gives "Ảnh: Hoàng Lam"."""
    credit = _AROUND_CREDIT.sub("", credit)
    if credit.count("(") > credit.count(")"):  # "Foto: Reuters (Archiv)": its own bracket was taken as the end
        credit += ")"
    return credit


_AROUND_CREDIT = re.compile(r"^[\s(\[（]+|\s*(?:[)\]）]\s*[.。]?)?\s*$")


# A word and a colon right before an agency credit: the credit's marker word; or a marker word without a colon
# ("Foto ANP").
_WORD_AND_COLON = re.compile(r"(?<=[\s.(])\w{3,15}\s*[:：]\s*$")
_MARKER_BEFORE = re.compile(rf"(?<=[\s.(])(?:{_CREDIT_MARKERS})\s*$", re.IGNORECASE)

# A name in brackets after the caption's last sentence, and nothing after it: "… for sale. (Bespoke Real Estate)".
_NAME_IN_BRACKETS = re.compile(r"(?<=[.!?])(?P<sep>\s*\(\s*)(?P<credit>[^()]{3,40}?)\s*\)\s*\.?\s*$")
MAX_BRACKETED_CREDIT_WORDS = 4


def _name_in_brackets(caption: str) -> re.Match | None:
    """A name in brackets closing the caption: a capital first letter, a few words, no figures (not "(left)",
    "(2019)", "(file photo)")."""
    match = _NAME_IN_BRACKETS.search(caption)
    if match is None:
        return None
    credit = match.group("credit")
    words = credit.split()
    short_name = credit[0].isupper() and len(words) <= MAX_BRACKETED_CREDIT_WORDS
    return match if short_name and not any(c.isdigit() for c in credit) else None


def strip_caption_end(text: str) -> str:
    """The caption as written, without the separator that stood before its credit (its own full stop stays)."""
    return text.rstrip(" ,;:-–—|/(")


def is_credit_node(node: etree._Element) -> bool:
    """An element holding a photo credit: by its tag, its microdata or class, or a marker word opening its text."""
    if not isinstance(node.tag, str) or node.tag in ("img", "picture", "source", "a"):
        return False
    if node.tag in ("cite", "footer") or node.get("itemprop") in ("copyrightHolder", "author", "creator"):
        return True
    if _CREDIT_CLASS.search(class_names(node)):
        return True
    text = one_line(node.text_content())
    if len(text) > 120:
        return False
    # a credit standing alone: "© …", or a marker word and the credit ("Image Credits: …" in a figcaption of its own)
    marked = _MARKED_CREDIT.match(text)
    return text.startswith("©") or (marked is not None and marked.start("credit") == 0)


def credit_node(element: etree._Element, holder: etree._Element | None) -> etree._Element | None:
    """The element holding the photo credit: inside the caption, else beside it in the image's holder."""
    inside = [e for e in element.iterdescendants() if is_credit_node(e)]
    if inside:
        return inside[0]
    if holder is None or holder is element:
        return None
    around = set(element.iterancestors())
    for node in holder.iterdescendants():
        if node in around or element in node.iterancestors() or node is element:
            continue
        if is_credit_node(node) and 0 < len(one_line(node.text_content())) <= 120:
            return node
    return None


DANGLING_MARKER = re.compile(rf"(?:^|\s|[(\[])((?:{_CREDIT_MARKERS})\s*[:：]?|©)\s*[)\]]?$", re.IGNORECASE)
