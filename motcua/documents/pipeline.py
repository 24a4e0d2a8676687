"""The digitization pipeline (Paperless-ngx is the model: small stages, one transaction at the end).

    original blob → type check → PDF (images merged) → PDF/A with an OCR text layer (OCRmyPDF +
    Tesseract ``vie``) → text → field extraction → signature check (signed PDFs) → index

It runs as a background task (``digitize_task``, django-tasks, started on commit by
``services.queue_digitization``) so a dossier is received before OCR ends. Each stage's name is
written as it starts (committed on its own) so the officer's screen shows the progress; the results
are written in one transaction at the end. A failure never blocks the dossier: the document is
marked "OCR failed" with the reason and can be retried (``services.retry_digitization``).
"""

from __future__ import annotations

import logging
import time
from dataclasses import asdict

from django.db import transaction
from django_tasks import task

from . import search
from .models import Document, OcrStatus
from .services import blob_as_pdf, search_text_of, store_bytes

log = logging.getLogger(__name__)

STAGES = {
    "pdf": "Chuyển sang PDF",
    "ocr": "Nhận dạng chữ (OCR)",
    "extract": "Trích xuất thông tin",
    "signatures": "Kiểm tra chữ ký số",
    "index": "Lập chỉ mục tìm kiếm",
}
FAILED_MESSAGE = "Không nhận dạng được nội dung tài liệu: {reason} Có thể thử số hóa lại."


def _stage(doc_id: int, stage: str, status: str = OcrStatus.RUNNING) -> None:
    Document.objects.filter(pk=doc_id).update(ocr_status=status, ocr_stage=STAGES.get(stage, stage))


def digitize(doc_id: int) -> str:
    """Run the whole pipeline for one document; returns the final OCR status."""
    from . import extract, ocr

    doc = Document.objects.select_related("current__blob").filter(pk=doc_id).first()
    if doc is None or doc.current is None:
        return "missing"
    started = time.monotonic()
    blob = doc.current.blob
    try:
        _stage(doc_id, "pdf")
        data, pdf = blob_as_pdf(blob)
        pages = ocr.check_pdf(pdf)
        _stage(doc_id, "ocr")
        result = ocr.ocr(pdf)
        _stage(doc_id, "extract")
        kind = extract.detect_kind(result.text) if result.has_text else None
        fields = [asdict(f) | {"confirmed": False} for f in extract.extract(kind, result.text)] if kind else []
        _stage(doc_id, "signatures")
        reports = _signatures(result.pdf if result.pdf is not None else pdf)
    except ocr.OcrError as exc:
        return _fail(doc_id, exc.message, time.monotonic() - started)
    except Exception as exc:  # a bug or a broken tool must not lose the document: mark it, log it
        log.exception("digitization of document %s failed", doc_id)
        return _fail(doc_id, f"lỗi hệ thống ({type(exc).__name__}).", time.monotonic() - started)

    _stage(doc_id, "index")
    with transaction.atomic():
        locked = Document.objects.select_for_update().get(pk=doc_id)
        if locked.current_id != doc.current_id:  # a newer version arrived meanwhile: its own run wins
            return "superseded"
        version = locked.current
        if result.pdf is not None and result.pdf != data:
            version.pdf = store_bytes(result.pdf, "application/pdf")
            version.save(update_fields=["pdf"])
        locked.pages = result.pages or pages
        locked.text = result.text
        locked.detected_kind = kind or ""
        if locked.fields_confirmed_at is None:
            locked.fields = fields
        locked.signatures = reports
        locked.signed = bool(reports)
        locked.ocr_status = OcrStatus.DONE if result.has_text else OcrStatus.NO_TEXT
        locked.ocr_stage, locked.ocr_error = "", ""
        locked.ocr_attempts += 1
        locked.ocr_seconds = round(time.monotonic() - started, 2)
        locked.search_text = search_text_of(locked)
        locked.save()
        search.index(locked)
    return locked.ocr_status


def _signatures(pdf: bytes) -> list[dict]:
    from motcua.signing.services import SigningError, validate_pdf

    try:
        reports = validate_pdf(pdf)
    except SigningError:
        return []
    out = []
    for r in reports:
        item = asdict(r)
        if item.get("signing_time") is not None:
            item["signing_time"] = item["signing_time"].isoformat()
        out.append(item)
    return out


def _fail(doc_id: int, reason: str, seconds: float) -> str:
    message = FAILED_MESSAGE.format(reason=reason.rstrip(".") + ".")[:500]
    with transaction.atomic():
        doc = Document.objects.select_for_update().get(pk=doc_id)
        doc.ocr_status, doc.ocr_stage, doc.ocr_error = OcrStatus.FAILED, "", message
        doc.ocr_attempts += 1
        doc.ocr_seconds = round(seconds, 2)
        doc.save(update_fields=["ocr_status", "ocr_stage", "ocr_error", "ocr_attempts", "ocr_seconds"])
    return OcrStatus.FAILED


@task()
def digitize_task(doc_id: int) -> str:
    return digitize(doc_id)
