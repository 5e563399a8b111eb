"""Each deterministic pattern, one readable case per row; error rows assert what is NOT a fact."""

from __future__ import annotations

import pytest

from summarise.facts import find_facts
from summarise.normalise import normalise
from summarise.numerals import Qualifier


def facts_of(text: str):  # type: ignore[no-untyped-def]
    return find_facts(normalise(text).text)


@pytest.mark.parametrize(
    ("text", "yi", "qualifier"),
    [
        pytest.param("总投资 3514亿元", 3514.0, Qualifier.EXACT, id="yi"),
        pytest.param("总投资额13.87万亿元", 138700.0, Qualifier.EXACT, id="wan-yi"),
        pytest.param("计划投资8500万元", 0.85, Qualifier.EXACT, id="wan"),
        pytest.param("总投资超百亿元", 100.0, Qualifier.MORE_THAN, id="chao-bai-yi"),
        pytest.param("总投资近5200亿元", 5200.0, Qualifier.NEARLY, id="jin"),
        pytest.param("总投资约4186.5亿元", 4186.5, Qualifier.ABOUT, id="yue"),
        pytest.param("投资300余亿元", 300.0, Qualifier.MORE_THAN, id="yu"),
        pytest.param("投资50多亿元", 50.0, Qualifier.MORE_THAN, id="duo"),
        pytest.param("总投资6213.9亿元以上", 6213.9, Qualifier.MORE_THAN, id="yishang"),
        pytest.param("投资 4595.15 亿元", 4595.15, Qualifier.EXACT, id="spaced"),
        pytest.param("投资两千万元", 0.2, Qualifier.EXACT, id="chinese-numeral"),
    ],
)
def test_amounts(text: str, yi: float, qualifier: Qualifier) -> None:
    [amount] = facts_of(text).amounts
    assert amount.yi == pytest.approx(yi)
    assert amount.qualifier is qualifier


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("打造千亿元级产业链", id="class-not-amount"),
        pytest.param("投资2亿美元", id="dollars-not-yuan"),
    ],
)
def test_not_amounts(text: str) -> None:
    assert facts_of(text).amounts == []


@pytest.mark.parametrize(
    ("text", "kind", "projects", "yi"),
    [
        pytest.param("全省集中签约项目 460个，总投资 3514亿元", "signed", 460, 3514.0, id="signed-plain"),
        pytest.param("“开工一批”项目77个，总投资852.7亿元", "started", 77, 852.7, id="quoted-batch"),
        pytest.param("结转投产项目1017个,总投资8528.8亿元", "commissioned", 1017, 8528.8, id="carried-over"),
        pytest.param("签 约 一 批 项 目 223 个", "signed", 223, None, id="spaced-no-amount"),
        pytest.param("「投產一批」項目１３８個", "commissioned", 138, None, id="traditional-full-width"),
        pytest.param("开工项目共计300个、总投资约2000亿元", "started", 300, 2000.0, id="gongji"),
    ],
)
def test_batches(text: str, kind: str, projects: int, yi: float | None) -> None:
    [batch] = facts_of(text).batches
    assert (batch.kind, batch.projects) == (kind, projects)
    assert (batch.amount.yi if batch.amount else None) == (pytest.approx(yi) if yi else None)


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("推动签约项目早开工、开工项目早投产", id="no-count"),
        pytest.param("17个项目在主会场现场签约", id="count-before-kind"),
        pytest.param("200个重大项目实现开工建设", id="started-as-verb"),
    ],
)
def test_not_batches(text: str) -> None:
    assert facts_of(text).batches == []


@pytest.mark.parametrize(
    ("text", "number", "cumulative"),
    [
        pytest.param("全省第三期“三个一批”项目建设活动", 3, False, id="third"),
        pytest.param("第十三期“三个一批”", 13, False, id="thirteenth"),
        pytest.param("第 7 期「三個一批」", 7, False, id="traditional-spaced"),
        pytest.param("先后组织九期“三个一批”", 9, True, id="nine-so-far"),
        pytest.param("连续十三期压茬推进、滚动实施的“三个一批”项目", 13, True, id="consecutive"),
    ],
)
def test_phases(text: str, number: int, cumulative: bool) -> None:
    [phase] = facts_of(text).phases
    assert (phase.number, phase.cumulative) == (number, cumulative)


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("安图生物体外诊断产业园（一期）生产线", id="project-phase"),
        pytest.param("金萌二期项目", id="second-phase-project"),
        pytest.param("我市第五期干部培训班开班", id="training-course"),
    ],
)
def test_other_series_are_not_phases(text: str) -> None:
    assert facts_of(text).phases == []


@pytest.mark.parametrize(
    ("text", "ymd"),
    [
        pytest.param("1月 4日，", (None, 1, 4), id="no-year"),
        pytest.param("2021 年 7 月 10 日", (2021, 7, 10), id="with-year-spaced"),
        pytest.param("十月八日", (None, 10, 8), id="chinese-numerals"),
        pytest.param("１２月３１日", (None, 12, 31), id="full-width"),
    ],
)
def test_dates(text: str, ymd: tuple[int | None, int, int]) -> None:
    [date] = facts_of(text).dates
    assert (date.year, date.month, date.day) == ymd


@pytest.mark.parametrize(
    ("text", "value", "context_word"),
    [
        pytest.param("数量占比76.6%", 76.6, "数量占比", id="share-count"),
        pytest.param("占年度计划投资的92.9%", 92.9, "占年度计划投资", id="share-plan"),
        pytest.param("同比增长百分之三点八", 3.8, "增长", id="chinese-percent"),
    ],
)
def test_percents(text: str, value: float, context_word: str) -> None:
    [pct] = facts_of(text).percents
    assert pct.value == pytest.approx(value)
    assert context_word in pct.context


@pytest.mark.parametrize(
    ("text", "people"),
    [
        pytest.param(
            "省委书记楼阳生讲话，省长王凯作工作部署。", [("楼阳生", "省委书记"), ("王凯", "省长")], id="titles"
        ),
        pytest.param("省委常委、市委书记安伟在郑州分会场", [("安伟", "省委常委、市委书记")], id="title-chain"),
        pytest.param("王凯强调，要抓项目。市长何雄主持", [("何雄", "市长")], id="two-char-before-verb"),
        pytest.param(
            "孙守刚、费东斌、陈星在主会场出席。",
            [("孙守刚", None), ("费东斌", None), ("陈星", None)],
            id="attendance",
        ),
        pytest.param(
            "市领导田海涛、虎强、郝伟等参加。",
            [("田海涛", "市领导"), ("虎强", None), ("郝伟", None)],
            id="roster-lead-in",
        ),
        pytest.param("（记者 王际宾、王治）报道，参加", [], id="reporters-are-not-officials"),
        pytest.param("省長王凱作工作部署", [("王凯", "省长")], id="traditional"),
    ],
)
def test_people(text: str, people: list[tuple[str, str | None]]) -> None:
    found = {}
    for p in facts_of(text).people:
        found[p.name] = found.get(p.name) or p.title
    assert list(found.items()) == people
