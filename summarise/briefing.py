"""The English briefing, built from the records alone, as a format-neutral view.

Input: an `Article`. Output: a `Briefing` (headline, facts lines, tables of strings) that the
text, Markdown and terminal renderers lay out. Pure.
Every number passes through `figure_text`, which marks any figure that is not verified, so no
renderer can show an unflagged unverified number.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from summarise.gazetteer import english_place
from summarise.glossary import BATCHES, campaign_english
from summarise.records import Article, Batch, CampaignRound, CumulativeTotal, Figure, Statement, Status, Unit

FLAG = "⚠"


@dataclass(slots=True)
class Table:
    title: str
    columns: list[str]
    rows: list[list[str]] = field(default_factory=list)


@dataclass(slots=True)
class Briefing:
    headline: str
    lines: list[str]
    tables: list[Table]
    footer: str
    flagged: int


def figure_text(figure: Figure | None, *, money: str = "both", short: bool = False) -> str:
    """A figure in English; anything not verified carries a visible flag and the reason."""
    if figure is None:
        return "–"
    q = figure.qualifier.english
    if figure.unit is Unit.YI_YUAN:
        yi = f"{figure.value:,.2f}".rstrip("0").rstrip(".")
        bn = f"{figure.value / 10:,.2f}".rstrip("0").rstrip(".")
        body = {"both": f"{q}{yi} 亿元 (CNY {bn} bn)", "bn": f"{q}CNY {bn} bn"}[money]
    elif figure.unit is Unit.PERCENT:
        body = f"{q}{figure.value:g}%"
    else:
        body = f"{q}{figure.value:,.0f}"
    if figure.status is not Status.VERIFIED:
        reason = f": {figure.note}" if figure.note and not short else ""
        body += f" {FLAG} {figure.status.value}{reason}"
    return body


def statement_text(statement: Statement) -> str:
    """English prose with each number that matches no fact of the source flagged in place."""
    text = statement.text
    for number in statement.numbers:
        if number.status is not Status.VERIFIED:
            text = text.replace(number.written, f"{number.written} [{FLAG} {number.note}]", 1)
    return text


def build_briefing(article: Article) -> Briefing:
    rounds = article.rounds()
    totals = article.cumulative_totals()
    lines: list[str] = []
    if article.summary:
        lines += [f"• {statement_text(s)}" for s in article.summary.key_points]
    lines += [f"{FLAG} {w}" for w in article.warnings]
    tables: list[Table] = []
    if rounds:
        table = Table(
            "Campaign rounds",
            ["Scope", "Phase", "Date", "Batch", "Projects", "Investment (亿元 / CNY bn)"],
        )
        for r in rounds:
            for key, batch in _batches(r):
                table.rows.append(
                    [
                        r.scope.english,
                        _phase(r.phase),
                        _date(r),
                        BATCHES.get(key, key.title()),
                        figure_text(batch.projects),
                        figure_text(batch.investment),
                    ]
                )
        tables.append(table)
        for r in rounds:
            if r.date and r.date.year_inferred:
                lines.append(f"Date of {r.scope.english} phase {_phase(r.phase)}: year inferred, {r.date.reason}.")
    if totals:
        table = Table(
            "Cumulative totals", ["Scope", "Through phase", "Projects", "Investment", "Signed / started / commissioned"]
        )
        for t in totals:
            split = " / ".join(figure_text(b.projects) if b else "–" for b in (t.signed, t.started, t.commissioned))
            table.rows.append(
                [t.scope.english, _phase(t.through_phase), figure_text(t.projects), figure_text(t.investment), split]
            )
        tables.append(table)
    if article.people:
        table = Table("People", ["Name", "Chinese", "Title"])
        for p in article.people:
            table.rows.append([p.pinyin, p.name, p.title_english or "(listed as attending)"])
        tables.append(table)
    others = article.other_figures()
    if others:
        table = Table("Other figures (not campaign totals)", ["What", "Figure", "Source context"])
        for o in others:
            table.rows.append([o.label, figure_text(o.figure), o.context])
        tables.append(table)
    v = article.verification
    flagged = v.unverified
    footer = (
        f"Engine: {article.engine}. {v.verified} of {v.total} figures verified against the source"
        + (f"; {flagged} flagged {FLAG}" if flagged else "")
        + (f"; {v.prose_flagged} number(s) in the English text match no fact {FLAG}" if v.prose_flagged else "")
        + "."
    )
    if article.usage:
        u = article.usage
        cost = f", about USD {u.cost_usd:.4f}" if u.cost_usd is not None else ""
        footer += f" Tokens: {u.prompt_tokens} in, {u.completion_tokens} out over {len(u.attempts)} request(s){cost}."
    headline = statement_text(article.summary.headline) if article.summary else _headline(article, rounds, totals)
    return Briefing(headline, lines, tables, footer, flagged + v.prose_flagged)


def _batches(r: CampaignRound) -> list[tuple[str, Batch]]:
    named = [("signed", r.signed), ("started", r.started), ("commissioned", r.commissioned), ("total", r.total)]
    return [(k, b) for k, b in named if b is not None]


def _headline(article: Article, rounds: list[CampaignRound], totals: list[CumulativeTotal]) -> str:
    if rounds:
        r = rounds[0]
        parts = [
            f"{figure_text(b.projects, money='bn', short=True)} {BATCHES[k].lower()}"
            + (f" ({figure_text(b.investment, money='bn', short=True)})" if b.investment else "")
            for k, b in _batches(r)
            if k != "total"
        ]
        where = r.scope.english.replace(" Province", "")
        head = f"{where} holds phase {_phase(r.phase)} of the '{campaign_english(r.campaign)}' campaign"
        if r.date and r.date.value:
            head += f" on {r.date.value:%d %B %Y}"
        more = f"; {len(rounds) - 1} more round(s) below" if len(rounds) > 1 else ""
        return f"{head}: projects {', '.join(parts)}{more}"
    if totals:
        t = totals[0]
        return (
            f"{english_place(t.scope.name)}: {figure_text(t.projects, short=True)} projects over "
            f"{_phase(t.through_phase)} phases of the '{campaign_english(t.campaign)}' campaign"
            + (f", total investment {figure_text(t.investment, money='bn', short=True)}" if t.investment else "")
        )
    return f"No campaign round reported in {article.source}"


def _phase(value: int | None) -> str:
    return str(value) if value is not None else "?"


def _date(r: CampaignRound) -> str:
    if r.date is None:
        return "?"
    if r.date.value is None:
        return f"{r.date.month}/{r.date.day} (year unknown)"
    return r.date.value.isoformat() + ("*" if r.date.year_inferred else "")
