"""Adopt rules made in Kibana: write a space's custom rules as content files in the pack's format."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path
from typing import Any

import tomli_w

from ..kibana import KibanaClient, KibanaUnexpectedAnswer
from .normalize import ANALYST_FIELDS, SERVER_FIELDS

_SKIP = SERVER_FIELDS | ANALYST_FIELDS | {"version", "required_fields", "note", "setup"}


def file_name(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")[:80] + ".toml"


def _without_nulls(value: Any) -> Any:
    """TOML has no null: JSON's nulls inside a rule's values are left out."""
    if isinstance(value, dict):
        return {k: _without_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_without_nulls(v) for v in value if v is not None]
    return value


def rule_to_toml(rule: dict) -> str:
    body = {k: _without_nulls(v) for k, v in sorted(rule.items()) if k not in _SKIP and v not in (None, "", [], {})}
    today = date.today().strftime("%Y/%m/%d")
    document = {"metadata": {"creation_date": today, "updated_date": today, "maturity": "development",
                             "exported_from_kibana": True},
                "rule": body}
    return tomli_w.dumps(document, multiline_strings=True)


def export_space(client: KibanaClient, out_dir: Path, include_managed: bool = False) -> tuple[list[Path], list[Path]]:
    """Write every custom (non-prebuilt) rule of the space to out_dir, one file each: two rules with one name
    get the rule_id in the second file's name, and a file already there is never overwritten.
    Returns (files written, files skipped because they exist)."""
    from ..build import MARKER_TAG

    client.get_space()
    out_dir.mkdir(parents=True, exist_ok=True)
    written, skipped, taken = [], [], set()
    for rule in client.find_rules(filter="alert.attributes.params.immutable: false"):
        if not include_managed and MARKER_TAG in (rule.get("tags") or []):
            continue
        name = file_name(str(rule.get("name") or rule["rule_id"]))
        if name in taken:
            name = name[: -len(".toml")] + "_" + re.sub(r"[^a-z0-9]+", "", str(rule["rule_id"]).lower())[:12] + ".toml"
        taken.add(name)
        path = out_dir / name
        if path.exists():
            skipped.append(path)
            continue
        try:
            text = rule_to_toml(rule)
        except (TypeError, ValueError, RecursionError) as exc:
            raise KibanaUnexpectedAnswer(f"rule {rule['rule_id']}: Kibana's answer cannot be written as TOML: "
                                         f"{type(exc).__name__}: {str(exc)[:200]}") from None
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written, skipped
