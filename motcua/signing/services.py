"""Signing and validating PDFs (PAdES) in the name of an agency.

Public API: ``signer_for``, ``sign_pdf``, ``validate_pdf``, ``trust_roots``, ``SignatureReport``
and ``SigningError``. See the package docstring for the design.

pyHanko is imported here at module level; import this module lazily (inside functions) from
hot paths that do not sign.
"""

from __future__ import annotations

import datetime as dt
import io
import logging
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from asn1crypto import keys as asn1_keys
from asn1crypto import pem as asn1_pem
from asn1crypto import x509 as asn1_x509
from cryptography.hazmat.primitives import serialization
from django.conf import settings
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import signers
from pyhanko.sign.ades.report import AdESFailure, AdESIndeterminate
from pyhanko.sign.diff_analysis import ModificationLevel
from pyhanko.sign.fields import SigSeedSubFilter, enumerate_sig_fields
from pyhanko.sign.validation import validate_pdf_signature, validate_pdf_timestamp
from pyhanko.sign.validation.pdf_embedded import EmbeddedPdfSignature
from pyhanko.sign.validation.status import SignatureCoverageLevel
from pyhanko_certvalidator import ValidationContext
from pyhanko_certvalidator.registry import SimpleCertificateStore

from . import pki
from .errors import SigningError

__all__ = ["SignatureReport", "SigningError", "sign_pdf", "signer_for", "trust_roots", "validate_pdf"]

logger = logging.getLogger(__name__)

HEADER_WINDOW = 1024  # the "%PDF-" header may follow some junk bytes (ISO 32000-1, 7.5.2)

MSG_NOT_PDF = "Tệp không phải là tài liệu PDF."
MSG_CORRUPT = "Tệp PDF bị hỏng hoặc không đọc được."
MSG_ENCRYPTED = "Tệp PDF được đặt mật khẩu (mã hóa); hệ thống không ký hoặc kiểm tra chữ ký trên tệp mã hóa."

SUMMARY_OK = "Chữ ký hợp lệ, đáng tin cậy"
SUMMARY_MODIFIED = "Tài liệu đã bị sửa đổi sau khi ký"
SUMMARY_INVALID = "Chữ ký không hợp lệ"
SUMMARY_UNTRUSTED = "Chữ ký hợp lệ nhưng chứng thư số không thuộc danh sách tin cậy"
SUMMARY_EXPIRED = "Chữ ký hợp lệ nhưng chứng thư số đã hết hạn hoặc chưa có hiệu lực tại thời điểm kiểm tra"
SUMMARY_REVOKED = "Chữ ký hợp lệ nhưng chứng thư số đã bị thu hồi"
SUMMARY_UNREADABLE = "Không kiểm tra được chữ ký: dữ liệu chữ ký bị hỏng hoặc định dạng không được hỗ trợ"

_EXPIRY_PROBLEMS = {
    AdESIndeterminate.OUT_OF_BOUNDS_NO_POE,
    AdESIndeterminate.OUT_OF_BOUNDS_NOT_REVOKED,
    AdESIndeterminate.EXPIRED,
    AdESIndeterminate.NOT_YET_VALID,
    AdESFailure.NOT_YET_VALID,
}
_REVOCATION_PROBLEMS = {AdESFailure.REVOKED, AdESIndeterminate.REVOKED_NO_POE, AdESIndeterminate.REVOKED_CA_NO_POE}


