"""HTML and XML of the newsroom site: two CMS layouts of article pages, listings, feeds, sitemaps and robots.txt.

Pure string building (no I/O). Article pages follow two real Vietnamese platforms:

* OneCMS (baonghean.vn, nguoiquansat.vn): `article.entry` with the `sc-longform-header` block (section,
  `h1` title, author, "dd/mm/yyyy - HH:MM" date, sapo), head meta with `article:published_time` in the
  platform's US format "9/18/2025 10:02:00 AM", breadcrumb `ol.breadcrumb`, `div.oneads` ad zones, a tags box
  and related-news boxes whose figures have their own captions.
* VnExpress: `h1.title-detail`, `p.description`, `span.date` "Thứ năm, 18/9/2025, 10:02 (GMT+7)",
  `article.fck_detail` of `p.Normal`, `figure.tplCaption` with a `p.Image` caption, the author in a
  right-aligned `p.Normal` or in `p.author_mail`.

Every function takes the site's base URL (scheme and host, no trailing slash) and returns text. Photos,
thumbnails and the stylesheet live on the site's image host (`media_base`: another host, as a CDN is on a real
site); pages load lazy images with a small script, as real sites do (AMP pages have neither script nor stylesheet).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from email.utils import format_datetime
from html import escape
from urllib.parse import urlsplit

from crawler.newsroom.story import CATEGORIES, Block, Category, Story, slugify

MEDIA_HOST = "127.0.0.2"
"""The address of the site's image host (its CDN), served on the site's port (`crawler.newsroom.server`)."""
STYLESHEET_PATH = "/static/newsroom.css"
# What a lazy-loading library does: the address in data-src / data-srcset becomes the one the browser loads.
LAZY_SCRIPT = (
    '<script>document.querySelectorAll("img[data-src]").forEach(function (i) { i.src = i.dataset.src; });'
    'document.querySelectorAll("source[data-srcset]").forEach(function (s) { s.srcset = s.dataset.srcset; });'
    "</script>\n"
)
SITE_NAME = "Báo Nghệ An"
SYNDICATION_SITE_NAME = "Tin nhanh"
LAZY_PIXEL = "data:image/gif;base64,R0lGODlhAQABAAAAACH5BAEKAAEALAAAAAABAAEAAAICTAEAOw=="
WEEKDAYS = ("Thứ hai", "Thứ ba", "Thứ tư", "Thứ năm", "Thứ sáu", "Thứ bảy", "Chủ nhật")
AD_ZONE = (
    '<div class="c-box h-show-mobile"><div class="c-box__content"><div class="c-banner-item is-custom-size">'
    '<div class="oneads" id="zone-{zone}"><script type="text/javascript">try {{ if (typeof (dc2) != "undefined"'
    ' && dc2 !== null) {{ dc2.show(); }} else {{ document.getElementById("zone-{zone}").remove(); }} }}'
    " catch (e) {{ }}</script></div></div></div></div>"
)


def e(text: str) -> str:
    """Escape text for HTML content and attribute values."""
    return escape(text, quote=True)


def onecms_visible_date(moment: datetime) -> str:
    """OneCMS header date: "18/09/2025 - 10:02"."""
    return moment.strftime("%d/%m/%Y - %H:%M")


def onecms_meta_date(moment: datetime) -> str:
    """OneCMS `article:published_time`: US month/day/year, 12-hour clock: "9/18/2025 10:02:00 AM"."""
    hour = moment.hour % 12 or 12
    half = "AM" if moment.hour < 12 else "PM"
    return f"{moment.month}/{moment.day}/{moment.year} {hour}:{moment:%M:%S} {half}"


def vnexpress_date(moment: datetime) -> str:
    """VnExpress date line: "Thứ năm, 18/9/2025, 10:02 (GMT+7)"."""
    return f"{WEEKDAYS[moment.weekday()]}, {moment.day}/{moment.month}/{moment.year}, {moment:%H:%M} (GMT+7)"


def rfc822(moment: datetime) -> str:
    """RSS pubDate: "Thu, 18 Sep 2025 10:02:00 +0700"."""
    return format_datetime(moment)


@dataclass(frozen=True)
class Link:
    """A link of a listing or box: where it goes and what it says."""

    href: str
    title: str
    lead: str = ""
    image: str | None = None
    when: datetime | None = None


def media_base(base: str) -> str:
    """The base URL of the image host of the site at `base`: `MEDIA_HOST` with the site's scheme and port."""
    parts = urlsplit(base)
    return f"{parts.scheme}://{MEDIA_HOST}" + (f":{parts.port}" if parts.port else "")


