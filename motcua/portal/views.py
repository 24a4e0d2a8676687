"""Citizen pages: login (VNeID or a local account), the e-data store ("my data store"), sharing,
who read my data, linked accounts and organizations. Thin: rules live in ``identity.services``
and ``wallet.services``; every read of a document is logged (``audit.log_access``)."""

from __future__ import annotations

import datetime as dt
import functools
import logging

from authlib.integrations.base_client.errors import OAuthError
from django.contrib import messages
from django.contrib.auth import authenticate, get_user_model, login, logout
from django.db.models import Q
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from motcua.accounts.lockout import login_rate_limited
from motcua.audit.services import log_access
from motcua.common import submission_limits
from motcua.common.inputs import as_int
from motcua.documents import services as documents
from motcua.documents.models import Document
from motcua.dossiers import eforms, online
from motcua.dossiers.models import Channel, Dossier, Draft, ReturnChannel
from motcua.dossiers.services import DossierError
from motcua.dossiers.slips import vn_name
from motcua.dossiers.states import event_label
from motcua.engagement import notifications
from motcua.engagement.models import NotificationPreference, Rating
from motcua.identity import services as identity
from motcua.identity.models import CitizenAccount
from motcua.identity.verification import verify
from motcua.org.models import Agency, StaffMembership
from motcua.payments import fees
from motcua.wallet import services as wallet
from motcua.wallet.models import Consent

from . import vneid

logger = logging.getLogger(__name__)
ACTION_LABELS = {"read": "Xem", "export": "Tải về, trích xuất", "print": "In"}


def _owners(person) -> list[wallet.Owner]:
    """The stores this person may open: their own, and those of organizations they represent."""
    return [wallet.Owner(person.id_number, person.full_name)] + [
        wallet.Owner(o.code, o.name) for o in identity.organizations_of(person)
    ]


def citizen_required(view):
    """A logged-in citizen resolving to a person (VNeID, or a local account linked to it)."""

    @functools.wraps(view)
    def wrapped(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect(f"{reverse('portal:login')}?next={request.get_full_path()}")
        person = identity.person_of(request.user)
        if person is None:
            return render(request, "portal/unverified.html", status=403)
        request.person = person
        owners = _owners(person)
        chosen = request.GET.get("chu") or request.POST.get("chu") or person.id_number
        request.owner = next((o for o in owners if o.id_number == chosen), owners[0])
        request.owners = owners
        return view(request, *args, **kwargs)

    return wrapped


# ------------------------------------------------------------------------------------------------
# Login
# ------------------------------------------------------------------------------------------------
def login_page(request):
    """Choose VNeID, or a local account (email + password)."""
    error = ""
    if request.method == "POST":
        limited = login_rate_limited(request, "citizen")
        if limited is not None:
            return limited
        user = authenticate(
            request, username=request.POST.get("email", "").strip().lower(), password=request.POST.get("password", "")
        )
        if user is not None and CitizenAccount.objects.filter(user=user).exists():
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            return redirect(_next(request) or "portal:my-dossiers")
        error = "Thư điện tử hoặc mật khẩu không đúng."
        pending = (
            get_user_model()
            .objects.filter(
                username=request.POST.get("email", "").strip().lower(), is_active=False, citizen__isnull=False
            )
            .first()
        )
        if pending is not None and pending.check_password(request.POST.get("password", "")):
            error = "Tài khoản chưa được kích hoạt: vui lòng mở liên kết xác nhận trong thư điện tử đã gửi cho bạn."
    return render(request, "portal/login.html", {"error": error, "next": _next(request)}, status=400 if error else 200)


def register_page(request):
    """A local account: email + password + the personal ID it claims; active once the email is confirmed."""
    errors: dict = {}
    values = request.POST if request.method == "POST" else {}
    if request.method == "POST":
        if request.POST.get("password") != request.POST.get("password2"):
            errors["password2"] = "Mật khẩu nhập lại không khớp."
        if not request.POST.get("full_name", "").strip():
            errors["full_name"] = "Vui lòng nhập họ và tên."
        if not errors:
            try:
                user = identity.register_local_account(
                    email=request.POST.get("email", ""),
                    password=request.POST.get("password", ""),
                    full_name=request.POST.get("full_name", ""),
                    id_number=request.POST.get("id_number", ""),
                    verify_email=True,
                )
            except identity.IdentityError as exc:
                field = {"invalid_email": "email", "email_taken": "email", "invalid_id_number": "id_number"}
                errors[field.get(exc.code, "password")] = exc.message
            else:
                identity.send_email_verification(
                    user, request.build_absolute_uri(reverse("portal:register-confirm-base"))
                )
                return render(request, "portal/register_sent.html", {"email": user.email})
    return render(request, "portal/register.html", {"errors": errors, "values": values}, status=400 if errors else 200)


def register_confirm(request, uidb64: str, token: str):
    user = identity.confirm_email(uidb64, token)
    if user is None:
        messages.error(request, "Liên kết xác nhận không hợp lệ hoặc đã được sử dụng.")
        return redirect("portal:login")
    login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    messages.success(request, "Đã kích hoạt tài khoản. Đăng nhập bằng VNeID một lần để liên kết và mở kho dữ liệu.")
    return redirect("portal:my-dossiers")


def _next(request) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    ok = url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure())
    return target if ok else ""