@dataclass(frozen=True)
class SignatureReport:
    """The verdict on one signature (or document timestamp) of a PDF.

    * ``intact``: the signed byte ranges are unchanged (digest matches).
    * ``valid``: intact *and* the signature value verifies with the certificate's key.
    * ``trusted``: the certificate chains to one of ``SIGNING_TRUST_ROOTS`` (checked now, without
      revocation: ``revocation_checked`` is always False, no OCSP/CRL is fetched).
    * ``covers_whole_document``: nothing was appended to the file after this signature.
    * ``modified_after_signing``: content was changed after signing. Appending further signatures
      or filling form fields does *not* count (such a signature has ``covers_whole_document``
      False but ``modified_after_signing`` False).
    * ``verdict``: ``ok``, ``untrusted``, ``modified`` or ``invalid`` (for styling);
      ``summary``: the one-line Vietnamese verdict.
    * ``serial``: the subject's serialNumber/UID (for agencies: their electronic identifier),
      else the certificate serial number; ``certificate_serial`` is always the latter (hex).
    """

    field_name: str
    signer_name: str
    signer_org: str
    serial: str
    signing_time: dt.datetime | None
    intact: bool
    valid: bool
    trusted: bool
    covers_whole_document: bool
    modified_after_signing: bool
    summary: str
    verdict: str
    revocation_checked: bool = False
    kind: str = "signature"  # or "timestamp" (a document timestamp, /DocTimeStamp)
    certificate_serial: str = ""
    reason: str = ""
    location: str = ""

    @property
    def ok(self) -> bool:
        return self.verdict == "ok"


# --- Certificates and signers ----------------------------------------------------------------
def _no_certificate(agency) -> SigningError:
    return SigningError(
        f"Cơ quan {agency.name} chưa được cấu hình chứng thư số để ký điện tử. "
        "Đề nghị quản trị hệ thống khai báo chứng thư số của cơ quan.",
        "no_certificate",
    )


def _load_agency_bundle(agency) -> pki.P12Bundle:
    from .models import AgencyCertificate

    owner = f"cơ quan {agency.name}"
    config = AgencyCertificate.objects.filter(agency=agency, active=True).select_related("agency").first()
    if config is not None:
        return config.load()
    path = pki.agency_p12_path(agency.code)
    if settings.SIGNING_DEMO_PKI:
        path = pki.ensure_agency_p12(agency)
    elif not path.exists():
        raise _no_certificate(agency)
    return pki.load_p12(path, str(settings.SIGNING_P12_PASSWORD), owner=owner)


def signer_for(agency) -> signers.SimpleSigner:
    """The pyHanko signer of ``agency`` (an ``org.Agency``).

    Uses the agency's active ``AgencyCertificate``; otherwise ``agencies/<code>.p12`` in
    ``SIGNING_PKI_DIR`` (created on first use when ``SIGNING_DEMO_PKI`` is on). Raises
    SigningError when there is no usable certificate, the password is wrong, the key does not
    match the certificate, or the certificate is expired or not yet valid.
    """
    owner = f"cơ quan {agency.name}"
    bundle = _load_agency_bundle(agency)
    pki.check_validity(bundle.cert, owner=owner)
    spki = serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    if bundle.key.public_key().public_bytes(*spki) != bundle.cert.public_key().public_bytes(*spki):
        raise SigningError(f"Khóa bí mật trong tệp chứng thư số của {owner} không khớp với chứng thư.", "key_mismatch")
    key_der = bundle.key.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    chain = [asn1_x509.Certificate.load(c.public_bytes(serialization.Encoding.DER)) for c in bundle.chain]
    return signers.SimpleSigner(
        signing_cert=asn1_x509.Certificate.load(bundle.cert.public_bytes(serialization.Encoding.DER)),
        signing_key=asn1_keys.PrivateKeyInfo.load(key_der),
        cert_registry=SimpleCertificateStore.from_certs(chain),
    )


def trust_roots() -> list[asn1_x509.Certificate]:
    """The certificates in ``SIGNING_TRUST_ROOTS`` (PEM or DER files; relative to SIGNING_PKI_DIR).

    Missing or unreadable files are skipped with a warning (e.g. the demo root before the first
    demo signature).
    """
    entries = settings.SIGNING_TRUST_ROOTS
    if isinstance(entries, str):
        entries = [e.strip() for e in entries.split(",") if e.strip()]
    roots = []
    for entry in entries:
        path = pki.resolve_path(entry)
        try:
            data = path.read_bytes()
            if asn1_pem.detect(data):
                roots += [
                    asn1_x509.Certificate.load(der)
                    for kind, _headers, der in asn1_pem.unarmor(data, multiple=True)
                    if kind == "CERTIFICATE"
                ]
            else:
                cert = asn1_x509.Certificate.load(data)
                cert.native  # noqa: B018 - parse now, so a bad file is skipped here
                roots.append(cert)
        except FileNotFoundError:
            logger.info("Signing trust root %s does not exist (yet); skipped.", path)
        except Exception:
            logger.warning("Signing trust root %s is unreadable; skipped.", path, exc_info=True)
    return roots


