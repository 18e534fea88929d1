"""The crawl report: one self-contained HTML page with charts of a run (or of the whole archive).

`newsarchive report [--run N] -o report.html`. The figures are read from the SQL archive (`collect`, plain data),
then drawn with matplotlib as inline SVG (`render`): articles per day and section, outcomes over time, failures by
reason, response codes, bytes archived per host, and how often extraction filled each field. The page needs no
network, no script and no file beside it.
"""

from __future__ import annotations

import html
import io
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from archive import rows
from archive.models import ArticleRow, CaptureRow
from archive.outcomes import Outcome
from archive.runrecords import list_runs
from archive.store import ArchiveStore

TOP = 10  # bars shown in the charts of sections, failure reasons and hosts
FILLED_FIELDS = ("title", "lead", "text", "authors", "section", "tags", "language", "main_image", "published_at",
                 "modified_at", "captions")
OUTCOME_COLOURS = {Outcome.ARTICLE: "#2a9d8f", Outcome.FAILED: "#d62828", Outcome.NOT_MODIFIED: "#8ecae6",
                   Outcome.DUPLICATE: "#f4a261", Outcome.NOT_ARTICLE: "#adb5bd", Outcome.REDIRECT: "#6c757d",
                   Outcome.SITEMAP: "#e9c46a", Outcome.LISTING: "#90be6d", Outcome.FEED: "#f9844a"}
CHART_IDS = ("articles-per-day", "outcomes-over-time", "failures-by-reason", "response-codes", "bytes-per-host",
             "fill-rates")


@dataclass
class ReportData:
    """What the report shows, read from the archive."""

    title: str
    runs: list[dict[str, Any]]
    articles_per_day: dict[str, Counter[str]] = field(default_factory=dict)  # day → section → articles
    outcomes_over_time: dict[datetime, Counter[str]] = field(default_factory=dict)  # bucket start → outcome → n
    bucket: timedelta = timedelta(minutes=1)
    failures: Counter[str] = field(default_factory=Counter)
    status_codes: Counter[str] = field(default_factory=Counter)
    bytes_per_host: Counter[str] = field(default_factory=Counter)
    fill_rates: dict[str, float] = field(default_factory=dict)
    articles: int = 0


def collect(store: ArchiveStore, run_id: int | None = None) -> ReportData:
    """The report's figures for run `run_id`, or for the whole archive."""
    runs = list_runs(store, run_id=run_id, limit=1 if run_id is not None else 10)
    if run_id is not None and not runs:
        raise LookupError(f"no crawl run {run_id} in this archive")
    title = f"run {run_id} ({runs[0]['site']})" if run_id is not None else "the archive"
    data = ReportData(title=title, runs=runs)
    with Session(store.engine) as session:
        captures = select(CaptureRow.fetched_at, CaptureRow.outcome, CaptureRow.reason, CaptureRow.status,
                          CaptureRow.url, CaptureRow.warc_length)
        articles = select(ArticleRow).options(selectinload(ArticleRow.captions))
        if run_id is not None:
            captures = captures.where(CaptureRow.run_id == run_id)
            articles = articles.where(ArticleRow.run_id == run_id)
        _add_captures(data, session.execute(captures.execution_options(yield_per=5000)).all())
        _add_articles(data, session.scalars(articles.execution_options(yield_per=1000)))
    return data


