"""The tree helpers that stand in for slower equivalents (crawler/extract/dom.py): the page parsed as trafilatura
parses it, and the meta tags read once."""

from __future__ import annotations

import pytest
from lxml import etree, html
from trafilatura.utils import load_html

from crawler.extract.dom import Metas, page_elements, parse_html

PAGES = [
    "<!DOCTYPE html><html><head><title>T</title></head><body><p>Một đoạn văn.</p></body></html>",
    # an encoding declaration in a text: lxml refuses the text, both parse its bytes
    '<?xml version="1.0" encoding="utf-8"?><html><body><form action="/s"><label>Q</label><input name="q">'
    "<select name='s'><option>a</option></select><textarea>t</textarea></form></body></html>",
    "<html/>\n<body><p>self-closing html repaired</p></body>",
    "<p>a lone fragment</p>",  # not HTML: rejected by both
    "<div>two</div><div>blocks</div>",
]


@pytest.mark.parametrize("text", PAGES)
def test_parse_html_gives_trafilaturas_tree_and_element_classes(text: str) -> None:
    ours, theirs = parse_html(text), load_html(text)
    assert (ours is None) == (theirs is None)
    if ours is None:
        return
    assert etree.tostring(ours) == etree.tostring(theirs)
    assert [type(e) for e in ours.iter()] == [type(e) for e in theirs.iter()]
    assert isinstance(ours, html.HtmlElement)


def test_form_elements_keep_their_lxml_html_classes() -> None:
    form = next(parse_html(PAGES[1]).iter("form"))  # the page's one block: lxml.html gives it as the root
    assert isinstance(form, html.FormElement)
    assert isinstance(next(form.iter("input")), html.InputElement)
    assert form.inputs["q"].name == "q"


def test_metas_contents_by_any_name_in_page_order() -> None:
    tree = parse_html(
        "<html><head><meta property=' OG:Title ' content='  First\u00a0title '><meta name='author' content='A'>"
        "<meta itemprop='og:title' content='Second'><meta name='og:title' content='   '><meta name='og:title'>"
        "</head><body><meta name='author' content='B, C'></body></html>"
    )
    metas = Metas(tree)
    assert metas.contents("og:title") == ["First title", "Second"]
    assert metas.contents("AUTHOR", "dc.creator") == ["A", "B, C"]
    assert metas.contents("description") == []


def test_page_elements_are_what_xpath_selects_from_any_node() -> None:
    tree = parse_html("<html><body><div class='a'><p>x<br>y</p></div><span>z</span></body></html>")
    everything = etree.XPath("//*")(tree)
    assert list(page_elements(tree)) == everything
    assert list(page_elements(tree.find(".//p"))) == everything
