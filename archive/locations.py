"""Where an archive's records lie, and reading them from there.

A WARC pointer names a file, not a folder: `X.warc.gz` (finished, or still `.open`) in one of the folders the
archive's crawls wrote to, or `P.wacz#archive/X.warc.gz`, a WARC file inside a WACZ package an import read
(`archive.importer`). The store remembers those folders (`ArchiveStore.warc_folders`, table `warc_folders`);
`WarcLocations.for_store` puts a folder the user names first, then the remembered ones, then the default
(the `WARC_DIR` setting), and every read goes through it: `read` (a record's bytes by offset and length),
`open` (a file or package member to scan), `later_files` (where a record's request and metadata records are),
`find_records` (records by id: the CDXJ indexes of each folder, then the WARC files inside its WACZ packages).

What cannot be found is a `RecordsMissing` with a one-line message that says where it was looked for.
"""

from __future__ import annotations

import os
import struct
import zipfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

from archive import index
from archive.records import WarcPointer
from archive.warcfiles import OPEN_SUFFIX, WARC_SUFFIX, locate

if TYPE_CHECKING:
    from archive.store import ArchiveStore

ZIP_MEMBER_SEPARATOR = "#"  # `package.wacz#archive/name.warc.gz`: a WARC file inside a WACZ package
WACZ_SUFFIX = ".wacz"
WACZ_WARC_FOLDER = "archive/"
ZIP_LOCAL_HEADER = struct.Struct("<4s5H3I2H")  # a zip member's local header, before its name and extra field


class RecordsMissing(LookupError):
    """A record, file or folder the archive points at is not where it should be (the message says where)."""


@dataclass(frozen=True)
class WarcLocations:
    """The folders holding an archive's WARC files and WACZ packages, searched in order."""

    folders: tuple[Path, ...]

    @classmethod
    def of(cls, where: WarcLocations | str | os.PathLike[str]) -> WarcLocations:
        """`where` itself, or the locations of one folder."""
        return where if isinstance(where, WarcLocations) else cls((Path(where),))

    @classmethod
    def for_store(
        cls,
        store: ArchiveStore,
        named: str | os.PathLike[str] | None = None,
        default: str | os.PathLike[str] | None = None,
    ) -> WarcLocations:
        """The folder the user named (which must exist), then those the archive remembers, then `default`."""
        if named is not None and not Path(named).is_dir():
            raise RecordsMissing(f"no WARC folder at {named}")
        candidates = [named, *store.warc_folders(), default]
        folders = dict.fromkeys(Path(folder).resolve() for folder in candidates if folder is not None)
        return cls(tuple(folders))

    # --- files --------------------------------------------------------------------------------------------------
    def path_of(self, name: str) -> Path:
        """The path of a WARC file or WACZ package named in a pointer (a WARC file may still be `.open`)."""
        for folder in self.folders:
            try:
                return locate(folder, name)
            except FileNotFoundError:
                continue
        existing = [str(folder) for folder in self.folders if folder.is_dir()]
        if not existing:
            gone = ", ".join(str(folder) for folder in self.folders) or "none recorded"
            raise RecordsMissing(f"the archive's WARC folders are gone ({gone}): pass --warc-dir")
        where = ", ".join(existing)
        raise RecordsMissing(f"{name} is in none of the archive's WARC folders ({where}): pass --warc-dir")

    def read(self, file: str, offset: int, length: int) -> bytes:
        """`length` bytes at `offset` of a pointer's file (for a WACZ member: of the WARC file inside it)."""
        package, member = _split(file)
        if member is None:
            with open(self.path_of(file), "rb") as handle:
                handle.seek(offset)
                return handle.read(length)
        with zipfile.ZipFile(self.path_of(package)) as archive:
            info = _member_info(archive, package, member)
            if info.compress_type == zipfile.ZIP_STORED:  # the usual case (WACZ stores WARC files): seek in place
                with open(self.path_of(package), "rb") as handle:
                    handle.seek(_data_offset(handle, info) + offset)
                    return handle.read(min(length, max(info.file_size - offset, 0)))
            with archive.open(info) as stream:
                stream.seek(offset)
                return stream.read(length)

    @contextmanager
    def open(self, file: str) -> Iterator[BinaryIO]:
        """A pointer's file to read from its start (offsets of the records in it are the pointers' offsets)."""
        package, member = _split(file)
        if member is None:
            with open(self.path_of(file), "rb") as handle:
                yield handle
            return
        with (
            zipfile.ZipFile(self.path_of(package)) as archive,
            archive.open(_member_info(archive, package, member)) as stream,
        ):
            yield stream

    def later_files(self, file: str) -> list[str]:
        """`file` and the files after it in its folder or package (ours are named in time order): where the
        requests and metadata records of its records are."""
        package, member = _split(file)
        if member is not None:
            return [_join(package, name) for name in self._package_warcs(package) if name >= member]
        folder = self.path_of(file).parent
        names = {path.name.removesuffix(OPEN_SUFFIX) for path in folder.glob(f"*{WARC_SUFFIX}*")}
        return sorted(name for name in names if name.endswith(WARC_SUFFIX) and name >= file)

    def _package_warcs(self, package: str) -> list[str]:
        with zipfile.ZipFile(self.path_of(package)) as archive:
            return sorted(
                name for name in archive.namelist() if name.startswith(WACZ_WARC_FOLDER) and WARC_SUFFIX in name
            )

    # --- records ------------------------------------------------------------------------------------------------
    def find_records(self, record_ids: Iterable[str]) -> dict[str, WarcPointer]:
        """Where the records with these ids lie: the CDXJ indexes (and `.open` files) of each folder, then the
        WARC files inside the folders' WACZ packages."""
        wanted = set(record_ids)
        found: dict[str, WarcPointer] = {}
        for folder in self.folders:
            if wanted - set(found) and folder.is_dir():
                found.update(index.find_records(folder, wanted - set(found)))
        for folder in self.folders:
            for package in sorted(folder.glob(f"*{WACZ_SUFFIX}")) if wanted - set(found) else ():
                for member in self._package_warcs(package.name):
                    found.update(self._scan(_join(package.name, member), wanted - set(found)))
        return found

    def _scan(self, file: str, wanted: set[str]) -> dict[str, WarcPointer]:
        with self.open(file) as stream:
            return index.records_in(stream, file, wanted)


def package_member(package: str | os.PathLike[str], member: str) -> str:
    """The pointer file name of a WARC file inside a WACZ package."""
    return _join(Path(package).name, member)


def _join(package: str, member: str) -> str:
    return f"{package}{ZIP_MEMBER_SEPARATOR}{member}"


def _split(file: str) -> tuple[str, str | None]:
    package, separator, member = file.partition(ZIP_MEMBER_SEPARATOR)
    return (package, member) if separator else (file, None)


def _member_info(archive: zipfile.ZipFile, package: str, member: str) -> zipfile.ZipInfo:
    try:
        return archive.getinfo(member)
    except KeyError:
        raise RecordsMissing(f"{package} holds no {member}") from None


def _data_offset(handle: BinaryIO, info: zipfile.ZipInfo) -> int:
    """Where a stored member's bytes start in the zip file: after its local header, name and extra field."""
    handle.seek(info.header_offset)
    fields = ZIP_LOCAL_HEADER.unpack(handle.read(ZIP_LOCAL_HEADER.size))
    name_length, extra_length = fields[-2], fields[-1]
    return info.header_offset + ZIP_LOCAL_HEADER.size + name_length + extra_length