def _add_captures(data: ReportData, captured: list[Any]) -> None:
    if not captured:
        return
    start = min(row.fetched_at for row in captured)
    span = max(row.fetched_at for row in captured) - start
    data.bucket = _bucket_for(span)
    over_time: dict[datetime, Counter[str]] = defaultdict(Counter)
    for row in captured:
        over_time[start + data.bucket * ((row.fetched_at - start) // data.bucket)][row.outcome or "(none)"] += 1
        if row.outcome == Outcome.FAILED:
            data.failures[row.reason or "(no reason)"] += 1
        data.status_codes[str(row.status) if row.status else "no response"] += 1
        data.bytes_per_host[urlsplit(row.url).hostname or "(none)"] += row.warc_length or 0
    data.outcomes_over_time = dict(sorted(over_time.items()))


def _bucket_for(span: timedelta) -> timedelta:
    """A round bucket giving at most about 60 bars over `span`."""
    for bucket in (timedelta(seconds=s) for s in (1, 5, 10, 30, 60, 300, 600, 1800, 3600, 6 * 3600, 86400)):
        if span / bucket <= 60:
            return bucket
    return timedelta(days=7)


def _add_articles(data: ReportData, articles: Any) -> None:
    per_day: dict[str, Counter[str]] = defaultdict(Counter)
    filled: Counter[str] = Counter()
    for row in articles:
        data.articles += 1
        day = rows.local(row.published_at, row.published_offset) or row.fetched_at
        per_day[day.date().isoformat() if day else "unknown"][row.section or "(none)"] += 1
        for name in FILLED_FIELDS:
            filled[name] += bool(getattr(row, name))
    data.articles_per_day = dict(sorted(per_day.items()))
    data.fill_rates = {name: filled[name] / data.articles for name in FILLED_FIELDS} if data.articles else {}


# --- drawing ------------------------------------------------------------------------------------------------------
def render(data: ReportData) -> str:
    """The report as one HTML page, its charts inline SVG."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot

    pyplot.rcParams.update({"svg.fonttype": "none", "font.size": 10, "axes.spines.top": False,
                            "axes.spines.right": False})
    charts = [
        ("articles-per-day", "Articles per day and section", _articles_per_day(pyplot, data)),
        ("outcomes-over-time", f"Outcomes over time (per {_duration(data.bucket)})", _outcomes(pyplot, data)),
        ("failures-by-reason", "Failures by reason", _bars(pyplot, data.failures, "#d62828", "pages")),
        ("response-codes", "Response codes", _bars(pyplot, data.status_codes, "#457b9d", "responses")),
        ("bytes-per-host", "Bytes archived per host", _bars(pyplot, data.bytes_per_host, "#6a4c93", "bytes")),
        ("fill-rates", "Extraction: share of articles with each field filled", _fill_rates(pyplot, data)),
    ]
    figures = "\n".join(
        f'<figure id="{chart_id}"><figcaption>{html.escape(caption)}</figcaption>{svg}</figure>'
        for chart_id, caption, svg in charts
    )
    return PAGE.format(title=html.escape(data.title), runs=_runs_table(data.runs), articles=data.articles,
                       figures=figures)


def _svg(pyplot: Any, figure: Any) -> str:
    out = io.StringIO()
    figure.savefig(out, format="svg", bbox_inches="tight")
    pyplot.close(figure)
    text = out.getvalue()
    return text[text.index("<svg"):]


def _empty(pyplot: Any, message: str) -> str:
    figure, axes = pyplot.subplots(figsize=(8, 1.2))
    axes.axis("off")
    axes.text(0.5, 0.5, message, ha="center", va="center", color="#6c757d")
    return _svg(pyplot, figure)


def _articles_per_day(pyplot: Any, data: ReportData) -> str:
    if not data.articles_per_day:
        return _empty(pyplot, "no articles")
    totals: Counter[str] = Counter()
    for sections in data.articles_per_day.values():
        totals.update(sections)
    shown = [section for section, _ in totals.most_common(TOP - 1)]
    days = list(data.articles_per_day)
    figure, axes = pyplot.subplots(figsize=(10, 4))
    bottom = [0] * len(days)
    for section in [*shown, "other"]:
        heights = [sections[section] if section != "other" else
                   sum(n for s, n in sections.items() if s not in shown) for sections in data.articles_per_day.values()]
        if any(heights):
            axes.bar(days, heights, bottom=bottom, label=section)
            bottom = [b + h for b, h in zip(bottom, heights, strict=True)]
    axes.set_ylabel("articles")
    axes.yaxis.get_major_locator().set_params(integer=True)
    axes.legend(fontsize=8, frameon=False, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    axes.tick_params(axis="x", labelrotation=60, labelsize=8)
    if len(days) > 30:
        axes.set_xticks(days[:: len(days) // 30 + 1])
    return _svg(pyplot, figure)


def _outcomes(pyplot: Any, data: ReportData) -> str:
    if not data.outcomes_over_time:
        return _empty(pyplot, "nothing was fetched")
    times = list(data.outcomes_over_time)
    outcomes = sorted({o for counts in data.outcomes_over_time.values() for o in counts})
    figure, axes = pyplot.subplots(figsize=(10, 3.5))
    bottom = [0] * len(times)
    width = data.bucket / timedelta(days=1) * 0.9  # matplotlib's dates are in days
    for outcome in outcomes:
        heights = [counts[outcome] for counts in data.outcomes_over_time.values()]
        axes.bar(times, heights, bottom=bottom, width=width, label=outcome, color=OUTCOME_COLOURS.get(outcome))
        bottom = [b + h for b, h in zip(bottom, heights, strict=True)]
    axes.set_ylabel("pages")
    axes.yaxis.get_major_locator().set_params(integer=True)
    axes.legend(fontsize=8, frameon=False, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    figure.autofmt_xdate()
    return _svg(pyplot, figure)


def _bars(pyplot: Any, counts: Counter[str], colour: str, unit: str) -> str:
    if not counts:
        return _empty(pyplot, f"no {unit}")
    top = counts.most_common(TOP)[::-1]
    figure, axes = pyplot.subplots(figsize=(10, 0.4 * len(top) + 0.8))
    labels = [label if len(label) <= 70 else label[:67] + "…" for label, _ in top]
    bars = axes.barh(labels, [n for _, n in top], color=colour)
    axes.bar_label(bars, labels=[f"{n:,}" for _, n in top], padding=3, fontsize=8)
    axes.xaxis.get_major_locator().set_params(integer=True)
    axes.set_xlabel(unit)
    return _svg(pyplot, figure)


def _fill_rates(pyplot: Any, data: ReportData) -> str:
    if not data.fill_rates:
        return _empty(pyplot, "no articles")
    names = list(data.fill_rates)[::-1]
    figure, axes = pyplot.subplots(figsize=(10, 0.35 * len(names) + 0.8))
    bars = axes.barh(names, [data.fill_rates[n] * 100 for n in names], color="#2a9d8f")
    axes.bar_label(bars, labels=[f"{data.fill_rates[n]:.0%}" for n in names], padding=3, fontsize=8)
    axes.set_xlim(0, 110)
    axes.set_xlabel("% of articles")
    return _svg(pyplot, figure)


def _runs_table(runs: list[dict[str, Any]]) -> str:
    columns = ("id", "started_at", "site", "status", "exit_code", "pages_fetched", "articles_new", "articles_changed",
               "duplicates", "pages_failed", "bytes_archived", "duration_s")
    head = "".join(f"<th>{c.replace('_', ' ')}</th>" for c in columns)
    shown = [{**run, "started_at": (run["started_at"] or "")[:16].replace("T", " ")} for run in runs]
    body = "".join("<tr>" + "".join(f"<td>{html.escape(str(run[c] if run[c] is not None else ''))}</td>"
                                    for c in columns) + "</tr>" for run in shown)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _duration(bucket: timedelta) -> str:
    seconds = int(bucket.total_seconds())
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= size:
            return f"{seconds // size} {unit}{'s' if seconds // size > 1 else ''}"
    return f"{seconds} second{'s' if seconds > 1 else ''}"


PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>newsarchive report: {title}</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 2rem auto; max-width: 1100px; color: #212529; }}
h1 {{ font-size: 1.6rem; }} figure {{ margin: 2rem 0; }} figcaption {{ font-weight: 600; margin-bottom: .5rem; }}
figure svg {{ max-width: 100%; height: auto; }}
table {{ border-collapse: collapse; font-size: .85rem; }}
th, td {{ padding: .2rem .6rem; border-bottom: 1px solid #dee2e6; text-align: right; }} th {{ background: #f1f3f5; }}
</style></head>
<body>
<h1>newsarchive report: {title}</h1>
<p>{articles:,} articles. Crawl runs:</p>
{runs}
{figures}
</body></html>
"""
