"""Lay out a briefing as plain text, Markdown or JSON, and on a terminal with rich.

Input: an `Article`. Output: a string, or rich renderables. Pure except `print_rich`, which
writes to the console it is given.
"""

from __future__ import annotations

from enum import StrEnum

from rich.console import Console, Group
from rich.panel import Panel
from rich.table import Table as RichTable
from rich.text import Text

from summarise.briefing import FLAG, Briefing, build_briefing
from summarise.records import Article


class Format(StrEnum):
    RICH = "rich"
    TEXT = "text"
    MARKDOWN = "markdown"
    JSON = "json"


def render(article: Article, fmt: Format) -> str:
    if fmt is Format.JSON:
        return article.model_dump_json(indent=2)
    briefing = build_briefing(article)
    if fmt is Format.MARKDOWN:
        return render_markdown(briefing)
    return render_text(briefing)


def render_text(b: Briefing) -> str:
    out = [b.headline, "=" * min(len(b.headline), 78), *b.lines]
    for table in b.tables:
        out += ["", table.title, "-" * len(table.title)]
        widths = [max(len(c), *(len(r[i]) for r in table.rows)) for i, c in enumerate(table.columns)]
        out.append("  ".join(c.ljust(w) for c, w in zip(table.columns, widths, strict=True)).rstrip())
        out += ["  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)).rstrip() for row in table.rows]
    out += ["", b.footer]
    return "\n".join(out)


def render_markdown(b: Briefing) -> str:
    out = [f"# {b.headline}", ""]
    out += [f"- {line}" for line in b.lines]
    for table in b.tables:
        out += ["", f"## {table.title}", "", "| " + " | ".join(table.columns) + " |"]
        out.append("|" + "---|" * len(table.columns))
        out += ["| " + " | ".join(_cell(v) for v in row) + " |" for row in table.rows]
    out += ["", f"_{b.footer}_"]
    return "\n".join(out) + "\n"


def _cell(value: str) -> str:
    return value.replace("|", "\\|").replace("\n", " ")


def print_rich(article: Article, console: Console) -> None:
    b = build_briefing(article)
    parts: list[Text | RichTable] = [Text(line, style="dim") for line in b.lines]
    for table in b.tables:
        rt = RichTable(title=table.title, title_justify="left", expand=False)
        for column in table.columns:
            rt.add_column(column)
        for row in table.rows:
            rt.add_row(*(Text(v, style="bold yellow") if FLAG in v else Text(v) for v in row))
        parts.append(rt)
    style = "yellow" if b.flagged else "green"
    parts.append(Text(b.footer, style=style))
    console.print(Panel(Group(*parts), title=Text(b.headline, style="bold"), title_align="left"))
