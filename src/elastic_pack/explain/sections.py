"""The per-type parts of an explanation, built from what the observed rule recorded, and the verdict."""

from __future__ import annotations

import re
from typing import Any, Callable

from ..engine.events import format_time
from .observe import Record

SHOWN = 20  # terms or join keys listed (the ones that got furthest first); the JSON says how many there were


def _closest_runs(runs: list[dict], run: float | None, score: Callable[[dict], Any]) -> list[dict]:
    """The runs that matter: the one asked for (--at), else those that alerted, else the one that came closest
    (highest score, earliest on a tie)."""
    if run is not None:
        return [r for r in runs if r["run_time"] == run]
    alerting = [r for r in runs if r["alerts"]]
    if alerting:
        return alerting[:SHOWN]
    return [max(runs, key=lambda r: (score(r), -r["run_time"]))] if runs else []


def threshold_section(rule: Any, record: Record, run: float | None) -> dict:
    cardinality = rule.counter.cardinality
    runs = _closest_runs(record.runs, run, lambda r: (r["groups"][0]["count"], r["groups"][0]["distinct"] or 0))
    alerted = {str(g["group"]) for r in record.runs for g in r["groups"] if g["alerted"]}
    misses = [(g["count"], g["distinct"] or 0, -r["run_time"], r, g) for r in record.runs for g in r["groups"]
              if str(g["group"]) not in alerted]
    miss = max(misses, key=lambda m: m[:3]) if misses and alerted and run is None else None
    return {
        "closest_miss": None if miss is None else {"run_time": format_time(miss[3]["run_time"]), **miss[4]},
        "fields": list(rule.group_fields),
        "value": rule.counter.value,
        "cardinality": None if cardinality is None else {"field": cardinality[0], "value": cardinality[1]},
        "runs_with_events": len(record.runs),
        "runs": [{"run_time": format_time(r["run_time"]),
                  "window": [format_time(r["run_time"] - rule.lookback), format_time(r["run_time"])],
                  "groups": r["groups"], "group_count": r["group_count"], "alerts": r["alerts"]} for r in runs],
    }


def new_terms_section(rule: Any, record: Record, inside: Callable[[float], bool]) -> dict:
    terms: list[dict[str, Any]] = []
    for term, decisions in record.terms.items():
        decisions = [d for d in decisions if inside(d[0])]
        if not decisions:
            continue
        verdicts: dict[str, int] = {}
        for _, verdict, _ in decisions:
            verdicts[verdict] = verdicts.get(verdict, 0) + 1
        first, first_verdict, previous = decisions[0]
        terms.append({"term": dict(zip(rule.fields, term)), "events": len(decisions), "alerts": verdicts.get("new", 0),
                      "verdicts": verdicts, "first_event": format_time(first), "first_verdict": first_verdict,
                      "seen_before": None if previous is None else format_time(previous)})
    terms.sort(key=lambda t: (-t["alerts"], t["first_event"]))
    return {"fields": list(rule.fields), "history_window_seconds": rule.history,
            "warm_up_until": format_time(rule.schedule.start + rule.warm_up), "term_count": len(terms),
            "terms": terms[:SHOWN]}


def _one_line(text: object, width: int = 110) -> str:
    line = " ".join(str(text).split())
    return line if len(line) <= width else line[: width - 3] + "..."


