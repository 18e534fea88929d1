"""Re-extraction from archives (`newsarchive import-warc`): the articles of archived responses, extracted with the
current extractor and stored as a crawl stores them.

In archives of ours the responses re-extracted are exactly those the crawl made articles of (their `metadata`
records say which), so a re-import reproduces the crawl's articles; in other archives (Common Crawl news WARCs,
browsertrix WACZ) every HTML 200 response is tried.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from rich.console import Console
from rich.progress import Progress
from w3lib.encoding import http_content_type_encoding

from archive.importer import (
    ArchivedResponse,
    article_record_ids,
    iter_archived_responses,
    source_folders,
    total_size,
)
from archive.records import Article, NotAnArticle
from archive.store import ArchiveStore, SaveReport
from crawler.extract import extract_article
from crawler.finish import finish_article
from crawler.sites import SiteProfile, load_profile

logger = logging.getLogger(__name__)


@dataclass
class ImportSummary:
    """What `import_archives` did."""

    responses: int = 0
    candidates: int = 0
    not_articles: int = 0
    new: int = 0
    changed: int = 0
    unchanged: int = 0
    duplicates: int = 0
    refused: list[tuple[str, str]] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)

    def add_report(self, report: SaveReport) -> None:
        self.new += len(report.new)
        self.changed += len(report.changed)
        self.unchanged += len(report.unchanged)
        self.duplicates += len(report.duplicates)
        self.refused.extend(report.refused)

    def __str__(self) -> str:
        return (
            f"{self.responses} responses read, {self.candidates} article candidates, {self.not_articles} not "
            f"articles; stored {self.new} new, {self.changed} changed, {self.unchanged} unchanged "
            f"({self.duplicates} duplicates), {len(self.refused)} refused, {len(self.skipped)} records unreadable"
        )

    def __rich__(self) -> str:  # rich would print a dataclass field by field
        return str(self)


def _is_candidate(response: ArchivedResponse, profile: SiteProfile | None, article_ids: set[str]) -> bool:
    if article_ids:
        return response.pointer.record_id in article_ids
    content_type = (response.content_type or "").lower()
    if response.status != 200 or not ("html" in content_type or not content_type):
        return False
    return profile is None or (profile.owns(response.url) and profile.is_article_url(response.url))


def import_archives(
    store: ArchiveStore,
    paths: Iterable[str | os.PathLike[str]],
    *,
    site: str | None = None,
    progress: Console | None = None,
    batch_size: int = 100,
) -> ImportSummary:
    """Extract articles from archived responses (WARC files, folders, WACZ) into the store.

    In archives of ours, the responses re-extracted are exactly those the crawl made articles of (their
    `metadata` records say which), so a re-import reproduces the crawl's articles with the current extractor.
    In other archives, every HTML 200 response is tried (those of `site`'s article URLs, with a profile).
    Articles are finished as the crawl finishes them (`crawler.finish.finish_article`): site (the profile's
    name, or the host), WARC-Date as `fetched_at`, the record as `warc`, canonical URL, timestamps. The folders
    of the files read are remembered by the store, so the imported rows' records can be read and exported.
    """
    profile = load_profile(site) if site else None
    paths = list(paths)
    # the imported rows point into these files: the archive remembers where they are
    store.remember_warc_folders(folder for path in paths for folder in source_folders(path))
    summary = ImportSummary()
    batch: list[Article] = []

    def flush() -> None:
        if batch:
            summary.add_report(store.save_articles(batch))
            batch.clear()

    with Progress(console=progress, disable=progress is None, transient=True) as bar:
        for path in paths:
            article_ids = article_record_ids(path)
            task = bar.add_task(f"importing {Path(path).name}", total=total_size(path))
            responses = iter_archived_responses(
                path,
                on_skip=lambda url, reason: summary.skipped.append((url, reason)),
                on_progress=lambda done, task=task: bar.advance(task, done),
            )
            for response in responses:
                summary.responses += 1
                if not _is_candidate(response, profile, article_ids):
                    continue
                summary.candidates += 1
                article = _extract(response, profile)
                if article is None:
                    summary.not_articles += 1
                    continue
                batch.append(article)
                if len(batch) >= batch_size:
                    flush()
        flush()
    return summary


def _extract(response: ArchivedResponse, profile: SiteProfile | None) -> Article | None:
    # Without a profile, a page is extracted and finished as an ad-hoc crawl of its host would do it.
    site = profile or SiteProfile.ad_hoc([response.url])
    encoding = http_content_type_encoding(response.content_type or "")
    try:
        article = extract_article(
            response.body, response.url, profile=site, encoding=encoding, fetched_at=response.date
        )
        return finish_article(article, site, fetched_at=response.date, warc=response.pointer)
    except (NotAnArticle, ValueError) as error:
        logger.info("not an article: %s: %s", response.url, error)
        return None
