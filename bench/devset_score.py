#!/usr/bin/env python3
"""Detection on the development set written outside the team (../shared/devset): runs
`mailscreen scan --json` over its messages with the built-in default configuration (or
--config) and reports, per group, recall on the violating messages (right action and every
required category found) and the share of clean messages held.

    .venv/bin/python bench/devset_score.py                 # table for the README
    .venv/bin/python bench/devset_score.py --wrong         # also every wrong case
    .venv/bin/python bench/devset_score.py --json out.json # figures as JSON

The dev set finds what is not read or not judged yet; fixes go to the cause (a kind of
content, a context, a class of wording) and are tested with the project's own examples,
never with the dev set's text.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from harness import SHARED, mailscreen_command  # noqa: E402

DEVSET = SHARED / "devset"
GROUPS = ("pd", "cr", "lg", "ad", "at")


def scan(files: list[Path], config: str | None) -> dict[str, dict]:
    cmd = [mailscreen_command(), "scan", "--json", *map(str, files)]
    if config:
        cmd[2:2] = ["--config", config]
    env = {k: v for k, v in os.environ.items() if k != "MAILSCREEN_CONFIG"}
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=3600)
    out = {}
    for line in proc.stdout.splitlines():
        if line.startswith("{"):
            r = json.loads(line)
            out[Path(r["file"]).name] = r
    if len(out) != len(files):
        sys.exit(f"scan gave {len(out)} results for {len(files)} files:\n{proc.stderr[-3000:]}")
    return out


def score(results: dict[str, dict], labels: dict[str, dict]) -> dict:
    groups: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    wrong = []
    clean_held = 0
    for name, label in sorted(labels.items()):
        r = results[name]
        group = name.split("-")[0]
        categories = {f["category"] for f in r["findings"]}
        right = r["action"] in label["accept"] and all(c in categories for c in label["categories"])
        if group == "clean":
            clean_held += r["action"] == "hold"
        groups[group][0] += right
        groups[group][1] += 1
        if not right:
            wrong.append({"file": name, "action": r["action"], "accept": label["accept"],
                          "needs": label["categories"], "found": sorted(categories)})
    violating = [g for g in GROUPS if g in groups]
    right = sum(groups[g][0] for g in violating)
    total = sum(groups[g][1] for g in violating)
    return {"groups": {g: {"right": groups[g][0], "of": groups[g][1]} for g in groups},
            "recall": right / total if total else 0.0, "violating_right": right,
            "violating": total, "clean_held": clean_held, "clean": groups["clean"][1],
            "wrong": wrong}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--config", help="a mailscreen.toml (default: built-in defaults)")
    ap.add_argument("--wrong", action="store_true", help="list every wrong case")
    ap.add_argument("--json", help="write the figures to this file")
    a = ap.parse_args()
    if not DEVSET.is_dir():
        sys.exit(f"no development set at {DEVSET} (../shared beside the clone)")
    labels = json.loads((DEVSET / "labels.json").read_text())
    files = [DEVSET / "messages" / name for name in sorted(labels)]
    figures = score(scan(files, a.config), labels)
    print("| group | right | of | share |\n|---|---|---|---|")
    for group in GROUPS:
        g = figures["groups"].get(group)
        if g:
            print(f"| {group}- (violating) | {g['right']} | {g['of']} | {g['right'] / g['of']:.2f} |")
    c = figures["groups"]["clean"]
    print(f"| clean- (right: pass or tag) | {c['right']} | {c['of']} | {c['right'] / c['of']:.2f} |")
    print(f"\nrecall on violating messages {figures['recall']:.3f} "
          f"({figures['violating_right']}/{figures['violating']}); clean messages held "
          f"{figures['clean_held']}/{figures['clean']} "
          f"({figures['clean_held'] / max(figures['clean'], 1):.1%})")
    if a.wrong:
        for w in figures["wrong"]:
            print(f"  wrong: {w['file']}: {w['action']} (accept {'/'.join(w['accept'])}), "
                  f"needs {w['needs']}, found {w['found']}")
    if a.json:
        Path(a.json).write_text(json.dumps(figures, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
