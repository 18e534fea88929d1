"""Writing an export's files safely: each is written to a temporary file in its target folder and renamed into
place when complete (a reader never sees half a file, a failed export leaves the old one), and nothing but a
regular file is ever replaced: a symlink, a FIFO, a device node or a folder at the target is refused with one
line (`ExportError`).
"""

from __future__ import annotations

import os
import secrets
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO


class ExportError(ValueError):
    """An export that cannot be made as asked (the message says why, in one line)."""


def check_replaceable(path: Path) -> None:
    """Refuse a target that exists and is not a regular file (a symlink is refused too, whatever it points at)."""
    try:
        mode = path.lstat().st_mode
    except FileNotFoundError:
        return
    if not stat.S_ISREG(mode):
        kind = _kind(mode)
        raise ExportError(f"{path} is {kind}, not a regular file: refusing to replace it")


def _kind(mode: int) -> str:
    kinds = ((stat.S_ISLNK, "a symbolic link"), (stat.S_ISFIFO, "a FIFO"), (stat.S_ISCHR, "a device"),
             (stat.S_ISBLK, "a device"), (stat.S_ISSOCK, "a socket"), (stat.S_ISDIR, "a folder"))  # fmt: skip
    return next((name for test, name in kinds if test(mode)), "not a file")


@contextmanager
def replacing(path: str | os.PathLike[str]) -> Iterator[Path]:
    """A new temporary file beside `path` to write; renamed to `path` when the block ends, removed if it fails."""
    target = Path(path)
    check_replaceable(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = _new_temporary(target)
    try:
        yield temporary
        check_replaceable(target)  # something may have appeared there meanwhile
        os.replace(temporary, target)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


@contextmanager
def text_file(path: str | os.PathLike[str], newline: str | None = None) -> Iterator[IO[str]]:
    """A UTF-8 text stream that becomes `path` when the block ends (see `replacing`)."""
    with replacing(path) as temporary, open(temporary, "w", encoding="utf-8", newline=newline) as stream:
        yield stream


def _new_temporary(target: Path) -> Path:
    """An empty file of our own next to `target`, created with the permissions a new file gets (umask applies)."""
    while True:
        candidate = target.with_name(f".{target.name}.{secrets.token_hex(4)}.partial")
        try:
            os.close(os.open(candidate, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))
        except FileExistsError:
            continue
        return candidate
