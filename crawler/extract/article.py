"""The entry point: HTML bytes + URL (+ site profile) → `Article`, or `NotAnArticle` with the reason.

`extract_page` caps the page (size, elements, time) and turns every failure into `NotAnArticle`; it returns the
article with the page's tree as parsed, for what else reads the page (its requisites); `extract_article` returns
the article only. `_extract`
assembles the article from the steps of the other modules: body text and captions (`body`, `captions`),
metadata (`metadata`), dates (`crawler.dates`), text in the normal form of `archive.text`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from dateparser.data.languages_info import language_order
from lxml import etree
from trafilatura.metadata import extract_metadata
from trafilatura.settings import Document

from archive.records import Article, NotAnArticle
from archive.text import normalize_text
from crawler.dates import (
    DateSettings,
    FoundDates,
    find_dates,
    set_dates,
    without_impossible_dates,
)
from crawler.extract.body import article_paragraphs, main_text
from crawler.extract.budget import MAX_ELEMENTS, MAX_INPUT_BYTES, TIME_BUDGET_SECONDS, ExtractionTimeout, time_budget
from crawler.extract.decoding import decode_html
from crawler.extract.dom import Metas, parse_html, selected_texts
from crawler.extract.jsonld import article_objects, image_captions, jsonld_objects
from crawler.extract.metadata import (
    canonical_url,
    choose_lead,
    choose_section,
    choose_title,
    find_authors,
    find_tags,
    main_image_url,
    page_language,
    signature_line,
)
from crawler.extract.soft404 import soft_404_reason
from crawler.sites import SiteProfile
from crawler.zones import guess_timezone

MIN_TEXT_CHARS = 120
# Pages that call themselves something else (og:type website, video.other) need real text to count as articles.
MIN_TEXT_CHARS_OTHER_TYPE = 500

DATEPARSER_LANGUAGES = frozenset(language_order)
# What `tree.iter()` yields (elements, comments, processing instructions), counted without a Python object for each.
_NODE_COUNT = etree.XPath("count(descendant-or-self::* | descendant::comment() | descendant::processing-instruction())")
DEFAULT_PROFILE = SiteProfile(timezone="")  # no zone: guessed per page


@dataclass(frozen=True)
class ExtractedPage:
    """An article and the tree of the page it was read from, as parsed (no step of the extraction changes it)."""

    article: Article
    tree: etree._Element


def extract_page(
    body: bytes,
    url: str,
    *,
    profile: SiteProfile | None = None,
    encoding: str | None = None,
    fetched_at: datetime | None = None,
    time_limit: float = TIME_BUDGET_SECONDS,
) -> ExtractedPage:
    """Extract one article from an HTML response body; raise `NotAnArticle(reason)` when the page is not one.

    `encoding` is the charset of the HTTP Content-Type, if any; `fetched_at` (aware) bounds the dates;
    `time_limit` is the page's time budget in seconds, counted from here.
    """
    if len(body) > MAX_INPUT_BYTES:
        raise NotAnArticle(f"page too large ({len(body)} bytes > {MAX_INPUT_BYTES})")
    try:
        with time_budget(time_limit):
            return _extract(body, url, profile or DEFAULT_PROFILE, encoding, fetched_at)
    except ExtractionTimeout as exc:
        raise NotAnArticle(f"extraction exceeded its time budget of {time_limit:g} s") from exc
    except NotAnArticle:
        raise
    except RecursionError as exc:
        raise NotAnArticle("page nested too deeply to parse") from exc
    except (etree.LxmlError, ValueError, TypeError, AttributeError, KeyError, IndexError) as exc:
        raise NotAnArticle(f"extraction failed: {type(exc).__name__}: {exc}") from exc


def extract_article(body: bytes, url: str, **options: Any) -> Article:
    """The article of `extract_page` (same arguments, same `NotAnArticle`)."""
    return extract_page(body, url, **options).article


@dataclass
class _Page:
    """The parsed page and what every step reads from it (none of the steps changes `tree`)."""

    tree: etree._Element
    metas: Metas  # the tree's meta tags
    url: str
    profile: SiteProfile
    jsonld: list[dict]
    articles: list[dict]  # the JSON-LD objects of an article type
    metadata: Document  # trafilatura's reading of the metadata


def _extract(
    body: bytes, url: str, profile: SiteProfile, encoding: str | None, fetched_at: datetime | None
) -> ExtractedPage:
    page = _read_page(body, url, profile, encoding)
    tree, articles, metadata = page.tree, page.articles, page.metadata
    metas = page.metas
    known_captions = [*image_captions(page.jsonld), *metas.contents("og:image:alt", "twitter:image:alt")]
    work, found, document_body = main_text(tree, url, profile, known_captions)
    title = choose_title(tree, profile, articles, metadata.sitename or "", metadata.title)
    lead, printed_lead = choose_lead(tree, profile, articles, metadata.description)
    numbered = article_paragraphs(work, document_body, found, profile, title, printed_lead)
    captions = [found[index].caption for _, index in numbered if index is not None]
    if soft_404 := soft_404_reason(tree, sum(len(text) for text, _ in numbered)):
        raise NotAnArticle(soft_404)
    _require_article_text(page, numbered)
    paragraphs = [text for text, _ in numbered]
    section = choose_section(tree, metas, profile, page.jsonld, articles, title, metadata.categories)
    authors, text = _authors_and_text(page, paragraphs)
    language = page_language(tree, metas, articles)
    dates = _dates(page, language, fetched_at)
    article = Article(
        url=url,
        canonical_url=canonical_url(tree, url),
        title=title,
        lead=lead,
        text=text,
        captions=captions,
        authors=authors,
        section=section,
        tags=find_tags(tree, metas, profile, articles, metadata.tags or []),
        language=language,
        main_image=main_image_url(metas, articles, url, metadata.image, captions),
        fetched_at=fetched_at,
    )
    return ExtractedPage(set_dates(article, dates), tree)


def _read_page(body: bytes, url: str, profile: SiteProfile, encoding: str | None) -> _Page:
    tree = _parse(body, encoding)
    objects = jsonld_objects(tree)
    articles = article_objects(objects)
    return _Page(tree, Metas(tree), url, profile, objects, articles, _metadata(tree, url))


def _metadata(tree, url: str) -> Document:
    """trafilatura's reading of the metadata (it reads the tree, does not change it)."""
    try:
        return extract_metadata(tree, default_url=url, extensive=False)
    except ValueError:  # htmldate fails on an impossible UTC offset ("+99:00"): read a copy without such dates
        return extract_metadata(without_impossible_dates(tree), default_url=url, extensive=False)


