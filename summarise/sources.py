"""Read an article from a file or standard input and decode it, whatever its encoding.

Input: a path (or '-' for stdin) or raw bytes. Output: a `SourceText`. Does I/O.
Every way an input can be unusable ends here as one `InputError` subclass with a reason a
person can act on; nothing downstream sees bytes.
"""

from __future__ import annotations

import codecs
import re
import sys
from dataclasses import dataclass
from pathlib import Path

from charset_normalizer import from_bytes

from summarise.errors import (
    BinaryInput,
    EmptyInput,
    InputTooLarge,
    MissingInput,
    NoChineseText,
    UndecodableInput,
)

DEFAULT_MAX_BYTES = 20 * 1024 * 1024

_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_MAGIC = (
    (b"%PDF", "a PDF file; extract its text first (pdftotext)"),
    (b"PK\x03\x04", "a zip archive; use `summarise batch` for archives"),
    (b"\x1f\x8b", "a gzip file; decompress it or use `summarise batch`"),
    (b"\x89PNG", "a PNG image, not text"),
    (b"\xff\xd8\xff", "a JPEG image, not text"),
    (b"\x7fELF", "an executable, not text"),
)
_CHINESE = re.compile(r"[\u4e00-\u9fff\u3400-\u4dbf]")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


@dataclass(frozen=True, slots=True)
class SourceText:
    """Decoded article text and where it came from."""

    name: str
    text: str
    encoding: str


def read_source(path: str | Path, *, max_bytes: int = DEFAULT_MAX_BYTES) -> SourceText:
    """Read `path` ('-' is standard input) and decode it."""
    name = str(path)
    if name == "-":
        data = sys.stdin.buffer.read(max_bytes + 1)
        name = "<stdin>"
    else:
        file = Path(path)
        try:
            size = file.stat().st_size
            if file.is_dir():
                raise MissingInput(name, "is a folder; use `summarise batch` for folders")
            if size > max_bytes:
                raise InputTooLarge(name, _too_large(size, max_bytes))
            data = file.read_bytes()
        except FileNotFoundError:
            raise MissingInput(name, "no such file") from None
        except PermissionError:
            raise MissingInput(name, "permission denied") from None
        except OSError as exc:
            raise MissingInput(name, f"cannot be read ({exc.strerror or exc})") from None
    return decode_bytes(data, name=name, max_bytes=max_bytes)


def decode_bytes(data: bytes, *, name: str, max_bytes: int = DEFAULT_MAX_BYTES) -> SourceText:
    """Decode raw bytes of an article, refusing what is not Chinese text."""
    if len(data) > max_bytes:
        raise InputTooLarge(name, _too_large(len(data), max_bytes))
    if not data.strip():
        raise EmptyInput(name, "the file is empty")
    for magic, what in _MAGIC:
        if data.startswith(magic):
            raise BinaryInput(name, f"this is {what}")
    text, encoding = _decode(data, name)
    if not text.strip():
        raise EmptyInput(name, "the file holds only whitespace")
    if not _CHINESE.search(text):
        raise NoChineseText(name, f"no Chinese characters found (decoded as {encoding})")
    return SourceText(name=name, text=text, encoding=encoding)


def _decode(data: bytes, name: str) -> tuple[str, str]:
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                return data.decode(encoding), encoding
            except UnicodeDecodeError:
                raise UndecodableInput(name, f"starts with a {encoding} mark but is not {encoding}") from None
    utf16 = _utf16_without_bom(data)
    if utf16:
        return data.decode(utf16), utf16
    if b"\x00" in data:
        raise BinaryInput(name, "contains NUL bytes: a binary file, not text")
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    best = from_bytes(data, cp_isolation=["gb18030", "big5", "utf_8"]).best()
    if best is None:
        raise UndecodableInput(name, "not valid UTF-8, GB18030 or Big5 text; give its encoding or convert it to UTF-8")
    text = str(best)
    if len(_CONTROL.findall(text)) > len(text) // 100:
        raise BinaryInput(name, "mostly control characters: a binary file, not text")
    return text, best.encoding


def _utf16_without_bom(data: bytes) -> str | None:
    """UTF-16 without a mark shows as NUL in every other byte of ASCII characters."""
    sample = data[:4096]
    if len(sample) < 4 or len(sample) % 2:
        return None
    even_nul = sample[0::2].count(0)
    odd_nul = sample[1::2].count(0)
    for encoding, nul, other in (
        ("utf-16-le", odd_nul, even_nul),
        ("utf-16-be", even_nul, odd_nul),
    ):
        if nul > 4 * other:
            try:
                text = data.decode(encoding)
            except UnicodeDecodeError:
                continue
            if _CHINESE.search(text):
                return encoding
    return None


def _too_large(size: int, limit: int) -> str:
    return f"{size:,} bytes is above the limit of {limit:,} (raise it with --max-bytes)"
