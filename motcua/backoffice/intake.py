"""The intake screen (tiếp nhận hồ sơ tại quầy): procedure search, applicant, component checklist
with files, return channel; receive or register the supplement request. Thin: the dossier is made
by ``dossiers.services``, files by ``documents.services``, the ticket is closed by
``engagement.services.record_intake``."""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.utils import timezone

from motcua.audit.services import log_access
from motcua.catalog.services import search_versions, version_in_force
from motcua.common.inputs import as_int
from motcua.documents import scanfolder
from motcua.documents import services as documents
from motcua.dossiers import services
from motcua.dossiers.models import Channel, Dossier, ReturnChannel
from motcua.engagement import services as queue
from motcua.engagement.models import Ticket
from motcua.identity.ids import IdError, validate_id_number
from motcua.identity.tasks import verify_applicant_task
from motcua.identity.verification import declared_consistency, verify
from motcua.org.models import StaffMembership
from motcua.org.roles import Role
from motcua.wallet import services as wallet

DESK_ROLES = (Role.DESK_OFFICER, Role.POSTAL_STAFF)
FIELD_OF_CODE = {  # service error code → the form field the message goes next to
    "invalid_id_number": "id_number",
    "invalid_party": "name",
    "missing_return_address": "return_address",
    "missing_reason": "supplement_reason",
    "missing_components": "components",
}
DEFAULT_REJECT_REASON = "Người nộp hồ sơ nộp lại bản giấy tờ."


def _desks(user):
    return [
        m.desk
        for m in StaffMembership.objects.filter(user=user, active=True, role__in=DESK_ROLES, desk__isnull=False)
        .select_related("desk")
        .order_by("desk__code")
    ]


@login_required
def procedure_search(request):
    """Search-as-you-type partial (and a plain page without JS)."""
    q = request.GET.get("q", "")[:200]
    versions = list(search_versions(q)[:10]) if q.strip() else []
    return render(
        request,
        "backoffice/intake/_procedures.html",
        {"versions": versions, "q": q, "ticket": request.GET.get("ticket", "")},
    )


def _declarable_conditions(version) -> list[tuple[str, str]]:
    """The exemption conditions an applicant may declare for this version's fees (the officer checks the proof)."""
    from motcua.catalog.models import ExemptionCondition
    from motcua.payments.fees import DECLARED

    if version is None:
        return []
    present = {e.get("condition") for f in version.fees.all() for e in (f.exemptions or [])}
    return [(c.value, c.label) for c in ExemptionCondition if c in DECLARED and c.value in present]


@login_required
def intake(request):
    desks = _desks(request.user)
    if not desks and not request.user.is_superuser:
        messages.error(request, "Chỉ cán bộ một cửa hoặc nhân viên bưu chính công ích được tiếp nhận hồ sơ.")
        return redirect("backoffice:home")
    source = request.POST if request.method == "POST" else request.GET
    ticket = _ticket(source.get("ticket"), desks)
    code = source.get("procedure", "").strip()
    version = version_in_force(code, timezone.localdate()) if code else None
    context = {
        "desks": desks,
        "ticket": ticket,
        "version": version,
        "components": list(version.components.all()) if version else [],
        "return_channels": ReturnChannel.choices,
        "channels": [(Channel.COUNTER, Channel.COUNTER.label), (Channel.POSTAL_SERVICE, Channel.POSTAL_SERVICE.label)],
        "values": source,
        "checked": set(source.getlist("provided")) if request.method == "POST" else set(),
        "errors": {},
        "form_id": source.get("form_id") or uuid.uuid4().hex,
        "fee_conditions": _declarable_conditions(version),
        "claimed": set(source.getlist("fee_exemptions")),
    }
    desk = _chosen_desk(desks, source.get("desk"))
    context["desk"] = desk
    context["scans"] = scanfolder.list_scans(desk) if desk is not None and version is not None else []
    context["picked"] = dict(zip(source.getlist("scan_file"), source.getlist("scan_component"), strict=False))
    if code and version is None:
        context["errors"]["procedure"] = f"Không tìm thấy thủ tục có mã “{code}” đang có hiệu lực."
    if request.method == "POST" and version is not None:
        if source.get("action") == "check":  # "check against the national DB and find held papers"
            _check_applicant(context, version, source)
            return render(request, "backoffice/intake/intake.html", context, status=400 if context["errors"] else 200)
        response = _submit(request, context, version, ticket)
        if response is not None:
            return response
    return render(request, "backoffice/intake/intake.html", context, status=400 if context["errors"] else 200)


