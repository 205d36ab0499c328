#!/usr/bin/env python3
"""Detection on writers the model and thresholds never learned from (leave-writers-out).

    .venv/bin/python bench/generalise.py                     # build the corpus, 4 folds
    .venv/bin/python bench/generalise.py --folds 5 --json out.json --wrong

The corpus (corpus/, built by corpus/build.py) is split by writer into k folds; the
development set is one more writer and always trains, never scores (it has been tuned on).
For each fold the sentence heads and their thresholds are trained on every other writer's
sentences (plus the project's own sentence files), and the whole default decision
(`mailscreen scan`'s parse, scanners and judge, default configuration, recipients from
To/Cc/Bcc) runs on the held writers' messages. A message is right when its action is one of
its `accept` and every category in `categories` has a finding (as bench/devset_score.py).

Printed per fold: recall per group (patient data, copyright, language, advertising,
attachment) and overall, and the share of clean mail held; then the mean and the WORST fold,
which is the figure to quote. --json keeps every message's verdict and the word-list entries
it matched (read by bench/rules_report.py).
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

GROUPS = {"pd": "patient_data", "cr": "copyright", "lg": "language", "ad": "advertising",
          "at": "attachment"}
TRAINING_ONLY = ("devset",)  # tuned on until it scored 1.00: trains, never scores


# ------------------------------------------------------------------------------- folds
def assign_folds(writers: list[str], k: int) -> list[list[str]]:
    """Writers dealt into k folds in the order of a hash of their names: fixed, and
    independent of when a writer joined."""
    order = sorted(writers, key=lambda w: hashlib.sha256(w.encode()).hexdigest())
    folds = [[] for _ in range(min(k, len(order)))]
    for i, w in enumerate(order):
        folds[i % len(folds)].append(w)
    return [sorted(f) for f in folds]


# ----------------------------------------------------------------------------- training
class CachedEncoder:
    """The sentence encoder with its embeddings kept by text, so each sentence of the
    corpus is embedded once for all folds (and across runs, in the build folder)."""

    def __init__(self, encoder, cache_path: Path):
        import numpy as np
        self.enc = encoder
        self.dim, self.backend, self.pooling = encoder.dim, encoder.backend, encoder.pooling
        self.path = cache_path
        self.cache: dict[str, "np.ndarray"] = {}
        if cache_path.exists():
            with np.load(cache_path, allow_pickle=False) as z:
                if z["vectors"].shape[1:] == (self.dim,) and str(z["backend"]) == self.backend.name:
                    self.cache = dict(zip(z["keys"].tolist(), z["vectors"]))

    @staticmethod
    def _key(text: str) -> str:
        return hashlib.sha1(text.encode("utf-8")).hexdigest()

    def embed(self, sentences: list[str]):
        import numpy as np
        missing = sorted({t for t in sentences if self._key(t) not in self.cache})
        if missing:
            for key, vec in zip(map(self._key, missing), self.enc.embed(missing)):
                self.cache[key] = vec
            keys = sorted(self.cache)
            np.savez(self.path, keys=np.array(keys),
                     vectors=np.stack([self.cache[k] for k in keys]),
                     backend=np.array(self.backend.name))
        if not sentences:
            return np.zeros((0, self.dim), dtype=np.float32)
        return np.stack([self.cache[self._key(t)] for t in sentences])


def train_fold(sentences: list[dict], held: set[str], encoder, out: Path,
               base_rows: list[dict] | None = None) -> None:
    """Heads for one fold: the project's own sentence files (`base_rows`) and every
    sentence of the writers not held out."""
    import numpy as np
    from corpus.build import kept_for_training
    from scanners.sentences import train as trainer
    rows = (trainer.corpus() if base_rows is None else base_rows) + \
        [s for s in sentences if s["writer"] not in held and
         (s["writer"] in TRAINING_ONLY or kept_for_training(s["text"], s["label"]))]
    heads = trainer.train(encoder=encoder, rows=rows)
    np.savez_compressed(out, **heads)


# ------------------------------------------------------------------------------ workers
def _install_trace(hits: set):
    """Record every word-list entry the scanners match (file, entry) into `hits`. Runs in the
    bench's worker only; the product's matcher is not changed."""
    from scanners import lexicon

    find = lexicon.Matcher.find

    def traced_find(self, view):
        for hit in find(self, view):
            hits.add((hit.source, hit.entry))
            yield hit

    search = lexicon.Table.search
    sources = {}

    def traced_search(self, text, *labels):
        name = sources.get(id(self), "?")
        for m, severity, label in search(self, text, *labels):
            pattern = next((p.pattern for p, _, lab in self.patterns
                            if lab == label and p.search(m.group(0))), "")
            hits.add((name, "re:" + pattern))
            yield m, severity, label

    table = lexicon.table

    def traced_table(name):
        t = table(name)
        sources[id(t)] = name
        return t

    class TracedSet(frozenset):
        source = ""

        def __contains__(self, item):
            found = frozenset.__contains__(self, item)
            if found:
                hits.add((self.source, item))
            return found

    words = lexicon.words

    def traced_words(name, *labels):
        s = TracedSet(words(name, *labels))
        s.source = name
        return s

    lexicon.Matcher.find = traced_find
    lexicon.Table.search = traced_search
    lexicon.table = traced_table
    lexicon.words = traced_words


def worker(heads: str, files: list[str], out: str) -> None:
    """Screen `files` with the default configuration and the given heads; one JSON line each."""
    hits: set = set()
    _install_trace(hits)
    from gateway.app import sandbox_config
    from gateway.config import load_config
    from gateway.decision.judge import OfflineEnvelope, judge
    from gateway.pipeline import examine
    from scanners import registry
    from scanners.sentences import load
    from scanners.sentences import model as sentence_model

    settings = load_config(None)
    cfg = sandbox_config(settings)
    fold_model = load(Path(heads) if heads else None)  # "" = the committed heads
    sentence_model.shared = lambda: fold_model  # every reader of sentences gets the fold's
    options = {name: dict(kw) for name, kw in cfg.scanner_options.items()}
    scanners = registry.build(cfg.scanners, options)
    with open(out, "w", encoding="utf-8") as f:
        for path in files:
            hits.clear()
            started = time.process_time()
            raw = Path(path).read_bytes()
            result = examine(raw, scanners, cfg.limits, cfg.max_header_size)
            envelope = OfflineEnvelope(result.sender,
                                       list(dict.fromkeys(result.recipients + result.bcc)))
            verdict = judge(result, envelope, settings, None, path)
            f.write(json.dumps({
                "file": path, "action": str(verdict.action),
                "findings": [{"category": x.category, "rule": x.rule,
                              "severity": str(x.severity)} for x in verdict.findings],
                "hits": sorted(f"{s}\t{e}" for s, e in hits),
                "cpu": round(time.process_time() - started, 3)}) + "\n")


def scan_parallel(heads: str, files: list[str], jobs: int) -> dict[str, dict]:
    shards = [files[i::jobs] for i in range(jobs) if files[i::jobs]]
    with tempfile.TemporaryDirectory() as tmp:
        procs = []
        for i, shard in enumerate(shards):
            listing = Path(tmp) / f"files{i}.json"
            listing.write_text(json.dumps(shard))
            out = Path(tmp) / f"out{i}.jsonl"
            procs.append((subprocess.Popen(
                [sys.executable, __file__, "--worker", heads or "", str(listing), str(out)],
                env={**os.environ, "OMP_NUM_THREADS": "1"}), out))
        results = {}
        for proc, out in procs:
            if proc.wait() != 0:
                raise SystemExit(f"a scan worker failed ({proc.returncode})")
            for line in out.read_text().splitlines():
                r = json.loads(line)
                results[r["file"]] = r
    return results


# ---------------------------------------------------------------------------- calibration
BINS = (0.5, 0.7, 0.9, 1.01)


def calibration(heads: str, sentences: list[dict], encoder) -> dict:
    """How the heads of a fold read the held writers' own sentences: per band of the
    strongest group score, how many sentences and how many of them really are harmful (a
    calibrated 0.9 is harmful about nine times in ten), and per group the share caught at
    the strict and the recall thresholds with the share of benign sentences flagged."""
    import numpy as np
    from scanners.sentences.model import GROUP_LABELS, GROUPS, HARMFUL, group_scores, load
    model = load(Path(heads) if heads else None)
    if model is None or not sentences:
        return {}
    if encoder is not None:
        model.encoder = encoder
    texts = [s["text"] for s in sentences]
    probs = model.score(texts)
    top = group_scores(probs).max(axis=1)
    harmful = np.array([s["label"] in HARMFUL for s in sentences])
    bands = []
    for lo, hi in zip(BINS, BINS[1:]):
        idx = (top >= lo) & (top < hi)
        bands.append({"from": lo, "to": min(hi, 1.0), "n": int(idx.sum()),
                      "harmful": float(harmful[idx].mean()) if idx.any() else None})
    groups = {}
    for recall in (False, True):
        decided = [lab for lab, _ in model.decide(probs, recall)]
        flagged = np.array([lab in HARMFUL for lab in decided])
        benign = np.array([s["label"] == "benign" for s in sentences])
        for g in GROUPS:
            rows = [i for i, s in enumerate(sentences) if s["label"] in GROUP_LABELS[g]]
            caught = sum(decided[i] in GROUP_LABELS[g] for i in rows)
            groups.setdefault(g, {})["recall" if recall else "strict"] = \
                caught / len(rows) if rows else None
        groups.setdefault("benign flagged", {})["recall" if recall else "strict"] = \
            float(flagged[benign].mean()) if benign.any() else None
    return {"bands": bands, "groups": groups}


def calibration_table(folds: list[dict]) -> str:
    lines = ["sentence heads on the held writers' sentences: share really harmful by score band"]
    lines.append(f"{'fold':<6}" + "".join(f"{f'{lo:.1f}-{min(hi, 1):.1f}':>16}"
                                          for lo, hi in zip(BINS, BINS[1:])))
    for i, f in enumerate(folds):
        c = f.get("calibration") or {}
        cells = [f"{b['harmful']:.2f} of {b['n']:>5}" if b["harmful"] is not None else "-"
                 for b in c.get("bands", [])]
        lines.append(f"{i + 1:<6}" + "".join(f"{x:>16}" for x in cells))
    lines.append("caught per group, strict / recall thresholds (benign: share flagged)")
    for i, f in enumerate(folds):
        c = f.get("calibration") or {}
        lines.append(f"{i + 1:<6}" + "  ".join(
            f"{g} {_fmt(v.get('strict')).strip()}/{_fmt(v.get('recall')).strip()}"
            for g, v in c.get("groups", {}).items()))
    return "\n".join(lines)


# ------------------------------------------------------------------------------ scoring
def is_right(result: dict, label: dict) -> bool:
    found = {f["category"] for f in result["findings"]}
    return result["action"] in label["accept"] and all(c in found for c in label["categories"])


def group_of(rel: str, label: dict) -> str:
    if not label["categories"]:
        return "clean"
    return next((g for g, c in GROUPS.items() if c == label["categories"][0]), "other")


def score(results: dict[str, dict], labels: dict[str, dict]) -> dict:
    per = defaultdict(lambda: [0, 0])
    clean_held = defaultdict(int)
    clean_tagged = 0
    for rel, label in labels.items():
        r = results[rel]
        g = group_of(rel, label)
        per[g][0] += is_right(r, label)
        per[g][1] += 1
        if g == "clean" and r["action"] == "tag":
            clean_tagged += 1
        if g == "clean" and r["action"] == "hold":
            for c in sorted({f["category"] for f in r["findings"]
                             if f["severity"] == "high"} or {"other"}):
                clean_held[c] += 1
            clean_held["all"] += 1
    violating = [g for g in GROUPS if per[g][1]]
    right = sum(per[g][0] for g in violating)
    total = sum(per[g][1] for g in violating)
    return {"groups": {g: {"right": per[g][0], "of": per[g][1],
                           "recall": per[g][0] / per[g][1] if per[g][1] else None}
                       for g in GROUPS},
            "recall": right / total if total else None, "violating": total,
            "clean": per["clean"][1], "clean_held": clean_held["all"],
            "clean_held_share": clean_held["all"] / per["clean"][1] if per["clean"][1] else None,
            "clean_held_by_category": {k: v for k, v in clean_held.items() if k != "all"},
            "clean_tagged": clean_tagged}


def _fmt(x, pct=False):
    if x is None:
        return "   -  "
    return f"{x:6.1%}" if pct else f"{x:6.2f}"


def table(folds: list[dict]) -> str:
    head = f"{'fold':<6}{'writers':>8}{'msgs':>6}" + "".join(f"{g:>7}" for g in GROUPS) + \
        f"{'recall':>8}{'clean held':>12}{'tagged':>14}"
    lines = [head]
    for i, f in enumerate(folds):
        s = f["score"]
        lines.append(f"{i + 1:<6}{len(f['writers']):>8}{s['violating'] + s['clean']:>6}"
                     + "".join(" " + _fmt(s["groups"][g]["recall"]) for g in GROUPS)
                     + f"  {_fmt(s['recall'])}  {_fmt(s['clean_held_share'], True)} "
                     f"({s['clean_held']}/{s['clean']})"
                     f"  {s['clean_tagged'] / max(s['clean'], 1):6.1%}")

    def col(key):
        return [f["score"]["groups"][key]["recall"] for f in folds
                if f["score"]["groups"][key]["recall"] is not None]
    recalls = [f["score"]["recall"] for f in folds if f["score"]["recall"] is not None]
    held = [f["score"]["clean_held_share"] for f in folds
            if f["score"]["clean_held_share"] is not None]
    mean = lambda xs: sum(xs) / len(xs) if xs else None  # noqa: E731
    lines.append(f"{'mean':<20}" + "".join(" " + _fmt(mean(col(g))) for g in GROUPS)
                 + f"  {_fmt(mean(recalls))}  {_fmt(mean(held), True)}")
    lines.append(f"{'WORST':<20}" + "".join(" " + _fmt(min(col(g), default=None)) for g in GROUPS)
                 + f"  {_fmt(min(recalls, default=None))}  {_fmt(max(held, default=None), True)}")
    return "\n".join(lines)


# --------------------------------------------------------------------------------- main
def run(build_dir: Path, k: int, jobs: int, train: bool = True,
        writers: list[str] | None = None, log=print, base_rows: list[dict] | None = None,
        only_folds: list[int] | None = None, calibrate: bool = True,
        reuse_heads: bool = False) -> dict:
    from scanners.sentences.model import load_encoder
    labels_all = json.loads((build_dir / "labels.json").read_text())
    sentences = [json.loads(line) for line in
                 (build_dir / "sentences.jsonl").read_text(encoding="utf-8").splitlines()]
    scored = sorted({v["writer"] for v in labels_all.values()} - set(TRAINING_ONLY))
    if writers:
        scored = [w for w in scored if w in writers]
    folds = assign_folds(scored, k)
    encoder = None
    if train or calibrate:
        base = load_encoder()
        if base is None:
            raise SystemExit("the sentence encoder is not installed")
        encoder = CachedEncoder(base, build_dir / "embeddings.npz")
    out = []
    for i, held in enumerate(folds):
        if only_folds and i + 1 not in only_folds:
            continue
        started = time.monotonic()
        heads = ""
        if train:
            heads = str(build_dir / f"heads-fold{i + 1}.npz")
            if not (reuse_heads and Path(heads).exists()):
                train_fold(sentences, set(held), encoder, Path(heads), base_rows)
        trained = time.monotonic()
        labels = {rel: v for rel, v in labels_all.items() if v["writer"] in held}
        quoting = {s["message"] for s in sentences if s["label"] == "quoted_report"}
        files = {str(build_dir / rel): rel for rel in labels}
        results = {files[p]: r for p, r in scan_parallel(heads, sorted(files), jobs).items()}
        s = score(results, labels)
        calib = calibration(heads, [x for x in sentences if x["writer"] in held],
                            encoder) if calibrate else {}
        log(f"fold {i + 1}/{len(folds)} ({', '.join(held)}): trained in "
            f"{trained - started:.0f} s, scanned {len(files)} in {time.monotonic() - trained:.0f} s;"
            f" recall {_fmt(s['recall'])}, clean held {s['clean_held']}/{s['clean']}")
        out.append({"writers": held, "score": s, "calibration": calib,
                    "messages": {rel: {**labels[rel], **{k_: results[rel][k_] for k_ in
                                       ("action", "findings", "hits", "cpu")},
                                       "right": is_right(results[rel], labels[rel]),
                                       "quotes": rel in quoting}
                                 for rel in sorted(labels)}})
    return {"folds": out, "table": table(out) + ("\n\n" + calibration_table(out)
                                                 if calibrate else "")}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--build", type=Path, default=ROOT / "corpus" / "build",
                    help="the built corpus (default corpus/build; built when absent)")
    ap.add_argument("--rebuild", action="store_true", help="build the corpus first")
    ap.add_argument("--folds", type=int, default=4)
    ap.add_argument("--jobs", type=int, default=max(1, min(4, os.cpu_count() or 1)))
    ap.add_argument("--no-train", action="store_true",
                    help="score with the committed heads (only the word lists and thresholds "
                         "as shipped: NOT a leave-writers-out figure for the model)")
    ap.add_argument("--reuse-heads", action="store_true",
                    help="score with the fold heads an earlier run trained (corpus/build/"
                         "heads-foldN.npz) where present: for changes outside the sentence "
                         "model and its training data")
    ap.add_argument("--writers", help="comma-separated: only these writers are scored")
    ap.add_argument("--json", type=Path, help="write every fold and message here")
    ap.add_argument("--wrong", action="store_true", help="list every wrong message")
    ap.add_argument("--no-calibration", action="store_true",
                    help="skip the sentence-level calibration table")
    ap.add_argument("--worker", nargs=3, help=argparse.SUPPRESS)
    a = ap.parse_args(argv)
    if a.worker:
        heads, listing, out = a.worker
        worker(heads, json.loads(Path(listing).read_text()), out)
        return 0
    if a.rebuild or not (a.build / "labels.json").exists():
        from corpus.build import build
        build(a.build, strict=False)
    report = run(a.build, a.folds, a.jobs, train=not a.no_train,
                 writers=a.writers.split(",") if a.writers else None,
                 calibrate=not a.no_calibration, reuse_heads=a.reuse_heads,
                 log=lambda m: print(m, file=sys.stderr))
    print(report["table"])
    if a.wrong:
        for fold in report["folds"]:
            for rel, m in fold["messages"].items():
                if not m["right"]:
                    found = sorted({f["category"] for f in m["findings"]})
                    print(f"  WRONG {rel}: {m['action']} (accept {m['accept']}, needs "
                          f"{m['categories']}, found {found}) {m['note']}")
    if a.json:
        a.json.write_text(json.dumps(report, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
