"""Validation of Vietnamese identifiers — pure functions with Vietnamese messages.

* Personal ID number (số định danh cá nhân, 12 digits, Law on Identification 2023):
  province-of-birth code (3) + century/sex digit + last two digits of the birth year + 6 digits.
  Century/sex digit: 0/1 = 1900s male/female, 2/3 = 2000s, 4/5 = 2100s, 6/7 = 2200s, 8/9 = 2300s.
* Old identity card number (chứng minh nhân dân): 9 digits.
* Vietnamese passport: one capital letter and 7 digits.
* Enterprise / tax code (mã số doanh nghiệp, mã số thuế): 10 digits, or 13 for a branch
  (10 + "-" + 3, the hyphen optional); the check digit is verified with python-stdnum.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from stdnum.exceptions import ValidationError as StdnumError
from stdnum.vn import mst

# Province-of-birth codes used in personal ID numbers (Circular 59/2021/TT-BCA): 001–096, odd and
# even codes as assigned to the 63 provinces before the 2025 mergers (codes stay valid after them).
PROVINCE_BIRTH_CODES = frozenset(
    f"{n:03d}"
    for n in [1, 2, 4, 6, 8, 10, 11, 12, 14, 15, 17, 19, 20, 22, 24, 25, 26, 27, 30, 31, 33, 34, 35, 36, 37, 38]
    + [40, 42, 44, 45, 46, 48, 49, 51, 52, 54, 56, 58, 60, 62, 64, 66, 67, 68, 70, 72, 74, 75, 77, 79, 80, 82]
    + [83, 84, 86, 87, 89, 91, 92, 93, 94, 95, 96]
)


class IdError(ValueError):
    """An invalid identifier; ``str()`` is a Vietnamese message for the user."""


@dataclass(frozen=True)
class PersonalId:
    number: str
    province_code: str
    birth_year_floor: int  # e.g. 1985 → the year is 1985 exactly (century + two digits)
    female: bool


def parse_personal_id(value: str, today: dt.date | None = None) -> PersonalId:
    """Validate a 12-digit personal ID number; raises IdError with a Vietnamese message."""
    number = (value or "").strip().replace(" ", "")
    if not number:
        raise IdError("Vui lòng nhập số định danh cá nhân.")
    if not number.isdigit():
        raise IdError("Số định danh cá nhân chỉ gồm chữ số (không có chữ cái hay ký tự khác).")
    if len(number) != 12:
        raise IdError(f"Số định danh cá nhân phải gồm đúng 12 chữ số (đang có {len(number)} chữ số).")
    province, century_sex, yy = number[:3], int(number[3]), int(number[4:6])
    if province not in PROVINCE_BIRTH_CODES:
        raise IdError(f"Mã tỉnh nơi đăng ký khai sinh '{province}' trong số định danh cá nhân không hợp lệ.")
    year = 1900 + 100 * (century_sex // 2) + yy
    today = today or dt.date.today()
    if year > today.year:
        raise IdError(
            f"Chữ số thứ 4–6 của số định danh cá nhân cho năm sinh {year}, sau năm hiện tại: số không hợp lệ."
        )
    return PersonalId(number, province, year, bool(century_sex % 2))


def consistency_errors(number: str, date_of_birth: dt.date | None, sex: str = "") -> list[str]:
    """What in a valid personal ID number contradicts the declared birth date and sex."""
    pid = parse_personal_id(number)
    errors = []
    if date_of_birth is not None and date_of_birth.year != pid.birth_year_floor:
        errors.append(
            f"Số định danh cá nhân cho năm sinh {pid.birth_year_floor}, khác năm sinh khai báo {date_of_birth.year}."
        )
    if sex in ("male", "female") and (sex == "female") != pid.female:
        errors.append(
            f"Chữ số thứ 4 của số định danh cá nhân ứng với giới tính {'nữ' if pid.female else 'nam'}, "
            f"khác giới tính khai báo."
        )
    return errors


PASSPORT_RE = re.compile(r"[A-Z]\d{7}")  # Vietnamese ordinary passport (e.g. C1234567, P1234567)


def validate_passport(value: str) -> str:
    number = (value or "").strip().upper().replace(" ", "")
    if not PASSPORT_RE.fullmatch(number):
        raise IdError("Số hộ chiếu Việt Nam gồm 1 chữ cái in hoa và 7 chữ số (ví dụ C1234567).")
    return number


def validate_id_number(value: str, kind: str = "citizen") -> str:
    """Normalize and validate the ID of an applicant/owner.

    ``kind`` "citizen": a 12-digit personal ID, a 9-digit old ID card number, or a passport number.
    ``kind`` "organization": a 10- or 13-digit enterprise/tax code.
    """
    raw = (value or "").strip()
    if kind == "organization":
        compact = raw.replace("-", "").replace(" ", "").replace(".", "")
        if not compact:
            raise IdError("Vui lòng nhập mã số doanh nghiệp/mã số thuế.")
        if not compact.isdigit():
            raise IdError("Mã số doanh nghiệp/mã số thuế chỉ gồm chữ số (dạng 0101234567 hoặc 0101234567-001).")
        if len(compact) not in (10, 13):
            raise IdError(f"Mã số doanh nghiệp/mã số thuế phải gồm 10 hoặc 13 chữ số (đang có {len(compact)}).")
        try:
            mst.validate(compact)
        except StdnumError:
            raise IdError("Mã số doanh nghiệp/mã số thuế không hợp lệ (sai chữ số kiểm tra).") from None
        return compact if len(compact) == 10 else f"{compact[:10]}-{compact[10:]}"
    compact = raw.replace(" ", "")
    if re.fullmatch(r"\d{9}", compact):
        return compact
    if compact[:1].isalpha():
        return validate_passport(compact)
    if compact.isdigit() and len(compact) not in (9, 12):
        raise IdError(
            f"Số định danh cá nhân gồm 12 chữ số (số chứng minh nhân dân cũ: 9 chữ số); đang có {len(compact)} chữ số."
        )
    return parse_personal_id(compact).number


def mask_name(full_name: str) -> str:
    """'Nguyễn Văn An' → 'N*** V** An': enough to recognise one's own dossier, no more."""
    words = (full_name or "").split()
    if not words:
        return ""
    masked = [w[0] + "*" * (len(w) - 1) for w in words[:-1]]
    return " ".join([*masked, words[-1]])
