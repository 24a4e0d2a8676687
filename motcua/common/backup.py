"""Backup and restore of one deployment: the database and the media files, at one consistent point.

A backup is a directory (or the same directory as one ``.tar`` archive) holding::

    manifest.json        format, created_at, vendor, server version, migration heads, row counts of the
                         key tables, and the sha256 + size of every other file in the backup
    database.dump        PostgreSQL: ``pg_dump --format=custom`` (restored with ``pg_restore``)
    database.sqlite3     SQLite: a copy made with the sqlite3 online backup API
    media/...            the files of Django's default storage (MEDIA_ROOT or object storage)

**Why the pair is consistent.** The database is copied first, at one snapshot (PostgreSQL: the dump runs
in a REPEATABLE READ transaction whose snapshot is exported with ``pg_export_snapshot()`` and handed to
``pg_dump --snapshot``; the manifest's counts and migration heads are read in that same transaction.
SQLite: the online backup API copies one consistent state, and the counts are read from the copy).
Media are copied *after* the snapshot. Every file the documents refer to is a ``documents.Blob``:
content-addressed (its name is its sha256), written to storage *before* its row is committed, and never
modified or overwritten afterwards. So each blob row in the snapshot has its file in storage before the
media copy starts, with exactly the bytes the row describes: the backup may contain a few newer files
that no row refers to yet (harmless orphans), never a row without its file. Other media (report files,
catalog form templates) follow the same write-once pattern (a new upload gets a new name).

**Restore** verifies every checksum of the manifest first (nothing is touched if one differs), refuses a
database that already has tables unless ``force`` (then PostgreSQL objects are dropped by ``pg_restore
--clean``; SQLite's content is replaced), restores the database, copies media into the default storage
(an existing file of the same name must have the same bytes), then counts the key tables again and
compares them with the manifest.

Not in a backup: secrets and keys (``SECRET_KEY``, the signing PKI in ``SIGNING_PKI_DIR``, gateway
secrets) — they belong to the deployment's secret store and are backed up with it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import re
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from django.apps import apps
from django.core.files.base import File
from django.core.files.storage import default_storage
from django.db import connections

FORMAT = "motcua.backup.v1"
MANIFEST = "manifest.json"
PG_DUMP_FILE = "database.dump"
SQLITE_FILE = "database.sqlite3"
MEDIA_DIR = "media"
CHUNK = 1024 * 1024

# The tables whose row counts the manifest records and restore checks (app_label.ModelName).
KEY_MODELS = (
    "auth.User",
    "catalog.Procedure",
    "catalog.ProcedureVersion",
    "identity.Person",
    "dossiers.Dossier",
    "dossiers.DossierComponent",
    "dossiers.Step",
    "dossiers.Event",
    "dossiers.Draft",
    "documents.Blob",
    "documents.Document",
    "documents.DocumentVersion",
    "payments.Payment",
    "payments.Receipt",
    "integration.OutboxMessage",
    "audit.DataAccess",
)


class BackupError(Exception):
    """A backup or restore that cannot be done; the message is for the operator."""


@dataclass
class Result:
    path: Path
    manifest: dict
    notes: list[str] = field(default_factory=list)


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(CHUNK):
            h.update(chunk)
    return h.hexdigest()


def _key_tables() -> dict[str, str]:
    tables = {}
    for label in KEY_MODELS:
        try:
            model = apps.get_model(label)
        except LookupError:
            continue
        tables[label] = model._meta.db_table
    return tables


def _counts(cursor, qn) -> dict[str, int]:
    counts = {}
    for label, table in _key_tables().items():
        cursor.execute(f"SELECT COUNT(*) FROM {qn(table)}")  # noqa: S608 (table names from our models)
        counts[label] = cursor.fetchone()[0]
    return counts


def _heads(cursor) -> dict[str, str]:
    """The last applied migration of each app (by application order), as recorded in the database."""
    cursor.execute("SELECT app, name FROM django_migrations ORDER BY id")
    heads: dict[str, str] = {}
    for app_label, name in cursor.fetchall():
        heads[app_label] = name
    return dict(sorted(heads.items()))


def _pg_env(settings: dict) -> tuple[dict, list[str]]:
    env = dict(os.environ)
    if settings.get("PASSWORD"):
        env["PGPASSWORD"] = str(settings["PASSWORD"])
    args = []
    if settings.get("HOST"):
        args += ["--host", str(settings["HOST"])]
    if settings.get("PORT"):
        args += ["--port", str(settings["PORT"])]
    if settings.get("USER"):
        args += ["--username", str(settings["USER"])]
    return env, args


def _tool_major(binary: str) -> int:
    try:
        out = subprocess.run([binary, "--version"], capture_output=True, text=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError) as exc:
        raise BackupError(f"Không chạy được {binary} / cannot run {binary}: {exc}") from exc
    m = re.search(r"(\d+)(?:\.\d+)?", out)
    if not m:
        raise BackupError(f"Không đọc được phiên bản của {binary}: {out!r}")
    return int(m.group(1))


def _check_pg_tool(binary: str, connection) -> None:
    """pg_dump/pg_restore must be of the server's major version: an older one cannot read a newer server,
    a newer one writes archives that the server's own tools cannot restore."""
    connection.ensure_connection()
    server = connection.pg_version // 10000
    tool = _tool_major(binary)
    if tool != server:
        raise BackupError(
            f"{binary} phiên bản {tool} khác máy chủ PostgreSQL {server} — dùng {binary} {server} "
            f"(tùy chọn --pg-bin) / {binary} {tool} does not match server {server}"
        )


