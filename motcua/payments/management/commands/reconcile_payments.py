"""``manage.py reconcile_payments [--date dd/mm/yyyy]``: reconcile one day with the payment gateway."""

import datetime as dt

from django.core.management.base import BaseCommand, CommandError

from motcua.payments.gateway import GatewayError
from motcua.payments.models import ReconciliationIssue
from motcua.payments.reconciliation import reconcile, yesterday


class Command(BaseCommand):
    help = "Đối soát giao dịch thanh toán trực tuyến của một ngày với cổng thanh toán (mặc định: hôm qua)."

    def add_arguments(self, parser):
        parser.add_argument("--date", help="ngày đối soát, dạng dd/mm/yyyy")

    def handle(self, *args, **options):
        if options["date"]:
            try:
                day = dt.datetime.strptime(options["date"], "%d/%m/%Y").date()
            except ValueError:
                raise CommandError("Ngày không hợp lệ; nhập theo dạng dd/mm/yyyy, ví dụ 25/11/2026.") from None
        else:
            day = yesterday()
        try:
            report = reconcile(day)
        except GatewayError as exc:
            raise CommandError(f"Không đối soát được ngày {day:%d/%m/%Y}: {exc}") from None
        self.stdout.write(
            f"Đối soát ngày {day:%d/%m/%Y}: cổng thanh toán {report['gateway']} giao dịch, hệ thống "
            f"{report['ours']} giao dịch, khớp {report['matched']}, đã cập nhật {len(report['fixed'])}, "
            f"chênh lệch {len(report['issues'])}."
        )
        for issue in ReconciliationIssue.objects.filter(pk__in=report["issues"]):
            ref = issue.order_id or issue.transaction_id
            self.stdout.write(f"- {issue.get_kind_display()}: {ref}. {issue.detail}")
