"""Deterministic facts found by regular expressions in normalised text.

Input: a `NormalisedText`. Output: `Facts`, lists of small frozen records whose `start`/`end`
are offsets into the NORMALISED text (the record stage maps them to the original). Pure.
Each pattern runs once over the whole text; nothing here is per-sentence Python work, which is
what keeps the offline engine above a million characters a second.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from summarise.gazetteer import place_pattern
from summarise.glossary import TITLES
from summarise.numerals import Qualifier, parse_int, parse_number, qualifier_of, to_yi

_CN = "零〇一二两三四五六七八九十百千"
# Numbers start where a run of digits (or of Chinese numerals) starts and are bounded in length:
# hostile text (a megabyte of digits, a list that never ends) must cost linear time, never
# the quadratic backtracking of an unanchored '\d+'.
_NUM = rf"(?:(?<![\d.])\d{{1,12}}(?:\.\d{{1,6}})?|(?<![{_CN}])[{_CN}]{{1,12}})"
_INT = rf"(?:(?<!\d)\d{{1,9}}|(?<![{_CN}])[{_CN}]{{1,12}})"
_OPEN = '[“"「『‘]?'
_CLOSE = '[”"」』’]?'
_AMOUNT = (
    r"(?P<q1{s}>不超过|将近|接近|超过|大约|超|逾|近|约)?(?P<num{s}>" + _NUM.replace("{", "{{").replace("}", "}}") + r")"
    r"(?P<q2{s}>余|多)?(?P<unit{s}>万亿|千万|百万|亿|万)元(?P<q3{s}>以上|左右|以内)?(?!级)"
)
_INVEST = r"(?:[,、;]?(?:计划)?(?:总投资额?|投资总?额)(?:为|达|约为)?" + _AMOUNT + ")?"

AMOUNT_RE = re.compile(_AMOUNT.format(s=""))
BATCH_RE = re.compile(
    _OPEN
    + r"(?P<kind>签约|开工|结转投产|竣工投产|投产)(?:一批)?"
    + _CLOSE
    + r"(?:的)?(?:重点|重大|产业)?项目(?:共计?|数量?|合计)?(?:为|达)?"
    + rf"(?P<count>{_INT})个"
    + _INVEST.format(s="i")
)
TOTAL_RE = re.compile(
    rf"(?:项目(?:共计?|总数为?|合计)(?P<count>{_INT})个"
    rf"|共(?:涉及|有|计|组织)?(?P<count2>{_INT})个(?:重点|重大)?项目(?:参加活动|参与活动)?"
    rf"|三个一批{_CLOSE}项目(?P<count3>{_INT})个)" + _INVEST.format(s="i")
)
PHASE_RE = re.compile(
    rf"(?:第(?P<n>{_INT})期{_OPEN}三个一批"
    rf"|(?:连续|先后|累计|共)(?:组织|举办|开展)?了?(?P<cum>{_INT})期[^。,;]{{0,12}}?{_OPEN}三个一批)"
)
CAMPAIGN_RE = re.compile("三个一批")
DATE_RE = re.compile(
    r"(?:(?P<y>\d{4})年)?(?P<m>1[0-2]|0?[1-9]|十[一二]?|[一二三四五六七八九])月"
    r"(?P<d>3[01]|[12]\d|0?[1-9]|[一二三]?十[一二三四五六七八九]?|[一二三四五六七八九])[日号]"
)
YEAR_RE = re.compile(r"(?P<y>(?:19|20)\d{2})年")
PERCENT_RE = re.compile(rf"(?<![\d.])(?P<num>\d{{1,6}}(?:\.\d{{1,4}})?)%|百分之(?P<cn>[{_CN}点]{{1,12}})")
COUNT_RE = re.compile(rf"(?P<count>{_INT})个(?:重点|重大)?项目")
_TITLE = "|".join(TITLES)  # dict order is longest first where it matters
TITLED_RE = re.compile(rf"(?P<titles>(?:{_TITLE})(?:、(?:{_TITLE})){{0,5}})(?P<name>[\u4e00-\u9fff]{{2,4}})")
ROSTER_RE = re.compile(
    r"(?P<names>(?:[\u4e00-\u9fff]{2,3}、){1,40}[\u4e00-\u9fff]{2,3})(?:等)?(?:同志)?"
    r"(?:在[^。,;]{0,10}?)?(?P<verb>出席|参加|陪同|参观|观摩)"
)
STORY_RE = re.compile(r"本报讯|又讯|■|新华社|据《[^》]{1,12}》")
SENTENCE_END_RE = re.compile(r"[。!?！？]")
CLAUSE_END_RE = re.compile(r"[。!?！？,;:]")

SURNAMES = set(
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程"
    "苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝"
    "龚邵万钱严覃武戴莫孔向汤常温康施文牛樊葛邢安齐易乔伍庞颜倪庄聂章鲁岳翟殷詹申欧耿关兰焦俞"
    "左柳甘祝包宁尚符舒阮柯纪梅童凌毕单季裴霍涂成苗谷盛曲翁冉骆蓝路游辛靳管柴蒙鲍华喻祁蒲房滕"
    "屈饶解牟艾尤阳时穆农司卓古吉缪简车项连芦麦褚娄窦戚岑景党宫费卜冷晏席卫米柏宗瞿桂全佟应臧"
    "闵苟邬边卞姬师和仇栾隋商刁沙荣巫寇桑郎甄丛仲虞敖巩明佘池查麻苑迟邝官封谈匡鞠惠荆乐冀郁胥"
    "南班储原栗燕楚鄢劳谌奚皮粟冼蔺楼盘满闻位厉伊仝区郜海阚花权强帅屠豆朴盖练廉禹井祖漆巴丰支"
    "卿国狄平计索宣晋相初门云容敬来扈晁芮都普阙浦戈伏鹿薄邸雍辜羊阿乌母裘亓修邰赫杭况那宿鲜印"
    "逯隆茹诸战慕危玉银亢嵇公哈湛宾戎勾茅利於呼居揭干但尉冶斯元束檀衣信展阴昝智幸奉植衡富尧闭"
    "由虎"
)
# Words that begin right after a name, so '王凯作工作部署' reads as 王凯 + 作 and
# '王凯强调' as 王凯 + 强调, while '虎强' and '高志强' keep their last character.
_AFTER_NAME = (
    *"作在说等到对为向与和及也就又还将已率讲、,。;:(",
    "强调",
    "指出",
    "表示",
    "主持",
    "深入",
    "看望",
    "检查",
    "调研",
    "参加",
    "会见",
    "带队",
    "代表",
    "一行",
    "来到",
    "同志",
    "宣布",
    "致辞",
    "要求",
    "介绍",
    "收听",
    "召开",
    "听取",
    "现场",
    "实地",
    "先后",
    "出席",
    "讲话",
    "会同",
    "前往",
    "视察",
    "慰问",
    "批示",
    "作出",
    "提出",
    "陪同",
    "主任",
)


@dataclass(frozen=True, slots=True)
class Amount:
    number: float
    unit: str  # the unit written before 元: 亿, 万亿, 万...
    yi: float  # value in 亿元
    qualifier: Qualifier
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class Batch:
    kind: str  # signed | started | commissioned
    projects: int
    projects_span: tuple[int, int]
    amount: Amount | None
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class Total:
    projects: int
    projects_span: tuple[int, int]
    amount: Amount | None
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class Phase:
    number: int
    cumulative: bool  # '九期' counts phases held so far; '第九期' names one
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class Date:
    year: int | None
    month: int
    day: int
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class Year:
    year: int
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class Percent:
    value: float
    context: str  # the clause text just before it, for naming what it is a share of
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class Count:
    projects: int
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class Person:
    name: str
    title: str | None
    start: int  # of the name
    end: int


@dataclass(frozen=True, slots=True)
class PlaceMention:
    name: str
    start: int
    end: int


@dataclass(slots=True)
class Facts:
    """Everything the patterns found, each list in text order."""

    text: str
    batches: list[Batch] = field(default_factory=list)
    totals: list[Total] = field(default_factory=list)
    phases: list[Phase] = field(default_factory=list)
    campaign_mentions: list[int] = field(default_factory=list)
    dates: list[Date] = field(default_factory=list)
    years: list[Year] = field(default_factory=list)
    amounts: list[Amount] = field(default_factory=list)
    percents: list[Percent] = field(default_factory=list)
    counts: list[Count] = field(default_factory=list)
    people: list[Person] = field(default_factory=list)
    places: list[PlaceMention] = field(default_factory=list)
    story_starts: list[int] = field(default_factory=list)
    sentence_ends: list[int] = field(default_factory=list)


_KINDS = {
    "签约": "signed",
    "开工": "started",
    "投产": "commissioned",
    "结转投产": "commissioned",
    "竣工投产": "commissioned",
}


def find_facts(text: str) -> Facts:
    """Run every pattern over normalised text."""
    facts = Facts(text=text)
    facts.amounts = [a for m in AMOUNT_RE.finditer(text) if (a := _amount(m, ""))]
    facts.batches = [
        Batch(_KINDS[m["kind"]], parse_int(m["count"]), m.span("count"), _amount(m, "i"), *m.span())
        for m in BATCH_RE.finditer(text)
    ]
    facts.totals = [_total(m) for m in TOTAL_RE.finditer(text)]
    facts.phases = [Phase(parse_int(m["n"] or m["cum"]), m["n"] is None, *m.span()) for m in PHASE_RE.finditer(text)]
    facts.campaign_mentions = [m.start() for m in CAMPAIGN_RE.finditer(text)]
    facts.dates = [d for m in DATE_RE.finditer(text) if (d := _date(m))]
    facts.years = [Year(int(m["y"]), *m.span()) for m in YEAR_RE.finditer(text)]
    facts.percents = [_percent(m, text) for m in PERCENT_RE.finditer(text)]
    facts.counts = [Count(parse_int(m["count"]), *m.span()) for m in COUNT_RE.finditer(text)]
    facts.people = _people(text)
    facts.places = [PlaceMention(m.group(), *m.span()) for m in place_pattern().finditer(text)]
    facts.story_starts = [m.start() for m in STORY_RE.finditer(text)]
    facts.sentence_ends = [m.start() for m in SENTENCE_END_RE.finditer(text)]
    return facts


def _amount(m: re.Match[str], s: str) -> Amount | None:
    if m[f"num{s}"] is None:
        return None
    unit = m[f"unit{s}"]
    number = parse_number(m[f"num{s}"])
    qualifier = qualifier_of(m[f"q1{s}"], m[f"q2{s}"], m[f"q3{s}"])
    start = m.start(f"q1{s}") if m[f"q1{s}"] else m.start(f"num{s}")
    return Amount(number, unit, to_yi(number, unit), qualifier, start, m.end(f"unit{s}") + 1 + len(m[f"q3{s}"] or ""))


def _total(m: re.Match[str]) -> Total:
    group = next(g for g in ("count", "count2", "count3") if m[g] is not None)
    return Total(parse_int(m[group]), m.span(group), _amount(m, "i"), *m.span())


def _date(m: re.Match[str]) -> Date | None:
    month, day = parse_int(m["m"]), parse_int(m["d"])
    if not (1 <= month <= 12 and 1 <= day <= 31):
        return None
    return Date(int(m["y"]) if m["y"] else None, month, day, *m.span())


def _percent(m: re.Match[str], text: str) -> Percent:
    if m["num"] is not None:
        value = float(m["num"])
    else:
        whole, _, frac = m["cn"].partition("点")
        value = parse_number(whole) + (float("0." + "".join(str(parse_int(c)) for c in frac)) if frac else 0.0)
    lead = max(0, m.start() - 16)
    context = re.split(r"[。,;:、]", text[lead : m.start()])[-1]
    return Percent(value, context, *m.span())


def _people(text: str) -> list[Person]:
    """Officials: a title then a name, and rosters of names that attended."""
    found: list[Person] = []
    roster_names: set[str] = set()
    for m in ROSTER_RE.finditer(text):
        if "记者" in text[max(0, m.start() - 8) : m.start()]:
            continue
        at = m.start()
        for raw in m["names"].split("、"):
            name = _clean_roster_name(raw.removesuffix("等"))
            if name:
                offset = at + len(raw) - len(name)
                found.append(Person(name, None, offset, offset + len(name)))
                roster_names.add(name)
            at += len(raw) + 1
    for m in TITLED_RE.finditer(text):
        name = _trim_name(m["name"], roster_names)
        if name and name[0] in SURNAMES:
            found.append(Person(name, m["titles"], m.start("name"), m.start("name") + len(name)))
    return sorted(found, key=lambda p: p.start)


def _clean_roster_name(raw: str) -> str | None:
    """Drop a lead-in glued to the first name ('市领导田海涛'): keep the surname onwards."""
    for cut in range(len(raw) - 1):
        name = raw[cut:]
        if len(name) <= 3 and name[0] in SURNAMES:
            return name
    return None


def _trim_name(candidate: str, known: set[str]) -> str | None:
    """A title is followed by a name of two or three characters, then the next word."""
    for size in (3, 2):
        if candidate[:size] in known:
            return candidate[:size]
    if len(candidate) >= 3 and not candidate[2:].startswith(_AFTER_NAME):
        return candidate[:3]
    return candidate[:2]
