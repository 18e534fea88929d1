"""Signals newsarchive's components exchange (sent with `crawler.signals.send_catch_log`).

`capture_recorded(capture: Capture)`: the WARC recorder archived a response; the SQL pipeline stores the capture.
`page_outcome(url: str, outcome: Outcome, reason: str, requisite_of: str = "")`: the spider (or the dedup pipeline)
decided what a fetched page was (`archive.outcomes.Outcome`); the SQL pipeline records it on the capture.
`requisite_of` is the article page a photo or stylesheet was fetched for (empty for a page): a run is judged by its
pages (`crawler.runhealth`), its requisites counted apart.
`validators_requested(url: str)`: a discovery document is about to be fetched again; `ArchiveQueries` answers with
(a Deferred of) the `If-None-Match` / `If-Modified-Since` headers of its last capture, if any.
`urls_listed(site: str, source: str, kind: str, urls: Mapping[str, datetime | None])`: a discovery document
(`source`) listed these article URLs (`kind` "article") or discovery documents (`kind` "sitemap", "listing"), each
with the date it gave (or None); `crawler.frontier.Frontier` records them (awaitable) before any is requested, so
what a run could not fetch is owed to the next one.
`due_articles_requested(site: str, count: int, since: datetime | None, refresh: bool)`: the spider's scheduler runs
low; the frontier answers with at most `count` listed article URLs due to be fetched (an empty list: none now).
`articles_left_requested(site: str)`: the spider stops taking article URLs (`--max-articles`); the frontier answers
with how many listed URLs the archive lacks that the run did not reach.
`listed_documents_requested(site: str, source: str)`: a discovery document answered 304; answered with the
(URL, kind) of the documents it listed when last read, which the spider requests again (conditionally).
With no component connected nobody answers: no article URL is requested and no validator sent.
"""

articles_left_requested = object()
capture_recorded = object()
due_articles_requested = object()
page_outcome = object()
validators_requested = object()
listed_documents_requested = object()
urls_listed = object()