# --- Signing -----------------------------------------------------------------------------------
def _check_header(pdf) -> bytes:
    if not isinstance(pdf, bytes | bytearray | memoryview):
        raise SigningError(MSG_NOT_PDF, "not_pdf")
    pdf = bytes(pdf)
    if b"%PDF-" not in pdf[:HEADER_WINDOW]:
        raise SigningError(MSG_NOT_PDF, "not_pdf")
    return pdf


def _existing_field_names(reader) -> set[str]:
    return {name for name, _value, _ref in enumerate_sig_fields(reader)}


def sign_pdf(
    pdf: bytes,
    *,
    agency,
    reason: str = "",
    location: str = "",
    field_name: str | None = None,
) -> bytes:
    """Sign ``pdf`` in the name of ``agency``; returns the signed PDF.

    PAdES B-B (SubFilter ETSI.CAdES.detached, SHA-256), invisible signature, appended as an
    incremental update: the original bytes (and earlier signatures, PDF/A conformance of the
    original revision) are preserved. ``field_name`` defaults to the first free ``SignatureN``.
    Raises SigningError for non-PDF, corrupt or encrypted input, an already filled field, or a
    certificate problem (see ``signer_for``).
    """
    pdf = _check_header(pdf)
    try:
        writer = IncrementalPdfFileWriter(io.BytesIO(pdf), strict=False)
        encrypted = writer.prev.encrypted
        existing = set() if encrypted else _existing_field_names(writer.prev)
    except Exception as exc:
        raise SigningError(MSG_CORRUPT, "corrupt_pdf") from exc
    if encrypted:
        raise SigningError(MSG_ENCRYPTED, "encrypted_pdf")
    if field_name and field_name in existing:
        raise SigningError(f"Tài liệu đã có trường chữ ký “{field_name}”.", "field_exists")
    if not field_name:
        field_name = next(f"Signature{n}" for n in range(1, len(existing) + 2) if f"Signature{n}" not in existing)

    signer = signer_for(agency)
    meta = signers.PdfSignatureMetadata(
        field_name=field_name,
        subfilter=SigSeedSubFilter.PADES,
        md_algorithm="sha256",
        reason=reason or None,
        location=location or None,
        name=None,
    )
    try:
        output = signers.sign_pdf(writer, meta, signer=signer)
    except Exception as exc:
        logger.warning("Signing a PDF for agency %s failed.", agency.code, exc_info=True)
        raise SigningError(
            "Không ký được tài liệu: tệp PDF có cấu trúc không hợp lệ hoặc không được hỗ trợ.", "signing_failed"
        ) from exc
    return output.getvalue()


# --- Validation --------------------------------------------------------------------------------
def _name_part(cert: asn1_x509.Certificate, *keys: str) -> str:
    native = cert.subject.native
    for key in keys:
        value = native.get(key)
        if value:
            return ", ".join(value) if isinstance(value, list) else str(value)
    return ""


def _aware(value: dt.datetime | None) -> dt.datetime | None:
    if value is None:
        return None
    if value.tzinfo is None:  # a PDF date without offset: local time of the province
        return value.replace(tzinfo=ZoneInfo(settings.TIME_ZONE))
    return value


def _pdf_text(sig_object, key: str) -> str:
    try:
        value = sig_object.get(key)
        return str(value) if value is not None else ""
    except Exception:
        return ""


def _unreadable(field_name: str) -> SignatureReport:
    return SignatureReport(
        field_name=field_name,
        signer_name="",
        signer_org="",
        serial="",
        signing_time=None,
        intact=False,
        valid=False,
        trusted=False,
        covers_whole_document=False,
        modified_after_signing=False,
        summary=SUMMARY_UNREADABLE,
        verdict="invalid",
    )


