"""A trained offensive-language classifier, for insults that no word list names.

It is the linear model shipped inside the alt-profanity-check package (a bag-of-words SVM
with calibrated probabilities, trained on public comment data): the model files are part
of the installed package, and nothing is downloaded. It is loaded on first use, so commands
that never scan do not pay for scikit-learn.

Such a model scores a whole string and misfires on clinical and identity words ("anal
fissure", "breastfeeding", "gay") and on names. The words of data/clinical_allowlist.txt
get a weight of zero in the model's vectorizer (as if they were not there), and capitalised
words other than the first of a sentence (names, mostly) are removed before scoring. The language scanner only reports what it says as medium,
never high: a classifier alone never holds a message.
"""
from __future__ import annotations

import re
from functools import lru_cache

from scanners import lexicon

THRESHOLD = 0.90  # probability above which a sentence is reported; see tests/test_conduct_eval.py
MIN_WORDS = 3
MAX_CHARS = 400

# A capitalised word that does not start the sentence: a name, most often.
_NAME = re.compile(r"(?<=[a-z0-9,;:'’)] )[A-Z][a-z'’\-]+")


@lru_cache(maxsize=1)
def _model():
    """(vectorizer, model). The vectorizer is a copy whose weights (idf) for the allowlisted
    words are zero: a TF-IDF vector then carries them as if they were not in the text."""
    import copy

    from profanity_check import (
        profanity_check as pc,  # scikit-learn: slow import, ~100 MB
    )

    vectorizer = copy.deepcopy(pc.vectorizer)
    idf = vectorizer.idf_.copy()
    for word in lexicon.words("clinical_allowlist.txt"):
        for form in (word, word + "s"):
            column = vectorizer.vocabulary_.get(form)
            if column is not None:
                idf[column] = 0.0
    vectorizer.idf_ = idf
    return vectorizer, _fast(pc.model, vectorizer)


class _Sigmoids:
    """The calibrated model's predict_proba[:, 1] as one sparse product: scikit-learn's own
    spends milliseconds a call validating its input, more than the arithmetic."""

    def __init__(self, model):
        import numpy as np

        parts = model.calibrated_classifiers_
        self.weights = np.vstack([p.estimator.coef_[0] for p in parts]).T
        self.intercepts = np.array([p.estimator.intercept_[0] for p in parts])
        self.a = np.array([p.calibrators[0].a_ for p in parts])
        self.b = np.array([p.calibrators[0].b_ for p in parts])

    def __call__(self, X):
        import numpy as np

        decision = X @ self.weights + self.intercepts
        return (1.0 / (1.0 + np.exp(self.a * decision + self.b))).mean(axis=1)


def _fast(model, vectorizer):
    """A function X -> probability of the offensive class; the fast one when the model has
    the shape it was built with (sigmoid calibration of linear models, averaged) and agrees
    with scikit-learn on a few strings, else scikit-learn's own."""
    slow = lambda X: model.predict_proba(X)[:, 1]  # noqa: E731
    try:
        fast = _Sigmoids(model)
        X = vectorizer.transform(["you are a complete idiot", "see you on tuesday at ten",
                                  "what the hell is this", "thank you so much"])
        if model.method == "sigmoid" and len(model.classes_) == 2 and \
                abs(fast(X) - slow(X)).max() < 1e-9:
            return fast
    except Exception:  # another scikit-learn layout: keep the library's path
        pass
    return slow


def available() -> bool:
    try:
        _model()
    except Exception:  # not installed, or an incompatible scikit-learn: the lexicon still runs
        return False
    return True


def masked(sentence: str) -> str:
    """The sentence as the model sees it, names removed (allowlisted words weigh nothing)."""
    return _NAME.sub("", sentence[:MAX_CHARS])


def scores(sentences: list[str]) -> list[float]:
    """Probability that each sentence is offensive, after masking; 0.0 for too short ones."""
    texts = [masked(s) for s in sentences]
    todo = [i for i, t in enumerate(texts) if len(t.split(None, MIN_WORDS)) >= MIN_WORDS]
    out = [0.0] * len(texts)
    if todo:
        vectorizer, probability = _model()
        probs = probability(vectorizer.transform([texts[i] for i in todo]))
        for i, p in zip(todo, probs):
            out[i] = float(p)
    return out
