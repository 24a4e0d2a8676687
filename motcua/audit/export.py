"""Exporting the audit log: JSON lines (with ``seq``/``prev_hash``/``hash``, so a third party holding
the key can verify the chain: ``chain.row_hash``) or CSV (Excel opens it: UTF-8 with BOM).
Streamed in keyset pages; the caller logs the export itself (``services.log_export``)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json

from django.db.models import Q

from motcua.workcalendar.engine import VN_TZ

from .models import AuditEntry

COLUMNS = (
    "seq",
    "id",
    "at",
    "kind",
    "user",
    "client_id",
    "roles",
    "agencies",
    "action",
    "object_type",
    "object_ref",
    "dossier_code",
    "subject_id_number",
    "purpose",
    "ip",
    "detail",
    "prev_hash",
    "hash",
)
HEADERS_VI = (
    "Số chuỗi",
    "Mã dòng",
    "Thời điểm",
    "Loại",
    "Người dùng",
    "Ứng dụng",
    "Vai trò",
    "Cơ quan",
    "Thao tác",
    "Loại dữ liệu",
    "Mã đối tượng",
    "Hồ sơ",
    "Số định danh chủ thể",
    "Mục đích",
    "Địa chỉ IP",
    "Chi tiết",
    "Băm trước",
    "Băm",
)
PAGE = 5000


def day_range(start: dt.date | None, end: dt.date | None) -> Q:
    """Vietnam days [start, end], both included."""
    q = Q()
    if start:
        q &= Q(at__gte=dt.datetime.combine(start, dt.time(0), tzinfo=VN_TZ))
    if end:
        q &= Q(at__lt=dt.datetime.combine(end + dt.timedelta(days=1), dt.time(0), tzinfo=VN_TZ))
    return q


def iter_rows(qs):
    """Dicts in id order, keyset pages (constant memory)."""
    after = 0
    fields = [c if c != "user" else "user__username" for c in COLUMNS]
    while True:
        page = list(qs.filter(id__gt=after).order_by("id").values(*fields)[:PAGE])
        if not page:
            return
        for row in page:
            row["user"] = row.pop("user__username") or ""
            row["at"] = row["at"].astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
            yield {c: row[c] for c in COLUMNS}
        after = page[-1]["id"]


def jsonl_line(row: dict) -> str:
    return json.dumps(row, ensure_ascii=False, sort_keys=False) + "\n"


def csv_header() -> str:
    return _csv_line(HEADERS_VI)


def csv_line(row: dict) -> str:
    values = [row[c] for c in COLUMNS]
    values = [json.dumps(v, ensure_ascii=False) if isinstance(v, dict) else ("" if v is None else v) for v in values]
    return _csv_line(values)


def _csv_line(values) -> str:
    buf = io.StringIO()
    csv.writer(buf).writerow(values)
    return buf.getvalue()


def base_queryset():
    return AuditEntry.objects.all()
