"""Normalise PDF-extracted Chinese text for matching, keeping a map back to the original.

Input: the decoded original text. Output: a `NormalisedText` whose `text` is what the regular
expressions see and whose `to_original()` turns any span of it into a span of the original.
Pure: no I/O.

Invariant: normalisation only substitutes one character for one character (width folding,
traditional to simplified) or deletes characters (layout whitespace, zero-width marks). It never
inserts. So every normalised index has exactly one original index, the map is monotonic, and a
span of normalised text always maps to a span of the original that covers the same characters
plus any deleted whitespace between them.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass
from functools import cache

import opencc

# Full-width ASCII variants (！ to ～) fold to ASCII; the ideographic space becomes a space
# so that the gap rule below removes it like any other layout space.
_WIDTH_TABLE = {cp: cp - 0xFEE0 for cp in range(0xFF01, 0xFF5F)} | {0x3000: 0x20}

# A gap is a run of whitespace or invisible marks. It is layout damage, and removed, when a
# character on either side is not ASCII (Chinese text has no spaces between words) or when it
# splits a number at its decimal point. Between two ASCII words it is a real space and stays.
_INVISIBLE = "\u200b\u200c\u200d\u2060\ufeff\u00ad"
_GAP = re.compile(
    rf"(?<=[^\x00-\x7f])[\s{_INVISIBLE}]+"
    rf"|[\s{_INVISIBLE}]+(?=[^\x00-\x7f])"
    rf"|(?<=[0-9.])[\s{_INVISIBLE}]+(?=\.)"
    rf"|(?<=\.)[\s{_INVISIBLE}]+(?=[0-9])"
    rf"|[{_INVISIBLE}]+"
)


@cache
def _t2s() -> opencc.OpenCC:
    return opencc.OpenCC("t2s")


def _to_simplified(text: str) -> str:
    """Convert traditional characters, refusing any conversion that changes the length.

    OpenCC converts phrase by phrase; a phrase whose simplified form has another length would
    break the one-to-one invariant, so such lines are converted character by character instead.
    """
    converter = _t2s()
    converted: str = converter.convert(text)
    if len(converted) == len(text):
        return converted
    lines = text.split("\n")
    out = []
    for line in lines:
        done: str = converter.convert(line)
        if len(done) != len(line):
            done = "".join(c if len(c := converter.convert(ch)) == 1 else ch for ch in line)
        out.append(done)
    return "\n".join(out)


@dataclass(frozen=True, slots=True)
class NormalisedText:
    """The text the patterns see, and the way back to the text the reader has."""

    original: str
    text: str
    # Each segment of `text` starting at seg_norm[k] was copied from the original starting at
    # seg_orig[k]; deletions start a new segment.
    seg_norm: tuple[int, ...]
    seg_orig: tuple[int, ...]

    def position(self, index: int) -> int:
        """Original index of the normalised character at `index`."""
        k = bisect_right(self.seg_norm, index) - 1
        return self.seg_orig[k] + (index - self.seg_norm[k])

    def to_original(self, start: int, end: int) -> tuple[int, int]:
        """Original `[start, end)` covering the normalised span `[start, end)`."""
        if end <= start:
            at = self.position(start) if start < len(self.text) else len(self.original)
            return at, at
        return self.position(start), self.position(end - 1) + 1

    def quote(self, start: int, end: int) -> str:
        """The original text behind a normalised span, exactly as the reader sees it."""
        a, b = self.to_original(start, end)
        return self.original[a:b]


def normalise(original: str) -> NormalisedText:
    """Fold widths, simplify characters and drop layout whitespace, keeping the offset map."""
    folded = _fold(original)
    seg_norm = [0]
    seg_orig = [0]
    pieces = []
    kept_from = 0
    removed = 0
    for gap in _GAP.finditer(folded):
        a, b = gap.span()
        pieces.append(folded[kept_from:a])
        removed += b - a
        kept_from = b
        seg_norm.append(b - removed)
        seg_orig.append(b)
    pieces.append(folded[kept_from:])
    return NormalisedText(original, "".join(pieces), tuple(seg_norm), tuple(seg_orig))


def normalised_text(original: str) -> str:
    """`normalise(original).text` without the offset map, for short strings checked in bulk."""
    return _GAP.sub("", _fold(original))


def _fold(original: str) -> str:
    """Widths and character forms folded: one character for one, so offsets do not move."""
    return _to_simplified(original.translate(_WIDTH_TABLE))
