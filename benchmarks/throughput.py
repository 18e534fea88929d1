"""Throughput in CPU seconds, which stay meaningful on a shared machine: the whole crawl against the cost of
extraction alone and against trafilatura, on the same newsroom pages.

    .venv/bin/python benchmarks/throughput.py [--articles 2000 20000] [--rounds 3] [--concurrency 16]
        [--set NAME=VALUE ...]

The newsroom runs in a process of its own (`python -m crawler.newsroom`) and is warmed up first (every page rendered
once and cached), so its CPU is accounted apart. Then, in interleaved rounds, four stages on the same pages:

- `crawl`: `newsarchive crawl --sitemap …` (WARC, extraction pool, dedup, SQLite), AutoThrottle off, with the
  `--set` settings;
- `trafilatura-cli`: trafilatura's own command line, `--sitemap … --list`, then `-i LIST --parallel 2` (sleep 0);
- `scrapy-floor`: a bare Scrapy spider (Scrapy's defaults, no add-on, a callback that does nothing) fetching once
  each (retries off: what a crawl here fails is a removed page or an unreachable host, which the crawl does not
  retry either) the very URLs the crawl of the same round fetched (sitemaps, articles, photos, stylesheets, read
  from its captures): what Scrapy alone costs for those requests, the floor under any Scrapy crawl of this site;
- `extract-pool`: the project's `extract_article` over the pages from disk in a 2-process pool;
- `trafilatura-pool`: trafilatura's `extract(..., with_metadata=True)` likewise.

Each stage runs as a child process tree whose CPU (user + sys of every process in it, extraction workers included,
reaped or not) is read from a cpuacct cgroup made for the stage when this machine allows it (root, cgroup v1
`cpuacct` or v2), else by sampling `/proc` every 50 ms (printed as the accounting method; with a cgroup, `/proc` is
read every 0.5 s, for the peak RSS only). Figures are medians over the rounds; `cores busy` is CPU seconds / (wall
seconds × cores); `machine` is the share of the machine's cores busy meanwhile (/proc/stat): the stage and whatever
else ran, the site's server and this script included. Nothing leaves 127.0.0.1.
"""

from __future__ import annotations

import argparse
import asyncio
import gzip
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
STAGES = ("crawl", "scrapy-floor", "trafilatura-cli", "extract-pool", "trafilatura-pool")
CGROUP_ROOTS = (Path("/sys/fs/cgroup/cpuacct"), Path("/sys/fs/cgroup"))
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


@dataclass
class Usage:
    """What one stage cost: wall and CPU seconds of its process tree, peak RSS of each process in it."""

    wall: float = 0.0
    cpu: float = 0.0
    peak_rss_mib: dict[str, float] = field(default_factory=dict)
    items: int = 0
    machine_busy: float = 0.0  # share of all the machine's cores busy meanwhile, with whatever else ran (the site)


# --- accounting ------------------------------------------------------------------------------------------------------


class CpuCgroup:
    """A cgroup whose CPU counter covers every process started in it, reaped or not (None if not allowed here)."""

    def __init__(self, path: Path, counter: str) -> None:
        self.path, self.counter = path, counter

    @classmethod
    def make(cls, name: str) -> CpuCgroup | None:
        for root, counter in zip(CGROUP_ROOTS, ("cpuacct.usage", "cpu.stat"), strict=True):
            if not (root / counter).exists() and not (root / "cgroup.procs").exists():
                continue
            path = root / name
            try:
                path.mkdir(exist_ok=True)
                if (path / counter).exists():
                    return cls(path, counter)
                path.rmdir()
            except OSError:
                continue
        return None

    def add(self, pid: int) -> None:
        (self.path / "cgroup.procs").write_text(str(pid))

    def cpu_seconds(self) -> float:
        text = (self.path / self.counter).read_text()
        if self.counter == "cpuacct.usage":
            return int(text) / 1e9
        return int(re.search(r"usage_usec (\d+)", text).group(1)) / 1e6  # type: ignore[union-attr]

    def remove(self) -> None:
        """Remove the cgroup once the last of its processes (a forkserver, a resource tracker) has gone."""
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            try:
                self.path.rmdir()
                return
            except OSError:
                time.sleep(0.1)


