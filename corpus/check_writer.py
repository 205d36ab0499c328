"""Check one writer's folder against corpus/SPEC.md: the form of every message and the quota.

    python3 corpus/check_writer.py corpus/writers/w01-tawel

Knows nothing of the screening; it reads the files as literals (never imports them).
Exit code 1 when something is wrong; the counts are printed either way.
"""
from __future__ import annotations

import ast
import collections
import re
import sys
from pathlib import Path

GROUPS = {"clean": None, "pd": "patient_data", "cr": "copyright", "lg": "language",
          "ad": "advertising", "at": "attachment"}
CATEGORIES = {"patient_data", "copyright", "language", "advertising", "attachment"}
SENTENCE_LABELS = {"patient_identifying", "licence_restriction", "profanity", "bullying",
                   "harassment", "threat", "discrimination", "defamation", "pom_promotion",
                   "misleading_claim", "under18_targeting", "quoted_report"}
KINDS = {
    "pdf": ({"pages"}, {"metadata", "image_only", "form", "encrypt"}),
    "docx": ({"paragraphs"}, {"comments", "metadata"}),
    "xlsx": ({"sheets"}, {"comments", "encrypt"}),
    "pptx": ({"slides"}, set()),
    "csv": ({"rows"}, set()),
    "text": ({"text"}, set()),
    "html": ({"html"}, set()),
    "image": ({"scene"}, {"text", "format", "exif", "watermark"}),
    "ics": ({"summary"}, {"description", "location", "start", "minutes", "attendees"}),
    "vcard": ({"fn"}, {"tel", "email", "adr", "note", "org", "title"}),
    "eml": ({"message"}, set()),
    "zip": ({"members"}, {"encrypt"}),
    "program": ({"flavour"}, set()),
}
FLAVOURS = {"exe", "js", "vbs", "bat", "ps1", "macro_docx", "corrupt_pdf", "corrupt_docx",
            "corrupt_jpeg"}
SCENES = {"face", "room", "product", "screenshot", "poster", "page", "plain"}
MESSAGE_KEYS = {"id", "from", "to", "cc", "bcc", "subject", "date", "headers", "html", "body",
                "attachments", "accept", "categories", "note"}
ADDRESS = re.compile(r"[^@\s<>]+@([A-Za-z0-9.-]+)")
REAL_DOMAINS = ("nhs.net", "nhs.scot", "wales.nhs.uk", "hscni.net")


