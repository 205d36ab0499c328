"""A trained offensive-language classifier, for insults that no word list names.

It is the linear model shipped inside the alt-profanity-check package (a bag-of-words SVM
with calibrated probabilities, trained on public comment data): the model files are part
of the installed package, and nothing is downloaded. It is loaded on first use, so commands
that never scan do not pay for scikit-learn.

Such a model scores a whole string and misfires on clinical and identity words ("anal
fissure", "breastfeeding", "gay") and on names. Before scoring, the words of
data/clinical_allowlist.txt, capitalised words other than the first of a sentence (names,
mostly) and numbers are removed. The language scanner only reports what it says as medium,
never high: a classifier alone never holds a message.
"""
from __future__ import annotations

import re
from functools import lru_cache

from scanners import lexicon

THRESHOLD = 0.90  # probability above which a sentence is reported; see tests/test_conduct_eval.py
MIN_WORDS = 3
MAX_CHARS = 400

_TOKEN = re.compile(r"[A-Za-z][A-Za-z'’]*|\d[\d.,:]*")


@lru_cache(maxsize=1)
def _model():
    from profanity_check import profanity_check as pc  # scikit-learn: slow import, ~100 MB

    return pc.vectorizer, pc.model


def available() -> bool:
    try:
        _model()
    except Exception:  # not installed, or an incompatible scikit-learn: the lexicon still runs
        return False
    return True


def masked(sentence: str) -> str:
    """The sentence without allowlisted words, names and numbers."""
    allow = lexicon.words("clinical_allowlist.txt")
    out = []
    for i, m in enumerate(_TOKEN.finditer(sentence)):
        word = m.group(0)
        low = word.lower().replace("’", "'")
        if word[0].isdigit() or low in allow or low.rstrip("s") in allow:
            continue
        if i > 0 and word[0].isupper() and not word.isupper() and low not in ("i", "i'm", "i'll"):
            continue
        out.append(word)
    return " ".join(out)


def scores(sentences: list[str]) -> list[float]:
    """Probability that each sentence is offensive, after masking; 0.0 for too short ones."""
    texts = [masked(s[:MAX_CHARS]) for s in sentences]
    todo = [i for i, t in enumerate(texts) if len(t.split()) >= MIN_WORDS]
    out = [0.0] * len(texts)
    if todo:
        vectorizer, model = _model()
        probs = model.predict_proba(vectorizer.transform([texts[i] for i in todo]))[:, 1]
        for i, p in zip(todo, probs):
            out[i] = float(p)
    return out
