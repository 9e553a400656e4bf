"""Read a pack directory into the content model, collecting every problem on the way."""

from __future__ import annotations

import os
import re
import tomllib
from importlib import resources
from pathlib import Path

from ..findings import Finding, Severity
from .locate import key_line
from .model import Pack, RuleFile
from .shape import shape_problems
from .toml_text import parse_toml

CONTENT_ENV = "ELASTIC_PACK_CONTENT"
_TOML_POSITION = re.compile(r"\(at line (\d+), column (\d+)\)")


def default_content_dir() -> Path:
    """The pack to use when none is named: $ELASTIC_PACK_CONTENT, else the pack the current folder is in, found
    as git finds its repository (the current folder or the nearest one above it that is a pack, with rules/
    and version.lock.json or pack.toml, or holds one as content/), else the pack shipped with elastic-pack."""
    configured = os.environ.get(CONTENT_ENV)
    if configured:
        return Path(configured)
    here = Path.cwd()
    for folder in (here, *here.parents):
        if (folder / "content" / "rules").is_dir():
            return folder / "content"
        if (folder / "rules").is_dir() and ((folder / "version.lock.json").is_file()
                                            or (folder / "pack.toml").is_file()):
            return folder
    return Path(str(resources.files("elastic_pack._content")))


def detection_rules_form(data: dict) -> dict:
    """elastic/detection-rules writes a new terms rule's fields as a [rule.new_terms] table
    ({field = "new_terms_fields", value = [...], history_window_start = [{field, value}]}); Kibana takes
    new_terms_fields and history_window_start. Read both."""
    rule = data.get("rule")
    new_terms = rule.get("new_terms") if isinstance(rule, dict) else None
    if not isinstance(new_terms, dict) or new_terms.get("field") != "new_terms_fields":
        return data
    assert isinstance(rule, dict)
    converted = {k: v for k, v in rule.items() if k != "new_terms"}
    converted.setdefault("new_terms_fields", new_terms.get("value"))
    for entry in new_terms.get("history_window_start") or []:
        if isinstance(entry, dict) and entry.get("field") == "history_window_start":
            converted.setdefault("history_window_start", entry.get("value"))
    return {**data, "rule": converted}


def rule_paths(root: Path) -> list[Path]:
    """Rule files: rules/ and, as in elastic/detection-rules, rules_building_block/, nested folders included;
    not rules/_deprecated/, where detection-rules keeps retired copies that are never deployed."""
    found = []
    for folder in ("rules", "rules_building_block"):
        if (root / folder).is_dir():
            found += sorted(p for p in (root / folder).rglob("*.toml")
                            if p.is_file() and "_deprecated" not in p.relative_to(root / folder).parts[:-1])
    return found


def load_pack(root: Path | None = None) -> tuple[Pack, list[Finding]]:
    """Load every rule file under root/rules. Files that do not parse become findings, not exceptions."""
    root = Path(root) if root is not None else default_content_dir()
    pack = Pack(root=root)
    findings: list[Finding] = []
    rules_dir = root / "rules"
    if not rules_dir.is_dir():
        findings.append(Finding("EP000", f"no rules folder at {rules_dir}", path=root))
        return pack, findings
    paths = rule_paths(root)
    if not paths:
        findings.append(Finding("EP000", f"no rule files (*.toml) under {rules_dir}: an empty pack would build an "
                                "empty bundle and deploy --prune would empty the space", path=rules_dir))
    for path in paths:
        try:
            text = path.read_bytes().decode("utf-8")
        except UnicodeDecodeError as exc:
            line: int | None = path.read_bytes()[:exc.start].count(b"\n") + 1
            findings.append(Finding("EP001", f"not UTF-8 text (byte {exc.start + 1})", path=path, line=line))
            continue
        except OSError as exc:
            findings.append(Finding("EP001", f"cannot read: {exc.strerror or exc}", path=path))
            continue
        try:
            data = parse_toml(text)
        except tomllib.TOMLDecodeError as exc:
            position = _TOML_POSITION.search(str(exc))
            line = int(position.group(1)) if position else None
            column = int(position.group(2)) if position else None
            message = _TOML_POSITION.sub("", str(exc)).strip()
            findings.append(Finding("EP001", f"invalid TOML: {message}", path=path, line=line, column=column))
            continue
        problems = shape_problems(data)
        for table, key, message in problems:
            line = key_line(text, table, key) if table or key else None
            findings.append(Finding("EP002", message, path=path, line=line))
        if problems:
            continue  # kept away from every consumer: one finding per problem, no follow-on noise
        pack.rules.append(RuleFile(path=path, text=text, data=detection_rules_form(data)))
    findings += _attach_settings(pack)
    findings += _read_manifest(pack)
    from ..exceptions_model import load_exception_lists
    from ..guides import load_guides

    pack.exception_lists, exception_findings = load_exception_lists(root)
    findings.extend(exception_findings)
    try:
        pack.guides = load_guides(root)
    except (ValueError, KeyError, tomllib.TOMLDecodeError) as exc:
        findings.append(Finding("EP015", f"invalid guide: {exc}", path=root / "guides"))
    findings += _load_scenarios(pack)
    return pack, findings


