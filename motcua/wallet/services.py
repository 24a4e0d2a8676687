"""The e-data store's rules: what an owner holds, what is proposed for reuse, consent, access log.

* ``proposals`` — for each component of a procedure version, the owner's valid document whose type
  the catalog maps to it (``Component.reuse_from``), or the national database that replaces it
  (``Component.data_source``) when that database answered. One indexed query per dossier.
* ``record_reuses`` — what the officer (or the citizen online) accepted or rejected, written with
  the dossier in the caller's transaction.
* ``holdings`` / ``owner_documents`` — the owner's side: issued results, dossier papers, certified
  copies and their own uploads, kept apart.
* ``grant_consent`` / ``revoke_consent`` and ``access_log`` — sharing and who read what.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from motcua.audit.models import DataAccess
from motcua.catalog.models import Component, DataSource, ProcedureVersion
from motcua.documents.models import Document, Kind, OwnerType, Source
from motcua.workcalendar.engine import VN_TZ

from .models import Consent, Reuse, ReuseSource, ReuseStatus

# Which documents count as held by the state: issued results, certified copies, and papers of a
# dossier that was received (an accepted paper). An owner's own uploads are theirs to pick online,
# never proposed as authoritative.
AUTHORITATIVE_KINDS = (Kind.RESULT, Kind.CERTIFIED_COPY, Kind.COMPONENT)
KIND_RANK = {Kind.RESULT: 0, Kind.CERTIFIED_COPY: 1, Kind.COMPONENT: 2}
SOURCE_OF_DATA = {
    DataSource.POPULATION: ReuseSource.POPULATION_DB,
    DataSource.BUSINESS_REGISTRY: ReuseSource.BUSINESS_REGISTRY,
}


class WalletError(ValueError):
    def __init__(self, message: str, code: str = "invalid"):
        super().__init__(message)
        self.message, self.code = message, code


@dataclass
class Proposal:
    component: Component
    source: str  # ReuseSource
    document: Document | None = None
    choice: str = "use"  # the officer's decision as shown on the intake form
    reason: str = ""
    error: str = ""

    @property
    def label(self) -> str:
        if self.document is not None:
            d = self.document
            issued = f", cấp ngày {d.issue_date:%d/%m/%Y}" if d.issue_date else ""
            return f"{d.title or d.name} – {d.issuer or d.get_kind_display()}{issued}"
        return ReuseSource(self.source).label


def reusable_documents(owner_ids: list[str], doc_types: list[str], day: dt.date):
    """The valid documents of these owners with these types (the reuse query, index doc_owner_type)."""
    return (
        Document.objects.filter(
            owner_id_number__in=[o for o in owner_ids if o],
            doc_type__in=doc_types,
            kind__in=AUTHORITATIVE_KINDS,
            revoked_at__isnull=True,
            current__isnull=False,
        )
        .filter(Q(valid_until__isnull=True) | Q(valid_until__gte=day))
        .filter(Q(kind__in=(Kind.RESULT, Kind.CERTIFIED_COPY)) | Q(dossier__received_at__isnull=False))
        .only(
            "id",
            "kind",
            "doc_type",
            "title",
            "name",
            "issuer",
            "issue_date",
            "valid_until",
            "owner_id_number",
            "owner_name",
            "component_code",
            "result_code",
            "dossier_id",
        )
        .order_by("-issue_date", "-id")
    )


def proposals(
    version: ProcedureVersion,
    owner_ids: list[str],
    *,
    population_answered: bool = False,
    registry_answered: bool = False,
    day: dt.date | None = None,
) -> dict[str, Proposal]:
    """Component code → the best reuse for it: a national database that answered, else the newest
    valid document (results before certified copies before accepted papers)."""
    day = day or timezone.now().astimezone(VN_TZ).date()
    components = list(version.components.all())
    wanted = sorted({t for c in components for t in c.reuse_from})
    found: dict[str, list[Document]] = {}
    if wanted and any(owner_ids):
        for doc in reusable_documents(owner_ids, wanted, day)[:200]:
            found.setdefault(doc.doc_type, []).append(doc)
    answered = {DataSource.POPULATION: population_answered, DataSource.BUSINESS_REGISTRY: registry_answered}
    result: dict[str, Proposal] = {}
    for c in components:
        candidates = [d for t in c.reuse_from for d in found.get(t, [])]
        if candidates:
            best = min(candidates, key=lambda d: (KIND_RANK.get(d.kind, 9), -(d.issue_date or dt.date.min).toordinal()))
            result[c.code] = Proposal(c, ReuseSource.DATA_STORE, best)
        elif c.data_source and answered.get(c.data_source):
            result[c.code] = Proposal(c, SOURCE_OF_DATA[c.data_source])
    return result


def newest_of_types(owner_ids: list[str], doc_types, day: dt.date | None = None) -> dict[str, Document]:
    """Document type → the owner's newest valid, unrevoked, authoritative document of it (what an
    e-form's ``store.<type>.<attr>`` prefill reads; the same query and ranking as the proposals)."""
    day = day or timezone.now().astimezone(VN_TZ).date()
    wanted = sorted({t for t in doc_types if t})
    found: dict[str, Document] = {}
    if wanted and any(owner_ids):
        for doc in reusable_documents(owner_ids, wanted, day)[:200]:
            best = found.get(doc.doc_type)
            rank = (KIND_RANK.get(doc.kind, 9), -(doc.issue_date or dt.date.min).toordinal())
            if best is None or rank < (KIND_RANK.get(best.kind, 9), -(best.issue_date or dt.date.min).toordinal()):
                found[doc.doc_type] = doc
    return found


