"""The digitization pipeline end to end on real files: WeasyPrint renders a chip ID card, poppler
rasterizes it at 300 dpi like a desk scanner, OCRmyPDF + Tesseract ``vie`` read it, the fields are
extracted, the PDF/A is stored as the version's searchable PDF and the text is indexed. Failures
(encrypted PDF, a page without text) mark the document without blocking the dossier."""

import io
import subprocess

import pikepdf
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from motcua.common.text import fold
from motcua.documents import pipeline, search, services
from motcua.documents.models import Document, OcrStatus
from motcua.dossiers.slips import html_to_pdf
from tests.api.conftest import receive

CARD = """
<html><body style="font-family: 'DejaVu Sans'; font-size: 15pt; margin: 20mm;">
<p><b>CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM</b></p>
<p><b>CĂN CƯỚC CÔNG DÂN</b></p>
<p>Số định danh cá nhân / Personal identification number: 001085012345</p>
<p>Họ, chữ đệm và tên khai sinh / Full name: NGUYỄN VĂN AN</p>
<p>Ngày, tháng, năm sinh / Date of birth: 12/05/1985</p>
<p>Giới tính / Sex: Nam</p>
<p>Nơi cư trú / Place of residence: Thôn Đông, phường Bình Minh, tỉnh An Hòa</p>
</body></html>
"""


def scan(html: str) -> bytes:
    """A 300-dpi grayscale PNG of the first page, as a desk scanner would produce."""
    import tempfile
    from pathlib import Path

    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "page.pdf"
        src.write_bytes(html_to_pdf(html))
        subprocess.run(["pdftoppm", "-r", "300", "-gray", "-png", "-singlefile", src, Path(tmp) / "scan"], check=True)
        return (Path(tmp) / "scan.png").read_bytes()


def attach(users, data: bytes, name: str):
    d = receive(users)
    # inspect=False: the pipeline must also cope with stored bytes that no longer open (a corrupt blob)
    return d, services.attach(d, "TP02", services.check_upload(SimpleUploadedFile(name, data), inspect=False))


@pytest.mark.slow
def test_a_scanned_id_card_is_read_extracted_and_indexed(users, settings, tmp_path):
    settings.SIGNING_PKI_DIR = tmp_path / "pki"
    d, doc = attach(users, scan(CARD), "cccd.png")
    assert doc.ocr_status == OcrStatus.PENDING
    assert pipeline.digitize(doc.pk) == OcrStatus.DONE
    doc.refresh_from_db()
    assert (doc.ocr_stage, doc.ocr_error, doc.pages, doc.ocr_attempts) == ("", "", 1, 1)
    assert "Bình Minh" in doc.text and "CĂN CƯỚC CÔNG DÂN" in doc.text
    assert doc.detected_kind == "cccd" and doc.fields_pending
    fields = {f["name"]: f for f in doc.fields}
    assert fields["id_number"]["value"] == "001085012345" and fields["id_number"]["confidence"] >= 0.8
    assert fields["date_of_birth"]["value"] == "12/05/1985"
    # Tesseract may drop the marks of bold capitals; the officer confirms the name beside the image.
    assert fold(fields["full_name"]["value"]) == "nguyen van an"
    # The version keeps the scan as handed in and gains a searchable PDF/A.
    pdfa = services.read_blob(doc.current.pdf)
    with pikepdf.open(io.BytesIO(pdfa)) as pdf, pdf.open_metadata() as meta:
        assert meta.pdfa_status.startswith("2")
    assert doc.current.blob.content_type == "image/png"
    assert [x.pk for x in search.search(users["motcua.xa"], "noi cu tru thon dong")] == [doc.pk]
    # The officer sees it done on the dossier page, with the fields waiting for confirmation.
    from django.test import Client

    c = Client()
    c.force_login(users["motcua.xa"])
    page = c.get(f"/can-bo/ho-so/{d.code}/").content.decode()
    assert "Đã nhận dạng" in page and "Chờ xác nhận" in page and "Bản PDF/A có lớp chữ" in page


def test_failures_mark_the_document_and_never_block_the_dossier(users):
    # An encrypted (password-protected) PDF.
    src = io.BytesIO()
    with pikepdf.new() as pdf:
        pdf.add_blank_page()
        pdf.save(src, encryption=pikepdf.Encryption(owner="o", user="u"))
    d, doc = attach(users, src.getvalue(), "mat-khau.pdf")
    assert pipeline.digitize(doc.pk) == OcrStatus.FAILED
    doc.refresh_from_db()
    assert "mật khẩu" in doc.ocr_error and "số hóa lại" in doc.ocr_error and doc.ocr_attempts == 1
    services.retry_digitization(doc)
    assert Document.objects.get(pk=doc.pk).ocr_status == OcrStatus.PENDING
    assert pipeline.digitize(doc.pk) == OcrStatus.FAILED
    assert Document.objects.get(pk=doc.pk).ocr_attempts == 2
    d.refresh_from_db()
    assert d.state == "received"
    # A corrupt PDF (right magic, broken body).
    _, broken = attach(users, b"%PDF-1.7\n" + b"\x00garbage" * 50, "hong.pdf")
    assert pipeline.digitize(broken.pk) == OcrStatus.FAILED
    assert Document.objects.get(pk=broken.pk).ocr_error.startswith("Không nhận dạng được")


@pytest.mark.slow
def test_a_blank_page_has_no_text_and_a_signed_pdf_keeps_its_signature(users, settings, tmp_path):
    settings.SIGNING_PKI_DIR = tmp_path / "pki"
    _, blank = attach(users, scan("<html><body></body></html>"), "trang-trang.png")
    assert pipeline.digitize(blank.pk) == OcrStatus.NO_TEXT
    from motcua.signing.services import sign_pdf

    d = receive(users)
    signed = sign_pdf(html_to_pdf("<p>Giấy khai sinh đã ký số</p>"), agency=d.agency, reason="Thử")
    doc = services.attach(d, "TP02", services.check_upload(SimpleUploadedFile("ky-so.pdf", signed)))
    assert pipeline.digitize(doc.pk) == OcrStatus.DONE
    doc.refresh_from_db()
    assert doc.signed and doc.signatures[0]["intact"] and doc.signatures[0]["signer_name"] == d.agency.name
    assert "Giấy khai sinh đã ký số" in doc.text
    assert doc.current.pdf is None  # a signed PDF is never rewritten
    # The officer sees the signature check on the document's page.
    from django.test import Client

    c = Client()
    c.force_login(users["motcua.xa"])
    page = c.get(f"/can-bo/tai-lieu/{doc.pk}/thong-tin/").content.decode()
    assert "Chữ ký số" in page and d.agency.name in page and doc.signatures[0]["summary"] in page
