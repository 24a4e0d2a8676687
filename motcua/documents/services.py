"""The document store's rules.

``check_upload`` runs before anything is written (type by content, never by the file name; size
limit; sha256), so a bad file never leaves a half-received dossier. ``store_blob`` keeps identical
content once. ``attach`` / ``add_version`` / ``register`` create documents and versions and queue
the digitization pipeline (``documents.pipeline``) once the surrounding transaction commits.
"""

from __future__ import annotations

import hashlib
import io
import re
import unicodedata
from dataclasses import dataclass

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils import timezone

from motcua.common.text import fold

from .models import Blob, Document, DocumentVersion, Kind, OcrStatus, OwnerType, Source

MAX_FILE_BYTES = 20 * 1024 * 1024
# Magic numbers of the formats a desk scanner or a citizen's phone produces.
SIGNATURES = [
    (b"%PDF-", "application/pdf"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"II*\x00", "image/tiff"),
    (b"MM\x00*", "image/tiff"),
]
DIGITIZABLE = {kind for _, kind in SIGNATURES}


class UploadError(Exception):
    """A refused file, with a Vietnamese message (``reason``: a stable code for the kind of refusal)."""

    def __init__(self, message: str, reason: str = "invalid"):
        super().__init__(message)
        self.message, self.reason = message, reason


@dataclass
class CheckedFile:
    upload: object
    name: str
    content_type: str
    size: int
    sha256: str

    def read(self) -> bytes:
        self.upload.seek(0)
        data = self.upload.read()
        self.upload.seek(0)
        return data


def detect_type(head: bytes) -> str | None:
    return next((kind for magic, kind in SIGNATURES if head.startswith(magic)), None)


_UNSAFE_NAME_CHARS = re.compile(r'[<>:"|?*;`$\x00-\x1f\x7f]')


def safe_name(raw) -> str:
    """A file name safe to show and to offer for download: the last path part only, NFC, no control or
    shell/HTML-special characters, no leading dots (hidden files, ``..``), at most 150 characters (the
    extension kept); "tep" when nothing is left."""
    name = unicodedata.normalize("NFC", str(raw or "")).replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C")  # controls, bidi overrides
    name = _UNSAFE_NAME_CHARS.sub("_", name)
    name = re.sub(r"\s+", " ", name).strip(" .")
    if len(name) > 150:
        stem, dot, ext = name.rpartition(".")
        name = (stem[: 150 - len(ext) - 1] + "." + ext) if dot and 0 < len(ext) <= 10 else name[:150]
    return name or "tep"


def check_upload(upload, *, inspect: bool = True) -> CheckedFile:
    """Check a received file before anything is written: size, type by magic bytes, sha256 and (``inspect``)
    its content — a PDF must open, unencrypted, with 1..UPLOAD_MAX_PDF_PAGES pages and no active content
    (JavaScript, Launch actions, XFA forms); an image must decode within UPLOAD_MAX_IMAGE_PIXELS per frame
    (decompression bombs). Raises ``UploadError`` with one Vietnamese message per reason."""
    name = safe_name(getattr(upload, "name", ""))
    size = getattr(upload, "size", 0) or 0
    if size == 0:
        raise UploadError(f"Tệp “{name}” rỗng.", "empty")
    if size > MAX_FILE_BYTES:
        raise UploadError(f"Tệp “{name}” lớn hơn {MAX_FILE_BYTES // (1024 * 1024)} MB.", "too_large")
    digest = hashlib.sha256()
    head = b""
    for chunk in upload.chunks():
        if len(head) < 16:
            head += chunk[: 16 - len(head)]
        digest.update(chunk)
    upload.seek(0)
    kind = detect_type(head)
    if kind is None:
        raise UploadError(f"Tệp “{name}” không phải PDF hoặc ảnh (PNG, JPEG, TIFF).", "type")
    if inspect:
        data = upload.read()
        upload.seek(0)
        if kind == "application/pdf":
            _inspect_pdf(data, name)
        else:
            _inspect_image(data, name, kind)
    return CheckedFile(upload, name, kind, size, digest.hexdigest())


