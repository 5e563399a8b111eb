"""Throughput and memory of the offline engine on one core, process start excluded.

    python bench/throughput.py [--articles DIR] [--rounds N]

Runs the five sample articles (or any folder) through the offline engine N times in this one
process and prints articles/s, MB/s and characters/s for the fact finder alone and for the
whole engine (normalise, facts, records, verification), then the resident memory before and
after, to show it does not grow with the number of articles processed.
"""

from __future__ import annotations

import argparse
import gc
import os
import resource
import time
from pathlib import Path

from summarise.facts import find_facts
from summarise.normalise import normalise
from summarise.pipeline import summarise_text

DEFAULT = Path(__file__).resolve().parents[2] / "shared" / "samples" / "articles"


def _rss_mb() -> float:
    with open(f"/proc/{os.getpid()}/statm") as f:
        return int(f.read().split()[1]) * resource.getpagesize() / 1e6


def _measure(label: str, texts: list[str], rounds: int, work) -> None:  # type: ignore[no-untyped-def]
    chars = sum(len(t) for t in texts) * rounds
    size = sum(len(t.encode("utf-8")) for t in texts) * rounds
    start = time.process_time()
    for _ in range(rounds):
        for text in texts:
            work(text)
    spent = time.process_time() - start
    n = len(texts) * rounds
    print(
        f"{label:<34} {n:>6} articles  {n / spent:>8.1f} articles/s  {size / spent / 1e6:>6.2f} MB/s"
        f"  {chars / spent / 1e6:>6.2f} M chars/s  (CPU {spent:.2f} s)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=Path, default=DEFAULT)
    parser.add_argument("--rounds", type=int, default=200)
    args = parser.parse_args()
    os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})  # one core
    texts = [p.read_text(encoding="utf-8") for p in sorted(args.articles.glob("*.txt"))]
    print(f"{len(texts)} articles, {sum(map(len, texts)):,} characters, one core, CPU time")
    summarise_text(texts[0])  # warm the caches (OpenCC, place pattern) outside the timing
    _measure("normalise + find_facts", texts, args.rounds, lambda t: find_facts(normalise(t).text))
    _measure("whole offline engine (records)", texts, args.rounds, summarise_text)
    gc.collect()
    before = _rss_mb()
    _measure("memory run", texts, args.rounds * 5, summarise_text)
    gc.collect()
    after = _rss_mb()
    print(f"resident memory: {before:.1f} MB before, {after:.1f} MB after {len(texts) * args.rounds * 5} more articles")


if __name__ == "__main__":
    main()
