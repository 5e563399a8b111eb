"""Turn the model's draft into records and cross-check it against the facts and the source.

Input: a `DraftArticle`, the original text and the offline engine's `Article` (the facts).
Output: an `Article` of the LLM engine with every figure marked verified, mismatch, unsupported
or missed_by_model, prose numbers checked, and domain invariants as warnings. Pure.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any, Literal, TypeVar

from pydantic import BaseModel

from summarise.drafts import CheckContext, DraftArticle, DraftBatch, DraftCumulative, DraftRound
from summarise.facts import Facts
from summarise.gazetteer import PROVINCE, english_place, find_place
from summarise.glossary import title_english
from summarise.names import to_pinyin
from summarise.normalise import normalise
from summarise.prose import check_prose, prose_facts
from summarise.records import (
    Article,
    Batch,
    CampaignRound,
    CumulativeTotal,
    Event,
    EventDate,
    Evidence,
    Figure,
    Person,
    Scope,
    Statement,
    Status,
    Summary,
    Usage,
)
from summarise.verify import count_statuses, verify_article

BATCHES = ("signed", "started", "commissioned", "total")


def check_context(source: str, facts: Facts, offline: Article) -> CheckContext:
    return CheckContext(source, offline, prose_facts(facts), lambda r: disagreements(r, offline))


def canonical_scope(name: str) -> str:
    name = name.strip()
    if name in ("河南省", "河南", "全省", "Henan", "Henan Province") or name.endswith("省"):
        return PROVINCE
    place = find_place(name) or find_place(name.removesuffix("分会场"))
    if place:
        return place.name
    for place_name in (n for n in (name + "市", name + "县")):
        if found := find_place(place_name):
            return found.name
    return name


def _offline_round(draft: DraftRound, offline: Article) -> CampaignRound | None:
    scope = canonical_scope(draft.scope)
    same = [r for r in offline.rounds() if r.scope.name == scope]
    exact = [r for r in same if r.phase == draft.phase]
    return next(iter(exact or same), None)


def disagreements(draft: DraftRound, offline: Article) -> list[str]:
    """Where a draft round's figures differ from the figures the patterns found."""
    fact_round = _offline_round(draft, offline)
    if fact_round is None:
        return []
    problems = []
    if fact_round.phase is not None and draft.phase is not None and draft.phase != fact_round.phase:
        problems.append(f"{draft.scope}: the article gives phase {fact_round.phase}, not {draft.phase}")
    for key, part, claim, fact in _paired(draft, fact_round):
        if abs(claim.value - fact.value) > 1e-6:
            quote = fact.evidence.quote if fact.evidence else ""
            problems.append(
                f"{draft.scope} {key}.{part}: the article states {fact.value:g} ({quote!r}), not {claim.value:g}"
            )
        elif part == "investment" and claim.qualifier is not fact.qualifier:
            problems.append(
                f"{draft.scope} {key}.investment: the article says {fact.qualifier.value} "
                f"({fact.as_written}), not {claim.qualifier.value}"
            )
    return problems


def build_article(
    draft: DraftArticle,
    *,
    source: str,
    name: str,
    encoding: str | None,
    facts: Facts,
    offline: Article,
    model: str,
    usage: Usage | None,
    warnings: list[str],
) -> Article:
    """The LLM engine's article: the draft's records, checked and completed by the facts."""
    # A round without a single figure says nothing a reader can use; the patterns' rounds stay.
    events: list[Event] = [
        r for r in (_round(d, offline) for d in draft.rounds) if r.signed or r.started or r.commissioned or r.total
    ]
    events += [_cumulative(c) for c in draft.cumulative]
    article = Article(
        source=name,
        encoding=encoding,
        characters=len(source),
        engine=f"llm:{model}",
        is_campaign_report=bool(draft.rounds or draft.cumulative or offline.is_campaign_report),
        headline=offline.headline,
        events=events,
        people=_people(draft, source, warnings),
        usage=usage,
        warnings=list(warnings),
    )
    verify_article(source, article)
    _against_facts(article, offline)
    _add_missed(article, offline)
    article.events += offline.other_figures()
    pf = prose_facts(facts)
    statements = [Statement(text=t, numbers=check_prose(t, pf)) for t in (draft.headline_english, *draft.key_points)]
    article.summary = Summary(headline=statements[0], key_points=statements[1:])
    article.verification.prose_flagged = sum(
        1 for s in statements for n in s.numbers if n.status is not Status.VERIFIED
    )
    count_statuses(article)
    article.warnings += invariant_warnings(article)
    return article


