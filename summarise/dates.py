"""Dates of campaign rounds, and the year when the text leaves it out.

Input: a `Page`, the date facts and the round's phase. Output: an `EventDate` that says whether
its year was inferred and why. Pure.
"""

from __future__ import annotations

import datetime as dt

from summarise import facts as F
from summarise.page import Page
from summarise.records import EventDate

CAMPAIGN_START = (2021, 7)  # phase 1 of 三个一批 was held in July 2021, then one a quarter


def round_date(page: Page, phase: F.Phase | None, pos: int, story: tuple[int, int]) -> EventDate | None:
    dates = page.facts.dates
    chosen: F.Date | None = None
    if phase is not None:
        s = page.sentence(phase.start)
        near = [d for d in dates if s[0] <= d.start < s[1]]
        chosen = min(near, key=lambda d: abs(d.start - phase.start)) if near else None
    if chosen is None:
        in_story = [d for d in dates if story[0] <= d.start < pos]
        chosen = in_story[0] if in_story else None
    if chosen is None:
        return None
    year, reason = _year(page, chosen, phase)
    value = None
    if year is not None:
        try:
            value = dt.date(year, chosen.month, chosen.day)
        except ValueError:
            reason = f"{year}-{chosen.month}-{chosen.day} is not a calendar date"
    return EventDate(
        value=value,
        month=chosen.month,
        day=chosen.day,
        year_inferred=chosen.year is None,
        reason=reason,
        evidence=page.evidence(chosen.start, chosen.end),
    )


def _year(page: Page, date: F.Date, phase: F.Phase | None) -> tuple[int | None, str | None]:
    if date.year is not None:
        return date.year, None
    s = page.sentence(date.start)
    stated = [y for y in page.facts.years if s[0] <= y.start < s[1]]
    if stated:
        return stated[0].year, f"the year {stated[0].year} is written in the same sentence"
    if phase is not None:
        return phase_year(phase.number, date.month), (
            f"from phase {phase.number}: the campaign began in July 2021 with one phase a quarter"
        )
    return None, "no year is written and no phase gives one"


def phase_year(phase: int, month: int) -> int:
    """The year in which a dated event of `phase` falls, closest to the phase's quarter."""
    start_year, start_month = CAMPAIGN_START
    quarter_index = start_year * 12 + start_month - 1 + (phase - 1) * 3
    nominal_year, _nominal_month = divmod(quarter_index, 12)
    candidates = (nominal_year - 1, nominal_year, nominal_year + 1)
    return min(candidates, key=lambda y: abs((y * 12 + month - 1) - quarter_index))
