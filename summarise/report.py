"""The archive report: counts, a timeline of rounds merged across articles, charts, disagreements.

Input: a batch's analysis tables (tables.sqlite) and its state store. Output: report.md with its
charts as SVG images in charts/, and a self-contained report.html (the same charts inline, no
scripts, no network). Pure except `summarise_outputs` (reads) and `write_report` (writes).
The same round (campaign, phase, scope) is often reported by several articles; it is merged,
each field taking the value most sources give, and every disagreement is listed with its sources.
"""

from __future__ import annotations

import html
import math
import sqlite3
from collections import Counter, defaultdict
from collections.abc import Iterable
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from summarise.records import Status
from summarise.store import Store

BATCH_KEYS = ("signed", "started", "commissioned")
CHARTS_DIR = "charts"
_LABELS = 3  # sources named for each value in a disagreement
_VALUES = 5  # values listed for each disagreement, the most reported first
_COLOURS = {"signed": "#1f77b4", "started": "#ff7f0e", "commissioned": "#2ca02c"}


@dataclass(slots=True)
class MergedRound:
    campaign: str
    phase: int | None
    scope: str
    scope_english: str
    dates: Counter[str] = field(default_factory=Counter)
    values: dict[str, Counter[float]] = field(default_factory=lambda: defaultdict(Counter))
    hedges: dict[str, str] = field(default_factory=dict)  # '≈' nearly/about, '>' more than
    sources: dict[str, dict[float, list[str]]] = field(default_factory=lambda: defaultdict(lambda: defaultdict(list)))
    articles: int = 0

    def shown(self, key: str, money: bool = False) -> str:
        """The merged value as text, with the source's hedge ('≈5,200')."""
        value = self.value(key)
        return ("" if value is None else self.hedges.get(key, "")) + _fmt(value, money)

    def value(self, key: str) -> float | None:
        counts = self.values.get(key)
        return counts.most_common(1)[0][0] if counts else None

    @property
    def date(self) -> str | None:
        return self.dates.most_common(1)[0][0] if self.dates else None

    def disagreements(self) -> list[str]:
        out = []
        for key, counts in self.values.items():
            if len(counts) > 1:
                shown = counts.most_common(_VALUES)
                parts = "; ".join(f"{v:g} ({_sources(self.sources[key][v], n)})" for v, n in shown)
                if rest := len(counts) - len(shown):  # an archive of poor scans can hold thousands
                    parts += f"; {rest} other values from {counts.total() - sum(n for _, n in shown)} sources"
                out.append(f"{key}: {parts}")
        return out


def _sources(labels: list[str], count: int) -> str:
    return ", ".join(labels) + (f" and {count - len(labels)} more" if count > len(labels) else "")


@dataclass(slots=True)
class Summary:
    ok: int = 0
    flagged: int = 0
    failed: int = 0
    rounds: list[MergedRound] = field(default_factory=list)
    failures: list[tuple[str, str]] = field(default_factory=list)


# One row per (round, batch) of the analysis tables, in source order: what the merge needs.
_ROUND_ROWS = """
SELECT r.text_hash, r.round_index, a.sources, r.campaign, r.phase, r.scope, r.scope_english, r.date,
       b.batch, b.projects, b.projects_status, b.projects_qualifier,
       b.investment_yi, b.investment_status, b.investment_qualifier
FROM rounds r
JOIN articles a ON a.text_hash = r.text_hash
LEFT JOIN batches b ON b.text_hash = r.text_hash AND b.round_index = r.round_index
ORDER BY a.rowid, r.round_index, b.rowid
"""


def merge_rounds(rows: Iterable[tuple[Any, ...]]) -> list[MergedRound]:
    """Merge the rows of `_ROUND_ROWS`: each round once per article, verified figures only."""
    merged: dict[tuple[str, int | None, str], MergedRound] = {}
    seen: tuple[str, int] | None = None
    for sha, index, sources, campaign, phase, scope, english, date, batch, *figures in rows:
        m = merged.setdefault((campaign, phase, scope), MergedRound(campaign, phase, scope, english))
        if (sha, index) != seen:  # the round's first row
            seen = (sha, index)
            m.articles += 1
            if date:
                m.dates[date] += 1
        if batch is None:
            continue
        label = sources.split("\n", 1)[0]
        projects, p_status, p_qualifier, investment, i_status, i_qualifier = figures
        for part, value, status, qualifier in (
            ("projects", projects, p_status, p_qualifier),
            ("investment_yi", investment, i_status, i_qualifier),
        ):
            if value is None or status != Status.VERIFIED.value:  # only checked figures merge
                continue
            key = f"{batch}.{part}"
            m.values[key][value] += 1
            if qualifier and qualifier != "exact":
                m.hedges[key] = {"more_than": ">", "up_to": "≤"}.get(qualifier, "≈")
            if len(labels := m.sources[key][value]) < _LABELS:  # kept for the report: memory flat in the archive
                labels.append(label)
    return sorted(merged.values(), key=lambda m: (m.phase or 0, m.scope != "河南省", m.scope))


