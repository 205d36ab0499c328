"""The weekly report as one self-contained HTML page: inline CSS, bars drawn as tables and
the trend as inline SVG, no scripts and nothing fetched, so it opens the same in a browser
or in a mail client. What needs doing comes first, the glossary last."""
from __future__ import annotations

import re
from datetime import timedelta
from html import escape

from gateway.quarantine.report import CATEGORY_MEANINGS, WeeklyReport

BAR_WIDTH = 300  # pixels for the largest value of a chart
BACKLOG_SHOWN = 20  # the oldest still held, listed; the rest are counted (weekly's limit)
STYLE = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:2em auto;
max-width:60em;color:#222;padding:0 1em}
h1{font-size:1.5em}h2{font-size:1.15em;margin-top:2em;border-bottom:1px solid #ddd}
table{border-collapse:collapse;margin:.5em 0}td,th{padding:.25em .8em;text-align:left;
border-bottom:1px solid #eee}td.n{text-align:right;font-variant-numeric:tabular-nums}
.up{color:#a40}.down{color:#070}svg text{font-size:12px;fill:#222}.muted{color:#777}
td.rule,th.rule{max-width:30em;font-weight:normal}.rule small{display:block;color:#555}
caption{text-align:left;font-weight:bold;padding:.3em 0}tr.total td{font-weight:bold;
border-top:1px solid #999}#todo{background:#fff8e1;border-left:4px solid #e0a800;
padding:.3em 1em}#todo li{margin:.3em 0}td.indent{padding-left:2em}
"""
COLOURS = {"pass": "#4a8", "tag": "#e93", "hold": "#c33"}
REASONS = {"sender_justified": "on the sender's justification"}  # else "as" the code


def bar_chart(chart_id: str, title: str, values: dict[str, float], fmt=str,
              colour: str = "#36c", labels: dict[str, str] | None = None,
              total: str = "") -> str:
    """A table of bars (a mail client that shows no SVG shows these): each row its label,
    its bar drawn to scale and its value; empty rows are left out, so no bar stands at 0.
    `labels`: HTML for a row's label (a rule in words); `total`: a last row, the sum."""
    values = {k: v for k, v in values.items() if v}
    if not values:
        return f'<p class="muted" id="{chart_id}">{escape(title)}: none.</p>'
    top = max(values.values())
    labels = labels or {}
    rows = []
    for label, value in values.items():
        fill = COLOURS.get(label, colour)
        rows.append(
            f'<tr><th scope="row" class="rule">{labels.get(label) or escape(label)}</th>'
            f'<td><span class="bar" style="display:inline-block;height:14px;'
            f'width:{max(1, round(BAR_WIDTH * value / top))}px;background:{fill}" '
            f'data-label="{escape(label)}" data-value="{value}"></span> '
            f'<span class="value">{escape(fmt(value))}</span></td></tr>')
    if total:
        rows.append(f'<tr class="total"><td>{escape(total)}</td>'
                    f'<td>{escape(fmt(sum(values.values())))}</td></tr>')
    return (f'<table class="chart" id="{chart_id}"><caption>{escape(title)}</caption>'
            f'{"".join(rows)}</table>')


TREND_HEIGHT = 160  # pixels for the busiest week of the trend chart


def trend_chart(r: WeeklyReport) -> str:
    """The last 8 weeks as stacked columns (passed, tagged, held), this week last."""
    if not r.trend or not any(w.screened for w in r.trend):
        return '<p class="muted" id="chart-trend">Nothing screened in the last 8 weeks yet.</p>'
    column, gap, left, bottom = 48, 14, 40, 36
    top = max(w.screened for w in r.trend) or 1
    parts = [f'<text x="{left - 6}" y="14" text-anchor="end">{top}</text>',
             f'<text x="{left - 6}" y="{TREND_HEIGHT + 4}" text-anchor="end">0</text>',
             f'<line x1="{left}" y1="{TREND_HEIGHT + 4}" x2="{left + len(r.trend) * (column + gap)}"'
             f' y2="{TREND_HEIGHT + 4}" stroke="#999"/>']
    for i, w in enumerate(r.trend):
        x = left + i * (column + gap) + gap / 2
        y = TREND_HEIGHT + 4
        for action, value in (("pass", w.passed), ("tag", w.tagged), ("hold", w.held)):
            height = round(TREND_HEIGHT * value / top, 2)
            y -= height
            parts.append(
                f'<rect class="trend" x="{x}" y="{round(y, 2)}" width="{column}" '
                f'height="{height}" fill="{COLOURS[action]}" data-week="{w.week}" '
                f'data-action="{action}" data-value="{value}">'
                f"<title>{w.week} {action}: {value}</title></rect>")
        current = ' font-weight="bold"' if w.week == r.week else ""
        parts.append(f'<text class="week" x="{x + column / 2}" y="{TREND_HEIGHT + 20}" '
                     f'text-anchor="middle"{current}>{w.week[5:]}</text>'
                     f'<text class="total" x="{x + column / 2}" y="{TREND_HEIGHT + 34}" '
                     f'text-anchor="middle">{w.screened}</text>')
    width = left + len(r.trend) * (column + gap) + 10
    legend = " ".join(f'<span style="color:{COLOURS[a]}">■</span> {label}'
                      for a, label in (("pass", "passed"), ("tag", "tagged"), ("hold", "held")))
    return (f'<figure><figcaption>Messages screened in each of the last {len(r.trend)} '
            f"weeks (the number under each week; this report's week in bold) · {legend}"
            f'</figcaption>'
            f'<svg id="chart-trend" role="img" aria-label="Messages by week" width="{width}" '
            f'height="{TREND_HEIGHT + bottom + 4}">{"".join(parts)}</svg></figure>')


def _change(value: int, bad_when_up: bool = False) -> str:
    """The change on the week before. Only a rise in held mail is a warning (orange);
    more mail screened or passed is just more mail."""
    if value == 0:
        return '<span class="muted">±0</span>'
    css = ("up" if value > 0 else "down") if bad_when_up else "change"
    return f'<span class="{css}">{value:+d}</span>'


def duration(hours: float | None) -> str:
    """3 h, 45 min, 2.5 d: never "0.01 h"."""
    if hours is None:
        return "–"
    if hours < 1 / 60:
        return "under a minute"
    if hours < 1:
        return f"{round(hours * 60)} min"
    if hours < 48:
        return f"{round(hours, 1):g} h"
    return f"{round(hours / 24, 1):g} d"


def _percent(rate: float | None) -> str:
    return "–" if rate is None else f"{rate * 100:.0f}%"


def in_words(hours: float | None) -> str:
    """The age of held mail as a person says it: 20 minutes, 5 hours, 3 days, 2 weeks."""
    if hours is None:
        return "–"
    for unit, size, up_to in (("minute", 1 / 60, 60), ("hour", 1, 48), ("day", 24, 14),
                              ("week", 24 * 7, None)):
        n = round(hours / size)
        if up_to is None or n < up_to:
            return "under a minute" if n < 1 else f"{n} {unit}{'s' if n != 1 else ''}"


def _plural(n: int, one: str, many: str) -> str:
    return f"<b>{n}</b> {one if n == 1 else many}"


def short_name(rule: str, descriptions: dict[str, str]) -> str:
    """A rule in words: its sentence up to the first aside ("A valid NHS number"); the
    glossary at the end of the report has the whole sentence."""
    return re.split(r" \(|; |: ", descriptions.get(rule, ""))[0].rstrip(".")


def glossary_rules(r: WeeklyReport) -> list[str]:
    """Every rule the report names."""
    return sorted({*r.held_by_rule, *r.held_by_top_rule, *r.findings_by_rule, *r.rules,
                   *(b.top_rule for b in r.backlog[:BACKLOG_SHOWN]),
                   *(j.top_rule for j in r.sender_justified)} - {""})


def _rule_words(rule: str, descriptions: dict[str, str]) -> str:
    """A rule named in words, its id small beneath."""
    words = short_name(rule, descriptions)
    return (escape(words) + f"<small><code>{escape(rule)}</code></small>" if words
            else f"<code>{escape(rule)}</code>")


def _rule_cell(rule: str, descriptions: dict[str, str]) -> str:
    return f'<td class="rule">{_rule_words(rule, descriptions)}</td>'


def todo(r: WeeklyReport) -> str:
    """The top of the report: what needs a person now."""
    d = r.todo
    waiting = (f"{_plural(d.waiting, 'message waits', 'messages wait')} for a decision; the "
               f"oldest has waited <b>{in_words(d.oldest_hours)}</b> "
               f"(<code>{escape(d.oldest_id)}</code>)" if d.waiting
               else "Nothing waits for a decision")
    items = [f'<li id="todo-waiting">{waiting}.</li>',
             f'<li id="todo-second">{_plural(d.waiting_second_reviewer, "waits", "wait")} for a '
             f'second reviewer (four eyes, approved once).</li>',
             f'<li id="todo-approval">{_plural(d.needs_approval, "needs", "need")} a first '
             f'approval (four eyes).</li>',
             f'<li id="todo-justified">{_plural(d.justifications_to_review, "carries", "carry")} '
             f"a sender's justification waiting for review.</li>"]
    if r.corrupt:
        items.append(f'<li id="corrupt"><b>{len(r.corrupt)}</b> spool entries in corrupt/ '
                     f'could not be read and need a person: {escape(", ".join(r.corrupt[:20]))}'
                     f"</li>")
    return f'<section id="todo"><h2>Needs doing now</h2><ul>{"".join(items)}</ul></section>'


def _totals_table(r: WeeklyReport) -> str:
    """This report's week, the week under way beside it, the week before and the change:
    screened is the sum of passed, tagged and held."""
    t, p, now = r.totals, r.previous, r.so_far
    head = (f"<th>{r.week}{'' if r.complete else ' so far'}</th><th>week before</th>"
            "<th>change</th>" + (f"<th>{now.week} so far</th>" if now else ""))

    def row(key: str, css: str = "") -> str:
        return (f"<tr{css}><td>{key}</td><td class=n>{getattr(t, key)}</td>"
                f"<td class=n>{getattr(p, key)}</td>"
                f"<td class=n>{_change(r.change(key), bad_when_up=key == 'held')}</td>"
                + (f"<td class=n>{getattr(now, key)}</td>" if now else "") + "</tr>")
    rows = "".join(row(key) for key in ("passed", "tagged", "held"))
    total = row("screened", " class=total")
    return (f'<table id="totals"><caption>Messages (screened = passed + tagged + held)'
            f"</caption><tr><th></th>{head}</tr>{rows}{total}</table>")


def _decisions(r: WeeklyReport) -> str:
    """Decisions and their parts, each part beneath the number it adds up to."""
    def row(label, n, indent=False, css=""):
        return (f'<tr{css}><td{" class=indent" if indent else ""}>{label}</td>'
                f"<td class=n>{n}</td></tr>")
    released = "".join(row(REASONS.get(code) or f"as {code.replace('_', ' ')}", n, True)
                       for code, n in r.released_by_reason.items())
    rejected = (row("by an admin", r.rejected - r.withdrawn_by_sender, True)
                + row("withdrawn by the sender", r.withdrawn_by_sender, True)
                if r.withdrawn_by_sender else "")
    return (f'<table id="decisions"><caption>Decisions made this week (messages)</caption>'
            f'{row("released", r.released)}{released}{row("rejected", r.rejected)}{rejected}'
            f'{row("expired undecided", r.expired)}'
            f'{row("decided in all", r.released + r.rejected + r.expired, css=" class=total")}'
            f'{row("median time to an admin decision", duration(r.median_hours_to_decision))}'
            f"</table>")


def _justified(r: WeeklyReport, descriptions: dict[str, str]) -> str:
    rows = "".join(
        f"<tr><td><code>{escape(j.id)}</code></td><td>{escape(j.sender)}</td>"
        f"{_rule_cell(j.top_rule, descriptions)}<td>{escape(j.justification)}</td></tr>"
        for j in r.sender_justified)
    table = (f'<table id="justified"><tr><th>id</th><th>sender</th><th>held for</th>'
             f"<th>the sender's justification (names and numbers masked)</th></tr>{rows}"
             f"</table>" if rows else "")
    return (f"<h2 id=\"justified-count\">Released on the sender's justification: "
            f"{len(r.sender_justified)}</h2>"
            f'<p class="muted">Senders who answered the hold notice with a business reason, '
            f"where policy lets that release at once; withdrawn by the sender: "
            f"{r.withdrawn_by_sender}. These are the senders' calls, not the admins', and "
            f"are not in the false-positive rates.</p>{table}")


def glossary(r: WeeklyReport, descriptions: dict[str, str]) -> str:
    """Every rule the report names, with its sentence; every category with its meaning."""
    terms = "".join(f"<dt><code>{escape(rule)}</code></dt>"
                    f"<dd>{escape(descriptions.get(rule, '(no description)'))}</dd>"
                    for rule in glossary_rules(r))
    terms += "".join(f"<dt>{escape(category)}</dt><dd>{escape(meaning)}</dd>"
                     for category, meaning in CATEGORY_MEANINGS.items())
    return f'<h2>Glossary</h2><dl id="glossary">{terms}</dl>'


def render(r: WeeklyReport, clinic: str = "", descriptions: dict[str, str] | None = None) -> str:
    """`descriptions`: rule id -> the sentence an admin reads (scanners.registry)."""
    descriptions = descriptions or {}
    t = r.totals
    words = {rule: _rule_words(rule, descriptions) for rule in
             {*r.held_by_top_rule, *r.findings_by_rule, *r.rules}}
    senders = "".join(f"<tr><td>{escape(s)}</td><td class=n>{n}</td></tr>"
                      for s, n in r.top_held_senders) or \
        '<tr><td class=muted colspan=2>none</td></tr>'
    rule_rows = "".join(
        f"<tr>{_rule_cell(rule, descriptions)}<td class=n>{o.decided}</td>"
        f"<td class=n>{o.released}</td><td class=n>{o.false_positive}</td>"
        f"<td class=n>{_percent(o.false_positive_rate)}</td>"
        f"<td class=n>{o.sender_justified}</td><td class=n>{o.sender_withdrew}</td></tr>"
        for rule, o in r.rules.items()) or '<tr><td class=muted colspan=7>no decisions</td></tr>'
    backlog = "".join(
        f"<tr><td><code>{escape(b.id)}</code></td><td class=n>{duration(b.age_hours)}</td>"
        f"{_rule_cell(b.top_rule, descriptions)}<td>{escape(b.sender)}</td>"
        f"<td>{escape(b.subject) or '<span class=muted>(no subject)</span>'}</td></tr>"
        for b in r.backlog[:BACKLOG_SHOWN]) or '<tr><td class=muted colspan=5>nothing is held</td></tr>'
    fp_rates = {rule: o.false_positive_rate for rule, o in r.rules.items()
                if o.false_positive_rate}  # a rule with none is in the table, not a 0% bar
    so_far = (f"; {r.so_far.week} so far: to {r.so_far.until:%a %d %b %H:%M}"
              if r.so_far else "")
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>mailscreen weekly report {r.week}</title><style>{STYLE}</style></head>
<body>
<h1>Screening report {r.week}{'' if r.complete else ' (so far)'}{' · ' + escape(clinic) if clinic else ''}</h1>
<p class="muted">{r.start:%a %d %b %Y} to {r.end - timedelta(days=1):%a %d %b %Y}{so_far} (UTC)</p>
{todo(r)}
<h2>Messages</h2>
{_totals_table(r)}
{bar_chart("chart-actions", f"Messages by action, {r.week}",
           {"pass": t.passed, "tag": t.tagged, "hold": t.held},
           labels={"pass": "passed", "tag": "tagged", "hold": "held"})}
{trend_chart(r)}
<h2>Held</h2>
<p id="held-summary">Messages held: <b>{r.held_messages}</b>. Findings that held them:
<b>{r.findings}</b> in those {r.held_messages} messages (one message can hold for several).</p>
{bar_chart("chart-held-rule", "Held messages, by the rule that weighed most",
           r.held_by_top_rule, colour="#c33", labels=words, total="all held messages")}
{bar_chart("chart-findings-category", "Findings that held them, by category",
           r.findings_by_category, colour="#a63", total="all findings")}
{bar_chart("chart-findings-rule", "Findings that held them, by rule", r.findings_by_rule,
           colour="#a63", labels=words, total="all findings")}
<table id="senders"><tr><th>sender with held mail</th><th>messages held</th></tr>{senders}</table>
<h2>Decisions</h2>
{_decisions(r)}
{_justified(r, descriptions)}
<h2>Rules: how often an admin found a hold a false positive</h2>
<p class="muted">Holds decided this week, by rule; "false positive" is the admins' release
reason. A rule with a high rate is a candidate for a policy change. The senders' own
releases and withdrawals are counted apart.</p>
<table id="rules"><tr><th>rule</th><th>decided by an admin</th><th>released</th>
<th>false positive</th><th>rate</th><th>released on the sender's justification</th>
<th>withdrawn by the sender</th></tr>{rule_rows}</table>
{bar_chart("chart-fp-rate", "False-positive rate by rule (rules with none left out)",
           fp_rates, _percent, "#a6c", labels=words)}
<h2>Still held at the end of the week: {r.backlog_count}</h2>
<table id="backlog"><tr><th>id</th><th>age</th><th>rule</th><th>sender</th><th>subject</th></tr>{backlog}</table>
{glossary(r, descriptions)}
</body></html>
"""
