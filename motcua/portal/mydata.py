"""``/cong-dan/du-lieu-cua-toi/``: a citizen downloads everything the system holds about them
(Law 91/2025 on Personal Data Protection: the data subject's right to obtain their data).

GET shows what the archive contains; POST (CSRF-protected) streams a ZIP:

- ``README.txt`` (Vietnamese): what each file holds;
- ``ca-nhan.json``: the person record (with the population-DB data), the organizations they
  represent, their citizen accounts (logins), notification preferences;
- ``ho-so/<code>.json``: each of their dossiers (applicant or owner, the same rule as
  ``/cong-dan/ho-so/``) with components, steps, events, fee, payments, receipts, rating, reuses;
- ``giay-to.json`` + ``giay-to/<id>-<name>``: the documents (metadata, and the files themselves:
  the current version's original) of their dossiers and of their e-data store;
- ``lich-hen.json``, ``phan-anh.json``: appointments and feedback they sent (by ID number);
- ``chia-se.json``: e-data-store consents (granted, expired, revoked);
- ``nhat-ky-truy-cap.json``: every logged read of their personal data (who, when, why).

All metadata is read before streaming starts (small); the files are then copied in 64 KiB chunks
straight from storage into the ZIP stream, so memory stays flat whatever their size. The download
itself is logged (``DataAccess`` action "export").
"""

from __future__ import annotations

import datetime as dt
import json
import re
import zipfile

from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import Q
from django.http import StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone

from motcua.audit.models import DataAccess
from motcua.audit.services import log_access
from motcua.documents.models import Document, DocumentVersion
from motcua.dossiers.models import Dossier, DossierComponent, Event, Step
from motcua.dossiers.slips import vn_name
from motcua.dossiers.states import event_label
from motcua.engagement.models import Appointment, Feedback, NotificationPreference, Rating
from motcua.identity.models import CitizenAccount, Representative
from motcua.payments.models import Payment, Receipt
from motcua.wallet.models import Consent, Reuse

from .views import citizen_required

CHUNK = 64 * 1024
FORMAT = "motcua.personal-data.v1"

README = """DỮ LIỆU CÁ NHÂN CỦA BẠN – HỆ THỐNG MỘT CỬA ĐIỆN TỬ
==================================================

Tệp nén này gồm toàn bộ dữ liệu mà hệ thống đang lưu giữ về bạn, theo quyền của chủ thể dữ liệu
được quy định tại Luật Bảo vệ dữ liệu cá nhân số 91/2025/QH15 và Nghị định số 356/2025/NĐ-CP.

Người yêu cầu: {name} – số định danh {id_number}
Thời điểm trích xuất: {at}

Các tệp (định dạng JSON, mã UTF-8, mở được bằng trình soạn thảo văn bản hoặc trình duyệt):

- ca-nhan.json            Thông tin cá nhân (kể cả dữ liệu đối chiếu từ Cơ sở dữ liệu quốc gia về
                          dân cư), tổ chức bạn là người đại diện, tài khoản đăng nhập, tùy chọn
                          nhận thông báo.
- ho-so/<mã hồ sơ>.json   Từng hồ sơ thủ tục hành chính bạn là người nộp hoặc chủ hồ sơ: thành
                          phần hồ sơ, các bước xử lý, lịch sử xử lý, phí/lệ phí, thanh toán, biên
                          lai, đánh giá, giấy tờ được tái sử dụng.
- giay-to.json            Thông tin (siêu dữ liệu) các giấy tờ điện tử trong hồ sơ và trong kho
                          dữ liệu của bạn; tệp gốc nằm trong thư mục giay-to/.
- bien-lai/               Biên lai điện tử (PDF), nếu có.
- lich-hen.json           Lịch hẹn nộp hồ sơ.
- phan-anh.json           Phản ánh, kiến nghị bạn đã gửi.
- chia-se.json            Các lần bạn đồng ý chia sẻ kho dữ liệu với cơ quan nhà nước (mục đích,
                          phạm vi, thời hạn, thời điểm rút lại).
- nhat-ky-truy-cap.json   Nhật ký mọi lần dữ liệu cá nhân của bạn được đọc, in, trích xuất: ai,
                          khi nào, cho hồ sơ nào, với mục đích gì.

Thời gian trong các tệp là giờ Việt Nam (UTC+07:00), dạng năm-tháng-ngàyTgiờ:phút:giây.
Ghi chú nội bộ của cán bộ trong quá trình xử lý hồ sơ không thuộc dữ liệu cá nhân của bạn nên
không có trong tệp này. Nếu phát hiện dữ liệu không chính xác, bạn có quyền yêu cầu chỉnh sửa tại
bộ phận một cửa nơi đã tiếp nhận hồ sơ.
"""


