"""The counter intake screen: receive with files, supplement request, bad input next to the field."""

from django.core.files.uploadedfile import SimpleUploadedFile

from motcua.audit.models import DataAccess
from motcua.documents.models import Document
from motcua.dossiers.models import Dossier
from motcua.dossiers.states import State
from tests.dossiers.conftest import CITIZEN

URL = "/can-bo/tiep-nhan/"
PDF = (  # a minimal PDF that opens (uploads are inspected: documents.services.check_upload)
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
)


def _image(fmt: str) -> bytes:
    """A 1×1 image that decodes (uploads are inspected)."""
    import io

    from PIL import Image

    out = io.BytesIO()
    Image.new("L", (1, 1)).save(out, fmt)
    return out.getvalue()


def form(**extra):
    data = {
        "procedure": "1.001193",
        "name": CITIZEN["name"],
        "id_number": CITIZEN["id_number"],
        "phone": CITIZEN["phone"],
        "return_channel": "counter",
        "fee_paid": "1",
        "action": "receive",
    }
    data.update(extra)
    return data


def login(client, users, who="motcua.xa"):
    client.force_login(users[who])
    return client


def test_search_as_you_type_finds_without_diacritics(client, users):
    r = login(client, users).get("/can-bo/tiep-nhan/thu-tuc/", {"q": "dang ky khai sinh"})
    assert r.status_code == 200 and "1.001193" in r.content.decode()


def test_receive_with_a_scanned_file(client, users):
    login(client, users)
    page = client.get(URL, {"procedure": "1.001193"}).content.decode()
    assert "TP01" in page and "Bắt buộc" in page
    scan = SimpleUploadedFile("giay-chung-sinh.pdf", PDF, content_type="application/pdf")
    r = client.post(URL, form(provided=["TP01", "TP02"], file_TP02=scan))
    assert r.status_code == 302, r.content.decode()[:2000]
    d = Dossier.objects.get()
    assert d.state == State.RECEIVED and r["Location"].endswith(f"/can-bo/tiep-nhan/xong/{d.code}/")
    doc = Document.objects.get()
    assert (doc.dossier, doc.component_code, doc.content_type, doc.size) == (d, "TP02", "application/pdf", len(PDF))
    done = client.get(r["Location"]).content.decode()
    assert d.code in done and "mẫu 01" in done
    preview = client.get(doc.get_absolute_url())
    assert preview.status_code == 200 and b"".join(preview.streaming_content) == PDF
    assert DataAccess.objects.filter(purpose="xem tài liệu TP02", user=users["motcua.xa"]).exists()


def test_missing_component_then_supplement_request(client, users):
    login(client, users)
    r = client.post(URL, form(provided=["TP01"]))
    assert r.status_code == 400 and "TP02" in r.content.decode() and "yêu cầu bổ sung" in r.content.decode()
    assert not Dossier.objects.exists()
    r = client.post(URL, form(provided=["TP01"], action="supplement", supplement_reason="Thiếu giấy chứng sinh."))
    assert r.status_code == 302
    d = Dossier.objects.get()
    assert d.state == State.SUPPLEMENT_REQUESTED
    assert "mẫu 02" in client.get(r["Location"]).content.decode()


def test_bad_input_is_shown_next_to_the_field_and_nothing_is_written(client, users):
    login(client, users)
    r = client.post(URL, form(provided=["TP01", "TP02"], id_number="12345"))
    assert r.status_code == 400 and 'id="id_number-error"' in r.content.decode()
    exe = SimpleUploadedFile("virus.pdf", b"MZ\x90\x00not a pdf", content_type="application/pdf")
    r = client.post(URL, form(provided=["TP01", "TP02"], file_TP01=exe))
    assert r.status_code == 400 and "không phải PDF" in r.content.decode()
    assert not Dossier.objects.exists() and not Document.objects.exists()


def test_same_form_posted_twice_makes_one_dossier(client, users):
    login(client, users)
    data = form(provided=["TP01", "TP02"], form_id="abc123")
    assert client.post(URL, data).status_code == 302
    assert client.post(URL, data).status_code == 302
    assert Dossier.objects.count() == 1


def test_only_desk_staff_and_only_visible_documents(client, users, stranger):
    login(client, users, "chuyenvien.xa")
    assert client.get(URL).status_code == 302  # a specialist has no desk: sent home with a message
    login(client, users)
    scan = SimpleUploadedFile("a.png", _image("PNG"))
    client.post(URL, form(provided=["TP01", "TP02"], file_TP01=scan))
    doc = Document.objects.get()
    login(client, users, "motcua.khac")
    assert client.get(doc.get_absolute_url()).status_code == 404
    client.logout()
    assert client.get(URL).status_code == 302


def test_files_from_the_desk_scanner_folder(
    client, users, settings, tmp_path, stranger, django_capture_on_commit_callbacks
):
    """The scanner's folder of the desk is listed; picked files are checked by content, attached to
    the chosen component and moved to done/ after the commit; a refused intake leaves them there."""
    settings.SCAN_INBOX_DIR = tmp_path / "scans"
    folder = tmp_path / "scans" / "MC-99001"
    folder.mkdir(parents=True)
    (folder / "scan-0001.pdf").write_bytes(PDF)
    (folder / "scan-0002.jpg").write_bytes(_image("JPEG"))
    (folder / "ghi-chu.txt").write_bytes(b"not a scan")
    (folder / ".tmp-partial").write_bytes(PDF)
    login(client, users)
    page = client.get(URL, {"procedure": "1.001193"}).content.decode()
    assert "scan-0001.pdf" in page and "scan-0002.jpg" in page and ".tmp-partial" not in page
    preview = client.get("/can-bo/tiep-nhan/may-quet/MC-99001/scan-0001.pdf")
    assert preview.status_code == 200 and b"".join(preview.streaming_content) == PDF
    assert client.get("/can-bo/tiep-nhan/may-quet/MC-99001/..%2Fsecret").status_code == 404
    other = client.__class__()
    other.force_login(stranger)
    assert other.get("/can-bo/tiep-nhan/may-quet/MC-99001/scan-0001.pdf").status_code == 404

    # A text file is refused by content, next to the scans, and nothing is written or moved.
    bad = form(provided=["TP01"], scan_file=["ghi-chu.txt", "scan-0001.pdf"], scan_component=["TP02", "TP02"])
    r = client.post(URL, bad)
    assert r.status_code == 400 and "không phải PDF hoặc ảnh" in r.content.decode()
    assert not Dossier.objects.exists() and (folder / "scan-0001.pdf").exists()

    ok = form(
        provided=["TP01"],
        scan_file=["scan-0001.pdf", "scan-0002.jpg", "ghi-chu.txt"],
        scan_component=["TP02", "TP01", ""],
    )
    with django_capture_on_commit_callbacks(execute=True):
        r = client.post(URL, ok)
    assert r.status_code == 302, r.content.decode()[:2000]
    d = Dossier.objects.get()
    assert d.state == State.RECEIVED  # TP02 counted as handed in through its scan
    docs = {(doc.component_code, doc.content_type) for doc in Document.objects.filter(dossier=d)}
    assert docs == {("TP02", "application/pdf"), ("TP01", "image/jpeg")}
    assert sorted(p.name for p in (folder / "done").iterdir()) == ["scan-0001.pdf", "scan-0002.jpg"]
    assert (folder / "ghi-chu.txt").exists()