def process_tree(root: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry.name))
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo.extend(children.get(pid, []))
    return found


def _sample(pid: int) -> tuple[str, float, float] | None:
    """(command name, CPU seconds of the process and its reaped children, peak RSS MiB) of one process."""
    try:
        stat = (Path("/proc") / str(pid) / "stat").read_text()
        status = (Path("/proc") / str(pid) / "status").read_text()
    except OSError:
        return None
    name = stat[stat.index("(") + 1 : stat.rindex(")")]
    fields = stat.rsplit(")", 1)[1].split()
    cpu = sum(int(value) for value in fields[11:15]) / CLOCK_TICKS  # utime stime cutime cstime
    hwm = re.search(r"VmHWM:\s+(\d+) kB", status)
    return name, cpu, (int(hwm.group(1)) / 1024 if hwm else 0.0)


def machine_jiffies() -> tuple[int, int]:
    """Busy and total CPU time of the whole machine so far, in clock ticks (/proc/stat; idle and iowait not busy)."""
    fields = [int(value) for value in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]]
    return sum(fields) - fields[3] - fields[4], sum(fields)


def measure(
    command: list[str], *, cwd: Path, stdout: Path | None = None, name: str = "stage", ok: tuple[int, ...] = (0,)
) -> Usage:
    """Run `command` to completion; its wall time, the CPU of its whole process tree, each process's peak RSS.

    `ok`: the exit codes that mean it ran (trafilatura's command line exits 1 when any page failed, and the
    newsroom has a removed article on purpose)."""
    # A cgroup of its own per run: one whose last processes had not quite gone would add the last run's CPU.
    cgroup = CpuCgroup.make(f"newsarchive-bench-{os.getpid()}-{name}-{time.monotonic_ns()}")
    out = stdout.open("wb") if stdout else subprocess.DEVNULL
    started, machine_before = time.perf_counter(), machine_jiffies()
    # The child waits on a pipe until it is in the cgroup, so none of its CPU escapes the count.
    gate_read, gate_write = os.pipe()
    with tempfile.TemporaryFile() as errors:  # not a pipe: a chatty stage would block on it until it was read
        process = subprocess.Popen(
            [sys.executable, "-c", "import os,sys; os.read(int(sys.argv[1]), 1); os.execvp(sys.argv[2], sys.argv[2:])",
             str(gate_read), *command],
            cwd=cwd, stdout=out, stderr=errors, pass_fds=(gate_read,),
        )
        os.close(gate_read)
        if cgroup:
            cgroup.add(process.pid)
        os.write(gate_write, b"x")
        os.close(gate_write)
        seen: dict[int, tuple[str, float, float]] = {}
        while process.poll() is None:
            for pid in process_tree(process.pid):
                sample = _sample(pid)
                if sample:
                    name, cpu, rss = sample
                    _, seen_cpu, seen_rss = seen.get(pid, (name, 0.0, 0.0))
                    seen[pid] = (name, max(cpu, seen_cpu), max(rss, seen_rss))
            # With a cgroup the samples only watch peak RSS (a high-water mark): a walk of /proc every 50 ms cost this
            # script ~10 % of a core, taken from the stage it measures.
            time.sleep(0.5 if cgroup else 0.05)
        wall = time.perf_counter() - started
        busy, total = (after - before for after, before in zip(machine_jiffies(), machine_before, strict=True))
        if stdout:
            out.close()  # type: ignore[union-attr]
        if process.returncode not in ok:
            errors.seek(0)
            sys.exit(f"{' '.join(command[:3])} … failed ({process.returncode}):\n"
                     f"{errors.read().decode(errors='replace')[-3000:]}")
    if cgroup:
        cpu = cgroup.cpu_seconds()
        cgroup.remove()
    else:
        cpu = sum(sample[1] for sample in seen.values())
    peaks: dict[str, float] = {}
    for pid, (command_name, _, rss) in seen.items():
        label = "main" if pid == process.pid else f"child:{command_name}"
        peaks[label] = max(peaks.get(label, 0.0), rss)
    return Usage(wall=wall, cpu=cpu, peak_rss_mib=peaks, machine_busy=busy / max(total, 1))


