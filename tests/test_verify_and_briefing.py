"""Cross-check and briefing: a wrong or unsupported figure is flagged, a right one is not."""

from __future__ import annotations

import json

import pytest
from helpers import fixture_text

from summarise import summarise_text
from summarise.briefing import FLAG, build_briefing
from summarise.records import Status
from summarise.render import Format, render
from summarise.verify import verify_article

TEXT = fixture_text("province_and_city.txt")


def test_a_tampered_value_is_a_mismatch_and_is_flagged_in_every_format() -> None:
    article = summarise_text(TEXT)
    signed = article.rounds()[0].signed
    assert signed
    assert signed.projects
    signed.projects.value = 518  # the source says 581
    verify_article(TEXT, article)
    assert signed.projects.status is Status.MISMATCH
    assert "581" in (signed.projects.note or "")
    assert article.verification.mismatch == 1
    markdown = render(article, Format.MARKDOWN)
    rows = [line for line in markdown.splitlines() if line.startswith("| ")]
    flagged = [cell.strip() for row in rows for cell in row.split("|") if FLAG in cell]
    assert flagged == ["518 ⚠ mismatch: the source says 581, not 518"], "exactly the wrong figure is flagged"
    assert "projects 518 ⚠ mismatch signed" in markdown.splitlines()[0]
    assert "1 flagged ⚠" in markdown.splitlines()[-1]
    assert "518 ⚠ mismatch" in render(article, Format.TEXT)
    assert json.loads(render(article, Format.JSON))["verification"]["mismatch"] == 1


def test_a_quote_not_in_the_source_is_unsupported() -> None:
    article = summarise_text(TEXT)
    started = article.rounds()[0].started
    assert started
    assert started.investment
    assert started.investment.evidence
    started.investment.evidence.quote = "开工项目672个，总投资9999亿元"
    verify_article(TEXT, article)
    assert started.investment.status is Status.UNSUPPORTED
    assert build_briefing(article).flagged == 1


def test_quote_found_by_search_when_offsets_are_wrong() -> None:
    article = summarise_text(TEXT)
    signed = article.rounds()[0].signed
    assert signed
    assert signed.investment
    assert signed.investment.evidence
    signed.investment.evidence.start = 0
    signed.investment.evidence.end = 5
    signed.investment.evidence.quote = "签约项目581个，总投资4263.5亿元"  # repaired text, as a model quotes it
    verify_article(TEXT, article)
    assert signed.investment.status is Status.VERIFIED
    ev = signed.investment.evidence
    assert TEXT[ev.start : ev.end] == ev.quote


def test_briefing_reads_as_english() -> None:
    b = build_briefing(summarise_text(TEXT))
    assert b.headline.startswith("Henan holds phase 8 of the 'Three Batches' campaign on 12 April 2023")
    assert "581 signed (CNY 426.35 bn)" in b.headline
    names = [row[0] for t in b.tables if t.title == "People" for row in t.rows]
    assert names[:2] == ["Lou Yangsheng", "Wang Kai"]
    assert b.footer.startswith("Engine: offline. 14 of 14 figures verified")


def test_qualifier_survives_into_english() -> None:
    out = render(summarise_text(fixture_text("venue_and_sector.txt")), Format.TEXT)
    assert "more than 100 亿元 (CNY 10 bn)" in out
    assert "nearly 5,200 亿元 (CNY 520 bn)" in out


@pytest.mark.parametrize("fmt", [Format.TEXT, Format.MARKDOWN, Format.JSON])
def test_every_format_holds_the_figures(fmt: Format) -> None:
    out = render(summarise_text(TEXT), fmt)
    assert "4263.5" in out.replace(",", "")
    assert "Lou Yangsheng" in out or "楼阳生" in out


def test_rich_terminal_rendering_shows_the_table_and_the_flag() -> None:
    from rich.console import Console

    from summarise.render import print_rich

    article = summarise_text(TEXT)
    signed = article.rounds()[0].signed
    assert signed
    assert signed.projects
    signed.projects.value = 518
    verify_article(TEXT, article)
    console = Console(record=True, width=220, color_system=None)
    print_rich(article, console)
    out = console.export_text()
    assert "Henan holds phase 8" in out
    assert "518 ⚠ mismatch: the source says 581, not 518" in out
    assert "Lou Yangsheng" in out
    assert "13 of 14 figures verified against the source; 1 flagged ⚠." in out
