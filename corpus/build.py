"""Build the corpus: every writer's messages as .eml files, their labels, and the sentences.

    python3 -m corpus.build                      # all writers into corpus/build/
    python3 -m corpus.build --writers w01-cardiff-dental --limit 10 --out /tmp/slice

Output, under --out:
  <writer>/<id>.eml        RFC 5322 messages, CRLF, as a client would submit them
  labels.json              "<writer>/<id>.eml" -> {"writer", "accept", "categories", "note"}
  sentences.jsonl          {"writer", "message", "text", "label"} per sentence
The development set (../shared/devset) joins as the writer "devset" when it is present: its
messages are copied, its labels and sentences read as they are.
Deterministic: the same sources give the same bytes.
"""
from __future__ import annotations

import argparse
import hashlib
import html
import json
import re
import shutil
import sys
from email import message_from_bytes, policy
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr
from datetime import datetime, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from corpus import attachments  # noqa: E402
from corpus.check_writer import SENTENCE_LABELS, Checker, load_messages  # noqa: E402

WRITERS = ROOT / "corpus" / "writers"
DEVSET = ROOT.parent / "shared" / "devset"
DEFAULT_OUT = ROOT / "corpus" / "build"
LONDON = ZoneInfo("Europe/London")
SENTENCE_END = re.compile(r"(?<=[.!?…])[\"')\]]*\s+(?=[\"'(\[]?[A-Z0-9ÀÂÁÉÈÊÎÏÔÖÛÜŁŚŻŹĆŃ])")


def _digest(*parts) -> str:
    return hashlib.sha256("\0".join(map(str, parts)).encode()).hexdigest()


def join_body(segs) -> str:
    """The body text: labelled sentences flow inside their paragraph; a segment that ends a
    line (greeting, sign-off, quoted line, one with its own line breaks) stands alone."""
    out = ""
    prev = ""
    for text in attachments.segments_text(segs):
        text = text.rstrip(" ")
        if not out:
            out = text
        else:
            joins = (re.search(r"[.!?…)\"'”]$", prev) and "\n" not in prev
                     and "\n" not in text and not text.startswith((">", "-", "*", "•"))
                     and not re.match(r"^\d+[.)]\s", text) and len(text) > 25)
            out += (" " if joins else ("\n" if prev.endswith("\n") else "\n\n")) + text
        prev = text
    return out.replace("\r\n", "\n")


def _html(text: str) -> str:
    paras = "".join(f"<p>{html.escape(p).replace(chr(10), '<br>')}</p>"
                    for p in text.split("\n\n"))
    return f"<html><body>{paras}</body></html>"


def _date(value: str | None, ident: str) -> str:
    if value:
        dt = datetime.strptime(value, "%Y-%m-%d %H:%M").replace(tzinfo=LONDON)
    else:
        h = int(_digest(ident)[:8], 16)
        dt = datetime(2026, 9, 1, 8, 0, tzinfo=LONDON).fromtimestamp(
            datetime(2026, 9, 1, 8, 0, tzinfo=timezone.utc).timestamp() + h % (80 * 86400),
            tz=LONDON)
    return format_datetime(dt)


def render(m: dict, ident: str) -> bytes:
    """One message dict (SPEC.md) as RFC 5322 bytes with CRLF line ends."""
    msg = EmailMessage(policy=policy.SMTP)
    msg["From"] = m["from"]
    if m.get("to"):
        msg["To"] = ", ".join(m["to"])
    if m.get("cc"):
        msg["Cc"] = ", ".join(m["cc"])
    if m.get("bcc"):
        msg["Bcc"] = ", ".join(m["bcc"])
    msg["Subject"] = m.get("subject", "")
    msg["Date"] = _date(m.get("date"), ident)
    domain = (parseaddr(m["from"])[1].rpartition("@")[2] or "corpus.example")
    msg["Message-ID"] = f"<{_digest(ident, m.get('subject'))[:24]}@{domain}>"
    for k, v in (m.get("headers") or {}).items():
        msg[k] = v
    msg["MIME-Version"] = "1.0"
    text = join_body(m.get("body", [])) + "\n"
    msg.set_content(text, cte="quoted-printable")
    if m.get("html"):
        msg.add_alternative(_html(text), subtype="html", cte="quoted-printable")
    for a in m.get("attachments") or []:
        data, mime = attachments.make(a, render)
        if mime == "message/rfc822":
            inner = message_from_bytes(data, policy=policy.SMTP)
            msg.add_attachment(inner, filename=a["name"])
            continue
        maintype, _, subtype = mime.partition("/")
        if maintype == "text":
            msg.add_attachment(data, maintype="text", subtype=subtype, filename=a["name"])
        else:
            msg.add_attachment(data, maintype=maintype, subtype=subtype, filename=a["name"])
    for n, part in enumerate(msg.walk()):
        if part.is_multipart():
            part.set_boundary(f"=_corpus_{_digest(ident, n)[:20]}")
    return msg.as_bytes(policy=policy.SMTP)


def split_sentences(text: str) -> list[str]:
    out = []
    for line in re.split(r"\n+", text):
        line = line.strip().lstrip("> ").strip()
        if not line:
            continue
        out.extend(s.strip() for s in SENTENCE_END.split(line) if s.strip())
    return out


