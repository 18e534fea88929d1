"""Article extraction: HTML bytes + URL (+ site profile) → `Article`, or `NotAnArticle` with the reason.

trafilatura finds the main text. Before it runs, every image caption of the page (figcaption, the CMS caption
classes, microdata ImageObject descriptions, and the element right after an image that reads as its caption) is
replaced by a paragraph holding a unique marker, so the captions come out of trafilatura in the place where their
image stands, and boxes inside the article named as newsletter, share bar, author bio or pop-up are left out.
Captions it drops are taken back only when they stand inside the article (after the headline, before the end of the
text, not in an aside or a related-news box): a lead photo, a gallery. Credits are split off the captions ("Ảnh: …",
"(AAP)"). Metadata comes from the site profile's selectors first, then JSON-LD, meta tags and the visible header;
dates from `crawler.dates`; text in the normal form of `archive.text`.

Pure: no Scrapy; meant to run in a process pool. Bad input raises `NotAnArticle` with its reason, and a page
gets a size cap, an element cap and a time budget.

Modules, from the bottom up: `budget` (limits, time budget), `decoding` (bytes → text), `dom` (tree helpers),
`jsonld`; `credits` (photo credits), `captions` (caption markers); `body` (trafilatura, paragraphs), `metadata`
(headline, lead, section, authors, tags, language, images); `article` (the assembly, `extract_page`,
`extract_article`).
"""

from crawler.extract.article import ExtractedPage, extract_article, extract_page
from crawler.extract.budget import MAX_INPUT_BYTES, ExtractionTimeout, time_budget
from crawler.extract.credits import split_credit
from crawler.extract.decoding import decode_html

__all__ = [
    "MAX_INPUT_BYTES",
    "ExtractedPage",
    "ExtractionTimeout",
    "decode_html",
    "extract_article",
    "extract_page",
    "split_credit",
    "time_budget",
]