def accounting_method() -> str:
    cgroup = CpuCgroup.make(f"newsarchive-bench-{os.getpid()}-probe")
    if cgroup:
        cgroup.remove()
        return f"cgroup ({cgroup.path.parent})"
    return "/proc sampling every 50 ms (a process that exits unreaped loses its last 50 ms)"


# --- the site and its pages ------------------------------------------------------------------------------------------


def _free(port: int) -> bool:
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


@contextmanager
def newsroom(articles: int) -> Iterator[str]:
    """The newsroom in its own process; yields its base URL.

    On port 80 where this process may bind it: trafilatura's URL filter (courlan) refuses URLs with a port on a
    numeric host, so its command line could not crawl `http://127.0.0.1:PORT/`.
    """
    port = 80 if _free(80) else 0
    server = subprocess.Popen(
        [sys.executable, "-m", "crawler.newsroom", "--port", str(port), "--articles", str(articles)],
        cwd=ROOT, stderr=subprocess.PIPE, text=True,
    )
    try:
        line = server.stderr.readline() if server.stderr else ""
        match = re.search(r"serving (http://[^/\s]+)/", line)
        if port != 80:
            print("port 80 is taken: trafilatura's command line will refuse the site's URLs (0 pages)")
        if not match:
            raise SystemExit(f"the newsroom did not start: {line}")
        yield match.group(1)
    finally:
        server.terminate()
        server.wait(timeout=10)


async def _fetch(base_url: str, paths: list[str], clients: int = 8) -> dict[str, bytes]:
    """GET every path over keep-alive connections (no compression); path → body."""
    host, port = urlsplit(base_url).hostname, urlsplit(base_url).port or 80
    queue = list(paths)
    bodies: dict[str, bytes] = {}

    async def client() -> None:
        reader, writer = await asyncio.open_connection(host, port)
        while queue:
            path = queue.pop()
            writer.write(f"GET {path} HTTP/1.1\r\nHost: {urlsplit(base_url).netloc}\r\n\r\n".encode())
            await reader.readline()
            length = 0
            while (line := await reader.readline()) not in (b"\r\n", b""):
                name, _, value = line.partition(b":")
                if name.lower() == b"content-length":
                    length = int(value)
            bodies[path] = await reader.readexactly(length)
        writer.close()

    await asyncio.gather(*(client() for _ in range(clients)))
    return bodies


def article_urls(base_url: str) -> list[str]:
    """Every URL the site's sitemaps list (the index, then its children), as trafilatura and the crawl find them."""
    index = asyncio.run(_fetch(base_url, ["/sitemap.xml"]))["/sitemap.xml"]
    children = [urlsplit(loc).path for loc in re.findall(rb"<loc>([^<]+)</loc>", index) for loc in [loc.decode()]]
    urls: list[str] = []
    for path, body in asyncio.run(_fetch(base_url, children)).items():
        if path.endswith(".gz"):
            body = gzip.decompress(body)
        urls += [loc.decode() for loc in re.findall(rb"<loc>([^<]+)</loc>", body)]
    return sorted(set(urls))


def save_pages(base_url: str, urls: list[str], folder: Path) -> None:
    """Fetch every page once (which also renders and caches it in the server) and keep it on disk."""
    bodies = asyncio.run(_fetch(base_url, [urlsplit(url).path for url in urls]))
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / "index.tsv").open("w") as index:
        for number, url in enumerate(urls):
            (folder / f"{number}.html").write_bytes(bodies[urlsplit(url).path])
            index.write(f"{number}\t{url}\n")


