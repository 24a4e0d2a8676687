"""Fixtures for dossier tests: the demo province with its catalog, and helpers to walk a dossier."""

import datetime as dt

from motcua.workcalendar.engine import VN_TZ

# A Tuesday morning in an ordinary working week (no holiday near it).
MONDAY = dt.datetime(2026, 3, 2, 8, 0, tzinfo=VN_TZ)
CITIZEN = {"name": "Nguyễn Văn An", "id_number": "001085012345", "phone": "0912345678", "address": "Thôn 1"}


def vn(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=VN_TZ)
