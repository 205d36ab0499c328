"""Patient-data scanner bench: the scanner alone (no parsing, no sandbox), in MB/s of text
and ms per typical message, and the patient register with 100,000 patients (import, load,
match). Median of several runs. Prints a table; `--json` prints the figures as JSON.

    .venv/bin/python bench/patient_bench.py [--runs 5] [--megabytes 10] [--patients 100000]
"""
from __future__ import annotations

import argparse
import io
import json
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from gateway.content.parse import parse  # noqa: E402
from gateway.database.store import Store  # noqa: E402
from gateway.registers import patients as register  # noqa: E402
from scanners import people  # noqa: E402
from scanners.base import Attachment, ParsedMessage, TextPart  # noqa: E402
from scanners.patient_data import PatientDataScanner  # noqa: E402

CLINIC = dict(clinic_names=("Glow Aesthetics Clinic",),
              practitioners=("Bethany Hale", "Dr Amara Okafor", "Tom Reid", "Priya Shah"),
              addresses=("7 Larkspur Yard, Leeds LS1 4AB",),
              phones=("0113 496 0321", "0113 496 0322", "0113 496 0320"),
              domains=("glowclinic.example",))


def median_time(fn, runs: int) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def corpora() -> dict[str, str]:
    """Three kinds of text: clinical prose with no people in it (manuals, articles:
    tests/prose.py), the sample clinic mail (sample_mail, attachments' text included), and
    dense patient data (the evaluation texts: a name or an identifier on every line)."""
    sys.path.insert(0, str(ROOT / "tests"))
    import prose

    mail = []
    for path in sorted((ROOT / "sample_mail").glob("*.eml")):
        mail += [p.text for p in parse(path.read_bytes()).texts()]
    dense = [line.split("\t", 1)[1].replace("\\n", "\n")
             for line in (ROOT / "tests/data/patient_eval/texts.tsv").read_text().splitlines()
             if not line.startswith("#") and "\t" in line]
    return {"clinical prose": prose.document(1, 20_000), "clinic mail": "\n\n".join(mail),
            "dense patient data": "\n".join(dense)}


def message(texts: list[str], attachments=()) -> ParsedMessage:
    return ParsedMessage(headers=(("From", "Glow <reception@glowclinic.example>"),
                                  ("To", "Someone <someone@example.net>")),
                         subject="", sender="reception@glowclinic.example", recipients=(),
                         body_parts=tuple(TextPart("body", t) for t in texts),
                         attachments=tuple(attachments))


