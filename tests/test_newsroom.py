"""Tests of the newsroom site: determinism, the seed article page, discovery files and every awkward case."""

from __future__ import annotations

import gzip
import http.client
import re
import struct
import unicodedata
from collections import Counter
from datetime import timedelta
from email.utils import format_datetime, parsedate_to_datetime
from urllib.parse import urlsplit

import feedparser
import pytest
from parsel import Selector
from protego import Protego
from scrapy.utils.sitemap import Sitemap, sitemap_urls_from_robots

from crawler.newsroom import CATEGORIES, SEED_PUBLISHED, SEED_TEXT, Newsroom, Response, serve
from crawler.newsroom.seed import SeedFormatError, classify_block, parse_header
from crawler.newsroom.site import PHOTO_HEIGHT, PHOTO_WIDTH, encode_windows_1258, section_sitemap_path
from crawler.newsroom.templates import onecms_meta_date, vnexpress_date

BASE = "http://127.0.0.1:8000"
MEDIA = "http://127.0.0.2:8000"  # the newsroom's image host, on the site's port


@pytest.fixture(scope="module")
def site() -> Newsroom:
    # Shared by read-only tests; its flaky page never fails, so no test depends on which one fetches it first.
    return Newsroom(articles=24, seed=3, page_size=4, flaky_failures=0)


def get(newsroom: Newsroom, path: str, base: str = BASE, **headers: str) -> Response:
    return newsroom.handle("GET", path, {k.replace("_", "-"): v for k, v in headers.items()}, base)


def header(response: Response, name: str) -> str | None:
    return next((v for k, v in response.headers if k.lower() == name.lower()), None)


def html(newsroom: Newsroom, path: str) -> Selector:
    response = get(newsroom, path)
    assert response.status == 200, path
    return Selector(text=response.body.decode("utf-8"))


def words(text: str) -> str:
    return " ".join(unicodedata.normalize("NFC", text).split())


# --- determinism and size -------------------------------------------------------------------------------------------


def test_same_seed_gives_same_bytes_and_another_seed_another_site():
    first, second, other = Newsroom(articles=12, seed=5), Newsroom(articles=12, seed=5), Newsroom(articles=12, seed=6)
    paths = ["/", "/sitemap.xml", "/sitemaps/news.xml", "/rss/tin-moi.rss", "/tin-moi", first.stories[3].path]
    for path in paths:
        assert get(first, path).body == get(second, path).body, path
    assert [s.path for s in first.stories] != [s.path for s in other.stories]


def test_a_story_does_not_depend_on_the_number_of_articles():
    small, large = Newsroom(articles=10, seed=2), Newsroom(articles=40, seed=2)
    story_id = small.case_stories["edited"].id
    assert small.story(story_id) == large.story(story_id)
    assert len(large.stories) == 40 + 2  # the syndicated copy and the near-duplicate are pages of their own


def test_dates_spread_before_the_reference_time(site):
    regular = [s for s in site.stories if s.id != site.seed_story.id]
    assert all(timedelta(0) <= site.reference - s.published <= timedelta(days=site.days) for s in regular)
    assert len({s.published.date() for s in regular}) > 5


def test_generated_stories_are_nfc_vietnamese_with_figures_and_leads(site):
    for headline in site.stories:
        story = site.story(headline.id)
        texts = [story.title, story.lead, story.author, *story.tags, *(b.text for b in story.blocks)]
        assert all(unicodedata.is_normalized("NFC", t) for t in texts), story.path
        assert re.match(r"(Sáng|Trưa|Chiều|Tối) \d{1,2}/\d{1,2}, ", story.lead), story.path
        assert story.blocks[0].kind != "h2" and story.blocks[-1].kind != "h2"
        assert any(b.kind == "figure" and b.credit for b in story.blocks)
    assert "ệ" in "".join(site.story(s.id).text_form() for s in site.stories[:3])


@pytest.mark.parametrize("articles", [0, 9, 80_001])
def test_article_count_out_of_range_is_refused(articles):
    with pytest.raises(ValueError, match="articles must be between"):
        Newsroom(articles=articles)


# --- the seed article -----------------------------------------------------------------------------------------------


