"""The seeds' targets (SPEC §3) as data, and target vs actual for a period and agencies.

``TARGETS`` holds one ``Target`` per figure the seeds set (an indicator with two figures, e.g. the
online share at 50% and 60% in Project 06 plans, is two targets). A value may depend on the year
(milestones: the latest milestone at or before the year applies; before the first one, the first)
and on the administrative level (``province`` / ``district`` / ``commune``; productivity also has
``remote``, the remote and especially difficult areas — vùng sâu, vùng xa).

``actuals(start, end, agency_ids)`` measures every indicator (one documented function each, in
``MEASURES``) and returns one row per target — per level where the target depends on it — with the
target for the year the period ends in, the actual, ``met`` (None when either is missing), the counts
behind, where the figure comes from (``source``, Vietnamese) and, when there is no actual, why
(``note``). Percentages are 0–100. Aggregates only (``kpis.Scope``: flow rollups and one SQL
aggregate per other source).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from django.db.models import Avg, Count, Exists, OuterRef, Q

from . import kpis
from .kpis import RECEIVED, Scope, Share

Value = float | Mapping[str, float]

LEVEL_LABELS = {
    "province": "Cấp tỉnh",
    "district": "Cấp huyện",
    "commune": "Cấp xã",
    "remote": "Vùng sâu, vùng xa",
}
PERCENT = "%"
DAYS_PER_YEAR = 365


@dataclass(frozen=True)
class Target:
    code: str
    label_vi: str
    unit: str
    value: Value | None = None  # one value (or one per level) for every year
    by_year: Mapping[int, Value] = field(default_factory=dict)  # milestones: year → value (or per level)
    at_most: bool = False  # the actual must not exceed the target (times); otherwise reach it
    source: str = ""  # the seeds' words (Vietnamese)

    def value_for(self, year: int, level: str | None = None) -> float | None:
        """The target in ``year`` at ``level`` (None when the seeds set none for that level)."""
        milestones = sorted(self.by_year.items()) if self.by_year else [(None, self.value)]
        found = []
        for y, v in milestones:
            if isinstance(v, Mapping):
                v = v.get(level) if level else None
            if v is not None:
                found.append((y, v))
        if not found:
            return None
        reached = [v for y, v in found if y is None or y <= year]
        return reached[-1] if reached else found[0][1]

    def met(self, actual: float | None, target: float | None) -> bool | None:
        if actual is None or target is None:
            return None
        return actual <= target if self.at_most else actual >= target


QD974 = "QĐ 974/QĐ-UBND tỉnh Vĩnh Long (29/4/2021, kế hoạch thực hiện QĐ 468/QĐ-TTg)"
QD258 = "QĐ 258/QĐ-UBND tỉnh Gia Lai (29/4/2021, kế hoạch thực hiện QĐ 468/QĐ-TTg)"
KH964 = "KH 964/KH-UBND tỉnh Hà Nam (19/5/2023), Phụ lục I – chỉ tiêu năm 2023"
DA06 = "Kế hoạch thực hiện Đề án 06 tỉnh Bắc Giang (2023)"

TARGETS: tuple[Target, ...] = (
    Target(
        "online_share",
        "Tỷ lệ hồ sơ nộp trực tuyến trên tổng số hồ sơ tiếp nhận",
        PERCENT,
        by_year={2023: 50},
        source=f"{QD974}, giai đoạn 2023–2025: tối thiểu 50% so với tổng số hồ sơ tiếp nhận; {KH964}: 50%.",
    ),
    Target(
        "online_share_p06",
        "Tỷ lệ hồ sơ giải quyết trực tuyến (mục tiêu Đề án 06)",
        PERCENT,
        value=60,
        source=f"{DA06}: tỷ lệ hồ sơ TTHC giải quyết trực tuyến đạt trên 60%.",
    ),
    Target(
        "online_services_used",
        "Tỷ lệ dịch vụ công trực tuyến toàn trình và một phần có phát sinh hồ sơ trực tuyến",
        PERCENT,
        value=90,
        source=f"{DA06}: tỷ lệ dịch vụ công trực tuyến toàn trình và một phần phát sinh hồ sơ đạt trên 90%.",
    ),
    Target(
        "essential_services_used",
        "Tỷ lệ dịch vụ công thiết yếu (25 dịch vụ theo Đề án 06) có phát sinh hồ sơ trực tuyến",
        PERCENT,
        value=100,
        source=f"{DA06}: riêng 25 dịch vụ công thiết yếu theo Đề án 06 yêu cầu 100% có phát sinh hồ sơ.",
    ),
    Target(
        "electronic_transfer",
        "Tỷ lệ hồ sơ được luân chuyển giữa các cơ quan bằng phương thức điện tử",
        PERCENT,
        by_year={2023: 80},
        source=f"{QD974} và {QD258}: tối thiểu từ 80% trở lên hồ sơ giải quyết TTHC được luân chuyển "
        "giữa các cơ quan có thẩm quyền bằng phương thức điện tử.",
    ),
    Target(
        "results_synced",
        "Tỷ lệ kết quả xử lý hồ sơ được đồng bộ đầy đủ lên Cổng Dịch vụ công quốc gia",
        PERCENT,
        value=100,
        source=f"{KH964}, mục II.3: 100% kết quả xử lý hồ sơ TTHC được đồng bộ đầy đủ trên Cổng DVC quốc gia.",
    ),
    Target(
        "on_time",
        "Tỷ lệ hồ sơ giải quyết trước và đúng hạn",
        PERCENT,
        value=99,
        source=f"{KH964}, mục IV: 99% hồ sơ được giải quyết trước hạn và đúng hạn.",
    ),
    Target(
        "results_digitized",
        "Tỷ lệ kết quả giải quyết TTHC còn hiệu lực được số hóa",
        PERCENT,
        by_year={
            2021: {"province": 30, "district": 20, "commune": 15},
            2022: {"province": 50, "district": 40, "commune": 35},
            2023: {"province": 70, "district": 60, "commune": 55},
            2024: {"province": 90, "district": 80, "commune": 75},
            2025: {"province": 100, "district": 100, "commune": 95},
            2026: {"province": 100, "district": 100, "commune": 100},
        },
        source=f"{QD974}: năm 2021 tối thiểu 30%, 20%, 15% (cấp tỉnh, huyện, xã), mỗi năm tăng thêm 20% "
        f"cho đến khi đạt 100%; {KH964}, mục V: cấp tỉnh 70%, cấp huyện 60%, cấp xã 55%.",
    ),
    Target(
        "intake_digitized",
        "Tỷ lệ hồ sơ được số hóa thành phần hồ sơ khi tiếp nhận",
        PERCENT,
        by_year={
            2021: {"province": 100},
            2022: {"province": 100, "district": 50, "commune": 30},
            2023: {"province": 100, "district": 80, "commune": 60},
            2024: {"province": 100, "district": 100, "commune": 90},
            2025: {"province": 100, "district": 100, "commune": 100},
        },
        source=f"{QD974}: số hóa hồ sơ, giấy tờ đạt 100% tại Trung tâm Phục vụ hành chính công tỉnh (2021); "
        "50% Bộ phận Một cửa cấp huyện và 30% cấp xã (2022); tăng mỗi năm tối thiểu 30% cho đến khi đạt 100%.",
    ),
    Target(
        "reuse",
        "Tỷ lệ người dân, doanh nghiệp không phải cung cấp lại giấy tờ đã được chấp nhận",
        PERCENT,
        by_year={2022: 30, 2025: 80},
        source=f"{QD974}: tối thiểu 30% (năm 2022); 80% (giai đoạn 2023–2025) người dân, doanh nghiệp khi thực "
        "hiện TTHC không phải cung cấp lại thông tin, giấy tờ, tài liệu đã được chấp nhận.",
    ),
    Target(
        "online_payment_transactions",
        "Tỷ lệ giao dịch thanh toán trực tuyến trên tổng số giao dịch thanh toán phí, lệ phí",
        PERCENT,
        value=30,
        source=f"{KH964}, mục III: tỷ lệ thanh toán trực tuyến trên tổng số giao dịch thanh toán của DVC: 30%.",
    ),
    Target(
        "online_payment_dossiers",
        "Tỷ lệ hồ sơ có nghĩa vụ tài chính được thanh toán trực tuyến",
        PERCENT,
        value=60,
        source=f"{KH964}, mục III: tỷ lệ TTHC có yêu cầu nghĩa vụ tài chính được thanh toán trực tuyến: 60%.",
    ),
    Target(
        "online_payment_procedures",
        "Tỷ lệ TTHC có thu phí, lệ phí được triển khai thanh toán trực tuyến",
        PERCENT,
        value=100,
        source=f"{KH964}, mục III: 100% TTHC có yêu cầu nghĩa vụ tài chính được triển khai thanh toán trực tuyến.",
    ),
    Target(
        "satisfaction",
        "Mức độ hài lòng của người dân, doanh nghiệp",
        PERCENT,
        by_year={2025: 95},
        source=f"{QD974} và {QD258}: mức độ hài lòng đạt tối thiểu 95% vào năm 2025.",
    ),
    Target(
        "wait_minutes",
        "Thời gian chờ trung bình tại Bộ phận Một cửa (mỗi lượt giao dịch)",
        "phút",
        by_year={2022: 30, 2025: 15},
        at_most=True,
        source=f"{QD974}: tối đa 30 phút/01 lần đến giao dịch (2022); tối đa 15 phút/01 lượt giao dịch (2025).",
    ),
    Target(
        "intake_minutes",
        "Thời gian tiếp nhận trung bình một hồ sơ",
        "phút",
        by_year={2025: 30},
        at_most=True,
        source=f"{QD974} và {QD258}: thời gian tiếp nhận, xử lý hồ sơ tối đa 30 phút/01 hồ sơ (2025).",
    ),
    Target(
        "productivity",
        "Năng suất tiếp nhận hồ sơ trung bình của 01 cán bộ một cửa trong 01 năm",
        "hồ sơ/người/năm",
        value={"province": 1600, "district": 1200, "remote": 800},
        source=f"{QD974}: tối thiểu cấp tỉnh 1.600 hồ sơ; cấp huyện 1.200 hồ sơ; vùng sâu, xa, đặc biệt khó "
        f"khăn 800 hồ sơ; {QD258}: 1.600 hồ sơ (800 hồ sơ ở vùng sâu, vùng xa). Cấp xã ngoài vùng sâu, "
        "vùng xa không có chỉ tiêu riêng.",
    ),
)
BY_CODE = {t.code: t for t in TARGETS}


# ------------------------------------------------------------------------------------------------
# Measures: one function per indicator → Measured rows (per level where the target depends on it)
# ------------------------------------------------------------------------------------------------
@dataclass
class Measured:
    actual: float | None
    source: str
    part: float | None = None
    whole: float | None = None
    level: str | None = None
    note: str = ""


def _percent(share: Share, source: str, empty_note: str, level: str | None = None) -> Measured:
    rate = share.rate
    return Measured(
        actual=None if rate is None else 100 * rate,
        source=source,
        part=share.part,
        whole=share.whole,
        level=level,
        note="" if rate is not None else empty_note,
    )


NO_RECEIVED = "Không có hồ sơ tiếp nhận trong kỳ."
FLOWS = "Bảng tổng hợp luồng hồ sơ theo ngày/tháng"


def online_share(scope: Scope) -> list[Measured]:
    """Dossiers received online / dossiers received (online, direct, post) in the period (rollups)."""
    share = kpis.pooled(scope.flow_share(("received_online",), RECEIVED), Share())
    return [_percent(share, f"{FLOWS}: hồ sơ tiếp nhận trực tuyến / tổng số hồ sơ tiếp nhận mới.", NO_RECEIVED)]


def scope_versions(scope: Scope) -> set[int]:
    """Versions in force of the scope: the whole catalog, or those its agencies are competent for."""
    if scope.agency_ids is None:
        return set(scope.versions)
    return set().union(*scope.competence.values()) if scope.competence else set()


def _services_used(scope: Scope, *, essential: bool) -> Measured:
    """Procedures offered online (full or partial; essential ones only if asked) of the scope with
    at least one dossier received online in the period / procedures offered online of the scope."""
    offered = {
        scope.versions[v]["procedure_id"]
        for v in scope_versions(scope)
        if scope.versions[v]["online_level"] in kpis.ONLINE_LEVELS and (not essential or scope.versions[v]["essential"])
    }
    used = {p for (_, p), c in scope.flows.items() if c["received_online"] and p in offered}
    what = "dịch vụ công thiết yếu" if essential else "dịch vụ công trực tuyến toàn trình và một phần"
    return _percent(
        Share(len(used), len(offered)),
        f"Danh mục TTHC còn hiệu lực và {FLOWS}: {what} có ít nhất 01 hồ sơ trực tuyến trong kỳ / tổng số {what}.",
        "Không có thủ tục nào được cung cấp trực tuyến trong phạm vi báo cáo.",
    )


def online_services_used(scope: Scope) -> list[Measured]:
    return [_services_used(scope, essential=False)]


def essential_services_used(scope: Scope) -> list[Measured]:
    return [_services_used(scope, essential=True)]


def _intake_share(rows) -> Share:
    return kpis.pooled({r.agency_id: Share(r.digitized_at_intake, r.received) for r in rows}, Share())


def electronic_transfer(scope: Scope) -> list[Measured]:
    """Dossiers received in the period whose file was electronic when it left the desk / dossiers
    received. Hand-overs between agencies always happen in MotCua (transfer events), so a dossier
    travels electronically exactly when its file is electronic: an online dossier (uploaded files)
    or a counter/post dossier whose every paper was scanned at intake — the intake measure of
    ``documents.kpis.digitization_rates``, which counts a dossier with nothing left on paper as
    digitized. Hence the same counts as ``intake_digitized``, over all levels."""
    share = _intake_share(scope.memo(kpis.digitization_rows))
    return [
        _percent(
            share,
            "Kho dữ liệu hồ sơ: hồ sơ trực tuyến và hồ sơ giấy đã được số hóa đầy đủ khi tiếp nhận (luân chuyển "
            "trên hệ thống) / tổng số hồ sơ tiếp nhận trong kỳ.",
            NO_RECEIVED,
        )
    ]


def results_synced(scope: Scope) -> list[Measured]:
    """Dossiers whose result was issued in the period (``finished_at``) with every national-portal
    message delivered (at least one) / dossiers whose result was issued — the rule of
    ``integration.outbox.synced_share_by_agency`` limited to the period's results. One aggregate."""
    from motcua.dossiers.models import Dossier
    from motcua.integration.models import NATIONAL_PORTAL, MessageStatus, OutboxMessage

    messages = OutboxMessage.objects.filter(dossier=OuterRef("pk"), receiver=NATIONAL_PORTAL)
    counts = (
        scope.only_agencies(Dossier.objects.filter(finished_at__gte=scope.lo, finished_at__lt=scope.hi))
        .annotate(sent=Exists(messages), pending=Exists(messages.exclude(status=MessageStatus.DELIVERED)))
        .aggregate(results=Count("pk"), synced=Count("pk", filter=Q(sent=True, pending=False)))
    )
    return [
        _percent(
            Share(counts["synced"], counts["results"]),
            "Hộp thư gửi đi (outbox): hồ sơ có kết quả trong kỳ đã gửi thành công mọi thông điệp lên Cổng DVC "
            "quốc gia / hồ sơ có kết quả trong kỳ.",
            "Không có hồ sơ nào có kết quả giải quyết trong kỳ.",
        )
    ]


