"""The demo province (fictional 'Tỉnh An Hòa', unit code 99, agency suffix H99) — idempotent.

Three-level layout as in the seeds (province → 3 districts → 12 communes). ``apply_two_level``
replays the 1 July 2025 reorganization: districts end on 30/06/2025, pairs of communes merge into
new communes, and every ended unit/agency points to its successor, so history is kept.
The 2025 merger of provincial departments (e.g. Sở LĐTB&XH into Sở Nội vụ) is in both layouts.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db import transaction

from .models import (
    AdministrativeLevel,
    AdministrativeUnit,
    Agency,
    AgencyKind,
    Counter,
    Desk,
    DeskKind,
    StaffMembership,
)
from .roles import Role
from .services import merge_agencies, merge_units, sync_roles

DEMO_PASSWORD = "MotCua@2026"
PROVINCE_CODE = "99"
REORG_DATE = dt.date(2025, 7, 1)
DEPARTMENT_MERGE_DATE = dt.date(2025, 3, 1)

LEVELS = [("province", "Tỉnh", 1), ("district", "Huyện", 2), ("commune", "Xã", 3)]

DEPARTMENTS = [
    ("000.00.06.H99", "Sở Tư pháp", "STP"),
    ("000.00.07.H99", "Sở Nội vụ", "SNV"),
    ("000.00.08.H99", "Sở Xây dựng", "SXD"),
    ("000.00.09.H99", "Sở Nông nghiệp và Môi trường", "SNNMT"),
    ("000.00.10.H99", "Sở Giáo dục và Đào tạo", "SGDĐT"),
    ("000.00.11.H99", "Sở Y tế", "SYT"),
    ("000.00.12.H99", "Sở Tài chính", "STC"),
    ("000.00.13.H99", "Sở Công Thương", "SCT"),
    ("000.00.14.H99", "Sở Văn hóa, Thể thao và Du lịch", "SVHTTDL"),
]
# Departments merged on 01/03/2025 (Resolution of the provincial People's Council): (old, into).
MERGED_DEPARTMENTS = [
    ("000.00.15.H99", "Sở Lao động – Thương binh và Xã hội", "000.00.07.H99"),
    ("000.00.16.H99", "Sở Giao thông vận tải", "000.00.08.H99"),
    ("000.00.17.H99", "Sở Tài nguyên và Môi trường", "000.00.09.H99"),
    ("000.00.18.H99", "Sở Kế hoạch và Đầu tư", "000.00.12.H99"),
]
SECTOR_AGENCIES = [
    ("000.00.21.H99", "Công an tỉnh An Hòa", "CA", AgencyKind.POLICE),
    ("000.00.22.H99", "Bảo hiểm xã hội tỉnh An Hòa", "BHXH", AgencyKind.SOCIAL_INSURANCE),
    ("000.00.23.H99", "Thuế tỉnh An Hòa", "THUE", AgencyKind.TAX),
    ("000.00.24.H99", "Công ty Điện lực An Hòa", "PC", AgencyKind.ELECTRICITY),
]

# (district code, name, seat, remote?, [(commune code, name), ...])
DISTRICTS = [
    (
        "990",
        "Thành phố An Hòa",
        "31",
        False,
        [
            ("99001", "Phường Bình Minh"),
            ("99002", "Phường Hòa Thuận"),
            ("99003", "Xã Phước Lộc"),
            ("99004", "Xã An Phú"),
        ],
    ),
    (
        "991",
        "Huyện Đông Sơn",
        "32",
        False,
        [
            ("99101", "Thị trấn Đông Sơn"),
            ("99102", "Xã Đông Hải"),
            ("99103", "Xã Đông Thành"),
            ("99104", "Xã Quảng Tiến"),
        ],
    ),
    (
        "992",
        "Huyện Tây Lâm",
        "33",
        True,
        [("99201", "Thị trấn Tây Lâm"), ("99202", "Xã Ea Rông"), ("99203", "Xã Ngọc Linh"), ("99204", "Xã Chư Đăk")],
    ),
]
# 2-level layout: pairs of old communes merge into a new commune/ward (new code, name).
NEW_COMMUNES = [
    ("99011", "Phường An Hòa", ["99001", "99002"]),
    ("99012", "Xã Phước An", ["99003", "99004"]),
    ("99111", "Xã Đông Sơn", ["99101", "99102"]),
    ("99112", "Xã Quảng Thành", ["99103", "99104"]),
    ("99211", "Xã Tây Lâm", ["99201", "99202"]),
    ("99212", "Xã Ngọc Linh", ["99203", "99204"]),
]

FIELDS_BY_COUNTER = [
    "Hộ tịch",
    "Chứng thực",
    "Đất đai",
    "Xây dựng",
    "Đăng ký kinh doanh",
    "Lao động, việc làm",
    "Cư trú",
    "Bảo hiểm xã hội",
]


@dataclass
class DemoLogin:
    username: str
    full_name: str
    role: str
    agency: str


def _commune_pc_code(index: int, seat: str) -> str:
    return f"000.{index:02d}.{seat}.H99"


def _commune_police_code(index: int, seat: str) -> str:
    return f"P{index:02d}.{seat}.21.H99"


@transaction.atomic
def load_org(two_level: bool = False) -> list[DemoLogin]:
    levels = {}
    for code, name, rank in LEVELS:
        levels[code], _ = AdministrativeLevel.objects.update_or_create(code=code, defaults={"name": name, "rank": rank})
    province, _ = AdministrativeUnit.objects.update_or_create(
        code=PROVINCE_CODE, defaults={"name": "Tỉnh An Hòa", "level": levels["province"], "parent": None}
    )

    def agency(code, name, kind, unit, short="", parent=None, address=""):
        obj, _ = Agency.objects.update_or_create(
            code=code,
            defaults={
                "name": name,
                "kind": kind,
                "unit": unit,
                "short_name": short,
                "parent": parent,
                "address": address or f"{unit.name}",
            },
        )
        return obj

    ubnd = agency(
        "000.00.00.H99",
        "Ủy ban nhân dân tỉnh An Hòa",
        AgencyKind.PROVINCE_PC,
        province,
        "UBND tỉnh",
        address="01 Quảng trường Trung tâm, Phường Bình Minh, tỉnh An Hòa",
    )
    departments = {
        code: agency(code, name, AgencyKind.PROVINCIAL_DEPARTMENT, province, short, ubnd)
        for code, name, short in DEPARTMENTS
    }
    for code, name, into in MERGED_DEPARTMENTS:
        old = agency(code, name, AgencyKind.PROVINCIAL_DEPARTMENT, province, "", ubnd)
        if old.successor_id is None:
            merge_agencies([old], departments[into], DEPARTMENT_MERGE_DATE)
    sectors = {code: agency(code, name, kind, province, short) for code, name, short, kind in SECTOR_AGENCIES}
    center = agency(
        "000.00.25.H99",
        "Trung tâm Phục vụ hành chính công tỉnh An Hòa",
        AgencyKind.SERVICE_CENTER,
        province,
        "TTPVHCC",
        ubnd,
        "25 Đại lộ Hùng Vương, Phường Bình Minh, tỉnh An Hòa",
    )

    province_desk = _desk(
        "TTPVHCC",
        "Trung tâm Phục vụ hành chính công tỉnh An Hòa",
        DeskKind.PROVINCIAL_CENTER,
        center,
        "25 Đại lộ Hùng Vương, Phường Bình Minh, tỉnh An Hòa",
        (12.2451, 109.1943),
        8,
    )
    province_desk.served_agencies.set([ubnd, *departments.values(), *sectors.values()])

    district_pcs, commune_pcs, desks = {}, {}, {}
    for d_code, d_name, seat, remote, communes in DISTRICTS:
        district, _ = AdministrativeUnit.objects.update_or_create(
            code=d_code,
            defaults={"name": d_name, "level": levels["district"], "parent": province, "remote_area": remote},
        )
        prefix = "UBND " + d_name.replace("Thành phố", "thành phố").replace("Huyện", "huyện")
        dpc = agency(f"000.00.{seat}.H99", prefix, AgencyKind.DISTRICT_PC, district, "")
        district_pcs[d_code] = dpc
        desks[d_code] = _desk(
            f"MC-{d_code}",
            f"Bộ phận Một cửa {d_name}",
            DeskKind.DISTRICT_DESK,
            dpc,
            f"Trụ sở UBND, {d_name}, tỉnh An Hòa",
            None,
            3,
        )
        desks[d_code].served_agencies.set([dpc])
        for index, (c_code, c_name) in enumerate(communes, start=1):
            commune, _ = AdministrativeUnit.objects.update_or_create(
                code=c_code,
                defaults={"name": c_name, "level": levels["commune"], "parent": district, "remote_area": remote},
            )
            cpc = agency(
                _commune_pc_code(index, seat), f"UBND {c_name[0].lower()}{c_name[1:]}", AgencyKind.COMMUNE_PC, commune
            )
            police = agency(
                _commune_police_code(index, seat),
                f"Công an {c_name[0].lower()}{c_name[1:]}",
                AgencyKind.POLICE,
                commune,
                parent=sectors["000.00.21.H99"],
            )
            commune_pcs[c_code] = cpc
            desks[c_code] = _desk(
                f"MC-{c_code}",
                f"Bộ phận Một cửa {c_name}",
                DeskKind.COMMUNE_DESK,
                cpc,
                f"Trụ sở UBND {c_name}, {d_name}, tỉnh An Hòa",
                None,
                2,
            )
            desks[c_code].served_agencies.set([cpc, police])

    if two_level:
        _apply_two_level(levels, province, district_pcs, commune_pcs)

    sync_roles()
    first_commune = "99011" if two_level else "99001"
    commune_agency = Agency.objects.get(unit__code=first_commune, kind=AgencyKind.COMMUNE_PC)
    commune_desk = Desk.objects.get(agency=commune_agency)
    commune_police = Agency.objects.get(unit__code=first_commune, kind=AgencyKind.POLICE)
    district_key = DISTRICTS[0][0]
    logins = [
        ("vanphong", "Nguyễn Thị Lan", Role.CATALOG_ADMIN, ubnd, None, "Chuyên viên Văn phòng UBND tỉnh"),
        ("thanhtra", "Trần Văn Hùng", Role.INSPECTOR, ubnd, None, "Thanh tra viên"),
        ("motcua.tinh", "Lê Thị Hoa", Role.DESK_OFFICER, center, province_desk, "Cán bộ tiếp nhận"),
        ("buudien", "Phạm Văn Nam", Role.POSTAL_STAFF, center, province_desk, "Nhân viên bưu điện"),
        ("chuyenvien.stp", "Hoàng Minh Tuấn", Role.SPECIALIST, departments["000.00.06.H99"], None, "Chuyên viên"),
        ("lanhdao.stp", "Vũ Đức Thắng", Role.LEADER, departments["000.00.06.H99"], None, "Phó Giám đốc Sở"),
        ("vanthu.stp", "Đặng Thu Trang", Role.CLERK, departments["000.00.06.H99"], None, "Văn thư"),
        ("chuyenvien.xa", "Bùi Thị Mai", Role.SPECIALIST, commune_agency, None, "Công chức tư pháp – hộ tịch"),
        ("lanhdao.xa", "Đỗ Văn Bình", Role.LEADER, commune_agency, None, "Chủ tịch UBND"),
        ("motcua.xa", "Ngô Thị Thu", Role.DESK_OFFICER, commune_agency, commune_desk, "Công chức một cửa"),
        ("congan.xa", "Trịnh Quang Huy", Role.SPECIALIST, commune_police, None, "Cán bộ Công an xã"),
    ]
    if not two_level:
        logins.append(
            (
                "motcua.huyen",
                "Lý Văn Sơn",
                Role.DESK_OFFICER,
                district_pcs[district_key],
                desks[district_key],
                "Cán bộ một cửa",
            )
        )
    out = [_staff(*row) for row in logins]
    _superuser()
    return out


def _desk(code, name, kind, owner, address, coords, counters: int) -> Desk:
    lat, lon = coords if coords else (None, None)
    desk, _ = Desk.objects.update_or_create(
        code=code,
        defaults={
            "name": name,
            "kind": kind,
            "agency": owner,
            "address": address,
            "latitude": lat,
            "longitude": lon,
            "opening_hours": "Thứ Hai – Thứ Sáu: 07:00–11:30, 13:30–17:00",
            "active": owner.valid_until is None,
            # The demo province contracts the postal service for intake and returns everywhere.
            "postal_receives": True,
            "postal_returns": True,
        },
    )
    for n in range(1, counters + 1):
        label = FIELDS_BY_COUNTER[(n - 1) % len(FIELDS_BY_COUNTER)]
        Counter.objects.update_or_create(desk=desk, number=n, defaults={"name": f"Quầy {n} – {label}"})
    return desk


def _apply_two_level(levels, province, district_pcs, commune_pcs) -> None:
    """1 July 2025: districts end; pairs of communes merge into new communes."""
    for new_code, name, old_codes in NEW_COMMUNES:
        district_code = old_codes[0][:3]
        seat = next(s for d, _, s, _, _ in DISTRICTS if d == district_code)
        remote = next(r for d, _, _, r, _ in DISTRICTS if d == district_code)
        unit, _ = AdministrativeUnit.objects.update_or_create(
            code=new_code,
            defaults={
                "name": name,
                "level": levels["commune"],
                "parent": province,
                "remote_area": remote,
                "valid_from": REORG_DATE,
            },
        )
        index = 10 + int(new_code[-1])
        pc, _ = Agency.objects.update_or_create(
            code=_commune_pc_code(index, seat),
            defaults={
                "name": f"UBND {name[0].lower()}{name[1:]}",
                "kind": AgencyKind.COMMUNE_PC,
                "unit": unit,
                "valid_from": REORG_DATE,
                "address": f"{name}, tỉnh An Hòa",
            },
        )
        police, _ = Agency.objects.update_or_create(
            code=_commune_police_code(index, seat),
            defaults={
                "name": f"Công an {name[0].lower()}{name[1:]}",
                "kind": AgencyKind.POLICE,
                "unit": unit,
                "valid_from": REORG_DATE,
                "address": f"{name}, tỉnh An Hòa",
            },
        )
        desk = _desk(
            f"MC-{new_code}",
            f"Bộ phận Một cửa {name}",
            DeskKind.COMMUNE_DESK,
            pc,
            f"Trụ sở UBND {name}, tỉnh An Hòa",
            None,
            3,
        )
        desk.served_agencies.set([pc, police])
        old_units = [u for u in AdministrativeUnit.objects.filter(code__in=old_codes) if u.successor_id is None]
        if old_units:
            merge_units(old_units, unit, REORG_DATE)
        for code in old_codes:
            old_pc = commune_pcs[code]
            if old_pc.successor_id is None:
                merge_agencies([old_pc], pc, REORG_DATE)
                old_police = Agency.objects.get(unit__code=code, kind=AgencyKind.POLICE)
                merge_agencies([old_police], police, REORG_DATE)
            Desk.objects.filter(agency=old_pc).update(active=False)
        # The district's seat becomes the first new commune of the district.
        dpc = district_pcs[district_code]
        if dpc.successor_id is None and new_code.endswith("1"):
            merge_agencies([dpc], pc, REORG_DATE)
            merge_units([dpc.unit], unit, REORG_DATE)
            Desk.objects.filter(agency=dpc).update(active=False)


def _staff(username, full_name, role, agency, desk, title) -> DemoLogin:
    User = get_user_model()
    last, _, first = full_name.rpartition(" ")
    user, created = User.objects.get_or_create(username=username, defaults={"first_name": first, "last_name": last})
    if created:
        user.set_password(DEMO_PASSWORD)
        user.save()
    StaffMembership.objects.update_or_create(
        user=user, agency=agency, role=role, defaults={"desk": desk, "title": title, "active": True}
    )
    return DemoLogin(username, full_name, Role(role).label, agency.name)


def _superuser() -> None:
    User = get_user_model()
    if not User.objects.filter(username="quantri").exists():
        User.objects.create_superuser(
            "quantri", "quantri@anhoa.gov.vn", DEMO_PASSWORD, first_name="Quản trị", last_name="Hệ thống"
        )