def story_link(story: Story, base: str, query: str = "") -> Link:
    thumbnail = f"{media_base(base)}/uploads/thumbs/{story.id}.png"
    return Link(base + story.path + query, story.title, story.lead, thumbnail, story.published)


# --- page frame ---------------------------------------------------------------------------------------------------


def _nav(base: str) -> str:
    items = "".join(f'<li class="c-menu__item"><a href="{base}/{c.slug}">{e(c.name)}</a></li>' for c in CATEGORIES)
    return (
        '<header class="l-header"><div class="container"><a class="c-logo" href="{b}/" title="{s}">{s}</a>'
        '<nav class="c-menu"><ul><li class="c-menu__item"><a href="{b}/">Trang chủ</a></li>'
        '<li class="c-menu__item"><a href="{b}/tin-moi">Tin mới</a></li>{items}</ul></nav>'
        '<form class="c-search" action="{b}/tim-kiem" method="get"><input name="q" placeholder="Tìm kiếm">'
        "</form></div></header>"
    ).format(b=base, s=e(SITE_NAME), items=items)


def _footer(base: str) -> str:
    sections = "".join(f'<li><a href="{base}/{c.slug}">{e(c.name)}</a></li>' for c in CATEGORIES)
    return (
        f'<footer class="l-footer"><div class="container"><ul class="c-footer-menu">{sections}</ul>'
        f'<div class="c-footer-info"><p>Cơ quan của Đảng bộ Đảng Cộng sản Việt Nam tỉnh Nghệ An.</p>'
        f"<p>Địa chỉ: 35 Nguyễn Thị Minh Khai, phường Thành Vinh, tỉnh Nghệ An.</p>"
        f'<p><a href="{base}/lien-he">Liên hệ</a> · <a href="{base}/rss/tin-moi.rss">RSS</a></p>'
        f"<p>© Bản quyền thuộc về {e(SITE_NAME)}. Ghi rõ nguồn khi phát hành lại thông tin từ website này.</p>"
        "</div></div></footer>"
    )


def page(title: str, head: str, body: str, base: str, *, charset: str = "utf-8", amp: bool = False) -> str:
    """A whole HTML document of the site with its header navigation and footer."""
    html_open = '<html amp lang="vi">' if amp else '<html xmlns="https://www.w3.org/1999/xhtml" lang="vi">'
    stylesheet = "" if amp else f'<link rel="stylesheet" href="{media_base(base)}{STYLESHEET_PATH}">\n'
    return (
        f"<!DOCTYPE html>\n{html_open}\n<head>\n"
        f'<meta http-equiv="Content-Type" content="text/html;charset={charset}">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{e(title)}</title>\n{stylesheet}{head}</head>\n<body>\n{_nav(base)}\n"
        f'<div class="l-content"><div class="container">\n{body}\n</div></div>\n{_footer(base)}\n'
        f"{'' if amp else LAZY_SCRIPT}</body>\n</html>\n"
    )


def _meta(prop: str, content: str, attr: str = "property") -> str:
    return f'<meta {attr}="{prop}" content="{e(content)}">\n'


def _json_ld(story: Story, url: str, base: str, site_name: str) -> str:
    media = media_base(base)
    images = [media + b.image for b in story.blocks if b.kind == "figure" and b.image]
    data = {
        "@context": "https://schema.org",
        "@type": "NewsArticle",
        "mainEntityOfPage": {"@type": "WebPage", "@id": url},
        "headline": story.title,
        "description": story.lead,
        "image": images[:1],
        "datePublished": story.published.isoformat(),
        "dateModified": story.last_modified.isoformat(),
        "author": {"@type": "Person", "name": story.author},
        "publisher": {
            "@type": "Organization",
            "name": site_name,
            "logo": {"@type": "ImageObject", "url": f"{media}/uploads/logo.png"},
        },
        "articleSection": story.category.name,
        "keywords": ", ".join(story.tags),
        "inLanguage": "vi",
    }
    text = json.dumps(data, ensure_ascii=False, indent=1).replace("</", "<\\/")
    return f'<script type="application/ld+json">\n{text}\n</script>\n'


