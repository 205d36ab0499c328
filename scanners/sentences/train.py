"""Train the sentence heads: `python -m scanners.sentences.train [--backend NAME] [--out PATH]`.

Deterministic: the corpus files are read in sorted order, the development set is split by the
sha256 of each sentence (see `devset_split`), the embedding network runs on one thread, the
heads are a multinomial logistic regression fitted by L-BFGS from zeros, and the thresholds come
from a stratified 5-fold cross-validation with a fixed seed over the same training rows. Nothing
here ever reads the HOLDOUT half of the development set.

Training data: `data/corpus/*.jsonl` (the project's own sentences), the corpus writers'
sentences (`corpus/`, issue 21: every harmful and quoting sentence, one benign in four),
plus the TRAIN half of `../shared/devset/sentences.jsonl` (relative to the repository root)
when it is present. The committed `data/heads.npz` was trained with it present, as it is in
CI. The thresholds come from out-of-fold scores whose folds keep each writer whole.

scikit-learn is needed here only (a dev dependency); inference needs numpy alone.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path

import numpy as np

from .model import (BACKENDS, DATA, DEFAULT_BACKEND, GROUP_LABELS, GROUPS, HARMFUL,
                    HEADS, LABELS, decide, group_scores, lexical_buckets, lexical_rows,
                    load_encoder)

ROOT = Path(__file__).resolve().parents[2]
DEVSET = ROOT.parent / "shared" / "devset" / "sentences.jsonl"
CORPUS = DATA / "corpus"

C = 10.0  # inverse regularisation strength
MIN_DF = 2  # a lexical bucket is kept when at least this many training sentences have it
BENIGN_WEIGHT = 2.0  # benign rows count double: false alarms on clean mail cost most
TARGET_RECALL = 0.90
MAX_BENIGN_FA = 0.01  # all harmful labels together, on out-of-fold benign rows
MIN_THRESHOLD = 0.20
# The cheap gate: a lexical-only head (same buckets) calls a sentence benign without the
# network when its benign probability reaches the gate, the lowest of GATE_CANDIDATES at which
# at most GATE_MAX_LOSS of the harmful training rows (out of fold) would be cleared that way.
GATE_MAX_LOSS = 0.01
GATE_CANDIDATES = tuple(round(0.80 + 0.01 * i, 2) for i in range(20))
FOLDS = 5
SEED = 12


def read_jsonl(path: Path) -> list[dict]:
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def corpus() -> list[dict]:
    """The project's own sentence files; each row's `writer` is its file (a batch written at
    one time, mostly of one label), so writer-grouped out-of-fold scores never see the batch
    they were fitted on (a label a fold lacks scores zero there: `out_of_fold`)."""
    rows = []
    for path in sorted(CORPUS.glob("*.jsonl")):
        rows.extend({**r, "writer": r.get("writer") or f"project/{path.stem}"}
                    for r in read_jsonl(path))
    return rows


def _key(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def devset_split(path: Path = DEVSET) -> tuple[list[dict], list[dict]] | None:
    """(TRAIN, HOLDOUT) halves of the development sentences, or None if the file is absent.
    Within each label the sentences are ordered by sha256 of their text and dealt alternately,
    first to HOLDOUT: a fixed, stratified split that does not depend on the file's order."""
    if not path.is_file():
        return None
    by_label: dict[str, list[dict]] = {}
    for row in read_jsonl(path):
        by_label.setdefault(row["label"], []).append(row)
    train, holdout = [], []
    for label in sorted(by_label):
        rows = sorted(by_label[label], key=lambda r: _key(r["text"]))
        for i, row in enumerate(rows):
            (holdout if i % 2 == 0 else train).append(row)
    return train, holdout