def _verdict(*, intact, valid, trusted, modified, trust_problem) -> tuple[str, str]:
    if not intact:
        return "modified", SUMMARY_MODIFIED
    if not valid:
        return "invalid", SUMMARY_INVALID
    if modified:
        return "modified", SUMMARY_MODIFIED
    if not trusted:
        if trust_problem in _EXPIRY_PROBLEMS:
            return "untrusted", SUMMARY_EXPIRED
        if trust_problem in _REVOCATION_PROBLEMS:
            return "untrusted", SUMMARY_REVOKED
        return "untrusted", SUMMARY_UNTRUSTED
    return "ok", SUMMARY_OK


def _validate_one(embedded: EmbeddedPdfSignature, roots) -> SignatureReport:
    context = ValidationContext(trust_roots=roots, allow_fetching=False, revocation_mode="soft-fail")
    if embedded.sig_object_type == "/DocTimeStamp":
        kind = "timestamp"
        status = validate_pdf_timestamp(embedded, validation_context=context)
        signing_time = status.timestamp
    else:
        kind = "signature"
        status = validate_pdf_signature(embedded, context)
        signing_time = status.signer_reported_dt
        tst = status.timestamp_validity
        if tst is not None and tst.valid and tst.intact:
            signing_time = tst.timestamp  # a timestamp token is better evidence than the signer's clock
    covers = status.coverage == SignatureCoverageLevel.ENTIRE_FILE
    level = status.modification_level
    modified = not covers and (
        status.docmdp_ok is False or level is None or level.value > ModificationLevel.FORM_FILLING.value
    )
    # pyHanko's "valid" only covers the signature over the signed attributes; a signature whose
    # document digest no longer matches is not cryptographically valid for the user.
    intact = bool(status.intact)
    valid = intact and bool(status.valid)
    trusted = valid and bool(status.trusted)
    verdict, summary = _verdict(
        intact=intact, valid=valid, trusted=trusted, modified=modified, trust_problem=status.trust_problem_indic
    )
    cert = status.signing_cert
    return SignatureReport(
        field_name=embedded.field_name,
        signer_name=_name_part(cert, "common_name"),
        signer_org=_name_part(cert, "organization_name"),
        serial=_name_part(cert, "serial_number", "user_id") or format(cert.serial_number, "X"),
        signing_time=_aware(signing_time),
        intact=intact,
        valid=valid,
        trusted=trusted,
        covers_whole_document=covers,
        modified_after_signing=modified,
        summary=summary,
        verdict=verdict,
        kind=kind,
        certificate_serial=format(cert.serial_number, "X"),
        reason=_pdf_text(embedded.sig_object, "/Reason"),
        location=_pdf_text(embedded.sig_object, "/Location"),
    )


def validate_pdf(pdf: bytes) -> list[SignatureReport]:
    """Validate every signature in ``pdf``, in signing order; [] for an unsigned PDF.

    Offline: trust is evaluated against ``SIGNING_TRUST_ROOTS`` at the current time, nothing is
    fetched and revocation is not checked. A signature whose data cannot be parsed gets an
    "invalid" report rather than an exception. Raises SigningError (and nothing else) when the
    input is not a readable, unencrypted PDF.
    """
    pdf = _check_header(pdf)
    try:
        reader = PdfFileReader(io.BytesIO(pdf), strict=False)
        if reader.encrypted:
            raise SigningError(MSG_ENCRYPTED, "encrypted_pdf")
        filled = list(enumerate_sig_fields(reader, filled_status=True))
    except SigningError:
        raise
    except Exception as exc:
        raise SigningError(MSG_CORRUPT, "corrupt_pdf") from exc
    if not filled:
        return []

    roots = trust_roots()
    embedded, reports = [], []
    for fq_name, _value, field_ref in filled:
        try:
            signature = EmbeddedPdfSignature(reader, field_ref, fq_name)
            embedded.append((signature.signed_revision, signature))
        except Exception:
            logger.info("Unreadable signature field %r.", fq_name, exc_info=True)
            reports.append(_unreadable(str(fq_name)))
    embedded.sort(key=lambda pair: pair[0])
    validated = []
    for _revision, signature in embedded:
        try:
            validated.append(_validate_one(signature, roots))
        except Exception:
            logger.info("Signature field %r could not be validated.", signature.field_name, exc_info=True)
            validated.append(_unreadable(str(signature.field_name)))
    return validated + reports
