"""The hash chain over the audit log: seal, verify, retention purge, anchors outside the database.

``seal()`` (a scheduler job every minute, ``manage.py seal_audit``) locks the one ``ChainState`` row
and, in id order, gives every unsealed committed row the next ``seq``, the previous row's hash and
``hash = HMAC-SHA256(key, prev_hash "\\n" canonical(row))``. Writers never wait for it: rows are
inserted plainly; a row whose transaction commits after a later id was sealed is simply sealed by
the next run (seq order, not id order, is the chain order).

The key (``AUDIT_HMAC_KEY``, default derived from ``SECRET_KEY``) is not in the database, so someone
with database access only cannot recompute hashes after altering a row. After each seal the head
``(seq, hash, time)`` is appended to an anchor file outside the database (``AUDIT_ANCHOR_PATH``):
deleting the last rows and rewinding ``ChainState`` is detected against it.

``verify()`` streams the chain in seq order (keyset pages) and reports altered rows, deleted rows
(gaps, broken links), a truncated tail (vs the head and the anchors), unsealed rows older than
``AUDIT_SEAL_GRACE_MINUTES`` and missing guard triggers.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import os
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from . import guards
from .guards import CONTENT_COLUMNS
from .models import AuditEntry, ChainState

GENESIS = "0" * 64
# The row's content in its canonical order (seq goes first, then these).
FIELDS = CONTENT_COLUMNS
BATCH = 5000


def key() -> bytes:
    configured = getattr(settings, "AUDIT_HMAC_KEY", "")
    if configured:
        return configured.encode()
    return hmac.new(settings.SECRET_KEY.encode(), b"motcua.audit.chain.v1", hashlib.sha256).digest()


_AT = FIELDS.index("at")
_DUMPS = json.JSONEncoder(ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str).encode


def _instant(v) -> str:
    if isinstance(v, dt.datetime):
        return v.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return v


def canonical(seq: int, row) -> bytes:
    """``row``: the values of FIELDS. JSON array, sorted keys, UTF-8: unambiguous and stable."""
    values = [seq, *row]
    values[_AT + 1] = _instant(values[_AT + 1])
    return _DUMPS(values).encode()


def row_hash(k: bytes, prev_hash: str, seq: int, row) -> str:
    return hmac.digest(k, prev_hash.encode() + b"\n" + canonical(seq, row), "sha256").hex()


def start_mac(k: bytes, start_seq: int, start_prev_hash: str) -> str:
    return hmac.new(k, f"start\n{start_seq}\n{start_prev_hash}".encode(), hashlib.sha256).hexdigest()


def _state(lock: bool) -> ChainState:
    ChainState.objects.get_or_create(pk=1)  # made by the migration; again after a test flush
    qs = ChainState.objects.select_for_update() if lock else ChainState.objects
    return qs.get(pk=1)


# --- anchors --------------------------------------------------------------------------------------


def anchor_path() -> Path | None:
    path = getattr(settings, "AUDIT_ANCHOR_PATH", "")
    return Path(path) if path else None


def _append_anchor(line: str) -> None:
    path = anchor_path()
    if path is None:
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a", encoding="utf-8") as f:
        f.write(line + "\n")
        f.flush()
        os.fsync(f.fileno())


def read_anchors() -> tuple[dict[int, str], int]:
    """{seq: hash} of the seal anchors, and the latest purge's start seq (0 if none)."""
    anchors: dict[int, str] = {}
    purged_to = 0
    path = anchor_path()
    if path is None or not path.exists():
        return anchors, purged_to
    with open(path, encoding="utf-8") as f:
        for line in f:
            parts = line.split()
            if len(parts) >= 3 and parts[0] == "seal":
                anchors[int(parts[1])] = parts[2]
            elif len(parts) >= 3 and parts[0] == "purge":
                purged_to = max(purged_to, int(parts[1]))
    return anchors, purged_to


# --- seal -----------------------------------------------------------------------------------------