def _plain(obj, exclude: tuple[str, ...] = ()) -> dict:
    """The object's stored fields (FKs as ids), local times."""
    out = {}
    for f in obj._meta.concrete_fields:
        if f.name in exclude:
            continue
        value = getattr(obj, f.attname)
        if isinstance(value, dt.datetime) and timezone.is_aware(value):
            value = timezone.localtime(value)
        elif hasattr(value, "name") and hasattr(value, "storage"):  # a FieldFile
            value = value.name or ""
        out[f.attname] = value
    return out


def _json(data) -> bytes:
    return json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False, indent=2).encode("utf-8")


def _safe(name: str) -> str:
    name = re.sub(r"[\\/:*?\"<>|\x00-\x1f]+", "_", name.rsplit("/", 1)[-1]).strip(". ") or "tep"
    return name[:100]


def my_dossiers(person):
    """The same rule as "my dossiers": applicant or owner is the person."""
    return Dossier.objects.filter(Q(applicant_id_number=person.id_number) | Q(owner_id_number=person.id_number))


def collect(person, user) -> tuple[list[tuple[str, bytes]], list[tuple[str, object]]]:
    """(JSON entries, file entries ``(name, FieldFile)``) of everything held about ``person``."""
    idn = person.id_number
    entries: list[tuple[str, bytes]] = []
    files: list[tuple[str, object]] = []

    accounts = [
        {
            **_plain(a, exclude=("user",)),
            "login": a.user.get_username(),
            "email": a.user.email,
            "date_joined": timezone.localtime(a.user.date_joined),
            "last_login": timezone.localtime(a.user.last_login) if a.user.last_login else None,
        }
        for a in CitizenAccount.objects.filter(Q(person=person) | Q(user=user)).select_related("user").order_by("id")
    ]
    representations = [
        {**_plain(r), "organization": _plain(r.organization)}
        for r in Representative.objects.filter(person=person).select_related("organization").order_by("id")
    ]
    prefs = [_plain(p) for p in NotificationPreference.objects.filter(id_number=idn)]
    entries.append(
        (
            "ca-nhan.json",
            _json(
                {
                    "format": FORMAT,
                    "person": _plain(person),
                    "representations": representations,
                    "accounts": accounts,
                    "notification_preferences": prefs,
                }
            ),
        )
    )

    dossiers = list(my_dossiers(person).select_related("version__procedure", "agency").order_by("id"))
    ids = [d.pk for d in dossiers]
    by_dossier = {pk: {"components": [], "steps": [], "events": [], "payments": [], "reuses": []} for pk in ids}
    for c in DossierComponent.objects.filter(dossier_id__in=ids).order_by("id"):
        by_dossier[c.dossier_id]["components"].append(_plain(c))
    for s in Step.objects.filter(dossier_id__in=ids).select_related("agency").order_by("order", "id"):
        by_dossier[s.dossier_id]["steps"].append({**_plain(s), "agency_name": s.agency.name})
    for e in Event.objects.filter(dossier_id__in=ids).select_related("actor", "agency").order_by("id"):
        row = {**_plain(e), "label": event_label(e.action), "agency_name": e.agency.name if e.agency_id else ""}
        row["actor_name"] = vn_name(e.actor) if e.actor_id else ""
        by_dossier[e.dossier_id]["events"].append(row)
    receipts = {r.payment_id: r for r in Receipt.objects.filter(payment__dossier_id__in=ids).select_related("pdf")}
    for p in Payment.objects.filter(dossier_id__in=ids).order_by("id"):
        receipt = receipts.get(p.pk)
        by_dossier[p.dossier_id]["payments"].append(
            {**_plain(p, exclude=("pay_url",)), "receipt": _plain(receipt) if receipt else None}
        )
        if receipt is not None and receipt.pdf_id:
            files.append((f"bien-lai/{_safe(receipt.number)}.pdf", receipt.pdf.file))
    for r in Reuse.objects.filter(dossier_id__in=ids).order_by("id"):
        by_dossier[r.dossier_id]["reuses"].append(_plain(r))
    ratings = {r.dossier_id: _plain(r) for r in Rating.objects.filter(dossier_id__in=ids)}
    for d in dossiers:
        data = {
            "format": FORMAT,
            "procedure": {"code": d.version.procedure.code, "name": d.version.name},
            "agency_name": d.agency.name if d.agency_id else "",
            "state_label": d.state_label,
            "dossier": _plain(d),
            **by_dossier[d.pk],
            "rating": ratings.get(d.pk),
        }
        entries.append((f"ho-so/{_safe(d.code)}.json", _json(data)))

    docs = list(
        Document.objects.filter(Q(owner_id_number=idn) | Q(dossier_id__in=ids))
        .select_related("current__blob", "dossier")
        .order_by("id")
    )
    versions: dict[int, list[dict]] = {}
    for v in DocumentVersion.objects.filter(document_id__in=[doc.pk for doc in docs]).order_by("id"):
        versions.setdefault(v.document_id, []).append(_plain(v))
    doc_rows = []
    for doc in docs:
        name = ""
        if doc.current_id and doc.current.blob_id:
            name = f"giay-to/{doc.pk}-{_safe(doc.name)}"
            files.append((name, doc.current.blob.file))
        doc_rows.append(
            {
                **_plain(doc, exclude=("search_text",)),
                "dossier_code": doc.dossier.code if doc.dossier_id else "",
                "file_in_archive": name,
                "versions": versions.get(doc.pk, []),
            }
        )
    entries.append(("giay-to.json", _json({"format": FORMAT, "documents": doc_rows})))

    appointments = [_plain(a) for a in Appointment.objects.filter(id_number=idn).order_by("id")]
    entries.append(("lich-hen.json", _json({"format": FORMAT, "appointments": appointments})))
    feedback = [_plain(f) for f in Feedback.objects.filter(id_number=idn).order_by("id")]
    entries.append(("phan-anh.json", _json({"format": FORMAT, "feedback": feedback})))
    consents = [
        {**_plain(c), "agency_name": c.agency.name, "active": c.is_active()}
        for c in Consent.objects.filter(owner_id_number=idn).select_related("agency").order_by("id")
    ]
    entries.append(("chia-se.json", _json({"format": FORMAT, "consents": consents})))
    log = [
        {**_plain(r, exclude=("ip",)), "user_name": vn_name(r.user) if r.user_id else ""}
        for r in DataAccess.objects.filter(subject_id_number=idn).select_related("user").order_by("id")
    ]
    entries.append(("nhat-ky-truy-cap.json", _json({"format": FORMAT, "accesses": log})))

    readme = README.format(
        name=person.full_name, id_number=idn, at=timezone.localtime().strftime("%H:%M ngày %d/%m/%Y")
    )
    entries.insert(0, ("README.txt", readme.replace("\n", "\r\n").encode("utf-8")))
    return entries, files


