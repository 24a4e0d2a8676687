"""A deterministic synthetic population: pure functions, no storage.

Person ``index`` (0 <= index < size) gets the 12-digit personal ID number
``PPP`` (province-of-birth code) + ``G`` (century/sex: 0/1 = 1900s male/female, 2/3 = 2000s male/female)
+ ``YY`` (last two digits of the birth year) + ``NNNNNN`` (the index), so ``lookup`` decodes the index from
the number, regenerates the person and compares: O(1).

Households: indices are cut into blocks of 6; block ``b`` holds a first household ``[6b, 6b + n)`` with ``n``
drawn from ``Random(f"pop-block-{b}")`` and, when ``n < 6``, a second household with the rest of the block.
A household is generated as a whole from ``Random(f"pop-hh-{start}")`` (head = oldest adult, spouse,
children born 20-40 years after their parents, sometimes an adult child with grandchildren), so every
member's record agrees with the others. ``random.Random`` seeded with a string is stable across runs.

Old 9-digit ID numbers (about 30% of people born before 1990) are ``XXX`` + the index, so they are O(1) too.
"""

from __future__ import annotations

import copy
import datetime as dt
import random
import re
from functools import lru_cache

from .fixed import FIXED

DEFAULT_SIZE = 200_000
MAX_SIZE = 1_000_000
BLOCK = 6
LAST_DATE = dt.date(2025, 12, 31)  # no generated date (birth, registration, death) is later than this
PROVINCE = "tỉnh An Hòa"

PROVINCES = {
    "001": "thành phố Hà Nội",
    "002": "tỉnh Hà Giang",
    "004": "tỉnh Cao Bằng",
    "006": "tỉnh Bắc Kạn",
    "008": "tỉnh Tuyên Quang",
    "010": "tỉnh Lào Cai",
    "011": "tỉnh Điện Biên",
    "012": "tỉnh Lai Châu",
    "014": "tỉnh Sơn La",
    "015": "tỉnh Yên Bái",
    "017": "tỉnh Hòa Bình",
    "019": "tỉnh Thái Nguyên",
    "020": "tỉnh Lạng Sơn",
    "022": "tỉnh Quảng Ninh",
    "024": "tỉnh Bắc Giang",
    "025": "tỉnh Phú Thọ",
    "026": "tỉnh Vĩnh Phúc",
    "027": "tỉnh Bắc Ninh",
    "030": "tỉnh Hải Dương",
    "031": "thành phố Hải Phòng",
    "033": "tỉnh Hưng Yên",
    "034": "tỉnh Thái Bình",
    "035": "tỉnh Hà Nam",
    "036": "tỉnh Nam Định",
    "037": "tỉnh Ninh Bình",
    "038": "tỉnh Thanh Hóa",
    "040": "tỉnh Nghệ An",
    "042": "tỉnh Hà Tĩnh",
    "044": "tỉnh Quảng Bình",
    "045": "tỉnh Quảng Trị",
    "046": "tỉnh Thừa Thiên Huế",
    "048": "thành phố Đà Nẵng",
    "049": "tỉnh Quảng Nam",
    "051": "tỉnh Quảng Ngãi",
    "052": "tỉnh Bình Định",
    "054": "tỉnh Phú Yên",
    "056": "tỉnh Khánh Hòa",
    "058": "tỉnh Ninh Thuận",
    "060": "tỉnh Bình Thuận",
    "062": "tỉnh Kon Tum",
    "064": "tỉnh Gia Lai",
    "066": "tỉnh Đắk Lắk",
    "067": "tỉnh Đắk Nông",
    "068": "tỉnh Lâm Đồng",
    "070": "tỉnh Bình Phước",
    "072": "tỉnh Tây Ninh",
    "074": "tỉnh Bình Dương",
    "075": "tỉnh Đồng Nai",
    "077": "tỉnh Bà Rịa - Vũng Tàu",
    "079": "thành phố Hồ Chí Minh",
    "080": "tỉnh Long An",
    "082": "tỉnh Tiền Giang",
    "083": "tỉnh Bến Tre",
    "084": "tỉnh Trà Vinh",
    "086": "tỉnh Vĩnh Long",
    "087": "tỉnh Đồng Tháp",
    "089": "tỉnh An Giang",
    "091": "tỉnh Kiên Giang",
    "092": "thành phố Cần Thơ",
    "093": "tỉnh Hậu Giang",
    "094": "tỉnh Sóc Trăng",
    "095": "tỉnh Bạc Liêu",
    "096": "tỉnh Cà Mau",
}
PROVINCE_CODES = tuple(PROVINCES)
# The imaginary province has no code of its own; most people born there carry this one.
HOME_CODE = "001"

