"""Digitization stages with the real Tesseract (no mocks) on the synthetic scans of tests/data/ocr.

The OCR runs are shared by module-scoped fixtures and bounded: a representative subset of the prose
pages goes through as ONE merged PDF (jobs=2), and the ID cards and certificates two documents at a
time (as a background worker with two slots would) — about 30 pages, well under two minutes on two
cores. ``bench/bench_ocr.py`` measures the whole set.
"""

from __future__ import annotations

import datetime as dt
import io
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pikepdf
import pytest
from PIL import Image

from motcua.documents import extract, ocr
from motcua.documents.ocr import OcrError
from motcua.documents.testdata.generator import load_truth
from motcua.documents.testdata.metrics import cer, same_value

DATA = Path(__file__).resolve().parent.parent / "data" / "ocr"
# Prose pages OCR'd in one merged PDF: clean (PNG, JPEG, a two-page G4 TIFF), rotated 90/180/270°,
# skewed (-3.5°, 1.2° then turned 90°), noisy (noise + blur + JPEG, salt and pepper, heavy JPEG).
PROSE_SUBSET = [
    "prose-01", "prose-04", "prose-07-08",
    "prose-09", "prose-10", "prose-11", "prose-13", "prose-14",
    "prose-15", "prose-16", "prose-17", "prose-20",
]  # fmt: skip
CLEAN_MAX, DEGRADED_MAX = 0.01, 0.05


@pytest.fixture(scope="module")
def truth():
    return {doc["id"]: doc for doc in load_truth(DATA)["documents"]}


def read_files(doc: dict) -> list[tuple[bytes, str]]:
    return [((DATA / f["name"]).read_bytes(), f["content_type"]) for f in doc["files"]]


@pytest.fixture(scope="module")
def prose_run(truth):
    docs = [truth[i] for i in PROSE_SUBSET]
    files = [f for doc in docs for f in read_files(doc)]
    pdf = ocr.to_pdf(files)
    return docs, ocr.ocr(pdf, jobs=2)


@pytest.fixture(scope="module")
def forms_run(truth):
    docs = [doc for doc in truth.values() if doc["kind"]]

    def run(doc):
        return doc, ocr.ocr(ocr.to_pdf(read_files(doc)), jobs=1)

    with ThreadPoolExecutor(2) as pool:  # two ocr() calls at once in one process: thread safety
        return list(pool.map(run, docs))


def png(size=(1240, 1754), dpi=(300, 300), color=255, mode="L") -> bytes:
    buf = io.BytesIO()
    Image.new(mode, size, color).save(buf, "PNG", **({"dpi": dpi} if dpi else {}))
    return buf.getvalue()


def blank_pdf(pages: int = 1) -> bytes:
    pdf = pikepdf.new()
    for _ in range(pages):
        pdf.add_blank_page(page_size=(595, 842))
    buf = io.BytesIO()
    pdf.save(buf)
    return buf.getvalue()


# --- quality on real scans ---------------------------------------------------------------------


def test_prose_character_error_rate(prose_run):
    docs, result = prose_run
    pages = result.page_texts
    assert result.pages == len(pages) == sum(d["pages"] for d in docs) == 13
    assert result.has_text and result.pdfa
    i = 0
    report = []
    for doc in docs:
        for want in doc["text"].split("\f"):
            rate = cer(want, pages[i])
            limit = CLEAN_MAX if doc["condition"] == "clean" else DEGRADED_MAX
            report.append((doc["id"], doc["condition"], round(rate, 4), rate <= limit))
            i += 1
    assert all(ok for *_, ok in report), report


def test_output_is_pdfa_with_a_text_layer(prose_run):
    docs, result = prose_run
    with pikepdf.open(io.BytesIO(result.pdf)) as pdf:
        assert len(pdf.pages) == result.pages
        assert pdf.open_metadata().pdfa_status == "2B"
        # rotated scans are turned upright by /Rotate, the image itself is kept (lossless)
        assert any(int(page.obj.get("/Rotate", 0)) in (90, 180, 270) for page in pdf.pages)
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in result.text