def on_time(scope: Scope) -> list[Measured]:
    """Dossiers resolved early or on time / dossiers resolved in the period (rollups)."""
    share = kpis.pooled(kpis.progress_shares(scope), Share())
    return [
        _percent(
            share,
            f"{FLOWS}: hồ sơ giải quyết trước hạn và đúng hạn / tổng số hồ sơ đã giải quyết.",
            "Không có hồ sơ nào được giải quyết trong kỳ.",
        )
    ]


def _by_level(rows, share_of, source: str, empty_note: str) -> list[Measured]:
    shares: dict[str, Share] = defaultdict(Share)
    for r in rows:
        shares[r.level] = shares[r.level] + share_of(r)
    if not shares:
        return [Measured(None, source, note=empty_note)]
    return [_percent(shares[level], source, empty_note, level=level) for level in sorted(shares, key=_level_order)]


def _level_order(level: str | None) -> int:
    order = list(LEVEL_LABELS)
    return order.index(level) if level in order else len(order)


def results_digitized(scope: Scope) -> list[Measured]:
    """Per administrative level of the handling agency: approved results issued in the period with a
    signed, still valid e-result in the store / approved results (``digitization_rates``)."""
    return _by_level(
        scope.memo(kpis.digitization_rows),
        lambda r: Share(r.results_signed, r.results_issued),
        "Kho dữ liệu hồ sơ: kết quả được cấp trong kỳ có bản điện tử đã ký số, còn hiệu lực / tổng số kết quả "
        "được cấp (giải quyết).",
        "Không có kết quả giải quyết nào được cấp trong kỳ.",
    )


