"""Discovery documents parse into the links a crawl follows."""

import gzip
from datetime import UTC, datetime, timedelta, timezone

import pytest

from crawler.discovery import (
    DiscoveryError,
    Inflater,
    Sitemap,
    listing_links,
    page_number,
    parse_feed,
    parse_iso_datetime,
    sitemaps_from_robots,
)

ICT = timezone(timedelta(hours=7))


def parse_sitemap(body: bytes, url: str = "") -> tuple[Sitemap, list]:
    """The sitemap and its links, read to the end (its `problem` then known)."""
    sitemap = Sitemap(body, url)
    return sitemap, list(sitemap.links)


def gunzip_partial(data: bytes, limit: int = 64 * 1024 * 1024) -> tuple[bytes, str]:
    inflater = Inflater(data, limit)
    return b"".join(inflater), inflater.problem

NEWS_SITEMAP = """<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"
        xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">
  <url>
    <loc>https://baonghean.vn/thoi-su/dang-uy-10305432.html</loc>
    <news:news>
      <news:publication><news:name>Báo Nghệ An</news:name><news:language>vi</news:language></news:publication>
      <news:publication_date>2025-09-18T10:05:00+07:00</news:publication_date>
      <news:title>Đảng ủy các cơ quan Đảng tỉnh</news:title>
    </news:news>
  </url>
  <url><loc>https://baonghean.vn/kinh-te/gia-lua-10305433.html</loc><lastmod>2025-09-19</lastmod></url>
</urlset>""".encode()

INDEX = b"""<?xml version="1.0"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
<sitemap><loc>/sitemaps/2025-09.xml.gz</loc><lastmod>2025-09-30T23:00:00Z</lastmod></sitemap>
<sitemap><loc>https://baonghean.vn/sitemaps/news.xml</loc></sitemap></sitemapindex>"""


def test_news_sitemap_dates_and_urls():
    sitemap, links = parse_sitemap(NEWS_SITEMAP)
    assert not sitemap.is_index
    first, second = links
    assert first.url == "https://baonghean.vn/thoi-su/dang-uy-10305432.html"
    assert first.published == datetime(2025, 9, 18, 10, 5, tzinfo=ICT)
    assert second.modified == datetime(2025, 9, 19, tzinfo=UTC)
    assert second.latest == second.modified


def test_gzipped_sitemap_index_with_relative_locations():
    sitemap, links = parse_sitemap(gzip.compress(INDEX), "https://baonghean.vn/sitemap.xml")
    assert sitemap.is_index
    assert [link.url for link in links] == [
        "https://baonghean.vn/sitemaps/2025-09.xml.gz",
        "https://baonghean.vn/sitemaps/news.xml",
    ]


def test_not_a_sitemap_is_a_clear_error():
    with pytest.raises(DiscoveryError, match="not a sitemap"):
        parse_sitemap(b"<html><body>Trang ch\xe1\xbb\xa7</body></html>")


def test_entities_are_not_expanded():
    bomb = b"""<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;">]>
    <urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"><url><loc>https://x.vn/&b;</loc></url></urlset>"""
    _, links = parse_sitemap(bomb)
    assert all("aaaaaaaaaa" not in link.url for link in links)
    assert [link.url for link in links] == ["https://x.vn/"]  # the entity reference is dropped, not expanded


