"""The hash chain: a clean chain verifies; every way a DBA could tamper with it is detected."""

import datetime as dt

import pytest
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from motcua.audit import chain, guards
from motcua.audit.models import AppendOnly, AuditEntry, ChainState, DataAccess
from motcua.audit.services import log_access, log_change

from .conftest import as_dba


class Obj:
    def __init__(self, code, owner):
        self.code = code
        self.owner_id_number = owner


def write(n: int, start: int = 0) -> None:
    for i in range(start, start + n):
        log_access(objects=[Obj(f"HS{i:04d}", f"0010850{i:05d}")], object_type="dossier", purpose="xem hồ sơ")


def codes(report) -> set[str]:
    return {f.code for f in report.findings}


@pytest.fixture
def sealed(db):
    write(20)
    assert chain.seal(batch=7) == 20  # several batches
    return list(AuditEntry.objects.order_by("seq").values_list("id", "seq"))


def test_clean_chain_verifies_and_is_contiguous(sealed):
    report = chain.verify()
    assert report.ok, report.findings
    assert report.checked == 20 and (report.first_seq, report.last_seq) == (1, 20)
    assert [s for _, s in sealed] == list(range(1, 21))
    state = ChainState.objects.get()
    last = AuditEntry.objects.get(seq=20)
    assert (state.head_seq, state.head_hash) == (20, last.hash)
    assert AuditEntry.objects.get(seq=2).prev_hash == AuditEntry.objects.get(seq=1).hash
    # The anchor outside the database holds the head.
    anchors, _ = chain.read_anchors()
    assert anchors[20] == last.hash
    # New rows continue the chain.
    write(3, start=100)
    assert chain.seal() == 3 and chain.seal() == 0
    assert chain.verify().ok and AuditEntry.objects.filter(seq__isnull=True).count() == 0


def test_command_reports_intact_chain(sealed, capsys):
    call_command("verify_audit")
    assert "toàn vẹn" in capsys.readouterr().out


def test_altered_field_is_detected(sealed):
    id_, seq = sealed[9]
    as_dba("UPDATE audit_dataaccess SET purpose = %s WHERE id = %s", ["mục đích khác", id_])
    report = chain.verify()
    assert codes(report) == {"altered"}
    assert [f.seq for f in report.findings] == [seq]


def test_altered_field_with_recomputed_plain_hash_is_detected(sealed):
    """Without the HMAC key a DBA cannot forge the hash (a plain SHA-256 guess does not match)."""
    import hashlib

    id_, seq = sealed[4]
    row = AuditEntry.objects.filter(id=id_).values_list("prev_hash", *chain.FIELDS).get()
    forged = hashlib.sha256(row[0].encode() + b"\n" + chain.canonical(seq, row[1:])).hexdigest()
    as_dba("UPDATE audit_dataaccess SET subject_id_number = %s, hash = %s WHERE id = %s", ["001099000000", forged, id_])
    report = chain.verify()
    assert "altered" in codes(report)


def test_deleted_middle_row_is_detected(sealed):
    id_, seq = sealed[7]
    as_dba("DELETE FROM audit_dataaccess WHERE id = %s", [id_])
    report = chain.verify()
    assert codes(report) == {"gap"}
    assert report.findings[0].seq == seq + 1 and f"{seq}" in report.findings[0].message


def test_deleted_last_rows_are_detected_even_with_the_head_rewound(sealed):
    as_dba("DELETE FROM audit_dataaccess WHERE seq > 17")
    assert "truncated" in codes(chain.verify())  # against the head
    # The DBA also rewinds the head to the new last row: the anchor file still knows.
    last = AuditEntry.objects.get(seq=17)
    ChainState.objects.filter(pk=1).update(head_seq=17, head_hash=last.hash)
    report = chain.verify()
    assert codes(report) == {"truncated"}
    assert "20" in report.findings[0].message


def test_all_rows_deleted_is_detected(sealed):
    as_dba("DELETE FROM audit_dataaccess")
    assert "truncated" in codes(chain.verify())


def test_reordered_rows_are_detected(sealed):
    (a, sa), (b, sb) = sealed[3], sealed[4]
    as_dba("UPDATE audit_dataaccess SET seq = NULL WHERE id IN (%s, %s)", [a, b])
    as_dba("UPDATE audit_dataaccess SET seq = %s WHERE id = %s", [sb, a])
    as_dba("UPDATE audit_dataaccess SET seq = %s WHERE id = %s", [sa, b])
    report = chain.verify()
    assert {"altered", "link"} <= codes(report)
    assert {f.seq for f in report.findings} >= {sa, sb}


def test_rows_left_unsealed_are_reported(db):
    write(2)
    assert chain.verify().ok  # just written: within the grace period
    report = chain.verify(grace=dt.timedelta(0))
    assert codes(report) == {"unsealed"}


def test_command_exits_1_on_a_finding(sealed, capsys):
    as_dba("UPDATE audit_dataaccess SET action = 'print' WHERE id = %s", [sealed[0][0]])
    with pytest.raises(SystemExit) as exc:
        call_command("verify_audit")
    assert exc.value.code == 1
    out = capsys.readouterr().out
    assert "BẤT THƯỜNG" in out and "[altered] 1" in out


