"""Where a crawl's CPU goes: py-spy samples every thread of the crawl process and of its extraction workers while
`newsarchive crawl` runs against the newsroom (or, with `--pages`, against folders of real pages served as
`benchmarks/unseen_site.py` serves them, outside hosts behind a dead proxy), then prints the top costs per process
kind and thread, in CPU milliseconds per stored article.

    .venv/bin/pip install py-spy   # once (the `bench` extra: pip install -e '.[bench]')
    .venv/bin/python benchmarks/profile_crawl.py [--articles 1000] [--rate 100] [--top 15] [--raw FILE]
    .venv/bin/python benchmarks/profile_crawl.py --threads [--articles 1000] [--rounds 3]
    .venv/bin/python benchmarks/profile_crawl.py [--threads] --pages ../shared/eval/dates-dev/html [--set NAME=VALUE]

Idle threads are not sampled (py-spy's default), so a sample is a moment a thread ran Python or native code; but
py-spy cannot always tell a thread blocked in C (a queue's `get`, a lock) from a busy one, so its per-thread shares
overstate idle threads. `--threads` instead runs the crawl unprofiled and reads each thread's CPU from the kernel
(`/proc/PID/task/TID/stat`, polled until the crawl exits), naming threads from `py-spy dump`: exact per-thread CPU.
"Self" is where the sample stood; "inclusive" counts a function once per sample it was anywhere on the stack
(the project's own functions only: crawler/, archive/, spiders/, pipelines/).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

from throughput import BIN, CLOCK_TICKS, crawl_command, newsroom, process_tree
from unseen_site import load_pages, served

from archive.store import ArchiveStore

PROJECT_FRAME = re.compile(r"\((?:crawler|archive|spiders|pipelines)/")
PROCESS = re.compile(r'process \d+:"(.*?)";', re.S)
THREAD_AND_FRAMES = re.compile(r"(?:thread \((\d+)\)(?:: ([^;]*?))?(?:;|(?= \d+$)))?(.*?) ?(\d+)$", re.S)
NO_FRAME = "(no Python frame: native code)"
LINE_NUMBER = re.compile(r":\d+\)$")


def parse_raw(text: str) -> list[tuple[str, str, list[str], int]]:
    """py-spy's raw output as (process kind, thread name, frames outermost first, samples).

    Each stack opens with the chain of processes from the crawl down to the one sampled (`process PID:"command";`
    each, a command line possibly spanning lines), then the thread, the frames and the sample count."""
    stacks = []
    for chunk in re.split(r"\n(?=process \d+:\")", text.strip()):
        commands, position = [], 0
        while match := PROCESS.match(chunk, position):
            commands.append(match.group(1))
            position = match.end()
        rest = THREAD_AND_FRAMES.match(chunk, position)
        if not commands or not rest:
            continue
        thread_id, thread, frames, count = rest.groups()
        if len(commands) == 1:
            kind = "crawl process"
        elif "multiprocessing" in commands[-1]:
            kind = "extraction worker"
        else:
            kind = "other"
        stacks.append((kind, thread or f"thread {thread_id}", frames.split(";") if frames else [NO_FRAME], int(count)))
    return stacks


def report(stacks: list[tuple[str, str, list[str], int]], rate: int, articles: int, top: int) -> None:
    def ms_per_article(samples: int) -> float:
        return samples / rate * 1000 / max(articles, 1)

    by_thread: Counter[tuple[str, str]] = Counter()
    for kind, thread, _, count in stacks:
        by_thread[kind, thread if kind == "crawl process" else "*"] += count
    total = sum(by_thread.values())
    print(f"\n{articles} articles stored; {total} samples at {rate}/s = {ms_per_article(total):.1f} ms CPU per article")
    for (kind, thread), count in by_thread.most_common():
        print(f"  {kind:<18} {thread:<28} {ms_per_article(count):7.2f} ms/article {count / total:6.1%}")
    for kind in ("crawl process", "extraction worker"):
        selected = [s for s in stacks if s[0] == kind]
        samples = sum(s[3] for s in selected)
        if not samples:
            continue
        own: Counter[str] = Counter()
        inclusive: Counter[str] = Counter()
        for _, _, frames, count in selected:
            functions = [LINE_NUMBER.sub(")", frame) for frame in frames]  # one entry per function, not per line
            own[functions[-1]] += count
            for function in dict.fromkeys(f for f in functions if PROJECT_FRAME.search(f)):
                inclusive[function] += count
        print(f"\n== {kind}: self, top {top}")
        for frame, count in own.most_common(top):
            print(f"  {ms_per_article(count):7.2f} ms {count / samples:6.1%}  {frame}")
        print(f"== {kind}: project functions, inclusive, top {top}")
        for frame, count in inclusive.most_common(top):
            print(f"  {ms_per_article(count):7.2f} ms {count / samples:6.1%}  {frame}")


def thread_cpu(crawl: list[str], work: Path, py_spy: str) -> tuple[dict[str, float], float]:
    """Run the crawl unprofiled; CPU seconds of each thread of the crawl process (by thread name) and of its
    descendants (the forkserver and the extraction workers), read from the kernel's counters until the crawl exits."""
    # stderr to a file: a crawl logging more than a pipe holds would block on it, unread until its end
    with (work / "crawl-stderr.txt").open("w") as errors:
        process = subprocess.Popen(crawl, cwd=work, stdout=subprocess.DEVNULL, stderr=errors)
        cpu: dict[int, float] = {}
        names: dict[int, str] = {process.pid: "MainThread"}
        children: dict[int, float] = {}
        last_dump = 0.0
        while process.poll() is None:
            for task in Path(f"/proc/{process.pid}/task").glob("*"):
                with suppress(OSError, ValueError, IndexError):
                    fields = (task / "stat").read_text().rsplit(")", 1)[1].split()
                    cpu[int(task.name)] = (int(fields[11]) + int(fields[12])) / CLOCK_TICKS
            for child in process_tree(process.pid)[1:]:  # the forkserver and its workers
                with suppress(OSError, ValueError, IndexError):
                    fields = Path(f"/proc/{child}/stat").read_text().rsplit(")", 1)[1].split()
                    children[child] = (int(fields[11]) + int(fields[12])) / CLOCK_TICKS
            if time.monotonic() - last_dump > 1:
                last_dump = time.monotonic()
                dump = subprocess.run([py_spy, "dump", "--pid", str(process.pid)], capture_output=True, text=True)
                names.update((int(tid), name) for tid, name in re.findall(r'Thread (\d+) \(\w+\): "(.*)"', dump.stdout))
            time.sleep(0.1)
    by_name: Counter[str] = Counter()
    for tid, seconds in cpu.items():
        by_name[re.sub(r"_\d+$", "_N", names.get(tid, "(threads that ended unnamed)"))] += seconds
    return dict(by_name), sum(children.values())


