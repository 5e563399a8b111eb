"""Reading: every common Chinese encoding decodes; every unusable input is a named error."""

from __future__ import annotations

import codecs
import io
import sys
from pathlib import Path

import opencc
import pytest
from helpers import fixture_text

from summarise.errors import (
    BinaryInput,
    EmptyInput,
    InputTooLarge,
    MissingInput,
    NoChineseText,
    UndecodableInput,
)
from summarise.sources import decode_bytes, read_source

SIMPLIFIED = fixture_text("province_and_city.txt")
TRADITIONAL = opencc.OpenCC("s2t").convert(SIMPLIFIED)


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        pytest.param(SIMPLIFIED.encode("utf-8"), SIMPLIFIED, id="utf-8"),
        pytest.param(codecs.BOM_UTF8 + SIMPLIFIED.encode("utf-8"), SIMPLIFIED, id="utf-8-bom"),
        pytest.param(SIMPLIFIED.encode("gb18030"), SIMPLIFIED, id="gb18030"),
        pytest.param(SIMPLIFIED.encode("gbk"), SIMPLIFIED, id="gbk"),
        pytest.param(TRADITIONAL.encode("big5"), TRADITIONAL, id="big5"),
        pytest.param(SIMPLIFIED.encode("utf-16"), SIMPLIFIED, id="utf-16-bom"),
        pytest.param(SIMPLIFIED.encode("utf-16-le"), SIMPLIFIED, id="utf-16-le-no-bom"),
        pytest.param(SIMPLIFIED.encode("utf-16-be"), SIMPLIFIED, id="utf-16-be-no-bom"),
    ],
)
def test_decodes_common_chinese_encodings(data: bytes, expected: str) -> None:
    assert decode_bytes(data, name="x").text == expected


@pytest.mark.parametrize(
    ("data", "error", "words"),
    [
        pytest.param(b"", EmptyInput, "empty", id="empty"),
        pytest.param(b" \n\t\r\n", EmptyInput, "empty", id="whitespace"),
        pytest.param(b"\x00\x01\x02\x03binary\x00\xff\xfe\x00\x00\x10", BinaryInput, "binary", id="nul-bytes"),
        pytest.param(b"\x89PNG\r\n\x1a\n" + bytes(range(256)), BinaryInput, "PNG", id="png"),
        pytest.param(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3", BinaryInput, "PDF", id="pdf"),
        pytest.param(b"Only English text here, no Chinese at all.\n", NoChineseText, "no Chinese", id="no-chinese"),
        pytest.param(bytes([0x81, 0x20, 0xFE, 0x7F, 0xC0, 0x21]) * 50, UndecodableInput, "not valid", id="undecodable"),
    ],
)
def test_unusable_input_is_a_named_error(data: bytes, error: type[Exception], words: str) -> None:
    with pytest.raises(error, match=words):
        decode_bytes(data, name="bad.txt")


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(MissingInput, match="no such file"):
        read_source(tmp_path / "nope.txt")


def test_folder_is_not_a_file(tmp_path: Path) -> None:
    with pytest.raises(MissingInput, match="folder"):
        read_source(tmp_path)


def test_too_large(tmp_path: Path) -> None:
    path = tmp_path / "big.txt"
    path.write_text(SIMPLIFIED, encoding="utf-8")
    with pytest.raises(InputTooLarge, match="above the limit"):
        read_source(path, max_bytes=100)


def test_stdin(monkeypatch: pytest.MonkeyPatch) -> None:
    fake = io.TextIOWrapper(io.BytesIO(SIMPLIFIED.encode("gb18030")))
    monkeypatch.setattr(sys, "stdin", fake)
    src = read_source("-")
    assert src.name == "<stdin>"
    assert src.text == SIMPLIFIED


def test_summarise_bytes_decodes_and_summarises() -> None:
    from summarise import summarise_bytes

    article = summarise_bytes(SIMPLIFIED.encode("gb18030"), name="page.txt")
    assert (article.source, article.encoding) == ("page.txt", "gb18030")
    assert [r.scope.name for r in article.rounds()] == ["河南省", "新乡市"]