def test_cards_and_certificates_fields(forms_run):
    right = total = 0
    misses = []
    for doc, result in forms_run:
        assert result.has_text, doc["id"]
        assert extract.detect_kind(result.text) == doc["kind"], doc["id"]
        fields = {f.name: f for f in extract.extract(doc["kind"], result.text)}
        for name, want in doc["fields"].items():
            total += 1
            if same_value(want, fields[name].value):
                right += 1
            else:
                misses.append((doc["id"], name, fields[name].value, want))
    assert total >= 50
    assert right / total >= 0.9, misses


def test_id_numbers_read_from_cards_are_valid(forms_run):
    from motcua.identity.ids import validate_id_number

    for doc, result in forms_run:
        if doc["kind"] == "cccd":
            field = extract.extract("cccd", result.text)[0]
            assert field.name == "id_number" and field.value, doc["id"]
            validate_id_number(field.value, "citizen")
            assert field.confidence >= 0.85


def test_born_digital_pdf_keeps_its_text(forms_run):
    doc, first = next((d, r) for d, r in forms_run if d["id"] == "business-01")
    again = ocr.ocr(first.pdf)  # a PDF that already has text: not OCR'd twice (skip_text)
    assert again.has_text and again.pages == 1
    assert cer(first.text, again.text) < 0.01


# --- to_pdf ------------------------------------------------------------------------------------


def test_to_pdf_merges_in_order_and_keeps_multipage_tiff(truth):
    tiff = read_files(truth["prose-07-08"])[0]
    small = png(size=(600, 900))
    pdf = ocr.to_pdf([(small, "image/png"), tiff, (blank_pdf(), "application/pdf")])
    with pikepdf.open(io.BytesIO(pdf)) as merged:
        sizes = [tuple(round(float(v)) for v in page.mediabox[2:]) for page in merged.pages]
    assert sizes == [(144, 216), (595, 842), (595, 842), (595, 842)]
    assert ocr.check_pdf(pdf) == 4


def test_to_pdf_trusts_content_not_declared_type_and_handles_odd_images():
    rgba = png(mode="RGBA", color=(255, 255, 255, 0))
    no_dpi = png(size=(2480, 3508), dpi=None)  # a phone or a scanner that states no resolution
    pdf = ocr.to_pdf([(rgba, "image/jpeg"), (no_dpi, "application/octet-stream")])
    with pikepdf.open(io.BytesIO(pdf)) as merged:
        assert len(merged.pages) == 2
        assert [round(float(v)) for v in merged.pages[1].mediabox[2:]] == [595, 842]  # taken as 300 dpi


def test_single_pdf_passes_through_unchanged():
    data = blank_pdf(2)
    assert ocr.to_pdf([(data, "application/pdf")]) == data


# --- bad inputs: OcrError with a code and a Vietnamese message -----------------------------------


def encrypted_pdf(user: str) -> bytes:
    buf = io.BytesIO()
    with pikepdf.open(io.BytesIO(blank_pdf())) as pdf:
        pdf.save(buf, encryption=pikepdf.Encryption(owner="chu-so-huu", user=user))
    return buf.getvalue()


@pytest.mark.parametrize(
    ("files", "code", "words"),
    [
        ([], "empty", "rỗng"),
        ([(b"", "application/pdf")], "empty", "rỗng"),
        ([(b"Don de nghi cap giay phep", "text/plain")], "corrupt", "không phải PDF"),
        ([(b"%PDF-1.7\n" + bytes(range(256)) * 4, "application/pdf")], "corrupt", "hỏng"),
        ([(encrypted_pdf("mat-khau"), "application/pdf")], "encrypted", "mật khẩu"),
        ([(encrypted_pdf(""), "application/pdf")], "encrypted", "mật khẩu"),
        ([(b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, "image/png")], "corrupt", "hỏng"),
        ([(blank_pdf(120), "application/pdf"), (blank_pdf(81), "application/pdf")], "too_many_pages", "200 trang"),
    ],
)
def test_to_pdf_refuses_bad_files(files, code, words):
    with pytest.raises(OcrError) as caught:
        ocr.to_pdf(files)
    assert caught.value.code == code
    assert words in caught.value.message


