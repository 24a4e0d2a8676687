"""Vietnamese text helpers: accent folding for diacritics-insensitive search."""

import re
import unicodedata

_NON_WORD = re.compile(r"[^0-9a-z.]+")
_DOTS = re.compile(r"(?<![0-9])\.|\.(?![0-9])")  # keep dots only inside codes like 1.001193


def fold(text: str) -> str:
    """Lower-case, strip diacritics (đ → d), collapse punctuation: 'Đăng ký' → 'dang ky'."""
    text = text.replace("đ", "d").replace("Đ", "D")
    decomposed = unicodedata.normalize("NFD", text)
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c)).lower()
    stripped = _DOTS.sub(" ", stripped)
    return _NON_WORD.sub(" ", stripped).strip()


def tokens(text: str) -> list[str]:
    """Distinct folded words of ``text`` in order of appearance."""
    seen: dict[str, None] = {}
    for word in fold(text).split():
        seen.setdefault(word, None)
    return list(seen)
