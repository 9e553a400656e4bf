"""What Kibana checks when it builds a KQL query for a data view (an index pattern with its field list): a field
the data view lists must be queried inside the nested group of its nested object, and only there. The
detection engine's data view lists no fields, so a rule's query is never checked (Elasticsearch then answers:
a nested object's field outside its nested query matches nothing)."""

from __future__ import annotations

from collections.abc import Callable, Collection

from .typed import KqlTypeError


def check_nesting(name: str, scope: str | None, listed: Collection[str],
                  nested_path: Callable[[str], "str | None"] | None) -> None:
    """Raise KqlTypeError with Kibana's message when `name` (a field the data view lists) is queried inside the
    nested group `scope` (None: none) and that is not its nested object's path."""
    if name not in listed:
        return
    path = nested_path(name) if nested_path is not None else None
    if path == scope:
        return
    if path is None:
        message = f'{name} is not a nested field but is in nested group "{scope}" in the KQL expression.'
    elif scope is None:
        message = f"{name} is a nested field, but is not in a nested group in the KQL expression."
    else:
        message = (f"Nested field {name} is being queried with the incorrect nested path. The correct path is "
                   f"{path}.")
    raise KqlTypeError(f"{message} (Kibana refuses to build the query for the data view)")
