#!/usr/bin/env python
"""Micro-benchmark of the working-calendar engine (no database needed).

    python bench/bench_calendar.py [--calls 200000] [--seed 2026] [--target 50000]

Builds the statutory calendar 2015–2045 (``holidays`` package, no DB rows), then times
``WorkCalendar.due_date`` and ``WorkCalendar.working_days_between`` over seeded random instants
(2016–2043, Vietnam time, any second of the day) and day counts (0 … 60, multiples of 0.5,
given as int, Decimal or str like the callers do). Prints calls/s and PASS / BELOW TARGET for
``due_date``; exits 1 when below target.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import sys
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

# services.py imports the Django models, so the app registry must be ready; no query is made.
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "motcua.settings")
import django  # noqa: E402

django.setup()

from motcua.workcalendar.engine import VN_TZ, WorkCalendar  # noqa: E402
from motcua.workcalendar.services import statutory_working_days  # noqa: E402

FIRST, LAST = 2015, 2045


def make_inputs(n: int, seed: int):
    rng = random.Random(seed)
    origin = dt.datetime(2016, 1, 1, tzinfo=VN_TZ)
    span = int((dt.datetime(2044, 1, 1, tzinfo=VN_TZ) - origin).total_seconds())
    kinds = (int, Decimal, str)
    instants, days, pairs = [], [], []
    for _ in range(n):
        t = origin + dt.timedelta(seconds=rng.randrange(span))
        halves = rng.randint(0, 120)
        if halves % 2 == 0:
            d = rng.choice(kinds)(halves // 2)
        else:
            d = rng.choice((Decimal, str))(f"{halves // 2}.5")
        instants.append(t)
        days.append(d)
        pairs.append((t, t + dt.timedelta(seconds=rng.randrange(90 * 86400))))
    return instants, days, pairs


def timed(fn, *args) -> float:
    start = time.perf_counter()
    fn(*args)
    return time.perf_counter() - start


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=200_000)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--target", type=float, default=50_000.0, help="due_date calls/s to reach")
    args = parser.parse_args(argv)

    t0 = time.perf_counter()
    calendar = WorkCalendar(statutory_working_days(FIRST, LAST), FIRST, LAST)
    build = time.perf_counter() - t0
    instants, days, pairs = make_inputs(args.calls, args.seed)

    due_date = calendar.due_date
    between = calendar.working_days_between

    def run_due():
        for t, d in zip(instants, days, strict=True):
            due_date(t, d)

    def run_between():
        for a, b in pairs:
            between(a, b)

    # Warm-up and sanity check outside the timed loops.
    sample = [due_date(t, d) for t, d in zip(instants[:1000], days[:1000], strict=True)]
    assert all(calendar.is_working_day(x.date()) for x in sample)

    due_s = timed(run_due)
    between_s = timed(run_between)
    due_rate, between_rate = args.calls / due_s, args.calls / between_s

    print(f"calendar {FIRST}-{LAST}: built in {build * 1000:.0f} ms (statutory days, cached per process)")
    print(f"due_date:             {args.calls:>9,} calls in {due_s:6.2f} s = {due_rate:>10,.0f} calls/s")
    print(f"working_days_between: {args.calls:>9,} calls in {between_s:6.2f} s = {between_rate:>10,.0f} calls/s")
    ok = due_rate >= args.target
    print(f"target {args.target:,.0f} calls/s for due_date: {'PASS' if ok else 'BELOW TARGET'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