def intake_digitized(scope: Scope) -> list[Measured]:
    """Per administrative level of the handling agency: dossiers received in the period whose every
    paper was digitized within one working day of receipt / dossiers received (``digitization_rates``;
    online dossiers, with nothing on paper, count as digitized)."""
    return _by_level(
        scope.memo(kpis.digitization_rows),
        lambda r: Share(r.digitized_at_intake, r.received),
        "Kho dữ liệu hồ sơ: hồ sơ có mọi thành phần giấy được số hóa khi tiếp nhận / tổng số hồ sơ tiếp nhận.",
        NO_RECEIVED,
    )


def reuse(scope: Scope) -> list[Measured]:
    """Dossiers submitted in the period for which the state held papers and none was asked again /
    dossiers for which it held papers (``wallet.kpis.reuse_rates``)."""
    from motcua.wallet.kpis import reuse_rates

    [row] = reuse_rates(scope.start, scope.end, agencies=scope.agency_ids)
    return [
        _percent(
            Share(row["resubmitted_nothing"], row["with_held"]),
            "Kho dữ liệu điện tử: hồ sơ không phải nộp lại giấy tờ đã có (tái sử dụng được chấp nhận toàn bộ) / "
            "hồ sơ có giấy tờ, dữ liệu đã được cơ quan nhà nước quản lý.",
            "Không có hồ sơ nào có giấy tờ, dữ liệu có thể tái sử dụng trong kỳ.",
        )
    ]