def _article_head(story: Story, url: str, canonical: str, base: str, site_name: str, platform_meta: str) -> str:
    """Head lines every article page has (description, canonical, Open Graph, JSON-LD when the story has it);
    `platform_meta` holds the platform's own lines (dates, AMP link)."""
    image = next((media_base(base) + b.image for b in story.blocks if b.kind == "figure" and b.image), None)
    head = [
        _meta("description", story.lead, "name"),
        _meta("keywords", ",".join(story.tags), "name"),
        f'<link rel="canonical" href="{e(canonical)}">\n',
        _meta("og:title", story.title),
        _meta("og:description", story.lead),
        _meta("og:url", canonical),
        _meta("og:type", "article"),
        _meta("og:site_name", site_name),
        _meta("og:locale", "vi_VN"),
        _meta("og:image", image) if image else "",
        _meta("article:tag", ",".join(story.tags)),
        platform_meta,
        _json_ld(story, url, base, site_name) if story.json_ld else "",
    ]
    return "".join(head)


# --- OneCMS article -------------------------------------------------------------------------------------------------


def _onecms_figure(block: Block, base: str, variant: int) -> str:
    src, text, credit = media_base(base) + (block.image or ""), e(block.text), e(block.credit or "")
    caption = f"{text} Ảnh: {credit}" if block.credit else text
    if variant == 0:
        return (
            f'<figure class="image"><img src="{src}" alt="{text}" width="800" height="533">'
            f"<figcaption>{caption}</figcaption></figure>"
        )
    if variant == 1:
        inner = f"{text} Ảnh: <em>{credit}</em>" if block.credit else text
        return (
            f'<figure class="image align-center"><img class="lazyload" src="{LAZY_PIXEL}" data-src="{src}"'
            f' alt=""><figcaption><p class="Image">{inner}</p></figcaption></figure>'
        )
    return (
        f'<figure><picture><source srcset="{src}" type="image/png"><img src="{src}" alt="{text}"></picture>'
        f'<figcaption class="align-center"><i>{caption}</i></figcaption></figure>'
    )


def onecms_body(blocks: Sequence[Block], base: str, tags: Sequence[str] = ()) -> str:
    """The body blocks in OneCMS markup: an ad zone in the middle, figure markup varying as on the site, and the
    first mention of each tag linked to its tag page, as the newsroom's editors do."""
    parts = []
    figures = 0
    middle = len(blocks) // 2
    unlinked = list(tags)
    for position, block in enumerate(blocks):
        if position == middle:
            parts.append(AD_ZONE.format(zone=40))
        if block.kind == "figure":
            parts.append(_onecms_figure(block, base, figures % 3))
            figures += 1
        elif block.kind == "h2":
            parts.append(f"<h2>{e(block.text)}</h2>")
        else:
            text = e(block.text)
            tag = next((t for t in unlinked if e(t) in text), None)
            if tag is not None:  # one link a paragraph at most, so a link never lands inside another
                link = f'<a href="{base}/tag/{slugify(tag)}" title="{e(tag)}">{e(tag)}</a>'
                text = text.replace(e(tag), link, 1)
                unlinked.remove(tag)
            parts.append(f"<p>{text}</p>")
    return "".join(parts)


def _related_box(links: Sequence[Link], title: str = "Tin liên quan") -> str:
    items = "".join(
        f'<div class="b-grid"><figure class="b-grid__img"><a href="{e(link.href)}"><img src="{e(link.image or "")}"'
        f' alt="{e(link.title)}"></a><figcaption>{e(link.title)} Ảnh: PV</figcaption></figure>'
        f'<div class="b-grid__content"><h3 class="b-grid__title"><a href="{e(link.href)}">{e(link.title)}</a>'
        f'</h3><p class="b-grid__desc">{e(link.lead)}</p></div></div>'
        for link in links
    )
    return f'<div class="c-box c-related"><h2 class="c-box__title">{e(title)}</h2>{items}</div>'


