"""Storing a dossier's files: type detected by content (never by the file name), size limit,
sha256. ``check_upload`` runs before anything is written so a bad file never leaves a
half-received dossier; ``attach`` stores a checked file."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from .models import Document, Source

MAX_FILE_BYTES = 20 * 1024 * 1024
# Magic numbers of the formats a desk scanner or a citizen's phone produces.
SIGNATURES = [
    (b"%PDF-", "application/pdf"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"II*\x00", "image/tiff"),
    (b"MM\x00*", "image/tiff"),
]


class UploadError(Exception):
    """A refused file, with a Vietnamese message."""


@dataclass
class CheckedFile:
    upload: object
    name: str
    content_type: str
    size: int
    sha256: str


def detect_type(head: bytes) -> str | None:
    return next((kind for magic, kind in SIGNATURES if head.startswith(magic)), None)


def check_upload(upload) -> CheckedFile:
    name = (getattr(upload, "name", "") or "tep").rsplit("/", 1)[-1][:255]
    size = getattr(upload, "size", 0) or 0
    if size == 0:
        raise UploadError(f"Tệp “{name}” rỗng.")
    if size > MAX_FILE_BYTES:
        raise UploadError(f"Tệp “{name}” lớn hơn {MAX_FILE_BYTES // (1024 * 1024)} MB.")
    digest = hashlib.sha256()
    head = b""
    for chunk in upload.chunks():
        if not head:
            head = chunk[:16]
        digest.update(chunk)
    upload.seek(0)
    kind = detect_type(head)
    if kind is None:
        raise UploadError(f"Tệp “{name}” không phải PDF hoặc ảnh (PNG, JPEG, TIFF).")
    return CheckedFile(upload, name, kind, size, digest.hexdigest())


def attach(dossier, component_code: str, checked: CheckedFile, *, user=None, source=Source.PAPER_SCAN) -> Document:
    doc = Document(
        dossier=dossier,
        component_code=component_code,
        name=checked.name,
        content_type=checked.content_type,
        size=checked.size,
        sha256=checked.sha256,
        source=source,
        uploaded_by=user if user is not None and user.is_authenticated else None,
    )
    doc.file.save(checked.name, checked.upload, save=False)
    doc.save()
    return doc