def _parse(body: bytes, encoding: str | None):
    text = decode_html(body, encoding)
    if "<" not in text[:65536]:
        raise NotAnArticle("not HTML: no markup found")
    tree = parse_html(text)
    if tree is None:
        raise NotAnArticle("HTML could not be parsed")
    count = int(_NODE_COUNT(tree))
    if count > MAX_ELEMENTS:
        raise NotAnArticle(f"page too complex ({count} elements > {MAX_ELEMENTS})")
    return tree


def _require_article_text(page: _Page, numbered: list[tuple[str, int | None]]) -> None:
    """Raise `NotAnArticle` when the body text (captions not counted) is too short for the kind of page."""
    body_chars = sum(len(text) for text, index in numbered if index is None)
    if body_chars < MIN_TEXT_CHARS:
        raise NotAnArticle(f"article text too short ({body_chars} characters)")
    page_type = next(iter(page.metas.contents("og:type")), "article").lower()
    if not page_type.startswith("article") and not page.articles and body_chars < MIN_TEXT_CHARS_OTHER_TYPE:
        raise NotAnArticle(f"a {page_type} page (og:type) with only {body_chars} characters of text")


def _authors_and_text(page: _Page, paragraphs: list[str]) -> tuple[list[str], str]:
    """(authors, article text): a signature alone in the last paragraph names the author and leaves the text."""
    text = normalize_text("\n\n".join(paragraphs))
    metadata = page.metadata
    authors, organizations = find_authors(
        page.tree, page.metas, page.url, page.profile, page.articles, metadata.sitename or "", metadata.author
    )
    if not authors and (signature := signature_line(paragraphs)):
        authors = [signature]
        text = normalize_text("\n\n".join(paragraphs[:-1]))
    return authors or organizations, text


def _dates(page: _Page, language: str, fetched_at: datetime | None) -> FoundDates:
    """The dates as `crawler.dates` finds them, read in the site's zone and the page's languages."""
    # A profile without a zone (no profile, an ad-hoc crawl) gets the zone of the country domain or language.
    zone = page.profile.timezone or guess_timezone(page.url, language)
    settings = DateSettings(zone, page.profile.date_order, _date_languages(language, page.profile))
    return find_dates(
        page.tree,
        page.url,
        settings=settings,
        jsonld=page.articles,
        published_texts=tuple(selected_texts(page.tree, page.profile, "published")),
        modified_texts=tuple(selected_texts(page.tree, page.profile, "modified")),
        fetched_at=fetched_at,
        htmldate=page.metadata.date,  # trafilatura's metadata has run htmldate already
    )


def _date_languages(language: str, profile: SiteProfile) -> tuple[str, ...]:
    # dateparser refuses the whole list for one code it does not know ("no", "und"): keep only known ones
    language = {"no": "nb"}.get(language, language)  # dateparser knows Norwegian as Bokmål
    page = [language] if language in DATEPARSER_LANGUAGES else []
    return tuple(dict.fromkeys(page + list(profile.languages)))
