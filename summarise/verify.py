"""Cross-check every figure of an article against the source text.

Input: the original text and an `Article` (from any engine). Output: the same article with each
figure's `status` and `note` set and the `verification` counts filled in. Pure.
A figure is verified only when its quote stands in the original at its offsets (or, for a
model's quote without offsets, somewhere in the source) and the quote itself states the value.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from functools import lru_cache

from summarise.facts import AMOUNT_RE, PERCENT_RE
from summarise.normalise import NormalisedText, normalise, normalised_text
from summarise.numerals import parse_number, to_yi
from summarise.records import (
    Article,
    Batch,
    CampaignRound,
    CumulativeTotal,
    Evidence,
    Figure,
    OtherFigure,
    Status,
    Unit,
    Verification,
)

_COUNT = re.compile(r"(\d+|[零〇一二两三四五六七八九十百千万]+)(?=个|项|家)")


def figures(article: Article) -> Iterator[Figure]:
    """Every figure of an article, in reading order."""
    for event in article.events:
        if isinstance(event, CampaignRound):
            for batch in (event.signed, event.started, event.commissioned, event.total):
                yield from _batch_figures(batch)
        elif isinstance(event, CumulativeTotal):
            yield from (f for f in (event.projects, event.investment) if f)
            for batch in (event.signed, event.started, event.commissioned):
                yield from _batch_figures(batch)
        elif isinstance(event, OtherFigure):
            yield event.figure


def _batch_figures(batch: Batch | None) -> Iterator[Figure]:
    if batch:
        yield from (f for f in (batch.projects, batch.investment) if f)


def verify_article(original: str, article: Article) -> Article:
    """Set each figure's status against the source and count them."""
    for figure in figures(article):
        figure.status, figure.note = check_figure(original, figure)
    return count_statuses(article)


def count_statuses(article: Article) -> Article:
    """Fill in the verification counts from the figures' statuses as they stand."""
    counts = Verification(prose_flagged=article.verification.prose_flagged)
    for figure in figures(article):
        setattr(counts, figure.status.value, getattr(counts, figure.status.value) + 1)
    article.verification = counts
    return article


def check_figure(original: str, figure: Figure) -> tuple[Status, str | None]:
    evidence = figure.evidence
    if evidence is None or not evidence.quote.strip():
        return Status.UNSUPPORTED, "no evidence quote"
    located = locate_quote(original, evidence)
    if located is None:
        evidence.start = evidence.end = None
        return Status.UNSUPPORTED, "the evidence quote is not in the source"
    if not states_value(evidence.quote, figure):
        return (
            Status.MISMATCH,
            f"the source says {_stated(evidence.quote, figure.unit) or 'something else'}, not {_fmt(figure.value)}",
        )
    return Status.VERIFIED, None


def locate_quote(original: str, evidence: Evidence) -> Evidence | None:
    """Where the quote stands in the original: at its offsets, else found by search."""
    if (
        evidence.start is not None
        and evidence.end is not None
        and evidence.end > evidence.start
        and original[evidence.start : evidence.end] == evidence.quote
    ):
        return evidence
    index = original.find(evidence.quote)
    if index >= 0:
        evidence.start, evidence.end = index, index + len(evidence.quote)
        return evidence
    # A model quotes the repaired text ('签约项目460个'), not the broken original.
    wanted = normalised_text(evidence.quote)
    nt = _normalised(original)
    index = nt.text.find(wanted) if wanted else -1
    if index < 0:
        return None
    a, b = nt.to_original(index, index + len(wanted))
    evidence.start, evidence.end, evidence.quote = a, b, original[a:b]
    return evidence


@lru_cache(maxsize=8)
def _normalised(original: str) -> NormalisedText:
    """One article is searched for many quotes in a row: normalise it once, not per quote."""
    return normalise(original)


def states_value(quote: str, figure: Figure) -> bool:
    """Does the quote itself state this value in this unit?"""
    return any(_same(v, figure.value) for v in _values(quote, figure.unit))


def _values(quote: str, unit: Unit) -> list[float]:
    text = normalised_text(quote)
    if unit is Unit.YI_YUAN:
        return [to_yi(parse_number(m["num"]), m["unit"]) for m in AMOUNT_RE.finditer(text)]
    if unit is Unit.PERCENT:
        return [float(m["num"]) for m in PERCENT_RE.finditer(text) if m["num"]]
    values = []
    for m in _COUNT.finditer(text):
        try:
            values.append(parse_number(m.group(1)))
        except ValueError:
            continue
    return values


def _stated(quote: str, unit: Unit) -> str:
    return ", ".join(_fmt(v) for v in _values(quote, unit))


def _same(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9)


def _fmt(value: float) -> str:
    return f"{value:g}"
