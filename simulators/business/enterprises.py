"""A deterministic synthetic register of enterprises: pure functions, no storage.

Enterprise ``index`` (0 <= index < count) has the 10-digit code ``PP`` (province prefix) + ``NNNNNN`` (the index)
+ ``D`` (1 or 2, whichever gives a valid check digit) + the check digit of Vietnamese tax codes, so ``lookup``
decodes the index, regenerates the enterprise and compares: O(1). Legal representatives are real adults of the
population generator with its default size.
"""

from __future__ import annotations

import copy
import datetime as dt
import random
import re

from stdnum.vn import mst

from ..population import people

DEFAULT_COUNT = 50_000
MAX_COUNT = 1_000_000
POPULATION_SIZE = people.DEFAULT_SIZE
PROVINCE = people.PROVINCE
LAST_DATE = dt.date(2025, 12, 31)

TAX_PREFIXES = ("01", "02", "03", "04", "05", "08", "10", "23", "26", "36", "46", "56")
# (type, name prefix, representative titles, capital range in millions of VND, weight)
TYPES = (
    ("Công ty TNHH một thành viên", "Công ty TNHH", ("Giám đốc", "Chủ tịch công ty"), (500, 20_000), 40),
    ("Công ty TNHH hai thành viên trở lên", "Công ty TNHH", ("Giám đốc", "Chủ tịch Hội đồng thành viên"),
     (1_000, 50_000), 20),
    ("Công ty cổ phần", "Công ty Cổ phần", ("Tổng giám đốc", "Giám đốc", "Chủ tịch Hội đồng quản trị"),
     (2_000, 500_000), 25),
    ("Doanh nghiệp tư nhân", "Doanh nghiệp tư nhân", ("Chủ doanh nghiệp",), (100, 5_000), 13),
    ("Công ty hợp danh", "Công ty Hợp danh", ("Thành viên hợp danh",), (500, 10_000), 2),
)  # fmt: skip
STATUSES = (("active", 90), ("suspended", 5), ("dissolved", 5))
TRADES = ("Thương mại", "Dịch vụ", "Xây dựng", "Sản xuất", "Đầu tư", "Vận tải", "Công nghệ", "Nông nghiệp",
          "Thực phẩm", "Du lịch", "Thương mại và Dịch vụ", "Xuất nhập khẩu", "Tư vấn", "Kỹ thuật")  # fmt: skip
BRAND_SYLLABLES = ("Hòa", "An", "Minh", "Phát", "Thành", "Đạt", "Phú", "Quý", "Tân", "Lập", "Hưng", "Thịnh",
                   "Gia", "Bảo", "Việt", "Hoàng", "Long", "Nam", "Trường", "Sơn", "Kim", "Ngọc", "Đức", "Tài",
                   "Lộc", "Vạn", "Xuân", "Bình", "Nhật", "Quang")  # fmt: skip
BUSINESS_LINES = (
    ("0111", "Trồng lúa"),
    ("0118", "Trồng rau, đậu các loại và trồng hoa"),
    ("0146", "Chăn nuôi gia cầm"),
    ("1010", "Chế biến, bảo quản thịt và các sản phẩm từ thịt"),
    ("1071", "Sản xuất các loại bánh từ bột"),
    ("1410", "May trang phục (trừ trang phục từ da lông thú)"),
    ("1610", "Cưa, xẻ, bào gỗ và bảo quản gỗ"),
    ("2511", "Sản xuất các cấu kiện kim loại"),
    ("4101", "Xây dựng nhà để ở"),
    ("4102", "Xây dựng nhà không để ở"),
    ("4212", "Xây dựng công trình đường bộ"),
    ("4321", "Lắp đặt hệ thống điện"),
    ("4520", "Bảo dưỡng, sửa chữa ô tô và xe có động cơ khác"),
    ("4632", "Bán buôn thực phẩm"),
    ("4649", "Bán buôn đồ dùng khác cho gia đình"),
    ("4663", "Bán buôn vật liệu, thiết bị lắp đặt khác trong xây dựng"),
    ("4711", "Bán lẻ lương thực, thực phẩm, đồ uống, thuốc lá, thuốc lào chiếm tỷ trọng lớn trong các cửa hàng "
             "kinh doanh tổng hợp"),
    ("4722", "Bán lẻ thực phẩm trong các cửa hàng chuyên doanh"),
    ("4932", "Vận tải hành khách đường bộ khác"),
    ("4933", "Vận tải hàng hóa bằng đường bộ"),
    ("5510", "Dịch vụ lưu trú ngắn ngày"),
    ("5610", "Nhà hàng và các dịch vụ ăn uống phục vụ lưu động"),
    ("6201", "Lập trình máy vi tính"),
    ("6202", "Tư vấn máy vi tính và quản trị hệ thống máy vi tính"),
    ("6810", "Kinh doanh bất động sản, quyền sử dụng đất thuộc chủ sở hữu, chủ sử dụng hoặc đi thuê"),
    ("7020", "Hoạt động tư vấn quản lý"),
    ("7110", "Hoạt động kiến trúc và tư vấn kỹ thuật có liên quan"),
    ("7310", "Quảng cáo"),
    ("7911", "Đại lý du lịch"),
    ("8299", "Hoạt động dịch vụ hỗ trợ kinh doanh khác còn lại chưa được phân vào đâu"),
)  # fmt: skip