def _inspect_pdf(data: bytes, name: str) -> None:
    import pikepdf

    limit = settings.UPLOAD_MAX_PDF_PAGES
    try:
        pdf = pikepdf.open(io.BytesIO(data))
    except pikepdf.PasswordError:
        raise UploadError(
            f"Tệp “{name}” được đặt mật khẩu; vui lòng nộp bản không đặt mật khẩu.", "encrypted"
        ) from None
    except Exception:  # qpdf could not read it at all (any error: the bytes are untrusted)
        raise UploadError(f"Tệp “{name}” bị hỏng, không mở được như một tệp PDF.", "corrupt") from None
    with pdf:
        try:
            if pdf.is_encrypted:
                raise UploadError(
                    f"Tệp “{name}” được mã hóa (hạn chế in, sao chép); vui lòng nộp bản không mã hóa.", "encrypted"
                )
            pages = len(pdf.pages)
            if pages == 0:
                raise UploadError(f"Tệp “{name}” không có trang nào.", "no_pages")
            if pages > limit:
                raise UploadError(f"Tệp “{name}” có {pages} trang, vượt quá giới hạn {limit} trang.", "too_many_pages")
            active = _active_content(pdf)
        except UploadError:
            raise
        except Exception:
            raise UploadError(f"Tệp “{name}” bị hỏng, không mở được như một tệp PDF.", "corrupt") from None
    if active:
        raise UploadError(
            f"Tệp “{name}” chứa {ACTIVE_CONTENT[active]}, không được chấp nhận; vui lòng in lại ra PDF thông thường "
            "(hoặc quét lại) rồi nộp.",
            "active_content",
        )


# Active content refused in PDFs: it runs (or asks to run) code in the reader of an officer's machine.
# Embedded files, links and ordinary AcroForm fields are accepted.
ACTIVE_CONTENT = {
    "javascript": "mã JavaScript",
    "launch": "lệnh mở chương trình hoặc tệp khác (Launch)",
    "xfa": "biểu mẫu động XFA",
}


def _active_content(pdf) -> str | None:
    """The first kind of active content found in any object of the file (direct objects walked too)."""
    import pikepdf

    seen = 0

    def walk(obj, depth: int) -> str | None:
        nonlocal seen
        seen += 1
        if depth > 40 or seen > 2_000_000:
            return None
        if isinstance(obj, pikepdf.Stream):
            obj = obj.stream_dict
        if isinstance(obj, pikepdf.Dictionary):
            keys = set(obj.keys())
            if "/JS" in keys or "/JavaScript" in keys:
                return "javascript"
            if "/XFA" in keys:
                return "xfa"
            action = obj.get("/S")
            if action == pikepdf.Name.JavaScript:
                return "javascript"
            if action == pikepdf.Name.Launch:
                return "launch"
            values = (obj.get(k) for k in keys)
        elif isinstance(obj, pikepdf.Array):
            values = iter(obj)
        else:
            return None
        for value in values:
            if isinstance(value, (pikepdf.Dictionary, pikepdf.Array, pikepdf.Stream)) and not value.is_indirect:
                found = walk(value, depth + 1)
                if found:
                    return found
        return None

    for obj in pdf.objects:
        found = walk(obj, 0)
        if found:
            return found
    return None


