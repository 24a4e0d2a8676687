"""Load the demo province (organization, staff, procedure catalog, demo dossiers). Idempotent."""

from pathlib import Path

from django.core.management.base import BaseCommand
from django.db import transaction

from motcua.accounts.services import provision_demo_totp
from motcua.catalog.interchange import parse_json
from motcua.catalog.services import publish_all
from motcua.org.demo import DEMO_PASSWORD, load_org

FIXTURE = Path(__file__).resolve().parents[3] / "catalog" / "fixtures" / "demo_procedures.json"


class Command(BaseCommand):
    help = (
        "Nạp dữ liệu tỉnh mẫu (An Hòa): tổ chức, cán bộ, danh mục thủ tục và hồ sơ mẫu. Chạy lại nhiều lần vẫn an toàn."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--two-level", action="store_true", help="Áp dụng mô hình chính quyền 2 cấp từ 01/07/2025 (tỉnh → xã)."
        )
        parser.add_argument("--no-dossiers", action="store_true", help="Không tạo hồ sơ mẫu.")
        parser.add_argument(
            "--dossiers", type=int, default=220, metavar="N", help="Số hồ sơ mẫu cần tạo (mặc định 220)."
        )
        parser.add_argument("--quiet", action="store_true")

    def handle(self, *args, two_level=False, no_dossiers=False, dossiers=220, quiet=False, **options):
        with transaction.atomic():
            logins = load_org(two_level=two_level)
            provision_demo_totp(["quantri", *(login.username for login in logins)])
            outcome = publish_all(parse_json(FIXTURE.read_bytes()))
        demo = None
        if not no_dossiers:
            from motcua.dossiers.demo import load_demo_dossiers

            demo = load_demo_dossiers(count=dossiers)
        from motcua.engagement.demo import load_demo_queue

        load_demo_queue()
        if quiet:
            return
        self.stdout.write(
            self.style.SUCCESS(
                f"Đã nạp tỉnh mẫu An Hòa ({'2 cấp' if two_level else '3 cấp'}); thủ tục: "
                f"{outcome.created} mới, {outcome.new_versions} phiên bản mới, {outcome.unchanged} không đổi."
            )
        )
        self.stdout.write(f"Tài khoản mẫu (mật khẩu chung: {DEMO_PASSWORD}):")
        self.stdout.write(f"  {'quantri':<16} Quản trị hệ thống (superuser)")
        for login in logins:
            self.stdout.write(f"  {login.username:<16} {login.role} – {login.agency}")
        if demo is None:
            return
        if demo.already_loaded:
            self.stdout.write("Hồ sơ mẫu: đã có sẵn, không tạo thêm (0 hồ sơ mới).")
            return
        self.stdout.write(
            self.style.SUCCESS(
                f"Hồ sơ mẫu: đã tạo {demo.created} hồ sơ ({demo.bundles} chuỗi liên thông, {demo.late} hồ sơ trễ hạn)."
            )
        )
        from motcua.dossiers.states import State

        states = ", ".join(f"{State(s).label}: {n}" for s, n in demo.by_state.items() if n)
        self.stdout.write(f"  Theo trạng thái – {states}")
        for error in demo.errors:
            self.stderr.write(f"  Lỗi khi tạo hồ sơ mẫu: {error}")
        if demo.extra_logins:
            self.stdout.write(f"Tài khoản bổ sung cho hồ sơ mẫu (mật khẩu chung: {DEMO_PASSWORD}):")
            for login in demo.extra_logins:
                self.stdout.write(f"  {login.username:<20} {login.full_name} – {login.role} – {login.agency}")