def sequence_section(rule: Any, record: Record) -> dict:
    matcher = rule.matcher
    sequence = rule.query_tree.sequence if hasattr(rule, "query_tree") else None
    texts = [sub.query for sub in sequence.queries if not sub.data.get("is_negated")] if sequence else []
    stages: list[dict] = []
    for stage, slot in rule.slots.items():  # `with runs=N`: N stages of one query, shown as one line
        if stages and stages[-1]["slot"] == slot:
            stages[-1]["last"] = stage
            continue
        stages.append({"stage": stage, "last": stage, "slot": slot, "matched": record.stage_matches[slot],
                       "query": _one_line(texts[stage - 1]) if stage <= len(texts) else ""})
    for s in stages:
        del s["slot"]
    total = len(rule.slots)
    open_at_end: dict[tuple, dict] = {}
    for index, groups in enumerate(matcher.groups):
        for key, partials in groups.items():
            newest = partials[-1]
            deadline = newest.start + matcher.maxspan if matcher.maxspan is not None else None
            open_at_end[key] = {"done": index + 1, "first": format_time(newest.start),
                                "deadline": None if deadline is None else format_time(deadline)}
    keys: list[dict[str, Any]] = []
    for key, progress in record.keys.items():
        if not progress.furthest and not progress.ended:
            continue  # only events of later stages with nothing before them
        state = open_at_end.get(key)
        keys.append({
            "key": dict(zip(rule.join_fields, key)) if len(rule.join_fields) == len(key) else list(key),
            "furthest": progress.furthest, "completed": progress.completed,
            "waiting_for": None if state is None else state["done"] + 1,
            "waiting_for_query": None if state is None or state["done"] >= len(texts)
            else _one_line(texts[state["done"]], 80),
            "open": state,
            "ended": [{**e, "first": format_time(e["first"]), "at": format_time(e["at"])} for e in progress.ended[-3:]],
            "ended_count": len(progress.ended),
            # events that took no step for the key: nothing was waiting at the stage before theirs
            "without_earlier_stage": {str(k): v for k, v in sorted(progress.orphans.items())},
        })
    keys.sort(key=lambda k: (-k["completed"], -k["furthest"], str(k["key"])))
    return {"stages": stages, "stage_count": total, "maxspan_seconds": matcher.maxspan,
            "until": _one_line(sequence.close.query) if sequence is not None and sequence.close is not None else None,
            "join_fields": list(rule.join_fields), "key_count": len(keys), "keys": keys[:SHOWN]}


def esql_section(rule: Any, record: Record, run: float | None) -> dict:
    esql = rule.esql
    texts = command_texts(esql.query)
    before = texts[1:1 + len(esql.before)]
    rest = texts[1 + len(esql.before):]
    runs: list[dict] = []
    if rule.windowed:
        def score(r: dict) -> tuple:  # how far rows got, then how many events the window held
            start, end = r["window"]
            return sum(1 for c in r["after"] if c), sum(1 for t, _ in record.row_counts if start <= t <= end)

        for r in _closest_runs(record.runs, run, score):
            start, end = r["window"]
            runs.append(_steps(texts[0], before, rest, record, start, end, r["after"], r["alerts"]))
            runs[-1]["stats_rows"] = r["stats_rows"]
    else:
        start, end = (run - rule.lookback, run) if run is not None else (float("-inf"), float("inf"))
        runs.append(_steps(texts[0], before, [], record, start, end, [], None))
    return {"runs": runs, "runs_with_rows": len(record.runs) if rule.windowed else None}


def _steps(source: str, before: list[str], rest: list[str], record: Record, start: float, end: float,
           after: list[int], alerts: int | None) -> dict:
    rows = [counts for t, counts in record.row_counts if start <= t <= end]
    steps = [{"command": _one_line(source), "rows": len(rows)}]
    steps += [{"command": _one_line(text), "rows": sum(c[i] for c in rows)} for i, text in enumerate(before)]
    steps += [{"command": _one_line(text), "rows": count} for text, count in zip(rest, after)]
    out: dict = {"steps": steps, "alerts": alerts}
    if start != float("-inf"):
        out.update(run_time=format_time(end), window=[format_time(start), format_time(end)])
    return out


def command_texts(query: Any) -> list[str]:
    """The query's source and commands as written (split on the pipes outside strings and comments); the
    commands' names when the split does not give one text per command."""
    text, i = query.text, 0
    parts: list[str] = []
    current: list[str] = []
    while i < len(text):
        if text.startswith('"""', i):
            end = text.find('"""', i + 3)
            end = len(text) if end < 0 else end + 3
        elif text[i] == '"':
            match = re.compile(r'"(?:[^"\\]|\\.)*"?').match(text, i)
            end = match.end() if match else i + 1
        elif text.startswith("//", i):
            end = text.find("\n", i)
            end = len(text) if end < 0 else end
        elif text.startswith("/*", i):
            end = text.find("*/", i + 2)
            end = len(text) if end < 0 else end + 2
        elif text[i] == "|":
            parts.append("".join(current))
            current, i = [], i + 1
            continue
        else:
            end = i + 1
        current.append(text[i:end])
        i = end
    parts.append("".join(current))
    parts = [" ".join(re.sub(r"//[^\n]*|/\*.*?\*/", " ", p, flags=re.S).split()) for p in parts]
    if len(parts) != 1 + len(query.commands):
        return ["FROM"] + [type(c).__name__.upper() for c in query.commands]
    return parts


