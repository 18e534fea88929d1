"""The ground floor of newsarchive: records, text form, WARC writing and reading, the SQL archive. No Scrapy."""

__version__ = "0.1"  # the one version string: pyproject.toml reads it, the user agent and WARC software cite it