def _tags_box(tags: Iterable[str], base: str) -> str:
    items = "".join(f'<li><h4><a href="{base}/tag/{slugify(t)}" title="{e(t)}">{e(t)}</a></h4></li>' for t in tags)
    return f'<div class="c-tags"><label>Tags:</label><ul>{items}</ul></div>'


def onecms_article(
    story: Story,
    base: str,
    related: Sequence[Link],
    *,
    canonical: str | None = None,
    amphtml: str | None = None,
    charset: str = "utf-8",
    amp: bool = False,
) -> str:
    """An article page of the OneCMS platform (`amp=True`: its AMP variant, without scripts and ads)."""
    url = base + story.path
    platform_meta = "".join(
        [
            f'<link rel="amphtml" href="{e(amphtml)}">\n' if amphtml else "",
            _meta("article:section", story.category.name),
            _meta("article:published_time", onecms_meta_date(story.published)),
            _meta("article:modified_time", onecms_meta_date(story.last_modified)),
            _meta("article:author", story.author),
        ]
    )
    head = _article_head(story, url, canonical or url, base, SITE_NAME, platform_meta)
    section_url = f"{base}/{story.category.slug}"
    body = onecms_body(story.blocks, base, story.tags)
    if amp:
        body = body.replace(AD_ZONE.format(zone=40), "")
    main = (
        '<div class="c-content-flex"><div class="l-main"><div class="c-detail-head"><nav aria-label="breadcrumb">'
        f'<ol class="breadcrumb"><li class="breadcrumb-item"><a href="{base}/">Trang chủ</a></li>'
        f'<li class="breadcrumb-item active" aria-current="page"><a href="{section_url}">{e(story.category.name)}'
        "</a></li></ol></nav></div>\n"
        '<div class="c-news-detail"><div class="b-maincontent normal-article-content">\n'
        '<article class="entry entry-no-padding">'
        '<div class="sc-longform-header sc-longform-header-default-normal block-sc-longform-header">'
        '<div class="sc-longform-header-text">'
        f'<span class="sc-longform-header-cate block-sc-cate-name">{e(story.category.name)}</span>'
        f'<h1 class="sc-longform-header-title block-sc-title">{e(story.title)}</h1>'
        '<div class="sc-longform-header-meta">'
        f'<span class="sc-longform-header-author block-sc-author">{e(story.author)}</span> '
        '<span class="sc-text block-sc-text">•</span> '
        f'<span class="sc-longform-header-date block-sc-publish-time">{onecms_visible_date(story.published)}'
        "</span></div>"
        f'<p class="sc-longform-header-sapo block-sc-sapo">{e(story.lead)}</p></div></div>'
        f"{body}\n</article>\n</div>\n"
        f"{_tags_box(story.tags, base)}\n{_related_box(related)}\n</div></div>\n"
        f'<aside class="l-sidebar">{"" if amp else AD_ZONE.format(zone=41)}'
        f"{_related_box(related[::-1], 'Đọc nhiều')}</aside></div>"
    )
    return page(story.title, head, main, base, charset=charset, amp=amp)


# --- VnExpress article ----------------------------------------------------------------------------------------------


def _vnexpress_figure(block: Block, base: str) -> str:
    src, text = media_base(base) + (block.image or ""), e(block.text)
    caption = f"{text} Ảnh: <em>{e(block.credit)}</em>" if block.credit else text
    return (
        '<figure data-size="true" itemprop="associatedMedia image" itemscope="" '
        'itemtype="http://schema.org/ImageObject" class="tplCaption">'
        f'<meta itemprop="url" content="{src}"><meta itemprop="width" content="680">'
        '<div class="fig-picture" data-width="680"><picture>'
        f'<source data-srcset="{src} 1x, {src}?dpr=2 2x">'
        f'<img itemprop="contentUrl" loading="lazy" alt="{text}" class="lazy" src="{LAZY_PIXEL}" data-src="{src}">'
        "</picture></div>"
        f'<figcaption itemprop="description"><p class="Image">{caption}</p></figcaption></figure>'
    )


