"""Demo PKI and PKCS#12 handling (``cryptography`` only; no pyHanko import here).

Layout under ``settings.SIGNING_PKI_DIR``::

    root-ca.pem            demo root CA certificate (a trust root by default)
    root-ca.key            its private key, PEM encrypted with SIGNING_P12_PASSWORD
    agencies/<code>.p12    one signing certificate per agency (key + cert + root)
    .lock                  serialises generation across processes

Keys are EC P-256 (a certificate costs a few milliseconds, so ~40 agencies are instant) and
certificates are SHA-256 signed. Everything is created only when missing (idempotent); files are
written to a temporary name and renamed, under an exclusive file lock, so concurrent workers never
see half-written files nor create two different roots.

This is a *demo* CA: the root key sits next to the certificates. Production deployments turn
``SIGNING_DEMO_PKI`` off and configure real certificates per agency (``AgencyCertificate``).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID
from django.conf import settings

from .errors import SigningError

try:  # POSIX; elsewhere generation is simply not serialised across processes
    import fcntl
except ImportError:  # pragma: no cover
    fcntl = None

ROOT_CA_NAME = "MotCua Demo Root CA – Tỉnh An Hòa"
ROOT_CA_CERT = "root-ca.pem"
ROOT_CA_KEY = "root-ca.key"
AGENCIES_DIR = "agencies"
ROOT_VALIDITY = dt.timedelta(days=20 * 365 + 5)
AGENCY_VALIDITY = dt.timedelta(days=5 * 365 + 1)
OFFICER_VALIDITY = dt.timedelta(days=2 * 365 + 1)
BACKDATE = dt.timedelta(minutes=5)  # tolerate small clock differences between servers
NAME_MAX = 64  # RFC 5280 upper bound for CN and O
_SAFE_CODE = re.compile(r"^[0-9A-Za-z][0-9A-Za-z._-]{0,59}$")


@dataclass(frozen=True)
class P12Bundle:
    """The content of a PKCS#12 file: private key, its certificate and the other certificates."""

    key: object
    cert: x509.Certificate
    chain: list[x509.Certificate]


# --- Paths -----------------------------------------------------------------------------------
def pki_dir() -> Path:
    return Path(settings.SIGNING_PKI_DIR)


def resolve_path(path: str | os.PathLike) -> Path:
    """``path`` itself if absolute, else relative to ``SIGNING_PKI_DIR``."""
    path = Path(path).expanduser()
    return path if path.is_absolute() else pki_dir() / path


def root_ca_path() -> Path:
    return pki_dir() / ROOT_CA_CERT


def agency_p12_path(code: str) -> Path:
    """Where the demo PKCS#12 of the agency with electronic identifier ``code`` lives."""
    if not _SAFE_CODE.match(code or ""):
        raise SigningError(f"Mã cơ quan “{code}” không hợp lệ để đặt tên tệp chứng thư số.", "bad_agency_code")
    return pki_dir() / AGENCIES_DIR / f"{code}.p12"


def _password() -> bytes:
    return str(settings.SIGNING_P12_PASSWORD).encode()


@contextlib.contextmanager
def _locked():
    directory = pki_dir()
    directory.mkdir(parents=True, exist_ok=True)
    with open(directory / ".lock", "a+b") as handle:
        if fcntl is not None:
            fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            if fcntl is not None:
                fcntl.flock(handle, fcntl.LOCK_UN)


def _write_atomic(path: Path, data: bytes, mode: int = 0o600) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


# --- Certificate building --------------------------------------------------------------------
def _clip(text: str, *, utf8: bool = False) -> str:
    """Normalise spaces and cut to NAME_MAX characters (RFC 5280 upper bound for CN and O).

    With ``utf8``, cut to NAME_MAX UTF-8 *bytes* instead: ``cryptography`` enforces the bound on
    the encoded common name, and Vietnamese letters take 2-3 bytes.
    """
    text = " ".join((text or "").split())[:NAME_MAX]
    if utf8:
        text = text.encode()[:NAME_MAX].decode(errors="ignore")
    return text.strip() or "?"


def _key_usage(*, signing: bool) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=signing,
        content_commitment=signing,  # nonRepudiation
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=not signing,
        crl_sign=not signing,
        encipher_only=False,
        decipher_only=False,
    )


