import datetime as dt
import io

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID
from django.core.exceptions import ValidationError

from motcua.signing import pki
from motcua.signing.models import AgencyCertificate
from motcua.signing.services import (
    SUMMARY_MODIFIED,
    SUMMARY_OK,
    SUMMARY_UNTRUSTED,
    SigningError,
    sign_pdf,
    signer_for,
    validate_pdf,
)

pytestmark = pytest.mark.django_db


def _foreign_p12(path, name, password=b"motcua-demo"):
    """A signing certificate from a different, self-made CA (not in SIGNING_TRUST_ROOTS)."""
    ca, ca_key = pki.make_ca("Other Test CA")
    data = pki.make_signing_p12(
        common_name=name, organization=name, identifier="X", ca_cert=ca, ca_key=ca_key, password=password
    )
    path.write_bytes(data)
    return path


def _expired_p12(path, password=b"motcua-demo"):
    ca, ca_key = pki.make_ca("Old Test CA")
    key = ec.generate_private_key(ec.SECP256R1())
    start = dt.datetime.now(dt.UTC) - dt.timedelta(days=800)
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Hết hạn")]))
        .issuer_name(ca.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(start + dt.timedelta(days=365))
        .sign(ca_key, hashes.SHA256())
    )
    enc = serialization.BestAvailableEncryption(password)
    path.write_bytes(pkcs12.serialize_key_and_certificates(b"old", key, cert, [ca], enc))
    return path


def test_sign_then_validate(agency, pdf_bytes):
    signed = sign_pdf(pdf_bytes, agency=agency, reason="Ký kết quả giải quyết", location="Tỉnh An Hòa")
    assert signed.startswith(pdf_bytes)  # incremental update: original bytes untouched
    [report] = validate_pdf(signed)
    assert report.intact and report.valid and report.trusted
    assert report.covers_whole_document and not report.modified_after_signing
    assert report.signer_name == agency.name and report.signer_org == agency.name
    assert report.serial == agency.code
    assert report.signing_time is not None and report.signing_time.tzinfo is not None
    assert abs(report.signing_time - dt.datetime.now(dt.UTC)) < dt.timedelta(minutes=5)
    assert report.summary == SUMMARY_OK and report.ok
    assert report.revocation_checked is False
    assert report.reason == "Ký kết quả giải quyết" and report.location == "Tỉnh An Hòa"
    assert report.field_name == "Signature1"


def test_sign_pdfa_input(agency, pdfa_bytes):
    signed = sign_pdf(pdfa_bytes, agency=agency)
    assert signed.startswith(pdfa_bytes)
    [report] = validate_pdf(signed)
    assert report.ok


def test_tampered_signed_range_is_not_intact(agency, pdf_bytes):
    signed = bytearray(sign_pdf(pdf_bytes, agency=agency))
    assert signed[9:10] == b"%"  # the binary comment on line 2: changing it keeps the file readable
    signed[10] ^= 0x01
    [report] = validate_pdf(bytes(signed))
    assert not report.intact and not report.valid and not report.ok
    assert report.summary == SUMMARY_MODIFIED


def test_content_appended_after_signing_is_reported(agency, pdf_bytes):
    from pyhanko.pdf_utils import generic
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

    signed = sign_pdf(pdf_bytes, agency=agency)
    writer = IncrementalPdfFileWriter(io.BytesIO(signed))
    page = writer.root["/Pages"]["/Kids"][0].get_object()
    page["/Rotate"] = generic.NumberObject(90)
    writer.update_container(page)
    out = io.BytesIO()
    writer.write(out)
    [report] = validate_pdf(out.getvalue())
    assert report.intact and report.valid  # the signed bytes are unchanged ...
    assert report.modified_after_signing and not report.covers_whole_document  # ... but the document was changed
    assert report.summary == SUMMARY_MODIFIED and report.verdict == "modified"


def test_foreign_ca_is_valid_but_not_trusted(agency, pdf_bytes, pki_dir):
    pki_dir.mkdir(parents=True, exist_ok=True)
    pki.ensure_root_ca()  # the demo root is configured and present, just not the signer's issuer
    _foreign_p12(pki_dir / "foreign.p12", agency.name)
    AgencyCertificate.objects.create(agency=agency, p12_path="foreign.p12")
    [report] = validate_pdf(sign_pdf(pdf_bytes, agency=agency))
    assert report.intact and report.valid and not report.trusted
    assert report.summary == SUMMARY_UNTRUSTED and report.verdict == "untrusted"


