"""Imported by the scan sandbox's fork server (gateway/sandbox.py), so that every scan
process starts with the classifier's model already in memory, shared copy-on-write,
instead of each loading scikit-learn on its first message (about 1.5 s and 130 MB)."""
from scanners import classifier

classifier.available()
