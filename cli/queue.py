"""`mailscreen queue ...`: what waits in the spool (postqueue -p/-f, postsuper -d/-h/-H)."""
from __future__ import annotations

import json
import time

import typer
from rich import box
from rich.table import Table

from cli.common import (
    ConfigOption,
    Output,
    data_or_exit,
    fail,
    open_store,
    say_config,
    settings_or_exit,
)
from gateway.database import audit
from gateway.relay.queues import SHOWN, QueuedMessage, QueueError, Queues
from gateway.relay.spool import Spool

app = typer.Typer(no_args_is_help=True,
                  help="Mail waiting in the spool: list, show, flush, delete, hold, release.")
console = Output()


def queues(config, write: bool = True) -> tuple[Queues, object]:
    """The relay's spool; there must be one (a look never makes it)."""
    settings = settings_or_exit(config)
    data_or_exit(settings)
    spool = Spool(settings.data_path / "spool")
    return Queues(spool.create() if write else spool), settings


def _audit(settings, action: str, ids: list[str], reason: str = "") -> None:
    store = open_store(settings)
    try:
        audit.record(store, action, ids, reason)
    finally:
        store.dispose()


def age(since: float, now: float | None = None) -> str:
    seconds = max(0.0, (now or time.time()) - since)
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{int(seconds // size)}{unit}"
    return f"{int(seconds)}s"


def _recipients(m: QueuedMessage) -> str:
    rcpts = m.envelope.rcpt_tos if m.envelope else []
    if not rcpts:
        return "-"
    return rcpts[0] + (f" +{len(rcpts) - 1}" if len(rcpts) > 1 else "")


@app.command("list")
def list_queue(queue: str = typer.Option(None, "--queue",
                                         help=f"Only this queue: {', '.join(SHOWN)}."),
               as_json: bool = typer.Option(False, "--json", help="One JSON object a line."),
               config=ConfigOption) -> None:
    """Everything in the spool that is not yet delivered or decided, oldest first,
    corrupt entries included."""
    if queue is not None and queue not in SHOWN:
        fail(f"--queue must be one of {', '.join(SHOWN)}")
    q, _ = queues(config, write=False)
    entries = q.list((queue,) if queue else SHOWN)
    if as_json:
        for m in entries:
            typer.echo(json.dumps(m.to_json(), ensure_ascii=False))
        return
    say_config()
    wide = console.width >= 120
    table = Table(title=f"{len(entries)} message(s) in the queue", box=box.SIMPLE_HEAD,
                  pad_edge=False)
    table.add_column("id", no_wrap=True)
    table.add_column("state", no_wrap=True)
    table.add_column("age", no_wrap=True)
    if wide:
        table.add_column("size", justify="right", no_wrap=True)
    for column in ("sender", "to", "last error"):
        table.add_column(column, overflow="fold", min_width=len(column), ratio=1)
    for m in entries:
        env = m.envelope
        table.add_row(m.id, m.state, age(env.received_at) if env and env.received_at else "-",
                      *([f"{m.size:,}"] if wide else []),
                      (env.mail_from or "<>") if env else "?", _recipients(m),
                      (env.last_error if env else m.problem) or "")
    console.print(table)


@app.command()
def show(message_id: str = typer.Argument(..., metavar="ID"),
         as_json: bool = typer.Option(False, "--json", help="As one JSON object."),
         config=ConfigOption) -> None:
    """One queued message: its envelope and delivery state (never the body)."""
    q, _ = queues(config, write=False)
    try:
        m = q.get(message_id)
    except QueueError as e:
        fail(str(e))
    if as_json:
        typer.echo(json.dumps(m.to_json(), ensure_ascii=False))
        return
    env = m.envelope
    lines = [f"id          {m.id}", f"state       {m.state}", f"size        {m.size:,} bytes"]
    if env is None:
        lines.append(f"problem     {m.problem}")
    else:
        lines += [f"received    {time.strftime('%Y-%m-%d %H:%M', time.gmtime(env.received_at))}"
                  f" UTC ({age(env.received_at)} ago)",
                  f"from        {env.mail_from or '<>'}",
                  f"to          {', '.join(env.rcpt_tos)}",
                  f"kind        {env.kind}" + (f", {env.verdict}" if env.verdict else ""),
                  f"attempts    {env.attempts}"]
        if env.attempts and env.next_attempt:
            lines.append(f"next try    in {age(time.time(), env.next_attempt)}"
                         if env.next_attempt > time.time() else "next try    now")
        if env.last_error:
            lines.append(f"last error  {env.last_error}")
        if env.delay_warned:
            lines.append("delay       the sender was told it is still being tried")
    for line in lines:
        console.print(line, markup=False, highlight=False)


@app.command()
def flush(ids: list[str] = typer.Argument(None, metavar="[ID]...",
                                          help="Only these (default: every deferred message)."),
          config=ConfigOption) -> None:
    """Try deferred mail again now (postqueue -f)."""
    q, _ = queues(config)
    try:
        flushed = q.flush(ids or None)
    except QueueError as e:
        fail(str(e))
    typer.echo(f"{len(flushed)} message(s) due for delivery now")


def _each(ids: list[str], action, verb: str, settings) -> None:
    failed, done = 0, []
    for ref in ids:
        try:
            m = action(ref)
        except QueueError as e:
            typer.echo(f"mailscreen: {e}", err=True)
            failed += 1
            continue
        done.append(m.id)
        typer.echo(f"{m.id}: {verb}")
    if done:
        _audit(settings, f"queue_{verb}", done)
    if failed:
        raise typer.Exit(1)


@app.command()
def delete(ids: list[str] = typer.Argument(..., metavar="ID..."),
           yes: bool = typer.Option(False, "--yes", help="Do not ask first."),
           config=ConfigOption) -> None:
    """Delete queued mail for good: it is never delivered (postsuper -d). Mail held by
    screening is decided with `mailscreen held reject` instead."""
    q, settings = queues(config)
    if not yes:
        for ref in ids:
            try:
                m = q.get(ref)
                typer.echo(f"  {m.id}  {m.state}  {(m.envelope.mail_from or '<>') if m.envelope else '?'}"
                           f" -> {_recipients(m)}")
            except QueueError:
                pass
        typer.confirm(f"Delete {len(ids)} message(s) for good?", abort=True)
    _each(ids, q.delete, "deleted", settings)


@app.command()
def hold(ids: list[str] = typer.Argument(..., metavar="ID..."), config=ConfigOption) -> None:
    """Keep mail waiting for delivery out of it until `queue release` (postsuper -h)."""
    q, settings = queues(config)
    _each(ids, q.hold, "held", settings)


@app.command()
def release(ids: list[str] = typer.Argument(..., metavar="ID..."),
            config=ConfigOption) -> None:
    """Deliver mail held with `queue hold` now (postsuper -H)."""
    q, settings = queues(config)
    _each(ids, q.release, "released", settings)