def verdict(result: dict) -> str:
    """One sentence: how many alerts, or the first stage that let nothing through."""
    alerts, query, events = result["alerts"], result["query"], result["events"]
    if alerts:
        dropped = len(result.get("removed_by_exceptions") or ())
        return f"{len(alerts)} alert{'s' if len(alerts) != 1 else ''}" + (
            f"; {len(result['suppressed'])} more folded by alert suppression" if result["suppressed"] else "") + (
            f"; {dropped} more removed by the exceptions" if dropped else "")
    if not events["in_window_field"]:
        return f"no alert: no event has the rule's time field {result['rule']['window_field']}" \
            if events["read"] else "no alert: no event was read"
    if not query["matched"] and not query["excepted"]:
        if result["at"]:
            return (f"no alert: the query matched none of the {events.get('in_run', 0)} events in the window of the "
                    f"run at {result['at']['run_time']}")
        return "no alert: the query matched none of the events"
    removed = result.get("removed_by_exceptions")
    if removed:
        groups = "; ".join(sorted({", ".join(f"{k}={v}" for k, v in a["group"].items()) or "-" for a in removed}))
        return (f"no alert: the exceptions removed {query['excepted']} of the {query['matched']} events the query "
                f"matched, and with them {len(removed)} alert{'s' if len(removed) != 1 else ''} ({groups})")
    if query["matched"] and query["matched"] == query["excepted"]:
        return f"no alert: exceptions removed all {query['excepted']} events the query matched"
    if result["suppressed"]:
        return f"no alert: alert suppression folded {len(result['suppressed'])} alerts into earlier ones"
    for kind in ("threshold", "sequence", "new_terms", "esql"):
        if kind in result:
            if kind in ("threshold", "esql") and result["at"] and not result[kind]["runs"]:
                return f"no alert: the run at {result['at']['run_time']} read no matching event"
            return "no alert: " + globals()[f"_{kind}_reason"](result[kind])
    return (f"no alert: the query matched {query['matched']} events and no run raised an alert for them (a run "
            "raises at most max_signals alerts; `| head` and `| tail` keep part of a run's results)")


def _threshold_reason(section: dict) -> str:
    if not section["runs"]:
        return "no run's window held a matching event"
    best = section["runs"][0]["groups"][0]
    group = ", ".join(f"{k}={v}" for k, v in best["group"].items())
    card = section["cardinality"]
    if best["count"] >= section["value"] and card and (best["distinct"] or 0) < card["value"]:
        return (f"{group} reached {best['count']} events but {best['distinct']} distinct {card['field']} "
                f"(needs {card['value']})")
    return f"the highest count, {best['count']} for {group}, is under the threshold {section['value']}"


def _sequence_reason(section: dict) -> str:
    if not section["keys"]:
        empty = [s["stage"] for s in section["stages"] if not s["matched"]]
        return f"no event matched stage {empty[0]}" if empty else "no event of stage 1 opened a sequence for a key"
    best = section["keys"][0]
    key = ", ".join(f"{k}={v}" for k, v in best["key"].items()) if isinstance(best["key"], dict) else str(best["key"])
    if best["completed"]:
        return f"{key} completed a sequence, but no run's window held all of its events"
    reason = f"{key} got furthest: stage {best['furthest']} of {section['stage_count']}"
    if best["ended"]:
        last = best["ended"][-1]
        reason += {"maxspan": f"; stage {last.get('stage')} came at {last['at']}, past maxspan from {last['first']}",
                   "until": f"; an until event at {last['at']} ended it",
                   "missing": "; a missing-event stage's event was found"}[last["why"]]
    return reason


def _new_terms_reason(section: dict) -> str:
    if not section["terms"]:
        return "no term"
    counts: dict[str, int] = {}
    for term in section["terms"]:
        for verdict_, n in term["verdicts"].items():
            counts[verdict_] = counts.get(verdict_, 0) + n
    names = {"seen": "had been seen within the history window",
             "warm-up": f"came in the warm-up (until {section['warm_up_until']})",
             "suppressed": "suppressed", "max_signals": "over max_signals"}
    return "no term was new: " + ", ".join(f"{n} event{'s' if n != 1 else ''} {names[v]}" for v, n in counts.items())


def _esql_reason(section: dict) -> str:
    if not section["runs"]:
        return "no run's window held a row"
    steps = section["runs"][0]["steps"]
    gone = next((s for s in steps if s["rows"] == 0), None)
    return f"no row left after `{gone['command']}`" if gone else "the query answered rows but none alerted"
