"""Exact and near-duplicate articles: which earlier article a stored one copies, recorded rather than dropped.

1. Exact content: an article whose `content_hash` equals an earlier article's under another URL (a syndicated
   copy) is stored with `duplicate_of` = that article's canonical URL, `similarity` 1.0.
2. Near-duplicates: trafilatura's 64-bit Simhash of the text; an article whose Simhash is at least
   `NEAR_DUPLICATE_THRESHOLD` similar (at most 6 of 64 bits differ) to an earlier one is stored with
   `duplicate_of` and the similarity. Candidates come from four indexed 16-bit bands of the hash (LSH): a pair
   differing in at most 3 bits always shares a band; pairs differing in 4 to 6 bits are found when the
   differences cluster, which they mostly do for copies that differ by a byline or one paragraph. Measured on
   the 88 bodies of the public article-extraction benchmark (`benchmarks/store.py --eval`): a copy with a
   byline added is recognised 84 times in 88, with an ad paragraph inserted 82/88, with the last paragraph
   dropped 73/88; the most similar pair of unrelated articles scores 0.797, well under the threshold. A Simhash
   ignores word order, so a candidate must also share `NEAR_DUPLICATE_CONTAINMENT` of its 5-word shingles
   (`archive.text.shingle_containment`): on generated text of a small vocabulary (the newsroom site) unrelated
   stories reach a Simhash similarity of 0.92 but share almost no shingles. Texts
   under `NEAR_DUPLICATE_MIN_WORDS` words get no Simhash (too few tokens to be meaningful).

The original of a text is the copy published first: an article published before the one taken for the original
so far displaces it, and every copy pointing at it then points at the new original.
"""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache
from hashlib import blake2b
from typing import Any, NamedTuple

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from archive.models import ArticleRow
from archive.text import containment, content_hash, shingle_containment, shingles

NEAR_DUPLICATE_THRESHOLD = 0.9  # Simhash similarity (64 - differing bits) / 64
NEAR_DUPLICATE_CONTAINMENT = 0.8  # share of the shorter text's 5-word shingles the other must contain
NEAR_DUPLICATE_MIN_WORDS = 50  # shorter texts have too few tokens for a meaningful Simhash

SIMHASH_BITS = 64
# A token's hash spread out as 64 hexadecimal fields of 8 digits, bit i in field i: summing the spread hashes of a
# text's tokens counts, in one big-integer addition, how many tokens have each bit set.
_SPREAD = str.maketrans({"0": "00000000", "1": "00000001"})
_FIELD = (1 << 32) - 1

Duplicate = tuple[str, str, float]  # (kind: "exact" or "near", canonical URL of the original, similarity)


def lsh_bands(fingerprint: int) -> list[int]:
    """The four 16-bit bands of a 64-bit Simhash; near-duplicate candidates share at least one."""
    return [(fingerprint >> 16 * i) & 0xFFFF for i in range(4)]


def is_near_duplicate_candidate(first: int, second: int) -> bool:
    """True when the store's band index would compare these two fingerprints at all."""
    return any(a == b for a, b in zip(lsh_bands(first), lsh_bands(second), strict=True))


def simhash_columns(text: str) -> dict[str, int | None]:
    """The `simhash` column (signed: the columns are BIGINT) and its bands; all None for a short text."""
    if len(text.split()) < NEAR_DUPLICATE_MIN_WORDS:
        return {"simhash": None} | {f"simhash_band{i}": None for i in range(4)}
    fingerprint = simhash(text)
    bands = {f"simhash_band{i}": band for i, band in enumerate(lsh_bands(fingerprint))}
    return {"simhash": _signed(fingerprint)} | bands


def simhash(text: str) -> int:
    """trafilatura's 64-bit Simhash of `text` (`Simhash(text).hash`, the same value), without its per-token loop
    over 64 positions."""
    # Imported here: trafilatura's package is the whole extractor, which a crawl's process loads only to store an
    # article (a scheduled run that finds nothing new never does).
    from trafilatura.deduplication import sample_tokens

    tokens = sample_tokens(text, SIMHASH_BITS)
    counts = sum(map(_spread_token_hash, tokens))
    # trafilatura adds +1 for each token with the bit set, -1 for each without: the bit is set when the sum is >= 0
    return sum(1 << i for i in range(SIMHASH_BITS) if 2 * (counts >> 32 * i & _FIELD) >= len(tokens))


@lru_cache(maxsize=2**14)
def _spread_token_hash(token: str) -> int:
    token_hash = int.from_bytes(blake2b(token.encode(), digest_size=8).digest(), "big")
    return int(format(token_hash, "064b").translate(_SPREAD), 16)


def _signed(value: int) -> int:
    return value - (1 << 64) if value >= 1 << 63 else value


def _unsigned(value: int) -> int:
    return value + (1 << 64) if value < 0 else value


