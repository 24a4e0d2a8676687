"""Digitization at the counter in a real browser: the officer receives a dossier with a scanned chip
ID card (a 300-dpi PNG rendered from a card layout), the pipeline reads it (OCRmyPDF + Tesseract
``vie``; here the task runs as soon as the intake commits), the officer opens the extracted fields
beside the image, corrects one and confirms; then finds the document by full-text search without
diacritics. Screenshots: ``test-results/screenshots/digitize-*.png``."""

import os

import pytest

from motcua.documents.models import Document, OcrStatus
from tests.documents.test_pipeline import CARD, scan

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]
SHOTS = os.path.join(os.path.dirname(__file__), "..", "..", "test-results", "screenshots")


def shot(page, name: str) -> None:
    page.screenshot(path=os.path.join(SHOTS, f"digitize-{name}.png"), full_page=True)


def test_scan_ocr_confirm_search(live_server, page, province, demo_password, settings, tmp_path):
    os.makedirs(SHOTS, exist_ok=True)
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    settings.SIGNING_PKI_DIR = tmp_path / "pki"
    card = tmp_path / "cccd.png"
    card.write_bytes(scan(CARD))
    page.set_viewport_size({"width": 1366, "height": 768})
    page.set_default_timeout(60000)  # the intake runs OCR in the request here (immediate tasks): slow on a busy CI
    base = live_server.url
    page.goto(f"{base}/dang-nhap/?next=/can-bo/tiep-nhan/%3Fprocedure%3D1.001193")
    page.fill("#id_username", "motcua.xa")
    page.fill("#id_password", demo_password)
    page.click("button[type=submit]")
    page.wait_for_selector("h2:has-text('Thành phần hồ sơ')")
    page.fill("#id_number", "001085012345")
    page.fill("#name", "Nguyễn Văn An")
    for box in ("#p-TP01", "#p-TP02"):  # ticked with the keyboard (the box itself is drawn by CSS)
        page.focus(box)
        page.keyboard.press("Space")
        assert page.is_checked(box)
    page.set_input_files("#f-TP02", str(card))
    page.check("label[for=fee_paid]")
    page.click("button:has-text('Tiếp nhận hồ sơ')")
    page.wait_for_selector("h1:has-text('Đã tiếp nhận hồ sơ')")
    page.wait_for_selector("text=Số hóa thành phần hồ sơ")
    doc = Document.objects.get()
    assert doc.ocr_status == OcrStatus.DONE, doc.ocr_error
    page.reload()
    page.wait_for_selector("text=Chờ xác nhận")
    shot(page, "01-received-ocr-done")

    page.click("a:has-text('Xác nhận thông tin')")
    page.wait_for_selector("h2:has-text('Thông tin trích xuất')")
    assert page.input_value("#field-id_number") == "001085012345"
    # The scan is shown beside the fields (an image: its natural width is the 300-dpi page's).
    # (decode() waits until the image has loaded: under load it may still be arriving)
    assert page.locator("img.mc-doc-image").evaluate("i => i.decode().then(() => i.naturalWidth)") > 1000
    shot(page, "02-fields-beside-image")
    page.fill("#field-full_name", "NGUYỄN VĂN AN")
    page.click("button:has-text('Xác nhận thông tin')")
    page.wait_for_selector("text=Đã lưu thông tin của tài liệu")
    page.wait_for_selector("text=Đã xác nhận")
    shot(page, "03-confirmed")

    page.goto(f"{base}/can-bo/tai-lieu/")
    page.fill("#doc-q", "noi cu tru thon dong")
    page.wait_for_selector("#doc-results a:has-text('Giấy chứng sinh')")
    shot(page, "04-search")
    doc.refresh_from_db()
    assert doc.fields_confirmed_at is not None and doc.owner_name == "NGUYỄN VĂN AN"