def thread_report(crawl: list[str], work: Path, py_spy: str, rounds: int, db_url: str) -> None:
    """Per-thread CPU of the crawl process per stored article, medians over `rounds` crawls (a new archive each)."""
    per_thread: dict[str, list[float]] = {}
    main_ms, worker_ms = [], []
    for round_number in range(rounds):
        (work / "archive.db").unlink(missing_ok=True)
        shutil.rmtree(work / "warc", ignore_errors=True)
        threads, workers = thread_cpu(crawl, work, py_spy)
        store = ArchiveStore(db_url)
        articles = max(1, sum(1 for _ in store.iter_articles()))
        store.close()
        for name, seconds in threads.items():
            per_thread.setdefault(name, [0.0] * round_number).append(seconds * 1000 / articles)
        for values in per_thread.values():
            values += [0.0] * (round_number + 1 - len(values))
        main_ms.append(sum(threads.values()) * 1000 / articles)
        worker_ms.append(workers * 1000 / articles)
        print(f"round {round_number + 1}: {articles} articles stored, crawl process {main_ms[-1]:.2f} ms CPU per "
              f"article, extraction workers {worker_ms[-1]:.2f} ms", flush=True)
    main_median = statistics.median(main_ms)
    print(f"medians of {rounds}: crawl process {main_median:.2f} ms CPU per article, extraction workers (and their "
          f"forkserver) {statistics.median(worker_ms):.2f} ms (kernel counters; load average {os.getloadavg()[0]:.1f})")
    for name, values in sorted(per_thread.items(), key=lambda item: -statistics.median(item[1])):
        median = statistics.median(values)
        print(f"  {name:<40} {median:7.2f} ms/article {median / main_median:6.1%}")


@contextmanager
def site(articles: int, pages: list[Path]) -> Iterator[str]:
    """The base URL of the site to crawl: the newsroom, or the real pages in `pages` (outside hosts unreachable)."""
    if not pages:
        with newsroom(articles) as base_url:
            yield base_url
        return
    with served(load_pages(pages)) as base_url:
        yield base_url


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--articles", type=int, default=1000)
    parser.add_argument("--rate", type=int, default=100, help="samples per second")
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--top", type=int, default=15)
    parser.add_argument("--raw", type=Path, help="also keep py-spy's raw stacks here (for a flame graph)")
    parser.add_argument("--threads", action="store_true", help="exact CPU per thread from the kernel, no sampling")
    parser.add_argument("--rounds", type=int, default=1, help="with --threads: crawls run (medians printed)")
    parser.add_argument("--pages", type=Path, nargs="+", default=[], help="folders of real pages to crawl instead")
    parser.add_argument("--set", dest="settings", action="append", default=[], metavar="NAME=VALUE",
                        help="a setting for the crawl (repeatable), e.g. --set REQUISITES_ENABLED=false")
    args = parser.parse_args()
    py_spy = shutil.which("py-spy", path=str(BIN)) or shutil.which("py-spy")
    if not py_spy:
        sys.exit("py-spy is not installed: .venv/bin/pip install py-spy")

    with tempfile.TemporaryDirectory() as tmp, site(args.articles, args.pages) as base_url:
        work = Path(tmp)
        db_url = f"sqlite:///{work / 'archive.db'}"
        raw = args.raw or work / "raw.txt"
        crawl = crawl_command(base_url, db_url, work / "warc", args.settings, args.concurrency)
        if args.threads:
            thread_report(crawl, work, py_spy, args.rounds, db_url)
            return
        process = subprocess.Popen(
            [py_spy, "record", "--subprocesses", "--threads", "-f", "raw", "-r", str(args.rate),
             "-o", str(raw), "--", *crawl],
            cwd=work, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
        )
        _, errors = process.communicate()
        if process.returncode != 0 or not raw.exists():
            sys.exit(f"py-spy failed ({process.returncode}):\n{errors[-3000:]}")
        store = ArchiveStore(db_url)
        articles = sum(1 for _ in store.iter_articles())
        store.close()
        report(parse_raw(raw.read_text(errors="replace")), args.rate, articles, args.top)


if __name__ == "__main__":
    main()
