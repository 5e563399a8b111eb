"""Check the numbers in English prose against the numbers of the Chinese source.

Input: an English sentence and `ProseFacts` (every number the patterns found in the source).
Output: one `ProseNumber` per number in the sentence, verified or flagged. Pure.
Money is compared after scaling (亿元 / 10 = CNY billion, / 10,000 = trillion, x 100 = million),
at the precision the sentence writes ('CNY 35 billion' matches 351.4亿元), and a hedge the source
has ('超百亿元') must survive ('more than CNY 10 billion').
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from summarise.facts import Facts
from summarise.numerals import Qualifier
from summarise.records import ProseNumber, Status

_NUMBER = re.compile(
    r"(?<![\w.])(?P<num>\d{1,3}(?:,\d{3})+|\d+)(?P<frac>\.\d+)?"
    r"(?:\s*(?P<scale>%|percent|per cent|billion|bn|trillion|million|thousand))?",
    re.IGNORECASE,
)
_HEDGE_BEFORE = re.compile(
    r"(more than|over|above|exceeding|at least|upwards of|nearly|almost|about|around|some|roughly)"
    r"\s+(?:CNY|RMB|yuan)?\s*$",
    re.IGNORECASE,
)
_SCALES = {"billion": 10.0, "bn": 10.0, "trillion": 10_000.0, "million": 0.01, "thousand": 0.000_01}


@dataclass(slots=True)
class ProseFacts:
    """Numbers of the source: plain ones (counts, phases, dates) and money in 亿元 with hedges."""

    plain: set[float] = field(default_factory=set)
    money: dict[float, Qualifier] = field(default_factory=dict)
    percents: set[float] = field(default_factory=set)


def prose_facts(facts: Facts) -> ProseFacts:
    out = ProseFacts()
    for batch in facts.batches:
        out.plain.add(batch.projects)
    for total in facts.totals:
        out.plain.add(total.projects)
    for count in facts.counts:
        out.plain.add(count.projects)
    for phase in facts.phases:
        out.plain.add(phase.number)
    for date in facts.dates:
        out.plain.update({date.month, date.day, *([date.year] if date.year else [])})
    for year in facts.years:
        out.plain.add(year.year)
    for amount in facts.amounts:
        out.money[amount.yi] = amount.qualifier
        out.plain.add(amount.number)
    for pct in facts.percents:
        out.percents.add(pct.value)
    for match in re.finditer(r"\d+(?:\.\d+)?", facts.text):  # any other number written in digits
        out.plain.add(float(match.group()))
    return out


def check_prose(text: str, facts: ProseFacts) -> list[ProseNumber]:
    found = []
    for m in _NUMBER.finditer(text):
        written = m.group().strip()
        decimals = len(m["frac"]) - 1 if m["frac"] else 0
        value = float(m["num"].replace(",", "") + (m["frac"] or ""))
        scale = (m["scale"] or "").lower()
        if scale in ("%", "percent", "per cent"):
            ok = any(_rounds_to(v, value, decimals) for v in facts.percents)
            found.append(_number(written, value, ok, "no such percentage in the source"))
            continue
        if scale in _SCALES:
            hedged = bool(_HEDGE_BEFORE.search(text[: m.start()]))
            matches = [(yi, q) for yi, q in facts.money.items() if _rounds_to(yi / _SCALES[scale], value, decimals)]
            if not matches:
                found.append(_number(written, value, False, f"{written}: no amount in the source scales to it"))
            elif not hedged and all(q is not Qualifier.EXACT for _, q in matches):
                found.append(
                    _number(
                        written,
                        value,
                        False,
                        f"{written}: the source hedges it ({matches[0][1].english.strip()}) and the English does not",
                    )
                )
            else:
                found.append(_number(written, value, True, None))
            continue
        ok = value in facts.plain or any(_rounds_to(v, value, decimals) for v in facts.plain)
        found.append(_number(written, value, ok, f"{written}: not a number of the source"))
    return found


def _rounds_to(exact: float, written: float, decimals: int) -> bool:
    """Is `written` the source value shown at the precision the prose uses?"""
    return bool(abs(round(exact, decimals) - written) < 10 ** (-decimals) / 2 + 1e-9)


def _number(written: str, value: float, ok: bool, note: str | None) -> ProseNumber:
    return ProseNumber(
        written=written,
        value=value,
        status=Status.VERIFIED if ok else Status.MISMATCH,
        note=None if ok else note,
    )
