"""The WARC files of a folder: how they are named, how a pointer's file is found, and finishing abandoned ones.

A file is named `{prefix}-{timestamp17}-{serial:05d}-{host}-{pid}.warc.gz`, is written as `*.warc.gz.open` and
renamed when finished. The host and pid in the name tell whose `.open` file it is, so that the files a dead
writer of this host left can be cut to their complete records and finished (`finish_abandoned`).
"""

from __future__ import annotations

import os
import re
import socket
import zlib
from datetime import datetime
from pathlib import Path

from warcio.archiveiterator import ArchiveIterator

OPEN_SUFFIX = ".open"
WARC_SUFFIX = ".warc.gz"


def local_host() -> str:
    """This machine's host name as it appears in WARC file names."""
    return re.sub(r"[^A-Za-z0-9.]+", "_", socket.gethostname()) or "localhost"


def warc_file_name(prefix: str, opened_at: datetime, serial: int) -> str:
    """The finished name of a file this process opens at `opened_at` as its `serial`-th."""
    timestamp17 = opened_at.strftime("%Y%m%d%H%M%S") + f"{opened_at.microsecond // 1000:03d}"
    return f"{prefix}-{timestamp17}-{serial:05d}-{local_host()}-{os.getpid()}{WARC_SUFFIX}"


def open_warcs(directory: str | os.PathLike[str]) -> list[Path]:
    """The `.open` WARC files of a folder (being written, or abandoned), in name order."""
    return sorted(Path(directory).glob(f"*{WARC_SUFFIX}{OPEN_SUFFIX}"))


def locate(warc_dir: str | os.PathLike[str], file: str) -> Path:
    """The path of a WARC file named in a pointer, finished or still `.open`."""
    path = Path(warc_dir) / file
    if path.exists():
        return path
    still_open = path.with_name(path.name + OPEN_SUFFIX)
    if still_open.exists():
        return still_open
    raise FileNotFoundError(f"WARC file {file!r} is not in {warc_dir}")


def complete_length(path: str | os.PathLike[str]) -> int:
    """How many bytes of a `.warc.gz` file hold complete records (a killed writer may leave a partial one)."""
    spans: list[tuple[int, int]] = []
    with open(path, "rb") as handle:
        iterator = ArchiveIterator(handle, no_record_parse=True)
        try:
            for record in iterator:
                if len(record.raw_stream.read()) != record.length:
                    break
                iterator.read_to_end(record)
                spans.append((iterator.get_record_offset(), iterator.get_record_length()))
        except Exception:  # any decoding error marks the end of what was completely written
            pass
        if not spans:
            return 0
        offset, length = spans[-1]
        handle.seek(offset)
        member = zlib.decompressobj(zlib.MAX_WBITS | 16)
        try:
            member.decompress(handle.read(length))
        except zlib.error:
            return offset
        return offset + length if member.eof else offset


def _is_running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _abandoned_here(path: Path, host: str) -> bool:
    """Whether an `.open` file was left by a writer process of this host that is gone."""
    parts = path.name.removesuffix(WARC_SUFFIX + OPEN_SUFFIX).rsplit("-", 2)
    if len(parts) != 3 or parts[1] != host or not parts[2].isdigit():
        return False
    pid = int(parts[2])
    return pid != os.getpid() and not _is_running(pid)


def finish_abandoned(directory: str | os.PathLike[str]) -> list[Path]:
    """Finish the `.open` files that dead writer processes of this host left: cut any partial last record and
    rename them, so that their records join the archive. Files of live processes or other hosts stay as they are.
    """
    host = local_host()
    finished = []
    for path in open_warcs(directory):
        if not _abandoned_here(path, host):
            continue
        length = complete_length(path)
        if length == 0:
            path.unlink()
            continue
        with open(path, "r+b") as handle:
            handle.truncate(length)
        final = path.with_name(path.name.removesuffix(OPEN_SUFFIX))
        os.replace(path, final)
        finished.append(final)
    return finished
