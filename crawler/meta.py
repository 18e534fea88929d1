"""The `Request.meta` / `Response.meta` keys newsarchive's components read and write, named in one place.

Ours:
- `WARC_POINTER`: the `archive.records.WarcPointer` of the response (or revisit) record, set by the WARC
  recorder, read by the spider into `Article.warc`.
- `WARC_DATE`: the WARC-Date of that record (an aware UTC datetime), read by the spider as `fetched_at`.
- `WIRE`: the `crawler.wiretap.Wire` of the exchange (the bytes sent and received on the connection), set by the
  tapped download handler once the response head is in, taken (popped) by the WARC recorder, which writes its
  records from it; absent when another download handler fetched the request.
- `CONDITIONAL`: set by the spider on discovery requests; the conditional-request middleware adds the validators
  of the URL's last capture to those only.
- `REQUISITE_OF`: set by the spider on a page requisite's request (`crawler.requisites`): the URL of the article
  page that needs it, recorded as the requisite's reason.

Scrapy's own, read by our components: `REDIRECT_URLS` (RedirectMiddleware), `DOWNLOAD_LATENCY` (the downloader),
`PROXY` (HttpProxyMiddleware); set by the spider: `ALLOW_OFFSITE` (OffsiteMiddleware lets a requisite on another
host through: a CDN is the normal case), `HANDLE_HTTPSTATUS_LIST` (HttpErrorMiddleware: a discovery document's 304
reaches its callback, which requests again what the document listed).
"""

WARC_POINTER = "warc"
WARC_DATE = "warc_date"
CONDITIONAL = "conditional"
WIRE = "newsarchive_wire"
REQUISITE_OF = "requisite_of"

REDIRECT_URLS = "redirect_urls"
DOWNLOAD_LATENCY = "download_latency"
PROXY = "proxy"
ALLOW_OFFSITE = "allow_offsite"
HANDLE_HTTPSTATUS_LIST = "handle_httpstatus_list"