def resolve_reuses(
    version: ProcedureVersion,
    owner_ids: list[str],
    refs: dict[str, str],
    *,
    population_answered: bool = False,
    registry_answered: bool = False,
    day: dt.date | None = None,
) -> list[Proposal]:
    """What an online composer (the API, the portal's wizard) picked: component code → a document's
    store address, or "population_db" / "business_registry". Each must be one the rule offers:
    a valid document of the owner of a type the catalog maps to that component, or the national
    database of that component when it answered. Raises ``WalletError`` naming the component."""
    from . import uris

    day = day or timezone.now().astimezone(VN_TZ).date()
    components = {c.code: c for c in version.components.all()}
    answered = {DataSource.POPULATION: population_answered, DataSource.BUSINESS_REGISTRY: registry_answered}
    picked = []
    for code, ref in refs.items():
        c = components.get(code)
        if c is None:
            raise WalletError(f"Thủ tục không có thành phần hồ sơ mã '{code}'.", "unknown_component")
        if ref in SOURCE_OF_DATA.values():
            if SOURCE_OF_DATA.get(c.data_source) != ref:
                raise WalletError(f"Thành phần {code} không khai thác được từ cơ sở dữ liệu này.", "invalid_reuse")
            if not answered.get(c.data_source):
                raise WalletError(
                    f"Cơ sở dữ liệu quốc gia chưa xác nhận thông tin cho thành phần {code}; vui lòng nộp giấy tờ.",
                    "reuse_unavailable",
                )
            picked.append(Proposal(c, ref))
            continue
        doc = uris.resolve(ref, reusable_documents(owner_ids, c.reuse_from, day)) if c.reuse_from else None
        if doc is None:
            raise WalletError(
                f"Giấy tờ {ref!r} không dùng được cho thành phần {code}: không thuộc người nộp/chủ hồ sơ, "
                "không đúng loại, đã hết hiệu lực hoặc đã bị thu hồi.",
                "invalid_reuse",
            )
        picked.append(Proposal(c, ReuseSource.DATA_STORE, doc))
    return picked


def record_reuses(dossier, accepted: list[Proposal], rejected: list[tuple[Proposal, str]], *, user=None) -> list[Reuse]:
    """Write what was reused and what the officer rejected (with the reason), in the caller's
    transaction (the one that created the dossier)."""
    now = timezone.now()
    rows = [
        Reuse(
            dossier=dossier,
            component_code=p.component.code,
            source=p.source,
            document=p.document,
            status=ReuseStatus.ACCEPTED,
            decided_by=user if user is not None and user.is_authenticated else None,
            decided_at=now,
        )
        for p in accepted
    ]
    for p, reason in rejected:
        reason = (reason or "").strip()
        if not reason:
            raise WalletError(
                f"Vui lòng nêu lý do không sử dụng giấy tờ đã có trong kho dữ liệu cho thành phần {p.component.code}.",
                "missing_reason",
            )
        rows.append(
            Reuse(
                dossier=dossier,
                component_code=p.component.code,
                source=p.source,
                document=p.document,
                status=ReuseStatus.REJECTED,
                reason=reason[:500],
                decided_by=user if user is not None and user.is_authenticated else None,
                decided_at=now,
            )
        )
    return Reuse.objects.bulk_create(rows)


