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
from gateway.quarantine.report import WeeklyReport
from gateway.quarantine import report_html
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
    yield "backlog", "count", len(r.backlog)
    for b in r.backlog:
        yield "backlog_age_hours", b.id, b.age_hours


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
    console.print(f"[bold]Screening report {r.week}[/bold] "
                  f"({r.start:%d %b} to {r.end - timedelta(days=1):%d %b %Y}, UTC)")
    sections: dict[str, list] = {}
    for section, name, value in rows(r):
        sections.setdefault(section, []).append((name, value))
    merged = Table(title="messages")
    for column in ("", "this week", "week before", "change"):
        merged.add_column(column, justify="right" if column else "left")
    for key in vars(r.totals):
        merged.add_row(key, str(getattr(r.totals, key)), str(getattr(r.previous, key)),
                       f"{r.change(key):+d}")
    console.print(merged)
    for section in ("held_by_category", "held_by_rule", "top_held_senders", "decisions"):
        table = Table(title=section.replace("_", " "), show_header=False)
        table.add_column("")
        table.add_column("", justify="right")
        for name, value in sections.get(section, []):
            table.add_row(name, "–" if value == "" else str(value))
        console.print(table)
    trend = Table(title=f"last {len(r.trend)} weeks")
    for column in ("week", "screened", "passed", "tagged", "held"):
        trend.add_column(column, justify="left" if column == "week" else "right")
    for w in r.trend:
        trend.add_row(w.week, str(w.screened), str(w.passed), str(w.tagged), str(w.held),
                      style="bold" if w.week == r.week else None)
    console.print(trend)
    descriptions = registry.rule_descriptions()
    rules = Table(title="holds decided, by rule")
    for column in ("rule", "decided", "released", "false positive", "rate"):
        rules.add_column(column, justify="left" if column == "rule" else "right",
                         overflow="fold", ratio=4 if column == "rule" else None)
    for rule, o in r.rules.items():
        rate = "–" if o.false_positive_rate is None else f"{o.false_positive_rate:.0%}"
        sentence = descriptions.get(rule, "")
        rules.add_row(f"{rule}\n[dim]{escape(sentence)}[/dim]" if sentence else rule,
                      str(o.decided), str(o.released), str(o.false_positive), rate)
    console.print(rules)
    console.print(f"still held at the end of the week: {len(r.backlog)}" +
                  (f", oldest {r.backlog[0].age_hours:g} h ({r.backlog[0].id})" if r.backlog else ""))
    for b in r.backlog[:10]:
        console.print(f"  {b.id}  {report_html.duration(b.age_hours):>8}  {b.top_rule}  "
                      f"{b.subject or '(no subject)'}", markup=False, highlight=False)
    if r.corrupt:
        console.print(f"[bold red]corrupt/: {len(r.corrupt)} spool entr"
                      f"{'y' if len(r.corrupt) == 1 else 'ies'} could not be read and need a "
                      f"person[/bold red] ({', '.join(r.corrupt[:5])})")


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
    msg.set_content(f"Screening report {r.week}: {t.screened} screened, {t.passed} passed, "
                    f"{t.tagged} tagged, {t.held} held; {len(r.backlog)} still held.\n"
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
    try:
        report = build_weekly(open_store(settings), week,
                              corrupt=Spool(settings.data_path / "spool").list("corrupt"))
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
