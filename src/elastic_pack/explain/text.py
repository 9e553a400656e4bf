"""An explanation as plain lines for people (values are shown as they are, never read as markup)."""

from __future__ import annotations


def _span(seconds: float | None) -> str:
    if seconds is None:
        return "none"
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size and seconds % size == 0:
            return f"{int(seconds // size)}{unit}"
    return f"{seconds:g}s"


def _group(values: dict) -> str:
    return ", ".join(f"{k}={v}" for k, v in values.items())


def render(result: dict) -> list[str]:
    rule, events, query = result["rule"], result["events"], result["query"]
    fallback = " (else @timestamp)" if rule["window_field"] != "@timestamp" and not rule.get("window_strict") else ""
    lines = [f"{rule['name']} ({rule['type']}, {rule['rule_id']})",
             f"  runs every {_span(rule['interval_seconds'])}, each reading {_span(rule['lookback_seconds'])} back "
             f"on {rule['window_field']}{fallback}; index {', '.join(rule['index']) or '(none)'}"]
    if result["at"]:
        at = result["at"]
        lines.append(f"  the run at {at['run_time']} (first run at or after {at['requested']}), window "
                     f"{at['window'][0]} .. {at['window'][1]}: {events.get('in_run', 0)} events")
    read = f"{events['read']} events read"
    if events.get("skipped"):
        read += f", {events['skipped']} lines skipped"
    if events["in_window_field"] != events["read"]:
        read += f", {events['in_window_field']} with {rule['window_field']}"
    if events["first"]:
        read += f", {events['first']} .. {events['last']}"
    lines.append(read)
    if events["outside_index"]:
        lines.append(f"  {events['outside_index']} of them name an index outside the rule's patterns: Kibana would "
                     "not read them; explain and preview read every event given")
    lines.append(f"query matched {query['matched']}" + (f"; exceptions removed {query['excepted']}"
                                                        if query["excepted"] else ""))
    for kind in ("threshold", "sequence", "new_terms", "esql"):
        if kind in result:
            lines += globals()[f"_{kind}"](result[kind])
    folded: dict[str, list[str]] = {}
    for item in result["suppressed"]:
        folded.setdefault(", ".join(map(str, item["group"])), []).append(item["run_time"])
    for group, runs in folded.items():
        when = runs[0] if len(runs) == 1 else f"the runs {runs[0]} .. {runs[-1]}"
        lines.append(f"suppression folded {len(runs)} alert{'s' if len(runs) > 1 else ''} of ({group}) in {when}")
    for alert in result.get("removed_by_exceptions", [])[:10]:
        lines.append(f"removed by the exceptions: the alert of the run at {alert['run_time']}"
                     + (f" ({_group(alert['group'])})" if alert["group"] else ""))
    for alert in result["alerts"][:20]:
        group = _group(alert["group"])
        lines.append(f"ALERT in the run at {alert['run_time']}: {alert['event_count']} events "
                     f"{alert['first_event']} .. {alert['last_event']}" + (f" ({group})" if group else ""))
    if len(result["alerts"]) > 20:
        lines.append(f"... and {len(result['alerts']) - 20} more alerts (--json lists them all)")
    lines.append(f"verdict: {result['verdict']}")
    return lines


def _threshold(section: dict) -> list[str]:
    card = section["cardinality"]
    need = f"count >= {section['value']}" + (f" and >= {card['value']} distinct {card['field']}" if card else "")
    lines = [f"threshold: per {', '.join(section['fields']) or 'all events'}, {need}; "
             f"{section['runs_with_events']} runs saw matching events"]
    for run in section["runs"]:
        lines.append(f"  run at {run['run_time']} (window {run['window'][0]} .. {run['window'][1]}): "
                     f"{run['group_count']} groups, {run['alerts']} alerts")
        for g in run["groups"]:
            mark = _threshold_mark(g, section["value"], card)
            distinct = f", {g['distinct']} distinct" if g["distinct"] is not None else ""
            lines.append(f"    {g['count']}/{section['value']}{distinct} {mark}: {_group(g['group']) or 'all'}")
    miss = section.get("closest_miss")
    if miss:
        distinct = f", {miss['distinct']} distinct" if miss["distinct"] is not None else ""
        lines.append(f"  closest group that never alerted: {miss['count']}/{section['value']}{distinct} "
                     f"{_group(miss['group'])} in the run at {miss['run_time']}")
    return lines


