"""Checking an applicant against the National Population DB or the business registry.

``verify`` is the one rule, used at the counter, for online submissions (by ``tasks``) and by the
officer's "check again". It never raises for a national system that is down: the answer is then
``not_verified`` and intake goes on. A person's record that answers also stands in for residence
papers (the household book is no longer asked for; see ``catalog.DataSource``).
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from dataclasses import dataclass, field

from motcua.common.text import fold

from . import adapters
from .ids import IdError, consistency_errors, parse_personal_id

STATUS_MESSAGES = {
    "verified": "Thông tin người nộp khớp với Cơ sở dữ liệu quốc gia.",
    "mismatch": "Thông tin người nộp không khớp với Cơ sở dữ liệu quốc gia — đề nghị kiểm tra giấy tờ tùy thân.",
    "not_found": "Không tìm thấy số định danh trong Cơ sở dữ liệu quốc gia.",
    "not_verified": "Chưa đối chiếu được: hệ thống quốc gia không phản hồi. Hồ sơ vẫn được tiếp nhận và "
    "sẽ được đối chiếu lại tự động.",
}
FIELD_LABELS = {
    "full_name": "Họ và tên",
    "date_of_birth": "Ngày sinh",
    "sex": "Giới tính",
    "status": "Tình trạng",
    "name": "Tên tổ chức",
}


@dataclass(frozen=True)
class Verification:
    status: str  # "verified" | "mismatch" | "not_found" | "not_verified"
    message: str
    mismatches: list[dict] = field(default_factory=list)  # {"field", "label", "declared", "registered"}
    record: dict | None = None
    source: str = "population"  # population | business

    @property
    def answered(self) -> bool:
        """The national database answered about this person (their data may replace papers)."""
        return self.status in ("verified", "mismatch") and self.record is not None

    def detail(self) -> dict:
        """What is kept on the dossier: the outcome, not the national record itself."""
        return {"source": self.source, "message": self.message, "mismatches": self.mismatches}

    def residence(self) -> str:
        record = self.record or {}
        return ((record.get("permanent_residence") or {}).get("address")) or ""


def same_name(a: str, b: str) -> bool:
    """Names match when equal ignoring case, Unicode form and spacing (diacritics do count)."""

    def norm(s: str) -> str:
        return " ".join(unicodedata.normalize("NFC", s or "").casefold().split())

    return norm(a) == norm(b)


def verify(
    id_number: str,
    name: str,
    *,
    kind: str = "citizen",
    date_of_birth: dt.date | None = None,
    sex: str = "",
    fresh: bool = False,
) -> Verification:
    """Check the declared identity against the national database; ``fresh`` bypasses the cache."""
    if kind == "organization":
        return _verify_organization(id_number, name, fresh)
    if len(id_number or "") not in (9, 12) or not (id_number or "").isdigit():
        # A passport: foreigners are not in the population DB; checked by the officer on the paper.
        return Verification("not_found", "Hộ chiếu không đối chiếu được với Cơ sở dữ liệu quốc gia về dân cư.")
    client = adapters.population()
    if fresh:
        client.forget(id_number)
    try:
        record = client.lookup(id_number)
    except adapters.Unavailable as exc:
        return Verification("not_verified", f"{exc} {STATUS_MESSAGES['not_verified'].split(': ', 1)[1]}")
    if record is None:
        return Verification("not_found", STATUS_MESSAGES["not_found"])
    mismatches = []
    if not same_name(name, record.get("full_name", "")):
        mismatches.append(_mismatch("full_name", name, record.get("full_name", "")))
    registered_dob = record.get("date_of_birth") or ""
    if date_of_birth is not None and registered_dob and date_of_birth.isoformat() != registered_dob:
        mismatches.append(_mismatch("date_of_birth", f"{date_of_birth:%d/%m/%Y}", _vn_date(registered_dob)))
    if sex and record.get("sex") and sex != record["sex"]:
        labels = {"male": "Nam", "female": "Nữ"}
        mismatches.append(_mismatch("sex", labels.get(sex, sex), labels.get(record["sex"], record["sex"])))
    if record.get("status") == "deceased":
        mismatches.append(_mismatch("status", "Còn sống", f"Đã khai tử ({_vn_date(record.get('date_of_death'))})"))
    if mismatches:
        return Verification("mismatch", STATUS_MESSAGES["mismatch"], mismatches, record)
    return Verification("verified", STATUS_MESSAGES["verified"], [], record)


def _verify_organization(code: str, name: str, fresh: bool) -> Verification:
    client = adapters.business_registry()
    if fresh:
        client.forget(code)
    try:
        record = client.lookup(code)
    except adapters.Unavailable as exc:
        return Verification("not_verified", str(exc), source="business")
    if record is None:
        return Verification(
            "not_found", "Không tìm thấy mã số doanh nghiệp trong Cơ sở dữ liệu quốc gia.", source="business"
        )
    mismatches = []
    if name and fold(name) != fold(record.get("name", "")):
        mismatches.append(_mismatch("name", name, record.get("name", "")))
    if record.get("status") != "active":
        labels = {"suspended": "Tạm ngừng kinh doanh", "dissolved": "Đã giải thể"}
        status = record.get("status", "")
        mismatches.append(_mismatch("status", "Đang hoạt động", labels.get(status, status)))
    if mismatches:
        return Verification("mismatch", STATUS_MESSAGES["mismatch"], mismatches, record, "business")
    return Verification("verified", STATUS_MESSAGES["verified"], [], record, "business")


def _mismatch(key: str, declared: str, registered: str) -> dict:
    return {"field": key, "label": FIELD_LABELS[key], "declared": declared, "registered": registered}


def _vn_date(iso: str | None) -> str:
    try:
        return dt.date.fromisoformat(iso or "").strftime("%d/%m/%Y")
    except ValueError:
        return iso or ""


def declared_consistency(id_number: str, date_of_birth: dt.date | None, sex: str) -> list[str]:
    """Errors between a personal ID number and the declared birth date/sex (before any lookup)."""
    try:
        parse_personal_id(id_number)
    except IdError:
        return []
    return consistency_errors(id_number, date_of_birth, sex)