COMMUNES = (
    "xã Tân Lập",
    "xã Hòa Sơn",
    "xã Phú Thịnh",
    "xã Yên Bình",
    "xã Thanh Lương",
    "xã Đồng Tâm",
    "xã Minh Khai",
    "xã Quảng Phú",
    "xã Tân Hòa",
    "xã Xuân Lộc",
    "phường Đông Hòa",
    "phường Tây Sơn",
    "phường Bắc Hà",
    "phường Nam Thành",
    "phường Hòa Bình",
    "phường An Phú",
)
STREETS = ("Lê Lợi", "Trần Hưng Đạo", "Nguyễn Trãi", "Hai Bà Trưng", "Quang Trung", "Lý Thường Kiệt", "Hùng Vương")
VILLAGE_NAMES = ("Đồng", "Thượng", "Hạ", "Trung", "Đông", "Tây", "Nam", "Bắc")

FAMILY_NAMES = (
    ("Nguyễn", 380),
    ("Trần", 110),
    ("Lê", 95),
    ("Phạm", 70),
    ("Hoàng", 51),
    ("Huỳnh", 30),
    ("Phan", 45),
    ("Vũ", 39),
    ("Võ", 30),
    ("Đặng", 21),
    ("Bùi", 20),
    ("Đỗ", 14),
    ("Hồ", 13),
    ("Ngô", 13),
    ("Dương", 10),
    ("Lý", 5),
    ("Đinh", 8),
    ("Trịnh", 6),
    ("Mai", 5),
    ("Đào", 5),
    ("Lương", 4),
    ("Cao", 3),
    ("Hà", 3),
    ("Lâm", 3),
)
_FAMILY, _FAMILY_W = zip(*FAMILY_NAMES, strict=True)
MIDDLE_NAMES = {
    "male": ("Văn", "Hữu", "Đức", "Minh", "Quốc", "Công", "Thanh", "Ngọc", "Gia", "Hoàng", "Trọng", "Xuân"),
    "female": ("Thị", "Ngọc", "Thu", "Thanh", "Minh", "Bảo", "Kim", "Phương", "Hồng", "Khánh", "Thùy", "Mai"),
}
TRADITIONAL_MIDDLE = {"male": "Văn", "female": "Thị"}
GIVEN_NAMES = {
    "male": (
        "An", "Bình", "Cường", "Dũng", "Đạt", "Hùng", "Huy", "Khang", "Khoa", "Khôi", "Long", "Minh", "Nam",
        "Phúc", "Quân", "Sơn", "Tài", "Thắng", "Trung", "Tuấn", "Việt", "Vinh", "Hải", "Hiếu", "Lâm", "Phong",
        "Tùng", "Thành", "Đông", "Kiên", "Lộc", "Nghĩa", "Quang", "Thịnh", "Toàn", "Bảo", "Đức", "Hoàng",
    ),
    "female": (
        "Anh", "Chi", "Dung", "Giang", "Hà", "Hạnh", "Hằng", "Hoa", "Hương", "Lan", "Linh", "Mai", "Ngân",
        "Nhung", "Oanh", "Phương", "Quỳnh", "Thảo", "Trang", "Vân", "Yến", "Huyền", "Loan", "Ly", "My",
        "Nga", "Nhi", "Tâm", "Thủy", "Tuyết", "Uyên", "Xuân", "Diệp", "Hiền", "Liên", "Thư", "Vy", "Bình",
    ),
}  # fmt: skip
ETHNICITIES = (("Kinh", 85), ("Tày", 3), ("Thái", 3), ("Mường", 3), ("Khmer", 2), ("Hoa", 1), ("Nùng", 1),
               ("H'Mông", 1), ("Dao", 1))  # fmt: skip