def _threshold_mark(group: dict, value: int, cardinality: dict | None) -> str:
    if group["alerted"]:
        return "ALERT"
    if group["count"] < value:
        return "under"
    if cardinality and (group["distinct"] or 0) < cardinality["value"]:
        return f"too few distinct {cardinality['field']}"
    return "met, not alerted (suppressed, or past max_signals)"  # a met group alerts in the run that sees it


def _sequence(section: dict) -> list[str]:
    lines = [f"sequence by {', '.join(section['join_fields']) or '(no key)'}, maxspan "
             f"{_span(section['maxspan_seconds'])}" + (f", until [{section['until']}]" if section["until"] else "")]
    for stage in section["stages"]:
        stages = f"stage {stage['stage']}" if stage["last"] == stage["stage"] else \
            f"stages {stage['stage']}-{stage['last']} (runs={stage['last'] - stage['stage'] + 1})"
        lines.append(f"  {stages}: {stage['matched']} events match [{stage['query']}]")
    for key in section["keys"]:
        name = (_group(key["key"]) if isinstance(key["key"], dict) else str(key["key"])) or "(no key)"
        state = f"  {name}: furthest stage {key['furthest']} of {section['stage_count']}"
        if key["completed"]:
            state += f", {key['completed']} completed"
        if key["open"]:
            open_ = key["open"]
            state += (f"; open at stage {open_['done']} since {open_['first']}, waiting for stage {key['waiting_for']}"
                      + (f" [{key['waiting_for_query']}]" if key.get("waiting_for_query") else "")
                      + (f" until {open_['deadline']}" if open_["deadline"] else ""))
        lines.append(state)
        for ended in key["ended"]:
            if ended["why"] == "maxspan":
                lines.append(f"    stage {ended['stage']} at {ended['at']} came past maxspan from the first event "
                             f"at {ended['first']}: that partial sequence expired")
            elif ended["why"] == "until":
                lines.append(f"    the until event at {ended['at']} ended the partial sequence begun {ended['first']}")
            else:
                lines.append(f"    a missing-event stage's event was found for the sequence begun {ended['first']}")
        for stage, count in key["without_earlier_stage"].items():
            lines.append(f"    {count} events of stage {stage} came with no partial sequence waiting for them")
    if section["key_count"] > len(section["keys"]):
        lines.append(f"  ... {section['key_count'] - len(section['keys'])} more keys (--json lists the first ones)")
    return lines


def _new_terms(section: dict) -> list[str]:
    lines = [f"new terms on {', '.join(section['fields'])}: new when absent for "
             f"{_span(section['history_window_seconds'])} before the run; warm-up until {section['warm_up_until']}"]
    names = {"new": "NEW (alert)", "seen": "seen in the history window", "warm-up": "in the warm-up",
             "suppressed": "suppressed", "max_signals": "over max_signals"}
    for term in section["terms"]:
        first = names[term["first_verdict"]] + (f", last seen {term['seen_before']}" if term["seen_before"] else "")
        lines.append(f"  {_group(term['term'])}: {term['events']} events, first at {term['first_event']}: {first}"
                     + (f"; {term['alerts']} alerts" if term["alerts"] else ""))
    if section["term_count"] > len(section["terms"]):
        lines.append(f"  ... {section['term_count'] - len(section['terms'])} more terms")
    return lines


def _esql(section: dict) -> list[str]:
    lines = []
    for run in section["runs"]:
        head = f"ES|QL run at {run['run_time']}" if "run_time" in run else "ES|QL over all events"
        lines.append(head + (f": {run['alerts']} alerts" if run["alerts"] is not None else ""))
        for step in run["steps"]:
            lines.append(f"  {step['rows']:>6} rows after {step['command']}")
        for row in run.get("stats_rows", []):
            lines.append("    STATS row: " + _group(row))
    return lines
