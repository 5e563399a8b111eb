"""Field-level precision, recall and F1 of articles' records against gold annotations.

Input: `Article` records and gold JSON (the format of shared/samples/gold). Output: a `Score`
per field group. Pure.
Rounds are paired by (scope, phase), cumulative totals by (scope, through_phase); then every
scored field is a true positive when equal, a false positive when predicted but wrong or not in
gold, and a false negative when in gold but missing or wrong.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from summarise.records import Article, Batch, CampaignRound, CumulativeTotal, Figure

BATCH_KEYS = ("signed", "started", "commissioned", "total")


@dataclass(slots=True)
class Score:
    tp: int = 0
    fp: int = 0
    fn: int = 0
    errors: list[str] = field(default_factory=list)

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    def add(self, where: str, predicted: Any, gold: Any) -> None:
        if gold is None and predicted is None:
            return
        if _equal(predicted, gold):
            self.tp += 1
            return
        if predicted is not None:
            self.fp += 1
        if gold is not None:
            self.fn += 1
        self.errors.append(f"{where}: predicted {predicted!r}, gold {gold!r}")


def _equal(a: Any, b: Any) -> bool:
    if isinstance(a, float | int) and isinstance(b, float | int):
        return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-6)
    return bool(a == b)


def _value(figure: Figure | None) -> float | None:
    return figure.value if figure else None


def _batch_fields(batch: Batch | None) -> tuple[float | None, float | None]:
    return (_value(batch.projects), _value(batch.investment)) if batch else (None, None)


def round_fields(r: CampaignRound) -> dict[str, Any]:
    out: dict[str, Any] = {
        "phase": r.phase,
        "date": r.date.value.isoformat() if r.date and r.date.value else None,
        "scope": r.scope.name,
    }
    for key in BATCH_KEYS:
        out[f"{key}.projects"], out[f"{key}.investment_yi"] = _batch_fields(getattr(r, key))
    return out


def gold_round_fields(g: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {"phase": g.get("phase"), "date": g.get("date"), "scope": g.get("scope")}
    for key in BATCH_KEYS:
        batch = g.get(key) or {}
        out[f"{key}.projects"], out[f"{key}.investment_yi"] = batch.get("projects"), batch.get("investment_yi")
    return out


def cumulative_fields(c: CumulativeTotal) -> dict[str, Any]:
    out: dict[str, Any] = {
        "scope": c.scope.name,
        "through_phase": c.through_phase,
        "projects": _value(c.projects),
        "investment_yi": _value(c.investment),
    }
    for key in BATCH_KEYS[:3]:
        out[f"{key}.projects"], out[f"{key}.investment_yi"] = _batch_fields(getattr(c, key))
    return out


def gold_cumulative_fields(g: dict[str, Any]) -> dict[str, Any]:
    out = {k: g.get(k) for k in ("scope", "through_phase", "projects", "investment_yi")}
    for key in BATCH_KEYS[:3]:
        batch = g.get(key) or {}
        out[f"{key}.projects"], out[f"{key}.investment_yi"] = batch.get("projects"), batch.get("investment_yi")
    return out


def _pair(
    name: str, predicted: list[dict[str, Any]], gold: list[dict[str, Any]], key: tuple[str, ...], score: Score
) -> None:
    unmatched = list(predicted)
    for g in gold:
        match = next((p for p in unmatched if all(p[k] == g[k] for k in key)), None)
        if match is None:  # fall back to scope alone, so a wrong phase costs one field, not all
            match = next((p for p in unmatched if p["scope"] == g["scope"]), None)
        if match is not None:
            unmatched.remove(match)
        for k, gv in g.items():
            score.add(f"{name}[{g.get('scope')}/{g.get(key[1])}].{k}", match.get(k) if match else None, gv)
    for p in unmatched:
        for k, pv in p.items():
            score.add(f"{name}[{p.get('scope')}/{p.get(key[1])}].{k} (not in gold)", pv, None)


@dataclass(slots=True)
class Report:
    rounds: Score = field(default_factory=Score)
    cumulative: Score = field(default_factory=Score)
    people: Score = field(default_factory=Score)
    articles: int = 0


def score_article(article: Article, gold: dict[str, Any], report: Report) -> None:
    """Add one article's fields to the running report."""
    report.articles += 1
    _pair(
        f"{gold.get('file')}:round",
        [round_fields(r) for r in article.rounds()],
        [gold_round_fields(g) for g in gold.get("rounds", [])],
        ("scope", "phase"),
        report.rounds,
    )
    _pair(
        f"{gold.get('file')}:cumulative",
        [cumulative_fields(c) for c in article.cumulative_totals()],
        [gold_cumulative_fields(g) for g in gold.get("cumulative", [])],
        ("scope", "through_phase"),
        report.cumulative,
    )
    names = [p.name for p in article.people]
    gold_names = gold.get("people", [])
    for name in names:
        report.people.add(f"{gold.get('file')}:person", name, name if name in gold_names else None)
    for name in gold_names:
        if name not in names:
            report.people.add(f"{gold.get('file')}:person", None, name)
