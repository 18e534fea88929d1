"""The generic caption, credit and body rules of the extractor, each on a small page written for its test."""

from __future__ import annotations

import pytest

from crawler.extract import extract_article, split_credit

BODY = "".join(
    f"<p>Paragraph {n} of the article tells the story at some length, so that the page reads as a real article"
    f" and the extractor keeps it as the text of the page.</p>"
    for n in range(1, 6)
)


def article_page(inside: str, head: str = "", after: str = "") -> bytes:
    """A page with a headline, `inside` between the first paragraphs of the article, `after` below them."""
    first, rest = BODY.split("</p>", 1)
    return (
        f"<html><head><title>A headline for the test</title>{head}</head><body><article>"
        f"<h1>A headline for the test</h1>{first}</p>{inside}{rest}{after}</article></body></html>"
    ).encode()


def captions_of(body: bytes) -> list[tuple[str, str | None]]:
    return [(c.text, c.credit) for c in extract_article(body, "https://news.example/story.html").captions]


@pytest.mark.parametrize(
    ("caption", "text", "credit"),
    [
        # a parenthesised credit at the end keeps neither its brackets nor the full stop after them
        ("Người dân xếp hàng chờ mua vé (Ảnh: Minh Châu).", "Người dân xếp hàng chờ mua vé", "Ảnh: Minh Châu"),
        ("The bridge at night (Photo: Ann Lee).", "The bridge at night", "Photo: Ann Lee"),
        ("A quay in the rain (Credit: Port (archive))", "A quay in the rain", "Credit: Port (archive)"),
        # marker words of other languages, kept with the credit as written
        ("La plaza mayor al amanecer. Fotografía: Luis Gómez", "La plaza mayor al amanecer.", "Fotografía: Luis Gómez"),
        ("Het nieuwe stadhuis. Beeld: ANP", "Het nieuwe stadhuis.", "Beeld: ANP"),
        ("Rynek w Krakowie. Fot. Anna Nowak", "Rynek w Krakowie.", "Fot. Anna Nowak"),
        ("Pasar pagi di kota. Sumber: Dinas Pasar", "Pasar pagi di kota.", "Sumber: Dinas Pasar"),
        ("Le port au matin. Crédit photo : Paul Martin", "Le port au matin.", "Crédit photo : Paul Martin"),
        ("Il ponte vecchio. Foto di Marco Bianchi", "Il ponte vecchio.", "Foto di Marco Bianchi"),
        ("항구의 아침 풍경. 사진=해양신문", "항구의 아침 풍경.", "사진=해양신문"),
        ("港の朝。写真：港湾新聞", "港の朝。", "写真：港湾新聞"),
        ("A quiet street (Photo courtesy of Jane Roe)", "A quiet street", "Photo courtesy of Jane Roe"),
        # a marker word the list does not know, before an agency: the word goes with the credit, not the caption
        ("Rathaus am Abend. Lichtbild: AP", "Rathaus am Abend.", "Lichtbild: AP"),
        # a marker in another language than the caption's
        ("Ông Trần Văn Bình phát biểu. Photo: Lan Anh", "Ông Trần Văn Bình phát biểu.", "Photo: Lan Anh"),
        # dash-separated credits
        ("Harbour cranes at dawn – Photo by Sam Ortiz", "Harbour cranes at dawn", "Photo by Sam Ortiz"),
        ("Harbour cranes at dawn - Getty Images", "Harbour cranes at dawn", "Getty Images"),
        # a sentence with a colon is not a credit
        ("The mayor said: we will rebuild the bridge", "The mayor said: we will rebuild the bridge", None),
    ],
)
def test_split_credit_rules(caption: str, text: str, credit: str | None):
    assert split_credit(caption) == (text, credit)


def test_credit_element_in_brackets_is_kept_without_them():
    figure = (
        '<figure><img src="/a.jpg"><figcaption>Boats in the old harbour'
        ' <span class="photo-credit">(Ảnh: Minh Châu).</span></figcaption></figure>'
    )
    assert captions_of(article_page(figure)) == [("Boats in the old harbour", "Ảnh: Minh Châu")]
