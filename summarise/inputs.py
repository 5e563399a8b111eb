"""Find the articles of a batch: files, folders, zip and tar archives, list files.

Input: paths given on the command line. Output: `Member`s (a name and a way to read its bytes)
and `Failure`s (a name and why it cannot be read), in a stable order. Does I/O (reads).
Archives are read in place, never extracted: a member's name is only a label, so a
'../../etc/passwd' member cannot write anywhere; it is refused all the same, by name, with the
caps on member count and sizes that stop an archive bomb before it is decompressed.
"""

from __future__ import annotations

import fnmatch
import functools
import os
import re
import tarfile
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from summarise.errors import MissingInput

MAX_MEMBERS = 100_000
MAX_MEMBER_BYTES = 20 * 1024 * 1024
MAX_ARCHIVE_BYTES = 4 * 1024 * 1024 * 1024  # uncompressed, summed over members
MAX_RATIO = 200  # uncompressed / compressed, per zip member


@dataclass(frozen=True, slots=True)
class Member:
    """One article. An archive member carries its bytes; a plain file is read where it is
    processed (a worker process), so the coordinating process never reads article files."""

    name: str  # 'folder/a.txt' or 'pages.zip!2024/a.txt'
    data: bytes | None = None

    def load(self) -> bytes:
        return self.data if self.data is not None else Path(self.name).read_bytes()


@dataclass(frozen=True, slots=True)
class Failure:
    name: str
    reason: str


@dataclass(frozen=True, slots=True)
class Selection:
    include: tuple[str, ...] = ("*.txt",)
    exclude: tuple[str, ...] = ()
    skip_folders: tuple[Path, ...] = ()  # resolved; the batch's own output folder, when it is inside an input

    def wants(self, name: str, base: str | None = None) -> bool:
        """`name` is the whole path (archive!member for a member); `base` its last part, if known."""
        if base is None:
            base = name.split("!")[-1].rstrip("/").rsplit("/", 1)[-1]
        inc, exc = _patterns(self.include), _patterns(self.exclude)
        return bool(inc.match(base) or inc.match(name)) and not (exc.match(base) or exc.match(name))


@functools.lru_cache(maxsize=64)
def _patterns(globs: tuple[str, ...]) -> re.Pattern[str]:
    """The globs as one compiled pattern: a folder of a million files is matched a million times."""
    if not globs:
        return re.compile(r"(?!)")  # matches nothing
    return re.compile("|".join(f"(?:{fnmatch.translate(g)})" for g in globs))


def require_inputs(paths: list[str]) -> None:
    """The paths named on the command line exist: a typo fails at once, not as the one failure of a
    run that found nothing. What a folder, archive or list file holds is checked as it is read."""
    for raw in paths:
        path = Path(raw[1:] if raw.startswith("@") else raw)
        if not path.exists():
            raise MissingInput(str(path), "no such file or folder")


def find_members(paths: list[str], selection: Selection = Selection()) -> Iterator[Member | Failure]:
    """Every article of the inputs, its bytes read when the iteration reaches it."""
    yield from _walk(paths, selection)


def count_members(paths: list[str], selection: Selection = Selection()) -> int:
    """How many items `find_members` will yield, without reading the members' bytes."""
    return sum(1 for _ in _walk(paths, selection, read=False))


def _walk(paths: list[str], selection: Selection, read: bool = True) -> Iterator[Member | Failure]:
    for raw in paths:
        if raw.startswith("@"):
            yield from _list_file(Path(raw[1:]), selection, read)
            continue
        path = Path(raw)
        if not path.exists():
            yield Failure(raw, "no such file or folder")
        elif path.is_dir():
            yield from _folder(path, selection, read)
        elif _is_archive_name(path.name):
            yield from _archive(path, selection, read)
        else:
            yield _file(path, read)


def _list_file(path: Path, selection: Selection, read: bool) -> Iterator[Member | Failure]:
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        yield Failure(str(path), f"list file cannot be read ({exc.strerror})")
        return
    entries = [line.strip() for line in lines if line.strip() and not line.lstrip().startswith("#")]
    yield from _walk(entries, selection, read)


def _folder(root: Path, selection: Selection, read: bool) -> Iterator[Member | Failure]:
    """Every file below `root`, in sorted path order; plain files are only named here (their
    size is checked, and their bytes read, by whoever processes them). Counting (`read` false)
    needs no order, so it walks each folder as it is listed and holds no listing."""
    top = root.resolve()
    if top in selection.skip_folders:
        return
    for path, name in _files(str(root), top, selection.skip_folders, ordered=read):
        if _is_archive_name(name):
            yield from _archive(Path(path), selection, read)
        elif selection.wants(path, name):
            yield Member(path)


