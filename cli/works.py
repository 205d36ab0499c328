"""`mailscreen works ...`: the protected works register (gateway/works.py).

Register the documents the clinic knows it may not send (paid training manuals, subscription
articles); the copyright scanner then holds mail carrying any excerpt of them. Only the
fingerprints are kept, never the text. Every add and remove writes the audit log.
"""
from __future__ import annotations

import json
from contextlib import nullcontext
from pathlib import Path

import typer
from rich.console import Console
from rich.progress import track
from rich.table import Table

from cli.common import ConfigOption, Output, fail, register_store
from gateway.registers import works

app = typer.Typer(no_args_is_help=True, help="The protected works register (copyright).")


def _store(config, write: bool = False):
    return register_store(config, works.create, write)


@app.command()
def add(files: list[Path] = typer.Argument(..., metavar="FILE...",
                                           help="PDF, DOCX, ODT, XLSX, text or HTML files."),
        title: str = typer.Option("", "--title", help="Title to show (default: the file name); "
                                  "only with one file."),
        reason: str = typer.Option("", "--reason", help="Why (kept in the audit log)."),
        config=ConfigOption) -> None:
    """Register documents: mail carrying any excerpt of them is held."""
    if title and len(files) > 1:
        fail("--title goes with one file at a time")
    store = _store(config, write=True)
    failed = 0
    for path in track(files, description="fingerprinting…", console=Console(stderr=True),
                      disable=len(files) < 3):
        if not path.is_file():
            typer.echo(f"mailscreen: {path}: no such file", err=True)
            failed += 1
            continue
        try:
            with Console(stderr=True).status(f"reading {path.name}…") if len(files) < 3 \
                    else nullcontext():
                work = works.add(store, path, title, reason)
        except works.WorkError as e:
            typer.echo(f"mailscreen: {e}", err=True)
            failed += 1
            continue
        typer.echo(f"{work.id}: {work.title} ({work.words:,} words, "
                   f"{work.fingerprint_count:,} fingerprints)")
    if failed:
        raise typer.Exit(1)


@app.command("list")
def list_works(as_json: bool = typer.Option(False, "--json", help="One JSON object a line."),
               config=ConfigOption) -> None:
    """Registered works, oldest first."""
    rows = works.listing(_store(config))
    if as_json:
        for w in rows:
            typer.echo(json.dumps({"id": w.id, "title": w.title, "filename": w.filename,
                                   "sha256": w.sha256, "words": w.words,
                                   "fingerprints": w.fingerprint_count,
                                   "added_at": w.added_at.isoformat(), "added_by": w.added_by}))
        return
    table = Table(title=f"{len(rows)} registered work(s)")
    for column in ("id", "title", "file", "words", "added (UTC)", "by"):
        table.add_column(column, overflow="fold")
    for w in rows:
        table.add_row(str(w.id), w.title, w.filename, f"{w.words:,}",
                      f"{w.added_at:%Y-%m-%d %H:%M}", w.added_by)
    Output().print(table)


@app.command()
def remove(work_id: int = typer.Argument(..., metavar="ID"),
           reason: str = typer.Option(..., "--reason", help="Why (kept in the audit log)."),
           config=ConfigOption) -> None:
    """Take a work off the register."""
    try:
        work = works.remove(_store(config, write=True), work_id, reason)
    except works.WorkError as e:
        fail(str(e))
    typer.echo(f"{work.id}: removed ({work.title})")
