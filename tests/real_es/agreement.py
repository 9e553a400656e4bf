"""Agreement counts per language, printed at the end of the run (conftest's terminal summary)."""

from __future__ import annotations

from collections import Counter

TALLY: dict[str, Counter] = {}


def record(what: str, agreed: bool) -> None:
    TALLY.setdefault(what, Counter())["agree" if agreed else "differ"] += 1


def lines() -> list[str]:
    return [f"{what}: {c['agree']} agree, {c['differ']} differ" for what, c in sorted(TALLY.items())]
