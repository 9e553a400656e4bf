"""A self-contained HTML report: hourly counts against the threshold line, per rule, as inline SVG."""

from __future__ import annotations

from html import escape

_COLOURS = ("#1f77b4", "#2ca02c", "#9467bd", "#8c564b", "#17becf")


def _chart(stats, width: int = 900, height: int = 260) -> str:
    hours = sorted({h for series in stats.series.values() for h in series})
    if not hours:
        return "<p>No matching events.</p>"
    top = max([stats.value, stats.suggested or 0] + [max(s.values()) for s in stats.series.values()]) * 1.1
    pad = 40
    x = {h: pad + (width - 2 * pad) * (i / max(1, len(hours) - 1)) for i, h in enumerate(hours)}

    def y(v: float) -> float:
        return height - pad - (height - 2 * pad) * v / top

    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" role="img" '
             f'aria-label="hourly counts for {escape(stats.rule_name)}">',
             f'<line x1="{pad}" y1="{y(0)}" x2="{width - pad}" y2="{y(0)}" stroke="#999"/>',
             f'<text x="4" y="{y(top / 1.1):.0f}" font-size="11">{top / 1.1:.0f}</text>']
    for colour, (identity, series) in zip(_COLOURS, stats.series.items()):
        points = " ".join(f"{x[h]:.1f},{y(series.get(h, 0)):.1f}" for h in hours)
        parts.append(f'<polyline fill="none" stroke="{colour}" stroke-width="1.5" points="{points}">'
                     f"<title>{escape(identity)}</title></polyline>")
    lines = ((stats.value, "#d62728", "threshold"), (stats.suggested, "#ff7f0e", "suggested"))
    for value, colour, label in ((v, c, n) for v, c, n in lines if v is not None):
        parts.append(f'<line x1="{pad}" y1="{y(value):.1f}" x2="{width - pad}" y2="{y(value):.1f}" stroke="{colour}" '
                     f'stroke-dasharray="6 4"/><text x="{width - pad - 120}" y="{y(value) - 4:.1f}" font-size="11" '
                     f'fill="{colour}">{label} {value}</text>')
    parts.append(f'<text x="{pad}" y="{height - 8}" font-size="11">{escape(hours[0])}</text>'
                 f'<text x="{width - pad - 120}" y="{height - 8}" font-size="11">{escape(hours[-1])}</text></svg>')
    legend = "".join(f'<li><span style="color:{c}">&#9632;</span> {escape(i)}</li>'
                     for c, i in zip(_COLOURS, stats.series))
    return "".join(parts) + f"<ul class='legend'>{legend}</ul>"


def _table(headers, rows) -> str:
    head = "".join(f"<th>{escape(str(h))}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{escape(str(c))}</td>" for c in row) + "</tr>" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body or '<tr><td>none</td></tr>'}</tbody></table>"


def render_html(result) -> str:
    data = result.to_json()
    sections = [
        "<h1>elastic-pack backtest</h1>",
        f"<p>{data['events']:,} events from {data['files']} files ({data['first_event']} to {data['last_event']}); "
        f"{data['skipped_count']} unusable inputs, {data['reordered_records']} records reordered.</p>",
        "<h2>Alerts per rule</h2>", _table(["rule", "alerts"], sorted(data["alerts_per_rule"].items())),
        "<h2>Threshold rules: hourly counts per identity</h2>",
    ]
    for stats in result.thresholds:
        pct = ", ".join(f"{k} {v}" for k, v in stats.percentiles.items())
        sections += [f"<h3>{escape(stats.rule_name)}</h3>",
                     f"<p>threshold {stats.value}; {stats.cells} identity-hours with matching events; {pct}; "
                     f"max {stats.maximum}; suggested threshold <b>{'n/a' if stats.suggested is None else stats.suggested}</b>; "
                     f"{stats.hours_at_or_over} identity-hours at or over the threshold.</p>", _chart(stats)]
    sections += [
        "<h2>Exception candidates</h2>",
        _table(["rule", "identity", "days alerting", "days active"],
               [(c["rule"], c["identity"], c["alert_days"], c["active_days"]) for c in data["exception_candidates"]]),
        "<h2>Alerts per identity</h2>",
        _table(["rule", "identity", "alerts"], [(r["rule"], r["identity"], r["alerts"]) for r in data["alerts_per_identity"]]),
        "<h2>Alerts per day</h2>",
        _table(["rule", "day", "alerts"], [(r["rule"], r["day"], r["alerts"]) for r in data["alerts_per_day"]]),
        "<h2>Busiest hours</h2>", _table(["hour", "events"], [(h["hour"], h["events"]) for h in data["busiest_hours"]]),
    ]
    style = ("body{font-family:system-ui,sans-serif;margin:2em;max-width:1000px}table{border-collapse:collapse;"
             "margin:.5em 0}td,th{border:1px solid #ccc;padding:3px 8px;text-align:left}.legend{list-style:none;"
             "padding:0;font-size:12px}")
    return (f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>elastic-pack backtest</title>"
            f"<style>{style}</style></head><body>{''.join(sections)}</body></html>\n")
