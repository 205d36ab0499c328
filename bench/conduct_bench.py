"""Throughput of the language and advertising scanners, and the classifier's share of it.

What it measures
    Two corpora of clinic-like messages, --mb MB each, messages of about --kb KB:
    dense   the evaluation set (tests/data/conduct_eval/sentences.tsv) and the clean sample
            mails' paragraphs: about one paragraph in 20 is offensive or promotional, the
            rest the set's hard clean sentences (toxin doses, Botox aftercare), so lists
            match every couple of hundred bytes
    plain   the clean sample mails' paragraphs only (reminders, invoices, rotas, orders)
    In both, 30% of messages are replies quoting half their text and 20% carry
    List-Unsubscribe. Messages are ParsedMessage objects built directly, so parsing is not
    timed; only the scanners are.

    matching         the shared views (quoted split, flattening) and one Aho-Corasick pass
                     of every list per segment, plus the symbol-disguise search: the
                     lexicon cost before any rule logic ("one long text": the same on the
                     plain corpus joined into one string, without per-message costs)
    lexicon path     language scanner without the classifier + advertising scanner, sharing
                     the per-message views (scanners/text.py), as the gateway runs them
    language         language scanner alone, lexicon only
    advertising      advertising scanner alone
    full             language with the classifier + advertising; the classifier's share is
                     the time spent inside it over the whole

    Before each message the views cache is cleared, so every figure includes building the
    views (quoted split, flattening, disguised-word search). MB/s is body bytes (UTF-8)
    divided by wall time. Each figure is the median of --runs runs, with the best run beside
    it: on a shared machine other work only ever slows a run down.

How to run
    .venv/bin/python bench/conduct_bench.py                 # 4 MB each, 8 KB messages, 5 runs
    .venv/bin/python bench/conduct_bench.py --mb 1 --runs 3
    .venv/bin/python bench/conduct_bench.py --json
"""
from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from gateway.content.parse import parse  # noqa: E402
from scanners import classifier, text  # noqa: E402
from scanners.advertising import AdvertisingScanner  # noqa: E402
from scanners.base import ParsedMessage, TextPart  # noqa: E402
from scanners.language import LanguageScanner  # noqa: E402

SENTENCES = ROOT / "tests" / "data" / "conduct_eval" / "sentences.tsv"
SAMPLES = ROOT / "sample_mail"


def corpus(total_mb: float, kb: int, kind: str = "dense", seed: int = 5) -> list[ParsedMessage]:
    rng = random.Random(seed)
    clean, flagged = [], []
    for line in SENTENCES.read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            labels, _, sentence = line.split("\t")
            (clean if labels == "-" else flagged).append(sentence.replace("\\n", "\n"))
    clean_samples = []
    for path in sorted(SAMPLES.glob("clean_*.eml")):
        for part in parse(path.read_bytes()).body_parts:
            if part.content_type == "text/plain":
                clean_samples.extend(p for p in part.text.split("\n\n") if p.strip())
    clean += clean_samples
    if kind == "plain":  # ordinary clinic mail: the clean sample mails' paragraphs only
        pieces = clean_samples
    else:  # about 1 piece in 20 offensive or promotional, the rest hard clean sentences
        pieces = clean * 19 + flagged
    messages, size = [], 0
    while size < total_mb * 1e6:
        body, n = [], 0
        while n < kb * 1000:
            piece = rng.choice(pieces)
            body.append(piece)
            n += len(piece.encode()) + 2
        if rng.random() < 0.3:  # a reply: the second half quoted
            half = len(body) // 2
            body = body[:half] + ["On Mon, 17 Jun 2024, Sam <sam@example.com> wrote:"] + \
                ["> " + p.replace("\n", "\n> ") for p in body[half:]]
        body_text = "\n\n".join(body)
        headers = (("From", "Glow <news@glowclinic.example>"), ("To", "sam@example.com"))
        if rng.random() < 0.2:
            headers += (("List-Unsubscribe", "<mailto:news@glowclinic.example>"),)
        messages.append(ParsedMessage(headers=headers, subject="Following up",
                                      sender="news@glowclinic.example",
                                      recipients=("sam@example.com",),
                                      body_parts=(TextPart("body", body_text),),
                                      attachments=()))
        size += len(body_text.encode())
    return messages


def matching(messages) -> float:
    """The shared views and one pass of every list: what the lexicons cost before rules."""
    started = time.perf_counter()
    for msg in messages:
        for seg in text.build(msg).segments:
            seg.hits("language.txt")
            seg.disguised
    return time.perf_counter() - started


