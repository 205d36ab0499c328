"""CPU time of all scanners on one message, with and without the sentence model:
`python bench/scan_budget.py [--runs N]`.

The issue's budget: all scanners together under 20 ms of CPU for a typical 3 KB clinic
message and under 80 ms for 20 KB of text (1 KB is shown too: short mail gets a larger
share of the network). Messages are built from the clean sample mails'
plain-text paragraphs (sample_mail/clean_*.eml), so they are ordinary clinic mail: about
3 KB and 20 KB of body text. Each message is parsed once; what is timed is
`gateway.pipeline.screen` (the text views and every scanner, as a scan worker runs them),
CPU time of this process, the median of --runs runs after one warm-up.

Rows: the scanners without the model (the word lists only); with the model as shipped (the
lexical gate, and the network reading at most `model_findings.network_tokens` word pieces a
message, most suspicious sentences first); without the token budget (every sentence the gate
lets through is embedded); and with neither (every selected sentence embedded). The last column is the ratio to the first row in the same run, steadier than the
milliseconds on a shared machine.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from gateway.content.parse import parse  # noqa: E402
from gateway.pipeline import screen  # noqa: E402
from scanners import model_findings, registry  # noqa: E402
from scanners.sentences import model as sentence_model  # noqa: E402

SAMPLES = ROOT / "sample_mail"


def paragraphs() -> list[str]:
    out = []
    for path in sorted(SAMPLES.glob("clean_*.eml")):
        for part in parse(path.read_bytes()).body_parts:
            if part.content_type == "text/plain":
                out.extend(p.strip() for p in part.text.split("\n\n") if p.strip())
    return out


def message(kb: int) -> bytes:
    paras, body, n, i = paragraphs(), [], 0, 0
    while n < kb * 1000:
        body.append(paras[i % len(paras)])
        n += len(body[-1].encode()) + 2
        i += 1
    text = "\n\n".join(body)
    return ("From: Glow Clinic <hello@glowclinic.example>\r\nTo: sam@example.com\r\n"
            "Subject: Following up\r\nMessage-ID: <budget@glowclinic.example>\r\n"
            "Content-Type: text/plain; charset=utf-8\r\n\r\n" + text).encode()


def timed(raw: bytes, scanners, runs: int) -> float:
    msg = parse(raw)
    screen(msg, scanners)  # warm-up
    per = []
    for _ in range(runs):
        t = time.process_time()
        screen(msg, scanners)
        per.append((time.process_time() - t) * 1000)
    return statistics.median(per)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=15)
    args = ap.parse_args()
    scanners = registry.build({})
    model = model_findings.model()
    if model is None:
        raise SystemExit("the sentence model did not load")
    gate, budget = model.gate, model_findings.NETWORK_TOKENS
    short = model_findings.SHORT_TOKENS

    def configure(gate_on: bool, budget_on: bool):
        model.gate = gate if gate_on else 2.0
        model_findings.NETWORK_TOKENS = budget if budget_on else 10**9
        model_findings.SHORT_TOKENS = short if budget_on else 10**9

    sizes = {kb: message(kb) for kb in (1, 3, 20)}
    rows = []
    for name, setup in (("word lists only (no model)", lambda: None),
                        ("model, gate and token budget (shipped)", lambda: configure(True, True)),
                        ("model, gate, no token budget", lambda: configure(True, False)),
                        ("model, no gate, no budget", lambda: configure(False, False))):
        setup()
        off = name.startswith("word lists")
        if off:
            real = sentence_model.shared
            sentence_model.shared = lambda: None
        try:
            rows.append((name, {kb: timed(raw, scanners, args.runs) for kb, raw in sizes.items()}))
        finally:
            if off:
                sentence_model.shared = real
    configure(True, True)
    from scanners.text import build
    labelled = model_findings._label  # the sentences a message sends to the model
    calls = []
    score = model.score
    model.score = lambda s, **kw: calls.append(len(s)) or score(s, **kw)
    for raw in sizes.values():
        labelled(build(parse(raw)))
    model.score = score
    base = rows[0][1]
    print("| scanners | " + " | ".join(f"{kb} KB message, ms CPU | ratio" for kb in sizes) + " |")
    print("|---|" + "---:|---:|" * len(sizes))
    for name, ms in rows:
        print(f"| {name} | " + " | ".join(f"{ms[kb]:.1f} | {ms[kb] / base[kb]:.2f}"
                                          for kb in sizes) + " |")
    print(f"\nmedian of {args.runs} runs; gate {gate:.2f}; message sizes "
          + ", ".join(f"{len(raw) / 1000:.1f} KB" for raw in sizes.values())
          + f"; {', '.join(map(str, calls))} sentences selected")

if __name__ == "__main__":
    main()
