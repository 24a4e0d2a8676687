"""OCR quality measures shared by the tests and the benchmark: character error rate, field accuracy."""

from __future__ import annotations

import re
import unicodedata

# Typographic variants an OCR engine cannot be blamed for.
_EQUIVALENT = str.maketrans({"–": "-", "—": "-", "‐": "-", "“": '"', "”": '"', "‘": "'", "’": "'", "\f": " "})


def normalize(text: str) -> str:
    """NFC, typographic dashes/quotes folded, all whitespace runs (line and page breaks included) → one space."""
    text = unicodedata.normalize("NFC", text or "").translate(_EQUIVALENT)
    return re.sub(r"\s+", " ", text).strip()


def levenshtein(a: str, b: str) -> int:
    """Edit distance (insertions, deletions, substitutions), bit-parallel (Myers 1999, Hyyrö 2001) on
    Python integers: a few milliseconds for a page against a page."""
    if not a:
        return len(b)
    if not b:
        return len(a)
    peq: dict[str, int] = {}
    for i, c in enumerate(a):
        peq[c] = peq.get(c, 0) | (1 << i)
    m = len(a)
    mask = (1 << m) - 1
    last = 1 << (m - 1)
    pv, mv, score = mask, 0, m
    for c in b:
        eq = peq.get(c, 0)
        xv = eq | mv
        xh = (((eq & pv) + pv) ^ pv) | eq
        ph = (mv | ~(xh | pv)) & mask
        mh = pv & xh
        if ph & last:
            score += 1
        elif mh & last:
            score -= 1
        ph = ((ph << 1) | 1) & mask
        mh = (mh << 1) & mask
        pv = (mh | ~(xv | ph)) & mask
        mv = ph & xv
    return score


def cer(expected: str, got: str) -> float:
    """Character error rate of ``got`` against ``expected``, on normalized whitespace."""
    reference = normalize(expected)
    return levenshtein(reference, normalize(got)) / max(1, len(reference))


def edits(expected: str, got: str) -> tuple[int, int]:
    """(edit distance, reference length), to sum over pages for a micro-averaged CER."""
    reference = normalize(expected)
    return levenshtein(reference, normalize(got)), len(reference)


def same_value(expected: str, got: str) -> bool:
    """Exact field match, up to Unicode normalization and spacing."""
    return normalize(expected) == normalize(got)
