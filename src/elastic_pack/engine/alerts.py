"""What a rule run produces."""

from __future__ import annotations

from dataclasses import dataclass, field

from .events import format_time


@dataclass(frozen=True)
class Alert:
    rule_id: str
    rule_name: str
    rule_type: str
    group: dict = field(hash=False)
    event_count: int
    first_event: float
    last_event: float
    run_time: float
    # the source events, as Kibana's alerts carry their ancestors: `_id` when the event has one, else file:line
    ancestors: tuple[str, ...] = field(default=(), hash=False, compare=False)

    def to_json(self) -> dict:
        return {
            "rule_id": self.rule_id,
            "rule_name": self.rule_name,
            "rule_type": self.rule_type,
            "group": dict(self.group),
            "event_count": self.event_count,
            "first_event": format_time(self.first_event),
            "last_event": format_time(self.last_event),
            "run_time": format_time(self.run_time),
            "ancestors": list(self.ancestors),
        }
