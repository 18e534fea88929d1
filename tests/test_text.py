"""Text normal form, hashing and the export text form (archive/text.py)."""

from __future__ import annotations

import unicodedata
from datetime import datetime, timedelta, timezone

from archive.records import Article
from archive.text import content_hash, normalize_text, to_text_form

VIETNAMESE = "Nghệ An tổ chức Hội nghị học tập"


def test_decomposed_vietnamese_becomes_composed():
    decomposed = unicodedata.normalize("NFD", VIETNAMESE)
    assert decomposed != VIETNAMESE
    assert normalize_text(decomposed) == VIETNAMESE


def test_invisible_characters_and_unicode_spaces():
    messy = "Nghệ\u200b An\u00a0tổ\u2009chức \ufeffHội\u202fnghị\t\thọc  tập\u00ad"
    assert normalize_text(messy) == VIETNAMESE


def test_whitespace_collapses_per_paragraph_and_paragraphs_stay_apart():
    text = "  Đoạn một\ncòn tiếp.  \r\n\r\n\n  Đoạn\u00a0hai. \n \n\n"
    assert normalize_text(text) == "Đoạn một còn tiếp.\n\nĐoạn hai."


def test_equal_reading_texts_hash_equal():
    composed = f"{VIETNAMESE}\n\nẢnh: Thành Duy"
    messy = unicodedata.normalize("NFD", composed).replace(" ", "\u00a0").replace("Ảnh", "Ảnh\u200b")
    assert content_hash(messy) == content_hash(composed)
    assert content_hash(composed) != content_hash(composed + ".")
    assert len(content_hash(composed)) == 64


def test_text_form_header_then_body():
    article = Article(
        url="https://baonghean.vn/a-123456.html",
        title="Đảng ủy quán triệt Nghị quyết",
        lead="Sáng 18/9, hội nghị được tổ chức.",
        section="Thời sự",
        text="Đoạn một.\n\nĐoạn hai.",
        published_at=datetime(2025, 9, 18, 9, 30, tzinfo=timezone(timedelta(hours=7))),
    )
    assert to_text_form(article) == (
        "date 2025-09-18 Thời sự Đảng ủy quán triệt Nghị quyết Sáng 18/9, hội nghị được tổ chức.\n\n"
        "Đoạn một.\n\nĐoạn hai."
    )


def test_text_form_date_is_the_day_in_the_articles_own_offset():
    late_evening = datetime(2025, 9, 18, 23, 30, tzinfo=timezone(timedelta(hours=7)))  # 16:30 UTC, same day
    early_morning = datetime(2025, 9, 19, 1, 0, tzinfo=timezone(timedelta(hours=7)))  # still 18 Sep in UTC
    assert to_text_form(Article(url="u", title="T", published_at=late_evening)) == "date 2025-09-18 T"
    assert to_text_form(Article(url="u", title="T", published_at=early_morning)) == "date 2025-09-19 T"


def test_text_form_leaves_out_missing_parts_cleanly():
    article = Article(url="u", title="Tiêu đề", text="Thân bài.")
    assert to_text_form(article) == "date Tiêu đề\n\nThân bài."
    assert to_text_form(Article(url="u", lead="Một\n\ndòng")) == "date Một dòng"


def test_shingle_containment():
    from archive.text import shingle_containment

    text = "Sáng 18/9, Đảng ủy các cơ quan Đảng tỉnh Nghệ An tổ chức Hội nghị học tập và quán triệt Nghị quyết."
    assert shingle_containment(text, text + " PV Thành Duy - Báo Nghệ An") == 1.0
    assert shingle_containment(text, " ".join(reversed(text.split()))) == 0.0
    assert shingle_containment("", text) == 0.0
    assert 0.0 < shingle_containment(text, text.replace("Hội nghị", "buổi gặp")) < 1.0


def test_simhash_is_trafilaturas():
    from trafilatura.deduplication import Simhash

    from archive.duplicates import simhash

    sentence = "Nghệ An tỉnh hội nghị quán triệt Đảng ủy cơ quan học tập 18/9 Báo PV, Thành Duy"
    words = sentence.split()
    texts = ["", "!!! ??", "。。 中文 文字", sentence]
    texts += [" ".join(words[(i * 7 + j * 3) % len(words)] for j in range(10 * i)) for i in range(1, 60)]
    assert [simhash(text) for text in texts] == [Simhash(text).hash for text in texts]