def _fees(scope: Scope) -> dict[str, int]:
    totals = {"with_fees": 0, "paid": 0, "paid_online": 0}
    for r in scope.memo(kpis.fee_dossiers).values():
        for k in totals:
            totals[k] += r[k]
    return totals


def online_payment_transactions(scope: Scope) -> list[Measured]:
    """Dossiers submitted in the period whose fees were paid online / dossiers whose fees were paid
    (online or at the desk) — one payment per dossier (``kpis.fee_dossiers``)."""
    f = _fees(scope)
    return [
        _percent(
            Share(f["paid_online"], f["paid"]),
            "Hồ sơ và giao dịch thanh toán: hồ sơ nộp phí, lệ phí qua Nền tảng thanh toán trực tuyến / hồ sơ đã "
            "nộp phí, lệ phí (trực tuyến hoặc tại bộ phận một cửa).",
            "Không có giao dịch nộp phí, lệ phí nào trong kỳ.",
        )
    ]


def online_payment_dossiers(scope: Scope) -> list[Measured]:
    """Dossiers submitted in the period with fees paid online / dossiers with fees (paid or due)."""
    f = _fees(scope)
    return [
        _percent(
            Share(f["paid_online"], f["with_fees"]),
            "Hồ sơ và giao dịch thanh toán: hồ sơ có phí, lệ phí đã thanh toán trực tuyến / hồ sơ có phí, lệ phí "
            "(đã nộp hoặc còn phải nộp).",
            "Không có hồ sơ nào có phí, lệ phí trong kỳ.",
        )
    ]