def summarise_outputs(out: Path) -> Summary:
    """Counts per source (a file or an archive member) and the rounds merged across articles,
    read from the state store and the analysis tables `sinks.write_outputs` wrote."""
    with closing(Store(out / "state.sqlite", readonly=True)) as store:
        counts = store.status_counts()
        summary = Summary(
            counts.get("ok", 0), counts.get("flagged", 0), counts.get("failed", 0), failures=store.failures()
        )
    with closing(sqlite3.connect(f"file:{out / 'tables.sqlite'}?mode=ro", uri=True)) as tables:
        summary.rounds = merge_rounds(tables.execute(_ROUND_ROWS))
    return summary


def _fmt(value: float | None, money: bool = False) -> str:
    if value is None:
        return "–"
    return f"{value:,.1f}".rstrip("0").rstrip(".") if money else f"{value:,.0f}"


def render_markdown(s: Summary) -> str:
    out = [
        "# Archive report",
        "",
        f"Articles: {s.ok} ok, {s.flagged} flagged, {s.failed} failed.",
        "",
        "## Campaign rounds (merged across articles)",
        "",
        "| Phase | Date | Scope | Signed | 亿元 | Started | 亿元 | Commissioned | 亿元 | Articles |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for m in s.rounds:
        cells = [str(m.phase or "?"), m.date or "?", m.scope_english]
        for key in BATCH_KEYS:
            cells += [m.shown(f"{key}.projects"), m.shown(f"{key}.investment_yi", True)]
        out.append("| " + " | ".join([*cells, str(m.articles)]) + " |")
    disagreements = [(m, d) for m in s.rounds for d in m.disagreements()]
    out += ["", "## Disagreements between sources", ""]
    out += [f"- Phase {m.phase}, {m.scope_english}: {d}" for m, d in disagreements] or ["None."]
    out += ["", "## Charts", ""]
    for name, (title, _) in charts(s).items():
        out += [f"![{title}]({CHARTS_DIR}/{name})", ""]
    out += ["## Failures", ""]
    out += [f"- `{name}`: {reason}" for name, reason in s.failures] or ["None."]
    return "\n".join(out) + "\n"


def charts(s: Summary) -> dict[str, tuple[str, str]]:
    """File name -> (title, SVG) of each chart: investment and project counts by phase."""
    province = [m for m in s.rounds if m.scope == "河南省" and m.phase]
    rounds, which = (province, "province-level rounds") if province else (s.rounds, "all rounds")
    found = {}
    for name, title, part, unit in (
        ("investment_by_phase.svg", f"Investment by phase, 亿元 ({which})", "investment_yi", "亿元"),
        ("projects_by_phase.svg", f"Projects by phase ({which})", "projects", "projects"),
    ):
        found[name] = (title, _bar_chart(title, rounds, part, unit))
    return found


def _bar_chart(title: str, rounds: list[MergedRound], part: str, unit: str) -> str:
    """Grouped bars per phase for the three batches, as SVG (a file of its own, or inline)."""
    data = [(m.phase, [m.value(f"{k}.{part}") or 0.0 for k in BATCH_KEYS]) for m in rounds if m.phase]
    width, height, left, bottom = 720, 300, 70, 40
    top = _nice_ceiling(max((v for _, vs in data for v in vs), default=1.0) or 1.0)
    group = (width - left - 20) / max(1, len(data))
    bar = group / 4
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        f'role="img" aria-label="{html.escape(title)}">'
    ]
    parts.append(f'<text x="{left}" y="16" font-size="14" font-weight="bold">{html.escape(title)}</text>')
    parts.append(f'<line x1="{left}" y1="{height - bottom}" x2="{width - 10}" y2="{height - bottom}" stroke="#333"/>')
    for tick in range(5):
        value = top * tick / 4
        y = height - bottom - (height - bottom - 30) * tick / 4
        parts.append(
            f'<text x="{left - 6}" y="{y + 4:.0f}" font-size="10" text-anchor="end">{_fmt(value, True)}</text>'
        )
        parts.append(f'<line x1="{left}" y1="{y:.0f}" x2="{width - 10}" y2="{y:.0f}" stroke="#eee"/>')
    for i, (phase, values) in enumerate(data):
        x0 = left + i * group + bar / 2
        for j, (key, value) in enumerate(zip(BATCH_KEYS, values, strict=True)):
            h = (height - bottom - 30) * value / top
            parts.append(
                f'<rect x="{x0 + j * bar:.1f}" y="{height - bottom - h:.1f}" width="{bar * 0.9:.1f}" height="{h:.1f}" '
                f'fill="{_COLOURS[key]}"><title>phase {phase} {key}: {_fmt(value, True)} {unit}</title></rect>'
            )
        parts.append(
            f'<text x="{x0 + 1.5 * bar:.1f}" y="{height - bottom + 14}" font-size="11" '
            f'text-anchor="middle">{phase}</text>'
        )
    parts.append(f'<text x="{width - 10}" y="{height - bottom + 28}" font-size="11" text-anchor="end">phase</text>')
    for j, key in enumerate(BATCH_KEYS):
        parts.append(f'<rect x="{left + j * 130}" y="{height - 14}" width="10" height="10" fill="{_COLOURS[key]}"/>')
        parts.append(f'<text x="{left + j * 130 + 14}" y="{height - 5}" font-size="11">{key}</text>')
    parts.append("</svg>")
    return "".join(parts)