def _write_seals(updates: list[tuple[int, int, str, str]]) -> None:
    table = guards.TABLE
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            ids, seqs, prevs, hashes = (list(c) for c in zip(*updates, strict=True))
            cursor.execute(
                f"UPDATE {table} AS t SET seq = v.seq, prev_hash = v.prev, hash = v.h "
                "FROM unnest(%s::bigint[], %s::bigint[], %s::text[], %s::text[]) AS v(id, seq, prev, h) "
                "WHERE t.id = v.id",
                [ids, seqs, prevs, hashes],
            )
        else:
            cursor.executemany(
                f"UPDATE {table} SET seq = %s, prev_hash = %s, hash = %s WHERE id = %s",
                [(s, p, h, i) for i, s, p, h in updates],
            )


def seal(batch: int = BATCH, limit: int | None = None) -> int:
    """Seal every unsealed row (in transactions of ``batch`` rows); returns how many were sealed."""
    k = key()
    total = 0
    head: tuple[int, str] | None = None
    while limit is None or total < limit:
        size = batch if limit is None else min(batch, limit - total)
        with transaction.atomic():
            state = _state(lock=True)
            rows = list(AuditEntry.objects.filter(seq__isnull=True).order_by("id").values_list(*FIELDS)[:size])
            if not rows:
                break
            seq, prev = state.head_seq, state.head_hash
            updates = []
            for row in rows:
                seq += 1
                h = row_hash(k, prev, seq, row)
                updates.append((row[0], seq, prev, h))
                prev = h
            _write_seals(updates)
            now = timezone.now()
            ChainState.objects.filter(pk=1).update(head_seq=seq, head_hash=prev, sealed_at=now)
            head = (seq, prev)
        total += len(rows)
        if len(rows) < size:
            break
    if head is not None:
        _append_anchor(f"seal {head[0]} {head[1]} {timezone.now().isoformat()}")
    return total


# --- verify ---------------------------------------------------------------------------------------


@dataclass
class Finding:
    code: str  # altered | link | gap | start | truncated | head | anchor | unsealed | guards | missing_anchors
    message: str  # Vietnamese / English
    seq: int | None = None
    row_id: int | None = None


@dataclass
class Report:
    checked: int = 0
    first_seq: int | None = None
    last_seq: int | None = None
    unsealed: int = 0
    findings: list[Finding] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.findings


