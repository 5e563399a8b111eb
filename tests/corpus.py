"""Generate many distinct campaign articles from a template, for batch tests and benchmarks.

Each article is a province report in the style of the fixtures (broken lines, spaces, both
punctuation widths), with its phase, date and figures drawn from a seeded generator, so the
texts differ (distinct hashes) and the expected figures are known.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass

CITIES = ["郑州", "洛阳", "新乡", "南阳", "许昌", "安阳", "商丘", "周口", "信阳", "开封"]
_CN = "一二三四五六七八九十"


def _phase_cn(n: int) -> str:
    if n <= 10:
        return _CN[n - 1]
    return "十" + _CN[n - 11] if n < 20 else str(n)


@dataclass(frozen=True)
class Generated:
    name: str
    text: str
    phase: int
    city: str
    signed: int
    signed_yi: float


def generate(count: int, seed: int = 7) -> Iterator[Generated]:
    rng = random.Random(seed)
    for i in range(count):
        phase = rng.randint(1, 19)
        city = rng.choice(CITIES)
        signed, started, done = rng.randint(20, 900), rng.randint(20, 900), rng.randint(20, 900)
        yi = [round(rng.uniform(50, 6000), 1) for _ in range(3)]
        month, day = rng.choice([1, 4, 7, 10]), rng.randint(2, 28)
        comma = "，" if i % 2 else ","
        text = (
            f" 本报讯 {month}月 {day}日，全省第{_phase_cn(phase)}期“三个\n一批”项目建设活动举行。"
            f"{city}分会场同步举行。\n据统计，{city}市集中签约项目 {signed}个{comma}总投资\n{yi[0]}亿元；"
            f"开工项目 {started}个{comma}总投资 {yi[1]}亿元；"
            f"投产项目 {done}\n个{comma}总投资 {yi[2]}亿元。（第{i}号稿件）\n"
        )
        yield Generated(f"article_{i:06d}.txt", text, phase, city + "市", signed, yi[0])