def vneid_start(request):
    request.session["vneid_next"] = _next(request)
    redirect_uri = request.build_absolute_uri(reverse("portal:vneid-callback"))
    try:
        return vneid.client().authorize_redirect(request, redirect_uri)
    except Exception as exc:  # the provider's metadata could not be read: down or misconfigured
        logger.warning("VNeID unavailable: %s", exc.__class__.__name__)
        messages.error(request, "Hệ thống định danh điện tử VNeID đang không phản hồi. Vui lòng thử lại sau.")
        return redirect("portal:login")


def vneid_callback(request):
    try:
        token = vneid.client().authorize_access_token(request)
    except OAuthError as exc:
        if exc.error == "access_denied":
            messages.error(request, "Bạn đã hủy đăng nhập bằng VNeID.")
        else:
            messages.error(request, "Đăng nhập bằng VNeID không thành công. Vui lòng thử lại.")
        return redirect("portal:login")
    except Exception as exc:  # token endpoint down, bad signature, …: never a 500
        logger.warning("VNeID callback failed: %s", exc.__class__.__name__)
        messages.error(request, "Đăng nhập bằng VNeID không thành công. Vui lòng thử lại.")
        return redirect("portal:login")
    try:
        user = identity.login_vneid(token.get("userinfo") or {})
    except identity.IdentityError as exc:
        messages.error(request, exc.message)
        return redirect("portal:login")
    login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    return redirect(request.session.pop("vneid_next", "") or "portal:wallet")


@require_POST
def logout_view(request):
    logout(request)
    return redirect("portal:login")


# ------------------------------------------------------------------------------------------------
# The e-data store
# ------------------------------------------------------------------------------------------------
@citizen_required
def wallet_page(request):
    sections = wallet.holdings([request.owner.id_number])
    return render(request, "portal/wallet.html", {"sections": sections, "upload_error": ""})


@citizen_required
def wallet_download(request, pk: int):
    doc = (
        wallet.owner_documents([o.id_number for o in request.owners])
        .select_related("current__blob", "current__pdf")
        .filter(pk=pk)
        .first()
    )
    if doc is None:
        raise Http404("Không tìm thấy giấy tờ.")
    log_access(
        user=request.user,
        objects=[doc],
        object_type="document",
        ref=lambda d: f"TL{d.pk}",
        purpose="chủ sở hữu tải về",
        request=request,
    )
    blob = doc.pdf or doc.current.blob
    name = doc.name if blob.pk == doc.current.blob_id else f"{doc.name.rsplit('.', 1)[0]}.pdf"
    response = FileResponse(blob.file.open("rb"), content_type=blob.content_type, as_attachment=True, filename=name)
    response["X-Content-Type-Options"] = "nosniff"
    return response


@citizen_required
@require_POST
def wallet_upload(request):
    upload = request.FILES.get("file")
    error = ""
    if upload is None:
        error = "Vui lòng chọn tệp cần tải lên."
    else:
        try:
            checked = documents.check_upload(upload)
            wallet.upload_own(request.owner, checked, title=request.POST.get("title", ""), user=request.user)
        except (documents.UploadError, wallet.WalletError) as exc:
            error = getattr(exc, "message", str(exc))
    if error:
        sections = wallet.holdings([request.owner.id_number])
        return render(request, "portal/wallet.html", {"sections": sections, "upload_error": error}, status=400)
    messages.success(request, "Đã lưu giấy tờ vào kho dữ liệu của bạn.")
    return redirect(f"{reverse('portal:wallet')}?chu={request.owner.id_number}")


