"""Signed e-results and certified e-copies: real WeasyPrint PDFs signed with pyHanko (demo PKI in a
temporary folder), validated, registered in the document store."""

import datetime as dt

import pikepdf
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from motcua.documents import results, services
from motcua.documents.models import Document, Kind, Source
from motcua.dossiers.models import Event
from motcua.dossiers.slips import html_to_pdf
from motcua.signing.services import validate_pdf
from tests.api.conftest import act, receive


@pytest.fixture(autouse=True)
def _pki(settings, tmp_path):
    settings.SIGNING_PKI_DIR = tmp_path / "pki"
    settings.SIGNING_DEMO_PKI = True


def _pages(data: bytes) -> int:
    import io

    with pikepdf.open(io.BytesIO(data)) as pdf:
        return len(pdf.pages)


def test_an_approved_result_becomes_a_signed_e_result_once(users, django_capture_on_commit_callbacks):
    d = act(users, receive(users), "transfer", "motcua.xa")
    d = act(users, d, "forward", "chuyenvien.xa")
    with django_capture_on_commit_callbacks() as queued:
        d = act(users, d, "issue_result", "lanhdao.xa", data={"result_number": "25/GKS"})
    assert len(queued) == 1  # the background task is queued when the decision commits
    event = Event.objects.get(dossier=d, action="issue_result")
    doc = results.issue_result_document(d.pk, event.pk)
    assert results.issue_result_document(d.pk, event.pk).pk == doc.pk  # idempotent
    assert Document.objects.filter(dossier=d, kind=Kind.RESULT).count() == 1
    assert (doc.source, doc.result_code, doc.doc_number, doc.signed) == (Source.ISSUED_RESULT, "KQ01", "25/GKS", True)
    assert (doc.owner_id_number, doc.issuer, doc.agency) == (d.owner_id_number, d.agency.name, d.agency)
    assert doc.issue_date is not None and doc.valid_until is None  # a birth certificate does not expire
    data = services.read_blob(doc.blob)
    [report] = validate_pdf(data)
    assert report.intact and report.valid and report.trusted and report.verdict == "ok"
    assert report.signer_name == d.agency.name and d.code in report.reason
    assert abs(report.signing_time - dt.datetime.now(dt.UTC)) < dt.timedelta(minutes=5)
    # The dossier page lists the signed result with its file.
    from django.test import Client

    c = Client()
    c.force_login(users["motcua.xa"])
    assert "Giấy khai sinh" in c.get(f"/can-bo/ho-so/{d.code}/").content.decode()


def test_a_rejected_result_makes_no_e_result(users, django_capture_on_commit_callbacks):
    d = act(users, receive(users), "transfer", "motcua.xa")
    d = act(users, d, "forward", "chuyenvien.xa")
    with django_capture_on_commit_callbacks() as queued:
        act(users, d, "issue_result", "lanhdao.xa", reason="Không đủ điều kiện", data={"outcome": "rejected"})
    assert queued == []


def test_certified_e_copy_of_a_scanned_original(users):
    d = receive(users)
    original_pdf = html_to_pdf("<h1>Giấy chứng sinh</h1><p>Họ và tên: Nguyễn Văn An</p>")
    original = services.attach(d, "TP02", services.check_upload(SimpleUploadedFile("gcs.pdf", original_pdf)))
    copy = results.certify_copy(original, users["motcua.xa"])
    again = results.certify_copy(original, users["motcua.xa"])
    year = dt.date.today().year
    assert (copy.doc_number, again.doc_number) == (f"1/{year}/SCT/BS", f"2/{year}/SCT/BS")
    assert (copy.kind, copy.source) == (Kind.CERTIFIED_COPY, Source.CERTIFIED_COPY)
    assert copy.owner_id_number == "001085012345"
    data = services.read_blob(copy.blob)
    assert _pages(data) == _pages(original_pdf) + 1  # the original's pages + the certification page
    [report] = validate_pdf(data)
    assert report.trusted and report.intact and "1/" in report.reason
    # Through the page: the officer certifies from the document's page.
    from django.test import Client

    c = Client()
    c.force_login(users["motcua.xa"])
    r = c.post(f"/can-bo/tai-lieu/{original.pk}/chung-thuc/")
    third = Document.objects.filter(kind=Kind.CERTIFIED_COPY).order_by("-pk").first()
    assert r.status_code == 302 and r["Location"] == f"/can-bo/tai-lieu/{third.pk}/thong-tin/"
    assert third.doc_number == f"3/{year}/SCT/BS"
    page = c.get(r["Location"]).content.decode()
    assert "Bản sao chứng thực" in page
    with pytest.raises(results.ResultError, match="không thuộc cơ quan"):
        results.certify_copy(original, users["chuyenvien.stp"])
    with pytest.raises(results.ResultError, match="Chỉ chứng thực"):
        results.certify_copy(copy, users["motcua.xa"])
