"""`mailscreen status`: one screen of health: is the relay listening, can it reach the
upstream, what waits in which queue and for how long, what was screened today.

Exit status 0 when all is well, 1 when something needs a person (the relay is down,
corrupt entries, mail waiting longer than the delay warning), for a monitoring check."""
from __future__ import annotations

import json
import socket
import time
from datetime import timedelta

import typer
from rich.table import Table
from sqlmodel import func, select

from cli import common
from cli.common import (
    ConfigOption,
    Output,
    data_or_exit,
    open_store,
    say_config,
    settings_or_exit,
)
from cli.queue import age
from gateway.database.store import HeldMessage, ScreeningLog, as_utc, utcnow
from gateway.relay.queues import Queues
from gateway.relay.spool import Spool

console = Output()


def banner(host: str, port: int, timeout: float = 3.0) -> str:
    """The SMTP greeting of host:port, or why there is none ("refused", "timeout")."""
    try:
        with socket.create_connection((host, port), timeout=timeout) as s:
            s.settimeout(timeout)
            line = s.makefile("rb").readline(512).decode("ascii", "replace").strip()
            try:
                s.sendall(b"QUIT\r\n")
            except OSError:
                pass
            return line or "no greeting"
    except ConnectionRefusedError:
        return "connection refused"
    except TimeoutError:
        return "timed out"
    except OSError as e:
        return e.strerror or str(e)


def gather(settings) -> dict:
    data_or_exit(settings)
    spool = Spool(settings.data_path / "spool")
    entries = Queues(spool).list()
    now = time.time()
    queues: dict[str, dict] = {}
    for m in entries:
        state = "deferred" if m.state == "deferred" else m.queue
        q = queues.setdefault(state, {"count": 0, "oldest_seconds": 0.0})
        q["count"] += 1
        if m.envelope and m.envelope.received_at:
            q["oldest_seconds"] = max(q["oldest_seconds"], now - m.envelope.received_at)
    host = settings.server.host if settings.server.host not in ("0.0.0.0", "::") else "127.0.0.1"
    relay = banner(host, settings.server.port)
    up = settings.upstream
    upstream = banner(up.host, up.port) if up.host else f"Maildir outbox {settings.data_path / 'outbox'}"
    store = open_store(settings)
    try:
        with store.session() as s:
            held = s.exec(select(func.count(), func.min(HeldMessage.held_at))
                          .where(HeldMessage.status == "held")).one()
            day = s.exec(select(ScreeningLog.action, func.count())
                         .where(ScreeningLog.screened_at >= utcnow() - timedelta(days=1))
                         .group_by(ScreeningLog.action)).all()
    finally:
        store.dispose()
    oldest_held = as_utc(held[1])
    report = {
        "config": common.used,
        "relay": {"address": f"{settings.server.host}:{settings.server.port}",
                  "greeting": relay, "up": relay.startswith("220")},
        "upstream": {"address": f"{up.host}:{up.port}" if up.host else "",
                     "greeting": upstream,
                     "up": upstream.startswith("220") or not up.host},
        "metrics": (f"http://{settings.metrics.host}:{settings.metrics.port}/metrics"
                    if settings.metrics.port else ""),
        "queues": queues,
        "held": {"count": held[0], "oldest_seconds":
                 (utcnow() - oldest_held).total_seconds() if oldest_held else 0.0},
        "last_24h": {action: n for action, n in day},
    }
    problems = []
    if not report["relay"]["up"]:
        problems.append(f"the relay is not answering on {report['relay']['address']}: {relay}")
    if not report["upstream"]["up"]:
        problems.append(f"the upstream {report['upstream']['address']} is not answering: {upstream}")
    if queues.get("corrupt"):
        problems.append(f"{queues['corrupt']['count']} corrupt spool entr(ies): "
                        f"see `mailscreen queue list --queue corrupt`")
    waiting = max((queues.get(q, {}).get("oldest_seconds", 0.0) for q in ("outgoing", "deferred")),
                  default=0.0)
    if settings.delivery.delay_warning and waiting > settings.delivery.delay_warning:
        problems.append(f"mail has waited {age(now - waiting)} for delivery: "
                        f"see `mailscreen queue list`")
    if queues.get("incoming", {}).get("oldest_seconds", 0.0) > 600:
        problems.append("mail has waited over 10 minutes to be screened")
    report["problems"] = problems
    return report


def status(as_json: bool = typer.Option(False, "--json", help="As one JSON object."),
           config=ConfigOption) -> None:
    """Health at a glance: which config, relay, upstream, queues, held mail, the last 24
    hours. Exit 1 when something needs a person, the relay not answering included."""
    settings = settings_or_exit(config)
    report = gather(settings)
    if as_json:
        typer.echo(json.dumps(report))
        raise typer.Exit(1 if report["problems"] else 0)
    say_config(console)
    ok = "[green]up[/green]"
    r, u = report["relay"], report["upstream"]
    console.print(f"[bold]relay[/bold]     {r['address']}  {ok if r['up'] else '[red]DOWN[/red]'}"
                  f"  {r['greeting'] if not r['up'] else ''}".rstrip())
    console.print(f"[bold]upstream[/bold]  {u['address'] or u['greeting']}  "
                  + (ok if u["up"] else f"[red]DOWN[/red]  {u['greeting']}"))
    metrics = report["metrics"] or r"off (set \[metrics] port)"
    console.print(f"[bold]metrics[/bold]   {metrics}")
    table = Table(title="queues", title_justify="left")
    table.add_column("queue")
    table.add_column("messages", justify="right")
    table.add_column("oldest", justify="right")
    for name in ("incoming", "active", "outgoing", "deferred", "sending", "hold", "corrupt"):
        q = report["queues"].get(name, {"count": 0, "oldest_seconds": 0})
        table.add_row(name, str(q["count"]),
                      age(time.time() - q["oldest_seconds"]) if q["count"] else "-")
    console.print(table)
    held = report["held"]
    console.print(f"[bold]held for review[/bold]  {held['count']}"
                  + (f" (oldest {age(time.time() - held['oldest_seconds'])})" if held["count"] else ""))
    day = report["last_24h"]
    console.print("[bold]last 24 hours[/bold]   " + (", ".join(
        f"{day.get(a, 0)} {a}" for a in ("pass", "tag", "hold")) if day else "nothing screened"))
    if report["problems"]:
        for p in report["problems"]:
            console.print(f"[red]![/red] {p}", highlight=False)
        raise typer.Exit(1)
    console.print("[green]all well[/green]")