PACK_ID = re.compile(r"[a-z0-9][a-z0-9._-]{0,62}")


def _read_manifest(pack: Pack) -> list[Finding]:
    """pack.toml: `id`, the pack's identity in a Kibana space (deploy --prune deletes only rules carrying it).
    A pack without the file has none: its rules carry only the global marker."""
    path = pack.manifest_path
    if not path.exists():
        return []
    try:
        text = path.read_bytes().decode("utf-8")
        data = parse_toml(text)
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        position = _TOML_POSITION.search(str(exc))
        line = int(position.group(1)) if position else None
        return [Finding("EP001", f"invalid pack.toml: {_TOML_POSITION.sub('', str(exc)).strip()}", path=path, line=line)]
    pack_id = data.get("id")
    if not isinstance(pack_id, str) or not PACK_ID.fullmatch(pack_id):
        return [Finding("EP002", "pack.toml: `id` must be 1 to 63 of a-z, 0-9, '.', '_', '-' (starting with a letter "
                        f"or digit), not {pack_id!r}", path=path, line=key_line(text, "", "id") if "id" in data else None)]
    pack.id = pack_id
    return []


def _attach_settings(pack: Pack) -> list[Finding]:
    """Each rule's pack-only settings (rule_settings.toml, by rule file name)."""
    path = pack.settings_path
    if not path.exists():
        return []
    try:
        settings = parse_toml(path.read_bytes().decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        position = _TOML_POSITION.search(str(exc))
        line = int(position.group(1)) if position else None
        return [Finding("EP001", f"invalid TOML: {_TOML_POSITION.sub('', str(exc)).strip()}", path=path, line=line)]
    findings = []
    stems = {rule.path.stem: rule for rule in pack.rules}
    for stem, table in settings.items():
        if not isinstance(table, dict):
            findings.append(Finding("EP001", f"{stem} must be a table of settings", path=path))
        elif stem not in stems:
            findings.append(Finding("EP001", f"settings for {stem}, but there is no rules/{stem}.toml", path=path,
                                    line=key_line(path.read_text(encoding="utf-8"), stem, ""),
                                    severity=Severity.WARNING))
        else:
            stems[stem].settings = table
    return findings


def _load_scenarios(pack: Pack) -> list[Finding]:
    from .scenarios import load_scenarios

    pack.scenarios, findings = load_scenarios(pack.root, {r.path.stem for r in pack.rules})
    item_ids = {item.item_id for lst in pack.exception_lists for item in lst.items}
    for scenario in pack.scenarios:
        for item_id in sorted(set(scenario.exception_values) - item_ids):
            findings.append(Finding("EP020", f"scenario {scenario.name}: no exception item {item_id!r}",
                                    path=scenario.path))
    return findings
