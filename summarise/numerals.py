"""Numbers as Chinese news writes them: Arabic or Chinese numerals, 万/亿 units, qualifiers.

Input: short matched strings. Output: plain numbers and a `Qualifier`. Pure: no I/O.
cn2an does the Chinese numerals; this module adds what it does not know: the money units of
investment reports and the hedges (超, 近, 余...) that must survive into English.
"""

from __future__ import annotations

from enum import StrEnum

import cn2an

from summarise.errors import FactError

CHINESE_DIGITS = "零〇一二两三四五六七八九十百千万"

# Value of one unit in 亿元 (CNY 100 million), the unit every investment figure is kept in.
UNIT_IN_YI = {
    "万亿": 10_000.0,
    "千亿": 1_000.0,
    "百亿": 100.0,
    "亿": 1.0,
    "千万": 0.1,
    "百万": 0.01,
    "万": 0.0001,
    "": 0.000_000_01,
}


class Qualifier(StrEnum):
    """A hedge on a figure; "超百亿元" is a lower bound, never a flat CNY 10 billion."""

    EXACT = "exact"
    MORE_THAN = "more_than"  # 超, 超过, 逾, 余, 多, 以上
    NEARLY = "nearly"  # 近, 将近, 接近
    ABOUT = "about"  # 约, 左右
    UP_TO = "up_to"  # 不超过, 以内

    @property
    def english(self) -> str:
        return _ENGLISH[self]


_ENGLISH = {
    Qualifier.EXACT: "",
    Qualifier.MORE_THAN: "more than ",
    Qualifier.NEARLY: "nearly ",
    Qualifier.ABOUT: "about ",
    Qualifier.UP_TO: "up to ",
}

_QUALIFIER_WORDS = {
    "超过": Qualifier.MORE_THAN,
    "超": Qualifier.MORE_THAN,
    "逾": Qualifier.MORE_THAN,
    "余": Qualifier.MORE_THAN,
    "多": Qualifier.MORE_THAN,
    "以上": Qualifier.MORE_THAN,
    "近": Qualifier.NEARLY,
    "将近": Qualifier.NEARLY,
    "接近": Qualifier.NEARLY,
    "约": Qualifier.ABOUT,
    "左右": Qualifier.ABOUT,
    "大约": Qualifier.ABOUT,
    "不超过": Qualifier.UP_TO,
    "以内": Qualifier.UP_TO,
}


def qualifier_of(*words: str | None) -> Qualifier:
    """The first hedge among the words around a number; exact when there is none."""
    for word in words:
        if word and word in _QUALIFIER_WORDS:
            return _QUALIFIER_WORDS[word]
    return Qualifier.EXACT


def parse_number(raw: str) -> float:
    """'1846.2', '十三', '两百' -> a number. Raises FactError on anything else."""
    text = raw.replace(",", "")
    try:
        return float(text)
    except ValueError:
        pass
    if not text or any(ch not in CHINESE_DIGITS for ch in text):
        raise FactError(f"not a number: {raw!r}")
    if text.startswith(("百", "千")):  # "百亿元": the leading 一 is left out in writing
        text = "一" + text
    try:
        return float(cn2an.cn2an(text, "smart"))
    except ValueError as exc:
        raise FactError(f"not a number: {raw!r}") from exc


def parse_int(raw: str) -> int:
    value = parse_number(raw)
    if value != int(value):
        raise FactError(f"not a whole number: {raw!r}")
    return int(value)


def to_yi(number: float, unit: str) -> float:
    """An amount in `unit` + 元 expressed in 亿元, rounded to kill binary noise."""
    return round(number * UNIT_IN_YI[unit], 6)
