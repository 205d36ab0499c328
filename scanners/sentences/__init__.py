"""Sentence-level classifier: see model.py (load, score, classify) and split.py (sentences, gate)."""
from .model import CATEGORY, HARMFUL, LABELS, SentenceModel, load
from .split import select, split_sentences, worth_scoring

__all__ = ["CATEGORY", "HARMFUL", "LABELS", "SentenceModel", "load", "select",
           "split_sentences", "worth_scoring"]