def test_second_bad_file_is_named():
    with pytest.raises(OcrError) as caught:
        ocr.to_pdf([(png(), "image/png"), (b"hello", "text/plain")])
    assert caught.value.message.startswith("Tệp thứ 2: ")


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (b"", "empty"),
        (b"xin chao", "corrupt"),
        (blank_pdf()[:40], "corrupt"),
        (b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF", "corrupt"),
        (blank_pdf(0), "empty"),
        (blank_pdf(201), "too_many_pages"),
        (encrypted_pdf("mat-khau"), "encrypted"),
    ],
)
def test_check_pdf_and_ocr_refuse_bad_pdfs(data, code):
    with pytest.raises(OcrError) as caught:
        ocr.check_pdf(data)
    assert caught.value.code == code
    with pytest.raises(OcrError) as caught:
        ocr.ocr(data)
    assert caught.value.code == code
    message = caught.value.message
    assert message.endswith(".") and any(c in message for c in "ệặảđơư")  # Vietnamese, with diacritics


def test_blank_image_is_not_an_error():
    result = ocr.ocr(ocr.to_pdf([(png(size=(2480, 3508)), "image/png")]), jobs=1)
    assert result.pages == 1
    assert not result.has_text
    assert result.text.strip() == ""
    assert result.pdfa and result.seconds > 0


def test_timeout():
    with pytest.raises(OcrError) as caught:
        ocr.ocr(ocr.to_pdf([(png(size=(620, 877), dpi=(75, 75)), "image/png")]), timeout=0.01, jobs=1)
    assert caught.value.code == "timeout"
    assert "thời gian" in caught.value.message
    # the abandoned run finishes on its own (each Tesseract call is bounded) and cleans up after itself
    deadline = time.monotonic() + 60
    while any(t.name == "motcua-ocr" for t in threading.enumerate()) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not any(t.name == "motcua-ocr" for t in threading.enumerate())


def self_signed_pdf(data: bytes) -> bytes:
    from asn1crypto import keys as asn1_keys
    from asn1crypto import x509 as asn1_x509
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import signers
    from pyhanko.sign.fields import SigFieldSpec
    from pyhanko_certvalidator.registry import SimpleCertificateStore

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "UBND xa Thu Nghiem")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(1).not_valid_before(now - dt.timedelta(days=1)).not_valid_after(now + dt.timedelta(days=30))
        .sign(key, hashes.SHA256())
    )  # fmt: skip
    der_key = key.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    signer = signers.SimpleSigner(
        signing_cert=asn1_x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER)),
        signing_key=asn1_keys.PrivateKeyInfo.load(der_key),
        cert_registry=SimpleCertificateStore(),
    )
    out = signers.sign_pdf(
        IncrementalPdfFileWriter(io.BytesIO(data)),
        signers.PdfSignatureMetadata(field_name="ChuKy"),
        signer=signer,
        new_field_spec=SigFieldSpec("ChuKy"),
    )
    return out.getvalue()


def test_signed_pdf_is_returned_unchanged_with_its_text(forms_run):
    _, first = next((d, r) for d, r in forms_run if d["id"] == "birth-01")
    signed = self_signed_pdf(first.pdf)
    assert ocr.is_signed(signed)
    result = ocr.ocr(signed)
    assert result.signed and not result.pdfa
    assert result.pdf == signed  # rewriting it would break the signature
    assert result.has_text and "GIẤY KHAI SINH" in result.text


def test_engine_failure_becomes_ocr_failed():
    pdf = ocr.to_pdf([(png(size=(620, 877), dpi=(75, 75)), "image/png")])
    with pytest.raises(OcrError) as caught:
        ocr.ocr(pdf, language="khm", jobs=1)  # a Tesseract language that is not installed
    assert caught.value.code == "ocr_failed"
    assert caught.value.message.startswith("Không nhận dạng được chữ")
