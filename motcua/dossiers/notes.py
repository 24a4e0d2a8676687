"""Officers' work aids around dossiers: notes between officers (append-only, part of the dossier's
internal record, never shown to the applicant) and the named filters of the work inbox.

Neither changes a dossier's state, so neither goes through ``services.act``; a note is still only
written by someone who may read the dossier (``Dossier.objects.visible_to``).
"""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.utils import timezone

from motcua.org.models import StaffMembership

from .models import Dossier, DossierNote, SavedFilter
from .services import InvalidInput, NotFound

MAX_NOTE = 4000
MAX_FILTER_NAME = 80
MAX_QUERYSTRING = 1000


def _note_agency(user, dossier: Dossier):
    """The agency the author writes for: the one of theirs involved in the dossier, else their first."""
    memberships = list(StaffMembership.objects.filter(user=user, active=True).select_related("agency"))
    involved = {dossier.agency_id, dossier.receiving_agency_id}
    involved.update(dossier.steps.values_list("agency_id", flat=True))
    for m in memberships:
        if m.agency_id in involved:
            return m.agency
    return memberships[0].agency if memberships else None


def add_note(dossier: Dossier | str, user, text: str, *, now=None) -> DossierNote:
    """Append a note to ``dossier`` (an instance or its code) by ``user``.

    Raises ``NotFound`` when the user may not read the dossier (as for an unknown one) and
    ``InvalidInput`` for an empty or too long text."""
    code = dossier.code if isinstance(dossier, Dossier) else str(dossier)
    found = Dossier.objects.visible_to(user).filter(code=code).first()
    if found is None:
        raise NotFound("Không tìm thấy hồ sơ.", "not_found")
    text = str(text or "").strip()
    if not text:
        raise InvalidInput("Vui lòng nhập nội dung ghi chú.", "missing_text")
    if len(text) > MAX_NOTE:
        raise InvalidInput(f"Ghi chú tối đa {MAX_NOTE} ký tự.", "text_too_long")
    return DossierNote.objects.create(
        dossier=found, author=user, agency=_note_agency(user, found), text=text, created_at=now or timezone.now()
    )


def save_filter(user, name: str, querystring: str) -> SavedFilter:
    """Save (or replace) the user's inbox filter called ``name``."""
    name = " ".join(str(name or "").split())
    if not name:
        raise InvalidInput("Vui lòng đặt tên cho bộ lọc.", "missing_name")
    if len(name) > MAX_FILTER_NAME:
        raise InvalidInput(f"Tên bộ lọc tối đa {MAX_FILTER_NAME} ký tự.", "name_too_long")
    querystring = str(querystring or "").lstrip("?")
    if len(querystring) > MAX_QUERYSTRING:
        raise InvalidInput("Bộ lọc quá dài, không lưu được.", "querystring_too_long")
    try:
        with transaction.atomic():
            saved, _ = SavedFilter.objects.update_or_create(user=user, name=name, defaults={"querystring": querystring})
    except IntegrityError:  # saved concurrently under the same name: keep the latest
        saved = SavedFilter.objects.get(user=user, name=name)
        saved.querystring = querystring
        saved.save(update_fields=["querystring"])
    return saved


def delete_filter(user, pk) -> bool:
    """Delete one of the user's own saved filters (another user's is never touched)."""
    deleted, _ = SavedFilter.objects.filter(user=user, pk=pk).delete()
    return bool(deleted)
