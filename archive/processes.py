"""Whether a process exists on this host: the run lock's test of a holder gone, the extraction workers' watch on
the crawler that started them. Apart from both, so that the workers need none of the database code."""

from __future__ import annotations

import os


def process_exists(pid: int) -> bool:
    """True when a process `pid` exists on this host (this user's or another's)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        return True
    return True
