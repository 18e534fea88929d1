"""Decoding of an HTML body to text: byte order mark, HTTP charset, `<meta charset>`, then detection (`decode_html`).

Damage costs only the damaged characters: a UTF-8 page with an invalid byte run or a cut last character is
decoded with U+FFFD in their place (not misread as a legacy charset, not refused), and stray control characters
(a NUL) become U+FFFD too, since the parser refuses them.
"""

from __future__ import annotations

import codecs
import re

import charset_normalizer
from w3lib.encoding import html_body_declared_encoding, read_bom, resolve_encoding

from archive.records import NotAnArticle
from crawler.extract.budget import MAX_INPUT_BYTES

_BINARY_SIGNATURES = (b"\x1f\x8b", b"%PDF", b"PK\x03\x04", b"\x89PNG", b"GIF8", b"\xff\xd8\xff", b"RIFF")
_SINGLE_BYTE_WESTERN = frozenset({"cp1252", "iso8859-1", "iso8859-15"})
# Control characters no HTML parser of ours accepts (tab, line feed and carriage return are kept)
_CONTROL_CHARACTERS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]")
_CONTROL_BYTES = re.compile(rb"[\x00-\x08\x0b\x0e-\x1f]")
# A stray NUL is damage; control bytes in more than this share of the first bytes are binary content (or UTF-16
# without a BOM)
MAX_CONTROL_SHARE = 0.01
# Invalid UTF-8 sequences tolerated in a page per valid multi-byte character: beyond it the page is not UTF-8
MAX_INVALID_UTF8_SHARE = 0.1
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
    UTF-8 with a few invalid or cut sequences as UTF-8 with U+FFFD in their place, latin-1 (or windows-1258 on
    a Vietnamese page) labelled UTF-8 as such, anything else as detected; when nothing decodes, `NotAnArticle`
    says so. Control characters other than tab and line breaks become U+FFFD.
    """
    return _CONTROL_CHARACTERS.sub("\ufffd", _decode(body, declared))


def _decode(body: bytes, declared: str | None) -> str:
    head = body[:4096].lstrip()
    if not head:
        raise NotAnArticle("empty page")
    bom_encoding, bom = read_bom(body)
    if bom_encoding:
        try:
            return body[len(bom) :].decode(_codec(bom_encoding) or bom_encoding)
        except (UnicodeDecodeError, LookupError) as exc:
            raise NotAnArticle(f"undecodable page: byte order mark says {bom_encoding} but {exc}") from exc
    if head.startswith(_BINARY_SIGNATURES) or len(_CONTROL_BYTES.findall(head)) > max(2, MAX_CONTROL_SHARE * len(head)):
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
    damaged = _damaged_utf8(body)
    if damaged is not None:
        return damaged
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


def _damaged_utf8(body: bytes) -> str | None:
    """`body` as UTF-8 with U+FFFD for its invalid sequences, when it is UTF-8 with some damage (a cut last
    character, a few bad bytes among many good multi-byte characters); None when it is not UTF-8."""
    text = body.decode("utf-8", errors="replace")
    invalid = text.count("\ufffd") - body.count("\ufffd".encode())
    valid_multibyte = sum(1 for char in text if ord(char) > 0x7F) - invalid
    cut_at_end = text.endswith("\ufffd") and invalid == 1
    return text if cut_at_end or invalid <= MAX_INVALID_UTF8_SHARE * valid_multibyte else None
