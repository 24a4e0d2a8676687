"""Catalog search benchmark: p50/p95 over ≥ 6,000 generated procedures, through a production server.

Usage (PostgreSQL; the database is created if missing):
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/motcua_bench .venv/bin/python bench/bench_catalog.py

It migrates, loads the demo organization, generates procedures up to --procedures (kept between
runs), starts gunicorn on 127.0.0.1:--port, sends --requests sequential searches drawn from a
seeded query mix, and prints latency percentiles for the API and the in-process service call.
Target: p95 < 50 ms.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "motcua.settings")

VERBS = [
    "Cấp",
    "Cấp lại",
    "Cấp đổi",
    "Đăng ký",
    "Đăng ký lại",
    "Gia hạn",
    "Điều chỉnh",
    "Thu hồi",
    "Xác nhận",
    "Công nhận",
    "Thẩm định",
    "Phê duyệt",
    "Chứng thực",
    "Sửa đổi, bổ sung",
    "Giải quyết",
    "Thông báo",
]
OBJECTS = [
    "giấy phép kinh doanh",
    "giấy chứng nhận quyền sử dụng đất",
    "khai sinh",
    "kết hôn",
    "hộ kinh doanh",
    "giấy phép xây dựng",
    "giấy phép lái xe",
    "chứng chỉ hành nghề",
    "giấy phép lao động",
    "khai tử",
    "nhận cha, mẹ, con",
    "giám hộ",
    "thường trú",
    "tạm trú",
    "con dấu",
    "trợ cấp xã hội",
    "giấy chứng nhận đủ điều kiện an toàn thực phẩm",
    "giấy phép môi trường",
    "biển số xe",
    "hồ sơ địa chính",
    "văn bằng, chứng chỉ",
    "giấy phép hoạt động khám bệnh, chữa bệnh",
    "giấy chứng nhận đăng ký doanh nghiệp",
    "quyết định thành lập trường",
    "giấy phép biểu diễn nghệ thuật",
]
QUALIFIERS = [
    "",
    "cho tổ chức",
    "cho cá nhân",
    "có yếu tố nước ngoài",
    "trên địa bàn tỉnh",
    "cấp xã",
    "cấp huyện",
    "do bị mất, hỏng",
    "trong trường hợp thay đổi thông tin",
    "đối với doanh nghiệp nhà nước",
    "theo hình thức trực tuyến",
    "tại khu công nghiệp",
]
QUERIES = [
    "dang ky khai sinh",
    "giay phep xay dung",
    "cap lai giay phep lai xe",
    "ket hon co yeu to nuoc ngoai",
    "thuong tru",
    "chứng thực",
    "Đăng ký hộ kinh doanh",
    "tro cap xa hoi",
    "con dau",
    "ly lich tu phap",
    "giấy chứng nhận quyền sử dụng đất",
    "gia han",
    "moi truong",
    "3.000123",
    "khai tu",
    "bien so xe",
]


def generate(n: int, start: int) -> list[dict]:
    rng = random.Random(start)
    fields = [
        (f"F{i:02d}", f"Lĩnh vực {name}")
        for i, name in enumerate(
            [
                "hộ tịch",
                "đất đai",
                "xây dựng",
                "giao thông",
                "y tế",
                "giáo dục",
                "lao động",
                "thương mại",
                "môi trường",
                "văn hóa",
                "tư pháp",
                "đầu tư",
                "nông nghiệp",
                "cư trú",
                "thuế",
            ]
        )
    ]
    items = []
    for i in range(start, start + n):
        field_code, field_name = rng.choice(fields)
        name = " ".join(filter(None, [rng.choice(VERBS), rng.choice(OBJECTS), rng.choice(QUALIFIERS)]))
        limit = rng.choice([1, 3, 5, 7, 10, 15, 20])
        items.append(
            {
                "code": f"3.{i:06d}",
                "name": name,
                "field_code": field_code,
                "field_name": field_name,
                "levels": [rng.choice(["province", "district", "commune"])],
                "agency_kind": "provincial_department",
                "agencies": [],
                "time_limit_days": limit,
                "online_level": rng.choice(["full", "partial", "none"]),
                "location_independent": rng.random() < 0.3,
                "essential": False,
                "applicant_types": ["citizen"],
                "effective_from": "2025-07-01",
                "description": "",
                "legal_basis": "",
                "components": [
                    {
                        "code": f"TP{j:02d}",
                        "name": f"Thành phần {j}",
                        "required": True,
                        "form": "original",
                        "copies": 1,
                        "reusable": False,
                        "template": "",
                    }
                    for j in range(1, 4)
                ],
                "results": [{"code": "KQ01", "name": f"Kết quả {name}", "validity_days": None}],
                "fees": [],
                "steps": [
                    {
                        "order": 1,
                        "name": "Tiếp nhận",
                        "role": "desk_officer",
                        "agency_kind": "provincial_department",
                        "budget_days": 0.5,
                        "parallel": False,
                    },
                    {
                        "order": 2,
                        "name": "Xử lý",
                        "role": "specialist",
                        "agency_kind": "provincial_department",
                        "budget_days": limit - 1,
                        "parallel": False,
                    },
                    {
                        "order": 3,
                        "name": "Phê duyệt",
                        "role": "leader",
                        "agency_kind": "provincial_department",
                        "budget_days": 0.5,
                        "parallel": False,
                    },
                ],
            }
        )
    return items


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--procedures", type=int, default=6000)
    ap.add_argument("--requests", type=int, default=600)
    ap.add_argument("--port", type=int, default=8765)
    args = ap.parse_args()
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        sys.exit("Set DATABASE_URL to a PostgreSQL database (e.g. postgres://postgres@127.0.0.1:5432/motcua_bench).")
    _ensure_database(os.environ["DATABASE_URL"])

    import django

    django.setup()
    from django.core.management import call_command

    from motcua.catalog.models import Procedure
    from motcua.catalog.services import publish_all, search_versions
    from motcua.org.demo import load_org

    call_command("migrate", verbosity=0)
    load_org()
    have = Procedure.objects.count()
    t0 = time.perf_counter()
    while have < args.procedures:
        batch = min(500, args.procedures - have)
        publish_all(generate(batch, 100000 + have))
        have += batch
    if time.perf_counter() - t0 > 1:
        print(f"generated procedures in {time.perf_counter() - t0:.1f}s")
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    print(f"procedures in catalog: {Procedure.objects.count()}")

    rng = random.Random(7)
    in_proc = []
    for _ in range(300):
        q = rng.choice(QUERIES)
        t = time.perf_counter()
        list(search_versions(q).prefetch_related("levels")[:20])
        in_proc.append((time.perf_counter() - t) * 1000)

    server = subprocess.Popen(
        [
            str(ROOT / ".venv/bin/gunicorn"),
            "motcua.wsgi",
            "--bind",
            f"127.0.0.1:{args.port}",
            "--workers",
            "2",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env={**os.environ, "DEBUG": "false"},
    )
    try:
        base = f"http://127.0.0.1:{args.port}/api/v1/procedures/"
        for _ in range(50):
            try:
                urllib.request.urlopen(base + "?q=x", timeout=2).read()
                break
            except OSError:
                time.sleep(0.2)
        latencies, errors = [], 0
        for _ in range(args.requests):
            q = rng.choice(QUERIES)
            url = base + "?" + urllib.parse.urlencode({"q": q})
            t = time.perf_counter()
            try:
                with urllib.request.urlopen(url, timeout=10) as r:
                    json.loads(r.read())
            except Exception:
                errors += 1
            latencies.append((time.perf_counter() - t) * 1000)
    finally:
        server.terminate()
        server.wait(10)
    p95 = percentile(latencies, 95)
    print(f"in-process search: p50 {statistics.median(in_proc):.1f} ms, p95 {percentile(in_proc, 95):.1f} ms")
    print(
        f"HTTP /api/v1/procedures/?q=… via gunicorn: {args.requests} requests, {errors} errors, "
        f"p50 {statistics.median(latencies):.1f} ms, p95 {p95:.1f} ms, max {max(latencies):.1f} ms"
    )
    print("PASS" if p95 < 50 and not errors else "BELOW TARGET", "(target p95 < 50 ms)")


def _ensure_database(url: str) -> None:
    import psycopg

    parsed = urllib.parse.urlparse(url)
    name = parsed.path.lstrip("/")
    admin = parsed._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


if __name__ == "__main__":
    main()
