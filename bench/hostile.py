"""Time the offline engine on hostile text: inputs built to make regular expressions backtrack.

    python bench/hostile.py [--scale 1.0]

Each case grows to a few hundred thousand characters; with linear-time patterns every case
takes well under two seconds (a quadratic pattern took 21 s on the 60,000-character roster).
"""

from __future__ import annotations

import argparse
import time

from summarise import summarise_text


def cases(scale: float) -> dict[str, str]:
    n = max(1, int(scale * 1000))
    return {
        "roster without a verb": "三个一批" + "张三、" * (20 * n),
        "a run of digits": "三个一批签约项目" + "1" * (200 * n) + "个",
        "a run of Chinese numerals": "三个一批第" + "三" * (200 * n) + "期",
        "a chain of titles": "三个一批" + "省委书记、" * (30 * n) + "王凯",
        "a page with no full stop": "全省第三期“三个一批”举行。"
        + "签约项目1个，总投资1亿元；开工项目2个，总投资2亿元；" * (3 * n),
        "thousands of stories": (
            "1月4日，全省第三期“三个一批”举行。据统计，全省集中签约项目460个，总投资3514亿元。又讯 "
        )
        * (2 * n),
        "layout whitespace": "三个一批" + " \n" * (200 * n) + "签约项目1个",
        "percentages": "三个一批" + "1.1%" * (50 * n),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0)
    args = parser.parse_args()
    for name, text in cases(args.scale).items():
        start = time.perf_counter()
        article = summarise_text(text)
        print(f"{name:<28} {len(text):>8,} chars {time.perf_counter() - start:6.2f} s  {len(article.events):>6} events")


if __name__ == "__main__":
    main()