def _nice_ceiling(value: float) -> float:
    """The next round number (1, 2, 2.5 or 5 times a power of ten), so the axis reads well."""
    power = 10.0 ** math.floor(math.log10(value))
    return float(next(step * power for step in (1, 2, 2.5, 5, 10) if step * power >= value))


def render_html(s: Summary) -> str:
    rows = []
    for m in s.rounds:
        cells = [str(m.phase or "?"), m.date or "?", m.scope_english]
        for key in BATCH_KEYS:
            cells += [m.shown(f"{key}.projects"), m.shown(f"{key}.investment_yi", True)]
        rows.append("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in [*cells, str(m.articles)]) + "</tr>")
    disagreements = (
        "".join(
            f"<li>Phase {m.phase}, {html.escape(m.scope_english)}: {html.escape(d)}</li>"
            for m in s.rounds
            for d in m.disagreements()
        )
        or "<li>None.</li>"
    )
    failures = (
        "".join(f"<li><code>{html.escape(n)}</code>: {html.escape(r)}</li>" for n, r in s.failures) or "<li>None.</li>"
    )
    head = "".join(
        f"<th>{h}</th>"
        for h in ("Phase", "Date", "Scope", "Signed", "亿元", "Started", "亿元", "Commissioned", "亿元", "Articles")
    )
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Archive report</title>
<style>body{{font-family:sans-serif;max-width:60em;margin:2em auto;color:#222}}table{{border-collapse:collapse}}
td,th{{border:1px solid #ccc;padding:.2em .5em;text-align:right}}td:nth-child(3){{text-align:left}}</style></head>
<body><h1>Archive report</h1>
<p>Articles: <b>{s.ok}</b> ok, <b>{s.flagged}</b> flagged, <b>{s.failed}</b> failed.</p>
<h2>Charts</h2>{"".join(svg for _, svg in charts(s).values())}
<h2>Campaign rounds (merged across articles)</h2><table><tr>{head}</tr>{"".join(rows)}</table>
<h2>Disagreements between sources</h2><ul>{disagreements}</ul>
<h2>Failures</h2><ul>{failures}</ul>
</body></html>
"""


def write_report(out: Path) -> Summary:
    """report.md and report.html, from the outputs: run after `sinks.write_outputs`."""
    summary = summarise_outputs(out)
    (out / CHARTS_DIR).mkdir(exist_ok=True)
    for name, (_, svg) in charts(summary).items():
        (out / CHARTS_DIR / name).write_text(svg + "\n", encoding="utf-8")
    (out / "report.md").write_text(render_markdown(summary), encoding="utf-8")
    (out / "report.html").write_text(render_html(summary), encoding="utf-8")
    return summary