def vnexpress_article(story: Story, base: str, related: Sequence[Link]) -> str:
    """An article page in the VnExpress layout."""
    url = base + story.path
    platform_meta = "".join(
        [
            _meta("tt_article_id", str(story.id), "name"),
            _meta("tt_list_folder_name", f"{SYNDICATION_SITE_NAME},{story.category.name}", "name"),
            f'<meta content="{e(story.category.name)}" itemprop="articleSection">\n',
            f'<meta content="{story.published.isoformat()}" itemprop="datePublished" name="pubdate">\n',
            f'<meta content="{story.last_modified.isoformat()}" itemprop="dateModified" name="lastmod">\n',
        ]
    )
    head = _article_head(story, url, url, base, SYNDICATION_SITE_NAME, platform_meta)
    parts = []
    for block in story.blocks:
        if block.kind == "figure":
            parts.append(_vnexpress_figure(block, base))
        elif block.kind == "h2":
            parts.append(f"<h2>{e(block.text)}</h2>")
        else:
            parts.append(f'<p class="Normal">{e(block.text)}</p>')
    if story.id % 2:
        parts.append(f'<p class="author_mail"><strong>{e(story.author)}</strong></p>')
    else:
        parts.append(
            f'<p class="Normal" align="right" style="text-align:right;"><strong>{e(story.author)}</strong></p>'
        )
    related_items = "".join(
        f'<li><h4 class="title_news"><a href="{e(link.href)}">{e(link.title)}</a></h4></li>' for link in related
    )
    tags = "".join(f'<h4 class="item-tag"><a href="{base}/tim-kiem?q={e(t)}">{e(t)}</a></h4>' for t in story.tags)
    main = (
        '<section class="section page-detail top-detail"><div class="container"><div class="sidebar-1">'
        f'<div class="header-content width_common"><ul class="breadcrumb" data-campaign="Header">'
        f'<li><a href="{base}/{story.category.slug}" title="{e(story.category.name)}">{e(story.category.name)}</a>'
        f'</li></ul><span class="date">{vnexpress_date(story.published)}</span></div>\n'
        f'<h1 class="title-detail">\n{e(story.title)} </h1>\n'
        f'<p class="description">{e(story.lead)}</p>\n'
        f'<article class="fck_detail ">\n{"".join(parts)}\n<span id="article-end"></span></article>\n'
        f'<div class="footer-content width_common"><div class="tags">{tags}</div></div>\n'
        f'<div class="box-tinlienquanv2"><h3 class="title-box">Tin liên quan</h3><ul>{related_items}</ul></div>'
        "</div></div></section>"
    )
    return page(f"{story.title} - {SYNDICATION_SITE_NAME}", head, main, base)


# --- other pages ----------------------------------------------------------------------------------------------------


def _story_list(links: Sequence[Link]) -> str:
    items = "".join(
        f'<div class="b-grid"><div class="b-grid__img"><a href="{e(link.href)}"><img src="{e(link.image or "")}"'
        f' alt="{e(link.title)}"></a></div><div class="b-grid__content"><h3 class="b-grid__title">'
        f'<a href="{e(link.href)}" title="{e(link.title)}">{e(link.title)}</a></h3>'
        + (f'<span class="b-grid__time">{onecms_visible_date(link.when)}</span>' if link.when else "")
        + f'<p class="b-grid__desc">{e(link.lead)}</p></div></div>'
        for link in links
    )
    return f'<div class="c-list-news">{items}</div>'


