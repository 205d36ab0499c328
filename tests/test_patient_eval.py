"""The patient-data evaluation set: labelled short texts (tests/data/patient_eval/texts.tsv) and
messages (tests/data/patient_eval/*.eml, PDFs inside some, labels in files.json), scanned with
a clinic config and a small patient register (register.csv, imported as the CLI would).

Precision and recall are counted per rule on high-severity findings: a text labelled with a
rule must get a high finding of it (else a miss), and a high finding of a rule the text is
not labelled with is a false alarm. The gate: recall >= 0.95 and precision >= 0.90 for every
rule, and over all. `pytest -s` prints the table.
"""
from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from gateway.content.parse import parse
from gateway.database.store import Store
from gateway.registers import patients as register
from scanners.base import ParsedMessage, Severity, TextPart
from scanners.patient_data import PatientDataScanner

DATA = Path(__file__).parent / "data" / "patient_eval"
MIN_RECALL = 0.95
MIN_PRECISION = 0.90
CLINIC = dict(
    clinic_names=("Glow Aesthetics Clinic", "Glow Aesthetics Ltd"),
    practitioners=("Bethany Hale", "Dr Amara Okafor", "Tom Reid", "Priya Shah", "Chloe Adams"),
    addresses=("7 Larkspur Yard, Leeds LS1 4AB",),
    phones=("0113 496 0321", "0113 496 0322", "0113 496 0320"),
    domains=("glowclinic.example",),
)


def texts() -> list[tuple[set[str], str]]:
    out = []
    for line in (DATA / "texts.tsv").read_text(encoding="utf-8").splitlines():
        if line.startswith("#") or not line.strip():
            continue
        high, text = line.split("\t", 1)
        out.append((set() if high == "-" else set(high.split(",")), text.replace("\\n", "\n")))
    return out


def files() -> dict[str, set[str]]:
    labels = json.loads((DATA / "files.json").read_text(encoding="utf-8"))
    return {name: set(rules) for name, rules in labels.items()}


def message(text: str) -> ParsedMessage:
    return ParsedMessage(
        headers=(("From", "Glow Aesthetics Clinic <reception@glowclinic.example>"),
                 ("To", "Someone <someone@example.net>")),
        subject="", sender="reception@glowclinic.example", recipients=("someone@example.net",),
        body_parts=(TextPart("body", text),), attachments=())


@pytest.fixture(scope="module")
def scanner(tmp_path_factory) -> PatientDataScanner:
    db = tmp_path_factory.mktemp("register") / "mailscreen.db"
    store = register.create(Store(f"sqlite:///{db}").create())
    register.import_csv(store, DATA / "register.csv")
    return PatientDataScanner(**CLINIC, register=register.Loader(store.url))


def high_rules(scanner, msg: ParsedMessage) -> set[str]:
    return {f.rule for f in scanner.scan(msg) if f.severity is Severity.HIGH}


def score(cases) -> tuple[dict[str, Counter], list[str]]:
    counts: dict[str, Counter] = {}
    errors = []
    for label, expected, found in cases:
        for rule in expected | found:
            c = counts.setdefault(rule, Counter())
            if rule in expected and rule in found:
                c["tp"] += 1
            elif rule in found:
                c["fp"] += 1
                errors.append(f"false alarm {rule}: {label}")
            else:
                c["fn"] += 1
                errors.append(f"missed {rule}: {label}")
    return counts, errors


def table(counts: dict[str, Counter]) -> str:
    lines = [f"{'rule':<26} {'tp':>4} {'fp':>4} {'fn':>4} {'precision':>9} {'recall':>7}"]
    total = Counter()
    for rule in sorted(counts):
        c = counts[rule]
        total.update(c)
        lines.append(_row(rule, c))
    lines.append(_row("all", total))
    return "\n".join(lines)


def _row(rule: str, c: Counter) -> str:
    return (f"{rule:<26} {c['tp']:>4} {c['fp']:>4} {c['fn']:>4} {precision(c):>9.3f} "
            f"{recall(c):>7.3f}")


def precision(c: Counter) -> float:
    return c["tp"] / (c["tp"] + c["fp"]) if c["tp"] + c["fp"] else 1.0


def recall(c: Counter) -> float:
    return c["tp"] / (c["tp"] + c["fn"]) if c["tp"] + c["fn"] else 1.0


def test_the_set_is_large_enough():
    assert len(texts()) >= 150
    assert len(files()) >= 20
    for name in files():
        assert (DATA / name).is_file(), name
    assert sum(1 for n in files() if n.endswith(".eml")) >= 20


def test_precision_and_recall_per_rule(scanner):
    cases = [(text[:70].replace("\n", " "), expected, high_rules(scanner, message(text)))
             for expected, text in texts()]
    for name, expected in files().items():
        cases.append((name, expected, high_rules(scanner, parse((DATA / name).read_bytes()))))
    counts, errors = score(cases)
    print("\n" + table(counts))
    total = Counter()
    for c in counts.values():
        total.update(c)
    failing = [rule for rule, c in counts.items()
               if recall(c) < MIN_RECALL or precision(c) < MIN_PRECISION]
    assert not failing and recall(total) >= MIN_RECALL and precision(total) >= MIN_PRECISION, \
        "\n".join([table(counts), *errors])
