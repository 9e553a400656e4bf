"""What the commands do, as library calls: build a validated bundle, bump versions."""

from __future__ import annotations

from pathlib import Path

from .build import bundle_objects, rule_payload, write_bundle
from .checks import validate_pack
from .errors import ContentError
from .findings import has_errors
from .lock import LockEntry, VersionLock


def build_pack(content_dir: Path | None, out_dir: Path) -> Path:
    """Validate, then write the import bundle. Refuses (ContentError) when the pack has errors."""
    pack, findings = validate_pack(content_dir)
    if has_errors(findings):
        raise ContentError([f for f in findings if f.severity.value == "error"])
    return write_bundle(bundle_objects(pack), out_dir)


def bump_versions(content_dir: Path | None, rule_ids: list[str] | None = None) -> dict[str, LockEntry]:
    """Record new content hashes (and versions) for changed or new rules; all of them when none are named."""
    from .content import load_pack

    pack, findings = load_pack(content_dir)
    if has_errors(findings):
        raise ContentError(findings)
    seen: dict[str, Path] = {}
    for rule in pack.rules:
        if rule.rule_id in seen:
            raise ValueError(f"rule_id {rule.rule_id} is in both {seen[rule.rule_id]} and {rule.path}: give one of "
                             "them a new rule_id before bumping")
        seen[rule.rule_id] = rule.path
    lock = VersionLock.read(pack.lock_path)
    wanted = set(rule_ids or [])
    unknown = wanted - {r.rule_id for r in pack.rules}
    if unknown:
        raise ValueError(f"no rule with rule_id {', '.join(sorted(unknown))}")
    bumped = {}
    for rule in pack.rules:
        if wanted and rule.rule_id not in wanted:
            continue
        entry = lock.bump(rule.rule_id, rule_payload(rule, pack=pack))
        if entry is not None:
            bumped[rule.rule_id] = entry
    if bumped:
        lock.write()
    return bumped


def render_playbooks(content_dir: Path | None) -> dict[str, str]:
    """file name -> markdown, one playbook per technique guide, naming the rules that lead into it."""
    from .content import load_pack
    from .guides import render_playbook

    pack, findings = load_pack(content_dir)
    if has_errors(findings):
        raise ContentError(findings)
    out = {}
    for technique, guide in sorted(pack.guides.items()):
        rules = sorted((r.name, r.rule_id) for r in pack.rules if r.metadata.get("technique_guide") == technique)
        out[f"{technique}.md"] = render_playbook(guide, rules)
    return out


def stale_playbooks(content_dir: Path | None, folder: Path) -> list[str]:
    """Playbooks in `folder` that differ from (or are missing against) what the content renders."""
    return [name for name, text in render_playbooks(content_dir).items()
            if not (folder / name).exists() or (folder / name).read_text(encoding="utf-8") != text]


def pack_objects(content_dir: Path | None) -> tuple[list[dict], list[dict]]:
    """The validated pack as Kibana objects: (rules, exception lists and items)."""
    from .build import pack_payloads
    from .exceptions_model import kibana_objects

    pack, findings = validate_pack(content_dir)
    if has_errors(findings):
        raise ContentError([f for f in findings if f.severity.value == "error"])
    return pack_payloads(pack), kibana_objects(pack.exception_lists)
