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
        ("The old town hall. Jane Roe / Reuters file", "The old town hall.", "Jane Roe / Reuters file"),
        # two marker words
        ("Boats at the quay. Image Credits: Port Authority", "Boats at the quay.", "Image Credits: Port Authority"),
        # a sentence with a colon is not a credit
        ("The mayor said: we will rebuild the bridge", "The mayor said: we will rebuild the bridge", None),
        # a name in brackets after the last sentence; not a letter, a year or a word in lower case
        ("The villa was sold last year. (Harbour Estates)", "The villa was sold last year.", "Harbour Estates"),
        ("Jane Roe (R) with her coach", "Jane Roe (R) with her coach", None),
        ("The old plan. (2019)", "The old plan. (2019)", None),
        ("The mayor and his deputy. (left)", "The mayor and his deputy. (left)", None),
        # a compound marker word, a marker word without a colon before an agency
        ("Boote im Hafen. Symbolbild: Max Muster", "Boote im Hafen.", "Symbolbild: Max Muster"),
        ("Il porto vecchio. Foto ANSA", "Il porto vecchio.", "Foto ANSA"),
        # markers of more languages: a graphic in Vietnamese, a photo in Hindi, supplied by / shot by in CJK
        ("Lộ trình tàu điện. Đồ họa: Minh Hà", "Lộ trình tàu điện.", "Đồ họa: Minh Hà"),
        ("बंदरगाह की सुबह। फोटो: राम शर्मा", "बंदरगाह की सुबह।", "फोटो: राम शर्मा"),
        ("港の朝（港湾局提供）", "港の朝", "港湾局提供"),
        ("港口的早晨（记者 王明 摄）", "港口的早晨", "记者 王明 摄"),
    ],
)
def test_split_credit_rules(caption: str, text: str, credit: str | None):
    assert split_credit(caption) == (text, credit)


@pytest.mark.parametrize(
    ("block", "expected"),
    [
        # a credit element in brackets is kept without them
        (
            '<figure><img src="/a.jpg"><figcaption>Boats in the old harbour'
            ' <span class="photo-credit">(Ảnh: Minh Châu).</span></figcaption></figure>',
            [("Boats in the old harbour", "Ảnh: Minh Châu")],
        ),
        # the element after a figure without figcaption, repeating the image's alt text
        (
            '<figure><picture><source srcset="/img/market.webp 1x"><img alt="Stalls of the night market on the'
            ' river bank" src="/img/market.jpg"></picture></figure>'
            "<p>Stalls of the night market on the river bank (Ảnh: Minh Châu).</p>",
            [("Stalls of the night market on the river bank", "Ảnh: Minh Châu")],
        ),
        # the description of a microdata ImageObject
        (
            '<div itemscope itemtype="https://schema.org/ImageObject"><img src="/img/wall.jpg">'
            '<span itemprop="description">Volunteers repaint the harbour wall</span></div>',
            [("Volunteers repaint the harbour wall", None)],
        ),
        # a credit in a figcaption of its own
        (
            '<figure><img src="/img/quay.jpg"><figcaption>Boats moored at the old quay</figcaption>'
            "<figcaption><strong>Photo credit:</strong> Harbour Office</figcaption></figure>",
            [("Boats moored at the old quay", "Photo credit: Harbour Office")],
        ),
        # a figure without a caption element: its one block of text beside the photo, repeating the alt text
        (
            '<figure><div class="pic"><img src="/img/dam.jpg" alt="The old dam after the storm"></div>'
            '<div class="txt"><span>The old dam after the storm</span></div>'
            '<span class="photo-credit">Photo: Ann Lee</span></figure>',
            [("The old dam after the storm", "Photo: Ann Lee")],
        ),
        # a figure without a caption element whose text ends in a credit
        (
            '<figure><img src="/img/pier.jpg"><div>Fishing boats return to the pier. Foto: Jan Berg</div></figure>',
            [("Fishing boats return to the pier.", "Foto: Jan Berg")],
        ),
        # a photo laid out in a table without caption classes: the image's cell, the caption's cell below
        (
            '<table><tbody><tr><td><img src="/img/lion.jpg"></td></tr>'
            "<tr><td><p>Lion dancers open the street festival</p></td></tr></tbody></table>",
            [("Lion dancers open the street festival", None)],
        ),
        # the element after an image repeating its alt text exactly, however short
        (
            '<div class="pic"><img src="/img/gold.jpg" alt="Gold rings"></div><div><span>Gold rings</span></div>',
            [("Gold rings", None)],
        ),
        # a photo block of a CMS whose classes say nothing: the block after the image, ending in a credit
        (
            '<div type="Photo"><div><img src="/img/parade.jpg"></div>'
            "<div><p>Đoàn diễu hành trên phố chính. Ảnh: Hoàng Nam</p></div></div>",
            [("Đoàn diễu hành trên phố chính.", "Ảnh: Hoàng Nam")],
        ),
        # the credit the image's title adds after the caption
        (
            '<figure><img src="/img/goal.jpg" title="The striker celebrates his goal | Agency/Jane Roe">'
            "<figcaption>The striker celebrates his goal</figcaption></figure>",
            [("The striker celebrates his goal", "Agency/Jane Roe")],
        ),
    ],
)
def test_caption_layouts(block: str, expected: list[tuple[str, str | None]]):
    assert captions_of(article_page(block)) == expected


