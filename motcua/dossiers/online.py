"""Online submission (nộp hồ sơ trực tuyến): a citizen composes a draft — the e-form, each
component uploaded or reused from their e-data store / a national database, the return channel —
and submits it once. The result is an online dossier awaiting the desk's acceptance (state
``submitted``), with its e-form data, files and reuse records, in one transaction.

Drafts are resumable; submitting twice (double click, a retry) returns the first dossier
(the draft's key is the idempotency key, and the draft row is locked while submitting).
"""

from __future__ import annotations

import uuid

from django.db import transaction

from motcua.catalog.services import version_in_force
from motcua.common.inputs import as_int
from motcua.org.models import Agency

from . import eforms
from .models import Channel, Draft, ReturnChannel
from .services import DossierError, InvalidInput, create_dossier

MAX_FILES_PER_COMPONENT = 10


class DraftError(InvalidInput):
    """Something in the draft keeps it from being submitted; ``details`` maps field → message."""


def candidate_agencies(version):
    """Agencies that handle this procedure and that a one-stop desk serves (online dossiers land there)."""
    qs = Agency.objects.active_on().filter(served_by_desks__active=True).distinct().order_by("name")
    if version.agencies.exists():
        return qs.filter(pk__in=version.agencies.values("pk"))
    if version.agency_kind:
        qs = qs.filter(kind=version.agency_kind)
    levels = list(version.levels.values_list("code", flat=True))
    return qs.filter(unit__level__code__in=levels) if levels else qs


def start(user, person, procedure_code: str, *, today=None) -> Draft:
    """The citizen's open draft for this procedure, or a new one prefilled from what the state knows."""
    from django.utils import timezone

    version = version_in_force(procedure_code, today or timezone.localdate())
    if version is None:
        raise InvalidInput(f"Không tìm thấy thủ tục có mã “{procedure_code}” đang có hiệu lực.", "unknown_procedure")
    if version.online_level == "none":
        raise InvalidInput("Thủ tục này chưa cung cấp dịch vụ công trực tuyến.", "not_online")
    existing = (
        Draft.objects.filter(user=user, version__procedure=version.procedure, dossier__isnull=True)
        .order_by("-updated_at")
        .first()
    )
    if existing is not None:
        return existing
    schema = eforms.schema_of(version)
    agencies = list(candidate_agencies(version)[:2])
    from motcua.identity import adapters

    try:  # what the population DB holds prefills the form (the cached answer when recent)
        record = adapters.population().lookup(person.id_number) or person.record or {}
    except adapters.Unavailable:
        record = person.record or {}
    from motcua.wallet.services import newest_of_types

    store = newest_of_types([person.id_number], eforms.store_types(schema)) if eforms.store_types(schema) else {}
    return Draft.objects.create(
        key=uuid.uuid4(),
        user=user,
        applicant_id_number=person.id_number,
        version=version,
        agency=agencies[0] if len(agencies) == 1 else None,
        form_data=eforms.prefill(schema, person, record, store),
        return_channel=ReturnChannel.ONLINE,
    )


def save_form(draft: Draft, raw, *, agency_id=None, return_channel=None, return_address="") -> dict[str, str]:
    """Store what was typed (even if invalid: a draft keeps everything) and return the problems."""
    schema = eforms.schema_of(draft.version)
    draft.form_data = eforms.parse(schema, raw)
    errors = eforms.validate(schema, draft.form_data)
    if agency_id is not None:
        pk = as_int(agency_id)
        draft.agency = candidate_agencies(draft.version).filter(pk=pk).first() if pk is not None else None
    if draft.agency is None:
        errors["agency"] = "Vui lòng chọn cơ quan giải quyết."
    if return_channel is not None:
        draft.return_channel = return_channel if return_channel in ReturnChannel.values else ReturnChannel.ONLINE
        draft.return_address = (return_address or "").strip()[:500]
    if draft.return_channel == ReturnChannel.POST and not draft.return_address:
        errors["return_address"] = "Nhận kết quả qua bưu chính cần có địa chỉ nhận."
    draft.save()
    return errors


def add_files(draft: Draft, code: str, checked_files: list) -> None:
    """Uploaded files of a component: stored once as blobs, referenced by the draft."""
    from motcua.documents.services import store_blob

    if not draft.version.components.filter(code=code).exists():
        raise DraftError("Thành phần hồ sơ không hợp lệ.", "unknown_component")
    item = draft.components.get(code, {})
    files = item.get("files", [])
    if len(files) + len(checked_files) > MAX_FILES_PER_COMPONENT:
        raise DraftError(f"Mỗi thành phần hồ sơ tối đa {MAX_FILES_PER_COMPONENT} tệp.", "too_many_files")
    for checked in checked_files:
        blob = store_blob(checked)
        files.append(
            {"sha256": blob.sha256, "name": checked.name[:200], "content_type": blob.content_type, "size": blob.size}
        )
    draft.components[code] = {"files": files}  # uploading replaces a reuse choice
    draft.save(update_fields=["components", "updated_at"])


def choose(draft: Draft, code: str, ref: str | None) -> None:
    """Reuse (a store address, or population_db/business_registry) for a component, or not (None)."""
    item = dict(draft.components.get(code, {}))
    if ref:
        item = {"reuse": ref}
    else:
        item.pop("reuse", None)
    draft.components[code] = item
    draft.save(update_fields=["components", "updated_at"])


def remove_file(draft: Draft, code: str, index: int) -> None:
    files = draft.components.get(code, {}).get("files", [])
    if 0 <= index < len(files):
        files.pop(index)
        draft.save(update_fields=["components", "updated_at"])