def _fingerprint(column: int) -> int:
    """The Simhash a `simhash` column holds, as trafilatura reads it (`Simhash(existing_hash=...)` takes a hash of
    0 for no hash and makes that of the empty text: all bits set)."""
    return _unsigned(column) or (1 << SIMHASH_BITS) - 1


def _similarity(first: int, second: int) -> float:
    """trafilatura's `Simhash.similarity` of two fingerprints."""
    return (SIMHASH_BITS - (first ^ second).bit_count()) / SIMHASH_BITS


def same_story(text: str, fingerprint: int | None, other_text: str, other_fingerprint: int | None) -> bool:
    """True when two texts are one story by the rules above: the same normal-form text, or near-duplicates (Simhash
    similarity and shingle containment; shingle containment alone for texts too short for a Simhash). How the
    store judges a declared canonical URL that would merge a page into another article's row."""
    if content_hash(text) == content_hash(other_text):
        return True
    if fingerprint is not None and other_fingerprint is not None:
        similarity = _similarity(_fingerprint(fingerprint), _fingerprint(other_fingerprint))
        if similarity < NEAR_DUPLICATE_THRESHOLD:
            return False
    return shingle_containment(text, other_text) >= NEAR_DUPLICATE_CONTAINMENT


class Original(NamedTuple):
    """An article other copies point at."""

    id: int
    canonical_url: str
    published_at: datetime | None

    def published_after(self, published_at: datetime | None) -> bool:
        return self.published_at is not None and published_at is not None and published_at < self.published_at