def _chosen_desk(desks, code):
    return next((d for d in desks if d.code == code), desks[0] if desks else None)


def _ticket(raw, desks) -> Ticket | None:
    if as_int(raw) is None:
        return None
    return Ticket.objects.filter(pk=as_int(raw), desk__in=desks).select_related("group", "desk").first()


def _parse_dob(raw: str):
    import datetime as dt

    raw = (raw or "").strip()
    if not raw:
        return None
    try:
        return dt.datetime.strptime(raw, "%d/%m/%Y").date()
    except ValueError:
        raise IdError("Ngày sinh phải có dạng ngày/tháng/năm, ví dụ 12/03/1985.") from None


def _check_applicant(context, version, p) -> None:
    """Validate the applicant's ID, check them against the national database, and find the papers
    the state already holds for this procedure (``context``: verification, proposals)."""
    errors = context["errors"]
    kind = "organization" if p.get("applicant_type") == "organization" else "citizen"
    try:
        id_number = validate_id_number(p.get("id_number", ""), kind)
    except IdError as exc:
        errors["id_number"] = str(exc)
        return
    try:
        dob = _parse_dob(p.get("dob", "")) if kind == "citizen" else None
    except IdError as exc:
        errors["dob"] = str(exc)
        return
    if dob is not None and (problems := declared_consistency(id_number, dob, "")):
        errors["dob"] = " ".join(problems)
    name = p.get("name", "").strip()
    if not name:
        errors["name"] = "Vui lòng nhập họ tên người nộp hồ sơ."
        return
    check = verify(id_number, name, kind=kind, date_of_birth=dob)
    context["verification"] = check
    context["proposals"] = wallet.proposals(
        version,
        [id_number],
        population_answered=check.answered and check.source == "population",
        registry_answered=check.answered and check.source == "business",
    )
    for code, proposal in context["proposals"].items():  # what the officer chose, to show it again
        proposal.choice = p.get(f"reuse_{code}", "use")
        proposal.reason = p.get(f"reuse_reason_{code}", "").strip()
        proposal.error = ""


def _reuse_decisions(context, p, files, errors) -> tuple[list, list]:
    """The officer's decision on each proposed reuse: use it (the applicant hands in nothing), or
    not, with a reason (a paper handed in anyway counts as not used)."""
    accepted, rejected = [], []
    for code, proposal in context.get("proposals", {}).items():
        choice, reason = proposal.choice, proposal.reason
        if code in files:
            rejected.append((proposal, reason or DEFAULT_REJECT_REASON))
        elif choice == "reject":
            if not reason:
                proposal.error = errors[f"reuse_reason_{code}"] = "Vui lòng nêu lý do không sử dụng giấy tờ đã có."
            rejected.append((proposal, reason))
        else:
            accepted.append(proposal)
    return accepted, rejected


def _submit(request, context, version, ticket):
    p = request.POST
    errors = context["errors"]
    _check_applicant(context, version, p)
    files = {}
    for component in context["components"]:
        checked = []
        for upload in request.FILES.getlist(f"file_{component.code}"):
            try:
                checked.append(documents.check_upload(upload))
            except documents.UploadError as exc:
                errors[f"file_{component.code}"] = str(exc)
        if checked:
            files[component.code] = checked
    scans = _picked_scans(context, files, errors)
    accepted, rejected = _reuse_decisions(context, p, files, errors)
    try:
        if errors:
            return None
        return _receive(request, context, version, ticket, files, scans, accepted, rejected)
    finally:
        for item in scans:
            item.upload.close()


def _picked_scans(context, files, errors) -> list:
    """The scanner's files the officer assigned to a component, checked by content like uploads."""
    codes = {c.code for c in context["components"]}
    desk, picked = context["desk"], []
    for name, code in context["picked"].items():
        if not code:
            continue
        if code not in codes or desk is None:
            errors["scans"] = "Thành phần hồ sơ được chọn cho tệp quét không hợp lệ."
            continue
        try:
            item = scanfolder.check_scan(desk, name)
        except documents.UploadError as exc:
            errors["scans"] = str(exc)
            continue
        picked.append(item)
        files.setdefault(code, []).append(item)
    return picked


