"""Online submission by a citizen: an e-form generated from the procedure's JSON Schema (prefilled
from the population DB, validated on the server), papers uploaded or reused, review, submit once."""

import datetime as dt

from django.core.files.uploadedfile import SimpleUploadedFile

from motcua.documents.models import Document
from motcua.dossiers import eforms
from motcua.dossiers.models import Dossier, Draft
from motcua.wallet.models import Reuse
from tests.wallet.conftest import PDF, issue

BIRTH = {
    "declarant_name": "Nguyễn Văn An",
    "declarant_relation": "cha",
    "child_name": "Nguyễn Minh Khang",
    "child_sex": "male",
    "child_birth_date": "01/11/2026",
    "birth_place": "Trạm y tế xã Tân Lập",
    "phone": "0912345678",
    "address": "Số 12, thôn 3, xã Tân Lập, tỉnh An Hòa",
    "return_channel": "online",
}


def commune(users):
    """The commune whose desk is MC-99001 (where ``motcua.xa`` works)."""
    return users["motcua.xa"].memberships.get().agency


def start(client, code):
    r = client.get(f"/cong-dan/nop-ho-so/{code}/")
    assert r.status_code == 302 and "/to-khai/" in r["Location"], r.content[:500]
    return r["Location"]


def test_eform_prefilled_validated_saved_and_resumed(client, province, citizen):
    client.force_login(citizen)
    form_url = start(client, "1.001193")
    page = client.get(form_url).content.decode()
    assert 'value="Nguyễn Văn An"' in page and "xã Tân Lập" in page  # from the citizen and the population DB
    assert "Dân tộc của trẻ" in page and 'value="Kinh"' in page
    r = client.post(form_url, {**BIRTH, "child_name": "", "child_birth_date": "31/02/2026", "phone": "abc"})
    assert "Vui lòng chọn cơ quan giải quyết." in r.content.decode()
    body = r.content.decode()
    assert r.status_code == 400
    assert "Vui lòng nhập họ, chữ đệm, tên của trẻ." in body
    assert "ngày/tháng/năm" in body and "số điện thoại liên hệ không đúng định dạng" in body
    r = client.post(form_url, {**BIRTH, "child_name": "", "action": "save"})  # a draft keeps what was typed
    assert r.status_code == 302
    draft = Draft.objects.get()
    assert draft.form_data["birth_place"] == "Trạm y tế xã Tân Lập" and draft.dossier is None
    assert start(client, "1.001193") == form_url  # resumed, not a new draft
    assert "Hồ sơ nháp" in client.get("/cong-dan/ho-so/").content.decode()


def test_submit_with_an_upload_and_a_reuse_once(client, users, citizen):
    held = issue(users)  # a certificate of marital status, reused for the marriage registration
    client.force_login(citizen)
    form_url = start(client, "1.000894")
    draft = Draft.objects.get()
    data = {k: v for k, v in eforms.prefill(eforms.schema_of(draft.version), draft.user.citizen.person).items()}
    r = client.post(
        form_url,
        {
            **data,
            "phone": "0912345678",
            "address": "Thôn 3",
            "partner_name": "Trần Thị Bình",
            "partner_birth_date": "02/05/1987",
            "partner_id_number": "001187012346",
            "partner_residence": "Thôn 5, xã Tân Lập",
            "return_channel": "online",
            "agency": commune(users).pk,
        },
    )
    assert r.status_code == 302, r.content.decode()[:3000]
    papers = r["Location"]
    page = client.get(papers).content.decode()
    assert f'value="{held.uri}"' in page and "population_db" in page  # proposed, chosen by default
    scan = SimpleUploadedFile("to-khai.pdf", PDF, content_type="application/pdf")
    r = client.post(
        papers, {"file_TP01": scan, "reuse_TP02": held.uri, "reuse_TP04": "population_db", "action": "next"}
    )
    assert r.status_code == 302 and r["Location"].endswith("/xem-lai/")
    review = client.get(r["Location"]).content.decode()
    assert "1 tệp tải lên" in review and "dùng lại" in review
    r = client.post(r["Location"])
    assert r.status_code == 302, r.content.decode()[:3000]
    d = Dossier.objects.exclude(pk=held.dossier_id).get()
    assert (d.channel, d.state, d.applicant_id_number) == ("online", "submitted", "001085012345")
    assert d.form_data["partner_name"] == "Trần Thị Bình" and d.form_data["partner_birth_date"] == "1987-05-02"
    sources = dict(d.components.filter(provided=True).values_list("code", "source"))
    assert sources == {"TP01": "applicant", "TP02": "data_store", "TP04": "population_db"}
    assert Reuse.objects.filter(dossier=d, status="accepted").count() == 2
    assert Document.objects.get(dossier=d).source == "online_upload"
    # Submitting again (double click, retry) gives the same dossier.
    again = client.post(f"/cong-dan/ho-so-nhap/{draft.key}/xem-lai/")
    assert again.status_code == 302 and Dossier.objects.count() == 2
    page = client.get(f"/cong-dan/ho-so/{d.code}/").content.decode()
    assert d.code in page and "Mới nộp" in page or d.get_state_display() in page
    assert d.code in client.get("/cong-dan/ho-so/").content.decode()


def test_someone_else_s_draft_and_dossier_are_not_found(client, users, citizen):
    from motcua.identity import services as identity

    client.force_login(citizen)
    start(client, "1.001193")
    draft = Draft.objects.get()
    other = identity.login_vneid({"sub": "kiem", "citizen_id": "056085012345", "name": "Lê Văn Kiểm"})
    client.force_login(other)
    assert client.get(f"/cong-dan/ho-so-nhap/{draft.key}/to-khai/").status_code == 404
    d = issue(users).dossier  # An's dossier
    assert client.get(f"/cong-dan/ho-so/{d.code}/").status_code == 404


def test_eform_prefilled_from_the_data_store(client, users, citizen):
    """The birth registration's e-form takes the parents' marriage certificate number from the
    declarant's e-data store (newest valid one); the review shows the fee (registered late)."""
    held = issue(users, procedure="1.000894", title="Giấy chứng nhận kết hôn")
    client.force_login(citizen)
    form_url = start(client, "1.001193")
    draft = Draft.objects.get()
    assert draft.form_data["parents_marriage_cert_no"] == held.doc_number
    assert f'value="{held.doc_number}"' in client.get(form_url).content.decode()
    r = client.post(form_url, {**BIRTH, "child_birth_date": "15/08/2026", "agency": commune(users).pk})
    assert r.status_code == 302, r.content.decode()[:2000]
    review = client.get(form_url.replace("/to-khai/", "/xem-lai/")).content.decode()
    assert "Phí, lệ phí" in review and "8.000 đồng" in review
    draft.refresh_from_db()
    draft.form_data["child_birth_date"] = dt.date.today().isoformat()  # born today: registered in time, free
    draft.save()
    review = client.get(form_url.replace("/to-khai/", "/xem-lai/")).content.decode()
    assert "Miễn" in review and "Tổng phải nộp" in review
