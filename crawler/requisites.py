"""Page requisites: which URLs an article page needs to replay as published, beside its HTML (pure).

By default an article's requisites are its photos (the main image and the image of every caption the record
names) and the page's stylesheets (`<link rel="stylesheet">`); with `every_image` also every other image of the
page, lazy-loading attributes included (`data-src`, `data-original`, `data-lazy-src`, `srcset`, `data-srcset`, a
`<picture>`'s `<source>`s). They are read from the page's tree as the extractor parsed it (`crawler.workers`: one
parse per page). URLs are absolute (resolved against the page's `<base href>` or its URL), http(s)
only, without fragments, each once, the page itself never; the photos of the record come first.

The spider (`spiders/news.py`) fetches them after the article is extracted, from whatever host serves them.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from enum import StrEnum
from urllib.parse import urldefrag, urljoin, urlsplit

from lxml import etree

from archive.records import Article


class RequisiteKind(StrEnum):
    PHOTO = "photo"  # named by the record: its main image or a caption's image
    STYLESHEET = "stylesheet"
    IMAGE = "image"  # any other image of the page (`every_image`)


@dataclass(frozen=True)
class Requisite:
    url: str
    kind: RequisiteKind


# Where pages put an image's address: the browser's own attributes and those of lazy-loading scripts.
IMAGE_URL_ATTRIBUTES = ("src", "data-src", "data-original", "data-lazy-src")
IMAGE_SRCSET_ATTRIBUTES = ("srcset", "data-srcset")


def srcset_urls(srcset: str) -> list[str]:
    """The URLs of a `srcset` value ("a.jpg 1x, b.jpg 2x", "a.jpg 480w, b.jpg 800w")."""
    urls = []
    for candidate in srcset.split(","):
        parts = candidate.split()
        if parts:
            urls.append(parts[0])
    return urls


def _stylesheets(tree: etree._Element) -> Iterator[str]:
    for link in tree.iter("link"):
        rel = (link.get("rel") or "").lower().split()
        if "stylesheet" in rel and "alternate" not in rel and link.get("href"):
            yield link.get("href")


def _images(tree: etree._Element) -> Iterator[str]:
    for element in tree.iter("img", "source"):
        if element.tag == "source" and (parent := element.getparent()) is not None and parent.tag != "picture":
            continue  # a <video>'s or <audio>'s source is no image
        for name in IMAGE_URL_ATTRIBUTES:
            if element.get(name):
                yield element.get(name)
        for name in IMAGE_SRCSET_ATTRIBUTES:
            if element.get(name):
                yield from srcset_urls(element.get(name))


def _base_url(tree: etree._Element, url: str) -> str:
    for base in tree.iter("base"):
        if base.get("href"):
            return urljoin(url, base.get("href").strip())
    return url


def page_requisites(
    tree: etree._Element, url: str, article: Article | None, *, every_image: bool = False
) -> list[Requisite]:
    """The requisites of the page parsed as `tree`, fetched from `url`, whose record is `article` (module
    docstring)."""
    base = _base_url(tree, url)
    found: list[tuple[str, RequisiteKind]] = []
    if article is not None:
        photos = [article.main_image, *(caption.image_url for caption in article.captions)]
        found += [(photo, RequisiteKind.PHOTO) for photo in photos if photo]
    found += [(href, RequisiteKind.STYLESHEET) for href in _stylesheets(tree)]
    if every_image:
        found += [(src, RequisiteKind.IMAGE) for src in _images(tree)]
    return list(_unique(found, base, page=urldefrag(url)[0]))


def _unique(found: Iterable[tuple[str, RequisiteKind]], base: str, page: str) -> Iterator[Requisite]:
    seen = {page}
    for raw, kind in found:
        try:
            absolute = urldefrag(urljoin(base, raw.strip()))[0]
            scheme = urlsplit(absolute).scheme
        except ValueError:  # a malformed address ("http://[x") costs that address only
            continue
        if scheme not in ("http", "https") or absolute in seen:
            continue  # data: URIs, javascript:, the page itself, one already listed
        seen.add(absolute)
        yield Requisite(absolute, kind)
