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
    for event in events:
        if last_time is None:
            for rule in rules:
                rule.start(event.window_time)
        elif event.window_time < last_time:
            raise UnorderedEvents(f"{event.source}: event is older than the one before it")
        last_time = event.window_time
        for rule in rules:
            found = rule.feed(event)
            if found:
                alerts.extend(found)
    if last_time is not None:
        for rule in rules:
            alerts.extend(rule.finish(last_time))
    return sorted(alerts, key=lambda a: (a.run_time, a.rule_name, a.first_event, str(a.group)))
