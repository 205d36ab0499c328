"""`mailscreen report weekly`: the weekly screening report, as a table, HTML, CSV or JSON,
printed or sent by mail through the relay's delivery queue."""
from __future__ import annotations

import csv
import email.policy
import email.utils
import io
import json
from datetime import timedelta
from email.message import EmailMessage
from pathlib import Path

import typer
from rich.markup import escape
from rich.table import Table

from cli.common import (
    ConfigOption,
    Output,
    data_or_exit,
    fail,
    open_store,
    owner_or_exit,
    say_config,
    settings_or_exit,
)
from gateway.quarantine import report_html
from gateway.quarantine.report import CATEGORY_MEANINGS, WeeklyReport
from gateway.quarantine.report import weekly as build_weekly
from gateway.relay.delivery import queue_notice
from gateway.relay.spool import Spool
from scanners import registry

app = typer.Typer(no_args_is_help=True, help="Screening reports for admins.")
FORMATS = ("table", "html", "csv", "json")


def rows(r: WeeklyReport):
    """The report as (section, name, value) rows: the CSV, and the source of the table."""
    for key, value in vars(r.totals).items():
        yield "totals", key, value
    for key, value in vars(r.previous).items():
        yield "previous_week", key, value
    for key in vars(r.totals):
        yield "change", key, r.change(key)
    for key, value in r.held_by_category.items():
        yield "held_by_category", key, value
    for key, value in r.held_by_rule.items():
        yield "held_by_rule", key, value
    for sender, n in r.top_held_senders:
        yield "top_held_senders", sender, n
    yield "decisions", "released", r.released
    yield "decisions", "rejected", r.rejected
    yield "decisions", "expired", r.expired
    yield "decisions", "median_hours_to_decision", \
        "" if r.median_hours_to_decision is None else r.median_hours_to_decision
    for rule, o in r.rules.items():
        yield "rule_decided", rule, o.decided
        yield "rule_released", rule, o.released
        yield "rule_false_positive", rule, o.false_positive
        yield "rule_false_positive_rate", rule, o.false_positive_rate
    for w in r.trend:
        for key in ("screened", "passed", "tagged", "held"):
            yield f"trend_{key}", w.week, getattr(w, key)
    yield "backlog", "count", r.backlog_count
    for b in r.backlog:
        yield "backlog_age_hours", b.id, b.age_hours
    # added with the report a practice manager reads in ten seconds (issue 24)
    for key, value in vars(r.todo).items():
        yield "todo", key, "" if value is None else value
    if r.so_far:
        for key in vars(r.totals):
            yield "so_far", key, getattr(r.so_far, key)
    yield "held", "messages", r.held_messages
    yield "held", "findings", r.findings
    for key, value in r.held_by_top_rule.items():
        yield "held_by_top_rule", key, value
    for key, value in r.findings_by_category.items():
        yield "findings_by_category", key, value
    for key, value in r.findings_by_rule.items():
        yield "findings_by_rule", key, value
    for key, value in r.released_by_reason.items():
        yield "released_by_reason", key, value
    yield "decisions", "withdrawn_by_sender", r.withdrawn_by_sender
    for rule, o in r.rules.items():
        yield "rule_sender_justified", rule, o.sender_justified
        yield "rule_sender_withdrew", rule, o.sender_withdrew


def as_csv(r: WeeklyReport) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["week", "section", "name", "value"])
    for section, name, value in rows(r):
        writer.writerow([r.week, section, name, value])
    return out.getvalue()


def print_table(r: WeeklyReport) -> None:
    console = Output()
    say_config()
    console.print(f"[bold]Screening report {r.week}{'' if r.complete else ' (so far)'}[/bold] "
                  f"({r.start:%d %b} to {r.end - timedelta(days=1):%d %b %Y}, UTC)")
    for line in todo_lines(r):
        console.print(line, markup=False, highlight=False)
    sections: dict[str, list] = {}
    for section, name, value in rows(r):
        sections.setdefault(section, []).append((name, value))
    merged = Table(title="messages")
    columns = ["", "this week" if r.complete else "this week so far"]
    columns += [f"{r.so_far.week} so far"] if r.so_far else []
    for column in (*columns, "week before", "change"):
        merged.add_column(column, justify="right" if column else "left")
    for key in vars(r.totals):
        merged.add_row(key, str(getattr(r.totals, key)),
                       *([str(getattr(r.so_far, key))] if r.so_far else []),
                       str(getattr(r.previous, key)), f"{r.change(key):+d}")
    console.print(merged)
    console.print(f"messages held: {r.held_messages}; findings: {r.findings} in those "
                  f"{r.held_messages} messages")
    descriptions = registry.rule_descriptions()
    for section in ("held_by_top_rule", "findings_by_category", "findings_by_rule",
                    "top_held_senders", "decisions", "released_by_reason"):
        table = Table(title=section.replace("_", " "), show_header=False)
        table.add_column("")
        table.add_column("", justify="right")
        for name, value in sections.get(section, []):
            words = report_html.short_name(name, descriptions) if "rule" in section else ""
            table.add_row(f"{name} [dim]{escape(words)}[/dim]" if words else name,
                          "–" if value == "" else str(value))
        console.print(table)
    trend = Table(title=f"last {len(r.trend)} weeks")
    for column in ("week", "screened", "passed", "tagged", "held"):
        trend.add_column(column, justify="left" if column == "week" else "right")
    for w in r.trend:
        trend.add_row(w.week, str(w.screened), str(w.passed), str(w.tagged), str(w.held),
                      style="bold" if w.week == r.week else None)
    console.print(trend)
    rules = Table(title="holds decided, by rule (sender: the sender's own decisions)")
    for column in ("rule", "decided", "released", "false positive", "rate",
                   "sender justified", "sender withdrew"):
        rules.add_column(column, justify="left" if column == "rule" else "right",
                         overflow="fold", ratio=4 if column == "rule" else None)
    for rule, o in r.rules.items():
        rate = "–" if o.false_positive_rate is None else f"{o.false_positive_rate:.0%}"
        words = report_html.short_name(rule, descriptions)
        rules.add_row(f"{rule}\n[dim]{escape(words)}[/dim]" if words else rule,
                      str(o.decided), str(o.released), str(o.false_positive), rate,
                      str(o.sender_justified), str(o.sender_withdrew))
    console.print(rules)
    console.print(f"released on the sender's justification: {len(r.sender_justified)}; "
                  f"withdrawn by the sender: {r.withdrawn_by_sender}")
    for j in r.sender_justified:
        console.print(f"  {j.id}  {j.sender}  {j.top_rule}  {j.justification}",
                      markup=False, highlight=False)
    console.print(f"still held at the end of the week: {r.backlog_count}" +
                  (f", oldest {r.backlog[0].age_hours:g} h ({r.backlog[0].id})" if r.backlog else ""))
    for b in r.backlog[:10]:
        console.print(f"  {b.id}  {report_html.duration(b.age_hours):>8}  {b.top_rule}  "
                      f"{b.subject or '(no subject)'}", markup=False, highlight=False)
    console.print("[bold]glossary[/bold]")
    for rule in report_html.glossary_rules(r):
        console.print(f"  {rule}: {descriptions.get(rule, '(no description)')}",
                      markup=False, highlight=False)
    for category, meaning in CATEGORY_MEANINGS.items():
        console.print(f"  {category}: {meaning}", markup=False, highlight=False)
    if r.corrupt:
        console.print(f"[bold red]corrupt/: {len(r.corrupt)} spool entr"
                      f"{'y' if len(r.corrupt) == 1 else 'ies'} could not be read and need a "
                      f"person[/bold red] ({', '.join(r.corrupt[:5])})")


