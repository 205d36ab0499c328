#!/usr/bin/env python3
"""Reading benchmark: the cost of what issue 10 added to the attachment path.

    .venv/bin/python bench/reading_bench.py [--runs 5]

1. OCR per image: screenshots and a phone-photo-sized page of text, rendered with DejaVu
   (tests/reading.py), each read through gateway.content.images.image_content (forked child,
   Pillow decode, scaling, Tesseract): median and 95th percentile in ms.
2. A message with ten screenshots: parse plus every scanner, against the scan time budget
   ([scan] time_budget, default 30 s) and the image OCR budget (ocr_seconds).
3. Each new extractor on a typical file, median ms for one attachment through parse():
   CSV and XLSX exports (tables), a Word file with comments and properties, a PDF with an
   embedded file, Outlook .msg, TNEF, Word and Excel 97-2003, a macro document, active HTML.
"""
from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

import cfb  # noqa: E402  (tests/cfb.py: .msg, .doc, .xls, VBA projects)
import documents as docs  # noqa: E402
import reading as rd  # noqa: E402

from gateway.config import Settings  # noqa: E402
from gateway.content.images import image_content  # noqa: E402
from gateway.content.limits import Limits  # noqa: E402
from gateway.content.parse import parse  # noqa: E402
from scanners.registry import build  # noqa: E402


def screenshots() -> list[bytes]:
    out = []
    for i, size in enumerate([(800, 500), (1024, 640), (1280, 720), (1366, 768), (1440, 900),
                              (1600, 1000), (1920, 1080), (750, 1334), (1170, 2532), (2480, 3508)]):
        lines = [f"{9 + k % 9}:{(k * 15) % 60:02d}  {p[0]}  DOB {p[1]}  {p[2]}  {p[5]}"
                 for k, p in enumerate(rd.PATIENTS * (2 + i))]
        font = 15 if size[0] < 2000 else 28
        out.append(rd.encode(rd.text_image(lines[: size[1] // (font * 2)], size=size,
                                           font_size=font, header="Booking diary"), "PNG"))
    return out


def percentile(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def bench_ocr(runs: int) -> None:
    if not shutil.which("tesseract"):
        print("tesseract not installed: no OCR timings")
        return
    images = screenshots()
    times = []
    for _ in range(runs):
        for data in images:
            t = time.perf_counter()
            content = image_content(data, Limits(), None)
            times.append(1000 * (time.perf_counter() - t))
            assert dict(content.texts).get("image"), "OCR read nothing"
    print(f"OCR per image ({len(images)} screenshots and pages, 800x500 to 2480x3508, "
          f"{runs} runs): median {statistics.median(times):.0f} ms, "
          f"p95 {percentile(times, 95):.0f} ms")


def bench_ten_screenshots(runs: int) -> None:
    shots = screenshots()[:7] + screenshots()[:3]
    raw = docs.mail("ten", attachments=[(f"s{i}.png", "image/png", s) for i, s in enumerate(shots)])
    scanners = build({})
    totals, parses = [], []
    for _ in range(runs):
        t = time.perf_counter()
        msg = parse(raw)
        parses.append(time.perf_counter() - t)
        for s in scanners:
            list(s.scan(msg))
        totals.append(time.perf_counter() - t)
    read = sum(1 for p in msg.body_parts if p.where.endswith("#image"))
    budget = Settings().scan.time_budget
    print(f"message with ten screenshots: {read} read by OCR; parse median "
          f"{statistics.median(parses):.1f} s, parse + all scanners median "
          f"{statistics.median(totals):.1f} s (max {max(totals):.1f} s) against a time budget "
          f"of {budget:g} s and an image OCR budget of {Limits().ocr_seconds:g} s")


def extractor_files() -> dict[str, tuple[str, str, bytes]]:
    rows = [["first_name", "last_name", "email", "mobile", "dob", "last_treatment"]]
    rows += [[f"Name{i}", "Quill", f"n{i}@mailbox.example", f"07700 900{i % 1000:03d}",
              "14/02/1986", "Lip filler"] for i in range(500)]
    doc = rd.docx_with_internals(comment="Reviewer note", header="Draft", title="Article",
                                 custom={"Project": "Spring"})
    note = b"Clinic opening hours for spring.\n" * 20
    return {
        "CSV export, 500 rows": ("export.csv", "text/csv", rd.csv_text(rows)),
        "XLSX export, 500 rows": ("export.xlsx", "application/vnd.openxmlformats-"
                                  "officedocument.spreadsheetml.sheet", rd.xlsx_workbook(
                                      {"Clients": rows})),
        "DOCX with comment, header, properties": ("a.docx", "application/vnd.openxmlformats-"
                                                  "officedocument.wordprocessingml.document", doc),
        "PDF with an embedded file": ("a.pdf", "application/pdf",
                                      rd.pdf_with_embedded({"note.txt": note})),
        "PDF without (for comparison)": ("b.pdf", "application/pdf",
                                         rd.pdf_with_info("Clinic opening hours for spring.")),
        "Outlook .msg with an attachment": ("a.msg", "application/vnd.ms-outlook",
                                            cfb.outlook_msg("Hours", "Spring hours.",
                                                            "a@x.example", "b@y.example",
                                                            {"note.txt": note})),
        "TNEF winmail.dat": ("winmail.dat", "application/ms-tnef",
                             rd.tnef("Hours", "Spring hours.", {"note.txt": note})),
        "Word 97-2003 .doc": ("a.doc", "application/msword", cfb.word97("Spring hours. " * 200)),
        "Excel 97-2003 .xls": ("a.xls", "application/vnd.ms-excel",
                               cfb.excel97({"Stock": [["Item", "Count"]] +
                                            [[f"Item {i}", str(i)] for i in range(100)]})),
        "DOCM with an auto-exec macro": ("a.docm", "application/vnd.openxmlformats-"
                                         "officedocument.wordprocessingml.document", cfb.docm()),
        "HTML with a script redirect": ("a.html", "text/html", b"<html><script>window.location"
                                        b"='https://x.example/'</script></html>"),
    }


def bench_extractors(runs: int) -> None:
    for label, (name, ctype, data) in extractor_files().items():
        raw = docs.mail("x", attachments=[(name, ctype, data)])
        parse(raw)
        times = []
        for _ in range(runs):
            t = time.perf_counter()
            parse(raw)
            times.append(1000 * (time.perf_counter() - t))
        print(f"  {label}: {statistics.median(times):.0f} ms")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args()
    bench_ocr(args.runs)
    bench_ten_screenshots(max(1, args.runs // 2))
    print(f"new extractors, one attachment through parse(), median of {args.runs}:")
    bench_extractors(args.runs)


if __name__ == "__main__":
    main()
