"""Normalisation repairs PDF layout damage and every offset still points into the original."""

from __future__ import annotations

import opencc
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from summarise.normalise import normalise, normalised_text


@pytest.mark.parametrize(
    ("original", "expected"),
    [
        pytest.param("签约项目 460个", "签约项目460个", id="space-before-number"),
        pytest.param("签 约 一 批 项 目 223 个", "签约一批项目223个", id="spaced-characters"),
        pytest.param("项目 138\n个", "项目138个", id="line-break-in-phrase"),
        pytest.param("1月 28日", "1月28日", id="date-split"),
        pytest.param("总投资 4595.15 亿元", "总投资4595.15亿元", id="amount-split"),
        pytest.param("总投资1846.\n2亿元", "总投资1846.2亿元", id="decimal-split"),
        pytest.param("签约项目４６０个，总投资３５１４亿元；", "签约项目460个,总投资3514亿元;", id="full-width"),
        pytest.param("簽約項目754個，總投資5782.7億元", "签约项目754个,总投资5782.7亿元", id="traditional"),
        pytest.param("第四代 PERC 高效", "第四代PERC高效", id="latin-in-chinese"),
        pytest.param("Gemma 3 model", "Gemma 3 model", id="ascii-spaces-kept"),
        pytest.param("项目\u200b数量", "项目数量", id="zero-width"),
    ],
)
def test_repairs_layout(original: str, expected: str) -> None:
    assert normalise(original).text == expected


def test_offsets_point_into_original() -> None:
    original = "据统计，全省集中签约\n项目 460个，总投资 3514亿元"
    nt = normalise(original)
    start = nt.text.index("项目460个")
    a, b = nt.to_original(start, start + len("项目460个"))
    assert original[a:b] == "项目 460个"
    assert nt.quote(start, start + 2) == "项目"


# Characters whose traditional -> simplified mapping is one character on its own and in phrases.
_TRAD = "個億項簽約開產總資據統計"
_ALPHABET = st.sampled_from(
    list("签约开工投产项目个总投资亿元第三期一批全省市长0123456789.%“”，。；")
    + list(_TRAD)
    + list("０１２３４５６７８９％，；：（）")
    + [" ", "\n", "\u3000", "\t", "\u200b", "a", "b", "Z"]
)
_T2S = opencc.OpenCC("t2s")


def _fold(ch: str) -> str:
    if ch == "\u3000":
        return " "
    if 0xFF01 <= ord(ch) <= 0xFF5E:
        return chr(ord(ch) - 0xFEE0)
    result: str = _T2S.convert(ch)
    return result


@settings(max_examples=300, deadline=None)
@given(st.lists(_ALPHABET, max_size=80).map("".join))
def test_every_normalised_character_maps_back(original: str) -> None:
    nt = normalise(original)
    positions = [nt.position(i) for i in range(len(nt.text))]
    assert positions == sorted(set(positions)), "the map is strictly increasing"
    for i, pos in enumerate(positions):
        assert _fold(original[pos]) == nt.text[i]
    kept = set(positions)
    for pos, ch in enumerate(original):
        if pos not in kept:
            assert ch.isspace() or ch in "\u200b", f"only layout characters are deleted, not {ch!r}"


@settings(max_examples=300, deadline=None)
@given(st.lists(_ALPHABET, min_size=1, max_size=80).map("".join), st.data())
def test_spans_quote_the_same_text(original: str, data: st.DataObject) -> None:
    nt = normalise(original)
    if not nt.text:
        return
    start = data.draw(st.integers(0, len(nt.text) - 1))
    end = data.draw(st.integers(start + 1, len(nt.text)))
    a, b = nt.to_original(start, end)
    assert 0 <= a < b <= len(original)
    assert normalise(original[a:b]).text == nt.text[start:end]


@settings(max_examples=300, deadline=None)
@given(st.lists(_ALPHABET, max_size=80).map("".join))
def test_text_only_variant_gives_the_same_text(original: str) -> None:
    assert normalised_text(original) == normalise(original).text
