"""The world of the access tests: commune A's dossier of Nguyễn Văn An and everything around it."""

import datetime as dt
import uuid

import pytest
from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile

from motcua.dossiers import services
from motcua.dossiers.models import SavedFilter
from motcua.org.models import Desk, StaffMembership
from motcua.org.roles import Role
from tests.api.conftest import act, result_document

# An: an applicant of the walk only (the demo's example ID numbers appear in placeholders).
AN = {"name": "Nguyễn Văn An", "id_number": "001090054321", "phone": "0987654321", "address": "Thôn 1"}
BINH = {"name": "Trần Thị Bình", "id_number": "001185012346"}


# ------------------------------------------------------------------------------------------------
# The world
# ------------------------------------------------------------------------------------------------
@pytest.fixture
def world(users, simulators):
    from motcua.identity import services as identity
    from motcua.payments.models import Payment
    from motcua.reports.models import ReportFile
    from motcua.wallet import services as wallet

    d, _ = services.create_dossier(
        user=users["motcua.xa"],
        procedure_code="1.001193",
        channel="counter",
        applicant=AN,
        components=["TP01", "TP02"],
        fee_paid=True,
        identity={"status": "verified"},
    )
    d = act(users, d, "transfer", "motcua.xa")
    doc = result_document(d)
    an = identity.login_vneid({"sub": "an-sub", "citizen_id": AN["id_number"], "name": AN["name"]})
    binh = identity.login_vneid({"sub": "binh-sub", "citizen_id": BINH["id_number"], "name": BINH["name"]})
    an_person = identity.person_of(an)
    from motcua.dossiers import online

    draft = online.start(an, an_person, "1.001193")
    consent = wallet.grant_consent(
        wallet.Owner(AN["id_number"], AN["name"]),
        agency=d.agency,
        purpose="Giải quyết thủ tục",
        expires_on=dt.date.today() + dt.timedelta(days=30),
        user=an,
    )
    payment = Payment.objects.create(
        dossier=d, order_id=f"T{uuid.uuid4().hex[:12]}", amount=8000, payer_id_number=AN["id_number"]
    )
    report = ReportFile.objects.create(
        kind="monthly", start=dt.date(2026, 1, 1), end=dt.date(2026, 1, 31), agency=d.agency, fmt="xlsx"
    )
    report.file.save("bao-cao.xlsx", ContentFile(b"PK\x03\x04 secret"), save=True)
    saved = SavedFilter.objects.create(user=users["motcua.xa"], name="Của tôi", querystring="state=received")

    from motcua.engagement import feedback

    fb = feedback.submit(
        kind="phan_anh",
        agency=d.agency,
        subject="Chậm trả kết quả",
        content=f"Hồ sơ {d.code} đã quá hạn mà chưa có kết quả, đề nghị cơ quan kiểm tra và trả lời.",
        person=an_person,
        sender_name=AN["name"],
        phone=AN["phone"],
        dossier_code=d.code,
    )
    kwargs = {
        "code": d.code,
        "action": "transfer",
        "number": "01",
        "pk": doc.pk,
        "document": doc.pk,
        "key": str(draft.key),
        "fmt": "xlsx",
        "desk": "MC-99001",
        "name": "scan.pdf",
        "desk_code": "MC-99001",
        "ticket_id": 1,
        "token": "khong-hop-le",
        "uidb64": "MQ",
        "issuer_path": "x",
        "resource_path": "x",
        "client_id": "x",
        "user_code": "x",
    }
    # per-route objects where "pk"/"code" means something else
    per_route = {
        "portal:consent-revoke": {"pk": consent.pk},
        "payments:receipt": {"pk": payment.pk},
        "report-file": {"pk": report.pk},
        "work:delete-filter": {"pk": saved.pk},
        "engagement:feedback-detail": {"code": fb.code},
        "engagement:feedback-track": {"code": fb.code},
        "engagement:rate": {"code": d.code},
        "portal:wallet-download": {"pk": doc.pk},
        "public:procedure": {"code": "1.001193"},
        "backoffice:procedure": {"code": "1.001193"},
        "api:procedure-detail": {"code": "1.001193"},
        "engagement:kiosk-procedure": {"code": "1.001193"},
        "engagement:kiosk-take": {"code": "1.001193"},
        "portal:submit": {"code": "1.001193"},
        "engagement:appointment-cancel": {"code": "LH000001"},
        "engagement:appointment-reschedule": {"code": "LH000001"},
        "portal:register-confirm": {"token": "x-y"},
    }
    return {
        "dossier": d,
        "an": an,
        "binh": binh,
        "kwargs": kwargs,
        "per_route": per_route,
        "secrets": [AN["id_number"], AN["phone"]],
        "private": [AN["id_number"], AN["phone"], d.code],
    }


def other_agency_staff(role: str):
    """A user holding ``role`` at commune B (MC-99002)."""
    desk = Desk.objects.get(code="MC-99002")
    user = get_user_model().objects.create(username=f"b.{role}", first_name="Cán bộ xã B")
    StaffMembership.objects.create(
        user=user, agency=desk.agency, role=role, desk=desk if role in {Role.DESK_OFFICER, Role.POSTAL_STAFF} else None
    )
    return user
