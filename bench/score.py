"""Score the offline engine's records against gold annotations.

    python bench/score.py ../shared/samples/articles ../shared/samples/gold

Prints field-level precision, recall and F1 for rounds, cumulative totals and people, then
every disagreement. Exit status 0 whatever the score: this measures, it does not judge.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from summarise.pipeline import summarise_file
from summarise.scoring import Report, Score, score_article


def score_folder(articles: Path, gold: Path) -> Report:
    report = Report()
    for gold_file in sorted(gold.glob("*.json")):
        annotation = json.loads(gold_file.read_text(encoding="utf-8"))
        article = summarise_file(articles / annotation["file"])
        score_article(article, annotation, report)
    return report


def _line(name: str, s: Score) -> str:
    return f"{name:<12} P={s.precision:.3f} R={s.recall:.3f} F1={s.f1:.3f}  (tp={s.tp} fp={s.fp} fn={s.fn})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("articles", type=Path)
    parser.add_argument("gold", type=Path)
    args = parser.parse_args()
    report = score_folder(args.articles, args.gold)
    print(f"articles: {report.articles}")
    for name in ("rounds", "cumulative", "people"):
        print(_line(name, getattr(report, name)))
    for name in ("rounds", "cumulative", "people"):
        for error in getattr(report, name).errors:
            print(f"  {error}")


if __name__ == "__main__":
    main()
