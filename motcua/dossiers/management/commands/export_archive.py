"""``manage.py export_archive --user U --closed-before dd/mm/yyyy [--agency CODE] --out PATH.zip``.

Exports closed dossiers the user may read into one ZIP (``motcua.dossiers.archive``); marks them archived
and logs the export. ``--list-expired`` instead lists archived dossiers whose retention period has run out
(CSV on stdout): nothing is ever deleted automatically.
"""

import csv

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from motcua.dossiers import archive
from motcua.org.models import Agency


class Command(BaseCommand):
    help = "Nộp lưu hồ sơ đã kết thúc (ZIP: siêu dữ liệu + tệp + mã kiểm tra) hoặc liệt kê hồ sơ hết thời hạn bảo quản."

    def add_arguments(self, parser):
        parser.add_argument("--user", required=True, help="tài khoản cán bộ thực hiện (chỉ hồ sơ người này được xem)")
        parser.add_argument("--closed-before", help="kết thúc trước ngày (dd/mm/yyyy)")
        parser.add_argument("--agency", help="mã định danh cơ quan giải quyết")
        parser.add_argument("--out", help="tệp ZIP mới")
        parser.add_argument("--include-archived", action="store_true", help="xuất cả hồ sơ đã nộp lưu trước đó")
        parser.add_argument("--list-expired", action="store_true", help="liệt kê hồ sơ đã hết thời hạn bảo quản")

    def handle(self, *args, **options):
        try:
            user = get_user_model().objects.get(username=options["user"], is_active=True)
        except get_user_model().DoesNotExist:
            raise CommandError(f"Không có tài khoản đang hoạt động {options['user']!r}.") from None
        agency = None
        if options["agency"]:
            agency = Agency.objects.filter(code=options["agency"]).first()
            if agency is None:
                raise CommandError(f"Không có cơ quan mã {options['agency']!r}.")
        if options["list_expired"]:
            return self._list_expired(user, agency)
        if not options["closed_before"] or not options["out"]:
            raise CommandError("Cần --closed-before dd/mm/yyyy và --out PATH.zip.")
        try:
            day = archive.parse_date(options["closed_before"])
            result = archive.export(
                user,
                closed_before=day,
                agency=agency,
                out=options["out"],
                include_archived=options["include_archived"],
            )
        except archive.ArchiveError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            f"Đã nộp lưu {result.dossiers} hồ sơ, {result.files} tệp ({result.bytes} byte) vào {result.path}"
        )

    def _list_expired(self, user, agency):
        writer = csv.writer(self.stdout)
        writer.writerow(["ma_ho_so", "thu_tuc", "ket_thuc", "nop_luu", "thoi_han_nam", "duoc_de_xuat_huy_tu"])
        n = 0
        qs = archive.disposal_candidates(user, agency=agency).select_related("version__procedure", "version__field")
        for d in qs.iterator(chunk_size=2000):
            years = archive.retention_years(d.version.procedure, d.version.field.code)
            after = archive.dispose_after(d.closed_at, years)
            writer.writerow(
                [
                    d.code,
                    d.version.procedure.code,
                    f"{d.closed_at:%d/%m/%Y}",
                    f"{d.archived_at:%d/%m/%Y}",
                    years,
                    f"{after:%d/%m/%Y}",
                ]
            )
            n += 1
        self.stderr.write(f"{n} hồ sơ đã hết thời hạn bảo quản (chỉ đề xuất; không tự động hủy).")