def _figure(draft_figure: object | None) -> Figure | None:
    if draft_figure is None:
        return None
    to_figure = getattr(draft_figure, "to_figure", None)
    return to_figure() if to_figure else None


def _batch(draft: DraftBatch | None) -> Batch | None:
    if draft is None or (draft.projects is None and draft.investment is None):
        return None
    return Batch(projects=_figure(draft.projects), investment=_figure(draft.investment))


def _scope(name: str) -> Scope:
    canonical = canonical_scope(name)
    place = find_place(canonical)
    level: Literal["province", "city", "county", "unknown"]
    if canonical == PROVINCE:
        level = "province"
    elif place:
        level = "city" if place.is_city else "county"
    else:
        level = "unknown"
    return Scope(name=canonical, english=english_place(canonical), level=level, as_found=name)


def _round(draft: DraftRound, offline: Article) -> CampaignRound:
    fact_round = _offline_round(draft, offline)
    date = None
    if draft.date:
        try:
            value = dt.date.fromisoformat(draft.date)
            date = EventDate(value=value, month=value.month, day=value.day)
        except ValueError:
            date = None
    if fact_round and fact_round.date and (date is None or date.value == fact_round.date.value):
        date = fact_round.date  # the same date, with its evidence and the reasoning for its year
    elif fact_round and fact_round.date and date:
        date.reason = f"the model's date; the article's patterns give {fact_round.date.value}"
    return CampaignRound(
        phase=draft.phase,
        phase_evidence=fact_round.phase_evidence if fact_round and fact_round.phase == draft.phase else None,
        date=date,
        scope=_scope(draft.scope),
        signed=_batch(draft.signed),
        started=_batch(draft.started),
        commissioned=_batch(draft.commissioned),
        total=_batch(draft.total),
    )


def _cumulative(draft: DraftCumulative) -> CumulativeTotal:
    return CumulativeTotal(
        scope=_scope(draft.scope),
        through_phase=draft.through_phase,
        projects=_figure(draft.projects),
        investment=_figure(draft.investment),
    )


def _against_facts(article: Article, offline: Article) -> None:
    """A figure whose quote checks out can still be the wrong figure (a venue's, a sector's)."""
    for r in article.rounds():
        fact_round = next((f for f in offline.rounds() if f.scope.name == r.scope.name and f.phase == r.phase), None)
        if fact_round is None:
            continue
        for _, _, claim, fact in _paired(r, fact_round):
            if abs(claim.value - fact.value) > 1e-6:
                said = f"the article states {fact.value:g} ({fact.as_written})"
                if claim.status is Status.UNSUPPORTED:  # a quote not in the source stays unsupported
                    claim.note = f"{claim.note}; {said}"
                else:
                    claim.status, claim.note = Status.MISMATCH, said
            elif claim.qualifier is not fact.qualifier:
                claim.status = Status.MISMATCH
                claim.note = f"the article hedges it: {fact.qualifier.english.strip() or 'exact'} ({fact.as_written})"


def _paired(mine: DraftRound | CampaignRound, theirs: CampaignRound) -> Iterator[tuple[str, str, Any, Figure]]:
    """(batch, part, the model's figure, the patterns' figure) for each slot both fill."""
    for key in BATCHES:
        a, b = getattr(mine, key), getattr(theirs, key)
        for part in ("projects", "investment"):
            claim = getattr(a, part) if a else None
            fact: Figure | None = getattr(b, part) if b else None
            if claim is not None and fact is not None:
                yield key, part, claim, fact


