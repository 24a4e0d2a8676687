"""Archive export of closed dossiers (nộp lưu hồ sơ) and their retention periods.

``export(user, closed_before=…, agency=…, out=…)`` writes one ZIP per run::

    manifest.json                         run summary: created_at, who, filter, dossier count, the sha256
                                          of manifest.jsonl
    manifest.jsonl                        one line per file of the archive: path, sha256, size
    dossiers/<code>/metadata.json         the dossier, its components, steps, events, fees and payments
                                          (with receipts), documents and results, retention and disposal date
    dossiers/<code>/files/<id>-<name>     the bytes of each document's current version

Only closed dossiers (``states.FINAL_STATES``: refused, withdrawn, stopped, returned) closed before the
given date that the caller may read (``Dossier.objects.visible_to``), not yet archived unless asked.
Dossiers are read in keyset batches on ``(closed_at, id)`` (index ``dossier_closed``), each batch with
its related rows in a few queries, and files are streamed into the ZIP (ZIP64: no size limit): memory
stays flat over millions of dossiers.

**Atomicity.** The ZIP is written to a temporary file beside ``out`` and renamed into place when complete;
only then, in ONE transaction, each exported dossier gets ``archived_at`` and the export is recorded in
the personal-data access log (``audit.log_access``, action "export", purpose naming the file). A run that
fails before the rename leaves nothing marked; one that fails in that transaction leaves a complete ZIP
but nothing marked, so the next run exports those dossiers again (a duplicate archive, never a loss).

**Retention.** ``Procedure.retention_years`` (0 = permanent, empty = the default of its field in
``RETENTION_BY_FIELD``, else ``DEFAULT_RETENTION_YEARS``). ``disposal_candidates`` lists archived
dossiers whose period has run out. Nothing is ever deleted automatically: disposal of records is decided
by the agency's appraisal council and approved in writing (Law on Archives), so the list is an input to
that decision, and deletion — when decided — is a separate, explicit operation (not provided here).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from zipfile import ZIP_DEFLATED, ZIP_STORED, ZipFile

from django.core.files.storage import default_storage
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.db.models import Prefetch, Q
from django.utils import timezone

from .models import Dossier, Event, Step
from .states import FINAL_STATES

FORMAT = "motcua.archive.v1"
BATCH = 500
CHUNK = 1024 * 1024
DEFAULT_RETENTION_YEARS = 10
# Defaults per field (years after closing; 0 = permanently) — the province's decision, editable per
# procedure (``Procedure.retention_years``). Civil status, land and construction records are kept
# permanently; the demo values for the other fields are 5–20 years.
RETENTION_BY_FIELD = {
    "HO_TICH": 0,
    "DAT_DAI": 0,
    "HOAT_DONG_XAY_DUNG": 0,
    "CAN_CUOC": 20,
    "CU_TRU": 20,
    "XUAT_NHAP_CANH": 20,
    "THANH_LAP_DOANH_NGHIEP": 20,
    "HO_KINH_DOANH": 20,
    "LY_LICH_TU_PHAP": 10,
    "BAO_HIEM_XA_HOI": 20,
    "BAO_TRO_XA_HOI": 20,
    "CHUNG_THUC": 5,
    "THI_TUYEN_SINH": 5,
    "XU_LY_VI_PHAM_HANH_CHINH": 5,
}


class ArchiveError(ValueError):
    """A request the export cannot do; the message is Vietnamese, for the operator."""


def retention_years(procedure, field_code: str = "") -> int:
    """Years a closed dossier of ``procedure`` is kept; 0 = permanently."""
    if procedure.retention_years is not None:
        return procedure.retention_years
    return RETENTION_BY_FIELD.get(field_code, DEFAULT_RETENTION_YEARS)


def dispose_after(closed_at: dt.datetime | None, years: int) -> dt.date | None:
    """The first day the dossier may be proposed for disposal (None: kept permanently / still open)."""
    if closed_at is None or years == 0:
        return None
    day = timezone.localtime(closed_at).date()
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29/02
        return day.replace(year=day.year + years, day=28)


def parse_date(text: str) -> dt.date:
    try:
        return dt.datetime.strptime(text.strip(), "%d/%m/%Y").date()
    except (ValueError, AttributeError):
        raise ArchiveError(f"Ngày không hợp lệ: {text!r} — nhập theo dạng ngày/tháng/năm (dd/mm/yyyy).") from None


def closed_dossiers(user, *, closed_before: dt.date, agency=None, include_archived: bool = False):
    """Closed dossiers the user may read, closed before ``closed_before`` (local day)."""
    cutoff = timezone.make_aware(dt.datetime.combine(closed_before, dt.time.min))
    qs = Dossier.objects.visible_to(user).filter(state__in=FINAL_STATES, closed_at__lt=cutoff)
    if agency is not None:
        qs = qs.filter(agency=agency)
    if not include_archived:
        qs = qs.filter(archived_at__isnull=True)
    return qs


def _batches(qs) -> Iterator[list[Dossier]]:
    """Keyset pagination on (closed_at, id): each batch with its related rows (a few queries)."""
    from motcua.documents.models import Document
    from motcua.payments.models import Payment

    last = None
    while True:
        page = qs
        if last is not None:
            page = page.filter(Q(closed_at__gt=last[0]) | Q(closed_at=last[0], pk__gt=last[1]))
        batch = list(
            page.order_by("closed_at", "pk")
            .select_related("version__procedure", "version__field", "agency", "receiving_agency", "desk")
            .prefetch_related(
                "components",
                Prefetch("steps", queryset=Step.objects.select_related("agency").order_by("order", "id")),
                Prefetch("events", queryset=Event.objects.order_by("id")),
                Prefetch("payments", queryset=Payment.objects.select_related("receipt").order_by("id")),
                Prefetch(
                    "documents",
                    queryset=Document.objects.select_related("current__blob").order_by("id"),
                    to_attr="archive_documents",
                ),
            )[:BATCH]
        )
        if not batch:
            return
        yield batch
        last = (batch[-1].closed_at, batch[-1].pk)


def _row(obj, exclude=()) -> dict:
    return {f.attname: getattr(obj, f.attname) for f in obj._meta.concrete_fields if f.attname not in exclude}


def metadata(d: Dossier, files: list[dict]) -> dict:
    version = d.version
    years = retention_years(version.procedure, version.field.code)
    dispose = dispose_after(d.closed_at, years)
    return {
        "format": FORMAT,
        "dossier": {
            **_row(d, exclude=("lock_version",)),
            "state_label": d.state_label,
            "national_status": d.national_status_code,
            "procedure_code": version.procedure.code,
            "procedure_version": version.number,
            "procedure_name": version.name,
            "field_code": version.field.code,
            "agency_code": d.agency.code,
            "agency_name": d.agency.name,
            "receiving_agency_code": d.receiving_agency.code,
            "desk_code": d.desk.code,
        },
        "retention": {"years": years, "permanent": years == 0, "dispose_after": dispose},
        "components": [_row(c) for c in d.components.all()],
        "steps": [{**_row(s), "agency_code": s.agency.code if s.agency_id else ""} for s in d.steps.all()],
        "events": [_row(e) for e in d.events.all()],
        "payments": [
            {**_row(p), "receipt": _row(p.receipt) if hasattr(p, "receipt") else None} for p in d.payments.all()
        ],
        "documents": files,
    }


@dataclass
class ExportResult:
    path: Path
    dossiers: int = 0
    files: int = 0
    bytes: int = 0
    codes: list[str] = field(default_factory=list)


def _safe(name: str) -> str:
    keep = "".join(ch if ch.isalnum() or ch in "._-" else "_" for ch in name)
    return keep.strip("._")[:80] or "tep"


def export(
    user,
    *,
    closed_before: dt.date,
    out: str | Path,
    agency=None,
    include_archived: bool = False,
    purpose: str = "Nộp lưu hồ sơ đã kết thúc",
) -> ExportResult:
    """Export the closed dossiers ``user`` may read into the ZIP ``out`` (see the module docstring)."""
    from motcua.audit.services import log_access

    out = Path(out)
    if out.exists():
        raise ArchiveError(f"Tệp {out} đã tồn tại — chọn tên khác.")
    if not out.parent.is_dir():
        raise ArchiveError(f"Không có thư mục {out.parent}.")
    qs = closed_dossiers(user, closed_before=closed_before, agency=agency, include_archived=include_archived)
    result = ExportResult(out)
    exported: list[int] = []
    fd, tmp_name = tempfile.mkstemp(prefix=".archive-", suffix=".zip.part", dir=out.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        with (
            ZipFile(tmp, "w", compression=ZIP_DEFLATED, allowZip64=True) as zf,
            tempfile.TemporaryFile("w+", encoding="utf-8") as lines,
        ):

            def put_bytes(path: str, data: bytes) -> None:
                zf.writestr(path, data)
                lines.write(json.dumps({"path": path, "sha256": hashlib.sha256(data).hexdigest(), "size": len(data)}))
                lines.write("\n")

            for batch in _batches(qs):
                for d in batch:
                    files = []
                    for doc in d.archive_documents:
                        blob = doc.current.blob if doc.current_id else None
                        if blob is None:
                            continue
                        path = f"dossiers/{d.code}/files/{doc.pk}-{_safe(doc.name or doc.title)}"
                        h, size = hashlib.sha256(), 0
                        # Scans are already compressed: stored, not deflated.
                        with default_storage.open(blob.file.name, "rb") as src, zf.open(path, "w") as dst:
                            while chunk := src.read(CHUNK):
                                h.update(chunk)
                                size += len(chunk)
                                dst.write(chunk)
                        if h.hexdigest() != blob.sha256:
                            raise ArchiveError(f"Tệp của hồ sơ {d.code} bị sai mã kiểm tra ({blob.sha256[:12]}…).")
                        lines.write(json.dumps({"path": path, "sha256": blob.sha256, "size": size}) + "\n")
                        files.append(
                            {
                                "id": doc.pk,
                                "kind": doc.kind,
                                "component_code": doc.component_code,
                                "result_code": doc.result_code,
                                "title": doc.title,
                                "doc_number": doc.doc_number,
                                "issuer": doc.issuer,
                                "issue_date": doc.issue_date,
                                "valid_until": doc.valid_until,
                                "source": doc.source,
                                "signed": doc.signed,
                                "content_type": blob.content_type,
                                "sha256": blob.sha256,
                                "size": size,
                                "path": path,
                            }
                        )
                        result.files += 1
                        result.bytes += size
                    body = json.dumps(metadata(d, files), cls=DjangoJSONEncoder, ensure_ascii=False, indent=1)
                    put_bytes(f"dossiers/{d.code}/metadata.json", body.encode())
                    exported.append(d.pk)
                    result.codes.append(d.code)
            lines.seek(0)
            h = hashlib.sha256()
            with zf.open("manifest.jsonl", "w") as dst:
                while chunk := lines.read(CHUNK):
                    data = chunk.encode()
                    h.update(data)
                    dst.write(data)
            summary = {
                "format": FORMAT,
                "created_at": timezone.now(),
                "created_by": user.get_username(),
                "closed_before": closed_before,
                "agency": agency.code if agency is not None else None,
                "dossiers": len(exported),
                "files": result.files,
                "bytes": result.bytes,
                "manifest_jsonl_sha256": h.hexdigest(),
            }
            zf.writestr(
                "manifest.json",
                json.dumps(summary, cls=DjangoJSONEncoder, ensure_ascii=False, indent=1),
                compress_type=ZIP_STORED,
            )
        with open(tmp, "rb") as f:
            os.fsync(f.fileno())
        os.replace(tmp, out)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    result.dossiers = len(exported)
    now = timezone.now()
    with transaction.atomic():
        for start in range(0, len(exported), BATCH):
            ids = exported[start : start + BATCH]
            Dossier.objects.filter(pk__in=ids).update(archived_at=now)
            log_access(
                user=user,
                objects=Dossier.objects.filter(pk__in=ids).only("code", "owner_id_number", "version_id"),
                object_type="dossier",
                action="export",
                purpose=f"{purpose}: {out.name}",
            )
    return result


def disposal_candidates(user, *, today: dt.date | None = None, agency=None):
    """Archived dossiers whose retention period has run out (eligible to be *proposed* for disposal)."""
    from motcua.catalog.models import Procedure

    today = today or timezone.localdate()
    by_years: dict[int, list[int]] = {}
    for proc in Procedure.objects.only("pk", "retention_years").prefetch_related("versions__field"):
        versions = list(proc.versions.all())
        field_code = versions[-1].field.code if versions else ""
        years = retention_years(proc, field_code)
        if years:
            by_years.setdefault(years, []).append(proc.pk)
    cond = Q(pk__in=[])
    for years, procs in by_years.items():
        cutoff = today.replace(year=today.year - years) if not (today.month == 2 and today.day == 29) else today
        cutoff_at = timezone.make_aware(dt.datetime.combine(cutoff, dt.time.min))
        cond |= Q(version__procedure__in=procs, closed_at__lt=cutoff_at)
    qs = Dossier.objects.visible_to(user).filter(state__in=FINAL_STATES, archived_at__isnull=False).filter(cond)
    if agency is not None:
        qs = qs.filter(agency=agency)
    return qs.order_by("closed_at", "pk")
