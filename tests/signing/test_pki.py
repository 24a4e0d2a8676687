import datetime as dt
import time

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID
from django.core.management import CommandError, call_command

from motcua.signing import pki
from motcua.signing.errors import SigningError

from .conftest import AGENCY_CODE


def _load(path, password=b"motcua-demo"):
    return pkcs12.load_key_and_certificates(path.read_bytes(), password)


@pytest.mark.django_db
def test_make_demo_pki_is_idempotent(agency, pki_dir, capsys):
    call_command("make_demo_pki", AGENCY_CODE)
    first = capsys.readouterr().out
    assert "đã tạo CA gốc mới" in first and "tạo 1 chứng thư số" in first
    root = (pki_dir / "root-ca.pem").read_bytes()
    p12 = (pki_dir / "agencies" / f"{AGENCY_CODE}.p12").read_bytes()

    call_command("make_demo_pki", AGENCY_CODE)
    second = capsys.readouterr().out
    assert "CA gốc đã có" in second and "tạo 0 chứng thư số" in second and "bỏ qua 1" in second
    assert (pki_dir / "root-ca.pem").read_bytes() == root
    assert (pki_dir / "agencies" / f"{AGENCY_CODE}.p12").read_bytes() == p12


@pytest.mark.django_db
def test_make_demo_pki_for_all_active_agencies_is_fast(demo_org, pki_dir):
    from motcua.org.models import Agency

    started = time.monotonic()
    call_command("make_demo_pki")
    elapsed = time.monotonic() - started
    count = Agency.objects.active_on().count()
    assert len(list((pki_dir / "agencies").glob("*.p12"))) == count
    assert elapsed < 0.5 * count + 1


@pytest.mark.django_db
def test_make_demo_pki_unknown_code(demo_org):
    with pytest.raises(CommandError, match="Không tìm thấy cơ quan có mã: 000.99.99.H99"):
        call_command("make_demo_pki", "000.99.99.H99")


@pytest.mark.django_db
def test_agency_certificate_content(agency, pki_dir):
    path = pki.ensure_agency_p12(agency)
    assert path == pki_dir / "agencies" / f"{AGENCY_CODE}.p12"
    key, cert, others = _load(path)
    root = x509.load_pem_x509_certificate((pki_dir / "root-ca.pem").read_bytes())

    assert cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == agency.name
    assert cert.subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)[0].value == agency.name
    assert cert.subject.get_attributes_for_oid(NameOID.SERIAL_NUMBER)[0].value == AGENCY_CODE
    assert cert.subject.get_attributes_for_oid(NameOID.USER_ID)[0].value == AGENCY_CODE
    assert cert.issuer == root.subject
    assert root.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == "MotCua Demo Root CA – Tỉnh An Hòa"
    usage = cert.extensions.get_extension_for_class(x509.KeyUsage).value
    assert usage.digital_signature and usage.content_commitment and not usage.key_cert_sign
    years = (cert.not_valid_after_utc - cert.not_valid_before_utc).days / 365
    assert 4.9 < years < 5.1
    root.public_key().verify(cert.signature, cert.tbs_certificate_bytes, _ecdsa_sha256())
    assert [c.subject for c in others] == [root.subject]
    assert key is not None
    assert oct(path.stat().st_mode & 0o777) == "0o600"


def _ecdsa_sha256():
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec

    return ec.ECDSA(hashes.SHA256())


def test_wrong_password_and_bad_code(pki_dir, settings):
    path, created = pki.ensure_agency_p12_by_code("000.00.06.H99", "Sở Tư pháp")
    assert created
    with pytest.raises(SigningError) as err:
        pki.load_p12(path, "sai-mat-khau", owner="cơ quan Sở Tư pháp")
    assert err.value.code == "bad_password"
    assert "sai mật khẩu" in err.value.message
    with pytest.raises(SigningError) as err:
        pki.agency_p12_path("../../etc/passwd")
    assert err.value.code == "bad_agency_code"


def test_officer_certificate(pki_dir):
    data = pki.issue_officer_p12("Nguyễn Văn An", identifier="079012345678", organization="UBND xã Hòa Bình")
    key, cert, _ = pkcs12.load_key_and_certificates(data, b"motcua-demo")
    assert cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == "Nguyễn Văn An"
    assert cert.subject.get_attributes_for_oid(NameOID.SERIAL_NUMBER)[0].value == "079012345678"
    assert not (pki_dir / "agencies").exists()


def test_check_validity_messages():
    ca, ca_key = pki.make_ca("Test CA")
    with pytest.raises(SigningError) as err:
        pki.check_validity(ca, owner="cơ quan X", at=dt.datetime.now(dt.UTC) + dt.timedelta(days=365 * 30))
    assert err.value.code == "expired" and "đã hết hạn ngày" in err.value.message
    with pytest.raises(SigningError) as err:
        pki.check_validity(ca, owner="cơ quan X", at=dt.datetime(2000, 1, 1, tzinfo=dt.UTC))
    assert err.value.code == "not_yet_valid"


def test_long_names_are_clipped_to_64_characters(pki_dir):
    name = "Trung tâm Phục vụ hành chính công và Xúc tiến đầu tư, thương mại, du lịch tỉnh An Hòa"
    path, _ = pki.ensure_agency_p12_by_code("000.00.99.H99", name)
    _, cert, _ = _load(path)
    common_name = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value
    assert name.startswith(common_name) and len(common_name.encode()) <= 64  # cryptography bounds the UTF-8 bytes
    assert cert.subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)[0].value == name[:64]