class DuplicateRule:
    """Points the article rows written in one transaction at their originals.

    `originals` maps a content hash to the original of that text: those already stored (`prefetch`) and those the
    transaction writes (`remember`). `duplicates` (the save report's) receives every row found to be a copy,
    displaced originals included. New rows may be remembered before they are inserted (`unwritten`: plain rows
    under a provisional id, `archive.rows.NewArticleRow`), then searched and displaced in memory until `written`.
    The stored near-duplicate candidates of the chunk's Simhash bands are fetched in one query when first wanted,
    and again after the transaction changed a stored row's fingerprint or original.
    """

    def __init__(self, session: Session, duplicates: dict[str, Duplicate]) -> None:
        self.session = session
        self.duplicates = duplicates
        self.originals: dict[str, Original] = {}
        self.unwritten: dict[int, Any] = {}  # provisional id → a new row not inserted yet, in the order remembered
        self._bands: list[set[int]] = [set() for _ in range(4)]  # the band values whose candidates are wanted
        self._candidates: dict[tuple[int, int], list[tuple[int, int]]] | None = None  # (band, value) → (id, hash)

    def prefetch(self, chunk: list[dict[str, Any]]) -> None:
        """Fetch the stored originals of the texts of `chunk` (column values of articles) in one query, and note
        its bands: their candidates are fetched together."""
        for content, article_id, canonical, published in self.session.execute(
            select(ArticleRow.content_hash, ArticleRow.id, ArticleRow.canonical_url, ArticleRow.published_at)
            .where(ArticleRow.content_hash.in_({values["content_hash"] for values in chunk}))
            .where(ArticleRow.duplicate_of.is_(None))
            .order_by(ArticleRow.id)
        ):
            self.originals.setdefault(content, Original(article_id, canonical, published))
        for values in chunk:
            if values["simhash"] is not None:
                for i, band in enumerate(self._bands):
                    band.add(values[f"simhash_band{i}"])

    def mark(self, row: Any) -> None:
        """Point `row` (an `ArticleRow`, or a new row not inserted yet) at the original of its text (same text
        first, else the most similar text).

        The original is the copy published first: when `row` was published before the article taken for the
        original so far, `row` becomes the original of that article and of every copy pointing at it.
        """
        row.duplicate_of, row.duplicate_kind, row.similarity = None, None, None
        found = self._same_text(row) or self._most_similar(row)
        if row.id is not None:  # a stored row changes its fingerprint: the stored candidates are read again
            self._candidates = None
        if found is None:
            return
        original, kind, similarity = found
        if original.published_after(row.published_at):
            self._displace(original, row, kind, similarity)
        else:
            row.duplicate_of, row.duplicate_kind, row.similarity = original.canonical_url, kind, similarity

    def remember(self, row: Any, *, unwritten: bool = False) -> None:
        """After `row` was saved: report it as a copy, or take it as the original of its text. An `unwritten` row
        (under a provisional id) is inserted later: until `written`, it is searched in memory."""
        if unwritten:
            self.unwritten[row.id] = row
        if row.duplicate_of:
            self.duplicates[row.canonical_url] = (row.duplicate_kind or "", row.duplicate_of, row.similarity or 0.0)
        else:  # the first of its text, or published before the copies archived so far
            self.originals[row.content_hash] = Original(row.id, row.canonical_url, row.published_at)

    def written(self, ids: dict[int, int]) -> None:
        """The unwritten rows were inserted: provisional id → id."""
        for content, original in self.originals.items():
            if original.id in ids:
                self.originals[content] = original._replace(id=ids[original.id])
        self.unwritten.clear()
        self._candidates = None

    def _same_text(self, row: Any) -> tuple[Original, str, float] | None:
        original = self.originals.get(row.content_hash)
        if original is None or original.id == row.id:
            return None
        return original, "exact", 1.0

    def _most_similar(self, row: Any) -> tuple[Original, str, float] | None:
        if row.simhash is None:
            return None
        bands = [getattr(row, f"simhash_band{i}") for i in range(4)]
        mine = _fingerprint(row.simhash)
        # Stored candidates first, by id, then the unwritten rows (whose ids will be higher), as one query would.
        stored = [
            (article_id, similarity)
            for article_id, fingerprint in self._stored_candidates(bands)
            if article_id != row.id
            and (similarity := _similarity(mine, _fingerprint(fingerprint))) >= NEAR_DUPLICATE_THRESHOLD
        ]
        similar: list[tuple[Original, str, float]] = []  # (original, its text, similarity)
        if stored:  # only the texts of candidates similar enough are read
            wanted = select(ArticleRow.id, ArticleRow.canonical_url, ArticleRow.published_at, ArticleRow.text)
            found = {found.id: found for found in self.session.execute(
                wanted.where(ArticleRow.id.in_([article_id for article_id, _ in stored]))
            )}  # fmt: skip
            for article_id, similarity in stored:
                _, canonical, published, text = found[article_id]
                similar.append((Original(article_id, canonical, published), text, similarity))
        for new in self.unwritten.values():
            if new.duplicate_of is None and new.simhash is not None and any(
                getattr(new, f"simhash_band{i}") == band for i, band in enumerate(bands)
            ):
                similarity = _similarity(mine, _fingerprint(new.simhash))
                if similarity >= NEAR_DUPLICATE_THRESHOLD:
                    similar.append((Original(new.id, new.canonical_url, new.published_at), new.text, similarity))
        if not similar:
            return None
        own = shingles(row.text)  # made once
        best: tuple[Original, str, float] | None = None
        for original, text, similarity in similar:
            if best is not None and similarity <= best[2]:
                continue
            # A Simhash ignores word order: texts from one small vocabulary can score high by chance; the copy
            # must also contain the original's phrasing.
            if containment(own, shingles(text)) >= NEAR_DUPLICATE_CONTAINMENT:
                best = (original, "near", similarity)
        return best

    def _stored_candidates(self, bands: list[int]) -> list[tuple[int, int]]:
        """(id, Simhash) of the stored originals sharing a band with `bands`, by id."""
        if any(band not in wanted for band, wanted in zip(bands, self._bands, strict=True)):  # not of the chunk
            for band, wanted in zip(bands, self._bands, strict=True):
                wanted.add(band)
            self._candidates = None
        if self._candidates is None:
            self._candidates = {}
            columns = [getattr(ArticleRow, f"simhash_band{i}") for i in range(4)]
            query = (
                select(ArticleRow.id, ArticleRow.simhash, *columns)
                .where(ArticleRow.duplicate_of.is_(None), ArticleRow.simhash.is_not(None))
                .where(or_(*(column.in_(wanted) for column, wanted in zip(columns, self._bands, strict=True))))
                .order_by(ArticleRow.id)
            )
            for article_id, fingerprint, *values in self.session.execute(query):
                for i, value in enumerate(values):
                    self._candidates.setdefault((i, value), []).append((article_id, fingerprint))
        found = {}
        for i, band in enumerate(bands):
            found.update(self._candidates.get((i, band), ()))
        return sorted(found.items())

    def _displace(self, original: Original, row: Any, kind: str, similarity: float) -> None:
        """`row`, published earlier, becomes the original of `original` and of the copies pointing at it."""
        self.session.execute(
            update(ArticleRow)
            .where(ArticleRow.duplicate_of == original.canonical_url)
            .values(duplicate_of=row.canonical_url)
        )
        for new in self.unwritten.values():
            if new.duplicate_of == original.canonical_url:
                new.duplicate_of = row.canonical_url
        displaced = self.unwritten.get(original.id)
        if displaced is None:
            self.session.execute(
                update(ArticleRow)
                .where(ArticleRow.id == original.id)
                .values(duplicate_of=row.canonical_url, duplicate_kind=kind, similarity=similarity)
            )
            self._candidates = None
        else:
            displaced.duplicate_of, displaced.duplicate_kind, displaced.similarity = row.canonical_url, kind, similarity
        self.duplicates[original.canonical_url] = (kind, row.canonical_url, similarity)
        # the displaced article is a copy now: later copies in this batch must not point at it
        for content, known in list(self.originals.items()):
            if known.id == original.id:
                del self.originals[content]
