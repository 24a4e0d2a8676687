"""Append-only in the database itself: triggers that refuse changing or deleting audit rows.

PostgreSQL: one row trigger refuses UPDATE of a sealed row, UPDATE of any row's content (the
sealer only sets ``seq``/``prev_hash``/``hash`` of unsealed rows) and DELETE, except the retention
purge, which sets the transaction-local ``motcua.audit_purge`` to ``on`` (``SET LOCAL``).

SQLite: the same for UPDATE; DELETE is refused for sealed rows unless the purge's marker row is in
``audit_purgemark`` (unsealed rows stay deletable on SQLite because Django's test ``flush`` empties
tables with DELETE; on PostgreSQL it uses TRUNCATE). An unsealed row is sealed within a minute.

Installed after every ``migrate`` (``apps.AuditConfig``) and idempotent: a later migration that
rebuilds the table on SQLite drops its triggers, the next ``post_migrate`` puts them back.
``verify_audit`` reports missing guards.
"""

from __future__ import annotations

TABLE = "audit_dataaccess"
CONTENT_COLUMNS = (
    "id",
    "at",
    "kind",
    "user_id",
    "client_id",
    "roles",
    "agencies",
    "action",
    "object_type",
    "object_ref",
    "subject_id_number",
    "purpose",
    "dossier_code",
    "ip",
    "detail",
)
PG_FUNCTION = "audit_dataaccess_guard"
PG_TRIGGER = "audit_dataaccess_guard"  # DELETE
PG_TRIGGER_UPDATE = "audit_dataaccess_guard_update"
PG_TRIGGERS = (PG_TRIGGER, PG_TRIGGER_UPDATE)
SQLITE_TRIGGERS = ("audit_no_update_sealed", "audit_no_update_content", "audit_no_delete")
PURGE_GUC = "motcua.audit_purge"

_NEW = ", ".join(f"NEW.{c}" for c in CONTENT_COLUMNS)
_OLD = ", ".join(f"OLD.{c}" for c in CONTENT_COLUMNS)

PG_SQL = f"""
CREATE OR REPLACE FUNCTION {PG_FUNCTION}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' THEN
    IF OLD.seq IS NOT NULL AND current_setting('{PURGE_GUC}', true) = 'on' THEN
      RETURN OLD;
    END IF;
    RAISE EXCEPTION 'audit log is append-only: rows cannot be deleted (id %)', OLD.id;
  END IF;
  IF OLD.seq IS NOT NULL THEN
    RAISE EXCEPTION 'audit log is append-only: sealed row % cannot be changed', OLD.id;
  END IF;
  IF ROW({_NEW}) IS DISTINCT FROM ROW({_OLD}) THEN
    RAISE EXCEPTION 'audit log is append-only: row % content cannot be changed', OLD.id;
  END IF;
  RETURN NEW;
END
$$;
DROP TRIGGER IF EXISTS {PG_TRIGGER} ON {TABLE};
DROP TRIGGER IF EXISTS {PG_TRIGGER_UPDATE} ON {TABLE};
CREATE TRIGGER {PG_TRIGGER} BEFORE DELETE ON {TABLE}
  FOR EACH ROW EXECUTE FUNCTION {PG_FUNCTION}();
-- The seal's own UPDATE (seq/prev_hash/hash of an unsealed row) is let through by the WHEN clause,
-- evaluated without calling the function: sealing stays cheap.
CREATE TRIGGER {PG_TRIGGER_UPDATE} BEFORE UPDATE ON {TABLE}
  FOR EACH ROW WHEN (OLD.seq IS NOT NULL OR ROW({_NEW}) IS DISTINCT FROM ROW({_OLD}))
  EXECUTE FUNCTION {PG_FUNCTION}();
"""

SQLITE_SQL = [
    f"""CREATE TRIGGER IF NOT EXISTS audit_no_update_sealed BEFORE UPDATE ON {TABLE}
    WHEN OLD.seq IS NOT NULL
    BEGIN SELECT RAISE(ABORT, 'audit log is append-only: sealed rows cannot be changed'); END""",
    f"""CREATE TRIGGER IF NOT EXISTS audit_no_update_content BEFORE UPDATE OF {", ".join(CONTENT_COLUMNS)} ON {TABLE}
    BEGIN SELECT RAISE(ABORT, 'audit log is append-only: row content cannot be changed'); END""",
    f"""CREATE TRIGGER IF NOT EXISTS audit_no_delete BEFORE DELETE ON {TABLE}
    WHEN OLD.seq IS NOT NULL AND NOT EXISTS (SELECT 1 FROM audit_purgemark)
    BEGIN SELECT RAISE(ABORT, 'audit log is append-only: rows cannot be deleted'); END""",
]


def install(connection) -> None:
    """Create (or replace) the guard triggers on ``connection``'s database."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(PG_SQL)  # no params: the driver leaves plpgsql's '%' alone
        elif connection.vendor == "sqlite":
            for sql in SQLITE_SQL:
                cursor.execute(sql)


def missing(connection) -> list[str]:
    """The guard triggers that are absent (or disabled, on PostgreSQL)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT tgname FROM pg_trigger WHERE tgrelid = %s::regclass AND tgenabled IN ('O', 'A')", [TABLE]
            )
            present = {r[0] for r in cursor.fetchall()}
            return [t for t in PG_TRIGGERS if t not in present]
        if connection.vendor == "sqlite":
            cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = %s", [TABLE])
            present = {r[0] for r in cursor.fetchall()}
            return [t for t in SQLITE_TRIGGERS if t not in present]
    return []


def allow_purge(connection) -> None:
    """Inside the purge's transaction: let the triggers allow DELETE of sealed rows (until it ends)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT set_config(%s, 'on', true)", [PURGE_GUC])
        elif connection.vendor == "sqlite":
            cursor.execute("INSERT INTO audit_purgemark DEFAULT VALUES")


def end_purge(connection) -> None:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT set_config(%s, 'off', true)", [PURGE_GUC])
        elif connection.vendor == "sqlite":
            cursor.execute("DELETE FROM audit_purgemark")
