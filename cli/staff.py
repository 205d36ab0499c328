"""`mailscreen staff ...`: the staff register (gateway/registers/staff.py).

Import the clinic's staff list so that their names, work phones and headshots are never
taken for a patient's: a rota, a bio for the website or a practitioner's own headshot sent
to the web agency is staff information, not patient data.
"""
from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.table import Table

from cli.common import ConfigOption, Output, fail, register_store
from gateway.registers import staff as register

app = typer.Typer(no_args_is_help=True, help="The staff register (not patients).")


def _store(config, write: bool = False):
    return register_store(config, register.create, write)


@app.command("import")
def import_(file: Path = typer.Argument(..., metavar="FILE.csv",
                                        help="CSV with a header row: name, role, registration "
                                             "(NMC PIN, GMC, GDC, GPhC), phone, photo (a path "
                                             "to a headshot, relative to the file)."),
            reason: str = typer.Option("", "--reason", help="Why (kept in the audit log)."),
            config=ConfigOption) -> None:
    """Replace the staff register with the people in FILE.csv."""
    if not file.is_file():
        fail(f"{file}: no such file")
    try:
        count = register.replace(_store(config, write=True), file, reason)
    except register.StaffError as e:
        fail(str(e))
    typer.echo(f"{count} staff registered")


@app.command("list")
def list_staff(as_json: bool = typer.Option(False, "--json", help="One JSON object a line."),
               config=ConfigOption) -> None:
    """The registered staff."""
    rows = register.listing(_store(config))
    if as_json:
        for p in rows:
            typer.echo(json.dumps({"id": p.id, "name": p.name, "role": p.role,
                                   "registration": p.registration, "phone": p.phone_key,
                                   "photo": bool(p.photo_hash)}))
        return
    table = Table(title=f"{len(rows)} staff")
    for column in ("id", "name", "role", "registration", "phone", "photo"):
        table.add_column(column, overflow="fold")
    for p in rows:
        table.add_row(str(p.id), p.name, p.role, p.registration, p.phone_key,
                      "yes" if p.photo_hash else "")
    Output().print(table)


@app.command()
def clear(reason: str = typer.Option(..., "--reason", help="Why (kept in the audit log)."),
          config=ConfigOption) -> None:
    """Empty the staff register."""
    count = register.clear(_store(config, write=True), reason)
    typer.echo(f"staff register cleared ({count} removed)")
