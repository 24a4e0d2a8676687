"""Officers' document screens: digitization progress (HTMX polling), the extracted fields shown
beside the image for confirmation, retry after a failed OCR, a new version (re-scan), certified
e-copies, and full-text search. Thin: the rules live in ``documents.services`` / ``certify`` /
``search``; every read of a document is logged."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.utils.dateparse import parse_datetime
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_POST

from motcua.audit.services import log_access
from motcua.common.inputs import as_int
from motcua.documents import search as doc_search
from motcua.documents import services
from motcua.documents.models import Document, OcrStatus
from motcua.privacy.purpose import gate, purpose_required, with_purpose

RUNNING = (OcrStatus.PENDING, OcrStatus.RUNNING)


def _doc(user, pk: int) -> Document:
    """The document if ``user`` may see it (``Document.objects.visible_to``), else 404."""
    doc = (
        Document.objects.visible_to(user)
        .select_related("dossier", "current__blob", "current__pdf", "agency")
        .filter(pk=pk)
        .first()
    )
    if doc is None or doc.current_id is None:
        raise Http404("Không tìm thấy tài liệu.")
    return doc


def _back(doc: Document) -> str:
    return f"/can-bo/ho-so/{doc.dossier.code}/" if doc.dossier_id else f"/can-bo/tai-lieu/{doc.pk}/thong-tin/"


def _log(request, doc: Document, purpose: str) -> None:
    """A document read: for its own dossier, or (``?ho_so=``) for a dossier that reuses it."""
    for_dossier = (request.GET.get("ho_so") or "")[:40]
    if for_dossier and doc.reuses.filter(dossier__code=for_dossier, status="accepted").exists():
        log_access(
            user=request.user,
            objects=[doc],
            object_type="document",
            ref=lambda o: f"TL{o.pk}",
            purpose=f"{purpose} (tái sử dụng)",
            request=request,
            dossier=lambda o: for_dossier,
        )
        return
    log_access(
        user=request.user,
        objects=[doc.dossier] if doc.dossier_id else [doc],
        object_type="dossier" if doc.dossier_id else "document",
        ref=lambda o: o.code if doc.dossier_id else f"TL{o.pk}",
        purpose=purpose,
        request=request,
    )


@login_required
@xframe_options_sameorigin  # shown in the document page's preview frame
def file(request, pk: int):
    """The document's file inline (preview); ``?ban=pdf``: the searchable PDF/A made by OCR."""
    doc = _doc(request.user, pk)
    if doc.dossier_id and (ask := gate(request, "ho-so", dossier=doc.dossier)) is not None:
        return ask
    _log(request, doc, with_purpose(request, f"xem tài liệu {doc.component_code or doc.result_code}"))
    blob = doc.current.pdf if request.GET.get("ban") == "pdf" and doc.current.pdf_id else doc.current.blob
    response = FileResponse(blob.file.open("rb"), content_type=blob.content_type)
    response["Content-Disposition"] = f'inline; filename="{doc.pk}-{doc.component_code or doc.result_code}"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


@login_required
def status(request, pk: int):
    """One document's row in the dossier's file list; polls itself while the pipeline runs."""
    doc = _doc(request.user, pk)
    return render(request, "documents/_doc_row.html", {"doc": doc, "running": RUNNING})


@login_required
def detail(request, pk: int):
    """The document beside its extracted fields and metadata; the officer confirms or corrects."""
    doc = _doc(request.user, pk)
    if doc.dossier_id and (ask := gate(request, "ho-so", dossier=doc.dossier)) is not None:
        return ask
    errors = {}
    if request.method == "POST":
        values = {f["name"]: request.POST.get(f"field_{f['name']}", "") for f in doc.fields}
        metadata = {
            key: request.POST.get(key, "").strip()[:255] for key in ("doc_number", "issuer") if key in request.POST
        }
        try:
            services.confirm_fields(doc, values, request.user, metadata)
        except services.MetadataError as exc:
            errors = exc.errors
        else:
            messages.success(request, f"Đã lưu thông tin của tài liệu “{doc.title or doc.name}”.")
            return redirect(_back(doc))
    _log(request, doc, with_purpose(request, f"xem thông tin tài liệu {doc.component_code or doc.result_code}"))
    reports = [{**r, "signing_time": parse_datetime(r.get("signing_time") or "")} for r in doc.signatures]
    return render(
        request,
        "documents/detail.html",
        {
            "doc": doc,
            "errors": errors,
            "values": request.POST,
            "back": _back(doc),
            "running": RUNNING,
            "reports": reports,
        },
        status=400 if errors else 200,
    )


@login_required
@require_POST
def retry(request, pk: int):
    doc = _doc(request.user, pk)
    try:
        services.retry_digitization(doc, request.user)
    except services.UploadError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"Đã đưa tài liệu “{doc.title or doc.name}” vào hàng đợi số hóa lại.")
    return redirect(_back(doc))


@login_required
@require_POST
def new_version(request, pk: int):
    doc = _doc(request.user, pk)
    uploads = request.FILES.getlist("file")
    try:
        if not uploads:
            raise services.UploadError("Vui lòng chọn tệp quét lại.")
        services.add_version(doc, [services.check_upload(u) for u in uploads], user=request.user)
    except services.UploadError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"Đã lưu phiên bản mới của tài liệu “{doc.title or doc.name}”.")
    return redirect(_back(doc))


@login_required
@purpose_required("tim-kiem")
def search_page(request):
    q = request.GET.get("q", "")[:200]
    before = request.GET.get("truoc", "")
    results = []
    if q.strip():
        results = doc_search.search(request.user, q, limit=20, before_id=as_int(before))
        if results:
            log_access(
                user=request.user,
                objects=results,
                object_type="document",
                ref=lambda o: o.dossier.code if o.dossier_id else f"TL{o.pk}",
                purpose=with_purpose(request, "tìm kiếm tài liệu"),
                request=request,
            )
    template = "documents/_search_results.html" if request.headers.get("HX-Request") else "documents/search.html"
    return render(
        request,
        template,
        {"q": q, "results": results, "next": results[-1].pk if len(results) == 20 else None},
    )


@login_required
@require_POST
def certify(request, pk: int):
    """Certify the scanned original as a true e-copy (signed, registered for the owner)."""
    from motcua.documents import results

    doc = _doc(request.user, pk)
    try:
        copy = results.certify_copy(doc, request.user)
    except results.ResultError as exc:
        messages.error(request, exc.message)
        return redirect(_back(doc))
    messages.success(request, f"Đã chứng thực bản sao điện tử, số chứng thực {copy.doc_number}.")
    return redirect("backoffice:document-detail", pk=copy.pk)


@login_required
@require_POST
def revoke(request, pk: int):
    """The issuing agency revokes a result or certified copy; the owner's store shows it revoked."""
    doc = _doc(request.user, pk)
    try:
        services.revoke(doc, request.POST.get("reason", ""), request.user)
    except services.RevokeError as exc:
        messages.error(request, str(exc))
        return redirect("backoffice:document-detail", pk=doc.pk)
    messages.success(request, "Đã thu hồi giấy tờ; giấy tờ không còn được tái sử dụng.")
    return redirect("backoffice:document-detail", pk=doc.pk)