def _pagination(base_path: str, page_number: int, pages: int) -> tuple[str, str]:
    """The pagination bar and the `<link rel=prev/next>` head lines of one listing page."""

    def href(n: int) -> str:
        return base_path if n == 1 else f"{base_path}?page={n}"

    head, bar = [], []
    if page_number > 1:
        head.append(f'<link rel="prev" href="{href(page_number - 1)}">\n')
        bar.append(f'<a class="c-pagination__prev" rel="prev" href="{href(page_number - 1)}">Trang trước</a>')
    for n in range(max(1, page_number - 2), min(pages, page_number + 2) + 1):
        css = "c-pagination__item is-active" if n == page_number else "c-pagination__item"
        bar.append(f'<a class="{css}" href="{href(n)}">{n}</a>')
    if page_number < pages:
        head.append(f'<link rel="next" href="{href(page_number + 1)}">\n')
        bar.append(f'<a class="c-pagination__next" rel="next" href="{href(page_number + 1)}">Trang sau</a>')
    return f'<nav class="c-pagination">{"".join(bar)}</nav>', "".join(head)


def listing(
    title: str,
    base: str,
    path: str,
    links: Sequence[Link],
    page_number: int,
    pages: int,
    featured: Sequence[Link] = (),
) -> str:
    """A section or "latest news" listing page with pagination (`?page=N`, "Trang sau" rel=next)."""
    bar, pagination_head = _pagination(base + path, page_number, pages)
    canonical = base + path + ("" if page_number == 1 else f"?page={page_number}")
    head = f'<link rel="canonical" href="{canonical}">\n{pagination_head}' + _meta("og:type", "website")
    head += _meta("og:title", title)
    featured_box = _related_box(featured, "Tiêu điểm") if featured else ""
    empty = "" if links else '<p class="c-empty">Chưa có bài viết trong chuyên mục này.</p>'
    body = (
        f'<div class="c-cate-head"><h1 class="c-cate-head__title">{e(title)}</h1></div>'
        f"{featured_box}{_story_list(links)}{empty}{bar}{AD_ZONE.format(zone=50)}"
    )
    page_title = title if page_number == 1 else f"{title} - Trang {page_number}"
    return page(f"{page_title} | {SITE_NAME}", head, body, base)


def home(
    base: str, latest: Sequence[Link], featured: Sequence[Link], sections: Sequence[tuple[Category, Sequence[Link]]]
) -> str:
    """The home page: latest news, a featured box and the newest stories of every section."""
    blocks = "".join(
        f'<section class="c-box c-section"><h2 class="c-box__title"><a href="{base}/{category.slug}">'
        f"{e(category.name)}</a></h2>{_story_list(links)}</section>"
        for category, links in sections
    )
    head = (
        f'<link rel="canonical" href="{base}/">\n'
        + _meta("og:type", "website")
        + _meta("og:title", SITE_NAME)
        + (f'<link rel="alternate" type="application/rss+xml" title="Tin mới" href="{base}/rss/tin-moi.rss">\n')
    )
    body = (
        f'<h1 class="h-hidden">{e(SITE_NAME)}</h1><section class="c-box c-latest"><h2 class="c-box__title">'
        f'<a href="{base}/tin-moi">Tin mới</a></h2>{_story_list(latest)}</section>'
        f"{_related_box(featured, 'Tiêu điểm')}{AD_ZONE.format(zone=10)}{blocks}"
    )
    return page(f"{SITE_NAME} - Tin tức mới nhất", head, body, base)


def simple_page(title: str, base: str, paragraphs: Sequence[str], canonical: str | None = None) -> str:
    """A plain page of a few paragraphs (contact, search, admin, error pages)."""
    head = f'<link rel="canonical" href="{canonical}">\n' if canonical else '<meta name="robots" content="noindex">\n'
    head += _meta("og:type", "website")
    body = (
        f'<div class="c-page"><h1 class="c-page__title">{e(title)}</h1>'
        + "".join(f"<p>{e(p)}</p>" for p in paragraphs)
        + "</div>"
    )
    return page(f"{title} | {SITE_NAME}", head, body, base)


