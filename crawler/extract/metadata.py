"""Article metadata read off the page: headline, lead, section (breadcrumbs), authors, tags, language, canonical URL
and main image; each from the site profile's selectors first, then JSON-LD, meta tags and the visible page."""

from __future__ import annotations

import re
from urllib.parse import urljoin, urlsplit

from lxml import etree

from archive.records import Caption
from crawler.extract.captions import is_caption_element
from crawler.extract.credits import split_credit
from crawler.extract.dom import (
    Metas,
    class_names,
    iter_after,
    loose_form,
    one_line,
    page_elements,
    same_text,
    selected_texts,
    text_of,
    visible_text,
)
from crawler.extract.jsonld import names_in, types_of
from crawler.sites import SiteProfile

MAX_LEAD_CHARS = 1200


_LEAD_CLASS = re.compile(
    r"sapo|(?:^|[-_ ])lead(?:$|[-_ ])|standfirst|summary|description|intro|teaser|excerpt|subtitle|(?:^|[-_ ])dek"
    r"|chapeau|subhead|abstract|kicker-text",
    re.IGNORECASE,
)
_HOME_WORDS = {"trang chủ", "home", "homepage", "startseite", "accueil", "inicio", "início", "forside", "etusivu"}


_PARAGRAPHS = etree.XPath(".//p")


def lead_from_page(tree: etree._Element) -> str:
    headline = next(tree.iterfind(".//h1"), None)
    elements = iter_after(headline, 400) if headline is not None else tree.iter()
    for element in elements:
        if not isinstance(element.tag, str) or element.tag not in ("p", "div", "h2", "h3", "span", "strong", "section"):
            continue
        if not _LEAD_CLASS.search(class_names(element)) or is_caption_element(element):
            continue
        text = text_of(element)
        if 30 <= len(text) <= MAX_LEAD_CHARS and len(_PARAGRAPHS(element)) <= 2:
            return one_line(text)
    return ""


_HEADLINES = (etree.XPath("//article//h1 | //main//h1"), etree.XPath("//h1"))


def find_headline(tree: etree._Element, sitename: str) -> str:
    """The page's `<h1>`, the one inside the article first; not a logo `<h1>` holding the site's name."""
    for headlines in _HEADLINES:
        for element in headlines(tree):
            text = one_line(" ".join(visible_text(element)))
            if 10 <= len(text) <= 400 and not (sitename and loose_form(text) == loose_form(sitename)):
                return text
    return ""


def _name_of(item: object) -> str | None:
    return item.get("name") if isinstance(item, dict) else None  # `item` may also be a plain URL


_CRUMB_CASE = str.maketrans("BREADCUM", "breadcum")  # as XPath translate(): "BreadCrumb", "BREADCRUMBS"


def breadcrumb_section(tree: etree._Element, jsonld: list[dict], title: str) -> str:
    for obj in jsonld:
        if "BreadcrumbList" in types_of(obj) and isinstance(obj.get("itemListElement"), list):
            items = [i for i in obj["itemListElement"] if isinstance(i, dict)]
            items.sort(key=lambda i: i.get("position", 0) if isinstance(i.get("position"), int) else 0)
            names = [i.get("name") or _name_of(i.get("item")) for i in items]
            section = _last_section_name([n for n in names if isinstance(n, str)], title)
            if section:
                return section
    for crumbs in (e for e in page_elements(tree) if "breadcrumb" in (e.get("class") or "").translate(_CRUMB_CASE)):
        names = [text_of(a) for a in crumbs.iter("a", "li")]
        if section := _last_section_name(names, title):
            return section
    return ""


def _last_section_name(names: list[str], title: str) -> str:
    cleaned = [one_line(n) for n in names if one_line(n)]
    for name in reversed(cleaned):
        if not same_text(name, title) and name.casefold() not in _HOME_WORDS and len(name) <= 80:
            return name
    return ""


def _unique(values) -> list[str]:
    seen: set[str] = set()
    result = []
    for value in values:
        value = one_line(value)
        if value and value.casefold() not in seen:
            seen.add(value.casefold())
            result.append(value)
    return result