FIXED_CODE = "0109876532"  # its 9th digit (3) is never produced by the generator
FIXED_BRANCH_CODE = FIXED_CODE + "001"
_FIXED_ADDRESS = f"Số 12, thôn 3, xã Tân Lập, {PROVINCE}"
_FIXED_REPRESENTATIVE = {"id_number": "001085012345", "full_name": "Nguyễn Văn An", "title": "Giám đốc"}
FIXED = {
    FIXED_CODE: {
        "code": FIXED_CODE,
        "name": "Công ty TNHH Dịch vụ Tân Lập",
        "type": "Công ty TNHH một thành viên",
        "status": "active",
        "registered_on": "2015-06-01",
        "address": _FIXED_ADDRESS,
        "legal_representative": _FIXED_REPRESENTATIVE,
        "charter_capital": 2_000_000_000,
        "business_lines": [
            {"code": "8299", "name": dict(BUSINESS_LINES)["8299"]},
            {"code": "4711", "name": dict(BUSINESS_LINES)["4711"]},
        ],
    },
    FIXED_BRANCH_CODE: {
        "code": FIXED_BRANCH_CODE,
        "name": "Chi nhánh Công ty TNHH Dịch vụ Tân Lập tại phường Đông Hòa",
        "type": "Chi nhánh",
        "status": "active",
        "registered_on": "2020-09-15",
        "address": f"Số 40, đường Hùng Vương, tổ dân phố 4, phường Đông Hòa, {PROVINCE}",
        "legal_representative": {**_FIXED_REPRESENTATIVE, "title": "Người đứng đầu chi nhánh"},
        "charter_capital": 0,
        "business_lines": [{"code": "8299", "name": dict(BUSINESS_LINES)["8299"]}],
    },
}

_CODE_RE = re.compile(r"\d{10}|\d{13}")


def normalize(code: str) -> str | None:
    """The code as 10 or 13 digits (``0101245486-001`` -> ``0101245486001``), or None if malformed."""
    if not isinstance(code, str):
        return None
    compact = code.strip()
    if len(compact) == 14 and compact[10] == "-":
        compact = compact[:10] + compact[11:]
    return compact if _CODE_RE.fullmatch(compact) else None


def code_for(index: int) -> str:
    """The 10-digit code of enterprise ``index``."""
    prefix = random.Random(f"biz-code-{index}").choice(TAX_PREFIXES)
    for extra in "12":
        body = f"{prefix}{index:06d}{extra}"
        check = mst.calc_check_digit(body)
        if len(check) == 1:
            return body + check
    raise AssertionError("unreachable: digits 1 and 2 change the checksum by 3 (mod 11)")


def _random_date(rng: random.Random, first: dt.date, last: dt.date) -> dt.date:
    return first + dt.timedelta(days=rng.randint(0, max(0, (last - first).days)))


def _representative(rng: random.Random, registered_on: dt.date) -> dict:
    """A living adult (18 or older on ``registered_on``) of the default population."""
    adult_before = registered_on.replace(year=registered_on.year - 18, day=min(registered_on.day, 28))
    while True:
        candidate = people.person(rng.randrange(POPULATION_SIZE), POPULATION_SIZE)
        if candidate["status"] == "alive" and dt.date.fromisoformat(candidate["date_of_birth"]) <= adult_before:
            return candidate


def _check_count(count: int) -> None:
    if not 1 <= count <= MAX_COUNT:
        raise ValueError(f"count must be between 1 and {MAX_COUNT:,}")


def enterprise(index: int, count: int = DEFAULT_COUNT) -> dict:
    """The generated enterprise ``index`` (0 <= index < count); a fresh dict each call."""
    _check_count(count)
    if not 0 <= index < count:
        raise IndexError(f"index {index} outside the register of {count:,}")
    rng = random.Random(f"biz-{index}")
    kind, prefix, titles, (low, high), _ = rng.choices(TYPES, [t[4] for t in TYPES])[0]
    status = rng.choices([s for s, _ in STATUSES], [w for _, w in STATUSES])[0]
    registered_on = _random_date(rng, dt.date(1995, 1, 1), LAST_DATE)
    trade = rng.choice(TRADES)
    brand = " ".join(rng.sample(BRAND_SYLLABLES, 2))
    if kind == "Doanh nghiệp tư nhân":
        name = f"{prefix} {brand}"
    else:
        name = f"{prefix} {trade} {brand}"
    commune = rng.choice(people.COMMUNES)
    if commune.startswith("phường"):
        street = f"đường {rng.choice(people.STREETS)}, tổ dân phố {rng.randint(1, 15)}"
    else:
        street = f"thôn {rng.randint(1, 12)}"
    address = f"Số {rng.randint(1, 300)}, {street}, {commune}, {PROVINCE}"
    representative = _representative(rng, registered_on)
    lines = sorted(rng.sample(BUSINESS_LINES, rng.randint(1, 4)))
    return {
        "code": code_for(index),
        "name": name,
        "type": kind,
        "status": status,
        "registered_on": registered_on.isoformat(),
        "address": address,
        "legal_representative": {
            "id_number": representative["id_number"],
            "full_name": representative["full_name"],
            "title": rng.choice(titles),
        },
        "charter_capital": rng.randint(low, high) * 1_000_000,
        "business_lines": [{"code": c, "name": n} for c, n in lines],
    }


def lookup(code: str, count: int = DEFAULT_COUNT) -> dict | None:
    """The enterprise (or fixed branch) with this code, or None. O(1).

    Accepts 10 digits, 13 digits or ``10-3``. Branch codes are found only for ``FIXED`` ones.
    """
    _check_count(count)
    normalized = normalize(code)
    if normalized is None:
        return None
    if normalized in FIXED:
        return copy.deepcopy(FIXED[normalized])
    if len(normalized) != 10 or not mst.is_valid(normalized):
        return None
    index = int(normalized[2:8])
    if index >= count:
        return None
    candidate = enterprise(index, count)
    return candidate if candidate["code"] == normalized else None