def test_caption_in_small_type_right_after_a_lazy_image():
    block = (
        '<div class="media"><img src="data:image/gif;base64,R0lGOD" data-src="/img/ferry.jpg"></div>'
        "<p><em>The morning ferry leaves the pier. Photo: Ann Lee</em></p>"
    )
    article = extract_article(article_page(block), "https://news.example/story.html")
    assert [(c.text, c.credit, c.image_url) for c in article.captions] == [
        ("The morning ferry leaves the pier.", "Photo: Ann Lee", "https://news.example/img/ferry.jpg")
    ]
    assert "The morning ferry leaves the pier. Photo: Ann Lee" in article.text.split("\n\n")


def test_element_after_an_image_repeating_the_json_ld_caption():
    jsonld = (
        '<script type="application/ld+json">{"@type": "NewsArticle", "headline": "A headline for the test",'
        ' "image": {"@type": "ImageObject", "url": "https://news.example/img/dam.jpg",'
        ' "caption": "Water pours over the old dam after the storm"}}</script>'
    )
    block = '<div><img src="/img/dam.jpg"></div><div>Water pours over the old dam after the storm</div>'
    assert captions_of(article_page(block, head=jsonld)) == [("Water pours over the old dam after the storm", None)]


@pytest.mark.parametrize(
    "block",
    [
        # an image followed by the next paragraph of the text
        '<div class="media"><img src="/img/a.jpg" alt="A view"></div><p>The council met on Monday to decide.</p>',
        # a teaser: the image and its title in a link to another page
        '<a href="/other-story.html"><img src="/img/b.jpg"></a><em>Read the other story about ferries</em>',
        # a teaser figure: a label and another story's headline beside its image
        '<figure class="inline-box"><div>Read also</div><div><img src="/img/c.jpg" width="200" height="200"></div>'
        "<div>The ferries of the north run again from Monday</div></figure>",
    ],
)
def test_what_is_not_a_caption(block: str):
    assert captions_of(article_page(block)) == []


def test_pull_quote_attribution_is_not_a_caption():
    section = (
        '<section><div><img src="/img/bridge.jpg"><p class="caption">The bridge before the flood</p></div>'
        "<div><figure><blockquote><p>We will rebuild the bridge.</p></blockquote></figure>"
        "<figcaption>Mayor Jane Roe</figcaption></div></section>"
    )
    assert captions_of(article_page(section)) == [("The bridge before the flood", None)]


def test_boilerplate_boxes_inside_the_article_are_not_its_text():
    boxes = (
        '<div class="block inlineNewsletterForm"><p>Get the best stories of the week in your inbox every Friday'
        " morning, free of charge.</p><p>Enter your e-mail address</p></div>"
        '<div class="block toolsShareBar"><p>Share this story with your friends and family everywhere</p></div>'
        '<div class="block writerBioCard"><p>Sam Ortiz has covered the harbour and its ferries for twenty years and'
        " lives by the river.</p></div>"
    )
    text = extract_article(article_page(boxes), "https://news.example/story.html").text
    assert "Paragraph 5 of the article" in text
    assert "inbox" not in text and "Share this story" not in text and "twenty years" not in text


def test_article_in_a_box_named_like_boilerplate_keeps_its_text():
    page = (
        "<html><head><title>A headline for the test</title></head><body>"
        f'<div class="social-layout"><h1>A headline for the test</h1>{BODY}</div></body></html>'
    ).encode()
    text = extract_article(page, "https://news.example/story.html").text
    assert all(f"Paragraph {n} of the article" in text for n in range(1, 6))


def test_alt_text_repeating_the_description_is_no_evidence_of_a_caption():
    description = "The council approved the new harbour plan on Monday evening"
    head = f'<meta name="description" content="{description}.">'
    image = f'<div class="hero"><img src="/img/harbour.jpg" alt="{description}"></div>'
    block = f"{image}<p>{description}, after a long debate.</p>"
    article = extract_article(article_page(block, head=head), "https://news.example/story.html")
    assert article.captions == []


@pytest.mark.parametrize(
    "block",
    [
        # an icon or an avatar: the page sizes the image at most 100 pixels both ways
        '<figure><img src="/img/pen.png" width="48" height="48"><figcaption>Written by our harbour desk'
        "</figcaption></figure>",
        # a promotion: the image and most of its caption link to a page on another site
        '<figure><a href="https://shop.example.org/magazine"><img src="/img/cover.jpg"></a><figcaption>'
        '<a href="https://shop.example.org/magazine">Subscribe to our sister magazine</a> for more stories'
        "</figcaption></figure>",
        # a card: the caption holds a linked headline of its own (a video, another story)
        '<figure><img src="/img/clip.jpg"><figcaption><h4><a href="/videos/clip">Harbour cranes in the storm</a>'
        "</h4><p>Watch the cranes sway in the wind.</p></figcaption></figure>",
    ],
)
def test_captions_of_what_is_not_a_photo_of_the_article(block: str):
    assert captions_of(article_page(block)) == []


