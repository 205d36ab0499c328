"""`mailscreen held ...`: review held mail, approve, release, reject, purge."""
from __future__ import annotations

import json
import sys
from contextlib import nullcontext
from datetime import timedelta

import typer
from rich import box
from rich.console import Console
from rich.progress import track
from rich.table import Table

from cli.common import (
    ConfigOption,
    Output,
    fail,
    say_config,
    settings_or_exit,
    store_or_exit,
)
from gateway import control
from gateway.control import RemoteModerator
from gateway.database.store import HeldMessage
from gateway.quarantine.moderation import (
    REASON_CODES,
    Filters,
    ModerationError,
    Moderator,
)
from gateway.timefmt import age, parse_duration, parse_since
from scanners import registry

app = typer.Typer(no_args_is_help=True, help="Review and decide on held mail.")
console = Output()

CategoryOpt = typer.Option(None, "--category", help="Only this category (patient_data, ...).")
SenderOpt = typer.Option(None, "--sender", help="Only senders containing this text.")
SinceOpt = typer.Option(None, "--since", help="Only held since: 7d, 24h or 2026-11-01.")
RuleOpt = typer.Option(None, "--rule", help="Only messages held by this rule id.")
RecipientOpt = typer.Option(None, "--recipient", help="Only recipients containing this text.")
StatusOpt = typer.Option("held", "--status", help="held, released, rejected or all.")


def moderator(config, write: bool = False) -> Moderator | RemoteModerator:
    """gateway.control.moderator: the relay over its admin socket when it runs."""
    try:
        return control.moderator(settings_or_exit(config), store_or_exit, write)
    except ModerationError as e:
        fail(str(e))


def filters(status, category, sender, since, rule, recipient=None) -> Filters:
    if status not in ("held", "released", "rejected", "all"):
        fail("--status must be held, released, rejected or all")
    try:
        since_dt = parse_since(since) if since else None
        return Filters(status=None if status == "all" else status, category=category,
                       sender=sender, rule=rule, since=since_dt,
                       recipient=recipient).check(registry.rule_descriptions())
    except (ValueError, ModerationError) as e:
        fail(str(e))


def row_json(row: HeldMessage) -> dict:
    return {"id": row.id, "held_at": row.held_at.isoformat(), "status": row.status,
            "sender": row.mail_from, "recipients": row.recipients, "subject": row.subject,
            "categories": [c for c in row.categories.split(",") if c],
            "rules": [r for r in row.hold_rules.split(",") if r], "top_rule": row.top_rule,
            "four_eyes": row.four_eyes, "approved_by": row.approved_by,
            "decided_by": row.decided_by, "reason_code": row.reason_code, "reason": row.reason,
            "findings": row.finding_dicts}


def held_table(rows: list[HeldMessage], title: str, with_status: bool) -> Table:
    """Readable at 80 columns: headers never break, the id never wraps, categories only
    on a wide terminal (the top rule names the category's finding anyway)."""
    wide = console.width >= 120
    table = Table(title=title, box=box.SIMPLE_HEAD, pad_edge=False)
    table.add_column("id", no_wrap=True)
    table.add_column("age", no_wrap=True)
    if with_status:
        table.add_column("status", no_wrap=True)
    for column in ("sender", "to", "subject") + (("categories",) if wide else ()) + ("rule",):
        table.add_column(column, overflow="fold", min_width=len(column), ratio=1)
    for row in rows:
        rcpts = row.recipients
        cells = [row.id, age(row.held_at)] + ([row.status] if with_status else []) + [
            row.mail_from or "<>", rcpts[0] + (f" +{len(rcpts) - 1}" if len(rcpts) > 1 else ""),
            row.subject[:60]] + ([row.categories.replace(",", ", ")] if wide else []) + [
            row.top_rule + (" (4 eyes)" if row.four_eyes and row.status == "held" else "")]
        table.add_row(*cells)
    return table