# ------------------------------------------------------------------------------------------------
# Sharing and the access log
# ------------------------------------------------------------------------------------------------
@citizen_required
def consents_page(request):
    errors: dict = {}
    values = request.POST if request.method == "POST" else {}
    if request.method == "POST":
        agency = Agency.objects.filter(pk=as_int(request.POST.get("agency"), default=0)).first()
        doc = None
        if request.POST.get("document"):
            doc_id = as_int(request.POST["document"], default=0)
            doc = wallet.owner_documents([request.owner.id_number]).filter(pk=doc_id).first()
            if doc is None:
                errors["document"] = "Giấy tờ được chọn không thuộc kho dữ liệu của bạn."
        if agency is None:
            errors["agency"] = "Vui lòng chọn cơ quan được chia sẻ."
        try:
            expires = dt.datetime.strptime(request.POST.get("expires", "").strip(), "%d/%m/%Y").date()
        except ValueError:
            errors["expires"] = "Ngày hết hạn phải có dạng ngày/tháng/năm, ví dụ 31/12/2026."
            expires = None
        if not request.POST.get("purpose", "").strip():
            errors["purpose"] = "Vui lòng nêu mục đích chia sẻ dữ liệu."
        if expires is not None and expires <= dt.date.today():
            errors["expires"] = "Ngày hết hạn chia sẻ phải sau ngày hôm nay."
        if not errors:
            try:
                wallet.grant_consent(
                    request.owner,
                    agency=agency,
                    purpose=request.POST.get("purpose", ""),
                    expires_on=expires,
                    document=doc,
                    user=request.user,
                )
            except wallet.WalletError as exc:
                errors["purpose" if exc.code == "missing_purpose" else "expires"] = exc.message
        if not errors:
            messages.success(request, f"Đã chia sẻ dữ liệu với {agency.name}.")
            return redirect(f"{reverse('portal:consents')}?chu={request.owner.id_number}")
    context = {
        "consents": Consent.objects.filter(owner_id_number=request.owner.id_number).select_related(
            "agency", "document"
        ),
        "agencies": Agency.objects.active_on().order_by("name").only("id", "name"),
        "documents": wallet.owner_documents([request.owner.id_number])
        .only("id", "title", "name")
        .order_by("-id")[:200],
        "errors": errors,
        "values": values,
    }
    return render(request, "portal/consents.html", context, status=400 if errors else 200)


@citizen_required
@require_POST
def consent_revoke(request, pk: int):
    try:
        wallet.revoke_consent(request.owner, pk)
        messages.success(request, "Đã rút lại sự đồng ý chia sẻ.")
    except wallet.WalletError as exc:
        if exc.code == "not_found":  # not one of this owner's consents
            raise Http404(exc.message) from None
        messages.error(request, exc.message)
    return redirect(f"{reverse('portal:consents')}?chu={request.owner.id_number}")


@citizen_required
def access_log_page(request):
    rows = list(wallet.access_log([request.owner.id_number], exclude_user=request.user))

    def doc_id(r) -> int | None:
        ref = r.object_ref[2:] if r.object_ref.startswith("TL") else ""
        return as_int(ref) if r.object_type == "document" else None

    docs = Document.objects.filter(pk__in=[i for r in rows if (i := doc_id(r))]).only("id", "title", "name").in_bulk()
    users = {r.user_id for r in rows if r.user_id}
    agencies: dict[int, str] = {}
    for m in StaffMembership.objects.filter(user_id__in=users, active=True).select_related("agency").order_by("id"):
        agencies.setdefault(m.user_id, m.agency.name)
    entries = []
    for r in rows:
        doc = docs.get(doc_id(r) or 0)
        entries.append(
            {
                "at": r.at,
                "who": vn_name(r.user) if r.user_id else r.client_id,
                "agency": agencies.get(r.user_id, ""),
                "what": (doc.title or doc.name) if doc else ("Hồ sơ" if r.object_type == "dossier" else "Giấy tờ"),
                "dossier": r.dossier_code or (r.object_ref if r.object_type == "dossier" else ""),
                "purpose": r.purpose,
                "action": ACTION_LABELS.get(r.action, r.action),
            }
        )
    return render(request, "portal/access_log.html", {"entries": entries})


