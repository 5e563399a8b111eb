"""The batch's progress bar and closing summary, on stderr with rich.

Input: the runner's `Tally`. Output: a live bar (rate, ETA, ok/flagged/failed, tokens, cost)
and a one-screen summary. Does terminal I/O only; `quiet` prints nothing but the summary line.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from types import TracebackType

from rich.console import Console, RenderableType
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table
from rich.text import Text

from summarise.batch import Tally


class _TwoLines(Progress):
    """The bar on one line, the counts (and tokens, cost) on the next: on one line they did not
    fit an 80-column terminal, and rich cut the times and the cost short."""

    status = Text()

    def get_renderables(self) -> Iterable[RenderableType]:
        yield self.make_tasks_table(self.tasks)
        yield self.status


class BatchProgress:
    def __init__(self, console: Console, quiet: bool = False) -> None:
        self.console = console
        self.quiet = quiet
        self.progress = _TwoLines(
            TextColumn("[bold]summarise batch"),
            BarColumn(bar_width=None),
            MofNCompleteColumn(),
            TextColumn("{task.fields[rate]}"),
            TimeElapsedColumn(),
            TextColumn("ETA"),
            TimeRemainingColumn(),
            console=console,
            disable=quiet,
            transient=False,
        )
        self.task: TaskID | None = None

    def __enter__(self) -> BatchProgress:
        self.progress.__enter__()
        self.task = self.progress.add_task("batch", total=None, rate="")
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.progress.__exit__(kind, exc, tb)

    def update(self, tally: Tally, total: int | None) -> None:
        if self.task is None:
            return
        elapsed = max(1e-9, time.monotonic() - tally.started)
        counts = f"ok {tally.ok:,} · flagged {tally.flagged:,} · failed {tally.failed:,}"
        if tally.model_calls:
            counts += f" · {tally.prompt_tokens + tally.completion_tokens:,} tokens"
            if tally.cost_usd:
                counts += f" · ~USD {tally.cost_usd:.2f}"
        self.progress.status = Text(counts, no_wrap=True, overflow="ellipsis")
        self.progress.update(self.task, total=total, completed=tally.done, rate=f"{tally.done / elapsed:.1f}/s")


def print_summary(console: Console, tally: Tally, out: str, written: dict[str, int]) -> None:
    elapsed = time.monotonic() - tally.started
    table = Table(title="summarise batch", show_header=False, title_justify="left")
    table.add_column(style="bold")
    table.add_column()
    table.add_row("sources", f"{tally.done:,} in {elapsed:.1f} s ({tally.done / max(elapsed, 1e-9):.1f}/s)")
    table.add_row("ok / flagged / failed", f"{tally.ok:,} / {tally.flagged:,} / {tally.failed:,}")
    table.add_row("from the store (no work)", f"{tally.cached:,}")
    table.add_row("unique articles written", f"{written['articles']:,}")
    table.add_row("model calls", f"{tally.model_calls:,}")
    if tally.model_calls:
        table.add_row("tokens", f"{tally.prompt_tokens:,} in, {tally.completion_tokens:,} out")
        table.add_row("estimated cost", f"USD {tally.cost_usd:.4f}")
    table.add_row(
        "outputs", f"{out}/ (articles/, articles.jsonl, tables.sqlite, parquet/, report.md, charts/, report.html)"
    )
    console.print(table)
