"""Demo dossiers for the demo province An Hòa: a realistic month of one-stop work.

``load_demo_dossiers`` creates about ``count`` dossiers submitted over the last ~4 working weeks
(20 working days before ``today``), at the provincial center (TTPVHCC), district desks (3-level
layout only) and commune desks, for many procedures of the demo catalog and through every
channel. Every dossier is driven only through ``services.create_dossier`` / ``create_bundle`` /
``act``, by the demo staff, at explicit weekday office-hour instants (``now=``), exactly as real
officers would: so the history, deadlines, lateness and step usage are the services' own.

Every ``State`` is present: online submissions awaiting the desk, received, in processing (on
time and overdue), consultation, supplement requested (and supplemented ones), awaiting the
financial obligation, refused, withdrawn, stopped, result issued, awaiting return and returned —
on time and late —, an apology with a new appointment, and linked bundles of each kind at
several stages (with later members ``pending_linked``).

Agencies without a demo officer for a needed role (police, social insurance, tax, departments,
other communes...) get extra demo staff (``StaffMembership``), returned in ``extra_logins``.

Deterministic for a given ``seed`` and ``today``; idempotent: when demo dossiers exist (their
idempotency keys carry ``DEMO_KEY``), nothing is done.
"""

from __future__ import annotations

import datetime as dt
import math
import random
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone

from motcua.common.text import fold
from motcua.identity.ids import PROVINCE_BIRTH_CODES
from motcua.org.demo import DEMO_PASSWORD, DemoLogin
from motcua.org.models import Agency, AgencyKind, Desk, DeskKind, StaffMembership
from motcua.org.roles import Role
from motcua.workcalendar.engine import UNITS_PER_DAY, VN_TZ
from motcua.workcalendar.services import get_calendar

from . import services
from .bundles import CUTOFF
from .models import Channel, Dossier, FeeStatus, ReturnChannel, Step, StepStatus
from .states import State

DEMO_KEY = "motcua-demo-"
HOUR = 3600  # working units (one working day = 8 h = UNITS_PER_DAY)
DAY = UNITS_PER_DAY
WINDOW_DAYS = 20  # ~4 weeks of working days
MINUTE = 60

S = State

# ------------------------------------------------------------------------------------------------
# People
# ------------------------------------------------------------------------------------------------
FAMILY = [
    ("Nguyễn", 30),
    ("Trần", 11),
    ("Lê", 9),
    ("Phạm", 7),
    ("Hoàng", 5),
    ("Huỳnh", 4),
    ("Phan", 4),
    ("Vũ", 4),
    ("Võ", 4),
    ("Đặng", 3),
    ("Bùi", 3),
    ("Đỗ", 3),
    ("Hồ", 2),
    ("Ngô", 2),
    ("Dương", 2),
    ("Trương", 2),
    ("Lý", 1),
    ("Đinh", 1),
    ("Lương", 1),
    ("Mai", 1),
    ("Tạ", 1),
    ("Châu", 1),
]
MIDDLE_M = ["Văn", "Hữu", "Đức", "Minh", "Quốc", "Thành", "Công", "Xuân", "Gia", "Ngọc", "Anh", "Tấn"]
MIDDLE_F = ["Thị", "Thị", "Thị", "Ngọc", "Thu", "Thanh", "Minh", "Bảo", "Phương", "Hoài", "Kim", "Mỹ"]
GIVEN_M = (
    "An Bình Cường Dũng Đạt Đức Hải Hiếu Hoàng Hùng Huy Khang Khoa Long Lộc Minh Nam Nghĩa Phát Phong Phúc "
    "Quang Quân Sơn Tài Thắng Thành Thịnh Tiến Toàn Trung Tuấn Việt Vinh Khải Duy Tâm Lâm"
).split()
GIVEN_F = (
    "Anh Chi Diệp Dung Giang Hà Hạnh Hằng Hiền Hoa Hồng Hương Huyền Lan Linh Loan Mai My Nga Ngân Ngọc Nhung "
    "Oanh Phương Quỳnh Thảo Thu Thủy Trang Trinh Tuyết Vân Yến Nhi Thư Uyên"
).split()
STREETS = [
    "Lê Lợi",
    "Trần Hưng Đạo",
    "Nguyễn Huệ",
    "Hùng Vương",
    "Quang Trung",
    "Hai Bà Trưng",
    "Lý Thường Kiệt",
    "Phan Chu Trinh",
    "Nguyễn Thị Minh Khai",
    "Võ Thị Sáu",
    "Lê Thánh Tôn",
    "Yersin",
    "Pasteur",
    "Bạch Đằng",
]
MOBILE_PREFIXES = "032 033 034 035 036 037 038 039 070 076 077 078 079 081 082 083 084 085 086 088 089 090 091 093 094 096 097 098".split()  # noqa: E501
# Most applicants were born in the province the demo is modelled on (birth code 056), others anywhere.
HOME_BIRTH_CODE = "056"

# ------------------------------------------------------------------------------------------------
# Texts officers type
# ------------------------------------------------------------------------------------------------
SUPPLEMENT_REASONS = [
    "Bản chụp giấy tờ không rõ nét, đề nghị nộp lại bản chụp rõ nét.",
    "Thông tin trên tờ khai chưa khớp với Cơ sở dữ liệu quốc gia về dân cư, đề nghị kê khai lại.",
    "Tờ khai thiếu chữ ký của người yêu cầu, đề nghị bổ sung.",
    "Giấy tờ chứng minh nơi cư trú đã hết hạn, đề nghị nộp bản còn hiệu lực.",
]
ONLINE_SUPPLEMENT_REASON = "Hồ sơ nộp trực tuyến còn thiếu thành phần bắt buộc; đề nghị bổ sung đầy đủ một lần."
REFUSE_REASONS = [
    "Yêu cầu không thuộc thẩm quyền giải quyết của cơ quan; đã hướng dẫn người nộp đến cơ quan có thẩm quyền.",
    "Người nộp không phải là người có quyền yêu cầu giải quyết thủ tục theo quy định.",
    "Giấy tờ nộp kèm đã hết hiệu lực, hồ sơ không đủ điều kiện tiếp nhận.",
]
SYSTEM_REFUSE_REASON = "Quá 15 ngày làm việc kể từ ngày yêu cầu bổ sung, người nộp không bổ sung hồ sơ trực tuyến."
WITHDRAW_REASONS = [
    "Người nộp có đơn đề nghị rút hồ sơ.",
    "Người nộp đề nghị rút hồ sơ để điều chỉnh nội dung yêu cầu.",
]
STOP_REASONS = [
    "Phát sinh tranh chấp liên quan đến hồ sơ, chờ cơ quan có thẩm quyền giải quyết.",
    "Cơ quan tiến hành tố tụng có văn bản đề nghị dừng giải quyết hồ sơ.",
    "Người yêu cầu đề nghị dừng giải quyết để hoàn thiện giấy tờ liên quan.",
]
APOLOGY_REASONS = [
    "Cần xác minh thêm thông tin tại cơ quan liên quan.",
    "Chờ kết quả kiểm tra, thẩm định thực địa.",
    "Cơ sở dữ liệu chuyên ngành gián đoạn, chưa cập nhật được kết quả.",
]
OPINIONS = [
    "Thống nhất với đề xuất của cơ quan chủ trì.",
    "Đã đối chiếu cơ sở dữ liệu, thông tin trùng khớp; thống nhất.",
    "Không có ý kiến khác.",
    "Thống nhất; đề nghị lưu ý xác minh nơi cư trú hiện tại của người yêu cầu.",
]
REJECT_REASONS = [
    "Hồ sơ không đủ điều kiện giải quyết theo quy định hiện hành.",
    "Kết quả xác minh cho thấy thông tin kê khai không đúng sự thật.",
]
SEND_BACK_REASON = "Đề nghị thẩm định lại, bổ sung ý kiến đề xuất."