def timed(messages, scanners) -> float:
    started = time.perf_counter()
    for msg in messages:
        views = text.build(msg)
        for scanner in scanners:
            for _ in scanner.scan(msg, views):
                pass
    return time.perf_counter() - started


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--mb", type=float, default=4.0, help="corpus size in MB (default 4)")
    ap.add_argument("--kb", type=int, default=8, help="body size of one message in KB (default 8)")
    ap.add_argument("--runs", type=int, default=5, help="runs per figure; the median is shown")
    ap.add_argument("--json", action="store_true", help="print one JSON object")
    args = ap.parse_args()

    if not classifier.available():
        print("the classifier (alt-profanity-check) is not installed", file=sys.stderr)
        return 1
    lexicon_only, advertising = LanguageScanner(use_classifier=False), AdvertisingScanner()
    result = {"runs": args.runs, "kb": args.kb}
    # the matching layer alone on one long text, as a plain lexicon benchmark would time it
    long_text = "\n\n".join(m.body_parts[0].text for m in corpus(args.mb, args.kb, "plain"))
    seconds = []
    for _ in range(args.runs):
        started = time.perf_counter()
        text.Segment("body", long_text, False, "body").hits("language.txt")
        seconds.append(time.perf_counter() - started)
    result["one_text_matching_mb_per_s"] = round(len(long_text.encode()) / 1e6
                                                 / statistics.median(seconds), 1)
    result["one_text_matching_best_mb_per_s"] = round(len(long_text.encode()) / 1e6
                                                      / min(seconds), 1)
    for kind in ("dense", "plain"):
        messages = corpus(args.mb, args.kb, kind)
        mb = sum(len(m.body_parts[0].text.encode()) for m in messages) / 1e6
        timed(messages[:5], [LanguageScanner(), advertising])  # load lists and model once
        figures: dict[str, list[float]] = {k: [] for k in (
            "matching", "lexicon path", "language", "advertising", "full")}
        shares = []
        for _ in range(args.runs):
            figures["matching"].append(matching(messages))
            figures["lexicon path"].append(timed(messages, [lexicon_only, advertising]))
            figures["language"].append(timed(messages, [lexicon_only]))
            figures["advertising"].append(timed(messages, [advertising]))
            full = LanguageScanner()
            seconds = timed(messages, [full, advertising])
            figures["full"].append(seconds)
            shares.append(full.classifier_seconds / seconds)
        result[kind] = {"corpus_mb": round(mb, 2), "messages": len(messages),
                        "mb_per_s": {k: round(mb / statistics.median(v), 1)
                                     for k, v in figures.items()},
                        "best_mb_per_s": {k: round(mb / min(v), 1) for k, v in figures.items()},
                        "classifier_share": round(statistics.median(shares), 3)}
    if args.json:
        print(json.dumps(result))
        return 0
    labels = {"matching": "views + list matching only", "lexicon path": "lexicon path (both scanners)",
              "language": "language, lexicon only", "advertising": "advertising",
              "full": "full (with classifier)"}
    load = os.getloadavg()[0]
    print(f"median of {args.runs} runs, messages of ~{args.kb} KB; MB/s "
          f"(load average {load:.1f} on {os.cpu_count()} CPUs at the end: other work skews it)")
    print(f"{'':<32}{'dense':>14}{'plain':>14}   median (best run)")
    for k, label in labels.items():
        cells = [f"{result[c]['mb_per_s'][k]} ({result[c]['best_mb_per_s'][k]})"
                 for c in ("dense", "plain")]
        print(f"{label:<32}{cells[0]:>14}{cells[1]:>14}")
    one = f"{result['one_text_matching_mb_per_s']} ({result['one_text_matching_best_mb_per_s']})"
    print(f"{'matching, one long text':<32}{'':>14}{one:>14}")
    print(f"{'classifier share of full time':<32}{result['dense']['classifier_share']:>14.0%}"
          f"{result['plain']['classifier_share']:>14.0%}")
    print(f"dense: {result['dense']['corpus_mb']} MB, evaluation-set text (1 paragraph in 20 "
          f"offensive or promotional, the rest hard clinical sentences); plain: "
          f"{result['plain']['corpus_mb']} MB, the clean sample mails' paragraphs")
    return 0


if __name__ == "__main__":
    sys.exit(main())
