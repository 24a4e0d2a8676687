"""Masking personal identifiers where the full value is not needed (Law 91/2025, Decree 356/2025:
data minimisation): lists, logs, exports that only need to tell records apart.

One rule for each kind of value, used by the template filters (``{% load privacy %}``), the log
filter (``motcua.privacy.logfilter``) and any code that shows an identifier in passing:

- personal ID (12-digit CCCD/personal ID, 9-digit old ID, passport, tax code): the first 3 characters
  (province-of-birth code) and the last 3 stay, the rest becomes ``*`` — ``001******345``;
- phone: the first 3 and last 3 digits stay — ``091****678`` (a ``+84`` prefix is kept as is);
- email: the first character of the local part and the whole domain — ``n***@gmail.com``.

Values too short to hide anything (≤ 6 characters) are fully starred; empty values stay empty.
"""

from __future__ import annotations

import re

STAR = "*"


def _middle(text: str, keep_start: int, keep_end: int) -> str:
    if len(text) <= keep_start + keep_end:
        return STAR * len(text)
    return text[:keep_start] + STAR * (len(text) - keep_start - keep_end) + text[len(text) - keep_end :]


def mask_id(value) -> str:
    """``001099012345`` → ``001******345``."""
    text = str(value or "").strip()
    return _middle(text, 3, 3) if text else ""


def mask_phone(value) -> str:
    """``0912345678`` → ``091****678``; ``+84 912 345 678`` → ``+84912***678``."""
    text = re.sub(r"[\s.\-()]", "", str(value or ""))
    if not text:
        return ""
    prefix = ""
    if text.startswith("+"):
        prefix, text = text[:3], text[3:]
    return prefix + _middle(text, 3, 3)


def mask_email(value) -> str:
    """``nguyenvan@gmail.com`` → ``n********@gmail.com``."""
    text = str(value or "").strip()
    if not text:
        return ""
    local, at, domain = text.partition("@")
    if not at:
        return _middle(text, 1, 0)
    return (local[:1] + STAR * max(len(local) - 1, 3)) + "@" + domain


# In free text (log lines): a 12-digit personal ID or a 9-digit old ID standing alone, and a
# Vietnamese phone number (0 or +84/84, then 9 digits, optionally grouped by spaces, dots or dashes).
_PHONE = re.compile(r"(?<![\w.])(?:\+84|84|0)(?:[\s.\-]?\d){9}(?![\w])")
_ID = re.compile(r"(?<!\d)(?:\d{12}|\d{9})(?!\d)")


def mask_text(text: str) -> str:
    """Every personal ID and phone number in ``text`` masked (the rest unchanged)."""
    if not text:
        return text
    text = _PHONE.sub(lambda m: mask_phone(m.group(0)), text)
    return _ID.sub(lambda m: mask_id(m.group(0)), text)