# ------------------------------------------------------------------------------------------------
# Account: the person, linked logins, organizations
# ------------------------------------------------------------------------------------------------
@citizen_required
def account_page(request):
    errors: dict = {}
    if request.method == "POST":
        try:
            if request.POST.get("action") == "link_local":
                identity.link_local_account(
                    request.user, request.POST.get("email", ""), request.POST.get("password", ""), request=request
                )
                messages.success(
                    request, "Đã liên kết tài khoản: đăng nhập bằng tài khoản này cũng vào kho dữ liệu của bạn."
                )
            elif request.POST.get("action") == "prefs":
                notifications.set_preferences(
                    request.person.id_number, email=bool(request.POST.get("email")), sms=bool(request.POST.get("sms"))
                )
                messages.success(request, "Đã lưu cách nhận thông báo.")
            elif request.POST.get("action") == "link_org":
                rep = identity.link_representative(request.person, request.POST.get("code", ""))
                messages.success(request, f"Đã liên kết với {rep.organization.name}.")
            return redirect("portal:account")
        except identity.IdentityError as exc:
            errors[request.POST.get("action", "form")] = exc.message
    context = {
        "person": request.person,
        "record": request.person.record or {},
        "accounts": CitizenAccount.objects.filter(person=request.person).select_related("user"),
        "organizations": identity.organizations_of(request.person),
        "errors": errors,
        "prefs": NotificationPreference.objects.filter(id_number=request.person.id_number).first(),
    }
    return render(request, "portal/account.html", context, status=400 if errors else 200)


# ------------------------------------------------------------------------------------------------
# Online submission (wizard: e-form → papers → review and submit) and "my dossiers"
# ------------------------------------------------------------------------------------------------
def _draft(request, key) -> Draft:
    draft = (
        Draft.objects.select_related("version__procedure", "agency", "dossier")
        .filter(key=key, user=request.user)
        .first()
    )
    if draft is None:
        raise Http404("Không tìm thấy hồ sơ nháp.")
    return draft


@citizen_required
def submit_start(request, code: str):
    try:
        draft = online.start(request.user, request.person, code)
    except DossierError as exc:
        messages.error(request, exc.message)
        return redirect("portal:my-dossiers")
    return redirect("portal:draft-form", key=draft.key)


@citizen_required
def draft_form(request, key):
    draft = _draft(request, key)
    if draft.dossier_id:
        return redirect("portal:my-dossier", code=draft.dossier.code)
    schema = eforms.schema_of(draft.version)
    errors: dict = {}
    if request.method == "POST":
        errors = online.save_form(
            draft,
            request.POST,
            agency_id=request.POST.get("agency", ""),
            return_channel=request.POST.get("return_channel"),
            return_address=request.POST.get("return_address", ""),
        )
        if request.POST.get("action") == "save":
            messages.success(request, "Đã lưu hồ sơ nháp; bạn có thể tiếp tục sau.")
            return redirect("portal:draft-form", key=draft.key)
        if not errors:
            return redirect("portal:draft-papers", key=draft.key)
    context = {
        "draft": draft,
        "step": 1,
        "fields": eforms.fields(schema, draft.form_data, errors),
        "errors": errors,
        "agencies": online.candidate_agencies(draft.version),
        "return_channels": ReturnChannel.choices,
    }
    return render(request, "portal/submit/form.html", context, status=400 if errors else 200)


@citizen_required
def draft_papers(request, key):
    draft = _draft(request, key)
    if draft.dossier_id:
        return redirect("portal:my-dossier", code=draft.dossier.code)
    version = draft.version
    error = ""
    if request.method == "POST":
        try:
            for c in version.components.all():
                uploads = request.FILES.getlist(f"file_{c.code}")
                if uploads:
                    online.add_files(draft, c.code, [documents.check_upload(u) for u in uploads])
                elif f"reuse_{c.code}" in request.POST:
                    online.choose(draft, c.code, request.POST.get(f"reuse_{c.code}") or None)
            if request.POST.get("remove"):
                code, _, index = request.POST["remove"].partition(":")
                online.remove_file(draft, code, as_int(index, default=-1))
                return redirect("portal:draft-papers", key=draft.key)
        except (documents.UploadError, DossierError) as exc:
            error = getattr(exc, "message", str(exc))
        if not error and request.POST.get("action") == "next":
            return redirect("portal:draft-review", key=draft.key)
        if not error:
            return redirect("portal:draft-papers", key=draft.key)
    check = verify(request.person.id_number, request.person.full_name)
    offered = wallet.proposals(version, [request.person.id_number], population_answered=check.answered)
    rows = []
    for c in version.components.all():
        item = draft.components.get(c.code, {})
        rows.append(
            {"c": c, "proposal": offered.get(c.code), "reuse": item.get("reuse", ""), "files": item.get("files", [])}
        )
    for row in rows:  # a proposal is taken unless the citizen uploaded instead or declined it
        p, code = row["proposal"], row["c"].code
        if p is not None and code not in draft.components:
            row["reuse"] = p.document.uri if p.document else p.source
            online.choose(draft, code, row["reuse"])
    context = {"draft": draft, "step": 2, "rows": rows, "error": error}
    return render(request, "portal/submit/papers.html", context, status=400 if error else 200)