TEXT_FIELDS = {"pages", "paragraphs", "body", "notes", "text", "description", "note",
               "comments", "slides", "members", "attachments", "message"}


def message_sentences(m: dict) -> list[tuple[str, str]]:
    """(text, label) for every sentence a writer wrote into a message and its attachments:
    a (label, sentence) pair anywhere, and the plain text of the fields that hold prose
    (bodies, pages, paragraphs, notes, comments, descriptions, image text), split."""
    out: list[tuple[str, str]] = []

    def walk(value, key):
        if (isinstance(value, tuple) and len(value) == 2 and all(isinstance(x, str) for x in value)
                and value[0] in SENTENCE_LABELS):
            out.append((value[1].strip(), value[0]))
        elif isinstance(value, str):
            if key in TEXT_FIELDS:
                out.extend((t, "benign") for t in split_sentences(value))
        elif isinstance(value, (list, tuple)):
            for v in value:
                walk(v, key)
        elif isinstance(value, dict):
            for k, v in value.items():
                walk(v, k if k in TEXT_FIELDS or key not in TEXT_FIELDS else key)

    walk(m.get("body"), "body")
    walk(m.get("attachments") or [], "attachments")
    return out


BENIGN_KEEP = 4  # training keeps one benign corpus sentence in this many (by hash)


def kept_for_training(text: str, label: str) -> bool:
    return label != "benign" or int(_digest(text)[:8], 16) % BENIGN_KEEP == 0


def training_sentences(root: Path = WRITERS) -> list[dict]:
    """The writers' labelled sentences for training the sentence heads, read from the
    sources (no attachments built): every harmful and quoted_report sentence, and one benign
    sentence in BENIGN_KEEP, chosen by a hash of its text (greetings and signatures are most
    of the benign ones). Each row carries its writer."""
    rows = []
    for writer in writer_names(root):
        if writer == "devset":
            continue
        for _, m in load_messages(root / writer):
            for text, label in message_sentences(m):
                if not kept_for_training(text, label):
                    continue
                rows.append({"writer": writer, "text": text, "label": label})
    return rows


def writer_names(root: Path = WRITERS) -> list[str]:
    names = sorted(p.name for p in root.iterdir() if p.is_dir() and any(p.glob("mail_*.py")))
    if (DEVSET / "labels.json").exists():
        names.append("devset")
    return names


def build(out: Path, writers: list[str] | None = None, limit: int | None = None,
          strict: bool = True, root: Path = WRITERS) -> dict:
    """Write the corpus under out; returns the labels. strict: a writer whose folder fails
    the form check is an error (else its bad messages are left out and reported)."""
    out.mkdir(parents=True, exist_ok=True)
    labels: dict[str, dict] = {}
    sentences: list[dict] = []
    for writer in writers or writer_names(root):
        wdir = out / writer
        if wdir.exists():
            shutil.rmtree(wdir)
        wdir.mkdir()
        if writer == "devset":
            _devset(wdir, labels, sentences, limit)
            continue
        for n, (fname, m) in enumerate(load_messages(root / writer)):
            if limit is not None and n >= limit:
                break
            checker = Checker()
            checker.message(f"{writer}/{fname}:{m.get('id')}", m)
            if checker.errors:
                if strict:
                    raise ValueError("; ".join(checker.errors))
                print("left out:", "; ".join(checker.errors), file=sys.stderr)
                continue
            rel = f"{writer}/{m['id']}.eml"
            try:
                raw = render(m, f"{writer}/{m['id']}")
            except Exception as e:  # a writer's field the builder cannot make
                if strict:
                    raise
                print(f"left out {rel}: {type(e).__name__}: {e}", file=sys.stderr)
                continue
            (out / rel).write_bytes(raw)
            labels[rel] = {"writer": writer, "accept": m["accept"],
                           "categories": m["categories"], "note": m["note"]}
            for text, label in message_sentences(m):
                sentences.append({"writer": writer, "message": rel, "text": text,
                                  "label": label})
    (out / "labels.json").write_text(json.dumps(labels, indent=1, sort_keys=True) + "\n")
    with open(out / "sentences.jsonl", "w", encoding="utf-8") as f:
        for s in sentences:
            f.write(json.dumps(s, ensure_ascii=False) + "\n")
    return labels


def _devset(wdir: Path, labels: dict, sentences: list, limit: int | None):
    devlabels = json.loads((DEVSET / "labels.json").read_text())
    notes = json.loads((DEVSET / "notes.json").read_text())
    for n, name in enumerate(sorted(devlabels)):
        if limit is not None and n >= limit:
            break
        shutil.copyfile(DEVSET / "messages" / name, wdir / name)
        labels[f"devset/{name}"] = {"writer": "devset", **devlabels[name],
                                    "note": notes.get(name, "")}
    for line in (DEVSET / "sentences.jsonl").read_text().splitlines():
        row = json.loads(line)
        sentences.append({"writer": "devset", "message": None, "text": row["text"],
                          "label": row["label"]})


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT)
    ap.add_argument("--writers", help="comma-separated writer folders (default: all)")
    ap.add_argument("--limit", type=int, help="at most this many messages per writer")
    args = ap.parse_args(argv)
    writers = args.writers.split(",") if args.writers else None
    labels = build(args.out, writers, args.limit, strict=False)
    print(f"{len(labels)} messages from {len({v['writer'] for v in labels.values()})} writers "
          f"in {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
