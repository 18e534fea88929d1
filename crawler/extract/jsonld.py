"""JSON-LD on the page: its objects (`@graph` flattened), their types, the article objects, the names in a value, the
captions of its images."""

from __future__ import annotations

import json
import re

from lxml import etree

_ARTICLE_TYPES = re.compile(r"Article|BlogPosting|Report|NewsArticle|LiveBlogPosting", re.IGNORECASE)


def jsonld_objects(tree: etree._Element) -> list[dict]:
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


def types_of(obj: dict) -> list[str]:
    kind = obj.get("@type", [])
    if isinstance(kind, str):
        return [kind]
    return [k for k in kind if isinstance(k, str)] if isinstance(kind, list) else []


def article_objects(objects: list[dict]) -> list[dict]:
    return [o for o in objects if any(_ARTICLE_TYPES.search(t) for t in types_of(o))]


def names_in(value: object) -> list[str]:
    """Names out of a JSON-LD person/organization value (string, object or list of them)."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [value["name"]] if isinstance(value.get("name"), str) else []
    if isinstance(value, list):
        return [name for item in value for name in names_in(item)]
    return []


def image_captions(objects: list[dict]) -> list[str]:
    """The `caption` (else `description`) of every schema.org ImageObject, nested ones included (an article's
    `image`, `associatedMedia`)."""
    captions: list[str] = []

    def walk(value, depth: int) -> None:
        if depth > 4:
            return
        if isinstance(value, list):
            for item in value:
                walk(item, depth + 1)
        elif isinstance(value, dict):
            if "ImageObject" in types_of(value):
                text = value.get("caption") or value.get("description")
                if isinstance(text, str) and text.strip():
                    captions.append(text)
            for key, item in value.items():
                if key != "@graph" and isinstance(item, dict | list):
                    walk(item, depth + 1)

    for obj in objects:
        walk(obj, 0)
    return captions