RELIGIONS = (("Không", 80), ("Phật giáo", 9), ("Công giáo", 7), ("Tin lành", 1.5), ("Cao Đài", 1.5),
             ("Phật giáo Hòa Hảo", 1))  # fmt: skip
HOUSEHOLD_SIZES = ((1, 12), (2, 16), (3, 22), (4, 28), (5, 13), (6, 9))
FEMALE_SHARE = 0.53  # children; heads of one-person households
OLD_ID_SHARE = 0.30
DECEASED_SHARE = 0.01
MOVED_SHARE = 0.10

_FIXED_BY_ID = {p["id_number"]: p for p in FIXED}
_FIXED_BY_OLD_ID = {p["old_id_number"]: p for p in FIXED if p["old_id_number"]}
_ID_RE = re.compile(r"\d{12}")
_OLD_ID_RE = re.compile(r"\d{9}")


def _weighted(rng: random.Random, pairs):
    values, weights = zip(*pairs, strict=True)
    return rng.choices(values, weights)[0]


def _random_date(rng: random.Random, first: dt.date, last: dt.date) -> dt.date:
    if last <= first:
        return first
    return first + dt.timedelta(days=rng.randint(0, (last - first).days))


def _year_date(rng: random.Random, year: int, not_before: dt.date | None = None) -> dt.date:
    first = dt.date(year, 1, 1)
    if not_before and not_before > first:
        first = not_before
    return _random_date(rng, first, min(dt.date(year, 12, 31), LAST_DATE))