def online_payment_procedures(scope: Scope) -> list[Measured]:
    """Fee-bearing procedures in force of the scope (a fee or charge above 0) offered online (full or
    partial: the citizen pays within the online service through the payment platform) / fee-bearing
    procedures in force. MotCua's gateway accepts any dossier with fees due, but a procedure only
    offered at the counter has no online payment step."""
    fee_bearing = [scope.versions[v] for v in scope_versions(scope) if scope.versions[v]["fee_bearing"]]
    payable = [v for v in fee_bearing if v["online_level"] in kpis.ONLINE_LEVELS]
    return [
        _percent(
            Share(len(payable), len(fee_bearing)),
            "Danh mục TTHC còn hiệu lực: thủ tục có thu phí, lệ phí được cung cấp trực tuyến (thanh toán qua "
            "Nền tảng thanh toán) / thủ tục có thu phí, lệ phí.",
            "Không có thủ tục nào có thu phí, lệ phí trong phạm vi báo cáo.",
        )
    ]


def satisfaction(scope: Scope) -> list[Measured]:
    """Ratings "very satisfied" or "satisfied" / ratings made in the period (``satisfaction_rate``)."""
    share = kpis.pooled(kpis.satisfaction_shares(scope), Share())
    return [
        _percent(
            share,
            "Đánh giá của người dân, doanh nghiệp: số đánh giá rất hài lòng và hài lòng / tổng số đánh giá trong kỳ.",
            "Chưa có đánh giá nào trong kỳ.",
        )
    ]


