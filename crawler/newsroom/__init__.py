"""The newsroom: a deterministic, seeded Vietnamese news site served on 127.0.0.1 for demos, tests and benchmarks.

`Newsroom(articles=…, seed=…)` generates the site (the real seed article included: `SEED_TEXT`,
`Newsroom.seed_story`, `Newsroom.seed_path`); `with serve(newsroom) as base_url:` (or `newsroom.serve()`) serves
it in a background thread; `python -m crawler.newsroom --port 8000 --articles 200` serves it from the command line.
`Newsroom.cases` names the URL of each awkward case; `Newsroom.request_counts()` tells what was fetched.
"""

from crawler.newsroom.seed import SEED_ID, SEED_PUBLISHED, SEED_TEXT
from crawler.newsroom.server import NewsroomServer, serve
from crawler.newsroom.site import REFERENCE_TIME, Case, LoggedRequest, Newsroom, Response
from crawler.newsroom.story import CATEGORIES, Block, Category, Story

__all__ = [
    "CATEGORIES",
    "REFERENCE_TIME",
    "SEED_ID",
    "SEED_PUBLISHED",
    "SEED_TEXT",
    "Block",
    "Case",
    "Category",
    "LoggedRequest",
    "Newsroom",
    "NewsroomServer",
    "Response",
    "Story",
    "serve",
]