def test_seed_story_round_trips_to_the_seed_text(site):
    story = site.seed_story
    assert story.text_form() == SEED_TEXT
    assert site.seed_path == story.path == Newsroom(articles=10, seed=99).seed_path
    assert story.category.name == "Thời sự"
    assert story.title == (
        "Đảng ủy các cơ quan Đảng tỉnh Nghệ An quán triệt, triển khai Nghị quyết Đại hội đại biểu lần thứ I"
    )
    assert story.lead.startswith("Sáng 18/9, Đảng ủy")
    assert [b.text for b in story.blocks if b.kind == "h2"] == [
        "Khâu then chốt để đưa Nghị quyết vào cuộc sống",
        "Đổi mới việc cụ thể hóa nghị quyết",
    ]
    figures = [b for b in story.blocks if b.kind == "figure"]
    assert len(figures) == SEED_TEXT.count(" Ảnh: ") == 9 and {b.credit for b in figures} == {"Thành Duy"}
    assert re.fullmatch(r"/thoi-su/dang-uy-cac-co-quan-dang-tinh-nghe-an-quan-triet-[a-z0-9-]+-\d{8}\.html", story.path)


def test_seed_page_contains_every_block_in_order(site):
    page = html(site, site.seed_story.path)
    entry = page.css("article.entry")
    assert entry.css("h1.sc-longform-header-title::text").get() == site.seed_story.title
    assert entry.css("span.sc-longform-header-cate::text").get() == "Thời sự"
    assert entry.css("span.sc-longform-header-date::text").get() == "18/09/2025 - 10:02"
    assert entry.css("p.sc-longform-header-sapo::text").get() == site.seed_story.lead
    assert page.css('meta[property="article:published_time"]::attr(content)').get() == "9/18/2025 10:02:00 AM"
    assert page.css('meta[property="article:section"]::attr(content)').get() == "Thời sự"
    assert page.css('link[rel="canonical"]::attr(href)').get() == BASE + site.seed_story.path
    blocks = []
    for node in entry.xpath("./p[not(@class)] | ./h2 | ./figure"):
        text = words(
            " ".join(node.xpath(".//figcaption//text()" if node.root.tag == "figure" else ".//text()").getall())
        )
        blocks.append(text)
    assert blocks == [words(chunk) for chunk in SEED_TEXT.split("\n\n")[1:]]
    lazy = entry.css("figure img[data-src]")
    assert lazy and all(img.attrib["data-src"].endswith(".png") for img in lazy)
    assert entry.css("figcaption p.Image")


def test_seed_page_has_the_platform_furniture(site):
    page = html(site, site.seed_story.path)
    assert page.css("ol.breadcrumb li a::text").getall() == ["Trang chủ", "Thời sự"]
    assert page.css("div.oneads")
    assert page.css("div.c-tags a::text").getall() == list(site.seed_story.tags)
    assert page.css("div.c-related figure figcaption")  # related news carry captions of their own
    assert '"@type": "NewsArticle"' in page.css('script[type="application/ld+json"]::text').get()
    assert page.css("header nav a::text").getall()[2:] == [c.name for c in CATEGORIES]


def test_header_parsing_errors_are_clear():
    with pytest.raises(SeedFormatError, match="date YYYY-MM-DD"):
        parse_header("2025-09-18 Thời sự Tiêu đề")
    with pytest.raises(SeedFormatError, match="no known section"):
        parse_header("date 2025-09-18 Chuyên mục lạ Tiêu đề Sáng 1/9, nội dung.")
    with pytest.raises(SeedFormatError, match="title from the lead"):
        parse_header("date 2025-09-18 Thời sự Tiêu đề không có phần mở đầu")
    assert classify_block("Các đại biểu dự hội nghị. Ảnh: Thành Duy").credit == "Thành Duy"
    assert classify_block("Đổi mới việc cụ thể hóa nghị quyết").kind == "h2"


def test_date_formats_of_the_platforms():
    assert onecms_meta_date(SEED_PUBLISHED.replace(hour=22, minute=17, second=1)) == "9/18/2025 10:17:01 PM"
    assert onecms_meta_date(SEED_PUBLISHED.replace(hour=0, minute=5)) == "9/18/2025 12:05:00 AM"
    assert vnexpress_date(SEED_PUBLISHED) == "Thứ năm, 18/9/2025, 10:02 (GMT+7)"


# --- discovery ------------------------------------------------------------------------------------------------------


def test_robots_names_sitemaps_and_disallows(site):
    text = get(site, "/robots.txt").body
    assert list(sitemap_urls_from_robots(text, BASE)) == [BASE + "/sitemap.xml", BASE + "/sitemaps/news.xml"]
    robots = Protego.parse(text.decode())
    assert not robots.can_fetch(site.cases["disallowed"].url(BASE), "newsarchive")
    assert not robots.can_fetch(BASE + "/tim-kiem?q=lũ", "newsarchive")
    assert robots.can_fetch(BASE + site.seed_story.path, "newsarchive")