# --- the stages ------------------------------------------------------------------------------------------------------


def _extract_one(job: tuple[str, str, str]) -> bool:
    extractor, path, url = job
    body = Path(path).read_bytes()
    if extractor == "trafilatura":
        import trafilatura

        return trafilatura.extract(body, url=url, with_metadata=True) is not None
    from archive.records import NotAnArticle
    from crawler.extract import extract_article

    try:
        extract_article(body, url)
    except NotAnArticle:
        return False
    return True


def extract_pages(extractor: str, folder: Path, workers: int) -> None:
    """The `extract-pool` / `trafilatura-pool` stage (run in a child process): prints how many pages gave text."""
    jobs = [
        (extractor, str(folder / f"{number}.html"), url)
        for number, url in (line.split("\t") for line in (folder / "index.tsv").read_text().splitlines())
    ]
    with ProcessPoolExecutor(max_workers=workers) as pool:
        extracted = sum(pool.map(_extract_one, jobs, chunksize=8))
    print(extracted)


def fetch_all(urls_file: Path, concurrency: int) -> None:
    """The `scrapy-floor` stage (run in a child process): every URL of the file fetched by a bare Scrapy spider;
    prints how many responses came."""
    import scrapy
    from scrapy.crawler import CrawlerProcess

    urls = urls_file.read_text().split()
    responses = 0

    class Floor(scrapy.Spider):
        name = "floor"

        async def start(self):  # type: ignore[override]
            for url in urls:
                yield scrapy.Request(url, dont_filter=True)

        def parse(self, response: scrapy.http.Response) -> None:
            nonlocal responses
            responses += 1

    process = CrawlerProcess({
        "CONCURRENT_REQUESTS": concurrency, "CONCURRENT_REQUESTS_PER_DOMAIN": concurrency, "LOG_LEVEL": "WARNING",
        "AUTOTHROTTLE_ENABLED": False, "ROBOTSTXT_OBEY": False, "TELNETCONSOLE_ENABLED": False,
        "HTTPERROR_ALLOW_ALL": True, "RETRY_ENABLED": False,
    })
    process.crawl(Floor)
    process.start()
    print(responses)


def crawl_command(
    base_url: str, db_url: str, warc_dir: Path, settings: Iterable[str] = (), concurrency: int | None = None
) -> list[str]:
    """`newsarchive crawl` of the site at `base_url` (sitemap), as every benchmark runs it: on 127.0.0.1, no
    AutoThrottle, warnings only, `concurrency` requests at once (to one host too) if given, and `settings`
    (NAME=VALUE) given with -s."""
    concurrent = (f"CONCURRENT_REQUESTS={concurrency}", f"CONCURRENT_REQUESTS_PER_DOMAIN={concurrency}")
    settings = (*(concurrent if concurrency else ()), *settings)
    return [str(BIN / "newsarchive"), "crawl", "--sitemap", f"{base_url}/sitemap.xml", "--db", db_url,
            "--warc-dir", str(warc_dir), "--allow-private", "-s", "AUTOTHROTTLE_ENABLED=false",
            "-s", "LOG_LEVEL=WARNING", *(argument for setting in settings for argument in ("-s", setting))]


def fetched_urls(db_url: str) -> list[str]:
    """Every URL a crawl into the archive at `db_url` fetched or failed to fetch (its captures)."""
    from sqlalchemy import text

    from archive.store import ArchiveStore

    store = ArchiveStore(db_url)
    with store.engine.connect() as connection:
        fetched = connection.execute(text("SELECT DISTINCT url FROM captures")).scalars().all()
    store.close()
    return list(fetched)