def _add_years(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def _check_size(size: int) -> None:
    if not 1 <= size <= MAX_SIZE:
        raise ValueError(f"size must be between 1 and {MAX_SIZE:,}")


def household_bounds(index: int, size: int = DEFAULT_SIZE) -> tuple[int, int]:
    """The ``[start, end)`` index range of the household that person ``index`` belongs to."""
    block = index // BLOCK
    first = block * BLOCK
    last = min(first + BLOCK, size)
    split = min(_weighted(random.Random(f"pop-block-{block}"), HOUSEHOLD_SIZES), last - first)
    return (first, first + split) if index < first + split else (first + split, last)


def _plan(rng: random.Random, n: int) -> list[dict]:
    """Members of an ``n``-person household: relation, sex, birth date and in-household parent/spouse links."""
    roll = rng.random()
    if n == 1:
        sex = "female" if rng.random() < FEMALE_SHARE else "male"
        dob = _year_date(rng, rng.randint(1935, 2007))
        return [{"rel": "Chủ hộ", "sex": sex, "dob": dob}]
    if (n == 2 and roll < 0.3) or (n > 2 and roll < 0.15):
        # A single parent with children.
        sex = "female" if rng.random() < 0.65 else "male"
        head_year = rng.randint(1935, 2005)
        members = [{"rel": "Chủ hộ", "sex": sex, "dob": _year_date(rng, head_year)}]
        parent_key = "mother" if sex == "female" else "father"
        _children(rng, members, n - 1, head_year + 20, min(head_year + 40, 2025), {parent_key: 0}, "Con")
        return members
    head_sex = "male" if rng.random() < 0.8 else "female"
    spouse_sex = "female" if head_sex == "male" else "male"
    three_generations = n >= 4 and roll > 0.85
    gap = rng.randint(0, 8)
    head_year = rng.randint(1935, 1965) if three_generations else rng.randint(1935, (2007 if n == 2 else 2005) - gap)
    head_dob = _year_date(rng, head_year)
    spouse_dob = _year_date(rng, head_year + gap, not_before=head_dob)
    members = [
        {"rel": "Chủ hộ", "sex": head_sex, "dob": head_dob, "spouse": 1},
        {"rel": "Vợ" if spouse_sex == "female" else "Chồng", "sex": spouse_sex, "dob": spouse_dob, "spouse": 0},
    ]
    parents = {"father": 0, "mother": 1} if head_sex == "male" else {"father": 1, "mother": 0}
    first_child = head_year + gap + 20
    last_child = min(head_year + 40, 2025)
    if three_generations:
        _children(rng, members, 1, first_child, min(last_child, 2005), parents, "Con")
        adult = len(members) - 1
        key = "father" if members[adult]["sex"] == "male" else "mother"
        year = members[adult]["dob"].year
        _children(rng, members, n - 3, year + 20, min(year + 40, 2025), {key: adult}, "Cháu")
    else:
        _children(rng, members, n - 2, first_child, last_child, parents, "Con")
    return members


def _children(rng, members, count, first_year, last_year, parents, relation) -> None:
    born = sorted(_year_date(rng, rng.randint(first_year, last_year)) for _ in range(count))
    for dob in born:
        sex = "female" if rng.random() < FEMALE_SHARE else "male"
        members.append({"rel": relation, "sex": sex, "dob": dob, **parents})


def _name(rng: random.Random, sex: str, year: int, family: str) -> str:
    traditional = 0.75 if year < 1970 else 0.5 if year < 1990 else 0.2
    middle = TRADITIONAL_MIDDLE[sex] if rng.random() < traditional else rng.choice(MIDDLE_NAMES[sex])
    return f"{family} {middle} {rng.choice(GIVEN_NAMES[sex])}"


def _address(rng: random.Random) -> tuple[str, str]:
    commune = rng.choice(COMMUNES)
    number = rng.randint(1, 250)
    if commune.startswith("phường"):
        place = f"đường {rng.choice(STREETS)}, tổ dân phố {rng.randint(1, 15)}"
    elif rng.random() < 0.5:
        place = f"thôn {rng.randint(1, 12)}"
    else:
        place = f"thôn {rng.choice(VILLAGE_NAMES)}"
    return f"Số {number}, {place}, {commune}, {PROVINCE}", commune


def _ref(record: dict | None) -> dict | None:
    return None if record is None else {"id_number": record["id_number"], "full_name": record["full_name"]}


def _id_number(code: str, sex: str, dob: dt.date, index: int) -> str:
    century = 0 if dob.year < 2000 else 2
    return f"{code}{century + (sex == 'female')}{dob.year % 100:02d}{index:06d}"


def _avoid_fixed(rng: random.Random, code: str, sex: str, dob: dt.date, index: int) -> str:
    number = _id_number(code, sex, dob, index)
    while number in _FIXED_BY_ID:  # never shadow a hand-written person
        code = rng.choice(PROVINCE_CODES)
        number = _id_number(code, sex, dob, index)
    return number


@lru_cache(maxsize=16_384)
def _household(start: int, end: int) -> tuple[dict, ...]:
    rng = random.Random(f"pop-hh-{start}")
    plan = _plan(rng, end - start)
    address, commune = _address(rng)
    hh_ethnicity = _weighted(rng, ETHNICITIES)
    hh_religion = _weighted(rng, RELIGIONS)
    head_dob = plan[0]["dob"]
    moved_in = _random_date(rng, max(_add_years(head_dob, 18), dt.date(1990, 1, 1)), dt.date(2024, 12, 31))
    latest_birth = max(m["dob"] for m in plan)
    records: list[dict] = []
    for offset, member in enumerate(plan):
        index = start + offset
        prng = random.Random(f"pop-{index}")
        sex, dob = member["sex"], member["dob"]
        born_home = prng.random() < 0.75
        code = HOME_CODE if born_home and prng.random() < 0.6 else prng.choice(PROVINCE_CODES)
        if born_home:
            place_of_birth = f"{prng.choice(COMMUNES)}, {PROVINCE}"
        else:
            place_of_birth = PROVINCES[code]
        father = records[member["father"]] if "father" in member else None
        mother = records[member["mother"]] if "mother" in member else None
        if father is not None:
            family = father["full_name"].split()[0]
            hometown = father["hometown"]
        else:
            family = _weighted(prng, FAMILY_NAMES)
            hometown = place_of_birth if prng.random() < 0.7 else f"{prng.choice(COMMUNES)}, {PROVINCE}"
        ethnicity = hh_ethnicity if prng.random() < 0.9 or father or mother else _weighted(prng, ETHNICITIES)
        registered = max(moved_in, dob)
        permanent = {"address": address, "commune": commune, "registered_on": registered.isoformat()}
        if prng.random() < MOVED_SHARE:
            other_address, other_commune = _address(prng)
            while other_address == address:
                other_address, other_commune = _address(prng)
            current = {
                "address": other_address,
                "commune": other_commune,
                "registered_on": _random_date(prng, registered, LAST_DATE).isoformat(),
            }
        else:
            current = dict(permanent)
        old_id = None
        if dob.year < 1990 and prng.random() < OLD_ID_SHARE:
            old_id = f"{prng.randint(10, 389):03d}{index:06d}"
            if old_id in _FIXED_BY_OLD_ID:
                old_id = None
        date_of_death = None
        if prng.random() < DECEASED_SHARE:
            first = max(dob, latest_birth) + dt.timedelta(days=1)
            if first <= LAST_DATE:
                date_of_death = _random_date(prng, first, LAST_DATE).isoformat()
        records.append(
            {
                "id_number": _avoid_fixed(prng, code, sex, dob, index),
                "old_id_number": old_id,
                "full_name": _name(prng, sex, dob.year, family),
                "sex": sex,
                "date_of_birth": dob.isoformat(),
                "ethnicity": ethnicity,
                "religion": hh_religion,
                "nationality": "Việt Nam",
                "place_of_birth": place_of_birth,
                "hometown": hometown,
                "permanent_residence": permanent,
                "current_residence": current,
                "father": _ref(father),
                "mother": _ref(mother),
                "spouse": None,  # filled below, once both spouses exist
                "household": None,
                "status": "deceased" if date_of_death else "alive",
                "date_of_death": date_of_death,
            }
        )
    for member, record in zip(plan, records, strict=True):
        if "spouse" in member:
            record["spouse"] = _ref(records[member["spouse"]])
    head = _ref(records[0])
    members = [
        {
            "id_number": r["id_number"],
            "full_name": r["full_name"],
            "date_of_birth": r["date_of_birth"],
            "relation_to_head": m["rel"],
        }
        for m, r in zip(plan, records, strict=True)
    ]
    for member, record in zip(plan, records, strict=True):
        record["household"] = {
            "id": f"HGD-{start:07d}",
            "head": dict(head),
            "relation_to_head": member["rel"],
            "members": members,
        }
    return tuple(records)


def person(index: int, size: int = DEFAULT_SIZE) -> dict:
    """The generated person ``index`` (0 <= index < size) of a population of ``size``; a fresh dict each call."""
    _check_size(size)
    if not 0 <= index < size:
        raise IndexError(f"index {index} outside the population of {size:,}")
    start, end = household_bounds(index, size)
    return copy.deepcopy(_household(start, end)[index - start])


def lookup(id_number: str, size: int = DEFAULT_SIZE) -> dict | None:
    """The person with this 12-digit personal ID number or 9-digit old ID number, or None.

    Hand-written ``FIXED`` people are found first. O(1): the index is decoded from the number's last 6 digits.
    """
    _check_size(size)
    if not isinstance(id_number, str):
        return None
    if _ID_RE.fullmatch(id_number):
        found = _FIXED_BY_ID.get(id_number)
        key = "id_number"
    elif _OLD_ID_RE.fullmatch(id_number):
        found = _FIXED_BY_OLD_ID.get(id_number)
        key = "old_id_number"
    else:
        return None
    if found is not None:
        return copy.deepcopy(found)
    index = int(id_number[-6:])
    if index >= size:
        return None
    candidate = person(index, size)
    return candidate if candidate[key] == id_number else None


def is_valid_id_number(number: str) -> bool:
    """Structural check of a 12-digit personal ID number (province code, century/sex digit)."""
    return bool(_ID_RE.fullmatch(number or "")) and number[:3] in PROVINCES and number[3] in "0123"
