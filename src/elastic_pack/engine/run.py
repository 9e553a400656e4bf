"""Run compiled rules over a time-ordered stream of events, as Kibana's scheduled runs would see it."""

from __future__ import annotations

from collections.abc import Iterable

from .alerts import Alert
from .events import Event
from .rules import CompiledRule


class UnorderedEvents(ValueError):
    """The stream went back in time; the engine needs events ordered by their window time."""


def run_rules(rules: list[CompiledRule], events: Iterable[Event]) -> list[Alert]:
    alerts: list[Alert] = []
    last_time: float | None = None
    ungated = [rule for rule in rules if rule.gate is None]
    # gate field -> value -> the rules that value lets through: one lookup per field, not per rule
    routes: dict[str, dict[object, list]] = {}
    for rule in rules:
        if rule.gate is not None:
            by_value = routes.setdefault(rule.gate[0], {})
            for value in rule.gate[1]:
                by_value.setdefault(value, []).append(rule)
    gated_rules = {field: [r for r in rules if r.gate is not None and r.gate[0] == field] for field in routes}
    for event in events:
        if last_time is None:
            for rule in rules:
                rule.start(event.window_time)
        elif event.window_time < last_time:
            raise UnorderedEvents(f"{event.source}: event is older than the one before it")
        last_time = event.window_time
        fields = event.fields
        for rule in ungated:
            found = rule.feed(event)
            if found:
                alerts.extend(found)
        for field, by_value in routes.items():
            value = fields.get(field)
            # a rule whose gate the event fails cannot match it; its schedule catches up on its next event
            targets = gated_rules[field] if value.__class__ is list else by_value.get(value, ())
            for rule in targets:
                found = rule.feed(event)
                if found:
                    alerts.extend(found)
    if last_time is not None:
        for rule in rules:
            alerts.extend(rule.finish(last_time))
    return sorted(alerts, key=lambda a: (a.run_time, a.rule_name, a.first_event, str(a.group)))