@citizen_required
def draft_review(request, key):
    draft = _draft(request, key)
    if draft.dossier_id:
        return redirect("portal:my-dossier", code=draft.dossier.code)
    errors: dict = {}
    message = ""
    limited = False
    if request.method == "POST":
        allowed, wait = submission_limits.allow("citizen_submit", request.person.id_number, "CITIZEN_SUBMIT_RATE")
        try:
            if not allowed:
                limited = True
                later = submission_limits.wait_text(wait)
                raise DossierError(f"Bạn đã nộp quá nhiều hồ sơ trong thời gian ngắn. Vui lòng thử lại sau {later}.")
            dossier, _ = online.submit(draft, request.user, request.person)
        except DossierError as exc:
            message, errors = exc.message, exc.details or {}
        else:
            messages.success(request, f"Đã nộp hồ sơ {dossier.code}. Bộ phận một cửa sẽ kiểm tra và tiếp nhận.")
            return redirect("portal:my-dossier", code=dossier.code)
    schema = eforms.schema_of(draft.version)
    components = []
    for c in draft.version.components.all():
        item = draft.components.get(c.code, {})
        components.append({"c": c, "reuse": item.get("reuse", ""), "files": item.get("files", [])})
    facts = fees.facts_for(schema, draft.form_data, channel=Channel.ONLINE, on=timezone.localdate())
    context = {
        "draft": draft,
        "step": 3,
        "quote": fees.compute(draft.version, facts),
        "summary": eforms.summary(schema, draft.form_data),
        "components": components,
        "message": message,
        "errors": errors,
    }
    return render(request, "portal/submit/review.html", context, status=429 if limited else 400 if message else 200)


def _my_dossiers(person):
    return Dossier.objects.filter(Q(applicant_id_number=person.id_number) | Q(owner_id_number=person.id_number))


@citizen_required
def my_dossiers(request):
    before = as_int(request.GET.get("truoc"))
    qs = _my_dossiers(request.person).select_related("version__procedure", "agency").order_by("-id")
    if before is not None:
        qs = qs.filter(id__lt=before)
    page = list(qs[:21])
    drafts = Draft.objects.filter(user=request.user, dossier__isnull=True).select_related("version__procedure")
    context = {
        "dossiers": page[:20],
        "next_before": page[19].id if len(page) > 20 else None,
        "drafts": drafts,
    }
    return render(request, "portal/my_dossiers.html", context)


@citizen_required
def my_dossier(request, code: str):
    d = (
        _my_dossiers(request.person)
        .select_related("version__procedure", "agency", "desk")
        .prefetch_related("components", "events")
        .filter(code=code)
        .first()
    )
    if d is None:
        raise Http404("Không tìm thấy hồ sơ.")
    log_access(
        user=request.user, objects=[d], object_type="dossier", purpose="công dân xem hồ sơ của mình", request=request
    )
    results = list(
        Document.objects.filter(dossier=d, kind__in=("result", "certified_copy"), current__isnull=False).order_by("id")
    )
    schema = eforms.schema_of(d.version)
    context = {
        "d": d,
        "summary": eforms.summary(schema, d.form_data) if d.form_data else [],
        "events": [{"at": e.at, "label": event_label(e.action)} for e in d.events.all()],
        "results": results,
        "rated": Rating.objects.filter(dossier=d).exists(),
    }
    return render(request, "portal/my_dossier.html", context)


def register_confirm_base(request):
    """The confirmation link's prefix (a bare visit explains where the link comes from)."""
    return redirect("portal:login")
