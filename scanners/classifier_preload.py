"""Imported by the scan sandbox's fork server (gateway/relay/sandbox.py), so that every scan
process starts with the conduct scanners warm, shared copy-on-write: the classifier's
model (scikit-learn, about 1.5 s and 130 MB to load) and the lists' Aho-Corasick
automaton (about 0.3 s to build), instead of each process paying on its first message."""
from scanners import classifier, lexicon, text

classifier.available()
lexicon.combined(text.SCAN_LISTS)
