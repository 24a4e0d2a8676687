"""Small helpers shared by the working-calendar tests."""

from __future__ import annotations

import datetime as dt
import re

from motcua.workcalendar.engine import VN_TZ

# Letters that only occur in Vietnamese text (precomposed, lower and upper case).
_VI_LETTERS = "àáạảãâầấậẩẫăằắặẳẵèéẹẻẽêềếệểễìíịỉĩòóọỏõôồốộổỗơờớợởỡùúụủũưừứựửữỳýỵỷỹđ"
VIETNAMESE_CHAR = re.compile(f"[{_VI_LETTERS}{_VI_LETTERS.upper()}]")

MORNING = (dt.time(7, 0), dt.time(11, 30))
AFTERNOON = (dt.time(13, 30), dt.time(17, 0))


def is_vietnamese(text: str) -> bool:
    """True if ``text`` contains at least one Vietnamese diacritic letter."""
    return bool(VIETNAMESE_CHAR.search(text or ""))


def vn(y: int, m: int, d: int, hh: int = 0, mm: int = 0, ss: int = 0) -> dt.datetime:
    """An aware datetime in Vietnam time."""
    return dt.datetime(y, m, d, hh, mm, ss, tzinfo=VN_TZ)


def in_default_office_hours(instant: dt.datetime) -> bool:
    """Inside [07:00, 11:30] or [13:30, 17:00] (endpoints allowed), in Vietnam time."""
    t = instant.astimezone(VN_TZ).timetz().replace(tzinfo=None)
    return MORNING[0] <= t <= MORNING[1] or AFTERNOON[0] <= t <= AFTERNOON[1]