def scope_desks(scope: Scope):
    """The one-stop desks of the scope: owned by, or receiving for, one of its agencies."""
    from motcua.org.models import Desk

    if scope.agency_ids is None:
        return Desk.objects.values("pk")
    return Desk.objects.filter(Q(agency_id__in=scope.agency_ids) | Q(served_agencies__in=scope.agency_ids)).values("pk")


def _tickets(scope: Scope) -> dict:
    from motcua.engagement.models import Ticket

    return Ticket.objects.filter(day__range=(scope.start, scope.end), desk__in=scope_desks(scope)).aggregate(
        wait=Avg("wait_seconds"),
        waits=Count("wait_seconds"),
        intake=Avg("intake_seconds"),
        intakes=Count("intake_seconds"),
    )


def _minutes(seconds, count: int, source: str, note: str) -> Measured:
    if not count:
        return Measured(None, source, note=note)
    return Measured(float(seconds) / 60, source, whole=count)


def wait_minutes(scope: Scope) -> list[Measured]:
    """Mean wait of the period's queue tickets from entering the queue to being called (minutes)."""
    t = scope.memo(_tickets)
    return [
        _minutes(
            t["wait"],
            t["waits"],
            "Hệ thống xếp hàng: thời gian chờ trung bình từ khi lấy số (hoặc được chuyển quầy) đến khi được gọi.",
            "Không có lượt gọi số nào tại bộ phận một cửa trong kỳ.",
        )
    ]


def intake_minutes(scope: Scope) -> list[Measured]:
    """Mean time from calling the number to the dossier's receipt, over tickets that led to one."""
    t = scope.memo(_tickets)
    return [
        _minutes(
            t["intake"],
            t["intakes"],
            "Hệ thống xếp hàng: thời gian trung bình từ khi gọi số đến khi tiếp nhận xong hồ sơ.",
            "Không có hồ sơ nào được tiếp nhận qua hệ thống xếp hàng trong kỳ.",
        )
    ]


def tier(level: str, remote: bool) -> str:
    """The productivity tier of a unit: its level, or ``remote`` in remote and difficult areas."""
    return "remote" if remote else level


