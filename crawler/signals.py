"""Signals newsarchive's components exchange (sent with `crawler.signals.send_catch_log`).

`capture_recorded(capture: Capture)`: the WARC recorder archived a response; the SQL pipeline stores the capture.
`page_outcome(url: str, outcome: Outcome, reason: str)`: the spider (or the dedup pipeline) decided what a fetched
page was (`archive.outcomes.Outcome`); the SQL pipeline records it on the capture.
`archived_articles_requested(site: str)`: the spider asks, before discovery starts, which articles of `site` the
archive already holds; `crawler.archivequeries.ArchiveQueries` answers with (a Deferred of) a dict canonical
URL → the date of the stored copy (or None). Used for incremental crawls; with no store connected nobody
answers and everything is fetched.
`validators_requested(url: str)`: a discovery document is about to be fetched again; `ArchiveQueries` answers with
(a Deferred of) the `If-None-Match` / `If-Modified-Since` headers of its last capture, if any.
`urls_listed(site: str, source: str, kind: str, urls: list[str])`: a discovery document (`source`) listed these
article URLs (`kind` "article") or discovery documents (`kind` "sitemap", "listing"); `ArchiveQueries` records
them before the spider requests them (awaitable), so what a run could not fetch is owed to the next one.
`owed_urls_requested(site: str)`: the spider asks, before discovery starts, which listed article URLs the archive
still owes; answered with an `archive.store.OwedUrls`.
`listed_documents_requested(site: str, source: str)`: a discovery document answered 304; answered with the
(URL, kind) of the documents it listed when last read, which the spider requests again (conditionally).
"""

archived_articles_requested = object()
capture_recorded = object()
page_outcome = object()
validators_requested = object()
listed_documents_requested = object()
owed_urls_requested = object()
urls_listed = object()
