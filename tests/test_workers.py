"""The extraction pool: its workers start with the extractor already imported by the forkserver."""

from __future__ import annotations

import subprocess
import sys

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
