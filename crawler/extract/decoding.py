"""Decoding of an HTML body to text: byte order mark, HTTP charset, `<meta charset>`, then detection (`decode_html`)."""

from __future__ import annotations

import codecs
import re

import charset_normalizer
from w3lib.encoding import html_body_declared_encoding, read_bom, resolve_encoding

from archive.records import NotAnArticle
from crawler.extract.budget import MAX_INPUT_BYTES

_BINARY_SIGNATURES = (b"\x1f\x8b", b"%PDF", b"PK\x03\x04", b"\x89PNG", b"GIF8", b"\xff\xd8\xff", b"RIFF")
_SINGLE_BYTE_WESTERN = frozenset({"cp1252", "iso8859-1", "iso8859-15"})
_VIETNAMESE_PAGE = re.compile(rb"""lang\s*=\s*["']?vi\b|content-language["']?\s+content\s*=\s*["']?vi\b""", re.I)


def _codec(name: str | None) -> str | None:
    if not name:
        return None
    resolved = resolve_encoding(name)
    if not resolved:
        return None
    try:
        return codecs.lookup(resolved).name
    except LookupError:
        return None


def decode_html(body: bytes, declared: str | None = None) -> str:
    """Decode an HTML body: BOM, then the HTTP charset, then the page's own `<meta charset>`, strictly.

    Bytes that do not fit their label are decoded by what they are: valid UTF-8 labelled latin-1 as UTF-8,
    latin-1 (or windows-1258 on a Vietnamese page) labelled UTF-8 as such, anything else as detected; when
    nothing decodes, `NotAnArticle` says so.
    """
    head = body[:4096].lstrip()
    if not head:
        raise NotAnArticle("empty page")
    bom_encoding, bom = read_bom(body)
    if bom_encoding:
        try:
            return body[len(bom) :].decode(_codec(bom_encoding) or bom_encoding)
        except (UnicodeDecodeError, LookupError) as exc:
            raise NotAnArticle(f"undecodable page: byte order mark says {bom_encoding} but {exc}") from exc
    if head.startswith(_BINARY_SIGNATURES) or b"\x00" in head:
        raise NotAnArticle("binary content, not HTML")
    tried = []
    for name in (declared, html_body_declared_encoding(body[:8192]), "utf-8"):
        codec = _codec(name)
        if codec is None or codec in tried:
            continue
        tried.append(codec)
        if codec in _SINGLE_BYTE_WESTERN and not body.isascii():
            # Non-ASCII bytes that form valid UTF-8 are UTF-8 whatever the label says: in latin-1 such byte
            # pairs ("Ã¼") are mojibake, never text.
            try:
                return body.decode("utf-8")
            except UnicodeDecodeError:
                pass
        try:
            return body.decode(codec)
        except UnicodeDecodeError:
            continue
    # Mislabelled legacy pages: Vietnamese ones are windows-1258, most others windows-1252 (latin-1's superset).
    legacy = "cp1258" if _VIETNAMESE_PAGE.search(body[:8192]) else "cp1252"
    try:
        return body.decode(legacy)
    except UnicodeDecodeError:
        pass
    guess = charset_normalizer.from_bytes(body[:MAX_INPUT_BYTES]).best()
    if guess is None:
        raise NotAnArticle(f"undecodable page: not valid {', '.join(tried)} and no charset detected")
    return str(guess)