def productivity(scope: Scope) -> list[Measured]:
    """Per tier (level of the handling agency, or remote area): dossiers received (rollups) ×
    365 / days of the period / desk officers — distinct staff with an active ``desk_officer``
    membership at a desk of the scope (owned by or receiving for its agencies), the desk's tier
    being its owner agency's. Dossiers count where they are handled, officers where they sit: a
    provincial centre receiving for the departments matches them by tier."""
    from motcua.org.models import Agency, StaffMembership
    from motcua.org.roles import Role

    received: dict[int, int] = defaultdict(int)
    for (agency, _), c in scope.flows.items():
        received[agency] += sum(c[k] for k in RECEIVED)
    per_tier: dict[str, int] = defaultdict(int)
    for pk, level, remote in Agency.objects.filter(pk__in=list(received)).values_list(
        "pk", "unit__level__code", "unit__remote_area"
    ):
        per_tier[tier(level, remote)] += received[pk]
    officers: dict[str, set[int]] = defaultdict(set)
    for user, level, remote in (
        StaffMembership.objects.filter(active=True, role=Role.DESK_OFFICER, desk__in=scope_desks(scope))
        .values_list("user_id", "desk__agency__unit__level__code", "desk__agency__unit__remote_area")
        .distinct()
    ):
        officers[tier(level, remote)].add(user)
    source = (
        f"{FLOWS} và phân công cán bộ: số hồ sơ tiếp nhận trong kỳ quy ra 01 năm / số cán bộ một cửa đang làm "
        "việc tại bộ phận một cửa."
    )
    out = []
    for t in sorted(per_tier.keys() | officers.keys(), key=_level_order):
        n, staff = per_tier.get(t, 0), len(officers.get(t, ()))
        if not staff:
            out.append(Measured(None, source, part=n, level=t, note="Không có cán bộ một cửa đang làm việc."))
            continue
        out.append(Measured(n * DAYS_PER_YEAR / scope.days / staff, source, part=n, whole=staff, level=t))
    return out or [Measured(None, source, note=NO_RECEIVED)]


# Which measure gives each target's actual (two targets may share one).
MEASURES: dict[str, Callable[[Scope], list[Measured]]] = {
    "online_share": online_share,
    "online_share_p06": online_share,
    "online_services_used": online_services_used,
    "essential_services_used": essential_services_used,
    "electronic_transfer": electronic_transfer,
    "results_synced": results_synced,
    "on_time": on_time,
    "results_digitized": results_digitized,
    "intake_digitized": intake_digitized,
    "reuse": reuse,
    "online_payment_transactions": online_payment_transactions,
    "online_payment_dossiers": online_payment_dossiers,
    "online_payment_procedures": online_payment_procedures,
    "satisfaction": satisfaction,
    "wait_minutes": wait_minutes,
    "intake_minutes": intake_minutes,
    "productivity": productivity,
}
assert set(MEASURES) == set(BY_CODE)


def actuals(start: dt.date, end: dt.date, agency_ids=None) -> list[dict]:
    """Target vs actual of every target for ``start``..``end`` at ``agency_ids`` (None: the
    province), in ``TARGETS`` order; targets by level give one row per level with data."""
    scope = Scope(start, end, agency_ids)
    measured: dict = {}
    out = []
    for target in TARGETS:
        fn = MEASURES[target.code]
        if fn not in measured:
            measured[fn] = fn(scope)
        for m in measured[fn]:
            value = target.value_for(end.year, m.level)
            note = m.note
            if not note and value is None:
                note = "Các văn bản không đặt chỉ tiêu cho cấp này."
            out.append(
                {
                    "code": target.code,
                    "label": target.label_vi,
                    "unit": target.unit,
                    "level": m.level,
                    "level_label": LEVEL_LABELS.get(m.level, m.level or ""),
                    "target": value,
                    "at_most": target.at_most,
                    "actual": kpis.rounded(m.actual),
                    "met": target.met(m.actual, value),
                    "part": m.part,
                    "whole": m.whole,
                    "source": m.source,
                    "target_source": target.source,
                    "note": note,
                }
            )
    return out