def _inspect_image(data: bytes, name: str, kind: str) -> None:
    from PIL import Image

    limit = settings.UPLOAD_MAX_IMAGE_PIXELS
    pages = settings.UPLOAD_MAX_PDF_PAGES
    expected = {"image/png": "PNG", "image/jpeg": "JPEG", "image/tiff": "TIFF"}[kind]
    broken = UploadError(f"Ảnh “{name}” bị hỏng hoặc không đúng định dạng, không đọc được.", "corrupt")
    # Truncation is checked without Pillow's global LOAD_TRUNCATED_IMAGES (WeasyPrint turns it on at import):
    # a JPEG must contain its end-of-image marker, a PNG must pass verify() (every chunk's CRC, up to IEND).
    if expected == "JPEG" and b"\xff\xd9" not in data[-65536:]:
        raise broken
    try:
        if expected == "PNG":
            with Image.open(io.BytesIO(data), formats=[expected]) as probe:
                probe.verify()
        with Image.open(io.BytesIO(data), formats=[expected]) as img:
            frames = getattr(img, "n_frames", 1) or 1
            if frames > pages:
                raise UploadError(f"Tệp “{name}” có {frames} trang, vượt quá giới hạn {pages} trang.", "too_many_pages")
            for index in range(frames):
                if index:
                    img.seek(index)
                width, height = img.size
                if width <= 0 or height <= 0:
                    raise broken
                if width * height > limit:
                    raise UploadError(
                        f"Ảnh “{name}” quá lớn ({width} × {height} điểm ảnh), vượt giới hạn "
                        f"{limit // 1_000_000} triệu điểm ảnh.",
                        "too_many_pixels",
                    )
                if img.format == "JPEG":
                    img.draft(img.mode, (max(width // 8, 1), max(height // 8, 1)))  # decode cheaply, all of it
                img.load()
    except UploadError:
        raise
    except Image.DecompressionBombError:
        raise UploadError(
            f"Ảnh “{name}” quá lớn, vượt giới hạn {limit // 1_000_000} triệu điểm ảnh.", "too_many_pixels"
        ) from None
    except Exception:  # Pillow raises many kinds on malformed input (OSError, SyntaxError, ValueError, ...)
        raise broken from None


def checked_bytes(data: bytes, name: str) -> CheckedFile:
    """Check bytes made by the system itself (a merged scan, a signed result, a blob checked when it was
    uploaded) like an upload, without inspecting the content again."""
    return check_upload(ContentFile(data, name=name), inspect=False)


# ------------------------------------------------------------------------------------------------
# Blobs: identical content stored once
# ------------------------------------------------------------------------------------------------
def store_blob(checked: CheckedFile) -> Blob:
    existing = Blob.objects.filter(sha256=checked.sha256).first()
    if existing is not None:
        return existing
    blob = Blob(sha256=checked.sha256, size=checked.size, content_type=checked.content_type)
    blob.file.save(checked.sha256, checked.upload, save=False)
    try:
        with transaction.atomic():
            blob.save()
    except IntegrityError:  # stored by a concurrent request meanwhile: same bytes, same name
        return Blob.objects.get(sha256=checked.sha256)
    return blob


def store_bytes(data: bytes, content_type: str) -> Blob:
    """Bytes the system made itself (an OCR'd PDF/A) of a known type."""
    sha = hashlib.sha256(data).hexdigest()
    return store_blob(CheckedFile(ContentFile(data, name=sha), sha, content_type, len(data), sha))


def read_blob(blob: Blob) -> bytes:
    with blob.file.open("rb") as f:
        return f.read()


def blob_as_pdf(blob: Blob) -> tuple[bytes, bytes]:
    """(the bytes as stored, the same as a PDF): an image is converted; raises ``ocr.OcrError``."""
    data = read_blob(blob)
    if blob.content_type == "application/pdf":
        return data, data
    from . import ocr

    return data, ocr.to_pdf([(data, blob.content_type)])


# ------------------------------------------------------------------------------------------------
# Documents and versions
# ------------------------------------------------------------------------------------------------
def merge(files: list[CheckedFile]) -> CheckedFile:
    """Several files handed in for one paper (pages scanned one by one) → one PDF, in order."""
    if len(files) == 1:
        return files[0]
    from . import ocr

    try:
        pdf = ocr.to_pdf([(f.read(), f.content_type) for f in files])
    except ocr.OcrError as exc:
        raise UploadError(exc.message) from None
    return checked_bytes(pdf, files[0].name.rsplit(".", 1)[0] + ".pdf")


def doc_type_of(dossier, code: str) -> str:
    """The cross-procedure type of a dossier's paper or result: "<procedure code>:<code>"."""
    from motcua.catalog.models import ProcedureVersion

    procedure = ProcedureVersion.objects.filter(pk=dossier.version_id).values_list("procedure__code", flat=True)
    return f"{procedure.first() or ''}:{code}"


def attach(
    dossier,
    component_code: str,
    checked: CheckedFile | list[CheckedFile],
    *,
    user=None,
    source=Source.PAPER_SCAN,
    title: str = "",
) -> Document:
    """A component's file(s) → one document of the dossier, owned by the dossier's owner."""
    files = checked if isinstance(checked, list) else [checked]
    merged = merge(files)
    if not title:
        component = dossier.components.filter(code=component_code).first() if dossier.pk else None
        title = component.name if component else ""
    doc = Document(
        kind=Kind.COMPONENT,
        dossier=dossier,
        agency_id=dossier.agency_id,
        component_code=component_code,
        doc_type=doc_type_of(dossier, component_code),
        name=merged.name,
        title=title[:255],
        owner_type=OwnerType.ORGANIZATION if dossier.applicant_type == "organization" else OwnerType.CITIZEN,
        owner_id_number=dossier.owner_id_number,
        owner_name=dossier.owner_name,
        source=source,
        uploaded_by=_user(user),
    )
    return _save_new(doc, merged, user)


def register(
    checked: CheckedFile, *, kind: str, source: str, user=None, dossier=None, agency=None, **metadata
) -> Document:
    """A document the system issues itself (result, certified copy): stored, indexed, no OCR needed
    when it already carries text; digitization still runs to read its text and signatures."""
    doc = Document(
        kind=kind,
        dossier=dossier,
        agency=agency,
        name=checked.name,
        source=source,
        uploaded_by=_user(user),
        **metadata,
    )
    return _save_new(doc, checked, user)


def _save_new(doc: Document, checked: CheckedFile, user) -> Document:
    blob = store_blob(checked)
    doc.ocr_status = OcrStatus.PENDING
    doc.search_text = search_text_of(doc)
    doc.save()
    version = DocumentVersion.objects.create(
        document=doc, number=1, blob=blob, name=checked.name, created_by=_user(user)
    )
    doc.current = version
    doc.save(update_fields=["current"])
    from . import search

    search.index(doc)
    queue_digitization(doc)
    return doc


def add_version(doc: Document, checked: CheckedFile | list[CheckedFile], *, user=None) -> DocumentVersion:
    """A re-scan or corrected file: a new version; the document is digitized again."""
    files = checked if isinstance(checked, list) else [checked]
    merged = merge(files)
    with transaction.atomic():
        locked = Document.objects.select_for_update().get(pk=doc.pk)
        last = locked.versions.order_by("-number").values_list("number", flat=True).first() or 0
        version = DocumentVersion.objects.create(
            document=locked, number=last + 1, blob=store_blob(merged), name=merged.name, created_by=_user(user)
        )
        locked.current = version
        locked.name = merged.name
        locked.ocr_status, locked.ocr_error, locked.ocr_stage = OcrStatus.PENDING, "", ""
        locked.fields, locked.fields_confirmed_at, locked.fields_confirmed_by = [], None, None
        locked.save()
        queue_digitization(locked)
    doc.refresh_from_db()
    return version


def queue_digitization(doc: Document) -> None:
    """Run the pipeline for ``doc`` in the background once the current transaction commits."""
    from .pipeline import digitize_task

    pk = doc.pk
    transaction.on_commit(lambda: digitize_task.enqueue(pk))


def retry_digitization(doc: Document, user=None) -> Document:
    if doc.ocr_status not in (OcrStatus.FAILED, OcrStatus.NO_TEXT):
        raise UploadError("Chỉ số hóa lại được tài liệu nhận dạng thất bại hoặc chưa có chữ.")
    Document.objects.filter(pk=doc.pk).update(ocr_status=OcrStatus.PENDING, ocr_error="", ocr_stage="")
    queue_digitization(doc)
    doc.refresh_from_db()
    return doc


# ------------------------------------------------------------------------------------------------
# Metadata confirmed by the officer
# ------------------------------------------------------------------------------------------------
# Extracted field → document metadata it fills once confirmed.
FIELD_TO_METADATA = {
    "id_number": "owner_id_number",
    "enterprise_code": "owner_id_number",
    "full_name": "owner_name",
    "enterprise_name": "owner_name",
}


def revoke(doc: Document, reason: str, user, *, now=None) -> Document:
    """The issuing agency revokes a result or certified copy (thu hồi, hủy bỏ): it stays in the
    owner's store, marked, and is never proposed for reuse again. One transaction with the dossier's
    ``revoke_document`` event when the document belongs to a dossier."""
    from motcua.dossiers.models import Dossier, Event
    from motcua.org.models import StaffMembership

    reason = (reason or "").strip()
    if doc.kind not in (Kind.RESULT, Kind.CERTIFIED_COPY):
        raise RevokeError("Chỉ thu hồi được kết quả giải quyết hoặc bản sao chứng thực.")
    if not reason:
        raise RevokeError("Vui lòng nêu lý do thu hồi.")
    membership = StaffMembership.objects.filter(user=user, active=True, agency_id=doc.agency_id).first()
    if membership is None and not getattr(user, "is_superuser", False):
        raise RevokeError("Chỉ cơ quan đã cấp mới được thu hồi giấy tờ này.")
    now = now or timezone.now()
    with transaction.atomic():
        locked = Document.objects.select_for_update().get(pk=doc.pk)
        if locked.revoked_at is not None:
            raise RevokeError("Giấy tờ này đã bị thu hồi.")
        locked.revoked_at, locked.revoked_reason, locked.revoked_by = now, reason[:500], _user(user)
        locked.save(update_fields=["revoked_at", "revoked_reason", "revoked_by"])
        if locked.dossier_id:
            from motcua.dossiers.services import save_events  # lazy: dossiers imports documents

            d = (
                Dossier.objects.select_for_update()
                .select_related("version__procedure", "agency")
                .get(pk=locked.dossier_id)
            )  # the dossier's events (and their outbox order) are written under its row lock
            event = Event(
                dossier=d,
                action="revoke_document",
                at=now,
                actor=_user(user),
                actor_name=user.get_full_name() or user.get_username(),
                actor_role=membership.role if membership else "system",
                agency_id=doc.agency_id,
                from_state=d.state,
                to_state=d.state,
                reason=reason[:500],
                payload={"document": locked.pk, "doc_type": locked.doc_type},
            )
            save_events([event])
    return locked


class RevokeError(Exception):
    """A refused revocation, with a Vietnamese message."""


def confirm_fields(doc: Document, values: dict[str, str], user, metadata: dict | None = None) -> Document:
    """The officer checked the extracted fields beside the image: store them (as corrected) and the
    metadata they imply, in one transaction."""
    from motcua.identity.ids import IdError, validate_id_number

    errors = {}
    fields = []
    for item in doc.fields:
        value = " ".join(str(values.get(item["name"], item.get("value", ""))).split())[:255]
        fields.append({**item, "value": value, "confirmed": True})
        if item["name"] in ("id_number", "enterprise_code") and value:
            kind = "organization" if item["name"] == "enterprise_code" else "citizen"
            try:
                validate_id_number(value, kind)
            except IdError as exc:
                errors[item["name"]] = str(exc)
    if errors:
        raise MetadataError(errors)
    with transaction.atomic():
        locked = Document.objects.select_for_update().get(pk=doc.pk)
        locked.fields = fields
        for item in fields:
            target = FIELD_TO_METADATA.get(item["name"])
            if target and item["value"]:
                setattr(locked, target, item["value"])
        for key, value in (metadata or {}).items():
            setattr(locked, key, value)
        locked.fields_confirmed_by, locked.fields_confirmed_at = _user(user), timezone.now()
        locked.search_text = search_text_of(locked)
        locked.save()
        from . import search

        search.index(locked)
    return locked


class MetadataError(Exception):
    def __init__(self, errors: dict[str, str]):
        super().__init__("; ".join(errors.values()))
        self.errors = errors


def search_text_of(doc: Document) -> str:
    parts = [
        doc.title,
        doc.name,
        doc.component_code,
        doc.result_code,
        doc.owner_id_number,
        doc.owner_name,
        doc.doc_number,
        doc.issuer,
        doc.dossier.code if doc.dossier_id and doc.dossier else "",
        " ".join(str(f.get("value", "")) for f in doc.fields or []),
        doc.text,
    ]
    return fold(" ".join(p for p in parts if p))


def _user(user):
    return user if user is not None and getattr(user, "is_authenticated", False) else None