def test_foreign_ca_trusted_once_configured(agency, pdf_bytes, pki_dir, settings):
    pki_dir.mkdir(parents=True, exist_ok=True)
    _foreign_p12(pki_dir / "foreign.p12", agency.name)
    AgencyCertificate.objects.create(agency=agency, p12_path=str(pki_dir / "foreign.p12"))
    _key, _cert, [ca] = pkcs12.load_key_and_certificates((pki_dir / "foreign.p12").read_bytes(), b"motcua-demo")
    (pki_dir / "other-ca.pem").write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    settings.SIGNING_TRUST_ROOTS = ["root-ca.pem", str(pki_dir / "other-ca.pem")]
    [report] = validate_pdf(sign_pdf(pdf_bytes, agency=agency))
    assert report.ok


def test_two_successive_signatures(agency, demo_org, pdf_bytes):
    from motcua.org.models import Agency

    other = Agency.objects.get(code="000.00.06.H99")
    once = sign_pdf(pdf_bytes, agency=agency)
    twice = sign_pdf(once, agency=other, reason="Chứng thực bản sao")
    assert twice.startswith(once)
    first, second = validate_pdf(twice)
    assert (first.field_name, second.field_name) == ("Signature1", "Signature2")
    assert first.signer_name == agency.name and second.signer_name == other.name
    for report in (first, second):
        assert report.intact and report.valid and report.trusted and not report.modified_after_signing
        assert report.summary == SUMMARY_OK
    assert not first.covers_whole_document and second.covers_whole_document


def test_named_field_and_duplicate(agency, pdf_bytes):
    signed = sign_pdf(pdf_bytes, agency=agency, field_name="ChuKyCoQuan")
    assert validate_pdf(signed)[0].field_name == "ChuKyCoQuan"
    with pytest.raises(SigningError) as err:
        sign_pdf(signed, agency=agency, field_name="ChuKyCoQuan")
    assert err.value.code == "field_exists"


def test_unsigned_pdf_has_no_reports(pdf_bytes):
    assert validate_pdf(pdf_bytes) == []


def _encrypted(pdf_bytes):
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.pdf_utils.writer import copy_into_new_writer

    writer = copy_into_new_writer(PdfFileReader(io.BytesIO(pdf_bytes)))
    writer.encrypt("chu-so-huu", "nguoi-dung")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


