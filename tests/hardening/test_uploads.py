"""check_upload inspects content: a PDF must open, unencrypted, with a page count in range and no active
content; an image must decode within the pixel limit; file names are made safe. One Vietnamese message
per reason, nothing written before."""

import io
import zlib

import pikepdf
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from motcua.documents import services
from motcua.documents.models import Blob

from .conftest import PDF, image, pdf

pytestmark = pytest.mark.django_db


def check(data: bytes, name: str = "tep.pdf"):
    return services.check_upload(SimpleUploadedFile(name, data))


def refused(data: bytes, reason: str, text: str, name: str = "tep.pdf"):
    with pytest.raises(services.UploadError) as info:
        check(data, name)
    assert info.value.reason == reason and text in info.value.message, info.value.message
    return info.value.message


def test_good_files_pass():
    assert check(PDF).content_type == "application/pdf"
    assert check(pdf(pages=3)).size > 0
    assert check(image("PNG"), "a.png").content_type == "image/png"
    assert check(image("JPEG", (1200, 1600)), "a.jpg").content_type == "image/jpeg"
    assert check(image("TIFF", frames=3), "a.tif").content_type == "image/tiff"


def test_pdfs_that_do_not_open_or_are_encrypted():
    refused(b"%PDF-1.7\n" + b"\x00garbage" * 50, "corrupt", "bị hỏng, không mở được như một tệp PDF")
    refused(PDF[: len(PDF) // 3], "corrupt", "bị hỏng")
    for user_password in ("", "mat-khau"):  # restrictions only, or a password to open
        out = io.BytesIO()
        doc = pikepdf.new()
        doc.add_blank_page()
        doc.save(out, encryption=pikepdf.Encryption(owner="chu", user=user_password))
        message = refused(out.getvalue(), "encrypted", "vui lòng nộp bản không")
        assert "mật khẩu" in message or "mã hóa" in message


def test_page_count(settings):
    settings.UPLOAD_MAX_PDF_PAGES = 4
    assert check(pdf(pages=4))
    refused(pdf(pages=5), "too_many_pages", "có 5 trang, vượt quá giới hạn 4 trang")
    refused(image("TIFF", frames=5), "too_many_pages", "vượt quá giới hạn 4 trang", "a.tif")
    empty = io.BytesIO()
    pikepdf.new().save(empty)
    refused(empty.getvalue(), "no_pages", "không có trang nào")


def test_active_content_is_refused():
    js = pikepdf.Dictionary(S=pikepdf.Name.JavaScript, JS=pikepdf.String("app.alert(1)"))
    refused(pdf(OpenAction=js), "active_content", "mã JavaScript")
    launch = pikepdf.Dictionary(S=pikepdf.Name.Launch, F=pikepdf.String("cmd.exe"))
    refused(pdf(OpenAction=launch), "active_content", "Launch")
    refused(
        pdf(AcroForm=pikepdf.Dictionary(Fields=pikepdf.Array(), XFA=pikepdf.String("<xdp/>"))), "active_content", "XFA"
    )
    # Document-level scripts in the name tree, and a script deep inside a page's annotation.
    names = pikepdf.Dictionary(JavaScript=pikepdf.Dictionary(Names=pikepdf.Array([pikepdf.String("a"), js])))
    refused(pdf(Names=names), "active_content", "JavaScript")
    doc = pikepdf.new()
    doc.add_blank_page()
    link = pikepdf.Dictionary(Type=pikepdf.Name.Annot, Subtype=pikepdf.Name.Link, Rect=[0, 0, 9, 9], A=js)
    doc.pages[0].Annots = doc.make_indirect(pikepdf.Array([link]))
    out = io.BytesIO()
    doc.save(out)
    refused(out.getvalue(), "active_content", "JavaScript")
    uri = pikepdf.Dictionary(S=pikepdf.Name.URI, URI=pikepdf.String("https://dichvucong.gov.vn"))
    assert check(pdf(OpenAction=uri))  # an ordinary link is fine


def test_images_must_decode_within_the_pixel_limit(settings):
    refused(b"\x89PNG\r\n\x1a\n" + b"0" * 20, "corrupt", "bị hỏng hoặc không đúng định dạng", "a.png")
    good = image("PNG", (64, 64))
    refused(good[: len(good) - 30], "corrupt", "bị hỏng", "a.png")
    jpeg = image("JPEG", (256, 256))
    refused(jpeg[:300], "corrupt", "bị hỏng", "a.jpg")
    settings.UPLOAD_MAX_IMAGE_PIXELS = 1_000_000
    refused(image("PNG", (2000, 1000)), "too_many_pixels", "(2000 × 1000 điểm ảnh)", "a.png")
    # A decompression bomb: a tiny PNG claiming 30,000 × 30,000 pixels (header only changed).
    bomb = bytearray(image("PNG", (1, 1)))
    bomb[16:24] = (30000).to_bytes(4, "big") * 2
    bomb[29:33] = zlib.crc32(bytes(bomb[12:29])).to_bytes(4, "big")  # a valid IHDR
    refused(bytes(bomb), "too_many_pixels", "quá lớn", "bom.png")


def test_safe_names_and_nothing_written():
    checked = check(PDF, "../../etc/<b>giấy tờ</b>\u202e?.pdf")
    assert checked.name == "b__.pdf"  # the path and the bidi override gone
    assert (
        check(PDF, "<img src=x onerror=alert(1)>; rm -rf $HOME.pdf").name
        == "_img src=x onerror=alert(1)__ rm -rf _HOME.pdf"
    )
    assert services.safe_name("..") == "tep" and services.safe_name("C:\\Users\\an\\Giấy khai sinh.pdf") == (
        "Giấy khai sinh.pdf"
    )
    long = services.safe_name("a" * 400 + ".pdf")
    assert len(long) == 150 and long.endswith(".pdf")
    with pytest.raises(services.UploadError):
        check(b"%PDF-1.7\n" + b"\x00" * 100)
    assert not Blob.objects.exists()


def test_system_made_bytes_are_not_inspected_again():
    """checked_bytes: signed results, merged scans, blobs already checked when uploaded."""
    assert services.checked_bytes(b"%PDF-1.7\n% made by us\n", "kq.pdf").content_type == "application/pdf"
