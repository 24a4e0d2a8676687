"""Audit tests: anchors in a temporary folder; tampering as a DBA would (triggers disabled)."""

import pytest
from django.db import connection

from motcua.audit import guards


@pytest.fixture(autouse=True)
def _anchors(settings, tmp_path):
    settings.AUDIT_ANCHOR_PATH = str(tmp_path / "audit-anchors.log")
    settings.AUDIT_HMAC_KEY = "test-audit-key"
    # Not under test here; with PostgreSQL, axes' own access log refuses force_login's address "unknown".
    settings.AXES_ENABLED = False


def as_dba(sql: str, params=None) -> None:
    """Run ``sql`` with the guard triggers out of the way, as someone with database rights would."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # no pending FK checks: ALTER TABLE can run
            cursor.execute(f"ALTER TABLE {guards.TABLE} DISABLE TRIGGER USER")
            cursor.execute(sql, params)
            cursor.execute(f"ALTER TABLE {guards.TABLE} ENABLE TRIGGER USER")
        else:
            for name in guards.SQLITE_TRIGGERS:
                cursor.execute(f"DROP TRIGGER IF EXISTS {name}")
            cursor.execute(sql, params)
    guards.install(connection)