def _end_entity_cert(
    subject: x509.Name, public_key, issuer: x509.Certificate, issuer_key, validity: dt.timedelta
) -> x509.Certificate:
    now = dt.datetime.now(dt.UTC)
    not_after = min(now + validity, issuer.not_valid_after_utc)
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer.subject)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - BACKDATE)
        .not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_key_usage(signing=True), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()), critical=False)
        .sign(issuer_key, hashes.SHA256())
    )


def make_ca(common_name: str, validity: dt.timedelta = ROOT_VALIDITY) -> tuple[x509.Certificate, object]:
    """A fresh self-signed CA (certificate, EC P-256 key); nothing is written."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "VN"),
            x509.NameAttribute(NameOID.COMMON_NAME, _clip(common_name, utf8=True)),
        ]
    )
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - BACKDATE)
        .not_valid_after(now + validity)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(_key_usage(signing=False), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    return cert, key


def make_signing_p12(
    *,
    common_name: str,
    organization: str,
    identifier: str,
    ca_cert: x509.Certificate,
    ca_key,
    password: bytes,
    validity: dt.timedelta = AGENCY_VALIDITY,
) -> bytes:
    """A PKCS#12 (key + certificate issued by ``ca_cert`` + the CA) for document signing.

    Subject: C=VN, O=organization, CN=common_name, serialNumber=UID=identifier (names longer than
    64 characters, or a CN longer than 64 UTF-8 bytes, are cut). Key usage
    digitalSignature + nonRepudiation (what PDF signature validators require).
    """
    key = ec.generate_private_key(ec.SECP256R1())
    attributes = [x509.NameAttribute(NameOID.COUNTRY_NAME, "VN")]
    if organization:
        attributes.append(x509.NameAttribute(NameOID.ORGANIZATION_NAME, _clip(organization)))
    attributes += [
        x509.NameAttribute(NameOID.COMMON_NAME, _clip(common_name, utf8=True)),
        x509.NameAttribute(NameOID.SERIAL_NUMBER, identifier),
        x509.NameAttribute(NameOID.USER_ID, identifier),
    ]
    cert = _end_entity_cert(x509.Name(attributes), key.public_key(), ca_cert, ca_key, validity)
    encryption = (
        serialization.PrivateFormat.PKCS12.encryption_builder()
        .kdf_rounds(50_000)
        .key_cert_algorithm(pkcs12.PBES.PBESv2SHA256AndAES256CBC)
        .hmac_hash(hashes.SHA256())
        .build(password)
    )
    return pkcs12.serialize_key_and_certificates(
        _clip(common_name, utf8=True).encode(), key, cert, [ca_cert], encryption
    )


# --- Demo root CA and agency certificates -----------------------------------------------------
def _load_root() -> tuple[x509.Certificate, object]:
    cert_path, key_path = root_ca_path(), pki_dir() / ROOT_CA_KEY
    if not key_path.exists():
        raise SigningError(
            "Không tìm thấy khóa bí mật của CA demo (root-ca.key) nên không cấp được chứng thư số mới.", "pki"
        )
    try:
        cert = x509.load_pem_x509_certificate(cert_path.read_bytes())
        key = serialization.load_pem_private_key(key_path.read_bytes(), password=_password())
    except (ValueError, TypeError) as exc:
        raise SigningError(
            "Không mở được CA demo: tệp hỏng hoặc mật khẩu SIGNING_P12_PASSWORD đã thay đổi.", "pki"
        ) from exc
    return cert, key


def _ensure_root_locked() -> tuple[x509.Certificate, object, bool]:
    if root_ca_path().exists():
        cert, key = _load_root()
        return cert, key, False
    cert, key = make_ca(ROOT_CA_NAME)
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(_password()),
    )
    _write_atomic(pki_dir() / ROOT_CA_KEY, key_pem)
    _write_atomic(root_ca_path(), cert.public_bytes(serialization.Encoding.PEM), mode=0o644)
    return cert, key, True


def ensure_root_ca() -> tuple[x509.Certificate, bool]:
    """The demo root CA certificate, created if missing; returns (certificate, created)."""
    with _locked():
        cert, _key, created = _ensure_root_locked()
    return cert, created


def ensure_agency_p12_by_code(code: str, name: str) -> tuple[Path, bool]:
    """Create ``agencies/<code>.p12`` (CN = O = ``name``) if missing; returns (path, created)."""
    path = agency_p12_path(code)
    if path.exists():
        return path, False
    with _locked():
        if path.exists():  # another process made it while we waited
            return path, False
        ca_cert, ca_key, _ = _ensure_root_locked()
        data = make_signing_p12(
            common_name=name, organization=name, identifier=code, ca_cert=ca_cert, ca_key=ca_key, password=_password()
        )
        _write_atomic(path, data)
    return path, True


def ensure_agency_p12(agency) -> Path:
    """The path of ``agency``'s demo PKCS#12 (``agencies/<code>.p12``), created on first use."""
    return ensure_agency_p12_by_code(agency.code, agency.name)[0]