# The writers the shipped heads learned from. Writers added later (w17 to w19, issue 22's
# fourth session) stay out until the heads are retrained with them, so they measure the
# shipped product on voices it never learned from (corpus/README.md); bench/generalise.py
# trains its fold heads on every writer, this list does not apply there.
SHIPPED_WRITERS = frozenset({
    "w01-cardiff-dental", "w02-glasgow-nurse", "w03-manchester-spa", "w04-devon-gp",
    "w05-birmingham-family", "w06-harley-derm", "w07-leeds-academy", "w08-highlands-pharmacy",
    "w09-derry-nurse", "w10-brighton-clinic", "w11-newcastle-hair", "w12-peterborough-polish",
    "w13-bristol-hr", "w14-norwich-wholesaler", "w15-aberdeen-laser", "w16-cornwall-mobile",
})


def writers_rows() -> list[dict]:
    """The labelled sentences of the corpus writers (corpus/, issue 21), read from their
    sources: harmful and quoted_report sentences all, benign ones sampled (corpus/build.py
    `training_sentences`); [] where the corpus is not beside the package (an installed wheel)."""
    if not (ROOT / "corpus" / "build.py").is_file():
        return []
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    from corpus.build import training_sentences  # the corpus is a folder of the repository

    return [r for r in training_sentences() if r["writer"] in SHIPPED_WRITERS]


def training_rows(devset: Path = DEVSET) -> list[dict]:
    rows = corpus() + writers_rows()
    split = devset_split(devset)
    if split is not None:
        rows += split[0]
    return [r for r in rows if r["label"] in LABELS]


def kept_buckets(texts: list[str]) -> np.ndarray:
    counts: dict[int, int] = {}
    for t in texts:
        for b in lexical_buckets(t):
            counts[b] = counts.get(b, 0) + 1
    return np.array(sorted(b for b, n in counts.items() if n >= MIN_DF), dtype=np.int64)


def design(emb: np.ndarray, texts: list[str], kept: np.ndarray):
    from scipy import sparse

    rows, cols, vals = lexical_rows(texts, kept)
    lex = sparse.csr_matrix((vals, (rows, cols)), shape=(len(texts), len(kept)))
    return sparse.hstack([sparse.csr_matrix(emb.astype(np.float64)), lex]).tocsr()


