"""Where a crawl's CPU goes: py-spy samples every thread of the crawl process and of its extraction workers while
`newsarchive crawl` runs against the newsroom, then prints the top costs per process kind and thread, in CPU
milliseconds per stored article.

    .venv/bin/pip install py-spy   # once (the `bench` extra: pip install -e '.[bench]')
    .venv/bin/python benchmarks/profile_crawl.py [--articles 1000] [--rate 100] [--top 15] [--raw FILE]

Idle threads are not sampled (py-spy's default), so a sample is a moment a thread ran Python or native code.
"Self" is where the sample stood; "inclusive" counts a function once per sample it was anywhere on the stack
(the project's own functions only: crawler/, archive/, spiders/, pipelines/).
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path

from throughput import BIN, newsroom

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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--articles", type=int, default=1000)
    parser.add_argument("--rate", type=int, default=100, help="samples per second")
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--top", type=int, default=15)
    parser.add_argument("--raw", type=Path, help="also keep py-spy's raw stacks here (for a flame graph)")
    args = parser.parse_args()
    py_spy = shutil.which("py-spy", path=str(BIN)) or shutil.which("py-spy")
    if not py_spy:
        sys.exit("py-spy is not installed: .venv/bin/pip install py-spy")

    with tempfile.TemporaryDirectory() as tmp, newsroom(args.articles) as base_url:
        work = Path(tmp)
        db_url = f"sqlite:///{work / 'archive.db'}"
        raw = args.raw or work / "raw.txt"
        crawl = [
            str(BIN / "newsarchive"), "crawl", "--sitemap", f"{base_url}/sitemap.xml", "--db", db_url,
            "--warc-dir", str(work / "warc"), "--allow-private", "-s", "AUTOTHROTTLE_ENABLED=false",
            "-s", "LOG_LEVEL=WARNING", "-s", f"CONCURRENT_REQUESTS={args.concurrency}",
            "-s", f"CONCURRENT_REQUESTS_PER_DOMAIN={args.concurrency}",
        ]
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
