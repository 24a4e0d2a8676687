"""Fixtures for dossier tests: the demo province with its catalog, and helpers to walk a dossier."""

import datetime as dt

import pytest
from django.contrib.auth import get_user_model

from motcua.catalog.interchange import parse_json
from motcua.catalog.services import publish_all
from motcua.common.management.commands.load_demo import FIXTURE
from motcua.org.demo import load_org
from motcua.workcalendar.engine import VN_TZ

# A Tuesday morning in an ordinary working week (no holiday near it).
MONDAY = dt.datetime(2026, 3, 2, 8, 0, tzinfo=VN_TZ)
CITIZEN = {"name": "Nguyễn Văn An", "id_number": "001085012345", "phone": "0912345678", "address": "Thôn 1"}


def vn(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=VN_TZ)


@pytest.fixture
def province(db):
    """Demo organization + catalog (procedures in force from their effective dates)."""
    load_org()
    publish_all(parse_json(FIXTURE.read_bytes()))


@pytest.fixture
def users(province):
    User = get_user_model()
    return {u.username: u for u in User.objects.all()}