def test_gzip_bomb_is_refused_and_damage_reported():
    with pytest.raises(DiscoveryError, match="inflates beyond"):
        gunzip_partial(gzip.compress(b"\0" * 200_000), limit=100_000)
    assert "corrupt gzip" in gunzip_partial(b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03\xff\xff\xff\xff garbage")[1]
    data, problem = gunzip_partial(gzip.compress(b"<urlset>" * 1000)[:40])
    assert problem == "truncated gzip data" and data.startswith(b"<urlset>")


URLSET = b'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">%s</urlset>'


def _entries(count):
    return b"".join(b"<url><loc>https://x.vn/a-%d.html</loc></url>" % n for n in range(count))


def test_cut_gzip_sitemap_is_partial():
    sitemap, links = parse_sitemap(gzip.compress(URLSET % _entries(2000))[:3000], "https://x.vn/s.xml.gz")
    assert sitemap.problem.startswith("truncated gzip data")
    assert 0 < len(links) < 2000
    assert all(link.url.endswith(".html") for link in links)  # the cut last entry is left out


def test_billion_laughs_sitemap_is_partial():
    entities = "".join(f'<!ENTITY l{n} "{f"&l{n - 1};" * 10}">' for n in range(1, 10))
    bomb = (f'<?xml version="1.0"?><!DOCTYPE u [<!ENTITY l0 "lol">{entities}]>'.encode()
            + URLSET % (_entries(3) + b"<url><loc>https://x.vn/&l9;</loc></url>" + _entries(3)))
    sitemap, links = parse_sitemap(bomb)
    assert "amplification" in sitemap.problem
    assert [link.url for link in links][:3] == [f"https://x.vn/a-{n}.html" for n in range(3)]
    assert all("lol" not in link.url for link in links)


def test_whole_sitemap_has_no_problem():
    assert parse_sitemap(URLSET % _entries(3))[0].problem == ""


def test_robots_sitemap_lines():
    robots = b"User-agent: *\nDisallow: /tim-kiem\nSitemap: https://baonghean.vn/sitemap.xml\nsitemap: /news.xml\n"
    assert sitemaps_from_robots(robots, "https://baonghean.vn/robots.txt") == [
        "https://baonghean.vn/sitemap.xml",
        "https://baonghean.vn/news.xml",
    ]


def test_rss_feed_entries_with_vietnamese_offsets():
    rss = """<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>Thời sự</title>
    <item><title>Bài một</title><link>https://nguoiquansat.vn/bai-mot-314409.html</link>
    <pubDate>Sat, 05 Sep 2026 22:17:01 +0700</pubDate></item>
    <item><title>Bài hai</title><link>/bai-hai-314410.html</link></item></channel></rss>""".encode()
    first, second = parse_feed(rss, "https://nguoiquansat.vn/rss/home.rss")
    assert first.published == datetime(2026, 9, 5, 22, 17, 1, tzinfo=ICT)
    assert second.url == "https://nguoiquansat.vn/bai-hai-314410.html"
    assert second.latest is None


def test_atom_feed_updated_date():
    atom = b"""<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><title>x</title>
    <entry><title>a</title><link href="https://x.vn/a-12345.html"/><id>tag:x</id>
    <updated>2025-10-22T19:25:52+07:00</updated></entry></feed>"""
    (entry,) = parse_feed(atom)
    assert entry.modified == datetime(2025, 10, 22, 12, 25, 52, tzinfo=UTC)


def test_garbage_is_not_a_feed():
    with pytest.raises(DiscoveryError, match="not a feed"):
        parse_feed(b"\x00\x01\x02 definitely not xml")


@pytest.mark.parametrize(
    ("url", "number"),
    [
        ("https://x.vn/thoi-su?page=3", 3),
        ("https://x.vn/thoi-su/trang-4.html", 4),
        ("https://x.vn/p/page/5/", 5),
        ("https://x.vn/thoi-su", None),
        ("https://x.vn/bai-viet-123456.html", None),
    ],
)
def test_page_numbers(url, number):
    assert page_number(url) == number


def test_listing_links_and_pagination():
    html = """<html><head><link rel="next" href="/thoi-su?page=2"></head><body>
    <a href="/thoi-su/bai-mot-10300001.html">Bài một</a>
    <a href="https://x.vn/thoi-su/bai-hai-10300002.html#comments">Bài hai</a>
    <a href="/thoi-su?page=3">3</a><a href="/kinh-te?page=2">Kinh tế 2</a>
    <a href="javascript:void(0)">x</a><a href="mailto:toa-soan@x.vn">mail</a></body></html>""".encode()
    links, pages = listing_links(html, "https://x.vn/thoi-su")
    assert "https://x.vn/thoi-su/bai-mot-10300001.html" in links
    assert "https://x.vn/thoi-su/bai-hai-10300002.html" in links
    assert not any(link.startswith(("javascript", "mailto")) for link in links)
    assert pages == ["https://x.vn/thoi-su?page=3", "https://x.vn/thoi-su?page=2"]


def test_iso_datetimes():
    assert parse_iso_datetime("2026-09-05T23:48:01+07:00") == datetime(2026, 9, 5, 23, 48, 1, tzinfo=ICT)
    assert parse_iso_datetime("2025-09-30T23:00:00Z") == datetime(2025, 9, 30, 23, tzinfo=UTC)
    assert parse_iso_datetime("not a date") is None
    assert parse_iso_datetime("") is None


def test_multi_member_gzip_and_nested_locations():
    first = gzip.compress(b'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"><url>')
    second = gzip.compress(b"""<image:image xmlns:image="http://www.google.com/schemas/sitemap-image/1.1">
      <image:loc>https://cdn.x.vn/a.jpg</image:loc></image:image><loc>https://x.vn/a-12345.html</loc>
      </url></urlset>""")
    assert gunzip_partial(first + second) == (gzip.decompress(first + second), "")
    assert [link.url for link in parse_sitemap(first + second)[1]] == ["https://x.vn/a-12345.html"]


def test_a_large_sitemap_is_read_as_a_stream():
    count = 60_000  # several pieces of the inflated document
    sitemap = Sitemap(gzip.compress(URLSET % _entries(count)), "https://x.vn/s.xml.gz")
    links = sitemap.links
    first = next(links)
    assert first.url == "https://x.vn/a-0.html"
    assert len(sitemap._root) < count / 5  # the tree holds one piece of the document at most, not every entry
    assert sum(1 for _ in links) == count - 1 and sitemap.problem == ""
