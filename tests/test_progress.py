"""The batch's progress bar: every field readable on an 80-column terminal."""

from __future__ import annotations

import io

from rich.console import Console

from summarise.batch import Tally
from summarise.progress import BatchProgress


def last_frame(width: int, tally: Tally) -> list[str]:
    buf = io.StringIO()
    console = Console(file=buf, width=width, force_terminal=True, color_system=None)
    with BatchProgress(console) as progress:
        progress.update(tally, 10_000)
    frame = buf.getvalue().split("\r")[-1]
    for control in ("\x1b[?25l", "\x1b[?25h", "\x1b[2K", "\x1b[1A"):
        frame = frame.replace(control, "")
    return [line.rstrip() for line in frame.splitlines() if line.strip()]


def test_bar_rate_eta_counts_tokens_and_cost_all_fit_80_columns() -> None:
    tally = Tally(ok=9_412, flagged=388, failed=12, model_calls=9_900, prompt_tokens=1_234_567)
    tally.completion_tokens, tally.cost_usd = 45_678, 1.23
    bar, counts = last_frame(80, tally)
    assert "9812/10000" in bar
    assert "/s" in bar
    assert "ETA" in bar
    assert "…" not in bar
    assert counts == "ok 9,412 · flagged 388 · failed 12 · 1,280,245 tokens · ~USD 1.23"
    assert max(len(bar), len(counts)) <= 80
