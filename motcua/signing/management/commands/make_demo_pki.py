from django.core.management.base import BaseCommand, CommandError

from motcua.org.models import Agency
from motcua.signing import pki
from motcua.signing.errors import SigningError


class Command(BaseCommand):
    help = (
        "Tạo hạ tầng khóa công khai demo (CA gốc và chứng thư số ký tài liệu cho từng cơ quan) trong "
        "SIGNING_PKI_DIR. Chỉ tạo những gì còn thiếu; chạy lại nhiều lần không thay đổi tệp đã có."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "codes",
            nargs="*",
            metavar="MA_CO_QUAN",
            help="Mã định danh cơ quan; bỏ trống = mọi cơ quan đang hoạt động.",
        )

    def handle(self, *args, codes=(), **options):
        if codes:
            agencies = list(Agency.objects.filter(code__in=codes))
            missing = sorted(set(codes) - {a.code for a in agencies})
            if missing:
                raise CommandError(f"Không tìm thấy cơ quan có mã: {', '.join(missing)}.")
        else:
            agencies = list(Agency.objects.active_on())
        try:
            _cert, root_created = pki.ensure_root_ca()
            created = skipped = 0
            for agency in agencies:
                _path, made = pki.ensure_agency_p12_by_code(agency.code, agency.name)
                created += made
                skipped += not made
        except SigningError as exc:
            raise CommandError(exc.message) from exc
        root = "đã tạo CA gốc mới" if root_created else "CA gốc đã có"
        self.stdout.write(
            self.style.SUCCESS(
                f"PKI demo tại {pki.pki_dir()}: {root}; tạo {created} chứng thư số cơ quan, "
                f"bỏ qua {skipped} chứng thư đã có."
            )
        )
