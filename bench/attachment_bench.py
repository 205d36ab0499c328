#!/usr/bin/env python3
"""Attachment benchmark: PDF pages per second through the full attachment path, and the
protected works register's lookup time with 1,000 registered documents.

    .venv/bin/python bench/attachment_bench.py [--runs 5] [--works 1000]

PDFs: the readable text PDFs of ../shared/corpus/pdf/sample-files (when present) plus
generated ones (fpdf2, 1 to 40 pages). Each is attached to a mail and put through
gateway.content.parse.parse(): MIME decoding, python-magic, the forked per-PDF child, pypdf for
structure and metadata, PDFium for the text. No OCR (the PDFs have text). If poppler's
pdftotext is installed, the same files go through it (one process per file, as a gateway
shelling out would) and the ratio is printed. Median of --runs runs.

Register: --works documents of 2,000 words each are fingerprinted into a SQLite register;
the time to load it into a scan process (works.Loader) and the median time of one lookup
of a 300-word message body (with a 60-word excerpt of one registered document) are printed.
"""
from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

import documents as docs  # noqa: E402  (tests/documents.py: fpdf2 PDFs, mails)
import prose  # noqa: E402

from gateway.content.parse import parse  # noqa: E402
from gateway.database.store import Store  # noqa: E402
from gateway.registers import works  # noqa: E402
from scanners import fingerprint  # noqa: E402

CORPUS = ROOT.parent / "shared" / "corpus" / "pdf" / "sample-files"
SKIP = ("password", "image", "cmyk", "grayscale", "imagemagick")  # encrypted or image-only


def pdf_set(tmp: Path) -> list[tuple[Path, int]]:
    files = []
    if CORPUS.is_dir():
        files += [p for p in sorted(CORPUS.glob("*.pdf")) if not any(s in p.name for s in SKIP)]
    for pages in (1, 5, 20, 40):
        path = tmp / f"generated-{pages}.pdf"
        path.write_bytes(docs.pdf([[prose.document(pages, 450)] for _ in range(pages)], size=8))
        files.append(path)
    out = []
    for path in files:
        (att,) = parse(docs.mail("x", attachments=[(path.name, "application/pdf",
                                                     path.read_bytes())])).attachments
        if att.pages and not (att.error or att.over_limit or att.no_text_pages):
            out.append((path, len(att.pages)))
    return out


def time_mailscreen(mails: list[bytes]) -> float:
    started = time.perf_counter()
    for raw in mails:
        parse(raw)
    return time.perf_counter() - started


def time_pdftotext(files: list[Path]) -> float:
    started = time.perf_counter()
    for path in files:
        subprocess.run(["pdftotext", "-q", str(path), "-"], capture_output=True, check=False)
    return time.perf_counter() - started


def bench_pdfs(runs: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        files = pdf_set(Path(tmp))
        parse(docs.mail("x", attachments=[(files[0][0].name, "application/pdf",
                                           files[0][0].read_bytes())]))  # warm up imports
        for label, subset in (("all", files), ("4 pages or more", [f for f in files if f[1] >= 4])):
            pages = sum(n for _, n in subset)
            mails = [docs.mail("x", attachments=[(p.name, "application/pdf", p.read_bytes())])
                     for p, _ in subset]
            ours = statistics.median(time_mailscreen(mails) for _ in range(runs))
            line = (f"PDF text, full attachment path, {label}: {len(subset)} PDFs, {pages} pages, "
                    f"median of {runs}: {ours:.2f} s = {pages / ours:,.0f} pages/s "
                    f"({1000 * ours / len(subset):.0f} ms per PDF)")
            if shutil.which("pdftotext"):
                theirs = statistics.median(time_pdftotext([p for p, _ in subset])
                                           for _ in range(runs))
                line += (f"; pdftotext {pages / theirs:,.0f} pages/s; "
                         f"mailscreen/pdftotext = {theirs / ours:.2f}")
            print(line)
        if not shutil.which("pdftotext"):
            print("pdftotext not installed (apt install poppler-utils): no comparison")
        datas = [p.read_bytes() for p, _ in files]
        pages = sum(n for _, n in files)
        bare = statistics.median(time_pdfium_in_process(datas) for _ in range(runs))
        print(f"for scale, PDFium text alone in this process (no child, no pypdf, no MIME): "
              f"{pages / bare:,.0f} pages/s ({1000 * bare / len(datas):.0f} ms per PDF)")


def time_pdfium_in_process(datas: list[bytes]) -> float:
    import pypdfium2 as pdfium

    started = time.perf_counter()
    for data in datas:
        doc = pdfium.PdfDocument(data)
        for i in range(len(doc)):
            page = doc[i]
            textpage = page.get_textpage()
            textpage.get_text_bounded()
            textpage.close()
            page.close()
        doc.close()
    return time.perf_counter() - started


def bench_register(count: int, runs: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        store = works.create(Store(f"sqlite:///{tmp}/works.db").create())
        started = time.perf_counter()
        texts = {}
        with store.session() as s:
            for i in range(count):
                text = prose.document(seed=100_000 + i, words=2000)
                hashes, positions, words = fingerprint.fingerprints(text)
                s.add(works.ProtectedWork(title=f"work {i}", sha256=str(i), words=words,
                                          fingerprint_count=len(hashes),
                                          fingerprints=fingerprint.pack(hashes, positions)))
                if i % 100 == 0:
                    texts[i + 1] = text
            s.commit()
        print(f"register: {count} works of 2,000 words fingerprinted and stored in "
              f"{time.perf_counter() - started:.1f} s")
        loads = []
        for _ in range(runs):
            loader = works.Loader(store.url)
            t = time.perf_counter()
            index = loader.index()
            loads.append(time.perf_counter() - t)
        print(f"register load into a scan process: {len(index.hashes):,} fingerprints, "
              f"median {1000 * statistics.median(loads):.0f} ms")
        bodies = []
        for n, (work_id, text) in enumerate(texts.items()):
            excerpt = prose.edited_excerpt(text, n)
            filler = prose.document(seed=900_000 + n, words=240)
            bodies.append((work_id, f"Hi,\n\n{filler}\n\n{excerpt}\n\nThanks"))
        per_run = []
        for _ in range(runs):
            t = time.perf_counter()
            for work_id, body in bodies:
                found = index.match(body)
                assert found and found[0].work.id == work_id
            per_run.append((time.perf_counter() - t) / len(bodies))
        t = time.perf_counter()
        stamp_checks = 50
        for _ in range(stamp_checks):
            loader.index()  # the per-message "has the register changed?" query
        stamp = (time.perf_counter() - t) / stamp_checks
        print(f"register lookup, 300-word body against {count} works: median "
              f"{1000 * statistics.median(per_run):.2f} ms (+ {1000 * stamp:.2f} ms change check "
              f"per message); every excerpt found")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--works", type=int, default=1000)
    args = ap.parse_args()
    bench_pdfs(args.runs)
    bench_register(args.works, args.runs)


if __name__ == "__main__":
    main()
