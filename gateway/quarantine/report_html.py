"""The weekly report as one self-contained HTML page: inline CSS and SVG bar charts, no
scripts and nothing fetched, so it opens the same in a browser or in a mail client."""
from __future__ import annotations

from datetime import timedelta
from html import escape

from gateway.quarantine.report import WeeklyReport

BAR_WIDTH = 360  # pixels for the largest value of a chart
STYLE = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:2em auto;
max-width:60em;color:#222;padding:0 1em}
h1{font-size:1.5em}h2{font-size:1.15em;margin-top:2em;border-bottom:1px solid #ddd}
table{border-collapse:collapse;margin:.5em 0}td,th{padding:.25em .8em;text-align:left;
border-bottom:1px solid #eee}td.n{text-align:right;font-variant-numeric:tabular-nums}
.up{color:#a40}.down{color:#070}svg text{font-size:12px;fill:#222}.muted{color:#777}
td.rule{max-width:30em}td.rule small{display:block;color:#555}
"""
COLOURS = {"pass": "#4a8", "tag": "#e93", "hold": "#c33"}


def bar_chart(chart_id: str, title: str, values: dict[str, float], fmt=str,
              colour: str = "#36c") -> str:
    if not values:
        return f'<p class="muted" id="{chart_id}">{escape(title)}: none this week.</p>'
    label_width, row = 190, 22
    top = max(values.values()) or 1
    height = row * len(values) + 4
    bars = []
    for i, (label, value) in enumerate(values.items()):
        width = round(BAR_WIDTH * value / top, 2)
        y = i * row + 2
        fill = COLOURS.get(label, colour)
        bars.append(
            f'<text x="{label_width - 6}" y="{y + 14}" text-anchor="end">{escape(label)}</text>'
            f'<rect class="bar" x="{label_width}" y="{y}" width="{width}" height="{row - 6}" '
            f'fill="{fill}" data-label="{escape(label)}" data-value="{value}">'
            f"<title>{escape(label)}: {escape(fmt(value))}</title></rect>"
            f'<text class="value" x="{label_width + width + 5}" y="{y + 14}">'
            f"{escape(fmt(value))}</text>")
    return (f'<figure><figcaption>{escape(title)}</figcaption>'
            f'<svg id="{chart_id}" role="img" aria-label="{escape(title)}" '
            f'width="{label_width + BAR_WIDTH + 60}" height="{height}">{"".join(bars)}</svg>'
            f"</figure>")


TREND_HEIGHT = 160  # pixels for the busiest week of the trend chart


def trend_chart(r: WeeklyReport) -> str:
    """The last 8 weeks as stacked columns (passed, tagged, held), this week last."""
    if not r.trend or not any(w.screened for w in r.trend):
        return '<p class="muted" id="chart-trend">Nothing screened in the last 8 weeks yet.</p>'
    column, gap, left, bottom = 48, 14, 40, 36
    top = max(w.screened for w in r.trend) or 1
    parts = [f'<text x="{left - 6}" y="14" text-anchor="end">{top}</text>',
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
    return (f'<figure><figcaption>Messages in the last {len(r.trend)} weeks '
            f'(this week in bold) · {legend}</figcaption>'
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


def _rule_cell(rule: str, descriptions: dict[str, str]) -> str:
    sentence = descriptions.get(rule, "")
    return (f'<td class="rule"><code>{escape(rule)}</code>'
            + (f"<small>{escape(sentence)}</small>" if sentence else "") + "</td>")


def render(r: WeeklyReport, clinic: str = "", descriptions: dict[str, str] | None = None) -> str:
    """`descriptions`: rule id -> the sentence an admin reads (scanners.registry)."""
    descriptions = descriptions or {}
    t, p = r.totals, r.previous
    rows = "".join(
        f"<tr><td>{label}</td><td class=n>{getattr(t, key)}</td>"
        f"<td class=n>{getattr(p, key)}</td>"
        f"<td class=n>{_change(r.change(key), bad_when_up=key == 'held')}</td></tr>"
        for label, key in (("screened", "screened"), ("passed", "passed"),
                           ("tagged", "tagged"), ("held", "held")))
    senders = "".join(f"<tr><td>{escape(s)}</td><td class=n>{n}</td></tr>"
                      for s, n in r.top_held_senders) or \
        '<tr><td class=muted colspan=2>none</td></tr>'
    rule_rows = "".join(
        f"<tr>{_rule_cell(rule, descriptions)}<td class=n>{o.decided}</td><td class=n>{o.released}</td>"
        f"<td class=n>{o.false_positive}</td><td class=n>{_percent(o.false_positive_rate)}</td></tr>"
        for rule, o in r.rules.items()) or '<tr><td class=muted colspan=5>no decisions</td></tr>'
    backlog = "".join(
        f"<tr><td><code>{escape(b.id)}</code></td><td class=n>{duration(b.age_hours)}</td>"
        f"<td>{escape(b.top_rule)}</td><td>{escape(b.sender)}</td>"
        f"<td>{escape(b.subject) or '<span class=muted>(no subject)</span>'}</td></tr>"
        for b in r.backlog[:20]) or '<tr><td class=muted colspan=5>nothing is held</td></tr>'
    held_rules = "".join(f"<tr>{_rule_cell(rule, descriptions)}<td class=n>{n}</td></tr>"
                         for rule, n in r.held_by_rule.items())
    held_rules = (f'<table id="held-rules"><tr><th>rule: what it looks for</th><th>held</th></tr>'
                  f"{held_rules}</table>") if held_rules else ""
    median = duration(r.median_hours_to_decision)
    corrupt = (f'<h2 id="corrupt">corrupt/: {len(r.corrupt)} spool entries could not be read '
               f'and need a person</h2><p>{escape(", ".join(r.corrupt[:20]))}</p>\n'
               if r.corrupt else "")
    fp_rates = {rule: o.false_positive_rate for rule, o in r.rules.items()
                if o.false_positive_rate is not None}
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>mailscreen weekly report {r.week}</title><style>{STYLE}</style></head>
<body>
<h1>Screening report {r.week}{' · ' + escape(clinic) if clinic else ''}</h1>
<p class="muted">{r.start:%a %d %b %Y} to {r.end - timedelta(days=1):%a %d %b %Y} (UTC)</p>
<h2>Messages</h2>
<table id="totals"><tr><th></th><th>this week</th><th>week before</th><th>change</th></tr>{rows}</table>
{bar_chart("chart-actions", "Messages by action", {"pass": t.passed, "tag": t.tagged, "hold": t.held})
 if t.screened else '<p class="muted" id="chart-actions">Nothing screened this week.</p>'}
{trend_chart(r)}
<h2>Held</h2>
{bar_chart("chart-held-category", "Held by category", r.held_by_category)}
{bar_chart("chart-held-rule", "Held by rule", r.held_by_rule)}
{held_rules}
<table id="senders"><tr><th>sender with held mail</th><th>held</th></tr>{senders}</table>
<h2>Decisions</h2>
<table id="decisions"><tr><td>released</td><td class=n>{r.released}</td></tr>
<tr><td>rejected</td><td class=n>{r.rejected}</td></tr>
<tr><td>expired undecided</td><td class=n>{r.expired}</td></tr>
<tr><td>median time to decision</td><td class=n>{median}</td></tr></table>
<h2>Rules: how often a hold was a false positive</h2>
<p class="muted">Holds decided this week, by rule; "false positive" is the admins' release
reason. A rule with a high rate is a candidate for a policy change.</p>
<table id="rules"><tr><th>rule</th><th>decided</th><th>released</th><th>false positive</th>
<th>rate</th></tr>{rule_rows}</table>
{bar_chart("chart-fp-rate", "False-positive rate by rule", fp_rates, _percent, "#a6c")}
<h2>Still held at the end of the week: {len(r.backlog)}</h2>
<table id="backlog"><tr><th>id</th><th>age</th><th>rule</th><th>sender</th><th>subject</th></tr>{backlog}</table>
{corrupt}</body></html>
"""