def _files(folder: str, top: Path, skip: tuple[Path, ...], ordered: bool) -> Iterator[tuple[str, str]]:
    """(path, name) of each file below `folder`. A sorted listing is held as small tuples, not
    os.DirEntry objects: a flat folder of a million files costs a third of the memory."""
    try:
        listing = os.scandir(folder)
    except OSError:
        return
    prefix = os.path.join(folder, "")
    with listing:
        kinds = ((e.name, e.is_symlink(), e.is_dir(), e.is_file()) for e in listing)
        for name, link, is_dir, is_file in sorted(kinds) if ordered else kinds:
            path = prefix + name
            if link and not Path(path).resolve().is_relative_to(top):
                continue  # a link out of the folder is not part of it
            if is_dir:
                if not (skip and Path(path).resolve() in skip):
                    yield from _files(path, top, skip, ordered)
            elif is_file:
                yield path, name


def _file(path: Path, read: bool = True) -> Member | Failure:
    try:
        size = path.stat().st_size
        if size > MAX_MEMBER_BYTES:
            return Failure(str(path), f"{size:,} bytes is above the cap of {MAX_MEMBER_BYTES:,}")
        return Member(str(path))
    except OSError as exc:
        return Failure(str(path), f"cannot be read ({exc.strerror or exc})")


def _is_archive_name(name: str) -> bool:
    return name.lower().endswith((".zip", ".tar", ".tar.gz", ".tgz", ".tar.bz2", ".tar.xz"))


def _unsafe(member: str) -> str | None:
    pure = PurePosixPath(member.replace("\\", "/"))
    if pure.is_absolute() or ".." in pure.parts:
        return "member path escapes the archive (absolute or '..'); refused"
    return None


def _archive(path: Path, selection: Selection, read: bool) -> Iterator[Member | Failure]:
    try:
        if path.name.lower().endswith(".zip"):
            yield from _zip(path, selection, read)
        else:
            yield from _tar(path, selection, read)
    except (zipfile.BadZipFile, tarfile.TarError, EOFError, OSError) as exc:
        yield Failure(str(path), f"corrupt or unreadable archive ({type(exc).__name__}: {exc})")


def _zip(path: Path, selection: Selection, read: bool) -> Iterator[Member | Failure]:
    with zipfile.ZipFile(path) as archive:
        total = 0
        for count, info in enumerate(i for i in archive.infolist() if not i.is_dir()):
            name = f"{path}!{info.filename}"
            if count >= MAX_MEMBERS:
                yield Failure(str(path), f"more than {MAX_MEMBERS:,} members; the rest are skipped")
                return
            if reason := _unsafe(info.filename):
                yield Failure(name, reason)
                continue
            if not selection.wants(name):
                continue
            ratio = info.file_size / info.compress_size if info.compress_size else 0
            if info.file_size > MAX_MEMBER_BYTES or (ratio > MAX_RATIO and info.file_size > 1_000_000):
                yield Failure(
                    name, f"{info.file_size:,} bytes at ratio {ratio:.0f}: refused as a possible archive bomb"
                )
                continue
            total += info.file_size
            if total > MAX_ARCHIVE_BYTES:
                yield Failure(str(path), "archive exceeds the uncompressed size cap; the rest are skipped")
                return
            if not read:
                yield Member(name)
                continue
            try:
                with archive.open(info) as f:
                    data = f.read(MAX_MEMBER_BYTES + 1)  # a declared size can lie; the read cannot
            except (zipfile.BadZipFile, OSError, RuntimeError) as exc:
                yield Failure(name, f"corrupt member ({exc})")
                continue
            if len(data) > MAX_MEMBER_BYTES:
                yield Failure(name, "member is larger than it declares; refused")
                continue
            yield Member(name, data)


def _tar(path: Path, selection: Selection, read: bool) -> Iterator[Member | Failure]:
    total = 0
    with tarfile.open(path, "r|*") as archive:  # one streaming pass, even for .tar.gz
        for count, info in enumerate(archive):
            name = f"{path}!{info.name}"
            if count >= MAX_MEMBERS:
                yield Failure(str(path), f"more than {MAX_MEMBERS:,} members; the rest are skipped")
                return
            if info.isdir():
                continue
            if reason := _unsafe(info.name):
                yield Failure(name, reason)
                continue
            if not selection.wants(name):
                continue
            if info.issym() or info.islnk():
                yield Failure(name, "links inside archives are not followed")
                continue
            if not info.isfile():
                yield Failure(name, "not a regular file (device, pipe); refused")
                continue
            if info.size > MAX_MEMBER_BYTES:
                yield Failure(name, f"member of {info.size:,} bytes is above the cap; refused")
                continue
            total += info.size
            if total > MAX_ARCHIVE_BYTES:
                yield Failure(str(path), "archive exceeds the uncompressed size cap; the rest are skipped")
                return
            f = archive.extractfile(info) if read else None
            yield Member(name, f.read() if f else None)
