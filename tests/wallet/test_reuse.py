"""'Provide it only once' at the counter: the applicant checked against the population DB, held
papers and national data proposed for each component, accepted or rejected with a reason, recorded
on the dossier and its components, and readable by the handling agency through the dossier."""

import datetime as dt

import requests
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from motcua.audit.models import DataAccess
from motcua.documents import services as documents
from motcua.documents.models import Document
from motcua.dossiers.models import Dossier, Event
from motcua.identity.tasks import verify_applicant
from motcua.wallet import services as wallet
from motcua.wallet.models import Reuse

from .conftest import AN, PDF, issue

URL = "/can-bo/tiep-nhan/"


def form(procedure="1.000894", **extra):
    data = {
        "procedure": procedure,
        "name": AN["name"],
        "id_number": AN["id_number"],
        "phone": AN["phone"],
        "return_channel": "counter",
        "fee_paid": "1",
        "action": "receive",
        "provided": ["TP01"],
    }
    data.update(extra)
    return data


def test_the_counter_sees_the_check_and_what_is_already_held(client, users, held):
    client.force_login(users["motcua.xa"])
    r = client.post(URL, form(action="check", dob="12/03/1985"))
    page = r.content.decode()
    assert r.status_code == 200
    assert "khớp với Cơ sở dữ liệu quốc gia" in page and "xã Tân Lập" in page
    assert 'id="reuse-TP02"' in page and held.uri in page  # the certificate, by its store address
    assert 'id="reuse-TP04"' in page and "CSDL quốc gia về dân cư" in page  # ID data from the population DB
    assert Dossier.objects.count() == 1  # checking writes nothing (the one that issued the certificate)


def test_mismatches_are_shown_to_the_officer(client, users):
    client.force_login(users["motcua.xa"])
    page = client.post(URL, form(action="check", name="Nguyễn Văn Anh", dob="13/03/1985")).content.decode()
    assert "không khớp" in page and "Nguyễn Văn An" in page and "12/03/1985" in page
    page = client.post(URL, form(action="check", dob="12/03/1986")).content.decode()
    assert "năm sinh 1985, khác năm sinh khai báo 1986" in page


def test_receive_reusing_the_held_paper_and_population_data(client, users, held):
    client.force_login(users["motcua.xa"])
    r = client.post(URL, form())
    assert r.status_code == 302, r.content.decode()[:3000]
    d = Dossier.objects.exclude(pk=held.dossier_id).get()
    assert d.identity_status == "verified" and d.identity_checked_at is not None
    sources = dict(d.components.filter(provided=True).values_list("code", "source"))
    assert sources == {"TP01": "applicant", "TP02": "data_store", "TP04": "population_db"}
    reuses = {r.component_code: r for r in Reuse.objects.filter(dossier=d)}
    assert reuses["TP02"].document == held and reuses["TP02"].status == "accepted"
    assert reuses["TP04"].document is None and reuses["TP04"].source == "population_db"
    assert not Document.objects.filter(dossier=d).exists()  # nothing uploaded again
    submit = Event.objects.get(dossier=d, action="submit")
    assert submit.payload["component_sources"] == {"TP02": "data_store", "TP04": "population_db"}
    done = client.get(r["Location"]).content.decode()
    assert "Đã tái sử dụng" in done and "Đã đối chiếu, khớp" in done
    # The handling commune's specialist reads the reused paper through this dossier; another commune cannot.
    assert Document.objects.visible_to(users["chuyenvien.xa"]).filter(pk=held.pk).exists()
    page = client.get(f"/can-bo/ho-so/{d.code}/").content.decode()
    assert 'id="reuses"' in page and held.uri in page
    # Opened from this dossier, the read is logged for this dossier (the owner sees which one).
    client.force_login(users["chuyenvien.xa"])
    assert client.get(f"/can-bo/tai-lieu/{held.pk}/thong-tin/?ho_so={d.code}").status_code == 200
    read = DataAccess.objects.get(user=users["chuyenvien.xa"], object_ref=f"TL{held.pk}")
    assert (read.dossier_code, read.subject_id_number) == (d.code, AN["id_number"])


def test_officer_rejects_a_proposal_with_a_reason(client, users, held):
    client.force_login(users["motcua.xa"])
    r = client.post(URL, form(reuse_TP02="reject"))
    assert r.status_code == 400 and "Vui lòng nêu lý do" in r.content.decode()
    assert Dossier.objects.count() == 1  # only the one that issued the certificate
    r = client.post(URL, form(reuse_TP02="reject", reuse_reason_TP02="Giấy xác nhận cấp cho việc kết hôn khác."))
    assert r.status_code == 302
    d = Dossier.objects.exclude(pk=held.dossier_id).get()
    rejected = Reuse.objects.get(dossier=d, component_code="TP02")
    assert rejected.status == "rejected" and rejected.reason.startswith("Giấy xác nhận")
    assert not d.components.get(code="TP02").provided


