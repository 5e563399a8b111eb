"""The offline engine: deterministic facts assembled into typed event records.

Input: a `NormalisedText` and its `Facts`. Output: event records (rounds, cumulative totals, other
figures) with evidence mapped to the original text. Pure: no I/O, no model.
The page is read as stories (a newspaper page holds several), sentences and clauses; a round is
a run of batch figures at one scope within one story, its phase and date taken from the story.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from dataclasses import dataclass
from itertools import accumulate
from typing import Literal

from summarise import facts as F
from summarise.dates import round_date
from summarise.gazetteer import PROVINCE, english_place, find_place
from summarise.glossary import percent_label
from summarise.normalise import NormalisedText
from summarise.page import Page
from summarise.records import (
    Batch,
    CampaignRound,
    CumulativeTotal,
    Event,
    Figure,
    OtherFigure,
    Scope,
    Unit,
)

_CITY_WORDS = re.compile(r"我市|全市|本市")
_PROVINCE_WORDS = re.compile(r"全省|我省|河南省|河南全省")
_CUMULATIVE_WORDS = re.compile(r"截至|累计|共涉及|先后组织|连续")
_PERIOD_WORDS = re.compile(r"今年以来|截至目前|年初以来")
_SECTOR_WORDS = re.compile(r"其中.|产业|制造业|领域|行业|板块")
_MAIN_VENUE = re.compile(r"主会场|现场")
_CAMPAIGN_TALK = re.compile(r"此次|本次|集中|同步")
_HELD = re.compile(r"举行|举办|启动|开幕|召开")


@dataclass(frozen=True, slots=True)
class _Scope:
    name: str | None  # canonical, None when '我市' cannot be resolved
    as_found: str


def build_events(nt: NormalisedText, facts: F.Facts) -> list[Event]:
    """Rounds, cumulative totals and the other figures, in text order."""
    page = Page(nt, facts)
    events: list[Event] = []
    consumed: list[tuple[int, int]] = []
    rounds: list[tuple[CampaignRound, int, tuple[int, int], set[str]]] = []
    cumulative: tuple[CumulativeTotal, tuple[int, int]] | None = None
    last_scope: dict[int, _Scope] = {}
    items: list[F.Batch | F.Total] = sorted([*facts.batches, *facts.totals], key=lambda i: i.start)
    cumulative_phases = [p for p in facts.phases if p.cumulative]
    cumulative_starts = [p.start for p in cumulative_phases]
    for item in items:
        story = page.story(item.start)
        sentence = page.sentence(item.start)
        sentence_text = page.text[page.lookback(item.start) : item.start]
        if not page.has_campaign(*story) and not (page.campaign and _CAMPAIGN_TALK.search(sentence_text)):
            continue
        cum_phase = _cumulative_phase(cumulative_phases, cumulative_starts, sentence[0], item.start)
        if isinstance(item, F.Total) and (cum_phase or _CUMULATIVE_WORDS.search(sentence_text)):
            scope = _scope_at(page, item.start, last_scope.get(story[0]))
            total = CumulativeTotal(
                scope=_scope_record(scope),
                through_phase=cum_phase.number if cum_phase else None,
                projects=_count_figure(page, item.projects, item.projects_span, item),
                investment=_money_figure(page, item.amount, item),
            )
            cumulative = (total, sentence)
            events.append(total)
            consumed.append((item.start, item.end))
            continue
        if isinstance(item, F.Batch) and cumulative and cumulative[1] == sentence:
            setattr(cumulative[0], item.kind, _batch(page, item))
            consumed.append((item.start, item.end))
            continue
        prefix = page.clause_prefix(item.start)
        part = _MAIN_VENUE.search(prefix) or _SECTOR_WORDS.search(prefix)
        if isinstance(item, F.Batch) and part:
            # A sector's or the main venue's share of a round is not the round's figure.
            label = f"{item.kind} projects ({'main venue' if _MAIN_VENUE.search(prefix) else 'one sector'})"
            events.append(
                OtherFigure(
                    label=label,
                    context=_context(page, item.start, item.end),
                    figure=_count_figure(page, item.projects, item.projects_span, item),
                )
            )
            consumed.append((item.start, item.end - (item.amount.end - item.amount.start if item.amount else 0)))
            continue
        if _PERIOD_WORDS.search(sentence_text):
            continue
        scope = _scope_at(page, item.start, last_scope.get(story[0]))
        last_scope[story[0]] = scope
        current = rounds[-1] if rounds else None
        joins = (
            current is not None
            and current[2] == story
            and current[0].scope.name == (scope.name or "本市")
            and isinstance(item, F.Batch)
            and item.kind not in current[3]
        )
        if joins and current is not None:
            round_, _, _, kinds = current
        else:
            round_ = CampaignRound(scope=_scope_record(scope))
            _place_round(page, round_, item.start, story)
            kinds = set()
            rounds.append((round_, item.start, story, kinds))
            events.append(round_)
        if isinstance(item, F.Batch):
            kinds.add(item.kind)
            setattr(round_, item.kind, _batch(page, item))
        else:
            round_.total = Batch(
                projects=_count_figure(page, item.projects, item.projects_span, item),
                investment=_money_figure(page, item.amount, item),
            )
        consumed.append((item.start, item.end))
    for round_, start, _, kinds in rounds:
        if not kinds:  # a total with no batches ('可选为明年市重点的项目共234个') is no round
            events.remove(round_)
            consumed = [c for c in consumed if c[0] != start]
    events = _dedupe(events)
    events.extend(_other_figures(page, consumed))
    return events


def _cumulative_phase(phases: list[F.Phase], starts: list[int], start: int, pos: int) -> F.Phase | None:
    """The first '九期'-style count of phases in [start, pos)."""
    k = bisect_left(starts, start)
    return phases[k] if k < len(phases) and phases[k].start < pos else None


def _scope_at(page: Page, pos: int, carried: _Scope | None) -> _Scope:
    """Scope of a figure: its sub-venue, else the scope word nearest before it in the sentence
    (a place name, 我市, 全省), else the scope carried from the story's previous figure."""
    start = page.lookback(pos)
    before = page.text[start:pos]
    venue = before.rfind("分会场")
    if venue >= 0:
        at = start + venue
        for p in page.places_between(at - 12, at + 1):
            if at - 4 <= p.end <= at and (place := find_place(p.name)):
                return _Scope(place.name, page.text[p.start : at + 3])
    words: list[tuple[int, _Scope]] = []
    for p in page.places_between(start, pos):
        if place := find_place(p.name):
            words.append((p.start, _Scope(place.name, p.name)))
    if m := list(_CITY_WORDS.finditer(before)):
        words.append((start + m[-1].start(), _Scope(page.story_city(pos), m[-1].group())))
    if m := list(_PROVINCE_WORDS.finditer(before)):
        words.append((start + m[-1].start(), _Scope(PROVINCE, m[-1].group())))
    if words:
        return max(words, key=lambda w: w[0])[1]
    if carried:
        return carried
    if page.story_is_local(pos):
        return _Scope(page.story_city(pos), "(story)")
    return _Scope(PROVINCE, "(story)")


