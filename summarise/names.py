"""Chinese personal names in pinyin, surname first, with the surname read as a surname.

Input: a name in simplified characters. Output: 'Lou Yangsheng'. Pure.
pypinyin reads characters by their commonest sound, which is wrong for many surnames
(单 is Shan, not Dan; 翟 is Zhai, not Di), so surnames are read from a table first.
"""

from __future__ import annotations

from functools import cache

from pypinyin import Style, lazy_pinyin

_COMPOUND_SURNAMES = {
    "欧阳": "Ouyang",
    "司马": "Sima",
    "诸葛": "Zhuge",
    "上官": "Shangguan",
    "东方": "Dongfang",
    "皇甫": "Huangfu",
    "令狐": "Linghu",
    "慕容": "Murong",
    "尉迟": "Yuchi",
    "长孙": "Zhangsun",
    "万俟": "Moqi",
    "单于": "Chanyu",
    "公孙": "Gongsun",
    "夏侯": "Xiahou",
    "司徒": "Situ",
    "端木": "Duanmu",
    "宇文": "Yuwen",
    "轩辕": "Xuanyuan",
    "澹台": "Tantai",
    "申屠": "Shentu",
}
# Surnames whose reading differs from the character's commonest reading.
_SURNAME_READINGS = {
    "单": "Shan",
    "翟": "Zhai",
    "解": "Xie",
    "曾": "Zeng",
    "仇": "Qiu",
    "区": "Ou",
    "朴": "Piao",
    "查": "Zha",
    "盖": "Ge",
    "缪": "Miao",
    "乐": "Yue",
    "覃": "Qin",
    "秘": "Bi",
    "召": "Shao",
    "员": "Yun",
    "黑": "He",
    "折": "She",
    "种": "Chong",
    "重": "Chong",
    "句": "Gou",
    "祭": "Zhai",
    "能": "Nai",
    "尉": "Wei",
    "繁": "Po",
    "隗": "Wei",
    "藏": "Zang",
    "薄": "Bo",
    "柏": "Bai",
    "牟": "Mou",
    "宓": "Mi",
    "洗": "Xian",
    "冼": "Xian",
    "任": "Ren",
    "沈": "Shen",
    "贾": "Jia",
    "华": "Hua",
    "费": "Fei",
    "纪": "Ji",
    "燕": "Yan",
    "葛": "Ge",
    "长": "Chang",
    "令": "Ling",
    "卜": "Bu",
    "都": "Du",
    "便": "Pian",
    "阚": "Kan",
    "郇": "Xun",
    "逄": "Pang",
    "虎": "Hu",
}


@cache
def to_pinyin(name: str) -> str:
    """'楼阳生' -> 'Lou Yangsheng'; '欧阳晓峰' -> 'Ouyang Xiaofeng'."""
    if len(name) >= 3 and name[:2] in _COMPOUND_SURNAMES:
        surname, given = _COMPOUND_SURNAMES[name[:2]], name[2:]
    else:
        first = name[:1]
        surname = _SURNAME_READINGS.get(first) or _syllables(first).capitalize()
        given = name[1:]
    given_pinyin = _syllables(given)
    return f"{surname} {given_pinyin.capitalize()}" if given_pinyin else surname


def _syllables(text: str) -> str:
    return "".join(lazy_pinyin(text, style=Style.NORMAL, v_to_u=True))
