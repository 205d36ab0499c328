"""Whether two versions of the code find the same things in the same mail:
`python bench/same_findings.py --old DIR --new DIR FOLDER...`.

Runs `mailscreen scan --json` over every .eml file under the FOLDERs once with the code of
--old on PYTHONPATH and once with that of --new (e.g. main's checkout and a branch's
worktree), and compares each file's action and findings (category, rule, severity, where,
evidence, addressee, tags) exactly. Prints only counts and, for a file that differs, its
path and the rule ids that differ, never the evidence: the corpora are held-out data, to
run over and not to read. Exits 1 if any file differs. `--cache DIR` keeps each side's
output, keyed by the code folder and the file list, and reuses it: give it fixed snapshots
(`git archive COMMIT | tar -x -C DIR`), so that a side is scanned once.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

CHUNK = 200  # files per `mailscreen scan` run (one scan process each)


def scan(code: Path, files: list[Path], out: Path) -> None:
    env = dict(os.environ, PYTHONPATH=str(code))
    env.pop("MAILSCREEN_CONFIG", None)
    mailscreen = Path(sys.executable).with_name("mailscreen")
    with open(out, "w") as sink, tempfile.TemporaryDirectory() as cwd:
        for i in range(0, len(files), CHUNK):
            run = subprocess.run([str(mailscreen), "scan", "--json",
                                  *map(str, files[i:i + CHUNK])],
                                 cwd=cwd, env=env, stdout=subprocess.PIPE,
                                 stderr=subprocess.DEVNULL, text=True)
            if run.returncode not in (0, 1) or not run.stdout.strip():
                sys.exit(f"mailscreen scan failed with {code} (exit {run.returncode})")
            sink.write(run.stdout)


def read(path: Path) -> dict[str, dict]:
    out = {}
    for line in path.read_text().splitlines():
        d = json.loads(line)
        out[d["file"]] = {"action": d["action"], "findings": d["findings"],
                          "notes": d.get("notes", []), "error": d.get("error", "")}
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--old", type=Path, required=True, help="code folder of the reference")
    ap.add_argument("--new", type=Path, required=True, help="code folder to check")
    ap.add_argument("--cache", type=Path, help="keep each side's output here")
    ap.add_argument("folders", type=Path, nargs="+")
    args = ap.parse_args()
    files = sorted(p.resolve() for folder in args.folders for p in folder.rglob("*.eml"))
    listing = hashlib.sha256("\n".join(map(str, files)).encode()).hexdigest()[:12]
    results = []
    for code in (args.old, args.new):
        if args.cache:
            args.cache.mkdir(parents=True, exist_ok=True)
            tag = hashlib.sha256(str(code.resolve()).encode()).hexdigest()[:12]
            out = args.cache / f"{tag}-{listing}.jsonl"
        else:
            out = Path(tempfile.mkstemp(suffix=".jsonl")[1])
        if not (args.cache and out.exists()):
            scan(code.resolve(), files, out)
        results.append(read(out))
    old, new = results
    differ = 0
    for f in sorted(set(old) | set(new)):
        a, b = old.get(f), new.get(f)
        if a != b:
            differ += 1
            rules = lambda r: sorted(x["rule"] for x in r["findings"]) if r else None  # noqa: E731
            print(f"differs: {f}: {a and a['action']} {rules(a)} -> "
                  f"{b and b['action']} {rules(b)}")
    findings = sum(len(r["findings"]) for r in old.values())
    print(f"{len(files)} files, {len(old)} scanned by old and {len(new)} by new, "
          f"{findings} findings in old; {differ} differ")
    sys.exit(1 if differ or len(old) != len(files) else 0)


if __name__ == "__main__":
    main()