class _Sink:
    """A write-only, non-seekable file for ``zipfile``: what is written is taken out in chunks."""

    def __init__(self):
        self._parts: list[bytes] = []
        self._pos = 0

    def write(self, data) -> int:
        self._parts.append(bytes(data))
        self._pos += len(data)
        return len(data)

    def tell(self) -> int:
        return self._pos

    def flush(self) -> None:
        pass

    def take(self) -> bytes:
        data = b"".join(self._parts)
        self._parts.clear()
        return data


def stream_zip(entries: list[tuple[str, bytes]], files: list[tuple[str, object]]):
    """Yield the ZIP of ``entries`` (in memory, small) and ``files`` (copied chunk by chunk)."""
    sink = _Sink()
    stamp = timezone.localtime().timetuple()[:6]
    with zipfile.ZipFile(sink, "w") as zf:
        for name, data in entries:
            info = zipfile.ZipInfo(name, stamp)
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, data)
            yield sink.take()
        for name, field_file in files:
            info = zipfile.ZipInfo(name, stamp)
            info.compress_type = zipfile.ZIP_STORED  # PDFs and images are compressed already
            try:
                source = field_file.open("rb")
            except (FileNotFoundError, OSError):
                zf.writestr(f"{name}.THIEU-TEP.txt", "Không đọc được tệp này trong kho lưu trữ.".encode())
                yield sink.take()
                continue
            with source, zf.open(info, "w") as out:
                while chunk := source.read(CHUNK):
                    out.write(chunk)
                    if data := sink.take():
                        yield data
            yield sink.take()
    yield sink.take()


@citizen_required
def my_data(request):
    person = request.person
    if request.method != "POST":
        counts = {
            "dossiers": my_dossiers(person).count(),
            "documents": Document.objects.filter(
                Q(owner_id_number=person.id_number) | Q(dossier__in=my_dossiers(person))
            ).count(),
            "accesses": DataAccess.objects.filter(subject_id_number=person.id_number).count(),
        }
        return render(request, "portal/my_data.html", {"counts": counts, "person": person})
    entries, files = collect(person, request.user)
    log_access(
        user=request.user,
        objects=[person],
        object_type="person",
        ref=lambda p: p.id_number,
        subject=lambda p: p.id_number,
        action="export",
        purpose="chủ thể dữ liệu tải toàn bộ dữ liệu của mình",
        request=request,
        dossier=lambda p: "",
    )
    response = StreamingHttpResponse(stream_zip(entries, files), content_type="application/zip")
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response["Content-Disposition"] = f'attachment; filename="du-lieu-ca-nhan-{stamp}.zip"'
    response["Cache-Control"] = "no-store"
    return response