def throughput(scanner, text: str, megabytes: float, runs: int) -> float:
    chunk = (text * (100_000 // len(text) + 1))[:100_000]  # 100 KB parts, like long mails
    parts = [chunk] * max(1, int(megabytes * 10))
    msg = message(parts)
    size = sum(len(p.encode()) for p in parts) / 1e6
    return size / median_time(lambda: list(scanner.scan(msg)), runs)


def per_message(scanner, runs: int) -> tuple[float, float, int]:
    """(median ms per sample_mail message, its mean size in KB of text, messages)."""
    msgs = [parse(p.read_bytes()) for p in sorted((ROOT / "sample_mail").glob("*.eml"))]
    per = []
    for m in msgs:
        per.append(median_time(lambda: list(scanner.scan(m)), runs) * 1000)
    kb = statistics.mean(sum(len(t.text) for t in m.texts()) for m in msgs) / 1000
    return statistics.median(per), kb, len(msgs)


def photo_ms(scanner, runs: int) -> float | None:
    try:
        import skimage.data
        from PIL import Image
    except ImportError:
        return None
    out = io.BytesIO()
    Image.fromarray(skimage.data.astronaut()).resize((2048, 2048)).save(out, format="JPEG")
    data = out.getvalue()
    att = Attachment("face.jpg", "image/jpeg", "image/jpeg", len(data), "", data=data)
    msg = message(["Photo attached."], [att])
    return median_time(lambda: list(scanner.scan(msg)), runs) * 1000


def synthetic_register(path: Path, patients: int) -> None:
    first, surnames, _, _ = people.name_lists()
    firsts, lasts = sorted(first), sorted(surnames)
    rnd = random.Random(7)
    rows = []
    for i in range(patients):
        rows.append({
            "name": f"{rnd.choice(firsts).title()} {rnd.choice(lasts).title()}",
            "date_of_birth": f"{rnd.randint(1, 28):02d}/{rnd.randint(1, 12):02d}/"
                             f"{rnd.randint(1940, 2005)}",
            "email": f"patient{i}@example.com",
            "phone": f"07700 {rnd.randint(100000, 999999)}",
            "postcode": f"LS{rnd.randint(1, 29)} {rnd.randint(1, 9)}"
                        f"{rnd.choice('ABDEFGHJLNPQRSTUWXYZ')}{rnd.choice('ABDEFGHJLNPQRSTUWXYZ')}",
            "nhs_number": "",
        })
    register.write_csv(path, rows)


def register_figures(patients: int, runs: int) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        csv_path = Path(tmp) / "patients.csv"
        synthetic_register(csv_path, patients)
        store = register.create(Store(f"sqlite:///{tmp}/mailscreen.db").create())
        started = time.perf_counter()
        register.import_csv(store, csv_path)
        import_s = time.perf_counter() - started
        loader = register.Loader(store.url)
        started = time.perf_counter()
        index = loader.index()
        load_s = time.perf_counter() - started
        assert index is not None and len(index) >= patients * 0.99
        with_register = PatientDataScanner(**CLINIC, register=loader)
        without = PatientDataScanner(**CLINIC)
        msgs = [parse(p.read_bytes()) for p in sorted((ROOT / "sample_mail").glob("*.eml"))]
        extra = []
        for m in msgs:
            a = median_time(lambda: list(with_register.scan(m)), runs)
            b = median_time(lambda: list(without.scan(m)), runs)
            extra.append((a - b) * 1000)
        names = "\n".join(f"Patient {n}, DOB 01/02/1980, 07700 900123" for n in (
            "Sarah Jones", "Marcus Bell", "Olivia Grant", "Hannah Whitfield", "Daniel Okoro") * 10)
        heavy = message([names])
        heavy_ms = median_time(lambda: list(with_register.scan(heavy)), runs) * 1000
        heavy_base = median_time(lambda: list(without.scan(heavy)), runs) * 1000
        return {"patients": patients, "import_s": import_s, "load_s": load_s,
                "check_unchanged_ms": median_time(loader.index, runs) * 1000,
                "match_extra_ms_per_message": statistics.median(extra),
                "match_50_names_ms": heavy_ms - heavy_base}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--megabytes", type=float, default=10.0)
    ap.add_argument("--patients", type=int, default=100_000)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    scanner = PatientDataScanner(**CLINIC)
    list(scanner.scan(message(["warm up: Patient Sarah Jones, DOB 01/02/1980"])))
    mbps = {name: throughput(scanner, text, args.megabytes, args.runs)
            for name, text in corpora().items()}
    ms, kb, count = per_message(scanner, args.runs)
    photo = photo_ms(scanner, args.runs)
    reg = register_figures(args.patients, args.runs)
    figures = {"text_mb_per_s": mbps, "ms_per_message": ms, "message_text_kb": kb,
               "messages": count, "photo_ms": photo, "register": reg}
    if args.json:
        print(json.dumps(figures, indent=1))
        return
    print(f"patient-data scanner alone, median of {args.runs} runs")
    for name, value in mbps.items():
        print(f"  text throughput, {name} ({args.megabytes:g} MB in 100 KB parts): "
              f"{value:6.1f} MB/s")
    print(f"  typical message (sample_mail, {count} messages, {kb:.1f} KB of text on average): "
          f"{ms:6.2f} ms")
    if photo is not None:
        print(f"  one 2048x2048 JPEG photo (face detection, EXIF):  {photo:6.1f} ms")
    print(f"register with {reg['patients']:,} patients")
    print(f"  import (CSV to salted hashes in SQLite):   {reg['import_s']:6.2f} s")
    print(f"  load into the scan process (once per import): {reg['load_s']:6.2f} s")
    print(f"  check for a new import, per message:       {reg['check_unchanged_ms']:6.2f} ms")
    print(f"  match cost per typical message:            {reg['match_extra_ms_per_message']:6.2f} ms")
    print(f"  match cost, message naming 50 patients:    {reg['match_50_names_ms']:6.2f} ms")


if __name__ == "__main__":
    main()