# ------------------------------------------------------------------------------------------------
# The owner's side
# ------------------------------------------------------------------------------------------------
SECTIONS = (
    ("results", "Kết quả giải quyết được cấp", Kind.RESULT),
    ("copies", "Bản sao điện tử chứng thực", Kind.CERTIFIED_COPY),
    ("papers", "Giấy tờ trong hồ sơ đã nộp", Kind.COMPONENT),
    ("own", "Giấy tờ tự tải lên (không do cơ quan nhà nước cấp)", Kind.PERSONAL),
)


def owner_documents(owner_ids: list[str]):
    """Every document of these owners (the owner's rule: a citizen sees what is theirs)."""
    return Document.objects.filter(owner_id_number__in=[o for o in owner_ids if o], current__isnull=False)


def holdings(owner_ids: list[str], day: dt.date | None = None) -> list[dict]:
    """The store by section, each document with its address and whether it is valid today."""
    day = day or timezone.now().astimezone(VN_TZ).date()
    docs = list(
        owner_documents(owner_ids).select_related("current__blob", "dossier").order_by("-uploaded_at", "-id")[:1000]
    )
    for d in docs:
        d.valid_today = d.valid_on(day)
    return [
        {"key": key, "label": label, "documents": [d for d in docs if d.kind == kind]} for key, label, kind in SECTIONS
    ]


def upload_own(owner, checked, *, title: str, user) -> Document:
    """A document the owner uploads themselves: kept in their store, marked as theirs, not issued."""
    from motcua.documents.services import register

    title = (title or "").strip()
    if not title:
        raise WalletError("Vui lòng nhập tên giấy tờ.", "missing_title")
    return register(
        checked,
        kind=Kind.PERSONAL,
        source=Source.OWNER_UPLOAD,
        user=user,
        title=title[:255],
        owner_type=OwnerType.ORGANIZATION if len(owner.id_number) != 12 else OwnerType.CITIZEN,
        owner_id_number=owner.id_number,
        owner_name=owner.name,
    )


@dataclass(frozen=True)
class Owner:
    """Whose store: a person (12-digit ID) or an organization (enterprise code)."""

    id_number: str
    name: str


def grant_consent(
    owner: Owner, *, agency, purpose: str, expires_on: dt.date, document: Document | None = None, user=None
) -> Consent:
    purpose = (purpose or "").strip()
    if not purpose:
        raise WalletError("Vui lòng nêu mục đích chia sẻ dữ liệu.", "missing_purpose")
    today = timezone.now().astimezone(VN_TZ).date()
    if expires_on <= today:
        raise WalletError("Ngày hết hạn chia sẻ phải sau ngày hôm nay.", "invalid_expiry")
    if expires_on > today + dt.timedelta(days=366):
        raise WalletError("Thời hạn chia sẻ tối đa là 1 năm; có thể gia hạn khi cần.", "invalid_expiry")
    if document is not None and document.owner_id_number != owner.id_number:
        raise WalletError("Chỉ chia sẻ được giấy tờ của chính mình.", "not_owner")
    expires_at = dt.datetime.combine(expires_on + dt.timedelta(days=1), dt.time.min, tzinfo=VN_TZ)
    return Consent.objects.create(
        owner_id_number=owner.id_number,
        agency=agency,
        document=document,
        purpose=purpose[:255],
        expires_at=expires_at,
        granted_by=user if user is not None and user.is_authenticated else None,
    )


def revoke_consent(owner: Owner, consent_id: int) -> Consent:
    with transaction.atomic():
        consent = Consent.objects.select_for_update().filter(pk=consent_id, owner_id_number=owner.id_number).first()
        if consent is None:
            raise WalletError("Không tìm thấy sự đồng ý chia sẻ này.", "not_found")
        if consent.revoked_at is None:
            consent.revoked_at = timezone.now()
            consent.save(update_fields=["revoked_at"])
    return consent


def access_log(owner_ids: list[str], *, exclude_user=None, limit: int = 200):
    """Who read the owner's data: when, what, for which dossier and purpose (their own reads excluded)."""
    qs = DataAccess.objects.filter(subject_id_number__in=[o for o in owner_ids if o]).select_related("user")
    if exclude_user is not None:
        qs = qs.exclude(user=exclude_user)
    return qs.order_by("-id")[:limit]