def video_page(story: Story, base: str, url: str) -> str:
    """A video page: a title, a player and a one-line description, no article text."""
    head = f'<link rel="canonical" href="{url}">\n' + _meta("og:type", "video.other") + _meta("og:title", story.title)
    body = (
        '<div class="c-video-detail"><div class="c-video-player"><video controls preload="none" '
        f'poster="{media_base(base)}/uploads/thumbs/{story.id}.png">'
        f'<source src="{media_base(base)}/uploads/video/{story.id}.mp4" '
        f'type="video/mp4"></video></div><h1 class="c-video-detail__title">{e(story.title)}</h1>'
        f'<span class="c-video-detail__time">{onecms_visible_date(story.published)}</span></div>'
    )
    return page(f"Video: {story.title}", head, body, base)


# --- robots, sitemaps, feeds ----------------------------------------------------------------------------------------


def robots(base: str, sitemaps: Sequence[str]) -> str:
    lines = ["User-agent: *", "Disallow: /tim-kiem", "Disallow: /admin/", "Disallow: /*?q=", "Allow: /", ""]
    lines += [f"Sitemap: {base}{path}" for path in sitemaps]
    return "\n".join(lines) + "\n"


def sitemap_index(entries: Sequence[tuple[str, datetime | None]]) -> str:
    items = "".join(
        f"<sitemap><loc>{e(loc)}</loc>" + (f"<lastmod>{when.isoformat()}</lastmod>" if when else "") + "</sitemap>\n"
        for loc, when in entries
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n{items}</sitemapindex>\n'
    )


def urlset(entries: Sequence[tuple[str, datetime | None]]) -> str:
    items = "".join(
        f"<url><loc>{e(loc)}</loc>"
        + (f"<lastmod>{when.isoformat()}</lastmod>" if when else "")
        + "<changefreq>daily</changefreq></url>\n"
        for loc, when in entries
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n{items}</urlset>\n'
    )


def news_sitemap(base: str, stories: Sequence[Story]) -> str:
    """A Google News sitemap (`news:publication_date`, `news:title`)."""
    items = "".join(
        f"<url><loc>{base}{s.path}</loc><lastmod>{s.last_modified.isoformat()}</lastmod><news:news>"
        f"<news:publication><news:name>{e(SITE_NAME)}</news:name><news:language>vi</news:language>"
        f"</news:publication><news:publication_date>{s.published.isoformat()}</news:publication_date>"
        f"<news:title>{e(s.title)}</news:title><news:keywords>{e(', '.join(s.tags))}</news:keywords>"
        "</news:news></url>\n"
        for s in stories
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" '
        f'xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">\n{items}</urlset>\n'
    )


def rss(base: str, title: str, path: str, stories: Sequence[Story], updated: datetime) -> str:
    """An RSS 2.0 feed (pubDate in RFC 822 with +0700); `updated` is its lastBuildDate."""
    items = "".join(
        f"<item><title>{e(s.title)}</title><link>{base}{s.path}</link>"
        f'<guid isPermaLink="true">{base}{s.path}</guid><category>{e(s.category.name)}</category>'
        f"<description>{e(s.lead)}</description><pubDate>{rfc822(s.published)}</pubDate></item>\n"
        for s in stories
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom">'
        f"<channel>\n<title>{e(title)} - {e(SITE_NAME)}</title><link>{base}/</link>"
        f'<atom:link href="{base}{path}" rel="self" type="application/rss+xml"/>'
        f"<description>{e(title)}</description><language>vi-VN</language><lastBuildDate>{rfc822(updated)}</lastBuildDate>\n"
        f"{items}</channel></rss>\n"
    )


def atom(base: str, title: str, path: str, stories: Sequence[Story], updated: datetime) -> str:
    """An Atom 1.0 feed of the latest stories."""
    entries = "".join(
        f'<entry><title>{e(s.title)}</title><link href="{base}{s.path}"/><id>{base}{s.path}</id>'
        f"<published>{s.published.isoformat()}</published><updated>{s.last_modified.isoformat()}</updated>"
        f"<author><name>{e(s.author)}</name></author><summary>{e(s.lead)}</summary></entry>\n"
        for s in stories
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="vi">'
        f'<title>{e(title)}</title><link href="{base}/"/><link rel="self" href="{base}{path}"/>'
        f"<id>{base}{path}</id><updated>{updated.isoformat()}</updated>\n{entries}</feed>\n"
    )