@app.command("list")
def list_held(category: str = CategoryOpt, sender: str = SenderOpt, since: str = SinceOpt,
              rule: str = RuleOpt, status: str = StatusOpt, recipient: str = RecipientOpt,
              as_json: bool = typer.Option(False, "--json", help="One JSON object a line."),
              limit: int = typer.Option(50, "--limit", min=1, help="Rows a page."),
              page: int = typer.Option(1, "--page", min=1, help="Page to show."),
              config=ConfigOption) -> None:
    """Held messages, newest first (with --json all of them, else a page)."""
    wanted = filters(status, category, sender, since, rule, recipient)
    m = moderator(config)
    try:
        if as_json:
            for row in m.find(wanted):
                typer.echo(json.dumps(row_json(row), ensure_ascii=False))
            return
        total = m.count(wanted)  # then only the page is read
        shown = m.find(wanted, limit, (page - 1) * limit)
    except ModerationError as e:
        fail(str(e))
    say_config()
    pages = max(1, -(-total // limit))
    console.print(held_table(shown, f"{total} message(s), {status}" +
                             (f", page {page} of {pages}" if pages > 1 else ""),
                             with_status=status == "all"))
    if page < pages:
        console.print(f"more: --page {page + 1}")


@app.command()
def show(message_id: str = typer.Argument(..., metavar="ID"),
         raw: bool = typer.Option(False, "--raw", help="Print the original message "
                                  "(root or the raw-access group only)."),
         config=ConfigOption) -> None:
    """One held message: envelope, findings with redacted evidence, attachments."""
    m = moderator(config)
    try:
        row = m.get(message_id)
        if raw:
            sys.stdout.buffer.write(m.raw(row))
            return
    except ModerationError as e:
        fail(str(e))
    rules = registry.rule_descriptions()
    say_config()
    console.print(f"[bold]{row.id}[/bold]  {row.status}"
                  + (f" by {row.decided_by} ({row.reason_code or '-'}): {row.reason}"
                     if row.decided_by else ""))
    console.print(f"received  {row.received_at:%Y-%m-%d %H:%M} UTC ({age(row.received_at)} ago)")
    console.print(f"from      {row.mail_from or '<>'}")
    console.print(f"to        {', '.join(row.recipients)}")
    console.print(f"subject   {row.subject}")
    console.print(f"size      {row.size:,} bytes")
    if row.justification:
        console.print(f"justified by the sender: {row.justification}", markup=False,
                      highlight=False)
    if row.four_eyes:
        console.print("four eyes " + (f"approved by {row.approved_by}" if row.approved_by
                                      else "needs approval by one admin, release by another"))
    console.print("\n[bold]findings[/bold]")
    for f in row.finding_dicts:
        console.print(f"  {f['severity']:<6} {f['category']}/{f['rule']} at {f['where']}: "
                      f"{f['evidence']}", markup=False, highlight=False)
        console.print(f"         {rules.get(f['rule'], '')}", style="dim", markup=False)
    attachments = json.loads(row.attachments)
    if attachments:
        table = Table(title="attachments")
        for column in ("name", "real type", "size"):
            table.add_column(column, overflow="fold")
        for a in attachments:
            table.add_row(a["name"], a["real_type"], f"{a['size']:,}")
        console.print(table)


def _decide(ids: list[str], action, verb: str) -> None:
    failed = 0
    for message_id in track(ids, description=f"{verb}…", console=Console(stderr=True),
                            disable=len(ids) < 5):
        try:
            row = action(message_id)
            typer.echo(f"{row.id}: {row.status if verb != 'approving' else 'approved'}")
        except ModerationError as e:
            typer.echo(f"mailscreen: {e}", err=True)
            failed += 1
    if failed:
        raise typer.Exit(1)


def _matching(m: Moderator, ids, all_matching, status_filters, yes: bool, verb: str):
    if all_matching:
        if ids:
            fail("give ids or --all-matching, not both")
        try:
            rows = m.find(filters("held", *status_filters))
        except ModerationError as e:
            fail(str(e))
        if not rows:
            fail("no held message matches")
        if not yes:
            console.print(held_table(rows, f"{len(rows)} held message(s) match",
                                     with_status=False))
            typer.confirm(f"{verb} these {len(rows)} held message(s)?", abort=True)
        return [r.id for r in rows]
    if not ids:
        fail("give at least one id (or --all-matching with filters)")
    return ids


@app.command()
def approve(ids: list[str] = typer.Argument(..., metavar="ID..."),
            reason: str = typer.Option(..., "--reason", help="Why (kept in the audit log)."),
            config=ConfigOption) -> None:
    """First of four eyes: approve a release that a different admin then carries out."""
    m = moderator(config, write=True)
    _decide(ids, lambda i: m.approve(i, reason), "approving")


@app.command()
def release(ids: list[str] = typer.Argument(None, metavar="ID..."),
            reason_code: str = typer.Option(..., "--reason-code",
                                            help=f"One of {', '.join(REASON_CODES)}."),
            reason: str = typer.Option(..., "--reason", help="Why (kept in the audit log)."),
            all_matching: bool = typer.Option(False, "--all-matching",
                                              help="Release every held message the filters match."),
            category: str = CategoryOpt, sender: str = SenderOpt, since: str = SinceOpt,
            rule: str = RuleOpt, recipient: str = RecipientOpt,
            yes: bool = typer.Option(False, "--yes", help="Do not ask before a bulk release."),
            config=ConfigOption) -> None:
    """Release held mail: it is delivered once, through the normal delivery queue."""
    if reason_code not in REASON_CODES:
        fail(f"--reason-code must be one of {', '.join(REASON_CODES)}")
    m = moderator(config, write=True)
    ids = _matching(m, ids, all_matching, (category, sender, since, rule, recipient), yes, "Release")
    _decide(ids, lambda i: m.release(i, reason_code, reason), "releasing")


@app.command()
def reject(ids: list[str] = typer.Argument(None, metavar="ID..."),
           reason: str = typer.Option(..., "--reason", help="Why (sent with --notify)."),
           notify: bool = typer.Option(False, "--notify",
                                       help="Tell the sender it was not sent, and why."),
           all_matching: bool = typer.Option(False, "--all-matching",
                                             help="Reject every held message the filters match."),
           category: str = CategoryOpt, sender: str = SenderOpt, since: str = SinceOpt,
           rule: str = RuleOpt, recipient: str = RecipientOpt,
           yes: bool = typer.Option(False, "--yes", help="Do not ask before a bulk reject."),
           config=ConfigOption) -> None:
    """Reject held mail: it is never sent; the raw message is kept until purged."""
    m = moderator(config, write=True)
    ids = _matching(m, ids, all_matching, (category, sender, since, rule, recipient), yes, "Reject")
    _decide(ids, lambda i: m.reject(i, reason, notify), "rejecting")


@app.command()
def purge(older_than: str = typer.Option(None, "--older-than",
                                         help="e.g. 30d (default: admin.retention_days)."),
          config=ConfigOption) -> None:
    """Expire held mail past admin.hold_days, delete the raw bytes of mail decided longer
    ago than --older-than, then the rows past admin.log_retention_days,
    row_retention_days and audit_retention_days."""
    m = moderator(config, write=True)
    try:
        period = parse_duration(older_than) if older_than else \
            timedelta(days=m.settings.admin.retention_days)
    except ValueError as e:
        fail(str(e))
    try:
        expired = m.expire()
        candidates = len(m.find(Filters(status=None)))
        with Console(stderr=True).status("purging…") if candidates > 100 else nullcontext():
            purged = m.purge(period)
        kept = m.retain()
    except ModerationError as e:
        fail(str(e))
    typer.echo(f"expired {len(expired)} held message(s); purged the raw copy of "
               f"{len(purged)} decided message(s) older than {period.days} days")
    typer.echo(f"past retention: {kept['screening_log']} screening log row(s), "
               f"{kept['held_rows']} quarantine row(s), {kept['audit_rows']} audit row(s) "
               f"deleted")



@app.command()
def export(address: str = typer.Argument(..., metavar="ADDRESS"),
           raw: bool = typer.Option(False, "--raw", help="Include the quarantined messages "
                                    "(root or the raw-access group only)."),
           config=ConfigOption) -> None:
    """Everything kept about one mail address, as JSON (UK GDPR right of access): held
    mail to or from it, its audit rows, screening log rows it sent, and whether the
    patient register holds it. The export itself is audited."""
    m = moderator(config, write=True)
    try:
        typer.echo(json.dumps(m.export(address, raw), indent=2, ensure_ascii=False))
    except ModerationError as e:
        fail(str(e))
