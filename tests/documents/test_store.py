"""The document store: content stored once, versions, metadata confirmed by the officer, the access
rule, and full-text search (diacritics-insensitive, đ → d) on both databases."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext

from motcua.documents import search, services
from motcua.documents.models import Blob, Document, DocumentVersion, OcrStatus
from tests.api.conftest import receive

PDF = (  # a minimal PDF that opens (uploads are inspected: documents.services.check_upload)
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
)


def upload(data=PDF, name="scan.pdf"):
    return services.check_upload(SimpleUploadedFile(name, data))


def test_identical_content_is_stored_once_and_versions_keep_history(users, django_capture_on_commit_callbacks):
    a, b = receive(users), receive(users)
    with django_capture_on_commit_callbacks() as queued:
        first = services.attach(a, "TP02", upload(), user=users["motcua.xa"])
        second = services.attach(b, "TP02", upload(name="khac-ten.pdf"), user=users["motcua.xa"])
    assert len(queued) == 2  # the pipeline is queued for each document, after commit
    assert Blob.objects.count() == 1 and first.blob == second.blob
    assert first.blob.file.name.startswith("blobs/") and first.sha256 == second.sha256
    assert (first.owner_id_number, first.ocr_status) == (a.owner_id_number, "pending")
    assert first.title.startswith("Giấy chứng sinh")
    assert first.uploaded_by == users["motcua.xa"] and first.agency_id == a.agency_id

    v2 = services.add_version(first, upload(PDF + b"% rescan\n", "lan-2.pdf"), user=users["motcua.xa"])
    first.refresh_from_db()
    assert (v2.number, first.current, first.name) == (2, v2, "lan-2.pdf")
    assert list(first.versions.values_list("number", flat=True)) == [1, 2]
    assert Blob.objects.count() == 2 and DocumentVersion.objects.filter(document=first).count() == 2


def test_bad_files_are_refused_before_anything_is_written(users):
    for data, message in (
        (b"", "rỗng"),
        (b"hello, not a scan", "không phải PDF hoặc ảnh"),
        (b"PK\x03\x04 a zip", "không phải PDF hoặc ảnh"),
    ):
        with pytest.raises(services.UploadError, match=message):
            services.check_upload(SimpleUploadedFile("x.pdf", data))
    big = SimpleUploadedFile("big.pdf", PDF)
    big.size = services.MAX_FILE_BYTES + 1
    with pytest.raises(services.UploadError, match="lớn hơn 20 MB"):
        services.check_upload(big)
    assert not Document.objects.exists() and not Blob.objects.exists()


def _indexed(doc, text):
    Document.objects.filter(pk=doc.pk).update(text=text, ocr_status=OcrStatus.DONE)
    doc.refresh_from_db()
    doc.search_text = services.search_text_of(doc)
    doc.save(update_fields=["search_text"])
    search.index(doc)
    return doc


def test_search_is_diacritics_insensitive_prefix_and_access_checked(users, stranger):
    d = receive(users)
    birth = _indexed(services.attach(d, "TP02", upload()), "Giấy chứng sinh của Bệnh viện Đa khoa Bình Minh")
    other = _indexed(services.attach(receive(users), "TP01", upload(PDF + b"%2")), "Tờ khai đăng ký khai sinh")
    officer = users["motcua.xa"]
    assert [x.pk for x in search.search(officer, "benh vien da khoa")] == [birth.pk]
    assert [x.pk for x in search.search(officer, "Đa KHOA bình")] == [birth.pk]
    assert [x.pk for x in search.search(officer, "dang ky khai")] == [other.pk]
    assert [x.pk for x in search.search(officer, "khai")] == [other.pk]  # "khai" ≠ prefix of "khoa"
    assert {x.pk for x in search.search(officer, "sinh")} == {birth.pk, other.pk}
    assert [x.pk for x in search.search(officer, "sinh", limit=1)] == [other.pk]  # newest first
    assert [x.pk for x in search.search(officer, "sinh", before_id=other.pk)] == [birth.pk]  # keyset
    assert [x.pk for x in search.search(officer, d.code)] == [birth.pk]  # metadata: the dossier code
    assert [x.pk for x in search.search(officer, "001085012345")] != []  # the owner's ID number
    assert search.search(officer, "   ") == [] and search.search(officer, "'\"*:&|!()") == []
    assert search.search(stranger, "sinh") == []  # another commune's desk sees none of them
    assert search.search(users["chuyenvien.stp"], "sinh") == []


def test_search_page_logs_the_read_and_dossier_page_has_constant_queries(users, client):
    from motcua.audit.models import DataAccess

    d = receive(users)
    _indexed(services.attach(d, "TP02", upload()), "Giấy chứng sinh")
    client.force_login(users["motcua.xa"])
    r = client.get("/can-bo/tai-lieu/", {"q": "chung sinh"})
    assert r.status_code == 200 and "Giấy chứng sinh" in r.content.decode()
    assert DataAccess.objects.filter(purpose="tìm kiếm tài liệu", object_ref=d.code).exists()

    def count():
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(f"/can-bo/ho-so/{d.code}/").status_code == 200
        return len(ctx.captured_queries)

    before = count()
    for i in range(5):
        services.attach(d, "TP01", upload(PDF + f"% {i}\n".encode()))
    assert count() == before  # the file list is prefetched with its versions and blobs


def test_officer_confirms_extracted_fields_beside_the_image(users, client):
    d = receive(users)
    doc = services.attach(d, "TP02", upload())
    Document.objects.filter(pk=doc.pk).update(
        ocr_status=OcrStatus.DONE,
        detected_kind="cccd",
        fields=[
            {"name": "id_number", "label": "Số định danh cá nhân", "value": "001085012346", "confidence": 0.9},
            {"name": "full_name", "label": "Họ và tên", "value": "NGUYEN VAN AN", "confidence": 0.4},
        ],
    )
    client.force_login(users["motcua.xa"])
    page = client.get(f"/can-bo/tai-lieu/{doc.pk}/thong-tin/").content.decode()
    assert "Chờ xác nhận" in page and "tin cậy 40%" in page and "<iframe" in page  # a PDF: in a frame
    framed = client.get(doc.get_absolute_url())
    assert framed["X-Frame-Options"] == "SAMEORIGIN"
    bad = client.post(f"/can-bo/tai-lieu/{doc.pk}/thong-tin/", {"field_id_number": "12345", "field_full_name": "X"})
    assert bad.status_code == 400 and "12 chữ số" in bad.content.decode()
    assert Document.objects.get(pk=doc.pk).fields_confirmed_at is None
    ok = client.post(
        f"/can-bo/tai-lieu/{doc.pk}/thong-tin/",
        {"field_id_number": "001085012345", "field_full_name": "NGUYỄN VĂN AN", "doc_number": "001085012345"},
    )
    assert ok.status_code == 302 and ok["Location"] == f"/can-bo/ho-so/{d.code}/"
    doc.refresh_from_db()
    assert doc.fields_confirmed_by == users["motcua.xa"] and not doc.fields_pending
    assert (doc.owner_id_number, doc.owner_name, doc.doc_number) == ("001085012345", "NGUYỄN VĂN AN", "001085012345")
    assert [x.pk for x in search.search(users["motcua.xa"], "nguyen van an")] == [doc.pk]


def test_retry_only_after_a_failure(users, client, django_capture_on_commit_callbacks):
    d = receive(users)
    doc = services.attach(d, "TP02", upload())
    client.force_login(users["motcua.xa"])
    client.post(f"/can-bo/tai-lieu/{doc.pk}/so-hoa-lai/")
    assert Document.objects.get(pk=doc.pk).ocr_status == OcrStatus.PENDING  # refused: not failed
    Document.objects.filter(pk=doc.pk).update(ocr_status=OcrStatus.FAILED, ocr_error="Tệp hỏng.")
    page = client.get(f"/can-bo/ho-so/{d.code}/").content.decode()
    assert "Nhận dạng thất bại" in page and "Số hóa lại" in page
    with django_capture_on_commit_callbacks() as queued:
        r = client.post(f"/can-bo/tai-lieu/{doc.pk}/so-hoa-lai/")
    assert r.status_code == 302 and len(queued) == 1
    assert Document.objects.get(pk=doc.pk).ocr_status == OcrStatus.PENDING
    # A stranger cannot see, retry or read the status of the document.
    assert client.get(f"/can-bo/tai-lieu/{doc.pk}/trang-thai/").status_code == 200
    client.force_login(users["chuyenvien.stp"])
    for url in ("trang-thai/", "thong-tin/"):
        assert client.get(f"/can-bo/tai-lieu/{doc.pk}/{url}").status_code == 404
    assert client.post(f"/can-bo/tai-lieu/{doc.pk}/so-hoa-lai/").status_code == 404


def test_visible_ids_is_the_same_rule_as_visible_to(users, stranger):
    from motcua.dossiers.models import Dossier
    from tests.api.conftest import act

    a = act(users, receive(users, code="1.000894", components=["TP01"]), "transfer", "motcua.xa")
    act(users, a, "consult", "chuyenvien.xa")  # a step at the commune police
    receive(users)
    for name in ("motcua.xa", "chuyenvien.xa", "congan.xa", "lanhdao.stp", "motcua.khac"):
        user = users[name]
        expected = set(Dossier.objects.visible_to(user).values_list("pk", flat=True))
        assert set(Dossier.objects.visible_ids(user, 1000)) == expected, name
    assert Dossier.objects.visible_ids(users["thanhtra"], 1000) is None  # reads all
    assert Dossier.objects.visible_ids(users["motcua.xa"], 1) is None  # more than the limit
    assert search.search(users["congan.xa"], a.code) == []  # no document yet, but the scope works