def verify(page: int = 20000, grace: dt.timedelta | None = None) -> Report:
    """Recompute the whole chain from its start; every finding is something to investigate."""
    k = key()
    report = Report()
    add = report.findings.append
    state = _state(lock=False)
    anchors, purged_to = read_anchors()

    genesis = state.start_seq == 1 and state.start_prev_hash == GENESIS  # the natural start needs no MAC
    if not genesis and state.start_mac != start_mac(k, state.start_seq, state.start_prev_hash):
        add(Finding("start", "Điểm bắt đầu chuỗi bị sửa / chain start altered.", state.start_seq))
    if purged_to and state.start_seq < purged_to:
        add(Finding("start", f"Điểm bắt đầu chuỗi lùi so với mốc xóa theo thời hạn / start before purge {purged_to}."))
    for name in guards.missing(connection):
        add(Finding("guards", f"Thiếu trigger bảo vệ / guard trigger missing or disabled: {name}."))

    expected, prev = state.start_seq, state.start_prev_hash
    last_seq, last_hash = None, None
    after = state.start_seq - 1
    columns = ("seq", "prev_hash", "hash", *FIELDS)
    while True:
        rows = list(AuditEntry.objects.filter(seq__gt=after).order_by("seq").values_list(*columns)[:page])
        if not rows:
            break
        for seq, prev_hash, stored, *content in rows:
            row_id = content[0]
            if report.first_seq is None:
                report.first_seq = seq
            if seq != expected:
                add(
                    Finding(
                        "gap",
                        f"Thiếu dòng số {expected}–{seq - 1} (đã bị xóa) / rows {expected}–{seq - 1} deleted.",
                        seq,
                        row_id,
                    )
                )
            elif prev_hash != prev:
                add(Finding("link", f"Dòng {seq} không nối với dòng trước / broken link at {seq}.", seq, row_id))
            if row_hash(k, prev_hash, seq, content) != stored:
                add(Finding("altered", f"Dòng {seq} (id {row_id}) đã bị sửa / row {seq} altered.", seq, row_id))
            if seq in anchors and anchors[seq] != stored:
                add(Finding("anchor", f"Dòng {seq} khác mốc neo / row {seq} differs from its anchor.", seq, row_id))
            expected, prev = seq + 1, stored
            last_seq, last_hash = seq, stored
            report.checked += 1
        after = rows[-1][0]
    report.last_seq = last_seq

    if last_seq is None and state.head_seq >= state.start_seq:
        add(Finding("truncated", f"Chuỗi rỗng nhưng đầu chuỗi là {state.head_seq} / all rows deleted.", state.head_seq))
    elif last_seq is not None and last_seq < state.head_seq:
        add(
            Finding(
                "truncated",
                f"Mất các dòng cuối {last_seq + 1}–{state.head_seq} / tail rows deleted.",
                last_seq + 1,
            )
        )
    elif last_seq is not None and (last_seq > state.head_seq or last_hash != state.head_hash):
        add(Finding("head", "Đầu chuỗi không khớp dòng cuối / head does not match the last row.", last_seq))
    top_anchor = max((s for s in anchors if s >= state.start_seq), default=None)
    if top_anchor is not None and (last_seq is None or last_seq < top_anchor):
        add(
            Finding(
                "truncated",
                f"Mất các dòng cuối đến số {top_anchor} (theo tệp neo) / tail deleted up to anchor {top_anchor}.",
                top_anchor,
            )
        )
    if anchor_path() is not None and not anchors and state.head_seq >= state.start_seq:
        add(Finding("missing_anchors", "Không có tệp neo ngoài CSDL / no anchor file outside the database."))

    grace = grace if grace is not None else dt.timedelta(minutes=getattr(settings, "AUDIT_SEAL_GRACE_MINUTES", 10))
    unsealed = AuditEntry.objects.filter(seq__isnull=True)
    report.unsealed = unsealed.count()
    late = unsealed.filter(at__lt=timezone.now() - grace).order_by("id").values_list("id", flat=True)[:1]
    for row_id in late:
        add(
            Finding(
                "unsealed",
                f"Có dòng chưa niêm phong quá {int(grace.total_seconds() // 60)} phút (từ id {row_id}) "
                "/ rows left unsealed (is the sealer running?).",
                None,
                row_id,
            )
        )
    return report


# --- retention ------------------------------------------------------------------------------------


def purge(now: dt.datetime | None = None, days: int | None = None) -> int:
    """Delete the sealed rows older than the retention from the start of the chain; the new start
    (seq and the hash before it, authenticated) is recorded so verification starts there."""
    now = now or timezone.now()
    days = days if days is not None else settings.AUDIT_RETENTION_DAYS
    cutoff = now - dt.timedelta(days=days)
    k = key()
    with transaction.atomic():
        state = _state(lock=True)
        first_kept = (
            AuditEntry.objects.filter(seq__gte=state.start_seq, at__gte=cutoff)
            .order_by("seq")
            .values_list("seq", "prev_hash")
            .first()
        )
        new_start, new_prev = first_kept if first_kept else (state.head_seq + 1, state.head_hash)
        if new_start <= state.start_seq:
            return 0
        guards.allow_purge(connection)
        with connection.cursor() as cursor:
            cursor.execute(f"DELETE FROM {guards.TABLE} WHERE seq IS NOT NULL AND seq < %s", [new_start])
            deleted = cursor.rowcount
        guards.end_purge(connection)
        ChainState.objects.filter(pk=1).update(
            start_seq=new_start,
            start_prev_hash=new_prev,
            start_mac=start_mac(k, new_start, new_prev),
            purged_at=now,
        )
        transaction.on_commit(lambda: _append_anchor(f"purge {new_start} {new_prev} {now.isoformat()}"))
    return deleted