@dataclass
class DemoDossiers:
    """What ``load_demo_dossiers`` did."""

    created: int = 0
    bundles: int = 0
    by_state: dict[str, int] = field(default_factory=dict)
    by_channel: dict[str, int] = field(default_factory=dict)
    late: int = 0
    extra_logins: list[DemoLogin] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    already_loaded: bool = False


def demo_dossiers():
    """The demo dossiers (first dossier of each case carries the demo idempotency key; bundle
    members share its bundle)."""
    keyed = Dossier.objects.filter(idempotency_key__contains=":" + DEMO_KEY)
    bundles = keyed.exclude(bundle=None).values("bundle")
    return Dossier.objects.filter(pk__in=keyed.values("pk")) | Dossier.objects.filter(bundle__in=bundles)


def load_demo_dossiers(count: int = 220, seed: int = 2026, today: dt.date | None = None) -> DemoDossiers:
    """Create the demo dossiers (see the module docstring). Needs the demo organization and
    catalog (``load_demo``); does nothing when demo dossiers already exist."""
    if Dossier.objects.filter(idempotency_key__contains=":" + DEMO_KEY).exists():
        return DemoDossiers(already_loaded=True)
    with transaction.atomic():
        gen = _Generator(count, seed, today)
        gen.run()
    return gen.summary()


# ------------------------------------------------------------------------------------------------
# Plans
# ------------------------------------------------------------------------------------------------
@dataclass
class Proc:
    """A procedure as received at one desk (from ``services.prepare_intake``)."""

    code: str
    name: str
    limit: Decimal
    online: bool
    agency: Agency
    seq: list  # sequential ProcessSteps in order
    processing: list  # the handling steps (between intake and return)
    parallel: bool
    required: list[str]
    optional: list[str]
    fee: int


@dataclass
class Move:
    action: str
    kind: str  # "abs": fixed working units after the previous move; "rel": share of the processing pace
    value: float
    state: str  # the dossier's state after the move


@dataclass
class Case:
    index: int
    desk: Desk
    proc: Proc
    target: str
    channel: str
    features: set[str] = field(default_factory=set)
    late: bool = False
    return_channel: str = ReturnChannel.COUNTER
    applicant: dict = field(default_factory=dict)
    owner: dict | None = None
    moves: list[Move] = field(default_factory=list)
    receipt: int = 0
    pace: float = 0.6
    dossier: Dossier | None = None
    # bundles: the following members (each a Case with ``linked``), driven after this one's result
    linked: bool = False
    chain: list[Case] = field(default_factory=list)
    bundle_kind: str = ""
    choices: list[str] = field(default_factory=list)
    member_targets: list[str] = field(default_factory=list)
    times: list[int] = field(default_factory=list)
    requested: list[str] = field(default_factory=list)  # components asked for by a supplement request
    rel_total: float = 1.0  # sum of the "rel" weights of the whole path (the pace's denominator)


