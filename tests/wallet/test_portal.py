"""The citizen's e-data store: what they hold (issued apart from their own uploads), downloads,
sharing with an agency (purpose, expiry, revocable), and who read their data."""

import datetime as dt

from django.core.files.uploadedfile import SimpleUploadedFile

from motcua.audit.models import DataAccess
from motcua.documents.models import Document, Kind
from motcua.org.models import Agency, StaffMembership
from motcua.wallet import services as wallet
from motcua.wallet import uris

from .conftest import AN, PDF, issue


def test_the_store_lists_issued_documents_with_their_address(client, held, citizen):
    client.force_login(citizen)
    page = client.get("/cong-dan/kho-du-lieu/").content.decode()
    assert 'id="section-results"' in page and "Giấy xác nhận tình trạng hôn nhân" in page
    assert held.uri in page and "Còn hiệu lực" in page
    assert uris.resolve(held.uri, Document.objects.all()) == held
    assert uris.resolve(held.uri.replace("1.004873", "1.000000"), Document.objects.all()) is None


def test_download_is_the_owner_s_only_and_logged(client, users, held, citizen):
    client.force_login(citizen)
    r = client.get(f"/cong-dan/kho-du-lieu/{held.pk}/tai-ve/")
    assert r.status_code == 200 and b"".join(r.streaming_content) == PDF
    assert DataAccess.objects.filter(user=citizen, object_ref=f"TL{held.pk}").exists()
    other = issue(users, owner={"name": "Lê Văn Kiểm", "id_number": "056085012345"})
    assert client.get(f"/cong-dan/kho-du-lieu/{other.pk}/tai-ve/").status_code == 404


def test_own_uploads_are_kept_apart_and_never_proposed(client, citizen):
    client.force_login(citizen)
    r = client.post("/cong-dan/kho-du-lieu/tai-len/", {"title": "", "file": SimpleUploadedFile("a.pdf", PDF)})
    assert r.status_code == 400 and "Vui lòng nhập tên giấy tờ" in r.content.decode()
    exe = SimpleUploadedFile("a.pdf", b"MZ\x90\x00", content_type="application/pdf")
    assert client.post("/cong-dan/kho-du-lieu/tai-len/", {"title": "Bằng lái", "file": exe}).status_code == 400
    r = client.post(
        "/cong-dan/kho-du-lieu/tai-len/", {"title": "Bằng tốt nghiệp", "file": SimpleUploadedFile("b.pdf", PDF)}
    )
    assert r.status_code == 302
    doc = Document.objects.get(kind=Kind.PERSONAL)
    assert (doc.owner_id_number, doc.source, doc.dossier) == (AN["id_number"], "owner_upload", None)
    page = client.get("/cong-dan/kho-du-lieu/").content.decode()
    assert page.index("Bằng tốt nghiệp") > page.index('id="section-own"')
    assert not wallet.reusable_documents([AN["id_number"]], [doc.doc_type or "x"], dt.date.today()).exists()


def test_sharing_with_an_agency_gives_it_access_until_revoked(client, users, held, citizen):
    client.force_login(citizen)
    stp = Agency.objects.get(code="000.00.06.H99")  # Department of Justice: no dossier of An's
    specialist = users["chuyenvien.stp"]
    assert not Document.objects.visible_to(specialist).filter(pk=held.pk).exists()
    r = client.post("/cong-dan/chia-se/", {"agency": stp.pk, "purpose": "", "expires": "01/01/2020"})
    assert r.status_code == 400 and "Ngày hết hạn" in r.content.decode()
    expires = (dt.date.today() + dt.timedelta(days=30)).strftime("%d/%m/%Y")
    r = client.post("/cong-dan/chia-se/", {"agency": stp.pk, "purpose": "", "expires": expires})
    assert r.status_code == 400 and "mục đích" in r.content.decode()
    r = client.post(
        "/cong-dan/chia-se/",
        {"agency": stp.pk, "purpose": "Xét cấp phiếu lý lịch tư pháp", "expires": expires, "document": held.pk},
    )
    assert r.status_code == 302
    assert Document.objects.visible_to(specialist).filter(pk=held.pk).exists()
    consent = stp.consents.get()
    assert consent.purpose == "Xét cấp phiếu lý lịch tư pháp" and consent.document == held
    assert "Đang chia sẻ" in client.get("/cong-dan/chia-se/").content.decode()
    assert client.post(f"/cong-dan/chia-se/{consent.pk}/rut-lai/").status_code == 302
    assert not Document.objects.visible_to(specialist).filter(pk=held.pk).exists()


def test_the_owner_sees_who_read_what_for_which_dossier(client, users, held, citizen):
    officer = users["chuyenvien.xa"]
    client.force_login(officer)
    assert client.get(f"/can-bo/tai-lieu/{held.pk}/thong-tin/").status_code == 200
    client.force_login(citizen)
    client.get(f"/cong-dan/kho-du-lieu/{held.pk}/tai-ve/")  # the owner's own reads are not listed
    page = client.get("/cong-dan/nhat-ky-truy-cap/").content.decode()
    agency = StaffMembership.objects.filter(user=officer).first().agency.name
    assert "Bùi Thị Mai" in page and agency in page and held.dossier.code in page
    assert "chủ sở hữu tải về" not in page


def test_citizen_pages_need_a_verified_login(client, users):
    assert client.get("/cong-dan/kho-du-lieu/")["Location"].startswith("/cong-dan/dang-nhap/?next=")
    client.force_login(users["motcua.xa"])  # staff are not citizens
    assert client.get("/cong-dan/kho-du-lieu/").status_code == 403