def fit(X, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    from sklearn.linear_model import LogisticRegression

    weights = np.where(y == 0, BENIGN_WEIGHT, 1.0)
    clf = LogisticRegression(C=C, max_iter=1000, tol=1e-4, solver="lbfgs")
    clf.fit(X, y, sample_weight=weights)
    return clf.coef_, clf.intercept_


def softmax(z):
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def out_of_fold(X: np.ndarray, y: np.ndarray, groups: np.ndarray | None = None) -> np.ndarray:
    """Probabilities of each row from heads fitted without it. With `groups` (a writer per
    row) the folds keep each writer whole, so thresholds chosen from these scores hold on
    writers the heads never saw (calibrated by writer); else stratified folds."""
    from sklearn.model_selection import GroupKFold, StratifiedKFold

    P = np.zeros((len(y), len(LABELS)))
    if groups is not None and len(set(groups)) >= FOLDS:
        splits = GroupKFold(FOLDS).split(X, y, groups)
    else:
        splits = StratifiedKFold(FOLDS, shuffle=True, random_state=SEED).split(X, y)
    for tr, te in splits:
        W, b = fit(X[tr], y[tr])
        present = np.unique(y[tr])
        if len(present) < len(LABELS):  # a label no training row of this fold has
            W_all = np.zeros((len(LABELS), W.shape[1]))
            b_all = np.full(len(LABELS), -1e9)
            W_all[present], b_all[present] = W, b
            W, b = W_all, b_all
        P[te] = softmax(np.asarray(X[te] @ W.T) + b)
    return P


def _down(p: float) -> float:
    """A threshold that a probability p (float32 at run time) still reaches."""
    return float(np.floor(p * 1e4 - 1) / 1e4)


def _up(p: float) -> float:
    """A threshold just above p, so that p no longer reaches it."""
    return float(np.ceil(p * 1e4 + 1) / 1e4)


def _groups_of(y: np.ndarray) -> np.ndarray:
    """Index into GROUPS of each row's label; -1 for benign, -2 for quoted_report."""
    out = np.full(len(y), -1)
    out[y == 1] = -2
    for g, name in enumerate(GROUPS):
        out[np.isin(y, [LABELS.index(lab) for lab in GROUP_LABELS[name]])] = g
    return out


def _expand(gthr: np.ndarray, quoted: float) -> np.ndarray:
    thr = np.zeros(len(LABELS))
    thr[1] = quoted
    for g, name in enumerate(GROUPS):
        for lab in GROUP_LABELS[name]:
            thr[LABELS.index(lab)] = gthr[g]
    return thr


def _recall_point(scores: np.ndarray) -> float:
    pos = np.sort(scores)[::-1]
    k = max(int(np.ceil(TARGET_RECALL * len(pos))) - 1, 0)
    return max(MIN_THRESHOLD, _down(pos[k])) if len(pos) else 0.5


def recall_thresholds(P: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Per group: the highest threshold on the group's summed probability that keeps
    out-of-fold recall (rows of the group's labels) >= TARGET_RECALL, never below MIN_THRESHOLD;
    quoted_report likewise on its own probability."""
    S, yg = group_scores(P), _groups_of(y)
    gthr = np.array([_recall_point(S[yg == g, g]) for g in range(len(GROUPS))])
    return _expand(gthr, _recall_point(P[y == 1, 1]))


def strict_thresholds(P: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Group thresholds that flag at most MAX_BENIGN_FA of the benign rows (out of fold, all
    groups together) and otherwise catch as much as they can, fairly between groups.

    Group g's threshold with k allowed false alarms is just above its (k+1)-th highest benign
    score, and never below its recall threshold (no point flagging more than it takes to reach
    TARGET_RECALL). All k start at 0; then, while the budget allows, the group with the lowest
    out-of-fold recall that can still move takes one more false alarm (ties: the earlier
    group); a group stops when its recall threshold is reached or its next step would break
    the budget."""
    S, yg = group_scores(P), _groups_of(y)
    G = len(GROUPS)
    floor = np.array([_recall_point(S[yg == g, g]) for g in range(G)])
    benign = S[yg == -1]
    budget = int(np.floor(MAX_BENIGN_FA * len(benign)))
    ranked = [np.sort(benign[:, g])[::-1] for g in range(G)]

    def threshold(g: int, k: int) -> float:
        t = min(_up(ranked[g][k]), 0.999) if k < len(ranked[g]) else 0.0
        return max(t, floor[g])

    def recall(g: int, t: float) -> float:
        pos = S[yg == g, g]
        return float((pos >= t).mean()) if len(pos) else 1.0

    def flagged(t: np.ndarray) -> int:
        return int((benign >= t).any(axis=1).sum())

    k = [0] * G
    thr = np.array([threshold(g, 0) for g in range(G)])
    active = set(range(G))
    while active:
        g = min(active, key=lambda g: (recall(g, thr[g]), g))
        t = thr.copy()
        t[g] = threshold(g, k[g] + 1)
        if t[g] >= thr[g] or flagged(t) > budget:
            active.discard(g)
            continue
        k[g] += 1
        thr = t
    return _expand(thr, _recall_point(P[y == 1, 1]))


def gate_threshold(G: np.ndarray, y: np.ndarray) -> float:
    """The lowest candidate gate that clears at most GATE_MAX_LOSS of the harmful rows."""
    harmful = y >= 2
    for t in GATE_CANDIDATES:
        if (G[harmful, 0] >= t).mean() <= GATE_MAX_LOSS:
            return t
    return 2.0  # no gate


def gated(P: np.ndarray, G: np.ndarray, gate: float) -> np.ndarray:
    """What the model returns: the lexical gate's probabilities where it clears a sentence."""
    return np.where((G[:, 0] >= gate)[:, None], G, P)


def report(P: np.ndarray, y: np.ndarray, thr: np.ndarray) -> str:
    pred = np.array([LABELS.index(lab) for lab, _ in decide(P, thr)])
    lines = [f"{'label':22} {'n':>4} {'thr':>5} {'recall':>6} {'prec':>6}"]
    for c, lab in enumerate(LABELS):
        n = int((y == c).sum())
        tp = int(((pred == c) & (y == c)).sum())
        fp = int(((pred == c) & (y != c)).sum())
        lines.append(f"{lab:22} {n:4d} {thr[c]:5.2f} {tp / max(n, 1):6.2f} "
                     f"{tp / max(tp + fp, 1):6.2f}")
    harmful = np.isin(pred, [LABELS.index(h) for h in HARMFUL])
    for g in GROUPS:
        idx = np.isin(y, [LABELS.index(lab) for lab in GROUP_LABELS[g]])
        ok = np.isin(pred[idx], [LABELS.index(lab) for lab in GROUP_LABELS[g]]).mean()
        lines.append(f"group {g:14} n={int(idx.sum()):4d} caught {ok:.2f}")
    lines.append(f"benign flagged: {harmful[y == 0].mean():.3%}   "
                 f"quoted_report flagged: {harmful[y == 1].mean():.3%}")
    return "\n".join(lines)


def train(backend: str = DEFAULT_BACKEND, devset: Path = DEVSET, verbose: bool = False,
          encoder=None, rows: list[dict] | None = None,
          by_writer: bool = True) -> dict[str, np.ndarray]:
    """Heads trained on `rows` ({"text", "label"}; default: `training_rows(devset)`).
    `by_writer`: the out-of-fold scores the thresholds come from keep each row's `writer`
    whole, so a threshold means the same on a writer the heads never saw (issue 21)."""
    rows = [r for r in rows if r["label"] in LABELS] if rows is not None \
        else training_rows(devset)
    enc = encoder or load_encoder(backend)
    if enc is None:
        raise SystemExit(f"embedding model {backend} unavailable")
    texts = [r["text"] for r in rows]
    kept = kept_buckets(texts)
    X = design(enc.embed(texts), texts, kept)
    L = X[:, enc.dim:]
    y = np.array([LABELS.index(r["label"]) for r in rows])
    groups = np.array([r.get("writer") or "devset" for r in rows]) if by_writer else None
    G = out_of_fold(L, y, groups)
    gate = gate_threshold(G, y)
    P = gated(out_of_fold(X, y, groups), G, gate)
    strict, loose = strict_thresholds(P, y), recall_thresholds(P, y)
    if verbose:
        cleared = G[:, 0] >= gate
        print(f"gate {gate}: clears {cleared[y == 0].mean():.1%} of benign, "
              f"{cleared[y == 1].mean():.1%} of quoted_report and {cleared[y >= 2].mean():.1%} "
              f"of harmful training rows (out of fold)", file=sys.stderr)
        print(f"{len(rows)} training sentences, {len(kept)} lexical buckets; out-of-fold "
              f"({FOLDS} folds), strict thresholds:", file=sys.stderr)
        print(report(P, y, strict), file=sys.stderr)
        print("recall thresholds:", file=sys.stderr)
        print(report(P, y, loose), file=sys.stderr)
        pred = decide(P, strict)
        for r, (lab, p) in zip(rows, pred):
            if r["label"] in ("benign", "quoted_report") and lab in HARMFUL:
                print(f"  false alarm {lab} {p:.2f} ({r['label']}): {r['text']}", file=sys.stderr)
    W, b = fit(X, y)
    GW, Gb = fit(L, y)
    dim = enc.dim
    return {"W": W[:, :dim].astype(np.float32), "W_lex": W[:, dim:].astype(np.float32),
            "G_lex": GW.astype(np.float32), "G_b": Gb.astype(np.float32),
            "gate": np.array(gate, dtype=np.float32),
            "lex_ids": kept, "b": b.astype(np.float32), "thresholds": strict,
            "thresholds_recall": loose, "labels": np.array(LABELS),
            "backend": np.array(enc.backend.name), "pooling": np.array(enc.pooling)}


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--backend", default=DEFAULT_BACKEND, choices=sorted(BACKENDS))
    ap.add_argument("--out", type=Path, default=HEADS)
    args = ap.parse_args(argv)
    if not DEVSET.is_file():
        print(f"note: {DEVSET} is absent; training on the project corpus only", file=sys.stderr)
    heads = train(args.backend, verbose=True)
    np.savez_compressed(args.out, **heads)
    print(f"wrote {args.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