class _Generator:
    def __init__(self, count: int, seed: int, today: dt.date | None):
        self.count = count
        self.rng = random.Random(seed)
        self.seed = seed
        self.cal = get_calendar()
        now = timezone.now()
        as_of = now
        if today is not None:
            as_of = min(dt.datetime(today.year, today.month, today.day, 17, 0, tzinfo=VN_TZ), now)
        self.as_of = as_of
        self.end = self.cal.to_offset(as_of) - 10 * MINUTE
        self.start = self.end - WINDOW_DAYS * DAY
        self.staff_cache: dict = {}
        self.extra: list[DemoLogin] = []
        self.password = make_password(DEMO_PASSWORD)
        self.procs: dict[tuple[int, str], Proc | None] = {}
        self.errors: list[str] = []
        self.cases: list[Case] = []
        self.created = 0
        self.bundles = 0
        self._desks()

    # -- organization -----------------------------------------------------------------------
    def _desks(self) -> None:
        active = list(Desk.objects.filter(active=True).select_related("agency__unit__level", "agency__unit__parent"))
        by_kind: dict[str, list[Desk]] = {}
        for d in sorted(active, key=lambda d: d.code):
            by_kind.setdefault(d.kind, []).append(d)
        self.province_desks = by_kind.get(DeskKind.PROVINCIAL_CENTER, [])[:1]
        self.district_desks = by_kind.get(DeskKind.DISTRICT_DESK, [])[:2]
        communes = by_kind.get(DeskKind.COMMUNE_DESK, [])
        # The desk of the demo commune officer first, then a spread over the districts/areas.
        own = StaffMembership.objects.filter(user__username="motcua.xa", active=True).values_list("desk", flat=True)
        first = [d for d in communes if d.pk in set(own)]
        rest = [d for d in communes if d not in first]
        step = max(len(rest) // 3, 1)
        self.commune_desks = (first + rest[::step])[:4]
        if not self.province_desks or not self.commune_desks:
            raise RuntimeError("Chưa có dữ liệu tổ chức mẫu: hãy chạy load_demo trước.")
        self.communes = [d.agency.unit for d in communes]

    def staff(self, agency: Agency, role: str, desk: Desk | None = None):
        """A demo officer holding ``role`` at ``agency`` (at ``desk`` for desk roles); created
        (with a Vietnamese name and the demo password) when the demo has none."""
        key = (agency.pk, role, desk.pk if desk else None)
        if key in self.staff_cache:
            return self.staff_cache[key]
        qs = StaffMembership.objects.filter(role=role, active=True, user__is_active=True).select_related("user")
        qs = qs.filter(desk=desk) if desk is not None else qs.filter(agency=agency)
        m = qs.order_by("user__username").first()
        user = m.user if m else self._new_staff(agency, role, desk)
        self.staff_cache[key] = user
        return user

    def _new_staff(self, agency: Agency, role: str, desk: Desk | None):
        User = get_user_model()
        prefix = {
            Role.DESK_OFFICER: "motcua",
            Role.SPECIALIST: "chuyenvien",
            Role.LEADER: "lanhdao",
            Role.CLERK: "vanthu",
            Role.POSTAL_STAFF: "buudien",
        }[role]
        base = f"{prefix}.{_slug(agency)}"
        username, n = base, 1
        while User.objects.filter(username=username).exists():
            n += 1
            username = f"{base}{n}"
        rng = random.Random(f"{self.seed}:{username}")
        female = rng.random() < 0.5
        family = _weighted(rng, FAMILY)
        middle = rng.choice(MIDDLE_F if female else MIDDLE_M)
        given = rng.choice(GIVEN_F if female else GIVEN_M)
        user = User.objects.create(
            username=username, first_name=given, last_name=f"{family} {middle}", password=self.password
        )
        StaffMembership.objects.create(
            user=user, agency=agency, role=role, desk=desk, title=_title(agency, role), active=True
        )
        self.extra.append(DemoLogin(username, f"{family} {middle} {given}", Role(role).label, agency.name))
        return user

    def desk_officer(self, desk: Desk):
        return self.staff(desk.agency, Role.DESK_OFFICER, desk)

    # -- procedures -------------------------------------------------------------------------
    def proc(self, desk: Desk, code: str) -> Proc | None:
        """The procedure as this desk receives it, or None when the desk does not receive it."""
        key = (desk.pk, code)
        if key not in self.procs:
            self.procs[key] = self._proc(desk, code)
        return self.procs[key]

    def _proc(self, desk: Desk, code: str) -> Proc | None:
        try:
            intake = services.prepare_intake(
                user=self.desk_officer(desk),
                procedure_code=code,
                channel=Channel.COUNTER,
                applicant={"name": "Kiểm tra", "id_number": "056085012345"},
                desk_code=desk.code,
                components=[],
                now=self.cal.from_offset(self.start),
            )
        except services.DossierError:
            return None
        v = intake.version
        seq = sorted((s for s in v.steps.all() if not s.parallel), key=lambda s: s.order)
        if len(seq) < 2 or seq[0].role != Role.DESK_OFFICER:
            return None
        has_return = seq[-1].role == Role.DESK_OFFICER
        processing = seq[1:-1] if has_return else seq[1:]
        if not processing or any(s.role == Role.DESK_OFFICER for s in processing):
            return None
        comps = list(v.components.all())
        return Proc(
            code=code,
            name=v.name,
            limit=v.time_limit_days,
            online=v.online_level != "none",
            agency=intake.agency,
            seq=seq,
            processing=processing,
            parallel=any(s.parallel for s in v.steps.all()),
            required=[c.code for c in comps if c.required],
            optional=[c.code for c in comps if not c.required],
            fee=sum(f.amount for f in v.fees.all()),
        )

    def procs_at(self, desk: Desk, *, online=False, min_limit=0, max_limit=99, parallel=False) -> list[Proc]:
        out = []
        for code in self.codes:
            p = self.proc(desk, code)
            if p is None or not (min_limit <= p.limit <= max_limit):
                continue
            if (online and not p.online) or (parallel and not p.parallel):
                continue
            out.append(p)
        return out

    # -- the run ----------------------------------------------------------------------------
    def run(self) -> None:
        from motcua.catalog.models import ProcedureVersion

        day = self.as_of.astimezone(VN_TZ).date()
        self.codes = sorted(set(ProcedureVersion.objects.in_force(day).values_list("procedure__code", flat=True)))
        if not self.codes:
            raise RuntimeError("Chưa có danh mục thủ tục mẫu: hãy chạy load_demo trước.")
        specs = self._specs()
        for i, spec in enumerate(specs, start=1):
            case = self._case(i, spec)
            if case is None:
                self.errors.append(f"Không lập được hồ sơ mẫu {spec}")
                continue
            self._place(case)
            try:
                with transaction.atomic():
                    self._drive(case)
            except services.DossierError as exc:
                self.errors.append(f"Hồ sơ mẫu #{i} ({spec.get('target')}, {case.proc.code}): {exc.message}")

    def summary(self) -> DemoDossiers:
        qs = demo_dossiers()
        by_state = Counter(qs.values_list("state", flat=True))
        by_channel = Counter(qs.values_list("channel", flat=True))
        return DemoDossiers(
            created=qs.count(),
            bundles=self.bundles,
            by_state={s.value: by_state.get(s.value, 0) for s in State},
            by_channel=dict(by_channel),
            late=qs.late(self.as_of).count(),
            extra_logins=self.extra,
            errors=self.errors,
        )

    # -- what to create ---------------------------------------------------------------------
    def _specs(self) -> list[dict]:
        """The cases: first one of every kind the demo must show, then a realistic mix."""
        p, d, c = "province", "district", "commune"
        must = [
            {"target": S.RETURNED, "desk": p},
            {"target": S.RETURNED, "desk": c, "late": True},
            {"target": S.RETURNED, "desk": p, "late": True, "features": {"ack"}},
            {"target": S.RETURNED, "desk": d, "features": {"consult", "ack"}},
            {"target": S.RETURNED, "desk": p, "channel": Channel.POSTAL_SERVICE, "return": ReturnChannel.POST},
            {"target": S.RETURNED, "desk": c, "channel": Channel.POST, "return": ReturnChannel.POST},
            {"target": S.RETURNED, "desk": p, "channel": Channel.KIOSK},
            {"target": S.RETURNED, "desk": c, "features": {"reject"}},
            {"target": S.RETURNED, "desk": c, "channel": Channel.ONLINE, "features": {"incomplete"}},
            {"target": S.RETURNED, "desk": p, "features": {"supplement", "assign"}},
            {"target": S.RETURNED, "desk": p, "features": {"apology"}, "late": True},
            {"target": S.RETURNED, "desk": d, "features": {"send_back"}},
            {"target": S.AWAITING_RETURN, "desk": c},
            {"target": S.AWAITING_RETURN, "desk": p, "channel": Channel.ONLINE},
            {"target": S.RESULT_ISSUED, "desk": p},
            {"target": S.RESULT_ISSUED, "desk": c, "channel": Channel.ONLINE},
            {"target": S.IN_PROCESSING, "desk": p},
            {"target": S.IN_PROCESSING, "desk": c, "late": True},
            {"target": S.IN_PROCESSING, "desk": d, "late": True},
            {"target": S.IN_PROCESSING, "desk": p, "features": {"apology"}},
            {"target": S.IN_PROCESSING, "desk": c, "channel": Channel.ONLINE, "features": {"incomplete"}},
            {"target": S.CONSULTING, "desk": c, "features": {"consult"}},
            {"target": S.CONSULTING, "desk": p, "features": {"consult"}},
            {"target": S.RECEIVED, "desk": c},
            {"target": S.RECEIVED, "desk": p},
            {"target": S.SUBMITTED, "desk": c, "channel": Channel.ONLINE},
            {"target": S.SUBMITTED, "desk": p, "channel": Channel.ONLINE},
            {"target": S.SUPPLEMENT_REQUESTED, "desk": c, "channel": Channel.ONLINE, "features": {"incomplete"}},
            {"target": S.SUPPLEMENT_REQUESTED, "desk": p, "features": {"supplement"}},
            {"target": S.AWAITING_FEE, "desk": d, "features": {"fee"}},
            {"target": S.REFUSED, "desk": c, "channel": Channel.ONLINE},
            {"target": S.REFUSED, "desk": p, "channel": Channel.ONLINE, "features": {"incomplete", "expired"}},
            {"target": S.WITHDRAWN, "desk": p},
            {"target": S.STOPPED, "desk": d},
            {"bundle": "khai_sinh", "targets": [S.RETURNED, S.IN_PROCESSING]},
            {"bundle": "khai_tu", "choices": ["1.010058"], "targets": [S.RETURNED, S.RETURNED, S.IN_PROCESSING]},
            {"bundle": "khai_sinh", "targets": [S.RETURNED, S.RETURNED, S.RETURNED]},
            {"bundle": "khai_tu", "choices": ["1.010059"], "targets": [S.IN_PROCESSING]},
        ]
        specs = list(must)
        total = sum(3 if "bundle" in s else 1 for s in specs)
        mix = [
            (S.RETURNED, 34),
            (S.AWAITING_RETURN, 6),
            (S.RESULT_ISSUED, 3),
            (S.IN_PROCESSING, 22),
            (S.CONSULTING, 3),
            (S.RECEIVED, 4),
            (S.SUBMITTED, 5),
            (S.SUPPLEMENT_REQUESTED, 3),
            (S.AWAITING_FEE, 2),
            (S.REFUSED, 2),
            (S.WITHDRAWN, 1),
            (S.STOPPED, 1),
            ("bundle", 3),
        ]
        rng = self.rng
        while total < self.count:
            target = _weighted(rng, mix)
            if target == "bundle":
                kind = rng.choice(["khai_sinh", "khai_tu"])
                choices = [rng.choice(["1.010058", "1.010059"])] if kind == "khai_tu" else []
                depth = rng.choice([1, 1, 2, 3])
                targets = [S.RETURNED] * (depth - 1) + [rng.choice([S.RETURNED, S.IN_PROCESSING, S.RECEIVED])]
                specs.append({"bundle": kind, "choices": choices, "targets": targets})
                total += 3
                continue
            spec = {"target": target, "desk": _weighted(rng, [(p, 35), (d, 20), (c, 45)])}
            channel = _weighted(
                rng,
                [
                    (Channel.COUNTER, 36),
                    (Channel.ONLINE, 50),
                    (Channel.POST, 5),
                    (Channel.POSTAL_SERVICE, 4),
                    (Channel.KIOSK, 5),
                ],
            )
            if target in (S.SUBMITTED, S.REFUSED):
                channel = Channel.ONLINE
            spec["channel"] = channel
            features = set()
            if rng.random() < 0.5:
                features.add("ack")
            if rng.random() < 0.2:
                features.add("assign")
            if rng.random() < 0.15 or target == S.CONSULTING:
                features.add("consult")
            if rng.random() < 0.1 or target == S.SUPPLEMENT_REQUESTED:
                features.add("supplement")
            if rng.random() < 0.06 or target == S.AWAITING_FEE:
                features.add("fee")
            if channel == Channel.ONLINE and rng.random() < 0.25:
                features.add("incomplete")
            if target == S.SUPPLEMENT_REQUESTED and channel == Channel.ONLINE and rng.random() < 0.5:
                features.discard("supplement")
                features.add("incomplete")
            if target == S.RETURNED and rng.random() < 0.05:
                features.add("reject")
            if target in (S.RETURNED, S.IN_PROCESSING) and rng.random() < 0.05:
                features.add("apology")
            if target == S.RETURNED and rng.random() < 0.06:
                features.add("send_back")
            spec["features"] = features
            spec["late"] = target in (S.RETURNED, S.AWAITING_RETURN, S.IN_PROCESSING) and rng.random() < 0.08
            specs.append(spec)
            total += 1
        # The e-data store's demo: Nguyễn Văn An (in the simulated population DB, VNeID password
        # 123456) holds a certificate of marital status, proposed for reuse when he registers a marriage.
        specs.append({"target": S.RETURNED, "desk": c, "procedure": "1.004873", "applicant": DEMO_CITIZEN})
        return specs

    def _desk_of(self, kind: str) -> Desk:
        if kind == "district" and self.district_desks:
            return self.rng.choice(self.district_desks)
        if kind == "province":
            return self.province_desks[0]
        return self.rng.choice(self.commune_desks)

    def _case(self, index: int, spec: dict) -> Case | None:
        if "bundle" in spec:
            return self._bundle_case(index, spec)
        rng = self.rng
        target = spec["target"]
        features = set(spec.get("features") or ())
        late = bool(spec.get("late"))
        channel = spec.get("channel", Channel.COUNTER)
        for _attempt in range(12):
            desk = self._desk_of(spec["desk"])
            if channel == Channel.POSTAL_SERVICE and desk.kind != DeskKind.PROVINCIAL_CENTER:
                desk = self.province_desks[0]
            online = channel == Channel.ONLINE
            lo, hi = 0, 30
            if "apology" in features:
                lo, hi = 5, 15
            elif late and target in (S.RETURNED, S.AWAITING_RETURN, S.RESULT_ISSUED):
                lo, hi = 1, 10
            elif target in (S.RETURNED, S.AWAITING_RETURN, S.RESULT_ISSUED, S.REFUSED, S.WITHDRAWN):
                hi = 15
            elif late:
                lo, hi = 0.5, 10
            choices = self.procs_at(desk, online=online, min_limit=lo, max_limit=hi, parallel="consult" in features)
            if not choices and "consult" in features:
                choices = self.procs_at(desk, online=online, min_limit=lo, max_limit=hi)
            if "incomplete" in features:  # something required must be missing
                choices = [c for c in choices if c.required]
            if spec.get("procedure"):
                choices = [c for c in self.procs_at(desk, online=online) if c.code == spec["procedure"]]
            if choices:
                break
        else:
            return None
        proc = rng.choice(choices)
        case = Case(index, desk, proc, target, channel, features, late)
        case.return_channel = self._return_channel(channel)
        case.applicant = dict(spec["applicant"]) if spec.get("applicant") else self._person(desk)
        self._plan(case)
        return case

    def _bundle_case(self, index: int, spec: dict) -> Case | None:
        from .bundles import chain_for

        kind, choices, targets = spec["bundle"], spec.get("choices") or [], spec["targets"]
        codes = chain_for(kind, choices)
        rng = self.rng
        desk = rng.choice(self.commune_desks)
        procs = [self.proc(desk, codes[0])]
        if procs[0] is None:
            return None
        channel = rng.choice([Channel.COUNTER, Channel.COUNTER, Channel.ONLINE])
        applicant = self._person(desk)
        if kind == "khai_sinh":
            owner = self._person(desk, child=True, family=applicant["name"].split()[0])
        else:
            owner = self._person(desk, elderly=True, family=applicant["name"].split()[0])
        head = Case(index, desk, procs[0], targets[0], channel, {"ack"} if rng.random() < 0.5 else set())
        head.return_channel = self._return_channel(channel)
        head.applicant, head.owner = applicant, owner
        head.bundle_kind, head.choices, head.member_targets = kind, choices, targets
        self._plan(head)
        self._plan_chain(head)
        return head

    def _return_channel(self, channel: str) -> str:
        r = self.rng.random()
        if channel == Channel.ONLINE:
            return ReturnChannel.ONLINE if r < 0.6 else (ReturnChannel.COUNTER if r < 0.85 else ReturnChannel.POST)
        if channel in (Channel.POST, Channel.POSTAL_SERVICE):
            return ReturnChannel.POST if r < 0.8 else ReturnChannel.COUNTER
        return ReturnChannel.COUNTER if r < 0.8 else ReturnChannel.POST

    # -- moves --------------------------------------------------------------------------------
    def _plan(self, case: Case) -> None:
        rng = self.rng
        full, receipt = self._moves(case)
        case.rel_total = sum(m.value for m in full if m.kind == "rel") or 1.0
        target = case.target
        if target in (S.REFUSED, S.WITHDRAWN, S.STOPPED):
            action = {S.REFUSED: "refuse", S.WITHDRAWN: "withdraw", S.STOPPED: "stop"}[target]
            sources = services.TRANSITIONS[action].sources
            if "expired" in case.features:
                at = [i for i, m in enumerate(full) if m.state == S.SUPPLEMENT_REQUESTED]
                action = "refuse_expired"
            else:
                at = [i for i, m in enumerate(full[:-3]) if m.state in sources and m.action != "apologize"]
                if target == S.STOPPED:
                    at = [i for i in at if full[i].state == S.IN_PROCESSING] or at
            i = rng.choice(at)
            gap = 15 * DAY if action == "refuse_expired" else rng.uniform(0.2, 1.0)
            kind = "abs" if action == "refuse_expired" or i < receipt else "rel"
            if kind == "abs" and action != "refuse_expired":
                gap = rng.uniform(0.5, 6) * HOUR
            moves = [*full[: i + 1], Move(action, kind, gap, target)]
        else:
            at = [i for i, m in enumerate(full) if m.state == target]
            if not at:
                raise RuntimeError(f"demo plan cannot reach {target} ({case.proc.code}, {case.features})")
            if target in (S.IN_PROCESSING,):
                i = rng.choice(at)
            elif target == S.RETURNED:
                i = at[-1]
            else:
                i = at[0]
            moves = full[: i + 1]
        case.moves, case.receipt = moves, receipt
        if case.late:
            case.pace = rng.uniform(1.15, 1.7)
        elif "apology" in case.features:
            case.pace = rng.uniform(1.05, 1.25)
        else:
            case.pace = rng.uniform(0.3, 0.85)

    def _moves(self, case: Case) -> tuple[list[Move], int]:
        rng, p, f = self.rng, case.proc, case.features
        m: list[Move] = []

        def add(action, kind, value, state):
            m.append(Move(action, kind, value, state))

        if case.linked:
            add("linked", "abs", 0, S.RECEIVED)
        elif case.channel == Channel.ONLINE:
            add("create", "abs", 0, S.SUBMITTED)
            if "incomplete" in f:
                add("request_supplement_desk", "abs", rng.uniform(1, 7) * HOUR, S.SUPPLEMENT_REQUESTED)
                add("supplement", "abs", rng.uniform(0.5, 4) * DAY, S.SUBMITTED)
            add("accept", "abs", rng.uniform(0.3, 6) * HOUR, S.RECEIVED)
        else:
            add("create", "abs", 0, S.RECEIVED)
        receipt = len(m) - 1
        add("transfer", "rel", _budget(p.seq[0]), S.IN_PROCESSING)
        if "apology" in f:
            add("apologize", "rel", 0.05, S.IN_PROCESSING)
        sent_back = False
        for i, step in enumerate(p.processing):
            if "ack" in f:
                add("acknowledge", "rel", 0.05, S.IN_PROCESSING)
            if i == 0:
                if "assign" in f and step.role == Role.SPECIALIST:
                    add("assign", "rel", 0.05, S.IN_PROCESSING)
                if "consult" in f:
                    add("consult", "rel", 0.2, S.CONSULTING)
                    add("answer", "rel", 0.8, S.IN_PROCESSING)
                if "supplement" in f:
                    add("request_supplement", "rel", 0.2, S.SUPPLEMENT_REQUESTED)
                    add("supplement", "abs", rng.uniform(1, 3) * DAY, S.IN_PROCESSING)
                if "fee" in f:
                    add("request_fee", "rel", 0.2, S.AWAITING_FEE)
                    add("pay_fee", "abs", rng.uniform(0.5, 2) * DAY, S.IN_PROCESSING)
            if (
                "send_back" in f
                and not sent_back
                and step.role == Role.LEADER
                and i > 0
                and p.processing[i - 1].order > p.seq[0].order
            ):
                add("send_back", "rel", 0.2, S.IN_PROCESSING)
                add("forward", "rel", 0.5 * _budget(p.processing[i - 1]), S.IN_PROCESSING)
                sent_back = True
            if i < len(p.processing) - 1:
                add("forward", "rel", _budget(step), S.IN_PROCESSING)
        add("issue_rejected" if "reject" in f else "issue", "rel", _budget(p.processing[-1]), S.RESULT_ISSUED)
        add("deliver", "abs", rng.uniform(0.3, 4) * HOUR, S.AWAITING_RETURN)
        add("return", "abs", rng.uniform(1, 24) * HOUR, S.RETURNED)
        return m, receipt

    # -- time ---------------------------------------------------------------------------------
    def _times(self, case: Case, t0: int, bundle: bool) -> list[int]:
        """Working offsets of the case's moves when it starts at ``t0`` (the receipt clock and
        due date as the services compute them)."""
        out, t = [], t0
        due_span = None
        for mv in case.moves:
            if mv.kind == "abs":
                t += int(mv.value)
            else:
                if due_span is None:
                    due_span = self._due_span(out[case.receipt], case.proc.limit, bundle)
                t += max(int(case.pace * due_span * mv.value / case.rel_total), 2 * MINUTE)
            t = max(t, (out[-1] + MINUTE) if out else t)
            out.append(t)
        return out

    def _due_span(self, t_recv: int, limit: Decimal, bundle: bool) -> int:
        received = self.cal.from_offset(t_recv)
        due = self.cal.due_date(received, limit, cutoff=CUTOFF if bundle else None)
        return max(self.cal.to_offset(due) - t_recv, 30 * MINUTE)

    def _chain_times(self, case: Case, t0: int) -> int:
        """Times of the case and of its bundle members (each starting when the previous one's
        result is issued); returns the last offset."""
        bundle = bool(case.bundle_kind)
        case.times = self._times(case, t0, bundle)
        last = case.times[-1]
        prev = case
        for member in case.chain:
            issue = next(t for mv, t in zip(prev.moves, prev.times, strict=True) if mv.action == "issue")
            member.times = self._times(member, issue, True)
            last = max(last, member.times[-1])
            prev = member
        return last

    def _place(self, case: Case) -> None:
        """Choose when the case starts so that it reads like real work up to the demo's 'today'."""
        rng = self.rng
        last = self._chain_times(case, self.start)
        span = last - self.start
        tail = case.chain[-1] if case.chain else case
        target = tail.target
        received = tail.times[min(tail.receipt, len(tail.times) - 1)]
        due_span = self._due_span(received, tail.proc.limit, bool(case.bundle_kind))
        elapsed = tail.times[-1] - received
        if target in (S.SUBMITTED, S.RECEIVED):
            slack = rng.uniform(0.2, 6) * HOUR
        elif target in (S.IN_PROCESSING, S.CONSULTING) and tail.late:
            slack = rng.uniform(1.1, 1.6) * due_span - elapsed
        elif target in (S.IN_PROCESSING, S.CONSULTING):
            slack = rng.uniform(0, max(0.0, 0.9 * due_span - elapsed))
        elif target in (S.RESULT_ISSUED, S.AWAITING_RETURN, S.SUPPLEMENT_REQUESTED, S.AWAITING_FEE):
            slack = rng.uniform(0.2, 1.5) * DAY
        else:
            slack = rng.uniform(0, max(0.0, WINDOW_DAYS * DAY - span))
        slack = max(int(slack), 5 * MINUTE)
        t0 = self.end - slack - span
        last = self._chain_times(case, t0)
        if last > self.end:  # due dates moved a little with the new start: shift once more
            t0 -= last - self.end
            self._chain_times(case, t0)
        for c in [case, *case.chain]:
            n = len(c.times)
            c.times = [min(t, self.end - (n - i) * MINUTE) for i, t in enumerate(c.times)]

    def _plan_chain(self, head: Case) -> None:
        """Bundle members after the first: planned once the head's path is known."""
        if head.chain or not head.bundle_kind:
            return
        from .bundles import chain_for

        codes = chain_for(head.bundle_kind, head.choices)
        prev = head
        targets = head.member_targets
        for order, code in enumerate(codes[1:], start=1):
            if not any(m.action == "issue" for m in prev.moves) or order >= len(targets):
                break
            proc = self._linked_proc(head.desk, code, head)
            member = Case(head.index, head.desk, proc, targets[order], head.channel, set(), linked=True)
            member.return_channel = head.return_channel
            if self.rng.random() < 0.5:
                member.features.add("ack")
            self._plan(member)
            head.chain.append(member)
            prev = member

    def _linked_proc(self, desk: Desk, code: str, head: Case) -> Proc:
        key = (desk.pk, code, "linked")
        if key not in self.procs:
            intake = services.prepare_intake(
                user=self.desk_officer(desk),
                procedure_code=code,
                channel=Channel.COUNTER,
                applicant={"name": "Kiểm tra", "id_number": "056085012345"},
                desk_code=desk.code,
                now=self.cal.from_offset(self.start),
                linked=True,
            )
            v = intake.version
            seq = sorted((s for s in v.steps.all() if not s.parallel), key=lambda s: s.order)
            has_return = seq[-1].role == Role.DESK_OFFICER
            self.procs[key] = Proc(
                code=code,
                name=v.name,
                limit=v.time_limit_days,
                online=v.online_level != "none",
                agency=intake.agency,
                seq=seq,
                processing=seq[1:-1] if has_return else seq[1:],
                parallel=any(s.parallel for s in v.steps.all()),
                required=[c.code for c in v.components.all() if c.required],
                optional=[],
                fee=sum(f.amount for f in v.fees.all()),
            )
        return self.procs[key]

    # -- doing it -----------------------------------------------------------------------------
    def _drive(self, case: Case) -> None:
        for mv, t in zip(case.moves, case.times, strict=True):
            self._do(case, mv, self.cal.from_offset(t))
        if case.bundle_kind:
            members = {d.bundle_order: d for d in case.dossier.bundle.dossiers.all()}
            for order, member in enumerate(case.chain, start=2):
                member.dossier = members[order]
                for mv, t in zip(member.moves, member.times, strict=True):
                    self._do(member, mv, self.cal.from_offset(t))

    def _step(self, d: Dossier) -> Step | None:
        if d.current_step_id is None:
            return None
        return Step.objects.select_related("agency").get(pk=d.current_step_id)

    def _act(self, case: Case, action: str, now, user=None, by=None, reason="", data=None) -> None:
        case.dossier = services.act(case.dossier, action, user=user, by=by, reason=reason, data=data or {}, now=now)

    def _do(self, case: Case, mv: Move, now: dt.datetime) -> None:
        rng, d = self.rng, case.dossier
        a = mv.action
        if a == "linked":
            return
        if a == "create":
            self._create(case, now)
            return
        desk_user = self.desk_officer(case.desk)
        step = self._step(d)
        here = step.agency if step is not None else d.agency
        if a == "accept":
            self._act(case, "accept", now, user=desk_user)
        elif a == "request_supplement_desk":
            names = list(d.components.filter(required=True, provided=False).values_list("name", flat=True))
            items = [f"Bổ sung: {n}" for n in names]
            self._act(
                case, "request_supplement", now, user=desk_user, reason=ONLINE_SUPPLEMENT_REASON, data={"items": items}
            )
        elif a == "supplement":
            missing = case.requested or list(
                d.components.filter(provided=False, required=True).values_list("code", flat=True)
            )
            case.requested = []
            if case.channel == Channel.ONLINE and d.state == S.SUPPLEMENT_REQUESTED and d.resume_state == S.SUBMITTED:
                self._act(case, "supplement", now, by="applicant", data={"components": missing})
            else:
                self._act(case, "supplement", now, user=desk_user, data={"components": missing})
        elif a == "refuse":
            self._act(case, "refuse", now, user=desk_user, reason=rng.choice(REFUSE_REASONS))
        elif a == "refuse_expired":
            self._act(case, "refuse", now, by="system", reason=SYSTEM_REFUSE_REASON)
        elif a == "transfer":
            self._act(case, "transfer", now, user=desk_user)
        elif a == "acknowledge":
            if step is not None and step.acknowledged_at is None:
                self._act(case, "acknowledge", now, user=self.staff(here, _handler_role(step.role)))
        elif a == "assign":
            specialist = self.staff(here, Role.SPECIALIST)
            self._act(
                case, "assign", now, user=self.staff(here, Role.LEADER), data={"assignee": specialist.get_username()}
            )
        elif a == "forward":
            self._act(case, "forward", now, user=self.staff(here, _handler_role(step.role)))
        elif a == "send_back":
            self._act(case, "send_back", now, user=self.staff(here, Role.LEADER), reason=SEND_BACK_REASON)
        elif a == "consult":
            data = {}
            if not d.steps.filter(parallel=True, status=StepStatus.PENDING).exists():
                data = {"agencies": [self._consulted(d).code], "budget_days": 1}
            self._act(case, "consult", now, user=self.staff(here, _handler_role(step.role)), data=data)
        elif a == "answer":
            t = now
            while case.dossier.state == S.CONSULTING:
                open_step = (
                    Step.objects.filter(dossier=case.dossier, parallel=True, status=StepStatus.ACTIVE)
                    .select_related("agency")
                    .order_by("order", "id")
                    .first()
                )
                self._act(
                    case,
                    "answer_consultation",
                    t,
                    user=self.staff(open_step.agency, Role.SPECIALIST),
                    data={"step": open_step.pk, "opinion": rng.choice(OPINIONS)},
                )
                t += dt.timedelta(minutes=7)
        elif a == "request_supplement":
            codes = list(d.components.filter(required=True).values_list("code", flat=True))
            code = rng.choice(codes or list(d.components.values_list("code", flat=True)))
            case.requested = [code]
            self._act(
                case,
                "request_supplement",
                now,
                user=self.staff(here, _handler_role(step.role)),
                reason=rng.choice(SUPPLEMENT_REASONS),
                data={"missing": [code]},
            )
        elif a == "request_fee":
            amount = d.fee_amount if d.fee_status == FeeStatus.UNPAID else rng.choice([50_000, 120_000, 350_000])
            self._act(
                case, "request_fee", now, user=self.staff(here, _handler_role(step.role)), data={"amount": amount}
            )
        elif a == "pay_fee":
            receipt = f"DVC{now:%y%m%d}{rng.randrange(10**6):06d}"
            self._act(case, "pay_fee", now, by="system", data={"receipt": receipt})
        elif a == "apologize":
            due = d.due_at.astimezone(VN_TZ)
            extra = max(2, math.ceil((case.pace - 1) * float(case.proc.limit)) + 2)
            new_due = self.cal.add_working_days(due, extra).astimezone(VN_TZ)
            self._act(
                case,
                "apologize",
                now,
                user=self.staff(here, Role.LEADER),
                reason=rng.choice(APOLOGY_REASONS),
                data={"new_due": f"{new_due:%d/%m/%Y}"},
            )
        elif a in ("issue", "issue_rejected"):
            data = {"outcome": "approved", "result_number": f"{rng.randint(1, 2999)}/{now:%Y}/KQ"}
            reason = ""
            if a == "issue_rejected":
                data["outcome"], reason = "rejected", rng.choice(REJECT_REASONS)
            self._act(case, "issue_result", now, user=self.staff(here, Role.LEADER), reason=reason, data=data)
        elif a == "deliver":
            self._act(case, "deliver", now, user=self.staff(d.agency, Role.SPECIALIST))
        elif a == "return":
            data = {"channel": case.return_channel, "received_by": case.applicant.get("name", d.applicant_name)}
            if d.fee_status == FeeStatus.UNPAID:
                data["fee_collected"] = True
            if case.return_channel == "post":
                data["tracking_number"] = f"EB{rng.randint(10**8, 10**9 - 1)}VN"
            self._act(case, "return_result", now, user=desk_user, data=data)
        elif a == "withdraw":
            if case.channel == Channel.ONLINE and rng.random() < 0.5:
                self._act(case, "withdraw", now, by="applicant", reason=rng.choice(WITHDRAW_REASONS))
            else:
                self._act(case, "withdraw", now, user=desk_user, reason=rng.choice(WITHDRAW_REASONS))
        elif a == "stop":
            self._act(case, "stop", now, user=self.staff(d.agency, Role.LEADER), reason=rng.choice(STOP_REASONS))
        else:  # pragma: no cover - a typo in a plan
            raise RuntimeError(f"unknown demo move {a}")

    def _create(self, case: Case, now: dt.datetime) -> None:
        rng, p = self.rng, case.proc
        online = case.channel == Channel.ONLINE
        components = list(p.required)
        if not case.bundle_kind:
            # create_bundle checks the one component list against every member's procedure, so a
            # bundle's e-form carries only the first procedure's required components.
            components += [c for c in p.optional if rng.random() < 0.4]
        if "incomplete" in case.features and len(p.required) > 0:
            drop = rng.choice(p.required)
            components = [c for c in components if c != drop]
        key = f"{DEMO_KEY}{case.index:04d}"
        args = {
            "channel": case.channel,
            "applicant": case.applicant,
            "owner": case.owner,
            "components": components,
            "return_channel": case.return_channel,
            "return_address": case.applicant["address"] if case.return_channel == ReturnChannel.POST else "",
            "now": now,
            "idempotency_key": key,
        }
        if case.channel == Channel.POSTAL_SERVICE:
            user = self.staff(case.desk.agency, Role.POSTAL_STAFF, case.desk)
        else:
            user = None if online else self.desk_officer(case.desk)
        if case.bundle_kind:
            bundle, _ = services.create_bundle(
                case.bundle_kind, user=user, choices=case.choices, desk_code=case.desk.code, **args
            )
            case.dossier = bundle.dossiers.get(bundle_order=1)
            self.bundles += 1
        else:
            if online:
                args["agency_code"] = p.agency.code
            else:
                args["desk_code"] = case.desk.code
            case.dossier, _ = services.create_dossier(
                user=user, procedure_code=p.code, fee_paid=not online and rng.random() < 0.9, **args
            )
        self.created += 1

    def _consulted(self, d: Dossier) -> Agency:
        """An agency to ask for an opinion when the process has no consultation step."""
        agency = d.agency
        kinds = [AgencyKind.POLICE] if agency.kind != AgencyKind.POLICE else [AgencyKind.COMMUNE_PC]
        kinds += [AgencyKind.PROVINCIAL_DEPARTMENT]
        for kind in kinds:
            unit = agency.unit
            while unit is not None:
                found = Agency.objects.active_on().filter(kind=kind, unit=unit).exclude(pk=agency.pk).order_by("code")
                if found.exists():
                    return found.first()
                unit = unit.parent
        return Agency.objects.active_on().exclude(pk=agency.pk).order_by("code").first()

    # -- people -------------------------------------------------------------------------------
    def _person(self, desk: Desk, child=False, elderly=False, family: str | None = None) -> dict:
        rng = self.rng
        if not child and not elderly and family is None:
            found = self._resident(desk)
            if found is not None:
                return found
        female = rng.random() < 0.52
        family = family or _weighted(rng, FAMILY)
        name = f"{family} {rng.choice(MIDDLE_F if female else MIDDLE_M)} {rng.choice(GIVEN_F if female else GIVEN_M)}"
        this_year = self.as_of.astimezone(VN_TZ).year
        if child:
            year = this_year
        elif elderly:
            year = rng.randint(1932, 1960)
        else:
            year = rng.randint(1955, min(2006, this_year - 18))
        code = HOME_BIRTH_CODE if rng.random() < 0.6 else rng.choice(sorted(PROVINCE_BIRTH_CODES))
        century = (year - 1900) // 100 * 2 + (1 if female else 0)
        id_number = f"{code}{century}{year % 100:02d}{rng.randrange(10**6):06d}"
        phone = f"{rng.choice(MOBILE_PREFIXES)}{rng.randrange(10**7):07d}"
        person = {"name": name, "id_number": id_number, "phone": phone, "address": self._address(desk)}
        if not child and not elderly and rng.random() < 0.35:
            person["email"] = f"{fold(name).split()[-1]}.{fold(family).replace(' ', '')}{rng.randint(1, 999)}@gmail.com"
        if child or elderly:
            return {k: v for k, v in person.items() if k in ("name", "id_number", "address")}
        return person

    def _resident(self, desk: Desk) -> dict | None:
        """An adult of the simulated National Population DB, so the demo's applicants verify."""
        from simulators.population.people import DEFAULT_SIZE, person

        this_year = self.as_of.astimezone(VN_TZ).year
        for _ in range(40):
            r = person(self.rng.randrange(DEFAULT_SIZE))
            age = this_year - int(r["date_of_birth"][:4])
            if r["status"] == "alive" and 18 <= age <= 75 and len(r["id_number"]) == 12:
                phone = f"{self.rng.choice(MOBILE_PREFIXES)}{self.rng.randrange(10**7):07d}"
                address = (r.get("current_residence") or r["permanent_residence"])["address"]
                return {"name": r["full_name"], "id_number": r["id_number"], "phone": phone, "address": address}
        return None

    def _address(self, desk: Desk) -> str:
        rng = self.rng
        unit = desk.agency.unit
        if unit.level.code != "commune":
            pool = [u for u in self.communes if desk.kind == DeskKind.PROVINCIAL_CENTER or u.parent_id == unit.pk]
            unit = rng.choice(pool or self.communes)
        parts = []
        if unit.name.startswith(("Phường", "Thị trấn")):
            parts.append(f"Số {rng.randint(1, 250)} đường {rng.choice(STREETS)}")
            parts.append(f"Tổ dân phố {rng.randint(1, 12)}")
        else:
            parts.append(f"Thôn {rng.randint(1, 9)}" if rng.random() < 0.8 else f"Buôn {rng.randint(1, 5)}")
        parts.append(unit.name)
        if unit.parent is not None and unit.parent.level.code == "district":
            parts.append(unit.parent.name)
        parts.append("tỉnh An Hòa")
        return ", ".join(parts)


DEMO_CITIZEN = {
    "name": "Nguyễn Văn An",
    "id_number": "001085012345",
    "phone": "0912345678",
    "address": "Số 12, thôn 3, xã Tân Lập, tỉnh An Hòa",
}


def _budget(step) -> float:
    return max(float(step.budget_days), 0.1)


def _handler_role(role: str) -> str:
    return role if role in (Role.SPECIALIST, Role.LEADER, Role.CLERK) else Role.SPECIALIST


def _weighted(rng: random.Random, pairs):
    total = sum(w for _, w in pairs)
    x = rng.uniform(0, total)
    for value, weight in pairs:
        x -= weight
        if x <= 0:
            return value
    return pairs[-1][0]


def _slug(agency: Agency) -> str:
    unit = agency.unit
    if agency.kind == AgencyKind.COMMUNE_PC:
        return f"xa{unit.code}"
    if agency.kind == AgencyKind.DISTRICT_PC:
        return f"huyen{unit.code}"
    if agency.kind == AgencyKind.PROVINCE_PC:
        return "ubndtinh"
    if agency.kind == AgencyKind.POLICE and unit.parent_id is not None:
        return f"ca{unit.code}"
    if agency.short_name:
        return fold(agency.short_name).replace(" ", "")
    return agency.code.lower().replace(".", "")


def _title(agency: Agency, role: str) -> str:
    if role == Role.DESK_OFFICER:
        return "Công chức một cửa" if agency.kind == AgencyKind.COMMUNE_PC else "Cán bộ tiếp nhận"
    if role == Role.POSTAL_STAFF:
        return "Nhân viên bưu chính công ích"
    if role == Role.CLERK:
        return "Văn thư"
    if role == Role.SPECIALIST:
        return "Công chức" if agency.kind == AgencyKind.COMMUNE_PC else "Chuyên viên"
    return {
        AgencyKind.COMMUNE_PC: "Phó Chủ tịch UBND",
        AgencyKind.DISTRICT_PC: "Phó Chủ tịch UBND",
        AgencyKind.PROVINCE_PC: "Phó Chánh Văn phòng",
        AgencyKind.PROVINCIAL_DEPARTMENT: "Phó Giám đốc Sở",
        AgencyKind.POLICE: "Phó Trưởng Công an" if agency.unit.parent_id else "Phó Trưởng phòng",
        AgencyKind.SOCIAL_INSURANCE: "Phó Giám đốc",
        AgencyKind.TAX: "Phó Trưởng phòng",
        AgencyKind.ELECTRICITY: "Phó Giám đốc",
    }.get(agency.kind, "Lãnh đạo")
