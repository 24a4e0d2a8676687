import datetime as dt
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from motcua.catalog import sync


def _date(text: str) -> dt.date:
    for fmt in ("%d/%m/%Y", "%Y-%m-%d"):
        try:
            return dt.datetime.strptime(text.strip(), fmt).date()
        except ValueError:
            pass
    raise CommandError(f"Ngày hiệu lực không hợp lệ: {text!r} (dd/mm/yyyy).")


class Command(BaseCommand):
    help = (
        "Đồng bộ danh mục thủ tục từ CSDL quốc gia về thủ tục hành chính (hoặc từ tệp .json/.xlsx đã tải về): "
        "in bảng so sánh, và áp dụng các thủ tục được chọn thành phiên bản mới khi có --apply/--apply-all."
    )

    def add_arguments(self, parser):
        source = parser.add_mutually_exclusive_group()
        source.add_argument("--file", help="Tệp danh mục .json hoặc .xlsx đã tải từ CSDL quốc gia.")
        source.add_argument("--url", help="Địa chỉ CSDL quốc gia (mặc định: NATIONAL_CATALOG_URL).")
        what = parser.add_mutually_exclusive_group()
        what.add_argument("--apply", nargs="+", metavar="CODE", help="Áp dụng các mã thủ tục này.")
        what.add_argument("--apply-all", action="store_true", help="Áp dụng mọi thủ tục mới và có thay đổi hợp lệ.")
        parser.add_argument(
            "--effective-from",
            help="Ngày hiệu lực của các phiên bản được áp dụng (dd/mm/yyyy); mặc định theo quy tắc đồng bộ.",
        )

    def handle(self, *args, file=None, url=None, apply=None, apply_all=False, effective_from=None, **options):
        effective = _date(effective_from) if effective_from else None
        try:
            if file:
                path = Path(file)
                try:
                    raw = path.read_bytes()
                except OSError as exc:
                    raise CommandError(f"Không đọc được tệp {file}: {exc.strerror or exc}.") from exc
                incoming = sync.from_file(raw, path.name)
                source = f"tệp {path.name}"
            else:
                incoming = sync.fetch(url)
                source = sync.endpoint_of(url)
        except sync.SyncError as exc:
            raise CommandError("\n".join(exc.errors)) from exc

        changes = sync.diff(incoming)
        self._print(changes, source, len(incoming))

        if not (apply or apply_all):
            return
        codes = apply or [c.code for c in changes if c.applicable]
        if not codes:
            self.stdout.write("Không có thủ tục nào cần áp dụng.")
            return
        try:
            created = sync.apply(incoming, codes, user=None, effective_from=effective)
        except sync.SyncError as exc:
            raise CommandError("Không áp dụng thủ tục nào:\n" + "\n".join(exc.errors)) from exc
        if not created:
            self.stdout.write("Không có gì thay đổi: các thủ tục đã chọn trùng với danh mục hiện có.")
            return
        self.stdout.write(self.style.SUCCESS(f"Đã áp dụng {len(created)} thủ tục:"))
        for v in created:
            self.stdout.write(
                f"  {v.procedure.code} – {v.name}: phiên bản {v.number}, hiệu lực từ {v.effective_from:%d/%m/%Y}"
            )

    def _print(self, changes, source, count):
        w = self.stdout.write
        w(f"Nguồn: {source} ({count} thủ tục).")
        groups = {kind: [c for c in changes if c.kind == kind] for kind in sync.KIND_LABELS}
        for kind in (sync.NEW, sync.CHANGED):
            rows = groups[kind]
            if not rows:
                continue
            w("")
            w(f"{sync.KIND_LABELS[kind]} ({len(rows)}):")
            for c in rows:
                head = f"  {'+' if kind == sync.NEW else '~'} {c.code} – {c.name}"
                if c.errors:
                    w(self.style.ERROR(f"{head} [KHÔNG HỢP LỆ, không thể áp dụng]"))
                    for e in c.errors:
                        w(f"      ! {e}")
                    continue
                if c.current is not None:
                    head += f" (phiên bản {c.current.number} → phiên bản mới"
                else:
                    head += " (phiên bản 1"
                w(f"{head}, hiệu lực từ {c.effective_from:%d/%m/%Y})")
                for d in c.details:
                    w(f"      - {d}")
                if c.kept:
                    w(f"      Giữ dữ liệu bổ sung của tỉnh: {', '.join(c.kept)}")
        if groups[sync.MISSING]:
            w("")
            w(f"{sync.KIND_LABELS[sync.MISSING]} ({len(groups[sync.MISSING])}) – giữ nguyên, không xóa:")
            for c in groups[sync.MISSING]:
                w(f"  ? {c.code} – {c.name}")
        w("")
        w(f"{sync.KIND_LABELS[sync.UNCHANGED]}: {len(groups[sync.UNCHANGED])} thủ tục.")
