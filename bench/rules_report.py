#!/usr/bin/env python3
"""Which rules and word-list entries earn their place, measured on writers they were not
written from (the leave-writers-out run of bench/generalise.py).

    .venv/bin/python bench/generalise.py --json lwo.json
    .venv/bin/python bench/rules_report.py lwo.json                 # per rule, per section
    .venv/bin/python bench/rules_report.py lwo.json --entries       # every failing entry
    .venv/bin/python bench/rules_report.py lwo.json --prune         # remove them (then re-measure)

A word-list entry *raises* its category (an insult, a medicine, a treatment) or *guards*
against it (an allowlisted clinical word, a quoting frame, a word that is never a name).
An entry's hit in a scored message counts:
  raise: right when the message breaches the entry's category; wrong when the message is
         clean and was held or tagged with a finding of that category, unless its writer
         labelled a sentence of it as quoting to report, answer or teach (the entry found
         the words; whether they were quoted is the quoting guard's to judge);
  guard: right when the message is clean and was not held; wrong when the message breaches
         the entry's category and was missed.
Other hits are neutral. Per rule id (from the findings), a finding is right in a message that
breaches its category and wrong in a clean message whose action it set.

The gate (issue 21): an entry with more wrong than right hits, and at least MIN_WRONG wrong
ones, goes (one wrong hit is one message, and several such entries carry POLICY.md's own
wording: a hedge that makes rumour borderline, "role" in a discriminatory job advert). Entries no scored writer ever triggered are listed as
"unmeasured" with their count per section: the corpus cannot speak for them either way
(slurs, Welsh, rare brands), and `--prune-unmeasured` removes them too.
"""
from __future__ import annotations

import argparse
import json
import sys
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from scanners import lexicon  # noqa: E402

DATA = ROOT / "scanners" / "data"
CATEGORY = {
    "language.txt": "language", "insults.txt": "language", "threats.txt": "language",
    "defamation.txt": "language", "conduct.txt": "language",
    "clinical_allowlist.txt": "language", "quoting.txt": "language",
    "claims.txt": "advertising", "pom.txt": "advertising", "pom_hints.txt": "advertising",
    "promo.txt": "advertising", "audience.txt": "advertising", "attribution.txt": "advertising",
    "patient_cues.txt": "patient_data", "patient_names.txt": "patient_data",
    "webmail.txt": "patient_data",
    "publishers.txt": "copyright", "stock.txt": "copyright", "filehosts.txt": "copyright",
}
GUARDS = {  # (file, kind); kind "*" for every entry of the file
    ("clinical_allowlist.txt", "*"), ("quoting.txt", "*"),
    ("patient_names.txt", "notname"), ("patient_names.txt", "brand"),
    ("patient_cues.txt", "staff"), ("patient_cues.txt", "employment"),
    ("patient_cues.txt", "role"), ("conduct.txt", "guard"), ("conduct.txt", "harm_guard"),
    ("defamation.txt", "hedge"), ("defamation.txt", "negate"),
    ("defamation.txt", "privileged"), ("defamation.txt", "authority"),
    ("insults.txt", "guard"), ("audience.txt", "professional"), ("audience.txt", "safety"),
    ("attribution.txt", "team"),
}


