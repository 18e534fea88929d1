"""crawler.urls.canonicalize_url: two URLs of one article give one key."""

from __future__ import annotations

import pytest

from crawler.urls import canonicalize_url


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("HTTPS://BaoNgheAn.VN/thoi-su/bai-123456.html", "https://baonghean.vn/thoi-su/bai-123456.html"),
        ("https://baonghean.vn:443/bai-123456.html", "https://baonghean.vn/bai-123456.html"),
        ("http://baonghean.vn:80/bai-123456.html", "http://baonghean.vn/bai-123456.html"),
        ("http://baonghean.vn:8080/bai-123456.html", "http://baonghean.vn:8080/bai-123456.html"),
        ("https://baonghean.vn/bai-123456.html#binh-luan", "https://baonghean.vn/bai-123456.html"),
        (
            "https://baonghean.vn/bai-123456.html?utm_source=fb&utm_medium=social",
            "https://baonghean.vn/bai-123456.html",
        ),
        ("https://baonghean.vn/bai-123456.html?fbclid=IwAR0abc", "https://baonghean.vn/bai-123456.html"),
        ("https://baonghean.vn/bai-123456.html?gclid=Cj0K", "https://baonghean.vn/bai-123456.html"),
        ("https://baonghean.vn/bai-123456.html?zarsrc=30&gidzl=xyz", "https://baonghean.vn/bai-123456.html"),
        ("https://baonghean.vn/tin-tuc/index.html", "https://baonghean.vn/tin-tuc/"),
        ("https://baonghean.vn/tin-tuc/", "https://baonghean.vn/tin-tuc/"),
        ("https://x.vn/list?page=2&cat=5", "https://x.vn/list?cat=5&page=2"),
        ("https://x.vn/list?page=2&utm_campaign=a&cat=5#top", "https://x.vn/list?cat=5&page=2"),
        ("https://x.vn", "https://x.vn/"),
        ("https://x.vn/tin-t%e1%bb%a9c", "https://x.vn/tin-t%E1%BB%A9c"),
        ("https://x.vn/tin-tức", "https://x.vn/tin-t%E1%BB%A9c"),
        ("  https://x.vn/a-1.html  ", "https://x.vn/a-1.html"),
    ],
)
def test_canonical_form(url: str, expected: str) -> None:
    assert canonicalize_url(url) == expected


def test_variants_of_one_article_share_one_key() -> None:
    variants = [
        "https://baonghean.vn/bai-123456.html",
        "HTTPS://baonghean.vn:443/bai-123456.html?utm_source=zalo&zarsrc=30#top",
        "https://BAONGHEAN.vn/bai-123456.html?fbclid=abc&gclid=def",
    ]
    assert len({canonicalize_url(v) for v in variants}) == 1


def test_same_site_canonical_link_wins() -> None:
    assert (
        canonicalize_url(
            "https://baonghean.vn/amp/bai-123456.html", "https://baonghean.vn/bai-123456.html?utm_source=x"
        )
        == "https://baonghean.vn/bai-123456.html"
    )


def test_relative_canonical_link_is_resolved() -> None:
    assert canonicalize_url("https://baonghean.vn/amp/bai-1.html", "/bai-1.html") == "https://baonghean.vn/bai-1.html"


@pytest.mark.parametrize(
    "canonical_href",
    ["https://aggregator.example.com/copy-of-bai-1.html", "javascript:void(0)", "mailto:a@b.vn", "", "   "],
)
def test_foreign_or_broken_canonical_link_is_ignored(canonical_href: str) -> None:
    assert canonicalize_url("https://baonghean.vn/bai-1.html", canonical_href) == "https://baonghean.vn/bai-1.html"


def test_subdomain_canonical_link_counts_as_same_site() -> None:
    assert canonicalize_url("https://m.baonghean.vn/bai-1.html", "https://baonghean.vn/bai-1.html") == (
        "https://baonghean.vn/bai-1.html"
    )


@pytest.mark.parametrize("url", ["", "/relative/path", "ftp://x.vn/file", "javascript:alert(1)", "https:///nohost"])
def test_not_an_http_url_is_an_error(url: str) -> None:
    with pytest.raises(ValueError, match="not an absolute http"):
        canonicalize_url(url)


def test_idempotent() -> None:
    url = "HTTPS://Báo.vn:443/tin-tức/index.html?b=2&a=1&utm_source=x#f"
    once = canonicalize_url(url)
    assert canonicalize_url(once) == once


def test_bare_query_keys_are_distinct_articles():
    from crawler.urls import canonicalize_url

    first = canonicalize_url("https://a.com/news.php?12345")
    assert first != canonicalize_url("https://a.com/news.php?12346")
    assert first == canonicalize_url("https://A.com:443/news.php?12345&utm_source=zalo#top")


def test_strip_tracking_keeps_the_rest_of_the_url_as_given():
    from crawler.urls import strip_tracking

    assert strip_tracking("https://a.com/news.php?12345&utm_source=zalo&fbclid=x#top") == "https://a.com/news.php?12345"
    assert strip_tracking("https://a.com/x?b=2&A=%C3%A1&gclid=1") == "https://a.com/x?b=2&A=%C3%A1"
    assert strip_tracking("https://a.com/x") == "https://a.com/x"