_DOMAIN_LIKE = re.compile(r"^[\w.-]+\.[a-z]{2,}$|^https?://", re.IGNORECASE)


def find_authors(
    tree: etree._Element,
    metas: Metas,
    url: str,
    profile: SiteProfile,
    articles: list[dict],
    sitename: str,
    fallback: str | None,
) -> tuple[list[str], list[str]]:
    """(persons, organizations) named as authors.

    Persons come from the profile selector, JSON-LD, author metas, author elements or trafilatura's guess, in that
    order; organizations (JSON-LD organizations, the site's own name in an author field) only stand in for them.
    """
    if selected := selected_texts(tree, profile, "authors"):
        return _unique(selected), []
    host = urlsplit(url).hostname or ""
    publishers = [name for o in articles for name in names_in(o.get("publisher"))]
    site_names = {loose_form(n) for n in (sitename, host, *publishers) if n}
    organizations: list[str] = []

    def is_site(name: str) -> bool:
        loose = loose_form(name)
        return any(loose and (loose in site or site in loose) for site in site_names)

    def person(name: str) -> bool:
        name = one_line(name)
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
                organizations.extend(names_in(item))
        persons = [p for p in people if not (isinstance(p, dict) and "Organization" in str(p.get("@type")))]
        if names := [n for n in names_in(persons) if person(n)]:
            return _unique(names), []
    stated = metas.contents("article:author", "author", "dc.creator", "sailthru.author")
    if names := [n for value in stated for n in value.split(",") if person(n)]:
        return _unique(names), []
    names = _visible_authors(tree) or [a for a in (fallback or "").split(";") if person(a)]
    distinct: dict[str, str] = {}
    for name in organizations:
        distinct.setdefault(loose_form(name), name)  # "nieuwsblad.be" and "Nieuwsblad Be" are one
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


def _marks_author(element) -> bool:
    """`[rel=author]`, `[itemprop=author]`, `.author`, `.byline`, not in a box of related articles or comments."""
    names = element.get("class") or ""
    if not (
        "author" in names or "byline" in names or element.get("rel") == "author" or element.get("itemprop") == "author"
    ):
        return False
    return not any("related" in (n := a.get("class") or "") or "comment" in n for a in element.iterancestors())


_SIGNATURE = re.compile(r"^(?:[A-ZÀ-ỸĐ][\w'’.-]*\s){1,4}[A-ZÀ-ỸĐ][\w'’.-]*$")


def _visible_authors(tree) -> list[str]:
    """Short author elements on the page (`.author`, `[rel=author]`, `[itemprop=author]`)."""
    for element in filter(_marks_author, page_elements(tree)):
        name = re.sub(r"^(?:Von|By|Theo|Bởi|Por|Par)\s+", "", text_of(element), flags=re.IGNORECASE)
        if 3 <= len(name) <= 60 and not any(ch.isdigit() for ch in name) and _SIGNATURE.match(name):
            return [name]
    return []


def signature_line(paragraphs: list[str]) -> str:
    """A name alone in the last paragraph ("Lê Phương"), as Vietnamese papers sign their articles."""
    last = paragraphs[-1] if len(paragraphs) > 1 else ""
    return last if len(last) <= 40 and _SIGNATURE.match(last) else ""


_TAG_CONTAINER = re.compile(r"(?:^|[\s_-])(?:tags?|keywords?|tag-list|c-tags|item-tag)(?:$|[\s_-])", re.IGNORECASE)


def _may_hold_tags(element) -> bool:
    names = element.get("class") or ""
    return ("tag" in names or "keyword" in names or "tag" in (element.get("id") or "")) and element.tag != "meta"


def _visible_tags(tree) -> list[str]:
    """The article's tag links (`.tags a`, `.c-tags a`, `.keywords a`)."""
    containers = [e for e in page_elements(tree) if _may_hold_tags(e) and _TAG_CONTAINER.search(class_names(e))]
    return _unique(text_of(a) for container in containers for a in container.iter("a"))


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


