"""`mailscreen patients ...`: the patient register (gateway/register.py).

Import the clinic's patient list so that mail carrying a registered patient's name together
with another of their identifiers is held (patient_register_match). Only salted hashes are
kept, never the values; nothing here prints a name, a date or a number from the file.
"""
from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console

from cli.common import ConfigOption, fail, register_store
from gateway.registers import patients as register

app = typer.Typer(no_args_is_help=True, help="The patient register (salted hashes only).")


def _store(config, write: bool = False):
    return register_store(config, register.create, write)


@app.command("import")
def import_(file: Path = typer.Argument(..., metavar="FILE.csv",
                                        help="CSV with a header row: name (or first name and "
                                             "surname), date of birth, email, phone/mobile, "
                                             "postcode, NHS number; other columns are ignored."),
            reason: str = typer.Option("", "--reason", help="Why (kept in the audit log)."),
            config=ConfigOption) -> None:
    """Replace the register with the patients in FILE.csv (hashed under a new salt)."""
    if not file.is_file():
        fail(f"{file}: no such file")
    try:
        with Console(stderr=True).status(f"reading and hashing {file.name}…"):
            report = register.import_csv(_store(config, write=True), file, reason)
    except register.RegisterError as e:
        fail(f"{file}: {e}")
    values = ", ".join(f"{n:,} {k}" for k, n in sorted(report.values.items())) or "none"
    typer.echo(f"{report.patients:,} patients registered ({values})")
    if report.skipped_rows:
        typer.echo(f"{report.skipped_rows:,} rows skipped: no usable name")
    for kind, n in sorted(report.rejected.items()):
        typer.echo(f"{n:,} {kind} values not understood and left out")
    if report.ignored_columns:
        typer.echo(f"columns ignored: {', '.join(report.ignored_columns)}")


@app.command()
def count(config=ConfigOption) -> None:
    """How many patients are registered, and how many values of each kind."""
    state, counts = register.status(_store(config))
    patients = state.patients if state else 0
    typer.echo(f"{patients:,} patients registered")
    if patients:
        typer.echo("values: " + ", ".join(f"{n:,} {k}" for k, n in sorted(counts.items())))
        typer.echo(f"imported {state.imported_at:%Y-%m-%d %H:%M} UTC by {state.imported_by}")


@app.command()
def clear(reason: str = typer.Option(..., "--reason", help="Why (kept in the audit log)."),
          yes: bool = typer.Option(False, "--yes", help="Do not ask for confirmation."),
          config=ConfigOption) -> None:
    """Empty the register."""
    if not yes:
        typer.confirm("Remove every patient from the register?", abort=True)
    before = register.clear(_store(config, write=True), reason)
    typer.echo(f"register cleared ({before:,} patients removed)")


@app.command()
def forget(patient: str = typer.Argument(..., metavar="NAME|NUMBER",
                                         help="The patient's full name as in the register "
                                              "file, or their register number."),
           reason: str = typer.Option(..., "--reason", help="Why, e.g. an erasure request "
                                                           "(kept in the audit log)."),
           config=ConfigOption) -> None:
    """Remove one patient from the register (right to erasure). The name is looked up by
    its hash and is never stored or logged."""
    removed = register.forget(_store(config, write=True), patient, reason)
    if not removed:
        fail("no such patient in the register")
    typer.echo(f"{removed} patient(s) removed from the register")