def load_messages(folder: Path) -> list[tuple[str, dict]]:
    """(file name, message) for every message in the folder's mail_*.py files, in order."""
    out = []
    for path in sorted(folder.glob("mail_*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        found = False
        for node in tree.body:
            if isinstance(node, ast.Assign) and any(
                    isinstance(t, ast.Name) and t.id == "MESSAGES" for t in node.targets):
                for m in ast.literal_eval(node.value):
                    out.append((path.name, m))
                found = True
        if not found:
            raise ValueError(f"{path.name}: no MESSAGES = [...]")
    return out


class Checker:
    def __init__(self):
        self.errors: list[str] = []
        self.sentence_labels = collections.Counter()

    def err(self, where, what):
        self.errors.append(f"{where}: {what}")

    def segments(self, where, segs, clean: bool):
        if isinstance(segs, str):
            segs = [segs]
        if not isinstance(segs, (list, tuple)):
            self.err(where, "segments must be a list of strings and (label, sentence) pairs")
            return
        for s in segs:
            if isinstance(s, str):
                self.sentence_labels["benign"] += 1
                continue
            if not (isinstance(s, tuple) and len(s) == 2 and all(isinstance(x, str) for x in s)):
                self.err(where, f"segment {s!r:.60}: want a string or a (label, sentence) pair")
                continue
            label, text = s
            if label not in SENTENCE_LABELS:
                self.err(where, f"unknown sentence label {label!r}")
            elif clean and label != "quoted_report":
                self.err(where, f"a clean message carries the label {label!r}")
            if not text.strip():
                self.err(where, "empty labelled sentence")
            self.sentence_labels[label] += 1

    def addresses(self, where, values):
        if isinstance(values, str):
            values = [values]
        for v in values:
            m = ADDRESS.search(v or "")
            if not m:
                self.err(where, f"not an address: {v!r}")
                continue
            dom = m.group(1).lower()
            if not (dom.endswith(".example") or dom in REAL_DOMAINS
                    or any(dom.endswith("." + r) for r in REAL_DOMAINS)):
                self.err(where, f"domain {dom!r} is neither .example nor an NHS mail domain")

    def attachment(self, where, a, clean):
        if not isinstance(a, dict) or a.get("kind") not in KINDS:
            self.err(where, f"attachment kind must be one of {sorted(KINDS)}")
            return
        kind = a["kind"]
        need, optional = KINDS[kind]
        if not a.get("name"):
            self.err(where, f"{kind} attachment without a name")
        w = f"{where}/{a.get('name')}"
        for k in need - set(a):
            self.err(w, f"missing {k!r}")
        for k in set(a) - need - optional - {"kind", "name"}:
            self.err(w, f"unknown field {k!r}")
        if kind == "pdf":
            for p in a.get("pages", []):
                self.segments(w, p, clean)
        elif kind == "docx":
            self.segments(w, a.get("paragraphs", []), clean)
        elif kind == "pptx":
            for s in a.get("slides", []):
                self.segments(w, s.get("body", []), clean)
                self.segments(w, s.get("notes", []), clean)
        elif kind == "text":
            self.segments(w, a.get("text", []), clean)
        elif kind == "ics":
            self.segments(w, a.get("description", []), clean)
        elif kind == "vcard":
            self.segments(w, a.get("note", []), clean)
        elif kind == "image":
            if a.get("scene") not in SCENES:
                self.err(w, f"scene must be one of {sorted(SCENES)}")
        elif kind == "xlsx":
            for sh in a.get("sheets", []):
                if not isinstance(sh, dict) or "rows" not in sh:
                    self.err(w, "each sheet is {'name', 'rows', 'hidden'}")
        elif kind == "zip":
            for m in a.get("members", []):
                self.attachment(w, m, clean)
        elif kind == "eml":
            self.message(w, a.get("message", {}), nested=True, clean=clean)
        elif kind == "program" and a.get("flavour") not in FLAVOURS:
            self.err(w, f"flavour must be one of {sorted(FLAVOURS)}")

    def message(self, where, m, nested=False, clean=False):
        if not isinstance(m, dict):
            self.err(where, "a message is a dict")
            return
        for k in set(m) - MESSAGE_KEYS:
            self.err(where, f"unknown key {k!r}")
        for k in ("from", "to", "subject", "body"):
            if k not in m:
                self.err(where, f"missing {k!r}")
        self.addresses(where + " from", m.get("from", ""))
        for k in ("to", "cc", "bcc"):
            self.addresses(f"{where} {k}", m.get(k, []))
        if not nested:
            accept, cats = m.get("accept"), m.get("categories")
            ident = m.get("id", "")
            group = ident.split("-", 1)[0]
            if group not in GROUPS or not re.fullmatch(r"[a-z0-9-]+", ident):
                self.err(where, f"id {ident!r}: [a-z0-9-] starting with one of {sorted(GROUPS)}-")
            clean = group == "clean"
            if not m.get("note"):
                self.err(where, "missing note")
            if clean:
                if sorted(accept or []) != ["pass", "tag"] or cats:
                    self.err(where, "clean mail: accept ['pass', 'tag'], categories []")
            else:
                if accept not in (["hold"], ["hold", "tag"], ["tag", "hold"]):
                    self.err(where, "a violation accepts ['hold'] or ['hold', 'tag']")
                if cats != [GROUPS.get(group)]:
                    self.err(where, f"categories must be [{GROUPS.get(group)!r}] for {group}-")
                if "-border-" in ident and sorted(accept or []) != ["hold", "tag"]:
                    self.err(where, "a borderline case accepts ['hold', 'tag']")
        self.segments(where, m.get("body", []), clean)
        for a in m.get("attachments", []) or []:
            self.attachment(where, a, clean)


def main(argv: list[str]) -> int:
    folder = Path(argv[1])
    checker = Checker()
    try:
        messages = load_messages(folder)
    except (SyntaxError, ValueError) as e:
        print(f"cannot read: {e}")
        return 1
    ids = collections.Counter(m.get("id") for _, m in messages)
    for ident, n in ids.items():
        if n > 1:
            checker.err(ident, f"id used {n} times")
    groups = collections.Counter()
    for fname, m in messages:
        checker.message(f"{fname}:{m.get('id')}", m)
        ident = m.get("id", "")
        groups[ident.split("-", 1)[0] + ("-border" if "-border-" in ident else "")] += 1
    if not (folder / "persona.md").exists():
        checker.err(str(folder), "persona.md is missing")
    for e in checker.errors:
        print(e)
    print(f"{len(messages)} messages:", dict(sorted(groups.items())))
    print(f"{sum(checker.sentence_labels.values())} sentence segments:",
          dict(checker.sentence_labels.most_common()))
    print("OK" if not checker.errors else f"{len(checker.errors)} problems")
    return 1 if checker.errors else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
