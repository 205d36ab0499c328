"""The sentence model's budget and accuracy: `python bench/sentence_bench.py [--backend NAME]
[--heads PATH] [--runs N]`.

Prints, as Markdown tables to paste into the README:
- load time (network + tokenizer + heads) and ms per sentence (one thread; median of N runs
  over the HOLDOUT sentences, scored 40 at a time as a message's cap would, and one at a time);
- per-class precision and recall on the HOLDOUT half of ../shared/devset/sentences.jsonl
  (never seen in training), for the strict and the recall thresholds; "caught" counts a
  sentence of a harmful class flagged with any harmful label of the same scanner category;
- the false-alarm rate on HOLDOUT benign and quoted_report sentences (flagged with any
  harmful label).
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from scanners.sentences.model import (CATEGORY, HARMFUL, HEADS, LABELS, SentenceModel,  # noqa: E402
                                      load_encoder)
from scanners.sentences.train import devset_split  # noqa: E402


def timed_load(backend: str, heads: Path):
    t = time.perf_counter()
    with np.load(heads, allow_pickle=False) as z:
        pooling = str(z["pooling"]) if "pooling" in z.files else "mean"
        enc = load_encoder(backend, pooling)
        model = SentenceModel(enc, {k: z[k] for k in z.files
                                    if k not in ("labels", "backend", "pooling")})
    model.score(["warm up"])
    return model, (time.perf_counter() - t) * 1000


def speed(model: SentenceModel, texts: list[str], runs: int, batch: int) -> float:
    per = []
    for _ in range(runs):
        t = time.process_time()
        for i in range(0, len(texts), batch):
            model.score(texts[i:i + batch])
        per.append((time.process_time() - t) * 1000 / len(texts))
    return statistics.median(per)


def table(model: SentenceModel, rows: list[dict], probs: np.ndarray, recall: bool) -> str:
    pred = [lab for lab, _ in model.decide(probs, recall)]
    gold = [r["label"] for r in rows]
    out = ["| class | n | threshold | precision | recall | caught (same scanner) |",
           "|---|---:|---:|---:|---:|---:|"]
    thr = model.thresholds_recall if recall else model.thresholds
    caught_all = n_all = 0
    for c, lab in enumerate(LABELS):
        n = sum(g == lab for g in gold)
        tp = sum(p == lab and g == lab for p, g in zip(pred, gold))
        fp = sum(p == lab and g != lab for p, g in zip(pred, gold))
        prec = f"{tp / (tp + fp):.2f}" if tp + fp else "-"
        caught = ""
        if lab in HARMFUL:
            k = sum(g == lab and p in HARMFUL and CATEGORY[p] == CATEGORY[lab]
                    for p, g in zip(pred, gold))
            caught = f"{k / n:.2f}"
            caught_all += k
            n_all += n
        out.append(f"| {lab} | {n} | {'-' if c == 0 else f'{thr[c]:.3f}'} | {prec} | "
                   f"{tp / n:.2f} | {caught} |")
    flagged = [p in HARMFUL for p in pred]
    for lab in ("benign", "quoted_report"):
        idx = [i for i, g in enumerate(gold) if g == lab]
        k = sum(flagged[i] for i in idx)
        out.append(f"| **false alarms on {lab}** | {len(idx)} | | | | "
                   f"{k}/{len(idx)} = {k / len(idx):.1%} |")
    out.append(f"| **all harmful classes** | {n_all} | | | | {caught_all / n_all:.2f} |")
    return "\n".join(out)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--backend", default=None)
    ap.add_argument("--heads", type=Path, default=HEADS)
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args()
    split = devset_split()
    if split is None:
        raise SystemExit("../shared/devset/sentences.jsonl is absent: nothing to measure")
    holdout = split[1]
    with np.load(args.heads, allow_pickle=False) as z:
        backend = args.backend or str(z["backend"])
    model, load_ms = timed_load(backend, args.heads)
    texts = [r["text"] for r in holdout]
    ms40 = speed(model, texts, args.runs, 40)
    ms1 = speed(model, texts[:200], max(1, args.runs // 2), 1)
    probs = model.score(texts)
    print(f"## Sentence model: {backend}, heads {args.heads.name}\n")
    print("| load | ms/sentence (40 at a time) | ms/sentence (one at a time) | HOLDOUT sentences |")
    print("|---:|---:|---:|---:|")
    print(f"| {load_ms:.0f} ms | {ms40:.2f} | {ms1:.2f} | {len(texts)} |\n")
    print("CPU time, one onnxruntime thread, median of runs.\n")
    print("### HOLDOUT, strict thresholds (what a hold may rest on, with corroboration)\n")
    print(table(model, holdout, probs, recall=False))
    print("\n### HOLDOUT, recall thresholds (what a tag may rest on)\n")
    print(table(model, holdout, probs, recall=True))


if __name__ == "__main__":
    main()