def _add_missed(article: Article, offline: Article) -> None:
    """Figures the patterns found and the model did not report stay in, marked as missed."""
    for fact_round in offline.rounds():
        mine = next(
            (
                r
                for r in article.rounds()
                if r.scope.name == fact_round.scope.name and r.phase in (fact_round.phase, None)
            ),
            None,
        )
        if mine is None:
            missed = _copied(fact_round)
            for key in BATCHES:
                _mark_missed(getattr(missed, key))
            article.events.append(missed)
            continue
        for key in BATCHES:
            theirs: Batch | None = getattr(fact_round, key)
            if theirs is None:
                continue
            batch: Batch | None = getattr(mine, key)
            if batch is None:
                batch = Batch()
                setattr(mine, key, batch)
            for part in ("projects", "investment"):
                if getattr(batch, part) is None and getattr(theirs, part) is not None:
                    figure = _copied(getattr(theirs, part))
                    figure.status, figure.note = (
                        Status.MISSED_BY_MODEL,
                        "found by the patterns, not reported by the model",
                    )
                    setattr(batch, part, figure)
    known = {(c.scope.name, c.through_phase) for c in article.cumulative_totals()}
    for total in offline.cumulative_totals():
        if (total.scope.name, total.through_phase) not in known:
            missed_total = _copied(total)
            for figure in (missed_total.projects, missed_total.investment):
                if figure:
                    figure.status, figure.note = (
                        Status.MISSED_BY_MODEL,
                        "found by the patterns, not reported by the model",
                    )
            article.events.append(missed_total)


_Record = TypeVar("_Record", bound=BaseModel)


def _copied(record: _Record) -> _Record:
    """A deep copy, by dumping and validating again: four times faster than `model_copy(deep=True)`
    (`copy.deepcopy` field by field), which was two fifths of checking an answer that missed the
    patterns' rounds."""
    return type(record).model_validate(record.model_dump())


def _mark_missed(batch: Batch | None) -> None:
    if batch:
        for figure in (batch.projects, batch.investment):
            if figure:
                figure.status, figure.note = Status.MISSED_BY_MODEL, "found by the patterns, not reported by the model"


def _people(draft: DraftArticle, source: str, warnings: list[str]) -> list[Person]:
    if not draft.people:  # nothing to look up: the source is not normalised again for nothing
        return []
    people: dict[str, Person] = {}
    missing: list[str] = []
    normalised = normalise(source)
    for p in draft.people:
        name = normalise(p.name).text
        at = normalised.text.find(name) if name else -1
        if at < 0:
            if p.name not in missing:
                missing.append(p.name)
            continue
        if name in people:
            continue
        a, b = normalised.to_original(at, at + len(name))
        title = normalise(p.title).text if p.title else None
        people[name] = Person(
            name=name,
            as_found=source[a:b],
            pinyin=to_pinyin(name),
            title=title,
            title_english=(title_english(title) if title else None) or p.title_english,
            evidence=Evidence(quote=source[a:b], start=a, end=b),
        )
    if missing:
        shown = "; ".join(repr(m[:40]) for m in missing[:3]) + (
            f" and {len(missing) - 3} more" if len(missing) > 3 else ""
        )
        warnings.append(f"{len(missing)} person name(s) from the model are not in the source, left out: {shown}")
    return list(people.values())


def invariant_warnings(article: Article) -> list[str]:
    """Domain checks: a stated total against its batches; a city against its province."""
    out = []
    rounds = article.rounds()
    for r in rounds:
        total = r.total
        parts = [getattr(r, k) for k in BATCHES[:3]]
        if total and total.projects and all(p and p.projects for p in parts):
            summed = sum(p.projects.value for p in parts if p and p.projects)
            if abs(summed - total.projects.value) > 0.5:
                out.append(
                    f"{r.scope.english} phase {r.phase}: batches add up to {summed:g} projects, "
                    f"the stated total is {total.projects.value:g}"
                )
        if total and total.investment and all(p and p.investment for p in parts):
            summed = sum(p.investment.value for p in parts if p and p.investment)
            if abs(summed - total.investment.value) > max(0.5, 0.005 * total.investment.value):
                out.append(
                    f"{r.scope.english} phase {r.phase}: batches add up to {summed:g} 亿元, "
                    f"the stated total is {total.investment.value:g}"
                )
    for province in (r for r in rounds if r.scope.level == "province"):
        for city in (r for r in rounds if r.scope.level in ("city", "county") and r.phase == province.phase):
            for key in BATCHES[:3]:
                p, c = getattr(province, key), getattr(city, key)
                for part in ("projects", "investment"):
                    pv, cv = (getattr(p, part) if p else None), (getattr(c, part) if c else None)
                    if pv and cv and cv.value > pv.value:
                        out.append(
                            f"{city.scope.english} {key} {part} ({cv.value:g}) exceeds the province's "
                            f"({pv.value:g}) in phase {province.phase}"
                        )
    return out
