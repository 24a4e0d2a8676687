"""Issued results and certified e-copies: PDF from a template, signed (PAdES) with the agency's
certificate, registered in the document store as a document of the owner.

* ``issue_result_document``: when a leader issues an approved result (``dossiers.services`` action
  ``issue_result``), a background task renders the result from its template (packaged
  ``documents/results/result.html``, or a province's own wording: a slip template row with code
  ``KQ`` in the admin), gives it the procedure version's result code, signs it and stores it as a
  ``Document`` (kind result, source issued result, validity from the catalog). Idempotent: one
  result document per issue event.
* ``certify_copy``: an officer certifies a scanned original → the original's pages + a
  certification page (Decree 23/2015 wording, number in the agency's yearly certification book),
  signed, registered as a certified copy of the same owner.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.template import engines
from django.template.loader import get_template
from django.utils import timezone
from django_tasks import task

from motcua.workcalendar.engine import VN_TZ

from .models import Document, Kind, OcrStatus, Source
from .services import blob_as_pdf, checked_bytes, doc_type_of, register

RESULT_TEMPLATE_CODE = "KQ"


class ResultError(Exception):
    def __init__(self, message: str, code: str = "result_error"):
        super().__init__(message)
        self.message, self.code = message, code


def _sign(pdf: bytes, agency, reason: str, location: str) -> bytes:
    from motcua.signing.services import SigningError, sign_pdf

    try:
        return sign_pdf(pdf, agency=agency, reason=reason, location=location)
    except SigningError as exc:
        raise ResultError(str(exc), "signing_failed") from None


def _render(template_name: str, context: dict, override_code: str | None = None) -> bytes:
    from motcua.dossiers.models import SlipTemplate
    from motcua.dossiers.slips import html_to_pdf

    row = SlipTemplate.objects.filter(code=override_code).only("body").first() if override_code else None
    template = (
        engines["django"].from_string(row.body) if row is not None and row.body.strip() else get_template(template_name)
    )
    return html_to_pdf(template.render(context))


# ------------------------------------------------------------------------------------------------
# Results
# ------------------------------------------------------------------------------------------------
def queue_result_document(dossier_id: int, event_id: int) -> None:
    transaction.on_commit(lambda: result_document_task.enqueue(dossier_id, event_id))


def issue_result_document(dossier_id: int, event_id: int, *, now: dt.datetime | None = None) -> Document | None:
    """The signed e-result of the ``issue_result`` event ``event_id`` (made once)."""
    from motcua.dossiers.models import Dossier, Event
    from motcua.dossiers.slips import _common, _date_line, fmt_date, qr_data_uri, tracking_url

    existing = Document.objects.filter(dossier_id=dossier_id, kind=Kind.RESULT, source_event=event_id).first()
    if existing is not None:
        return existing
    d = Dossier.objects.select_related("version__procedure", "agency__parent", "desk__agency").get(pk=dossier_id)
    event = Event.objects.select_related("actor").get(pk=event_id, dossier=d, action="issue_result")
    if event.payload.get("outcome", "approved") != "approved":
        return None
    issued_at = event.at
    day = issued_at.astimezone(VN_TZ).date()
    result = d.version.results.order_by("id").first()
    result_code = result.code if result else "KQ"
    result_name = result.name if result else "Kết quả giải quyết thủ tục hành chính"
    number = event.payload.get("result_number") or f"{d.code}/{result_code}"
    valid_until = None
    if result is not None and result.validity_days:
        valid_until = day + dt.timedelta(days=result.validity_days)
    ctx = _common(d, day)
    url = tracking_url(d.code)
    ctx.update(
        {
            "slip": {"number": RESULT_TEMPLATE_CODE, "title": result_name},
            "header": {"parent": d.agency.parent.name if d.agency.parent_id else "", "name": d.agency.name},
            "date_line": _date_line(ctx["place"], issued_at),
            "result": {"code": result_code, "name": result_name, "number": number},
            "issued_date": fmt_date(issued_at),
            "valid_until": valid_until.strftime("%d/%m/%Y") if valid_until else "",
            "signer": event.actor_name,
            "tracking_url": url,
            "qr": qr_data_uri(url),
        }
    )
    pdf = _render("documents/results/result.html", ctx, RESULT_TEMPLATE_CODE)
    signed = _sign(pdf, d.agency, f"Ban hành kết quả giải quyết hồ sơ {d.code}", ctx["place"])
    with transaction.atomic():
        if Document.objects.filter(dossier=d, kind=Kind.RESULT, source_event=event_id).exists():
            return Document.objects.get(dossier=d, kind=Kind.RESULT, source_event=event_id)
        return register(
            checked_bytes(signed, f"{result_code}-{d.code}.pdf"),
            kind=Kind.RESULT,
            source=Source.ISSUED_RESULT,
            user=event.actor,
            dossier=d,
            agency=d.agency,
            result_code=result_code,
            doc_type=doc_type_of(d, result_code),
            title=result_name,
            owner_type=d.applicant_type,
            owner_id_number=d.owner_id_number,
            owner_name=d.owner_name,
            doc_number=number[:60],
            issuer=d.agency.name,
            issue_date=day,
            valid_until=valid_until,
            signed=True,
            source_event=event_id,
        )


@task()
def result_document_task(dossier_id: int, event_id: int) -> int | None:
    doc = issue_result_document(dossier_id, event_id)
    return doc.pk if doc else None


# ------------------------------------------------------------------------------------------------
# Certified e-copies (bản sao điện tử chứng thực từ bản chính)
# ------------------------------------------------------------------------------------------------
def certify_copy(original: Document, user, *, agency=None, now: dt.datetime | None = None) -> Document:
    """Certify a scanned original as a true copy: its pages + the certification page, signed by the
    agency, registered as a certified copy of the same owner."""
    from motcua.org.models import Agency, StaffMembership

    now = now or timezone.now()
    if original.kind != Kind.COMPONENT or original.current_id is None:
        raise ResultError("Chỉ chứng thực được bản quét từ bản chính của thành phần hồ sơ.", "not_certifiable")
    # Who certifies: an officer of the dossier's own agencies (handling, receiving, the desk's).
    d = original.dossier
    competent = {d.agency_id, d.receiving_agency_id, d.desk.agency_id} if d is not None else set()
    mine = {
        m.agency_id: m.agency
        for m in StaffMembership.objects.filter(user=user, active=True).select_related("agency")
        if m.agency_id in competent
    }
    if agency is None:
        agency = mine.get(d.agency_id) if d is not None and d.agency_id in mine else next(iter(mine.values()), None)
    if agency is None or (agency.pk not in mine and not user.is_superuser):
        raise ResultError("Bạn không thuộc cơ quan có thẩm quyền chứng thực bản sao này.", "not_allowed")
    from . import ocr

    try:
        _, pdf = blob_as_pdf(original.pdf or original.current.blob)
    except ocr.OcrError as exc:
        raise ResultError(exc.message, exc.code) from None
    day = now.astimezone(VN_TZ).date()
    with transaction.atomic():
        Agency.objects.select_for_update().filter(pk=agency.pk).first()  # serializes the book number
        count = Document.objects.filter(kind=Kind.CERTIFIED_COPY, agency=agency, issue_date__year=day.year).count()
        number = f"{count + 1}/{day.year}/SCT/BS"
        page = _render(
            "documents/results/certification.html",
            {
                "agency": agency,
                "number": number,
                "book": f"01/{day.year}-SCT/BS",
                "date_text": f"Ngày {day:%d} tháng {day:%m} năm {day.year}",
                "officer": user.get_full_name() or user.get_username(),
                "original": original,
                "pages": original.pages or "",
            },
        )
        merged = _append(pdf, page)
        signed = _sign(merged, agency, f"Chứng thực bản sao từ bản chính, số {number}", agency.name)
        return register(
            checked_bytes(signed, f"ban-sao-chung-thuc-{original.pk}.pdf"),
            kind=Kind.CERTIFIED_COPY,
            source=Source.CERTIFIED_COPY,
            user=user,
            dossier=original.dossier,
            agency=agency,
            component_code=original.component_code,
            doc_type=original.doc_type,
            title=f"Bản sao chứng thực: {original.title or original.name}"[:255],
            owner_type=original.owner_type,
            owner_id_number=original.owner_id_number,
            owner_name=original.owner_name,
            doc_number=number,
            issuer=agency.name,
            issue_date=day,
            valid_until=original.valid_until,
            signed=True,
            text=original.text,
            ocr_status=OcrStatus.PENDING,
        )


def _append(pdf: bytes, page: bytes) -> bytes:
    import io

    import pikepdf

    with pikepdf.open(io.BytesIO(pdf)) as doc, pikepdf.open(io.BytesIO(page)) as extra:
        doc.pages.extend(extra.pages)
        out = io.BytesIO()
        doc.save(out)
        return out.getvalue()
