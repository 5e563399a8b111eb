"""The offline engine on fixture articles written for these tests, and on the real samples."""

from __future__ import annotations

import json
from typing import Any

import pytest
from helpers import FIXTURES, SAMPLES, fixture_text

from summarise import summarise_file, summarise_text
from summarise.dates import phase_year
from summarise.numerals import Qualifier
from summarise.records import Status
from summarise.scoring import Report, cumulative_fields, round_fields, score_article
from summarise.verify import figures


def rounds_of(name: str) -> list[dict[str, Any]]:
    article = summarise_text(fixture_text(name))
    return [{k: v for k, v in round_fields(r).items() if v is not None} for r in article.rounds()]


def test_page_with_province_and_city_stories() -> None:
    assert rounds_of("province_and_city.txt") == [
        {"phase": 8, "date": "2023-04-12", "scope": "河南省",
         "signed.projects": 581, "signed.investment_yi": 4263.5,
         "started.projects": 672, "started.investment_yi": 5031.2,
         "commissioned.projects": 547, "commissioned.investment_yi": 3318.7},
        {"phase": 8, "date": "2023-04-12", "scope": "新乡市",
         "signed.projects": 37, "signed.investment_yi": 268.4,
         "started.projects": 45, "started.investment_yi": 301.6,
         "commissioned.projects": 29, "commissioned.investment_yi": 152.3},
    ]  # fmt: skip


def test_sector_figure_inside_a_round_is_not_the_round() -> None:
    article = summarise_text(fixture_text("province_and_city.txt"))
    sector = [o for o in article.other_figures() if "sector" in o.label]
    assert [o.figure.value for o in sector] == [21]


def test_county_sub_venue_inside_a_city_report() -> None:
    scopes = [(r["scope"], r["signed.projects"]) for r in rounds_of("county_in_city.txt")]
    assert scopes == [("南阳市", 64), ("邓州市", 9)]


def test_traditional_noisy_web_text() -> None:
    [r] = rounds_of("traditional_web.txt")
    assert r == {
        "phase": 9, "date": "2023-07-10", "scope": "河南省",
        "signed.projects": 602, "signed.investment_yi": 4512.6,
        "started.projects": 738, "started.investment_yi": 5803,
        "commissioned.projects": 614, "commissioned.investment_yi": 3972.8,
    }  # fmt: skip


def test_traditional_names_are_simplified_beside_the_form_found() -> None:
    article = summarise_text(fixture_text("traditional_web.txt"))
    lou = article.people[0]
    assert (lou.name, lou.as_found, lou.pinyin) == ("楼阳生", "樓陽生", "Lou Yangsheng")
    assert lou.title_english == "Secretary of the Henan Provincial Party Committee"


def test_mentions_without_a_round_yield_no_round() -> None:
    article = summarise_text(fixture_text("mention_only.txt"))
    assert article.rounds() == []
    assert article.cumulative_totals() == []
    assert not article.is_campaign_report


def test_main_venue_and_qualifiers() -> None:
    article = summarise_text(fixture_text("venue_and_sector.txt"))
    [r] = article.rounds()
    assert r.signed
    assert r.signed.projects
    assert r.signed.projects.value == 713
    assert r.signed.investment
    assert r.signed.investment.qualifier is Qualifier.NEARLY
    assert r.started
    assert r.started.investment
    assert r.started.investment.qualifier is Qualifier.ABOUT
    assert r.commissioned
    assert r.commissioned.investment
    assert r.commissioned.investment.qualifier is Qualifier.MORE_THAN
    venue = [o for o in article.other_figures() if "main venue" in o.label]
    assert [o.figure.value for o in venue] == [16]
    over = [o.figure for o in article.other_figures() if o.figure.qualifier is Qualifier.MORE_THAN]
    assert [(f.value, f.as_written) for f in over] == [(100.0, "超百亿元")]


def test_date_with_written_year_is_not_inferred() -> None:
    [r] = summarise_text(fixture_text("venue_and_sector.txt")).rounds()
    assert r.date
    assert r.date.value
    assert r.date.value.isoformat() == "2024-04-02"
    assert not r.date.year_inferred


def test_inferred_year_says_why() -> None:
    [r] = summarise_text(fixture_text("traditional_web.txt")).rounds()
    assert r.date
    assert r.date.year_inferred
    assert r.date.reason
    assert "phase 9" in r.date.reason


def test_percentages_name_what_they_are_shares_of() -> None:
    labels = {o.figure.value: o.label for o in summarise_text(fixture_text("venue_and_sector.txt")).other_figures()}
    assert labels[61.8] == "share of project count"
    assert labels[58.3] == "share of investment"
    assert labels[6.2] == "growth"


def test_cumulative_totals() -> None:
    article = summarise_text(fixture_text("cumulative.txt"))
    assert [{k: v for k, v in cumulative_fields(c).items() if v is not None} for c in article.cumulative_totals()] == [
        {"scope": "河南省", "through_phase": 12, "projects": 16890, "investment_yi": 124600},
        {"scope": "漯河市", "through_phase": 12, "projects": 512, "investment_yi": 2876.4,
         "signed.projects": 176, "started.projects": 198, "commissioned.projects": 138},
    ]  # fmt: skip
    assert article.rounds() == []


@pytest.mark.parametrize(
    ("phase", "month", "year"),
    [(1, 7, 2021), (2, 10, 2021), (3, 1, 2022), (7, 1, 2023), (13, 7, 2024), (11, 1, 2024), (6, 12, 2022)],
)
def test_phase_gives_the_year(phase: int, month: int, year: int) -> None:
    assert phase_year(phase, month) == year


def test_every_figure_is_verified_with_offsets_into_the_original() -> None:
    for path in sorted(FIXTURES.glob("*.txt")):
        text = path.read_text(encoding="utf-8")
        article = summarise_text(text)
        for figure in figures(article):
            assert figure.status is Status.VERIFIED, (path.name, figure)
            assert figure.evidence is not None
            assert text[figure.evidence.start : figure.evidence.end] == figure.evidence.quote


def test_samples_score_perfectly_against_gold() -> None:
    """The five real articles in ../shared/samples: F1 = 1.0 for rounds and cumulative totals."""
    gold_files = sorted((SAMPLES / "gold").glob("*.json"))
    assert len(gold_files) == 5, f"samples not found beside the project: {SAMPLES}"
    report = Report()
    for gold_file in gold_files:
        gold = json.loads(gold_file.read_text(encoding="utf-8"))
        score_article(summarise_file(SAMPLES / "articles" / gold["file"]), gold, report)
    assert report.rounds.errors == []
    assert report.cumulative.errors == []
    assert report.rounds.f1 == 1.0
    assert report.cumulative.f1 == 1.0
    assert report.rounds.tp > 40


def test_hostile_text_gives_sane_records() -> None:
    """Inputs built to make patterns backtrack (bench/hostile.py times them at full size)."""
    roster = summarise_text("三个一批" + "张三、" * 2000)
    assert roster.people == []
    digits = summarise_text("三个一批签约项目" + "1" * 20000 + "个")
    assert digits.rounds() == []  # a 20,000-digit count is not a figure
    page = summarise_text("全省第三期“三个一批”举行。" + "签约项目1个，总投资1亿元；开工项目2个，总投资2亿元；" * 300)
    [r] = page.rounds()  # 300 restatements of one round are one round
    assert r.signed
    assert r.signed.projects
    assert r.signed.projects.value == 1
