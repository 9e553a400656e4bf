"""Rule files -> the payloads Kibana receives, and the import bundle."""

from __future__ import annotations

import json
from functools import lru_cache
from importlib import resources
from pathlib import Path

from .content.model import Pack, RuleFile, normalise_prose
from .fields import field_type
from .lock import VersionLock

_PROSE_KEYS = ("description", "note", "setup")
# Set on every rule the pack builds: how deploy and export know a rule in Kibana came from elastic-pack
# (never by name). Which pack: pack_tag, from the pack's pack.toml id; --prune deletes only rules carrying it.
MARKER_TAG = "Managed: elastic-pack"
PACK_TAG_PREFIX = "Managed: elastic-pack/"


def pack_tag(pack_id: str) -> str:
    """The tag that says a rule in Kibana belongs to the pack with this id."""
    return PACK_TAG_PREFIX + pack_id


def pack_tags_of(rule: dict) -> set[str]:
    """The pack tags a rule (built or read from Kibana) carries."""
    tags = rule.get("tags")
    return {t for t in tags if isinstance(t, str) and t.startswith(PACK_TAG_PREFIX)} if isinstance(tags, list) else set()
BUNDLE_NAME = "elastic-pack-rules.ndjson"


def query_fields(rule: RuleFile) -> set[str]:
    """Fields the rule's query reads (empty when the query does not parse)."""
    from .content.queries import parsed_query

    parsed = parsed_query(rule)
    if parsed is None:
        return set()
    return set(parsed.fields)


def required_fields(rule: RuleFile) -> list[dict]:
    fields = query_fields(rule) | set(rule.spec.grouping_fields)
    return [{"name": name, "type": field_type(name) or "unknown"} for name in sorted(fields)]


def rule_payload(rule: RuleFile, version: int = 1, pack: Pack | None = None) -> dict:
    """The rule exactly as it goes to Kibana (import line, create or update body), without metadata.

    Within a pack, `note` and `setup` are rendered from the rule's technique guide and the pack's
    exception lists for the rule are attached.
    """
    payload = dict(rule.rule)
    guide = pack.guides.get(rule.metadata.get("technique_guide")) if pack else None
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
    if pack is not None:
        from .exceptions_model import lists_for_rule

        attached = [lst.reference() for lst in lists_for_rule(pack.exception_lists, rule.path.stem)]
        if attached:
            payload["exceptions_list"] = attached
    if MARKER_TAG not in payload.get("tags", []):
        payload["tags"] = [*payload.get("tags", []), MARKER_TAG]
    if pack is not None and pack.id and pack_tag(pack.id) not in payload["tags"]:
        payload["tags"] = [*payload["tags"], pack_tag(pack.id)]
    payload.setdefault("enabled", False)
    payload["required_fields"] = required_fields(rule)
    payload["version"] = version
    return payload


def pack_payloads(pack: Pack, lock: VersionLock | None = None) -> list[dict]:
    lock = lock or VersionLock.read(pack.lock_path)
    payloads = [rule_payload(rule, lock.version_of(rule.rule_id or ""), pack) for rule in pack.rules]
    return sorted(payloads, key=lambda p: str(p.get("rule_id")))


@lru_cache(maxsize=1)
def _ecs_fields() -> dict[str, str]:
    data = resources.files("elastic_pack").joinpath("data", "ecs_fields.json")
    return dict(json.loads(data.read_text(encoding="utf-8"))["fields"])


def with_ecs(fields: list[dict]) -> list[dict]:
    """required_fields as Kibana exports them: each with `ecs`, true when ECS defines the field with that
    type (Kibana computes it on create and update, so those bodies leave it out; its export carries it,
    and detection-rules' import of a bundle requires it)."""
    ecs = _ecs_fields()
    return [{**f, "ecs": ecs.get(str(f.get("name"))) == f.get("type")} for f in fields]


def bundle_objects(pack: Pack, lock: VersionLock | None = None) -> list[dict]:
    """Everything the import bundle holds: the rules (required_fields with `ecs`, as Kibana's export
    writes them), then their exception lists and items (Kibana's export order)."""
    from .exceptions_model import kibana_objects

    rules = [{**p, "required_fields": with_ecs(p["required_fields"])} for p in pack_payloads(pack, lock)]
    return rules + kibana_objects(pack.exception_lists)


def bundle_text(objects: list[dict]) -> str:
    """ndjson as Kibana's rule import accepts it; byte-identical for the same content."""
    return "".join(json.dumps(p, sort_keys=True, ensure_ascii=False, separators=(",", ":")) + "\n" for p in objects)


def write_bundle(objects: list[dict], out_dir: Path) -> Path:
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / BUNDLE_NAME
    path.write_text(bundle_text(objects), encoding="utf-8")
    return path
