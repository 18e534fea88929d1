"""JSON-LD on the page: its objects (`@graph` flattened), their types, the article objects, the names in a value."""

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
