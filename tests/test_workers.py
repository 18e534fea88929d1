"""The extraction pool: its workers start with the extractor already imported by the forkserver, and run at the
niceness asked for."""

from __future__ import annotations

import os
import subprocess
import sys

from crawler.workers import extraction_pool

PROBE = """
import sys

from crawler.workers import extraction_pool


def extractor_loaded() -> bool:
    return "crawler.extract" in sys.modules


if __name__ == "__main__":
    pool = extraction_pool(1)
    print(pool.submit(extractor_loaded).result())
    pool.shutdown()
"""


def test_workers_start_with_the_extractor_imported(tmp_path):
    # The probe is a file: the workers import it as their main module, which does not import the extractor.
    probe = tmp_path / "probe.py"
    probe.write_text(PROBE)
    result = subprocess.run([sys.executable, str(probe)], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "True"


def test_workers_run_the_steps_of_priority_asked_below_the_crawler():
    for niceness in (0, 7):
        pool = extraction_pool(1, niceness)
        try:
            assert pool.submit(os.nice, 0).result(timeout=120) == min(19, os.nice(0) + niceness)
        finally:
            pool.shutdown()
