"""Run compiled rules over a time-ordered stream of events, as Kibana's scheduled runs would see it."""

from __future__ import annotations

from collections.abc import Iterable

from ..errors import QueryError
from .alerts import Alert
from .events import Event
from .gates import AnyGate, passes
from .rules import CompiledRule


class UnorderedEvents(ValueError):
    """The stream went back in time; the engine needs events ordered by their window time."""


def run_rules(rules: list[CompiledRule], events: Iterable[Event]) -> list[Alert]:
    alerts: list[Alert] = []
    last_time: float | None = None
    ungated = [rule for rule in rules if rule.gate is None]
    any_gated = [(rule, rule.gate) for rule in rules if isinstance(rule.gate, AnyGate)]
    # gate field -> value -> the rules that value lets through: one lookup per field, not per rule
    routes: dict[str, dict[object, list]] = {}
    for routed in rules:
        if routed.gate is not None and not isinstance(routed.gate, AnyGate):
            by_value = routes.setdefault(routed.gate[0], {})
            for value in routed.gate[1]:
                by_value.setdefault(value, []).append(routed)
    gated_rules = {field: [r for r in rules if r.gate is not None and not isinstance(r.gate, AnyGate)
                           and r.gate[0] == field] for field in routes}
    rule: CompiledRule | None = None
    event: Event | None = None
    try:
        for event in events:
            if last_time is None:
                for rule in rules:
                    rule.start(event.window_time)
            elif event.window_time < last_time:
                raise UnorderedEvents(f"{event.source}: event is older than the one before it")
            last_time = event.window_time
            for rule in ungated:
                found = rule.feed(event)
                if found:
                    alerts.extend(found)
            for rule, gate in any_gated:
                if passes(gate, event):
                    found = rule.feed(event)
                    if found:
                        alerts.extend(found)
            for field, by_value in routes.items():
                value = event.get(field)
                # a rule whose gate the event fails cannot match it; its schedule catches up on its next event
                try:
                    if value.__class__ is not list:
                        targets = by_value.get(value, ())
                    elif len(value) == 1:
                        targets = by_value.get(value[0], ())
                    else:  # each value of an array lets its rules through (each rule once)
                        targets = list(dict.fromkeys(r for item in value for r in by_value.get(item, ())))
                except TypeError:  # an object where a value was expected: the rules' queries decide
                    targets = gated_rules[field]
                for rule in targets:
                    found = rule.feed(event)
                    if found:
                        alerts.extend(found)
        if last_time is not None:
            for rule in rules:
                alerts.extend(rule.finish(last_time))
    except QueryError as exc:
        # a query the data's types reject fails the rule's search in Elasticsearch (Kibana marks the run
        # failed); `rule` is the one whose feed raised, as every loop above names its rule so before feeding
        where = f"{event.source}: " if event is not None and event.source else ""
        name = f"rule {rule.name!r}: " if rule is not None else ""
        raise QueryError(f"{where}{name}Elasticsearch fails this rule's search: {exc}") from None
    return sorted(alerts, key=alert_order)


def alert_order(alert: Alert) -> tuple:
    return alert.run_time, alert.rule_name, alert.first_event, str(alert.group)


def by_window_field(rules: list[CompiledRule]) -> dict[tuple[str, bool], list[CompiledRule]]:
    """Rules grouped by the time field they window on (and whether a document without it is left out): each
    group needs the events in that field's order."""
    groups: dict[tuple[str, bool], list[CompiledRule]] = {}
    for rule in rules:
        groups.setdefault((rule.window_field, rule.window_strict), []).append(rule)
    return groups


def windowed(events: Iterable[Event], window_field: str, strict: bool) -> Iterable[Event]:
    """The events a group's rules read: without fallback, only those that have the window field."""
    if not strict:
        return events
    return (event for event in events if event.get(window_field) is not None)