def _scope_record(scope: _Scope) -> Scope:
    if scope.name is None:
        return Scope(name="本市", english="the city (unresolved)", level="unknown", as_found=scope.as_found)
    place = find_place(scope.name)
    level: Literal["province", "city", "county"] = (
        "province" if scope.name == PROVINCE else ("city" if place and place.is_city else "county")
    )
    return Scope(name=scope.name, english=english_place(scope.name), level=level, as_found=scope.as_found)


def _place_round(page: Page, round_: CampaignRound, pos: int, story: tuple[int, int]) -> None:
    """Phase and date of a round: from its story, else from the page (headlines may come last)."""
    phases, held = _phases(page)
    phase = (
        _last([p for p in held if story[0] <= p.start < pos])
        or _last([p for p in phases if story[0] <= p.start < pos])
        or _last([p for p in held if p.start < pos])
        or _last([p for p in phases if p.start < pos])
        or next(iter(held or phases), None)
    )
    if phase is not None:
        round_.phase = phase.number
        round_.phase_evidence = page.evidence(phase.start, phase.end)
    round_.date = round_date(page, phase, pos, story)


def _phases(page: Page) -> tuple[list[F.Phase], list[F.Phase]]:
    """The page's campaign phases, and those of them "held" (举行) in their sentence: a story also
    cites earlier phases ('通报了全省第一期…项目进展'), which are not its round's. Once per page."""
    if page.phases is None:
        phases = [p for p in page.facts.phases if not p.cumulative]
        held = [p for p in phases if _HELD.search(page.text[p.end : page.sentence(p.start)[1]])]
        page.phases = (phases, held)
    return page.phases