def measure_floor(urls_file: Path, concurrency: int, cwd: Path) -> Usage:
    """The `scrapy-floor` stage: `fetch_all` over the URLs of the file in a child process, measured; its items are
    the responses that came."""
    usage = measure([sys.executable, __file__, "--scrapy-floor", str(urls_file), "--concurrency", str(concurrency)],
                    cwd=cwd, stdout=cwd / "count.txt", name="scrapy-floor")
    usage.items = int((cwd / "count.txt").read_text().strip() or 0)
    return usage


def run_stage(
    stage: str, base_url: str, pages: Path, work: Path, concurrency: int, settings: tuple[str, ...] = ()
) -> Usage:
    run = work / f"{stage}-{time.monotonic_ns()}"
    run.mkdir()
    if stage == "crawl":
        db_url = f"sqlite:///{run / 'archive.db'}"
        usage = measure(crawl_command(base_url, db_url, run / "warc", settings, concurrency), cwd=run, name=stage)
        from archive.store import ArchiveStore

        store = ArchiveStore(db_url)
        usage.items = sum(1 for _ in store.iter_articles())
        store.close()
        (work / "fetched-urls.txt").write_text("\n".join(fetched_urls(db_url)))
        return usage
    if stage == "scrapy-floor":
        if not (work / "fetched-urls.txt").exists():
            sys.exit("the scrapy-floor stage fetches what the crawl stage fetched: run the crawl stage too")
        return measure_floor(work / "fetched-urls.txt", concurrency, run)
    if stage == "trafilatura-cli":
        config = run / "trafilatura.cfg"
        config.write_text("[DEFAULT]\nDOWNLOAD_TIMEOUT = 30\nSLEEP_TIME = 0\nMAX_REDIRECTS = 2\n"
                          "MIN_EXTRACTED_SIZE = 250\nMIN_OUTPUT_SIZE = 1\nEXTENSIVE_DATE_SEARCH = on\n"
                          "USER_AGENTS =\nCOOKIE =\nMAX_FILE_SIZE = 20000000\nMIN_FILE_SIZE = 10\n"
                          "MIN_EXTRACTED_COMM_SIZE = 1\nMIN_OUTPUT_COMM_SIZE = 1\nMIN_DUPLCHECK_SIZE = 100\n"
                          "MAX_REPETITIONS = 2\nMAX_SITEMAPS_SEEN = 10000\nEXTERNAL_URLS = off\n"
                          "SSRF_PROTECTION = off\n")  # the site is on 127.0.0.1 by design
        listing = measure([str(BIN / "trafilatura"), "--sitemap", f"{base_url}/sitemap.xml", "--list",
                           "--config-file", str(config)], cwd=run, stdout=run / "urls.txt", name=stage + "-list")
        extraction = measure([str(BIN / "trafilatura"), "-i", str(run / "urls.txt"), "--parallel", "2", "-o",
                              str(run / "out"), "--config-file", str(config)], cwd=run, name=stage, ok=(0, 1))
        peaks = {k: max(listing.peak_rss_mib.get(k, 0), extraction.peak_rss_mib.get(k, 0))
                 for k in listing.peak_rss_mib.keys() | extraction.peak_rss_mib.keys()}
        items = sum(1 for path in (run / "out").rglob("*") if path.is_file())  # 1,000 files per sub-folder
        wall = listing.wall + extraction.wall
        busy = (listing.machine_busy * listing.wall + extraction.machine_busy * extraction.wall) / max(wall, 1e-9)
        return Usage(wall, listing.cpu + extraction.cpu, peaks, items, busy)
    extractor = "newsarchive" if stage == "extract-pool" else "trafilatura"
    usage = measure([sys.executable, __file__, "--extract-pages", str(pages), "--extractor", extractor],
                    cwd=ROOT, stdout=run / "count.txt", name=stage)
    usage.items = int((run / "count.txt").read_text().strip() or 0)
    return usage


# --- the report ------------------------------------------------------------------------------------------------------


