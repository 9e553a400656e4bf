"""Rule files -> the payloads Kibana receives, and the import bundle."""

from __future__ import annotations

import json
from pathlib import Path

from .content.model import Pack, RuleFile, normalise_prose
from .fields import field_type
from .lock import VersionLock

_PROSE_KEYS = ("description", "note", "setup")
BUNDLE_NAME = "elastic-pack-rules.ndjson"


def query_fields(rule: RuleFile) -> set[str]:
    """Fields the rule's query reads (empty when the query does not parse)."""
    from .content.queries import parsed_query

    parsed = parsed_query(rule)
    if parsed is None:
        return set()
    return set(parsed.fields)


def required_fields(rule: RuleFile) -> list[dict]:
    fields = query_fields(rule) | set(_threshold_fields(rule))
    return [{"name": name, "type": field_type(name) or "unknown"} for name in sorted(fields)]


def _threshold_fields(rule: RuleFile) -> list[str]:
    field = rule.rule.get("threshold", {}).get("field", [])
    return [field] if isinstance(field, str) else list(field)


def rule_payload(rule: RuleFile, version: int = 1, guides: dict | None = None) -> dict:
    """The rule exactly as it goes to Kibana (import line, create or update body), without metadata.

    With the pack's guides, `note` and `setup` are rendered from the rule's technique guide.
    """
    payload = dict(rule.rule)
    guide = (guides or {}).get(rule.metadata.get("technique_guide"))
    if guide is not None:
        from .guides import render_note, render_setup

        focus = rule.metadata.get("guide_focus")
        payload["note"] = render_note(guide, rule.name or "", focus, payload.get("false_positives", []))
        payload["setup"] = render_setup(guide, focus)
    for key in _PROSE_KEYS:
        if isinstance(payload.get(key), str):
            payload[key] = normalise_prose(payload[key]) if key == "description" else payload[key].strip()
    if isinstance(payload.get("false_positives"), list):
        payload["false_positives"] = [normalise_prose(fp) for fp in payload["false_positives"]]
    if isinstance(payload.get("query"), str):
        payload["query"] = payload["query"].strip()
    payload.setdefault("enabled", False)
    payload["required_fields"] = required_fields(rule)
    payload["version"] = version
    return payload


def pack_payloads(pack: Pack, lock: VersionLock | None = None) -> list[dict]:
    lock = lock or VersionLock.read(pack.lock_path)
    payloads = [rule_payload(rule, lock.version_of(rule.rule_id or ""), pack.guides) for rule in pack.rules]
    return sorted(payloads, key=lambda p: str(p.get("rule_id")))


def bundle_text(payloads: list[dict]) -> str:
    """ndjson as Kibana's rule import accepts it; byte-identical for the same content."""
    return "".join(json.dumps(p, sort_keys=True, ensure_ascii=False, separators=(",", ":")) + "\n" for p in payloads)


def write_bundle(payloads: list[dict], out_dir: Path) -> Path:
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / BUNDLE_NAME
    path.write_text(bundle_text(payloads), encoding="utf-8")
    return path
