"""`mailscreen audit`: who did what to held mail, and a check that nobody edited it since."""
from __future__ import annotations

import json

import typer
from rich.table import Table

from cli import common
from cli.common import (
    ConfigOption,
    Output,
    fail,
    say_config,
    settings_or_exit,
    store_or_exit,
)
from gateway.control import ControlError, relay_socket, request
from gateway.database import audit
from gateway.database.store import AuditEvent
from gateway.timefmt import parse_since

app = typer.Typer(help="The tamper-evident audit log of admin actions.")


@app.callback(invoke_without_command=True)
def show(ctx: typer.Context,
         since: str = typer.Option(None, "--since", help="Only since: 7d or 2026-11-01."),
         as_json: bool = typer.Option(False, "--json", help="One JSON object a line."),
         config=ConfigOption) -> None:
    """List audit rows, oldest first."""
    if ctx.invoked_subcommand:
        return
    try:
        since_dt = parse_since(since) if since else None
    except ValueError as e:
        fail(str(e))
    settings = settings_or_exit(config)
    path = relay_socket(settings)
    if path is not None:
        try:
            rows = [AuditEvent.model_validate(r) for r in request(
                path, "audit.events", since=since_dt.isoformat() if since_dt else None)]
        except ControlError as e:
            fail(str(e))
    else:
        rows = audit.events(store_or_exit(settings, write=False), since_dt)
    if as_json:
        for r in rows:
            typer.echo(json.dumps({"id": r.id, "at": r.at.isoformat(), "user": r.user,
                                   "action": r.action, "message_ids": json.loads(r.message_ids),
                                   "reason": r.reason, "detail": json.loads(r.detail or "{}"),
                                   "hash": r.hash}))
        return
    say_config()
    table = Table(title=f"{len(rows)} audit row(s)")
    for column in ("#", "time (UTC)", "user", "action", "messages", "reason", "detail"):
        table.add_column(column, overflow="fold")
    for r in rows:
        ids = json.loads(r.message_ids)
        table.add_row(str(r.id), f"{r.at:%Y-%m-%d %H:%M:%S}", r.user, r.action,
                      ", ".join(ids[:5]) + (f" +{len(ids) - 5}" if len(ids) > 5 else ""),
                      r.reason, " ".join(f"{k}={v}" for k, v in json.loads(r.detail or "{}").items()))
    Output().print(table)


@app.command()
def verify(config=ConfigOption) -> None:
    """Check the hash chain; name the first row that was changed, removed or reordered."""
    settings = settings_or_exit(config)
    path = relay_socket(settings)
    if path is not None:
        try:
            check = audit.ChainCheck(**request(path, "audit.verify"))
        except ControlError as e:
            fail(str(e))
    else:
        check = audit.verify(store_or_exit(settings, write=False))
    if check.ok:
        typer.echo(f"audit chain OK: {check.rows} row(s) (config: {common.used})")
        return
    fail(f"audit chain broken at row {check.first_broken}: {check.why}")