# ------------------------------------------------------------------------------------------------
# Backup
# ------------------------------------------------------------------------------------------------
def backup(out: str | Path, *, using: str = "default", pg_bin: str = "") -> Result:
    """Back up the database ``using`` and the media files into ``out``: a new directory, or a ``.tar``
    file. Returns the manifest."""
    out = Path(out)
    if out.exists():
        raise BackupError(f"{out} đã tồn tại — chọn đường dẫn mới / {out} already exists")
    as_tar = out.suffix == ".tar"
    work = Path(tempfile.mkdtemp(prefix="motcua-backup-", dir=out.parent)) if as_tar else out
    if not as_tar:
        out.mkdir(parents=True)
    try:
        connection = connections[using]
        vendor = connection.vendor
        if vendor == "postgresql":
            db_file, meta = _dump_postgresql(connection, work, pg_bin)
        elif vendor == "sqlite":
            db_file, meta = _dump_sqlite(connection, work)
        else:
            raise BackupError(f"Không hỗ trợ cơ sở dữ liệu {vendor} / unsupported database")
        # Media strictly after the database snapshot (see the module docstring).
        media_count = _copy_media_out(work / MEDIA_DIR)
        files = {}
        for path in sorted(p for p in work.rglob("*") if p.is_file()):
            rel = path.relative_to(work).as_posix()
            files[rel] = {"sha256": sha256_file(path), "size": path.stat().st_size}
        manifest = {
            "format": FORMAT,
            "created_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "vendor": vendor,
            "database_file": db_file,
            **meta,
            "media_files": media_count,
            "files": files,
        }
        (work / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8")
        if as_tar:
            with tarfile.open(out, "w") as tar:
                tar.add(work, arcname=".")
        return Result(out, manifest)
    except BaseException:
        if not as_tar:
            shutil.rmtree(out, ignore_errors=True)
        raise
    finally:
        if as_tar:
            shutil.rmtree(work, ignore_errors=True)


def _dump_postgresql(connection, work: Path, pg_bin: str) -> tuple[str, dict]:
    pg_dump = str(Path(pg_bin) / "pg_dump") if pg_bin else "pg_dump"
    _check_pg_tool(pg_dump, connection)
    settings = connection.settings_dict
    raw = connection.get_new_connection(connection.get_connection_params())
    try:
        raw.autocommit = True
        with raw.cursor() as cur:
            cur.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
            cur.execute("SELECT pg_export_snapshot()")
            snapshot = cur.fetchone()[0]
            counts = _counts(cur, connection.ops.quote_name)
            heads = _heads(cur)
            env, args = _pg_env(settings)
            cmd = [
                pg_dump,
                *args,
                "--format=custom",
                "--no-owner",
                "--no-privileges",
                f"--snapshot={snapshot}",
                f"--file={work / PG_DUMP_FILE}",
                str(settings["NAME"]),
            ]
            proc = subprocess.run(cmd, env=env, capture_output=True, text=True)
            if proc.returncode != 0:
                raise BackupError(f"pg_dump thất bại / failed: {proc.stderr.strip()}")
            cur.execute("COMMIT")
    finally:
        raw.close()
    return PG_DUMP_FILE, {"server_version": connection.pg_version, "migrations": heads, "counts": counts}


def _dump_sqlite(connection, work: Path) -> tuple[str, dict]:
    connection.ensure_connection()
    target = work / SQLITE_FILE
    dst = sqlite3.connect(target)
    try:
        connection.connection.backup(dst)  # one consistent copy (restarted by SQLite if written meanwhile)
        dst.execute("PRAGMA journal_mode=DELETE")  # one self-contained file, no -wal beside it
        cur = dst.cursor()
        counts = _counts(cur, connection.ops.quote_name)
        heads = _heads(cur)
        version = dst.execute("select sqlite_version()").fetchone()[0]
    finally:
        dst.close()
    return SQLITE_FILE, {"server_version": version, "migrations": heads, "counts": counts}


def _walk_storage(storage, prefix: str = ""):
    if not prefix and not _storage_has_root(storage):
        return
    dirs, files = storage.listdir(prefix)
    for name in sorted(files):
        yield f"{prefix}{name}"
    for d in sorted(dirs):
        yield from _walk_storage(storage, f"{prefix}{d}/")


def _storage_has_root(storage) -> bool:
    location = getattr(storage, "location", None)
    return location is None or Path(location).exists()


def _copy_media_out(target: Path) -> int:
    count = 0
    for name in _walk_storage(default_storage):
        dest = target / name
        dest.parent.mkdir(parents=True, exist_ok=True)
        with default_storage.open(name, "rb") as src, open(dest, "wb") as dst:
            shutil.copyfileobj(src, dst, CHUNK)
        count += 1
    target.mkdir(parents=True, exist_ok=True)
    return count


# ------------------------------------------------------------------------------------------------
# Restore
# ------------------------------------------------------------------------------------------------
def verify(src: Path) -> dict:
    """Read the manifest of the backup directory ``src`` and check every file's sha256 and size;
    also refuse files the manifest does not list. Returns the manifest."""
    try:
        manifest = json.loads((src / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise BackupError(f"Không đọc được {MANIFEST}: {exc}") from exc
    if manifest.get("format") != FORMAT:
        raise BackupError(f"Định dạng bản sao lưu không hỗ trợ: {manifest.get('format')!r}")
    listed = manifest.get("files", {})
    present = {p.relative_to(src).as_posix() for p in src.rglob("*") if p.is_file()} - {MANIFEST}
    problems = [f"thiếu tệp / missing: {rel}" for rel in sorted(set(listed) - present)]
    problems += [f"tệp lạ / not in manifest: {rel}" for rel in sorted(present - set(listed))]
    for rel, info in sorted(listed.items()):
        path = src / rel
        if rel in present and (path.stat().st_size != info["size"] or sha256_file(path) != info["sha256"]):
            problems.append(f"sai mã kiểm tra / checksum mismatch: {rel}")
    if problems:
        raise BackupError("Bản sao lưu bị hỏng / backup is corrupt:\n  " + "\n  ".join(problems[:50]))
    return manifest


def restore(src: str | Path, *, using: str = "default", force: bool = False, pg_bin: str = "") -> Result:
    """Restore the backup ``src`` (directory or ``.tar``) into the database ``using`` and the default
    storage. The database must be empty (no tables) unless ``force``."""
    src = Path(src)
    if not src.exists():
        raise BackupError(f"Không tìm thấy {src} / not found")
    tmp = None
    try:
        if src.is_file():
            tmp = Path(tempfile.mkdtemp(prefix="motcua-restore-"))
            with tarfile.open(src) as tar:
                tar.extractall(tmp, filter="data")
            src = tmp
        manifest = verify(src)
        connection = connections[using]
        if connection.vendor != manifest["vendor"]:
            raise BackupError(
                f"Bản sao lưu của {manifest['vendor']}, cơ sở dữ liệu đích là {connection.vendor} / vendor mismatch"
            )
        notes = _check_migrations(manifest["migrations"])
        with connection.cursor() as cur:
            tables = connection.introspection.table_names(cur)
        if tables and not force:
            raise BackupError(
                f"Cơ sở dữ liệu đích không rỗng ({len(tables)} bảng) — dùng --force để ghi đè "
                f"/ target database is not empty"
            )
        if connection.vendor == "postgresql":
            _restore_postgresql(connection, src / manifest["database_file"], clean=bool(tables), pg_bin=pg_bin)
        else:
            _restore_sqlite(connection, src / manifest["database_file"])
        notes.append(f"{_copy_media_in(src / MEDIA_DIR, force=force)} tệp media đã khôi phục / media files restored")
        with connection.cursor() as cur:
            counts = _counts(cur, connection.ops.quote_name)
        if counts != manifest["counts"]:
            diff = {k: (manifest["counts"].get(k), v) for k, v in counts.items() if manifest["counts"].get(k) != v}
            raise BackupError(f"Số bản ghi sau khôi phục khác bản sao lưu / counts differ: {diff}")
        return Result(Path(src), manifest, notes)
    finally:
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)


def _check_migrations(heads: dict[str, str]) -> list[str]:
    """The code must know every migration the backup's schema has (restoring a newer backup into older
    code would leave a schema the code cannot read). Newer code is fine: run ``migrate`` afterwards."""
    from django.db.migrations.loader import MigrationLoader

    loader = MigrationLoader(None, ignore_no_migrations=True)
    unknown = [f"{app}.{name}" for app, name in heads.items() if (app, name) not in loader.disk_migrations]
    if unknown:
        raise BackupError("Mã nguồn cũ hơn bản sao lưu, thiếu migration / code lacks migrations: " + ", ".join(unknown))
    leaves = dict(loader.graph.leaf_nodes())
    behind = sorted(app for app, name in heads.items() if leaves.get(app) not in (None, name))
    if behind:
        return ["Bản sao lưu cũ hơn mã nguồn — chạy `manage.py migrate` sau khi khôi phục (" + ", ".join(behind) + ")"]
    return []


def _restore_postgresql(connection, dump: Path, *, clean: bool, pg_bin: str) -> None:
    pg_restore = str(Path(pg_bin) / "pg_restore") if pg_bin else "pg_restore"
    _check_pg_tool(pg_restore, connection)
    connection.close()  # nothing of ours holds a transaction or a lock while the schema is created
    env, args = _pg_env(connection.settings_dict)
    cmd = [pg_restore, *args, "--no-owner", "--no-privileges", "--exit-on-error"]
    cmd += ["--clean", "--if-exists"] if clean else ["--single-transaction"]
    cmd += [f"--dbname={connection.settings_dict['NAME']}", str(dump)]
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True)
    if proc.returncode != 0:
        raise BackupError(f"pg_restore thất bại / failed: {proc.stderr.strip()}")


def _restore_sqlite(connection, path: Path) -> None:
    connection.ensure_connection()
    src = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        src.backup(connection.connection)  # replaces the whole target content, one step
    finally:
        src.close()


def _copy_media_in(media: Path, *, force: bool) -> int:
    count = 0
    if not media.exists():
        return 0
    for path in sorted(p for p in media.rglob("*") if p.is_file()):
        name = path.relative_to(media).as_posix()
        if default_storage.exists(name):
            with default_storage.open(name, "rb") as f:
                same = hashlib.file_digest(f, "sha256").hexdigest() == sha256_file(path)
            if same:
                count += 1
                continue
            if not force:
                raise BackupError(f"Tệp media đã có với nội dung khác / media file differs: {name}")
            default_storage.delete(name)
        with open(path, "rb") as f:
            saved = default_storage.save(name, File(f, name=name))
        if saved != name:
            raise BackupError(f"Không ghi được {name} đúng tên (bộ lưu trữ đặt {saved})")
        count += 1
    return count
