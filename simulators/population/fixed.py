"""Hand-written citizens that the demo and the tests rely on; ``lookup`` finds them before generated people.

Their ids decode to indices of the generated population, but the generator never emits these exact ids
(see ``people._avoid_fixed``), so they cannot be shadowed or duplicated. Household ids ``HGD-9xxxxxx`` are
outside the generated range (``HGD-0xxxxxx``).
"""

PROVINCE = "tỉnh An Hòa"

_AN = {"id_number": "001085012345", "full_name": "Nguyễn Văn An"}
_BINH = {"id_number": "001185012346", "full_name": "Trần Thị Bình"}
_KHOI = {"id_number": "001225012347", "full_name": "Nguyễn Minh Khôi"}
_KIEM = {"id_number": "056085012345", "full_name": "Lê Văn Kiểm"}
_HOA = {"id_number": "079012345678", "full_name": "Phạm Văn Hòa"}
_LAM = {"id_number": "001090012345", "full_name": "Hoàng Văn Lâm"}

_AN_ADDRESS = f"Số 12, thôn 3, xã Tân Lập, {PROVINCE}"
_AN_HOUSEHOLD_MEMBERS = [
    {**_AN, "date_of_birth": "1985-03-12", "relation_to_head": "Chủ hộ"},
    {**_BINH, "date_of_birth": "1985-07-20", "relation_to_head": "Vợ"},
    {**_KHOI, "date_of_birth": "2025-02-10", "relation_to_head": "Con"},
]


def _an_household(relation):
    return {"id": "HGD-9000001", "head": dict(_AN), "relation_to_head": relation, "members": _AN_HOUSEHOLD_MEMBERS}


def _residence(address, commune, registered_on):
    return {"address": address, "commune": commune, "registered_on": registered_on}


def _alone(household_id, person, date_of_birth):
    return {
        "id": household_id,
        "head": dict(person),
        "relation_to_head": "Chủ hộ",
        "members": [{**person, "date_of_birth": date_of_birth, "relation_to_head": "Chủ hộ"}],
    }


KEYS = (
    "id_number",
    "old_id_number",
    "full_name",
    "sex",
    "date_of_birth",
    "ethnicity",
    "religion",
    "nationality",
    "place_of_birth",
    "hometown",
    "permanent_residence",
    "current_residence",
    "father",
    "mother",
    "spouse",
    "household",
    "status",
    "date_of_death",
)

_RECORDS = [
    {
        **_AN,
        "old_id_number": "012345678",
        "sex": "male",
        "date_of_birth": "1985-03-12",
        "ethnicity": "Kinh",
        "religion": "Không",
        "nationality": "Việt Nam",
        "place_of_birth": f"xã Tân Lập, {PROVINCE}",
        "hometown": f"xã Tân Lập, {PROVINCE}",
        "permanent_residence": _residence(_AN_ADDRESS, "xã Tân Lập", "2010-05-01"),
        "current_residence": _residence(_AN_ADDRESS, "xã Tân Lập", "2010-05-01"),
        "father": None,
        "mother": None,
        "spouse": dict(_BINH),
        "household": _an_household("Chủ hộ"),
        "status": "alive",
        "date_of_death": None,
    },
    {
        **_BINH,
        "old_id_number": None,
        "sex": "female",
        "date_of_birth": "1985-07-20",
        "ethnicity": "Kinh",
        "religion": "Không",
        "nationality": "Việt Nam",
        "place_of_birth": f"phường Đông Hòa, {PROVINCE}",
        "hometown": f"phường Đông Hòa, {PROVINCE}",
        "permanent_residence": _residence(_AN_ADDRESS, "xã Tân Lập", "2011-02-15"),
        "current_residence": _residence(_AN_ADDRESS, "xã Tân Lập", "2011-02-15"),
        "father": None,
        "mother": None,
        "spouse": dict(_AN),
        "household": _an_household("Vợ"),
        "status": "alive",
        "date_of_death": None,
    },
    {
        **_KHOI,
        "old_id_number": None,
        "sex": "male",
        "date_of_birth": "2025-02-10",
        "ethnicity": "Kinh",
        "religion": "Không",
        "nationality": "Việt Nam",
        "place_of_birth": f"xã Tân Lập, {PROVINCE}",
        "hometown": f"xã Tân Lập, {PROVINCE}",
        "permanent_residence": _residence(_AN_ADDRESS, "xã Tân Lập", "2025-02-20"),
        "current_residence": _residence(_AN_ADDRESS, "xã Tân Lập", "2025-02-20"),
        "father": dict(_AN),
        "mother": dict(_BINH),
        "spouse": None,
        "household": _an_household("Con"),
        "status": "alive",
        "date_of_death": None,
    },
    {
        **_KIEM,
        "old_id_number": None,
        "sex": "male",
        "date_of_birth": "1985-01-01",
        "ethnicity": "Kinh",
        "religion": "Không",
        "nationality": "Việt Nam",
        "place_of_birth": "tỉnh Khánh Hòa",
        "hometown": "tỉnh Khánh Hòa",
        "permanent_residence": _residence(
            f"Số 7, đường Lê Lợi, tổ dân phố 5, phường Đông Hòa, {PROVINCE}", "phường Đông Hòa", "2015-08-01"
        ),
        "current_residence": _residence(
            f"Số 7, đường Lê Lợi, tổ dân phố 5, phường Đông Hòa, {PROVINCE}", "phường Đông Hòa", "2015-08-01"
        ),
        "father": None,
        "mother": None,
        "spouse": None,
        "household": _alone("HGD-9000002", _KIEM, "1985-01-01"),
        "status": "alive",
        "date_of_death": None,
    },
    {
        **_HOA,
        "old_id_number": "020123456",
        "sex": "male",
        "date_of_birth": "1912-05-05",
        "ethnicity": "Kinh",
        "religion": "Phật giáo",
        "nationality": "Việt Nam",
        "place_of_birth": "thành phố Hồ Chí Minh",
        "hometown": "thành phố Hồ Chí Minh",
        "permanent_residence": _residence(f"Số 3, thôn 1, xã Phú Thịnh, {PROVINCE}", "xã Phú Thịnh", "1980-01-01"),
        "current_residence": _residence(f"Số 3, thôn 1, xã Phú Thịnh, {PROVINCE}", "xã Phú Thịnh", "1980-01-01"),
        "father": None,
        "mother": None,
        "spouse": None,
        "household": _alone("HGD-9000003", _HOA, "1912-05-05"),
        "status": "deceased",
        "date_of_death": "2001-01-01",
    },
    {
        **_LAM,
        "old_id_number": None,
        "sex": "male",
        "date_of_birth": "1990-09-09",
        "ethnicity": "Kinh",
        "religion": "Không",
        "nationality": "Việt Nam",
        "place_of_birth": "thành phố Hà Nội",
        "hometown": f"xã Hòa Sơn, {PROVINCE}",
        "permanent_residence": _residence(f"Số 25, thôn Đồng, xã Hòa Sơn, {PROVINCE}", "xã Hòa Sơn", "2008-10-01"),
        "current_residence": _residence(
            f"Số 8, đường Trần Hưng Đạo, tổ dân phố 2, phường Đông Hòa, {PROVINCE}", "phường Đông Hòa", "2024-03-15"
        ),
        "father": None,
        "mother": None,
        "spouse": None,
        "household": _alone("HGD-9000004", _LAM, "1990-09-09"),
        "status": "alive",
        "date_of_death": None,
    },
]

FIXED = [{key: record[key] for key in KEYS} for record in _RECORDS]