def _last(items: list[F.Phase]) -> F.Phase | None:
    return items[-1] if items else None


def _batch(page: Page, item: F.Batch) -> Batch:
    return Batch(
        projects=_count_figure(page, item.projects, item.projects_span, item),
        investment=_money_figure(page, item.amount, item),
    )


def _count_figure(page: Page, value: int, span: tuple[int, int], item: F.Batch | F.Total) -> Figure:
    return Figure(
        value=value,
        unit=Unit.PROJECTS,
        as_written=page.text[span[0] : span[1]] + "个",
        evidence=page.evidence(item.start, item.end),
    )


def _money_figure(page: Page, amount: F.Amount | None, item: F.Batch | F.Total | None = None) -> Figure | None:
    if amount is None:
        return None
    where = item or amount
    return Figure(
        value=amount.yi,
        unit=Unit.YI_YUAN,
        qualifier=amount.qualifier,
        as_written=page.text[amount.start : amount.end],
        evidence=page.evidence(where.start, where.end),
    )


def _dedupe(events: list[Event]) -> list[Event]:
    """The same round or total restated (a pull quote, a summary box) is kept once."""
    seen: set[str] = set()
    kept: list[Event] = []
    for event in events:
        key = repr(_what_it_says(event.model_dump(exclude={"phase_evidence", "date"})))
        if key not in seen:
            seen.add(key)
            kept.append(event)
    return kept


def _what_it_says(value: object) -> object:
    """A record without where it was found (evidence, the wording of its scope): its content."""
    if isinstance(value, dict):
        return {k: _what_it_says(v) for k, v in value.items() if k not in ("evidence", "as_found")}
    if isinstance(value, list):
        return [_what_it_says(v) for v in value]
    return value


def _other_figures(page: Page, consumed: list[tuple[int, int]]) -> list[Event]:
    spans = sorted(consumed)
    starts = [s for s, _ in spans]
    reach = list(accumulate((e for _, e in spans), max))  # the furthest end among spans so far

    def free(a: int, b: int) -> bool:
        k = bisect_right(starts, a) - 1
        return k < 0 or reach[k] < b

    found: list[tuple[int, OtherFigure]] = []
    for amount in page.facts.amounts:
        if free(amount.start, amount.end):
            context = _context(page, amount.start, amount.end)
            label = "investment" if "投资" in context else "amount"
            figure = _money_figure(page, amount)
            if figure is not None:
                found.append((amount.start, OtherFigure(label=label, context=context, figure=figure)))
    for pct in page.facts.percents:
        figure = Figure(
            value=pct.value,
            unit=Unit.PERCENT,
            as_written=page.text[pct.start : pct.end],
            evidence=page.evidence(pct.start, pct.end),
        )
        found.append(
            (
                pct.start,
                OtherFigure(
                    label=percent_label(pct.context), context=_context(page, pct.start, pct.end), figure=figure
                ),
            )
        )
    for count in page.facts.counts:
        if free(count.start, count.end):
            figure = _count_figure(
                page,
                count.projects,
                (count.start, count.start + len(str(count.projects))),
                F.Total(count.projects, (count.start, count.end), None, count.start, count.end),
            )
            figure.as_written = page.text[count.start : count.end]
            found.append(
                (
                    count.start,
                    OtherFigure(label="projects", context=_context(page, count.start, count.end), figure=figure),
                )
            )
    return [f for _, f in sorted(found, key=lambda x: x[0])]


def _context(page: Page, start: int, end: int) -> str:
    """The clause around a figure, as the reader sees it in the original."""
    s, e = page.sentence(start)
    left = max(s, start - 24)
    right = min(e, end + 8)
    head = re.split(r"[,;:、]", page.text[left:start])[-1]
    tail = re.split(r"[,;:、]", page.text[end:right])[0]
    return page.text[start - len(head) : end + len(tail)]