def find_tags(
    tree: etree._Element, metas: Metas, profile: SiteProfile, articles: list[dict], fallback: list[str]
) -> list[str]:
    if selected := selected_texts(tree, profile, "tags"):
        return _unique(selected)
    if tags := metas.contents("article:tag"):
        return _split_tags(tags, tree)
    keywords: list[str] = []
    for obj in articles:
        value = obj.get("keywords")
        if isinstance(value, str):
            keywords.append(value)
        elif isinstance(value, list):
            keywords += [k for k in value if isinstance(k, str)]
    return _split_tags(keywords, tree) or _visible_tags(tree) or _split_tags([",".join(fallback)], tree)


def page_language(tree: etree._Element, metas: Metas, articles: list[dict]) -> str:
    root = tree if tree.tag == "html" else tree.getroottree().getroot()
    for value in (
        root.get("lang"),
        root.get("{http://www.w3.org/XML/1998/namespace}lang"),
        *metas.contents("og:locale", "content-language", "language", "dc.language"),
        *(o.get("inLanguage") for o in articles if isinstance(o.get("inLanguage"), str)),
    ):
        if value and (code := re.match(r"[A-Za-z]{2,3}", value.strip())):
            return code.group(0).lower()
    for meta in tree.iterfind(".//meta[@http-equiv]"):
        if meta.get("http-equiv", "").lower() == "content-language" and meta.get("content"):
            return meta.get("content")[:2].lower()
    return ""


def canonical_url(tree: etree._Element, url: str) -> str:
    for link in tree.iterfind(".//link[@rel]"):
        if "canonical" in link.get("rel", "").lower().split() and (href := (link.get("href") or "").strip()):
            return urljoin(url, href)
    return ""


def main_image_url(
    metas: Metas, articles: list[dict], url: str, fallback: str | None, captions: list[Caption]
) -> str | None:
    candidates = [*metas.contents("og:image", "og:image:url", "twitter:image", "twitter:image:src")]
    for obj in articles:
        image = obj.get("image")
        image = image[0] if isinstance(image, list) and image else image
        candidates.append(image.get("url") if isinstance(image, dict) else image)
    candidates += [fallback, *(c.image_url for c in captions)]
    for candidate in candidates:
        if isinstance(candidate, str) and candidate.strip():
            return urljoin(url, candidate.strip())
    return None


def choose_title(
    tree: etree._Element, profile: SiteProfile, articles: list[dict], sitename: str, fallback: str | None
) -> str:
    """The headline: the profile's selector, the page's `<h1>`, JSON-LD `headline`, then trafilatura's title."""
    return one_line(
        next(iter(selected_texts(tree, profile, "title")), "")
        or find_headline(tree, sitename)
        or next((o["headline"] for o in articles if isinstance(o.get("headline"), str)), "")
        or fallback
        or ""
    )


def choose_lead(
    tree: etree._Element, profile: SiteProfile, articles: list[dict], description: str | None
) -> tuple[str, str]:
    """(lead, lead printed on the page or "").

    A lead printed on the page has a field of its own and leaves the body; a lead taken from the page's
    description may just repeat the first paragraph, which then stays in the body.
    """
    printed = one_line(next(iter(selected_texts(tree, profile, "lead")), "") or lead_from_page(tree))
    if printed:
        return printed, printed
    described = [o.get("description") for o in articles if isinstance(o.get("description"), str)]
    return one_line(next(iter(described), "") or description or ""), printed


def choose_section(
    tree: etree._Element,
    metas: Metas,
    profile: SiteProfile,
    jsonld: list[dict],
    articles: list[dict],
    title: str,
    categories: list[str] | None,
) -> str:
    """The section: the profile's selector, breadcrumbs, `article:section`, JSON-LD, then trafilatura's category."""
    return one_line(
        next(iter(selected_texts(tree, profile, "section")), "")
        or breadcrumb_section(tree, jsonld, title)
        or next(iter(metas.contents("article:section")), "")
        or next((o["articleSection"] for o in articles if isinstance(o.get("articleSection"), str)), "")
        or next(iter(categories or []), "")
    )