def _receive(request, context, version, ticket, files, scans, accepted, rejected):
    p = request.POST
    errors = context["errors"]
    kind = "organization" if p.get("applicant_type") == "organization" else "citizen"
    reused = {proposal.component.code: proposal.source for proposal in accepted}
    provided = [
        {"code": c.code, "copies": _copies(p.get(f"copies_{c.code}"), c.copies)}
        for c in context["components"]
        if (c.code in context["checked"] or c.code in files) and c.code not in reused
    ] + [{"code": code, "source": source} for code, source in reused.items()]
    check = context["verification"]
    desk_code = context["desk"].code if context["desk"] else p.get("desk")
    intake_args = dict(
        user=request.user,
        procedure_code=version.procedure.code,
        channel=p.get("channel") if p.get("channel") in Channel.values else Channel.COUNTER,
        desk_code=desk_code,
        applicant={
            "type": kind,
            "name": p.get("name", ""),
            "id_number": p.get("id_number", ""),
            "phone": p.get("phone", ""),
            "email": p.get("email", ""),
            "address": p.get("address", ""),
        },
        components=provided,
        return_channel=p.get("return_channel") or ReturnChannel.COUNTER,
        return_address=p.get("return_address", ""),
        fee_exemptions=p.getlist("fee_exemptions"),
        idempotency_key=p.get("form_id") or None,
        identity={"status": check.status, "detail": check.detail()},
    )
    supplement = p.get("action") == "supplement"
    try:
        with transaction.atomic():
            if supplement:
                dossier, created = services.register_incomplete(reason=p.get("supplement_reason", ""), **intake_args)
            else:
                dossier, created = services.create_dossier(fee_paid=bool(p.get("fee_paid")), **intake_args)
            for component_code, checked in files.items():  # several files of one paper → one document
                documents.attach(dossier, component_code, checked, user=request.user)
            if created and (accepted or rejected):
                wallet.record_reuses(dossier, accepted, rejected, user=request.user)
            if created and check.status == "not_verified":  # the national system is down: retry later
                transaction.on_commit(lambda: verify_applicant_task.enqueue(dossier.pk, 1))
            if ticket is not None:
                queue.record_intake(ticket.pk, dossier, request.user)
            if scans:
                scanfolder.consume_on_commit(context["desk"], [item.name for item in scans])
    except services.DossierError as exc:
        errors[FIELD_OF_CODE.get(exc.code, "form")] = exc.message
        if exc.code == "missing_components":
            context["missing"] = exc.details or []
        return None
    except queue.QueueError as exc:
        errors["form"] = str(exc)
        return None
    except wallet.WalletError as exc:
        errors["form"] = exc.message
        return None
    return redirect("backoffice:intake-done", code=dossier.code)


def _copies(raw, default: int) -> int:
    return as_int(raw, default=default, minimum=1, maximum=99)


@login_required
def intake_done(request, code):
    dossier = Dossier.objects.visible_to(request.user).select_related("version", "desk").filter(code=code).first()
    if dossier is None:
        raise Http404("Không tìm thấy hồ sơ.")
    log_access(user=request.user, objects=[dossier], object_type="dossier", purpose="tiếp nhận hồ sơ", request=request)
    missing = list(dossier.components.filter(required=True, provided=False))
    reuses = list(dossier.reuses.select_related("document").order_by("component_code", "id"))
    return render(request, "backoffice/intake/done.html", {"d": dossier, "missing": missing, "reuses": reuses})


@login_required
def scan_preview(request, desk: str, name: str):
    """A file waiting in the desk scanner's folder, inline, for the desk's own officers."""
    chosen = next((d for d in _desks(request.user) if d.code == desk), None)
    if chosen is None:
        raise Http404("Không tìm thấy tệp quét.")
    try:
        checked = scanfolder.check_scan(chosen, name)
    except documents.UploadError as exc:
        raise Http404(str(exc)) from None
    response = FileResponse(checked.upload.file, content_type=checked.content_type)
    response["Content-Disposition"] = "inline"
    response["X-Content-Type-Options"] = "nosniff"
    return response