def test_teaser_whose_caption_is_the_title_of_a_link_to_another_page():
    teaser = '<figure><img src="/img/ferry.jpg"><figcaption>New ferry timetable starts in May</figcaption></figure>'
    related = '<ul><li><a href="/ferry-timetable.html">New ferry timetable starts in May</a></li></ul>'
    assert captions_of(article_page(teaser, after=related)) == []


@pytest.mark.parametrize(
    "block",
    [
        # a photo linking to its source with only its credit linked too
        '<figure><a href="https://space.example.org/images/42"><img src="/img/map.jpg" width="700"></a><figcaption>'
        'The first map of the moon. (<a href="https://space.example.org/images/42">Space Agency</a>)</figcaption>'
        "</figure>",
        # a large image (sized by the page) and a caption with a heading that links nowhere
        '<figure><img src="/img/map.jpg" width="700" height="400"><figcaption><h2>The first map of the moon.</h2>'
        "</figcaption></figure>",
    ],
)
def test_photos_of_the_article_stay_captioned(block: str):
    captions = captions_of(article_page(block))
    assert len(captions) == 1 and captions[0][0].startswith("The first map of the moon.")


def test_paragraphs_that_are_wholly_links_to_other_pages_are_not_the_text():
    related = (
        '<p><a href="/ferries-return.html">The night ferries return to the harbour next week</a></p>'
        '<p><strong><a href="https://app.example.org/">Get the harbour news app on your phone</a></strong></p>'
        '<p>The mayor <a href="/mayor.html">Jane Roe</a> opened the new pier on Monday morning with a speech.</p>'
    )
    text = extract_article(article_page(related), "https://news.example/story.html").text
    assert "opened the new pier" in text and "Paragraph 5 of the article" in text
    assert "night ferries" not in text and "harbour news app" not in text


def test_profile_caption_selector_names_what_the_generic_rules_do_not_know():
    from crawler.sites import SiteProfile

    block = '<div class="pv-box"><img src="/img/quay.jpg"></div><div class="pv-note">The quay at dawn</div>'
    body = article_page(block)
    assert captions_of(body) == []  # no caption markup, no credit, no alt text: no evidence of a caption
    profile = SiteProfile(selectors={"captions": "div.pv-note"})
    article = extract_article(body, "https://news.example/story.html", profile=profile)
    assert [(c.text, c.image_url) for c in article.captions] == [
        ("The quay at dawn", "https://news.example/img/quay.jpg")
    ]


def test_lead_photo_above_the_headline_inside_the_article():
    """A lead photo in a slide show (which the text extraction leaves out) above the headline, in the article:
    its caption is the article's, found once (the lightbox's copy is the same photo's caption again)."""
    hero = (
        '<div class="image-slider"><figure><div class="zoom"><img src="/img/hero.jpg">'
        '<div class="lightbox-caption">The harbour at night</div></div>'
        "<figcaption>The harbour at night</figcaption></figure></div>"
    )
    body = article_page("").replace(b"<article>", f"<article>{hero}".encode())
    assert captions_of(body) == [("The harbour at night", None)]
    above_the_article = article_page("").replace(b"<article>", f"{hero}<article>".encode())
    assert captions_of(above_the_article) == []


def test_site_name_the_alt_texts_end_with_is_not_a_credit():
    head = '<meta property="og:site_name" content="Harbour Daily">'
    block = (
        '<figure><img src="/img/pier.jpg" alt="The new pier opens - {}"><figcaption>The new pier opens'
        "</figcaption></figure>"
    )
    assert captions_of(article_page(block.format("Harbour Daily"), head=head)) == [("The new pier opens", None)]
    credited = captions_of(article_page(block.format("Jane Roe"), head=head))
    assert credited == [("The new pier opens", "Jane Roe")]


def test_lazy_image_in_any_data_attribute():
    block = (
        '<figure><div class="photo" data-hires="/img/storm.jpg?w=800"></div>'
        "<figcaption>Waves break over the sea wall</figcaption></figure>"
    )
    article = extract_article(article_page(block), "https://news.example/story.html")
    assert [(c.text, c.image_url) for c in article.captions] == [
        ("Waves break over the sea wall", "https://news.example/img/storm.jpg?w=800")
    ]


def test_one_photo_shown_twice_has_one_caption_two_photos_with_one_caption_have_two():
    figure = '<figure><img src="/img/{}?w={}"><figcaption>Delegates at the conference</figcaption></figure>'
    twice = figure.format("hall.jpg", 1200) + "<p>Between the two copies.</p>" + figure.format("hall.jpg", 600)
    assert captions_of(article_page(twice)) == [("Delegates at the conference", None)]
    two_photos = figure.format("hall.jpg", 1200) + "<p>Between the two photos.</p>" + figure.format("stage.jpg", 1200)
    assert captions_of(article_page(two_photos)) == [("Delegates at the conference", None)] * 2