def entries(name: str) -> list[dict]:
    """Every entry line of a data file: its line number, text, kind and the keys the
    scanners' matchers report it by."""
    out = []
    for number, line in enumerate((DATA / name).read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        cols = [c.strip() for c in line.split("\t")]
        text = cols[0]
        kind = cols[2] if len(cols) > 2 else ""
        if text.startswith("re:"):
            keys = {text}
        else:
            keys = {lexicon.key(text), *lexicon._variants(text)}
            keys |= {lexicon.plural(k) for k in list(keys)}
            keys.discard("")
        guard = (name, "*") in GUARDS or (name, kind) in GUARDS
        out.append({"file": name, "line": number, "text": text, "kind": kind,
                    "keys": keys, "guard": guard, "right": 0, "wrong": 0, "hits": 0})
    return out


def judge_hit(e: dict, m: dict) -> str:
    category = CATEGORY.get(e["file"])
    breaches = category in m["categories"]
    clean = not m["categories"]
    fired = any(f["category"] == category for f in m["findings"])
    if not e["guard"]:
        if breaches:
            return "right"
        if clean and fired and m["action"] in ("hold", "tag") and not m.get("quotes"):
            return "wrong"
        return "neutral"
    if clean and m["action"] != "hold":
        return "right"
    if breaches and not m["right"]:
        return "wrong"
    return "neutral"


def measure(report: dict) -> tuple[list[dict], dict]:
    table = [e for name in sorted(CATEGORY) if (DATA / name).exists() for e in entries(name)]
    by_key: dict[tuple[str, str], list[dict]] = defaultdict(list)
    for e in table:
        for k in e["keys"]:
            by_key[(e["file"], k)].append(e)
    rules = defaultdict(Counter)
    for fold in report["folds"]:
        for rel, m in fold["messages"].items():
            seen = set()
            for hit in m.get("hits", []):
                source, _, key = hit.partition("\t")
                for e in by_key.get((source, key), []):
                    if id(e) in seen:
                        continue
                    seen.add(id(e))
                    e["hits"] += 1
                    verdict = judge_hit(e, m)
                    if verdict != "neutral":
                        e[verdict] += 1
            for rule, category in {(f["rule"], f["category"]) for f in m["findings"]}:
                r = rules[(category, rule)]
                r["fired"] += 1
                if category in m["categories"]:
                    r["right"] += 1
                elif not m["categories"] and m["action"] in ("hold", "tag") and any(
                        f["rule"] == rule and f["severity"] in ("high", "medium")
                        for f in m["findings"]):
                    r["wrong"] += 1
    return table, rules


# Vocabulary: medicine names, treatment and condition words, people's names, webmail
# providers. They are the context other rules weigh (a medicine *with* an offer, a name *with*
# a treatment); clean mail uses them more than violations do by design (hard negatives), so
# their hits say nothing about the entry itself. They are judged by ablation (remove a
# section, re-run bench/generalise.py), never pruned from raw hits.
VOCABULARY = {("pom.txt", "name"), ("pom.txt", "brand"), ("pom.txt", "class"),
              ("patient_cues.txt", "*"), ("patient_names.txt", "*"), ("webmail.txt", "*"),
              ("audience.txt", "professional"), ("audience.txt", "safety")}


def vocabulary(e: dict) -> bool:
    return (e["file"], "*") in VOCABULARY or (e["file"], e["kind"]) in VOCABULARY


MIN_WRONG = 2  # one wrong hit is one message: not enough to remove an entry on


def failing(e: dict) -> bool:
    return not vocabulary(e) and e["wrong"] >= MIN_WRONG and e["wrong"] > e["right"]


def prune(table: list[dict], unmeasured: bool) -> int:
    drop = defaultdict(set)
    for e in table:
        if failing(e) or (unmeasured and e["hits"] == 0):
            drop[e["file"]].add(e["line"])
    removed = 0
    for name, lines in drop.items():
        path = DATA / name
        kept = [line for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
                if n not in lines]
        path.write_text("\n".join(kept) + "\n", encoding="utf-8")
        removed += len(lines)
    return removed


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("report", type=Path, help="the JSON written by bench/generalise.py --json")
    ap.add_argument("--entries", action="store_true", help="list every failing entry")
    ap.add_argument("--prune", action="store_true", help="remove the failing entries")
    ap.add_argument("--prune-unmeasured", action="store_true",
                    help="also remove the entries no scored message ever matched")
    a = ap.parse_args(argv)
    report = json.loads(a.report.read_text())
    table, rules = measure(report)

    print(f"{'rule':44}{'fired':>7}{'right':>7}{'wrong':>7}")
    for (category, rule), c in sorted(rules.items(), key=lambda kv: (-kv[1]["wrong"], kv[0])):
        print(f"{category + '/' + rule:44}{c['fired']:7d}{c['right']:7d}{c['wrong']:7d}")
    print()
    sections = defaultdict(Counter)
    for e in table:
        s = sections[(e["file"], e["kind"] or "-")]
        s["entries"] += 1
        s["hit"] += e["hits"] > 0
        s["right"] += e["right"]
        s["wrong"] += e["wrong"]
        s["failing"] += failing(e)
    print(f"{'list section':40}{'entries':>8}{'hit':>6}{'right':>7}{'wrong':>7}{'failing':>8}")
    for (name, kind), s in sorted(sections.items()):
        role = "guard" if (name, "*") in GUARDS or (name, kind) in GUARDS else "raise"
        print(f"{name + ':' + kind + ' (' + role + ')':40}{s['entries']:8d}{s['hit']:6d}"
              f"{s['right']:7d}{s['wrong']:7d}{s['failing']:8d}")
    total = len(table)
    hit = sum(e["hits"] > 0 for e in table)
    bad = [e for e in table if failing(e)]
    print(f"\n{total} entries: {hit} matched on scored writers, {total - hit} unmeasured, "
          f"{len(bad)} failing (more wrong than right, or wrong with no right)")
    if a.entries:
        for e in sorted(bad, key=lambda e: (e["file"], e["line"])):
            print(f"  FAILING {e['file']}:{e['line']} {e['text']!r} ({e['kind']}, "
                  f"{'guard' if e['guard'] else 'raise'}): right {e['right']}, wrong {e['wrong']}")
    if a.prune or a.prune_unmeasured:
        n = prune(table, a.prune_unmeasured)
        print(f"removed {n} entries from {DATA}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
