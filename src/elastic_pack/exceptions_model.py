"""Rule exceptions as engine predicates (filled in by the exception lists of content/exceptions)."""

from __future__ import annotations

from .content.model import Pack


def exception_predicates(pack: Pack) -> dict[str, list]:
    """rule_id -> predicates that remove an event from that rule, as Kibana's exceptions do."""
    return {}