def submit(draft: Draft, user, person):
    """The draft → an online dossier (once). Returns ``(dossier, created)``; raises ``DraftError``
    (``details``: field → message) or the dossier/wallet errors, with nothing written."""
    from motcua.documents.models import Blob, Source
    from motcua.documents.services import attach, checked_bytes, read_blob
    from motcua.identity.verification import verify
    from motcua.wallet import services as wallet

    if draft.dossier_id:
        return draft.dossier, False
    version = draft.version
    schema = eforms.schema_of(version)
    errors = eforms.validate(schema, draft.form_data)
    if draft.agency is None:
        errors["agency"] = "Vui lòng chọn cơ quan giải quyết."
    if errors:
        raise DraftError("Tờ khai còn thông tin chưa hợp lệ.", "invalid_form", errors)
    refs = {code: c["reuse"] for code, c in draft.components.items() if c.get("reuse")}
    population = registry = False
    if any(r in ("population_db", "business_registry") for r in refs.values()):
        check = verify(person.id_number, person.full_name)
        population, registry = check.answered and check.source == "population", False
    try:
        picked = wallet.resolve_reuses(
            version, [person.id_number], refs, population_answered=population, registry_answered=registry
        )
    except wallet.WalletError as exc:
        raise DraftError(exc.message, exc.code, {"components": exc.message}) from None
    sources = {p.component.code: p.source for p in picked}
    with_files = {code: c["files"] for code, c in draft.components.items() if c.get("files") and code not in sources}
    components = [{"code": code, "source": source} for code, source in sources.items()]
    # The declaration (tờ khai) is the e-form itself when submitted online.
    components += [
        {"code": c.code, "source": "eform"}
        for c in version.components.all()
        if c.data_source == "eform" and c.code not in sources and c.code not in with_files
    ]
    components += [{"code": code} for code in with_files]
    data = draft.form_data
    applicant = {
        "type": "citizen",
        "name": person.full_name,
        "id_number": person.id_number,
        "phone": str(data.get("phone", person.phone or ""))[:30],
        "email": str(data.get("email", person.email or ""))[:254],
        "address": str(data.get("address", ""))[:500],
    }
    with transaction.atomic():
        locked = Draft.objects.select_for_update().get(pk=draft.pk)
        if locked.dossier_id:
            return locked.dossier, False
        dossier, created = create_dossier(
            user=user,
            idempotency_key=str(locked.key),
            procedure_code=version.procedure.code,
            channel=Channel.ONLINE,
            agency_code=locked.agency.code,
            applicant=applicant,
            components=components,
            return_channel=locked.return_channel,
            return_address=locked.return_address,
            form_data=locked.form_data,
        )
        if created:
            blobs = Blob.objects.in_bulk([f["sha256"] for fs in with_files.values() for f in fs], field_name="sha256")
            for code, files in with_files.items():
                checked = [checked_bytes(read_blob(blobs[f["sha256"]]), f["name"]) for f in files]
                attach(dossier, code, checked, user=user, source=Source.ONLINE_UPLOAD)
            wallet.record_reuses(dossier, picked, [], user=user)
        locked.dossier = dossier
        locked.save(update_fields=["dossier", "updated_at"])
    return dossier, created


__all__ = ["DossierError", "DraftError", "add_files", "candidate_agencies", "choose", "remove_file", "start", "submit"]


def purge_stale_drafts(now=None, days: int | None = None) -> dict[str, int]:
    """Retention of abandoned online drafts (personal data in the e-form and the uploaded papers):
    drafts never submitted and unchanged for ``DRAFT_RETENTION_DAYS`` (default 90) are deleted, with
    the uploaded bytes that nothing else refers to — no row (every foreign key to ``Blob`` is PROTECT: a
    document version, a receipt…), no other draft. Submitted
    drafts stay with their dossier (the idempotency key). Called daily by ``audit.retention``.

    A blob is locked (``select_for_update``) while its references are checked and it is deleted, so a
    document version made from the same bytes at that moment waits and then fails cleanly rather than
    pointing at a deleted file; its file is removed after the commit."""
    import datetime as dt

    from django.conf import settings
    from django.db.models import ProtectedError
    from django.utils import timezone

    from motcua.documents.models import Blob

    days = settings.DRAFT_RETENTION_DAYS if days is None else days
    cutoff = (now or timezone.now()) - dt.timedelta(days=days)
    purged = {"drafts": 0, "draft_files": 0}
    while True:
        with transaction.atomic():
            stale = list(
                Draft.objects.select_for_update(skip_locked=True)
                .filter(dossier__isnull=True, updated_at__lt=cutoff)
                .order_by("id")[:500]
            )
            if not stale:
                return purged
            shas = {f["sha256"] for d in stale for c in d.components.values() for f in c.get("files", [])}
            purged["drafts"] += Draft.objects.filter(pk__in=[d.pk for d in stale]).delete()[0]
            for blob in Blob.objects.select_for_update().filter(sha256__in=shas).order_by("id"):
                if Draft.objects.filter(components__icontains=blob.sha256).exists():
                    continue  # another draft holds the same bytes
                name, storage = blob.file.name, blob.file.storage
                try:
                    with transaction.atomic():
                        blob.delete()  # refused while any row refers to it (every Blob FK is PROTECT)
                except ProtectedError:
                    continue
                transaction.on_commit(lambda name=name, storage=storage: storage.delete(name))
                purged["draft_files"] += 1
