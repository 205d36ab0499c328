#!/usr/bin/env python3
"""Score mailscreen on the labelled development set (../shared/devset): per group, recall on
the violating messages (right action and a finding in the labelled category) and false holds
on the clean ones, the same rule as the set's own score.py.

    .venv/bin/python bench/devset_score.py                 # runs `mailscreen scan --json`
    .venv/bin/python bench/devset_score.py out.jsonl       # or scores a saved run

The set is for finding what is not read or not judged; no rule is tuned to one message.
"""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEVSET = ROOT.parent / "shared" / "devset"
MAILSCREEN = str(Path(sys.executable).with_name("mailscreen"))


def results(saved: str | None) -> dict[str, dict]:
    if saved:
        lines = Path(saved).read_text().splitlines()
    else:
        files = sorted(str(p) for p in (DEVSET / "messages").glob("*.eml"))
        lines = subprocess.run([MAILSCREEN, "scan", "--json", *files], capture_output=True,
                               text=True, check=True).stdout.splitlines()
    return {Path(r["file"]).name: r for r in map(json.loads, lines)}


def main() -> None:
    labels = json.loads((DEVSET / "labels.json").read_text())
    got = results(sys.argv[1] if len(sys.argv) > 1 else None)
    groups: dict[str, list[int]] = {}  # group -> [right, total, held (clean only)]
    for name, label in sorted(labels.items()):
        group = name.split("-", 1)[0]
        r = got.get(name)
        action = r["action"] if r else "none"
        found = {f["category"] for f in r["findings"]} if r else set()
        right = action in label["accept"] and set(label["categories"]) <= found
        g = groups.setdefault(group, [0, 0, 0])
        g[0] += right
        g[1] += 1
        g[2] += group == "clean" and action == "hold"
    print("group   right/total   " + "clean held")
    for group, (right, total, held) in groups.items():
        extra = f"   false holds {held}/{total}" if group == "clean" else \
            f"   recall {right / total:.2f}"
        print(f"{group:<7} {right:>3}/{total:<3}{extra}")
    violating = [(g, v) for g, v in groups.items() if g != "clean"]
    right = sum(v[0] for _, v in violating)
    total = sum(v[1] for _, v in violating)
    print(f"recall {right / total:.2f} ({right}/{total} violating right), false holds "
          f"{groups.get('clean', [0, 0, 0])[2]}/{groups.get('clean', [0, 1, 0])[1]} clean")


if __name__ == "__main__":
    main()
