"""The local engine: the pack's rules run over ECS events the way Kibana's detection engine runs them."""

from .alerts import Alert
from .events import Event, ReadReport, event_from_document, read_events
from .rules import CompiledRule, compile_rule
from .run import UnorderedEvents, run_rules

__all__ = ["Alert", "CompiledRule", "Event", "ReadReport", "UnorderedEvents", "compile_rule",
           "event_from_document", "read_events", "run_rules"]
