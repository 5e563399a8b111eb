"""Fixed English renderings: official titles, campaign names, and the labels of figures.

Pure data with small lookups. A glossary rather than a translator: an analyst must see the same
title in English every time, and the offline engine has no model to ask.
"""

from __future__ import annotations

# Longest first matters: the title pattern is built from these keys in this order.
TITLES: dict[str, str] = {
    "省人大常委会主任": "Chair of the Henan Provincial People's Congress Standing Committee",
    "省政协主席": "Chair of the Henan Provincial CPPCC",
    "省委副书记": "Deputy Secretary of the Henan Provincial Party Committee",
    "省委书记": "Secretary of the Henan Provincial Party Committee",
    "省委常委": "Member of the Standing Committee of the Henan Provincial Party Committee",
    "常务副省长": "Executive Vice Governor of Henan",
    "副省长": "Vice Governor of Henan",
    "代省长": "Acting Governor of Henan",
    "省长": "Governor of Henan",
    "市人大常委会主任": "Chair of the Municipal People's Congress Standing Committee",
    "市政协主席": "Chair of the Municipal CPPCC",
    "市委副书记": "Deputy Secretary of the Municipal Party Committee",
    "市委书记": "Secretary of the Municipal Party Committee",
    "市委常委": "Member of the Standing Committee of the Municipal Party Committee",
    "常务副市长": "Executive Vice Mayor",
    "副市长": "Vice Mayor",
    "代市长": "Acting Mayor",
    "市长": "Mayor",
    "县委书记": "Secretary of the County Party Committee",
    "县长": "County Head",
    "区委书记": "Secretary of the District Party Committee",
    "区长": "District Head",
    "董事长": "Chairman (company)",
    "总经理": "General Manager (company)",
    "市领导": "municipal leader",
    "省领导": "provincial leader",
}

CAMPAIGNS: dict[str, str] = {
    "三个一批": "Three Batches",
    "万人助万企": "Ten Thousand Officials Helping Ten Thousand Enterprises",
}

BATCHES: dict[str, str] = {
    "signed": "Signed",
    "started": "Started",
    "commissioned": "Commissioned",
}

# What a percentage is a share of, by the words just before it.
PERCENT_LABELS: tuple[tuple[str, str], ...] = (
    ("数量占比", "share of project count"),
    ("投资占比", "share of investment"),
    ("占年度计划投资", "share of the annual investment plan"),
    ("占比", "share"),
    ("增长", "growth"),
    ("下降", "decline"),
    ("提高", "increase"),
    ("达到", "level reached"),
)


def title_english(title: str) -> str:
    """English of one title or of a '、'-joined chain of them."""
    parts = [TITLES.get(part, part) for part in title.split("、") if part]
    return "; ".join(parts)


def campaign_english(name: str) -> str:
    return CAMPAIGNS.get(name, name)


def percent_label(context: str) -> str:
    """Name what a percentage measures from the text just before it."""
    best, label = (-1, 0), "percentage"
    for words, name in PERCENT_LABELS:
        at = context.rfind(words)
        key = (at + len(words), len(words))  # the words ending nearest the number name it
        if at >= 0 and key > best:
            best, label = key, name
    return label