def test_a_paper_handed_in_anyway_counts_as_not_reused(client, users, held):
    client.force_login(users["motcua.xa"])
    scan = SimpleUploadedFile("xac-nhan.pdf", PDF, content_type="application/pdf")
    assert client.post(URL, form(file_TP02=scan)).status_code == 302
    d = Dossier.objects.exclude(pk=held.dossier_id).get()
    assert Reuse.objects.get(dossier=d, component_code="TP02").status == "rejected"
    assert d.components.get(code="TP02").source == "applicant"


def test_only_valid_documents_are_proposed(users, held):
    from motcua.catalog.models import ProcedureVersion

    version = ProcedureVersion.objects.in_force(dt.date.today()).get(procedure__code="1.000894")
    assert wallet.proposals(version, [AN["id_number"]])["TP02"].document == held
    expired = issue(users, valid_days=-1)
    assert wallet.proposals(version, [AN["id_number"]])["TP02"].document == held
    documents.revoke(held, "Cấp sai thông tin.", users["lanhdao.xa"])
    assert "TP02" not in wallet.proposals(version, [AN["id_number"]])
    assert "TP02" not in wallet.proposals(version, ["056085012345"])  # another person's store
    assert expired.valid_until < dt.date.today()
    # National data only when the database answered.
    assert "TP04" not in wallet.proposals(version, [AN["id_number"]], population_answered=False)


def test_revocation_is_the_issuing_agency_s_and_needs_a_reason(users, held, stranger):
    import pytest

    with pytest.raises(documents.RevokeError, match="lý do"):
        documents.revoke(held, " ", users["lanhdao.xa"])
    with pytest.raises(documents.RevokeError, match="cơ quan đã cấp"):
        documents.revoke(held, "Sai", stranger)
    documents.revoke(held, "Cấp sai thông tin.", users["lanhdao.xa"])
    assert Event.objects.filter(dossier=held.dossier, action="revoke_document").exists()


def test_residence_data_replaces_the_paper_only_when_the_population_db_answers(client, users, simulators):
    client.force_login(users["motcua.tinh"])
    # 1.010060: "household members (from the population DB)" is required.
    r = client.post(URL, form(procedure="1.010060", provided=[]))
    assert r.status_code == 302, r.content.decode()[:2000]
    d = Dossier.objects.get()
    assert d.components.get(code="TP02").source == "population_db"
    requests.post(f"{simulators['population']}/_sim/faults", json={"mode": "error", "status": 503}, timeout=2)
    cache.clear()  # the answer above is cached for minutes; a later applicant finds the system down
    r = client.post(URL, form(procedure="1.010060", provided=[], form_id="second"))
    assert r.status_code == 400 and "TP02" in r.content.decode()


def test_intake_goes_on_when_the_population_db_is_down_and_is_checked_again(
    client, users, simulators, django_capture_on_commit_callbacks
):
    from django_tasks import default_task_backend

    client.force_login(users["motcua.xa"])
    fault = f"{simulators['population']}/_sim/faults"
    requests.post(fault, json={"mode": "error", "status": 503}, timeout=2)
    with django_capture_on_commit_callbacks(execute=True):
        r = client.post(URL, form(procedure="1.001193", provided=["TP01", "TP02"]))
    assert r.status_code == 302, r.content.decode()[:2000]
    d = Dossier.objects.get()
    assert d.identity_status == "not_verified"
    assert "không phản hồi" in client.get(r["Location"]).content.decode() or d.identity_detail["message"]
    assert any(t.task.name == "verify_applicant_task" for t in default_task_backend.results)
    requests.delete(fault, timeout=2)
    check = verify_applicant(d.pk)
    d.refresh_from_db()
    assert check.status == d.identity_status == "verified"
    assert Event.objects.filter(dossier=d, action="verify_identity").exists()
    # The officer's "check again" asks the source, not the cache.
    requests.post(fault, json={"mode": "error", "status": 503}, timeout=2)
    r = client.post(f"/can-bo/ho-so/{d.code}/doi-chieu/")
    assert r.status_code == 302
    d.refresh_from_db()
    assert d.identity_status == "not_verified" and d.identity_checked_at <= timezone.now()
