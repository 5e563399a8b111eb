"""Places of Henan: prefecture-level cities, their counties, and English names.

Input: Chinese place names as written (full or short, '郑州' or '郑州市'). Output: `Place`
records with the canonical simplified name, English name and parent city. Pure data.
Scope of a campaign round is a prefecture-level city (or the province); a county mentioned in a
city story belongs to its city, which is how '我市' is resolved in a feature about Xuchang that
names Changge and Yuzhou more often than Xuchang.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

PROVINCE = "河南省"
PROVINCE_EN = "Henan Province"


@dataclass(frozen=True, slots=True)
class Place:
    name: str  # canonical simplified name, e.g. 郑州市
    english: str  # e.g. Zhengzhou
    city: str  # the prefecture-level city it belongs to (itself for a city)
    is_city: bool


# Prefecture-level city -> (English, "county:English ..." of its county-level units)
_HENAN: dict[str, tuple[str, str]] = {
    "郑州市": (
        "Zhengzhou",
        "巩义市:Gongyi 荥阳市:Xingyang 新密市:Xinmi 新郑市:Xinzheng 登封市:Dengfeng 中牟县:Zhongmu 航空港区:Zhengzhou Airport Economy Zone 郑东新区:Zhengdong New District 金水区:Jinshui 二七区:Erqi 中原区:Zhongyuan 管城回族区:Guancheng 惠济区:Huiji 上街区:Shangjie",
    ),
    "开封市": ("Kaifeng", "杞县:Qi County 通许县:Tongxu 尉氏县:Weishi 兰考县:Lankao 祥符区:Xiangfu"),
    "洛阳市": (
        "Luoyang",
        "偃师区:Yanshi 孟津区:Mengjin 新安县:Xin'an 栾川县:Luanchuan 嵩县:Song County 汝阳县:Ruyang 宜阳县:Yiyang 洛宁县:Luoning 伊川县:Yichuan",
    ),
    "平顶山市": (
        "Pingdingshan",
        "舞钢市:Wugang 汝州市:Ruzhou 宝丰县:Baofeng 叶县:Ye County 鲁山县:Lushan 郏县:Jia County",
    ),
    "安阳市": ("Anyang", "林州市:Linzhou 安阳县:Anyang County 汤阴县:Tangyin 滑县:Hua County 内黄县:Neihuang"),
    "鹤壁市": ("Hebi", "浚县:Xun County 淇县:Qi County (Hebi)"),
    "新乡市": (
        "Xinxiang",
        "卫辉市:Weihui 辉县市:Huixian 长垣市:Changyuan 新乡县:Xinxiang County 获嘉县:Huojia 原阳县:Yuanyang 延津县:Yanjin 封丘县:Fengqiu",
    ),
    "焦作市": ("Jiaozuo", "沁阳市:Qinyang 孟州市:Mengzhou 修武县:Xiuwu 博爱县:Bo'ai 武陟县:Wuzhi 温县:Wen County"),
    "濮阳市": ("Puyang", "清丰县:Qingfeng 南乐县:Nanle 范县:Fan County 台前县:Taiqian 濮阳县:Puyang County"),
    "许昌市": ("Xuchang", "禹州市:Yuzhou 长葛市:Changge 鄢陵县:Yanling 襄城县:Xiangcheng 魏都区:Weidu 建安区:Jian'an"),
    "漯河市": ("Luohe", "舞阳县:Wuyang 临颍县:Linying 郾城区:Yancheng 源汇区:Yuanhui 召陵区:Shaoling"),
    "三门峡市": ("Sanmenxia", "义马市:Yima 灵宝市:Lingbao 渑池县:Mianchi 卢氏县:Lushi 陕州区:Shanzhou"),
    "南阳市": (
        "Nanyang",
        "邓州市:Dengzhou 南召县:Nanzhao 方城县:Fangcheng 西峡县:Xixia 镇平县:Zhenping 内乡县:Neixiang 淅川县:Xichuan 社旗县:Sheqi 唐河县:Tanghe 新野县:Xinye 桐柏县:Tongbai",
    ),
    "商丘市": (
        "Shangqiu",
        "永城市:Yongcheng 民权县:Minquan 睢县:Sui County 宁陵县:Ningling 柘城县:Zhecheng 虞城县:Yucheng 夏邑县:Xiayi",
    ),
    "信阳市": (
        "Xinyang",
        "罗山县:Luoshan 光山县:Guangshan 新县:Xin County 商城县:Shangcheng 固始县:Gushi 潢川县:Huangchuan 淮滨县:Huaibin 息县:Xi County",
    ),
    "周口市": (
        "Zhoukou",
        "项城市:Xiangcheng (Zhoukou) 扶沟县:Fugou 西华县:Xihua 商水县:Shangshui 沈丘县:Shenqiu 郸城县:Dancheng 太康县:Taikang 鹿邑县:Luyi 淮阳区:Huaiyang",
    ),
    "驻马店市": (
        "Zhumadian",
        "西平县:Xiping 上蔡县:Shangcai 平舆县:Pingyu 正阳县:Zhengyang 确山县:Queshan 泌阳县:Biyang 汝南县:Runan 遂平县:Suiping 新蔡县:Xincai",
    ),
    "济源市": ("Jiyuan", ""),
}

# How a city may be written: '济源示范区' is Jiyuan; short forms drop the 市.
_CITY_ALIASES = {"济源示范区": "济源市", "济源产城融合示范区": "济源市"}


@cache
def places() -> dict[str, Place]:
    """Every spelling we recognise -> its place."""
    table: dict[str, Place] = {}
    for city, (english, counties) in _HENAN.items():
        place = Place(city, english, city, True)
        table[city] = place
        table[city.removesuffix("市")] = place
        for entry in re.findall(r"(\S+?):(.+?)(?= \S+?:|$)", counties):
            name, county_en = entry
            county = Place(name, county_en, city, False)
            table[name] = county
            # County-level cities are written short ('长葛'); county short forms ('博爱',
            # '民权') are ordinary words, so only the full name counts for them.
            if name.endswith("市"):
                table.setdefault(name[:-1], county)
    for alias, city in _CITY_ALIASES.items():
        table[alias] = table[city]
    return table


@cache
def place_pattern() -> re.Pattern[str]:
    """One alternation of every spelling, longest first so '郑州市' wins over '郑州'."""
    names = sorted(places(), key=len, reverse=True)
    return re.compile("|".join(re.escape(n) for n in names))


def find_place(name: str) -> Place | None:
    return places().get(name)


def english_place(name: str) -> str:
    """English name of a scope: a city, a county or the province."""
    if name == PROVINCE:
        return PROVINCE_EN
    place = find_place(name)
    return place.english if place else name