def report(articles: int, page_count: int, results: dict[str, list[Usage]]) -> None:
    cores = os.cpu_count() or 1
    median = {stage: Usage(
        wall=statistics.median(u.wall for u in runs), cpu=statistics.median(u.cpu for u in runs),
        items=int(statistics.median(u.items for u in runs)),
        machine_busy=statistics.median(u.machine_busy for u in runs),
        peak_rss_mib={k: max(u.peak_rss_mib.get(k, 0) for u in runs) for u in runs for k in u.peak_rss_mib},
    ) for stage, runs in results.items()}
    print(f"\n== newsroom of {articles} articles: {page_count} pages in its sitemaps; medians of "
          f"{len(next(iter(results.values())))} rounds; {cores} cores; load average {os.getloadavg()[0]:.2f}")
    print(f"{'stage':<18}{'items':>7}{'wall s':>9}{'CPU s':>9}{'items/s':>9}{'items/CPU s':>12}{'cores busy':>11}"
          f"{'machine':>8}  peak RSS MiB (per process kind)")
    for stage, usage in median.items():
        peaks = ", ".join(f"{k} {v:.0f}" for k, v in sorted(usage.peak_rss_mib.items()))
        print(f"{stage:<18}{usage.items:>7}{usage.wall:>9.1f}{usage.cpu:>9.1f}{usage.items / usage.wall:>9.1f}"
              f"{usage.items / max(usage.cpu, 1e-9):>12.1f}{usage.cpu / (usage.wall * cores):>10.0%}"
              f"{usage.machine_busy:>9.0%}  {peaks}")

    if set(median) != set(STAGES):
        return

    def per_item(stage: str) -> float:
        return median[stage].cpu / max(median[stage].items, 1)

    def rate(stage: str) -> float:
        return median[stage].items / median[stage].wall

    print(f"CPU per article, crawl / extraction alone        {per_item('crawl') / per_item('extract-pool'):.2f}x")
    print(f"CPU per page, extraction / trafilatura extract   "
          f"{per_item('extract-pool') / per_item('trafilatura-pool'):.2f}x")
    print(f"CPU per article, crawl / trafilatura extract     {per_item('crawl') / per_item('trafilatura-pool'):.2f}x")
    ceiling = cores / per_item("extract-pool")
    print(f"crawl articles/s / {cores}-core extraction ceiling    {rate('crawl') / ceiling:.0%} "
          f"(ceiling {ceiling:.1f} articles/s)")
    if median["trafilatura-cli"].items:
        print(f"crawl articles/s / trafilatura CLI pages/s       {rate('crawl') / rate('trafilatura-cli'):.2f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--articles", type=int, nargs="+", default=[2000], help="newsroom sizes to measure")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--stages", nargs="+", choices=STAGES, default=list(STAGES))
    parser.add_argument("--set", action="append", default=[], metavar="NAME=VALUE", help="a setting of the crawl")
    parser.add_argument("--extract-pages", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--scrapy-floor", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--extractor", choices=("newsarchive", "trafilatura"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.scrapy_floor:
        fetch_all(args.scrapy_floor, args.concurrency)
        return
    if args.extract_pages:
        extract_pages(args.extractor, args.extract_pages, workers=2)
        return

    print(f"CPU accounting: {accounting_method()}")
    for articles in args.articles:
        with tempfile.TemporaryDirectory() as tmp, newsroom(articles) as base_url:
            work = Path(tmp)
            urls = article_urls(base_url)
            save_pages(base_url, urls, work / "pages")
            results: dict[str, list[Usage]] = {stage: [] for stage in args.stages}
            for round_number in range(args.rounds):
                for stage in args.stages:
                    usage = run_stage(stage, base_url, work / "pages", work, args.concurrency, tuple(args.set))
                    results[stage].append(usage)
                    print(f"round {round_number + 1} {stage:<18} {usage.items:>6} items {usage.wall:7.1f} s wall "
                          f"{usage.cpu:7.1f} s CPU", flush=True)
            report(articles, len(urls), results)


if __name__ == "__main__":
    main()
