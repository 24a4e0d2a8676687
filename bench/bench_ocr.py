"""Digitization benchmark: the whole pipeline to_pdf → ocr → detect_kind/extract on the synthetic scans.

Usage (no database; run on an otherwise idle machine):
    .venv/bin/python bench/bench_ocr.py
    .venv/bin/python bench/bench_ocr.py --concurrency 1 --jobs 2     # one document at a time
    .venv/bin/python bench/bench_ocr.py --pages 12 --repeat 3          # a bounded run

It reads tests/data/ocr (regenerate with ``python -m motcua.documents.testdata.generator tests/data/ocr``),
processes every document (or the first --pages pages) --repeat times with --concurrency documents in
flight (threads, as a background worker with that many slots would), and prints:

* throughput in A4 pages/min, wall clock, and the CPU seconds per page (this process and its
  Tesseract children), from which "capacity on 2 cores" = 2 × 60 / CPU-s per page: the throughput a
  dedicated 2-core machine reaches, whatever else was running during the measurement;
* the character error rate (CER, normalized whitespace) of the prose pages: clean, rotated (90/180/270°
  and skewed), noisy (gaussian noise, blur, JPEG, salt and pepper), micro-averaged over pages, and the
  worst page; the ID cards and forms, whose two-column layouts make reading order differ, for
  information;
* exact field accuracy on the fictitious ID cards, birth and business registration certificates,
  and how often detect_kind named the right kind.
Target (issue): ≥ 30 pages/min on 2 cores, CER ≤ 1 % clean, ≤ 5 % noisy/rotated.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from motcua.documents import extract, ocr  # noqa: E402
from motcua.documents.testdata import generator  # noqa: E402
from motcua.documents.testdata.metrics import edits, same_value  # noqa: E402


def cpu_seconds() -> float:
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def select(documents: list[dict], pages: int | None) -> list[dict]:
    if not pages:
        return documents
    chosen, total = [], 0
    for doc in documents:
        if total >= pages:
            break
        chosen.append(doc)
        total += doc["pages"]
    return chosen


def run_one(folder: Path, doc: dict, jobs: int) -> dict:
    files = [((folder / f["name"]).read_bytes(), f["content_type"]) for f in doc["files"]]
    started = time.monotonic()
    pdf = ocr.to_pdf(files)
    result = ocr.ocr(pdf, jobs=jobs)
    kind = extract.detect_kind(result.text)
    fields = {f.name: f for f in extract.extract(doc["kind"], result.text)} if doc["kind"] else {}
    return {"doc": doc, "result": result, "kind": kind, "fields": fields, "seconds": time.monotonic() - started}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=ROOT / "tests" / "data" / "ocr")
    parser.add_argument("--pages", type=int, default=0, help="only the first N pages of the set (0: all)")
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--concurrency", type=int, default=2, help="documents processed at once")
    parser.add_argument("--jobs", type=int, default=0, help="pages of one document in parallel (default 2/concurrency)")
    args = parser.parse_args(argv)
    jobs = args.jobs or max(1, 2 // args.concurrency)

    truth = generator.load_truth(args.data)
    documents = select(truth["documents"], args.pages) * args.repeat
    print(f"{len(documents)} documents, {sum(d['pages'] for d in documents)} pages, concurrency {args.concurrency},"
          f" jobs {jobs}, OMP_THREAD_LIMIT={os.environ.get('OMP_THREAD_LIMIT', 'unset')}", flush=True)

    cpu0, wall0 = cpu_seconds(), time.monotonic()
    with ThreadPoolExecutor(args.concurrency) as pool:
        runs = list(pool.map(lambda d: run_one(args.data, d, jobs), documents))
    wall, cpu = time.monotonic() - wall0, cpu_seconds() - cpu0
    pages = sum(r["result"].pages for r in runs)

    cer: dict[str, list[tuple[int, int, str]]] = {}
    fields_ok = fields_total = kinds_ok = kinds_total = 0
    misses = []
    for r in runs:
        doc, result = r["doc"], r["result"]
        group = doc["condition"] if doc["kind"] is None else "cards/forms"
        for page, (want, got) in enumerate(zip(doc["text"].split("\f"), result.page_texts, strict=False), start=1):
            cer.setdefault(group, []).append((*edits(want, got), f"{doc['id']} p{page}"))
        if doc["kind"]:
            kinds_total += 1
            kinds_ok += r["kind"] == doc["kind"]
            for name, want in doc["fields"].items():
                fields_total += 1
                got = r["fields"][name]
                if same_value(want, got.value):
                    fields_ok += 1
                else:
                    misses.append(f"{doc['id']}.{name}: {got.value!r} (confidence {got.confidence}) ≠ {want!r}")
        else:
            kinds_total += 1
            kinds_ok += r["kind"] is None
            if r["kind"] is not None:
                misses.append(f"{doc['id']}: detect_kind said {r['kind']!r} for a prose page")

    seconds = sorted(r["seconds"] for r in runs)
    print("\n=== OCR pipeline (to_pdf → ocr → extract) ===")
    print(f"pages                 {pages} in {wall:.1f} s wall")
    print(f"throughput            {pages / wall * 60:.1f} pages/min (wall clock)")
    print(f"CPU per page          {cpu / pages:.2f} s  →  capacity on 2 cores {2 * 60 * pages / cpu:.1f} pages/min")
    print(f"per document          p50 {statistics.median(seconds):.1f} s, max {seconds[-1]:.1f} s")
    for group in ("clean", "rotated", "noisy", "cards/forms"):
        if group in cer:
            rows = cer[group]
            total = sum(e for e, _, _ in rows) / max(1, sum(n for _, n, _ in rows))
            worst = max(rows, key=lambda x: x[0] / max(1, x[1]))
            print(f"CER {group:<17} {100 * total:.2f} % over {len(rows)} pages (worst {worst[2]}:"
                  f" {100 * worst[0] / max(1, worst[1]):.2f} %)")
    if fields_total:
        print(f"field accuracy        {fields_ok}/{fields_total} = {100 * fields_ok / fields_total:.1f} % exact")
    if kinds_total:
        print(f"detect_kind           {kinds_ok}/{kinds_total} documents right")
    for miss in misses:
        print(f"  miss {miss}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