def test_missing_guards_are_reported(sealed):
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute(f"ALTER TABLE {guards.TABLE} DISABLE TRIGGER {guards.PG_TRIGGER}")
        else:
            cursor.execute("DROP TRIGGER audit_no_delete")
    assert codes(chain.verify()) == {"guards"}
    guards.install(connection)
    assert chain.verify().ok


# --- the database refuses -------------------------------------------------------------------------


def _refused(sql, params=None):
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, params)


def test_triggers_refuse_update_and_delete_of_sealed_rows(sealed):
    id_ = sealed[0][0]
    _refused("UPDATE audit_dataaccess SET purpose = 'x' WHERE id = %s", [id_])
    _refused("UPDATE audit_dataaccess SET hash = %s WHERE id = %s", ["0" * 64, id_])
    _refused("UPDATE audit_dataaccess SET seq = NULL WHERE id = %s", [id_])
    _refused("DELETE FROM audit_dataaccess WHERE id = %s", [id_])
    assert chain.verify().ok


def test_triggers_refuse_content_changes_before_sealing(db):
    write(1)
    id_ = AuditEntry.objects.get().id
    _refused("UPDATE audit_dataaccess SET object_ref = 'x' WHERE id = %s", [id_])
    _refused("UPDATE audit_dataaccess SET at = %s WHERE id = %s", [timezone.now() - dt.timedelta(days=1), id_])


def test_orm_refuses_changes(sealed):
    row = AuditEntry.objects.first()
    row.purpose = "khác"
    with pytest.raises(AppendOnly):
        row.save()
    with pytest.raises(AppendOnly):
        row.delete()
    with pytest.raises(AppendOnly):
        AuditEntry.objects.filter(pk=row.pk).update(purpose="x")
    with pytest.raises(AppendOnly):
        DataAccess.objects.all().delete()


# --- retention ------------------------------------------------------------------------------------


def test_purge_keeps_the_retention_and_the_chain_verifies_from_the_new_start(db, django_capture_on_commit_callbacks):
    write(10)
    old = timezone.now() - dt.timedelta(days=1200)
    first_ids = list(AuditEntry.objects.order_by("id").values_list("id", flat=True)[:6])
    as_dba(
        f"UPDATE audit_dataaccess SET at = %s WHERE id IN ({', '.join(['%s'] * len(first_ids))})",
        [old, *first_ids],
    )
    chain.seal()
    with django_capture_on_commit_callbacks(execute=True):
        assert chain.purge(days=1095) == 6
    assert AuditEntry.objects.count() == 10 - 6
    state = ChainState.objects.get()
    assert state.start_seq == 7
    report = chain.verify()
    assert report.ok, report.findings
    assert report.first_seq == 7
    assert chain.purge(days=1095) == 0  # idempotent
    # The purge is recorded outside the database too.
    assert chain.read_anchors()[1] == 7


def test_moving_the_start_to_hide_deleted_rows_is_detected(db):
    write(6)
    chain.seal()
    as_dba("DELETE FROM audit_dataaccess WHERE seq <= 3")
    assert "gap" in codes(chain.verify())
    row = AuditEntry.objects.get(seq=4)
    ChainState.objects.filter(pk=1).update(start_seq=4, start_prev_hash=row.prev_hash)
    assert "start" in codes(chain.verify())


def test_retention_below_twelve_months_is_refused(settings):
    from motcua.audit.apps import check_retention

    settings.AUDIT_RETENTION_DAYS = 200
    assert [e.id for e in check_retention()] == ["audit.E001"]
    settings.AUDIT_RETENTION_DAYS = 365
    assert check_retention() == []


def test_log_change_rows_are_sealed_too(db):
    log_change(action="update", object_type="org.agency", object_ref="000.01.31.H99", detail={"fields": ["name"]})
    write(1)
    chain.seal()
    assert chain.verify().ok
    assert DataAccess.objects.count() == 1  # the personal-data access view hides change rows
    assert AuditEntry.objects.count() == 2


def test_a_row_committed_late_with_a_smaller_id_is_sealed_next(sealed):
    """Writers take no lock: a transaction that got its id before others but commits after the seal
    is chained by the next seal (the chain is in seq order, not id order)."""
    first = AuditEntry.objects.order_by("id").first()
    late_id = first.id - 1
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO audit_dataaccess (id, at, kind, client_id, roles, agencies, action, object_type, object_ref,"
            " subject_id_number, purpose, dossier_code, detail, prev_hash, hash)"
            " VALUES (%s, %s, 'read', '', '', '', 'read', 'dossier', 'HS-LATE', '', '', '', '{}', '', '')",
            [late_id, timezone.now()],
        )
    assert chain.seal() == 1
    assert AuditEntry.objects.get(id=late_id).seq == 21
    assert chain.verify().ok


def test_the_scheduled_jobs_seal_and_purge(db):
    from motcua.audit.tasks import retention_task, seal_task
    from motcua.common.scheduler import JOBS

    assert {"seal_audit", "audit_retention"} <= {j.name for j in JOBS}
    write(2)
    assert seal_task.call() == 2
    purged = retention_task.call()  # every retention (tests/audit/test_retention.py), nothing due yet
    assert purged["audit"] == 0 and set(purged.values()) == {0}