@pytest.mark.parametrize(
    ("make", "code", "words"),
    [
        (lambda pdf: b"", "not_pdf", "không phải là tài liệu PDF"),
        (
            lambda pdf: b"Xin ch\xc3\xa0o, \xc4\x91\xc3\xa2y l\xc3\xa0 v\xc4\x83n b\xe1\xba\xa3n.",
            "not_pdf",
            "không phải",
        ),
        (lambda pdf: b"\x89PNG\r\n\x1a\n" + bytes(200), "not_pdf", "không phải"),
        (lambda pdf: b"%PDF-1.7\n" + bytes(range(256)) * 4, "corrupt_pdf", "bị hỏng"),
        (lambda pdf: pdf[: len(pdf) // 3], "corrupt_pdf", "bị hỏng"),
        (_encrypted, "encrypted_pdf", "mã hóa"),
    ],
)
def test_bad_input_raises_vietnamese_error(agency, pdf_bytes, make, code, words):
    data = make(pdf_bytes)
    with pytest.raises(SigningError) as err:
        validate_pdf(data)
    assert err.value.code == code and words in err.value.message
    with pytest.raises(SigningError) as err:
        sign_pdf(data, agency=agency)
    assert err.value.code == code and words in str(err.value)


def test_configured_certificate_with_wrong_password(agency, pdf_bytes, pki_dir, settings, monkeypatch):
    pki_dir.mkdir(parents=True, exist_ok=True)
    _foreign_p12(pki_dir / "real.p12", agency.name, password=b"dung-mat-khau")
    config = AgencyCertificate.objects.create(agency=agency, p12_path="real.p12", password_env="MOTCUA_TEST_P12_PW")
    assert config.subject == "" and config.not_after is None  # cannot be opened yet: cache left blank

    with pytest.raises(SigningError) as err:  # variable not set
        sign_pdf(pdf_bytes, agency=agency)
    assert err.value.code == "no_password" and "MOTCUA_TEST_P12_PW" in err.value.message

    monkeypatch.setenv("MOTCUA_TEST_P12_PW", "sai-mat-khau")
    with pytest.raises(SigningError) as err:
        sign_pdf(pdf_bytes, agency=agency)
    assert err.value.code == "bad_password"
    assert agency.name in err.value.message and "sai mật khẩu" in err.value.message
    with pytest.raises(ValidationError) as invalid:
        config.full_clean()
    assert "sai mật khẩu" in str(invalid.value.message_dict["p12_path"])

    monkeypatch.setenv("MOTCUA_TEST_P12_PW", "dung-mat-khau")
    config.full_clean()
    config.save()
    config.refresh_from_db()
    assert f"CN={agency.name}" in config.subject and config.serial and config.not_after > dt.datetime.now(dt.UTC)
    assert validate_pdf(sign_pdf(pdf_bytes, agency=agency))[0].valid


def test_expired_certificate(agency, pdf_bytes, pki_dir):
    pki_dir.mkdir(parents=True, exist_ok=True)
    _expired_p12(pki_dir / "old.p12")
    AgencyCertificate.objects.create(agency=agency, p12_path="old.p12")
    with pytest.raises(SigningError) as err:
        sign_pdf(pdf_bytes, agency=agency)
    assert err.value.code == "expired" and "đã hết hạn ngày" in err.value.message


def test_no_certificate_when_demo_pki_is_off(agency, pdf_bytes, settings, pki_dir):
    settings.SIGNING_DEMO_PKI = False
    with pytest.raises(SigningError) as err:
        signer_for(agency)
    assert err.value.code == "no_certificate"
    assert err.value.message.startswith(f"Cơ quan {agency.name} chưa được cấu hình chứng thư số")
    assert not pki_dir.exists()

    # an inactive configuration does not count either
    AgencyCertificate.objects.create(agency=agency, p12_path="missing.p12", active=False)
    with pytest.raises(SigningError) as err:
        signer_for(agency)
    assert err.value.code == "no_certificate"


def test_missing_configured_file(agency):
    AgencyCertificate.objects.create(agency=agency, p12_path="khong-co.p12")
    with pytest.raises(SigningError) as err:
        signer_for(agency)
    assert err.value.code == "file_missing" and "Không tìm thấy tệp chứng thư số" in err.value.message


def test_document_timestamp_is_reported(agency, pdf_bytes, pki_dir, settings):
    from asn1crypto import keys as asn1_keys
    from asn1crypto import x509 as asn1_x509
    from cryptography.hazmat.primitives.asymmetric import rsa
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import signers
    from pyhanko.sign.timestamps.dummy_client import DummyTimeStamper

    ca, ca_key = pki.make_ca("Test TSA Root")
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)  # pyHanko's dummy TSA is RSA-only
    now = dt.datetime.now(dt.UTC)
    tsa = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Dịch vụ cấp dấu thời gian thử")]))
        .issuer_name(ca.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(hours=1))
        .not_valid_after(now + dt.timedelta(days=30))
        .add_extension(x509.ExtendedKeyUsage([x509.ExtendedKeyUsageOID.TIME_STAMPING]), critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    der = serialization.Encoding.DER
    stamper = DummyTimeStamper(
        tsa_cert=asn1_x509.Certificate.load(tsa.public_bytes(der)),
        tsa_key=asn1_keys.PrivateKeyInfo.load(
            key.private_bytes(der, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
        ),
        certs_to_embed=[asn1_x509.Certificate.load(ca.public_bytes(der))],
    )
    signed = sign_pdf(pdf_bytes, agency=agency)
    out = signers.PdfTimeStamper(stamper).timestamp_pdf(
        IncrementalPdfFileWriter(io.BytesIO(signed)), md_algorithm="sha256"
    )
    signature, stamp = validate_pdf(out.getvalue())
    assert signature.ok and not signature.modified_after_signing
    assert stamp.kind == "timestamp" and stamp.valid and not stamp.trusted
    assert stamp.signer_name == "Dịch vụ cấp dấu thời gian thử" and stamp.signing_time is not None