def todo_lines(r: WeeklyReport) -> list[str]:
    """What needs doing now: the top of the table and of the mail's text part."""
    d = r.todo
    return [f"waiting for a decision: {d.waiting}" + (
                f", the oldest for {report_html.in_words(d.oldest_hours)} ({d.oldest_id})"
                if d.waiting else ""),
            f"waiting for a second reviewer: {d.waiting_second_reviewer}; needing a first "
            f"approval: {d.needs_approval}",
            f"sender's justifications waiting for review: {d.justifications_to_review}"]


def mail(r: WeeklyReport, settings, to: str) -> str:
    hostname = settings.server.hostname
    msg = EmailMessage(policy=email.policy.SMTP)
    msg["From"] = f"mailscreen <postmaster@{hostname}>"
    msg["To"] = to
    msg["Subject"] = f"mailscreen screening report {r.week}"
    msg["Date"] = email.utils.formatdate(localtime=False)
    msg["Message-ID"] = email.utils.make_msgid(domain=hostname)
    msg["Auto-Submitted"] = "auto-generated"
    t = r.totals
    msg.set_content("\n".join(todo_lines(r)) + "\n\n"
                    f"Screening report {r.week}: {t.screened} screened, {t.passed} passed, "
                    f"{t.tagged} tagged, {t.held} held; {r.backlog_count} still held.\n"
                    f"Open the HTML part for the full report.\n")
    msg.add_alternative(report_html.render(r, descriptions=registry.rule_descriptions()),
                        subtype="html")
    spool = Spool(settings.data_path / "spool").create()
    return queue_notice(spool, hostname, to, msg.as_bytes())


@app.command()
def weekly(week: str = typer.Option(None, "--week", help="ISO week, e.g. 2026-W47 "
                                    "(default: the last complete week)."),
           fmt: str = typer.Option("table", "--format", help="table, html, csv or json."),
           output: Path = typer.Option(None, "--output", "-o", help="Write to this file."),
           mail_to: str = typer.Option(None, "--mail-to",
                                       help="Send the HTML report to this address."),
           config=ConfigOption) -> None:
    """The weekly screening report."""
    if fmt not in FORMATS:
        fail(f"--format must be one of {', '.join(FORMATS)}")
    if fmt == "table" and output:
        fail("the table is for the terminal: use --format html, csv or json with --output")
    settings = settings_or_exit(config)
    data_or_exit(settings, local=False)
    try:  # the CSV and JSON list every message still held; the page and table the oldest
        report = build_weekly(open_store(settings), week,
                              corrupt=Spool(settings.data_path / "spool").list("corrupt"),
                              backlog_limit=None if fmt in ("csv", "json")
                              else report_html.BACKLOG_SHOWN)
    except ValueError as e:
        fail(str(e))
    if mail_to:
        if "@" not in mail_to:
            fail(f"not a mail address: {mail_to!r}")
        owner_or_exit(settings)  # it writes to the relay's spool
        msg_id = mail(report, settings, mail_to)
        typer.echo(f"report {report.week} queued for {mail_to} ({msg_id})", err=True)
        if not output and fmt == "table":
            return
    if fmt == "table" and not output:
        print_table(report)
        return
    text = {"html": lambda: report_html.render(report, descriptions=registry.rule_descriptions()),
            "csv": lambda: as_csv(report),
            "json": lambda: json.dumps(report.to_dict(), indent=2) + "\n"}[fmt]()
    if output:
        output.write_text(text, encoding="utf-8")
        typer.echo(f"wrote {output}", err=True)
    else:
        typer.echo(text, nl=False)
