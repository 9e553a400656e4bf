"""Validate payloads against Kibana's own OpenAPI schemas (a folder of the detection engine's YAML files).

Used by the tests, by the in-process Kibana stand-in, and by `validate --kibana-openapi DIR`. References to
files missing from the folder resolve to an open schema and are listed in `unresolved`.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import jsonschema
import yaml
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

RULE_SCHEMAS = "model/rule_schema/rule_schemas.schema.yaml"
CREATE_PROPS_BY_TYPE = {
    "eql": "EqlRuleCreateProps",
    "query": "QueryRuleCreateProps",
    "saved_query": "SavedQueryRuleCreateProps",
    "threshold": "ThresholdRuleCreateProps",
    "threat_match": "ThreatMatchRuleCreateProps",
    "machine_learning": "MachineLearningRuleCreateProps",
    "new_terms": "NewTermsRuleCreateProps",
    "esql": "EsqlRuleCreateProps",
}


def _to_json_schema(node, base: Path, root: Path, unresolved: set[str], names: bool = False):
    """OpenAPI 3.0 -> JSON Schema: nullable becomes a null type; refs to absent files become {}.

    `names` is true for maps whose keys are names (properties), which are kept whatever they are called.
    """
    if isinstance(node, list):
        return [_to_json_schema(n, base, root, unresolved) for n in node]
    if not isinstance(node, dict):
        return node
    if names:
        return {k: _to_json_schema(v, base, root, unresolved) for k, v in node.items()}
    out = {}
    for key, value in node.items():
        key = str(key)
        if key == "$ref" and isinstance(value, str):
            file_part = value.split("#", 1)[0]
            if file_part and not (base.parent / file_part).resolve().exists():
                unresolved.add(value)
                return {}
        if key in ("discriminator", "example", "examples") or key.startswith("x-"):
            continue
        out[key] = _to_json_schema(value, base, root, unresolved, names=key in ("properties", "schemas", "paths"))
    if out.pop("nullable", False) and "type" in out:
        out["type"] = [out["type"], "null"]
    return out


class KibanaOpenApi:
    def __init__(self, root: Path):
        self.root = Path(root).resolve()
        if not (self.root / RULE_SCHEMAS).exists():
            raise FileNotFoundError(f"{self.root} does not hold Kibana's detection engine schemas ({RULE_SCHEMAS})")
        self.unresolved: set[str] = set()
        resources = []
        for path in sorted(self.root.rglob("*.yaml")):
            document = _to_json_schema(yaml.safe_load(path.read_text()), path, self.root, self.unresolved)
            resources.append((path.as_uri(), Resource.from_contents(document, default_specification=DRAFT202012)))
        self.registry = Registry().with_resources(resources)
        self._validators: dict[tuple[str, str], jsonschema.Draft202012Validator] = {}

    def schema(self, relative_file: str, pointer: str) -> dict:
        return {"$ref": f"{(self.root / relative_file).as_uri()}#{pointer}"}

    def _errors(self, relative_file: str, pointer: str, payload) -> list[str]:
        key = (relative_file, pointer)
        validator = self._validators.get(key)
        if validator is None:
            validator = self._validators[key] = jsonschema.Draft202012Validator(
                self.schema(relative_file, pointer), registry=self.registry)
        return [
            f"{'/'.join(str(p) for p in error.absolute_path) or '<root>'}: {error.message}"
            for error in sorted(validator.iter_errors(payload), key=lambda e: list(e.absolute_path))
        ]

    def component_errors(self, relative_file: str, component: str, payload) -> list[str]:
        return self._errors(relative_file, f"/components/schemas/{component}", payload)

    def request_body_errors(self, relative_file: str, path: str, method: str, body) -> list[str]:
        """Errors of a JSON request body against an operation's schema in the converted documents."""
        escaped = path.replace("~", "~0").replace("/", "~1")
        pointer = f"/paths/{escaped}/{method}/requestBody/content/application~1json/schema"
        return self._errors(relative_file, pointer, body)

    def rule_create_errors(self, payload: dict) -> list[str]:
        """Errors of a rule create/import payload against the schema of its type."""
        component = CREATE_PROPS_BY_TYPE.get(str(payload.get("type")))
        if component is None:
            return [f"type: {payload.get('type')!r} is not a Kibana rule type"]
        return self.component_errors(RULE_SCHEMAS, component, payload)


@lru_cache(maxsize=4)
def load_openapi(root: str) -> KibanaOpenApi:
    return KibanaOpenApi(Path(root))