def _sitemap(site: Newsroom, url: str) -> Sitemap:
    response = get(site, urlsplit(url).path)
    assert response.status == 200
    body = response.body
    if url.endswith(".gz"):
        assert header(response, "Content-Type") == "application/gzip" and body[:2] == b"\x1f\x8b"
        body = gzip.decompress(body)
    return Sitemap(body)


def test_sitemaps_list_every_article_with_lastmod(site):
    index = _sitemap(site, "/sitemap.xml")
    assert index.type == "sitemapindex"
    locations = [entry["loc"] for entry in index]
    assert any(loc.endswith(".xml.gz") for loc in locations) and any(loc.endswith("/thoi-su.xml") for loc in locations)
    found = set()
    for loc in locations:
        sitemap = _sitemap(site, loc)
        assert sitemap.type == "urlset"
        for entry in sitemap:
            assert entry["lastmod"]
            found.add(entry["loc"])
    assert {BASE + s.path for s in site.stories} <= found
    assert site.cases["not_found"].url(BASE) in found and site.cases["video"].url(BASE) in found


def test_news_sitemap_has_publication_dates(site):
    root = Selector(text=get(site, "/sitemaps/news.xml").body.decode(), type="xml")
    root.register_namespace("n", "http://www.google.com/schemas/sitemap-news/0.9")
    dates = root.xpath("//n:publication_date/text()").getall()
    assert len(dates) >= 10 and all(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+07:00", d) for d in dates)


def test_feeds_parse(site):
    for path in ["/rss/tin-moi.rss", *(f"/rss/{c.slug}.rss" for c in CATEGORIES)]:
        feed = feedparser.parse(get(site, path).body)
        assert not feed.bozo and feed.version == "rss20", path
    latest = feedparser.parse(get(site, "/rss/tin-moi.rss").body)
    assert latest.entries[0].link == BASE + site.stories[0].path
    assert latest.entries[0].published.endswith("+0700")
    atom = feedparser.parse(get(site, "/atom.xml").body)
    assert atom.version == "atom10" and len(atom.entries) == len(latest.entries)


def test_listings_paginate_with_rel_next(site):
    section = max(CATEGORIES, key=lambda c: len(site.section(c)))
    pages = -(-len(site.section(section)) // site.page_size)
    assert pages >= 2
    first = html(site, f"/{section.slug}")
    next_link = first.css('a[rel="next"]')
    assert next_link.css("::text").get() == "Trang sau"
    assert next_link.attrib["href"] == f"{BASE}/{section.slug}?page=2"
    assert first.css('link[rel="next"]::attr(href)').get() == f"{BASE}/{section.slug}?page=2"
    last = html(site, f"/{section.slug}?page={pages}")
    assert not last.css('a[rel="next"]') and last.css('a[rel="prev"]')
    listed = []
    for number in range(1, pages + 1):
        listed += html(site, f"/{section.slug}?page={number}").css(".c-list-news h3 a::attr(href)").getall()
    assert listed == [BASE + s.path for s in site.section(section)]
    assert get(site, f"/{section.slug}?page={pages + 1}").status == 404


def test_home_links_sections_latest_and_cases(site):
    page = html(site, "/")
    links = set(page.css("a::attr(href)").getall())
    assert {f"{BASE}/{c.slug}" for c in CATEGORIES} <= links
    assert BASE + site.stories[0].path in links
    for name in ("tracking", "not_found", "disallowed", "redirect_301"):
        assert site.cases[name].url(BASE) in links, name


# --- awkward cases --------------------------------------------------------------------------------------------------


def test_amp_copy_points_to_the_article(site):
    case = site.cases["amp"]
    page = html(site, case.path)
    assert page.css('link[rel="canonical"]::attr(href)').get() == case.target_url(BASE)
    assert page.css("html[amp]")
    article = html(site, case.target)
    assert article.css('link[rel="amphtml"]::attr(href)').get() == case.url(BASE)
    assert page.css("article.entry p::text").getall() == article.css("article.entry p::text").getall()


@pytest.mark.parametrize("name,status", [("redirect_301", 301), ("redirect_302", 302)])
def test_redirects_lead_to_the_article(site, name, status):
    case = site.cases[name]
    response = get(site, case.path)
    assert response.status == status
    assert header(response, "Location") == case.target_url(BASE)
    assert get(site, case.target).status == 200


def test_tracking_parameters_serve_the_clean_article(site):
    case = site.cases["tracking"]
    assert "utm_source=" in case.path and "fbclid=" in case.path
    assert get(site, case.path).body == get(site, case.target).body


def test_syndicated_copy_has_the_same_body_under_another_title(site):
    case = site.cases["syndicated"]
    copy, original = site.story_at(case.path), site.story_at(case.target)
    assert copy.layout == "vnexpress" and copy.title.endswith(original.title) and copy.title != original.title
    page = html(site, case.path)
    body = [words(t) for t in page.css("article.fck_detail p.Normal::text").getall()]
    assert body[: len(original.blocks)] == [words(b.text) for b in original.blocks if b.kind == "p"][: len(body)]
    assert site.expected_record(case.path, BASE)["text"] == site.expected_record(case.target, BASE)["text"]


def test_near_duplicate_has_one_extra_paragraph(site):
    case = site.cases["near_duplicate"]
    copy, original = site.story_at(case.path), site.story_at(case.target)
    assert copy.blocks[:-1] == original.blocks and copy.blocks[-1].kind == "p"
    assert copy.path != original.path


def test_not_found_is_linked_and_answers_404(site):
    case = site.cases["not_found"]
    assert get(site, case.path).status == 404
    assert case.url(BASE) in html(site, "/tin-moi").css("a::attr(href)").getall()


def test_flaky_page_fails_once_then_succeeds():
    newsroom = Newsroom(articles=10, flaky_failures=1)
    case = newsroom.cases["flaky"]
    first, second = get(newsroom, case.path), get(newsroom, case.path)
    assert (first.status, header(first, "Retry-After"), second.status) == (503, "1", 200)


def test_pages_that_are_not_articles(site):
    video = html(site, site.cases["video"].path)
    assert video.css("video") and not video.css("article p")
    assert re.search(r"-\d{5,}\.html$", site.cases["video"].path)  # looks like an article URL all the same
    assert video.css('meta[property="og:type"]::attr(content)').get() == "video.other"
    contact = html(site, "/lien-he")
    assert contact.css("h1::text").get() == "Liên hệ" and not contact.css("article")
    assert contact.css('meta[property="og:type"]::attr(content)').get() == "website"


def test_edited_article_changes_body_validators_and_sitemap():
    newsroom = Newsroom(articles=10)
    case = newsroom.cases["edited"]
    before = get(newsroom, case.path)
    section_sitemap = section_sitemap_path(newsroom.story_at(case.path).category)
    sitemap_before = get(newsroom, section_sitemap).body
    story_id = newsroom.story_at(case.path).id
    edited = newsroom.edit_article(story_id)
    after = get(newsroom, case.path)
    assert after.body != before.body and header(after, "ETag") != header(before, "ETag")
    assert parsedate_to_datetime(header(after, "Last-Modified")) > parsedate_to_datetime(
        header(before, "Last-Modified")
    )
    assert edited.modified > edited.published and edited.blocks[-1].text.startswith("Cập nhật")
    assert get(newsroom, section_sitemap).body != sitemap_before
    assert get(newsroom, case.path, If_None_Match=header(before, "ETag")).status == 200
    with pytest.raises(ValueError):
        newsroom.edit_article(newsroom.seed_story.id)


def test_nfd_article_is_decomposed(site):
    case = site.cases["nfd"]
    text = get(site, case.path).body.decode()
    story = site.story_at(case.path)
    assert unicodedata.normalize("NFD", story.title) in text and story.title not in text
    assert unicodedata.normalize("NFC", text).count(story.title) >= 2


def test_windows_1258_article_decodes_to_the_story(site):
    case = site.cases["windows_1258"]
    response = get(site, case.path)
    assert header(response, "Content-Type") == "text/html; charset=windows-1258"
    with pytest.raises(UnicodeDecodeError):
        response.body.decode("utf-8")
    page = unicodedata.normalize("NFC", response.body.decode("cp1258"))
    story = site.story_at(case.path)
    assert "charset=windows-1258" in page and story.title in page
    paragraphs = [words("".join(p.css("::text").getall())) for p in Selector(text=page).css("article.entry > p")]
    assert paragraphs == [words(b.text) for b in story.blocks if b.kind == "p"]
    assert encode_windows_1258("Nghệ An").decode("cp1258") == "Nghê\u0323 An"  # base letter + combining dot below


def test_gzip_content_encoding_when_accepted(site):
    plain = get(site, site.seed_story.path)
    packed = get(site, site.seed_story.path, Accept_Encoding="gzip, deflate")
    assert header(plain, "Content-Encoding") is None
    assert header(packed, "Content-Encoding") == "gzip" and gzip.decompress(packed.body) == plain.body
    assert header(packed, "Content-Length") == str(len(packed.body))
    gz_sitemap = next(section_sitemap_path(c) for c in CATEGORIES if section_sitemap_path(c).endswith(".gz"))
    assert header(get(site, gz_sitemap, Accept_Encoding="gzip"), "Content-Encoding") is None


def test_conditional_requests_get_304(site):
    first = get(site, site.seed_story.path)
    etag, modified = header(first, "ETag"), header(first, "Last-Modified")
    assert get(site, site.seed_story.path, If_None_Match=etag).status == 304
    assert get(site, site.seed_story.path, If_Modified_Since=modified).status == 304
    earlier = format_datetime(parsedate_to_datetime(modified).replace(year=2024), usegmt=True)
    assert get(site, site.seed_story.path, If_Modified_Since=earlier).status == 200
    assert get(site, site.seed_story.path, If_Modified_Since="not a date").status == 200


def test_vnexpress_layout(site):
    story = next(s for s in site.stories if s.layout == "vnexpress")
    page = html(site, story.path)
    assert page.css("h1.title-detail::text").get().strip() == story.title
    assert page.css("p.description::text").get() == story.lead
    assert re.fullmatch(
        r"(Thứ \w+|Chủ nhật), \d{1,2}/\d{1,2}/\d{4}, \d\d:\d\d \(GMT\+7\)", page.css("span.date::text").get()
    )
    assert page.css("article.fck_detail p.Normal")
    assert page.css("figure.tplCaption figcaption p.Image")
    author = page.css("p.author_mail strong::text, p.Normal[align=right] strong::text").get()
    assert author == story.author
    assert page.css('meta[name="pubdate"]::attr(content)').get() == story.published.isoformat()
    assert not page.css('meta[property="article:published_time"]')  # a OneCMS habit, not VnExpress's


def test_expected_record_of_an_article(site):
    record = site.expected_record(site.seed_story.path, BASE)
    assert record["text"] == SEED_TEXT.split("\n\n", 1)[1]
    assert record["published_at"] == "2025-09-18T10:02:00+07:00"
    assert record["captions"][0]["credit"] == "Ảnh: Thành Duy" and record["captions"][0]["image_url"].startswith(MEDIA)


# --- the server -----------------------------------------------------------------------------------------------------


@pytest.mark.integration  # serves the newsroom
def test_server_keeps_connections_alive_and_counts_requests():
    newsroom = Newsroom(articles=10)
    with newsroom.serve() as base_url:
        host, port = urlsplit(base_url).hostname, urlsplit(base_url).port
        connection = http.client.HTTPConnection(host, port, timeout=10)
        statuses, sockets = [], []
        for path in ["/robots.txt", newsroom.seed_story.path, newsroom.seed_story.path, "/nowhere"]:
            connection.request("GET", path, headers={"Accept-Encoding": "gzip"})
            response = connection.getresponse()
            response.read()
            statuses.append((response.version, response.status))
            sockets.append(connection.sock)
        assert statuses == [(11, 200), (11, 200), (11, 200), (11, 404)]
        assert all(sock is sockets[0] for sock in sockets)  # one kept-alive connection served them all
        connection.request("HEAD", newsroom.seed_story.path)
        head = connection.getresponse()
        assert head.status == 200 and head.read() == b"" and int(head.getheader("Content-Length")) > 0
        connection.close()
        media = http.client.HTTPConnection(newsroom.media_host, port, timeout=10)  # the image host, same port
        media.request("GET", "/static/newsroom.css")
        assert media.getresponse().read().startswith(b"/*")
        media.close()
    assert newsroom.request_counts("article")[newsroom.seed_story.path] == 3
    assert newsroom.request_counts()["/robots.txt"] == 1
    assert newsroom.request_counts("stylesheet") == {"/static/newsroom.css": 1}
    assert [r.method for r in newsroom.request_log[-2:]] == ["HEAD", "GET"]
    newsroom.reset_requests()
    assert not newsroom.request_counts()


def test_story_at_resolves_the_paths_of_cases(site):
    for name in ("amp", "redirect_301", "redirect_302", "tracking"):
        case = site.cases[name]
        assert site.story_at(case.path) == site.story_at(case.target), name
    with pytest.raises(KeyError):
        site.story_at(site.cases["not_found"].path)


def test_tags_images_and_other_methods(site):
    story = site.seed_story
    tag_page = html(site, "/tag/nghi-quyet-dai-hoi")
    assert BASE + story.path in tag_page.css(".c-list-news a::attr(href)").getall()
    posted = site.handle("POST", "/", {}, BASE)
    assert posted.status == 405 and header(posted, "Allow") == "GET, HEAD"
    assert get(site, "/tag/khong-co-the-nay").status == 404


def test_photos_and_the_stylesheet_come_from_the_image_host(site):
    story = site.seed_story
    page = html(site, story.path)
    figures = [b for b in story.blocks if b.kind == "figure"]
    assert page.css('link[rel="stylesheet"]::attr(href)').getall() == [MEDIA + "/static/newsroom.css"]
    assert page.css('meta[property="og:image"]::attr(content)').get() == MEDIA + figures[0].image
    assert MEDIA + figures[0].image in page.css("figure img::attr(src), figure img::attr(data-src)").getall()
    photos = [get(site, block.image, MEDIA) for block in figures[:2]]
    for photo in photos:
        assert photo.status == 200 and header(photo, "Content-Type") == "image/png"
        assert photo.body.startswith(b"\x89PNG") and photo.body[16:24] == struct.pack(">II", PHOTO_WIDTH, PHOTO_HEIGHT)
    assert photos[0].body != photos[1].body and photos[0].body == get(site, figures[0].image, MEDIA).body
    stylesheet = get(site, "/static/newsroom.css", MEDIA, Accept_Encoding="gzip")
    assert header(stylesheet, "Content-Type") == "text/css; charset=utf-8"
    assert gzip.decompress(stylesheet.body).startswith(b"/*")
    assert b"Disallow: /private/" in get(site, "/robots.txt", MEDIA).body
    assert get(site, story.path, MEDIA).status == 404  # the image host serves no pages
    assert get(site, figures[0].image).status == 404  # and the site no photos
    amp = html(site, site.cases["amp"].path)
    assert not amp.css('link[rel="stylesheet"]') and not amp.css("script:not([type])")


def test_site_profile_tells_articles_from_other_pages(site):
    profile = site.site_profile(BASE)
    assert profile.owns(BASE + "/") and profile.sitemaps == (BASE + "/robots.txt",)
    assert all(profile.is_article_url(BASE + s.path) for s in site.stories)
    assert not profile.is_article_url(BASE + "/thoi-su?page=2")
    assert not profile.is_article_url(site.cases["disallowed"].url(BASE))


def test_command_line_refuses_a_bad_article_count(capsys):
    from crawler.newsroom.__main__ import main

    with pytest.raises(SystemExit):
        main(["--articles", "3"])
    assert "articles must be between" in capsys.readouterr().err


@pytest.mark.integration  # interpreters of their own
def test_bytes_do_not_depend_on_the_interpreter_hash_seed():
    import os
    import subprocess
    import sys

    script = (
        "import hashlib; from crawler.newsroom import Newsroom; n = Newsroom(articles=12, seed=4); "
        "print(hashlib.sha256(b''.join(n.handle('GET', p, {}, 'http://x').body "
        "for p in [s.path for s in n.stories] + ['/', '/sitemap.xml', '/rss/tin-moi.rss'])).hexdigest())"
    )
    digests = {
        subprocess.run(
            [sys.executable, "-c", script],
            env={**os.environ, "PYTHONHASHSEED": str(hash_seed)},
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        for hash_seed in (1, 2)
    }
    assert len(digests) == 1


@pytest.mark.integration  # serves the newsroom
def test_server_answers_concurrent_clients():
    from concurrent.futures import ThreadPoolExecutor

    newsroom = Newsroom(articles=30)
    paths = [s.path for s in newsroom.stories]

    def fetch_all(share: list[str], base_url: str) -> list[int]:
        parts = urlsplit(base_url)
        connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
        statuses = []
        for path in share:
            connection.request("GET", path)
            response = connection.getresponse()
            response.read()
            statuses.append(response.status)
        connection.close()
        return statuses

    with serve(newsroom) as base_url, ThreadPoolExecutor(4) as pool:
        results = list(pool.map(lambda i: fetch_all(paths[i::4], base_url), range(4)))
    statuses = Counter(status for statuses in results for status in statuses)
    assert statuses == {200: len(paths) - 1, 503: 1}  # the flaky article is one of them
    assert sum(newsroom.request_counts("article").values()) == len(paths) - 1
