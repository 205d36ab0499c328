"""`mailscreen scan FILE...`: screen .eml files offline, with no server.

`--json` prints one object a line: {"file", "action", "findings": [{"category", "rule",
"severity", "where", "evidence"}]} (plus "error" when the file could not be read). A finding
also has "addressee" and "tags" when it has them, and the line "notes" when the decision
step explains why findings did not hold ("lawful_disclosure: ...", "patient_herself: ...").
That output is a stable interface read by other tools.
"""
from __future__ import annotations

import json
from pathlib import Path

import typer
from sqlalchemy import create_engine
from sqlalchemy.pool import StaticPool

from cli.common import ConfigOption, settings_or_exit
from gateway.app import sandbox_config
from gateway.decision.judge import OfflineEnvelope, judge
from gateway.decision.repetition import RecentBody, Repetition
from gateway.pipeline import failed_result
from gateway.relay.sandbox import Sandbox


def scan(files: list[Path] = typer.Argument(..., help=".eml files to screen"),
         as_json: bool = typer.Option(False, "--json", help="One JSON object a line."),
         rcpt: list[str] = typer.Option(None, "--rcpt", help="Envelope recipient, as the relay "
                                        "would see it (repeatable); default: the To, Cc and "
                                        "Bcc headers."),
         config: Path = ConfigOption) -> None:
    """Screen .eml files offline and print the verdict for each."""
    settings = settings_or_exit(config)
    sandbox = Sandbox(sandbox_config(settings))
    # bulk repetition over the files of this run, in memory: a run of 30 copies of one
    # newsletter is judged as the relay would judge them, and nothing is recorded
    memory = create_engine("sqlite://", poolclass=StaticPool)
    RecentBody.__table__.create(memory)
    repetition = Repetition(memory, settings.bulk)
    errors = 0
    try:
        for path in files:
            error = ""
            if not path.is_file():
                error = "not a readable file" if path.exists() else "no such file"
                result = failed_result(f"file could not be read: {error}")
            else:
                result = sandbox.scan(str(path.resolve()))
            errors += bool(error)
            # a file saved from a Sent folder keeps its Bcc header: those addresses were
            # envelope recipients, as the relay would have seen them
            envelope = OfflineEnvelope(result.sender, list(
                rcpt or dict.fromkeys(result.recipients + result.bcc)))
            verdict = judge(result, envelope, settings, repetition, str(path))
            if as_json:
                line = {"file": str(path), "action": str(verdict.action),
                        "findings": [f.to_dict() for f in verdict.findings]}
                if verdict.notes:
                    line["notes"] = list(verdict.notes)
                if error:
                    line["error"] = error
                typer.echo(json.dumps(line, ensure_ascii=False))
            else:
                typer.echo(f"{path}: {verdict.action}" + (f" ({error})" if error else ""))
                for f, action in verdict.decisions:
                    typer.echo(f"  {str(action):<4} {str(f.severity):<6} {f.category}/{f.rule} "
                               f"at {f.where}: {f.evidence}")
                for note in verdict.notes:
                    typer.echo(f"  note: {note}")
    finally:
        sandbox.close()
    if errors:
        raise typer.Exit(1)