def issue_officer_p12(
    full_name: str,
    *,
    identifier: str,
    organization: str = "",
    password: str | None = None,
    validity: dt.timedelta = OFFICER_VALIDITY,
) -> bytes:
    """A personal signing certificate for an officer, issued by the demo root, as PKCS#12 bytes.

    ``identifier`` goes to serialNumber/UID (e.g. the citizen ID number); ``organization`` to O.
    Nothing is written; the caller stores the bytes (protected by ``password``, default
    ``SIGNING_P12_PASSWORD``).
    """
    with _locked():
        ca_cert, ca_key, _ = _ensure_root_locked()
    pw = password.encode() if password is not None else _password()
    return make_signing_p12(
        common_name=full_name,
        organization=organization,
        identifier=identifier,
        ca_cert=ca_cert,
        ca_key=ca_key,
        password=pw,
        validity=validity,
    )


# --- Loading and checking ---------------------------------------------------------------------
def load_p12(path: Path, password: str, *, owner: str) -> P12Bundle:
    """Open a PKCS#12 file; ``owner`` (e.g. "cơ quan X") only serves the error messages."""
    try:
        data = path.read_bytes()
    except FileNotFoundError as exc:
        raise SigningError(f"Không tìm thấy tệp chứng thư số của {owner} ({path.name}).", "file_missing") from exc
    except OSError as exc:
        raise SigningError(f"Không đọc được tệp chứng thư số của {owner} ({path.name}).", "file_missing") from exc
    try:
        key, cert, others = pkcs12.load_key_and_certificates(data, password.encode())
    except (ValueError, TypeError) as exc:
        raise SigningError(
            f"Không mở được tệp chứng thư số của {owner}: sai mật khẩu hoặc tệp không đúng định dạng PKCS#12.",
            "bad_password",
        ) from exc
    if key is None or cert is None:
        raise SigningError(
            f"Tệp chứng thư số của {owner} không chứa khóa bí mật và chứng thư số để ký.", "bad_password"
        )
    return P12Bundle(key=key, cert=cert, chain=list(others or []))


def check_validity(cert: x509.Certificate, *, owner: str, at: dt.datetime | None = None) -> None:
    """Raise SigningError unless ``cert`` is within its validity period at ``at`` (now)."""
    at = at or dt.datetime.now(dt.UTC)
    if at > cert.not_valid_after_utc:
        until = cert.not_valid_after_utc.astimezone(_local_tz()).strftime("%d/%m/%Y")
        raise SigningError(f"Chứng thư số của {owner} đã hết hạn ngày {until}.", "expired")
    if at < cert.not_valid_before_utc:
        since = cert.not_valid_before_utc.astimezone(_local_tz()).strftime("%d/%m/%Y")
        raise SigningError(f"Chứng thư số của {owner} chưa có hiệu lực (từ ngày {since}).", "not_yet_valid")


def describe(cert: x509.Certificate) -> dict:
    """Subject (RFC 4514), serial number (hex) and expiry of ``cert``, for display and caching."""
    return {
        "subject": cert.subject.rfc4514_string()[:500],
        "serial": format(cert.serial_number, "X"),
        "not_after": cert.not_valid_after_utc,
    }


def _local_tz():
    from zoneinfo import ZoneInfo

    return ZoneInfo(settings.TIME_ZONE)
