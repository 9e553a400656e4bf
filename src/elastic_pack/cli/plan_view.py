"""A readable field-level diff for people."""

from __future__ import annotations

import difflib
import json


def _text(value) -> str:
    return value if isinstance(value, str) else json.dumps(value, indent=1, sort_keys=True, default=str)


def field_diff_lines(changes) -> list[str]:
    lines = []
    for name, before, after in changes:
        old, new = _text(before), _text(after)
        if "\n" not in old and "\n" not in new and len(old) + len(new) < 160:
            lines.append(f"  {name}: {old} -> {new}")
            continue
        lines.append(f"  {name}:")
        diff = difflib.unified_diff(old.splitlines(), new.splitlines(), "kibana", "pack", lineterm="", n=1)
        lines += [f"    {line}" for line in diff]
    return lines
