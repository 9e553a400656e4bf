"""Documents made for the queries that read them: for each field a query reads, values taken from its literals
(exact, other case, wildcards filled, near a range's bound, inside a CIDR), values of the field's type that
match nothing, arrays mixing both, and the field missing. Deterministic (seeded), so a difference reproduces."""

from __future__ import annotations

import ipaddress
import random
from typing import Any

from elastic_pack.fields import field_type
from elastic_pack.kql.ast import Exists, Literal, Match, Range, Wildcard, walk

# the node's server types for every type a field of the catalogue may have; others are not generated
NODE_TYPES = {
    "keyword": {"type": "keyword"}, "constant_keyword": {"type": "keyword"}, "wildcard": {"type": "keyword"},
    "text": {"type": "text"}, "match_only_text": {"type": "text", "norms": False},
    "ip": {"type": "ip"}, "date": {"type": "date"}, "long": {"type": "long"}, "integer": {"type": "integer"},
    "short": {"type": "short"}, "byte": {"type": "byte"}, "double": {"type": "double"},
    "float": {"type": "float"}, "scaled_float": {"type": "double"}, "boolean": {"type": "boolean"},
    "unsigned_long": {"type": "unsigned_long"},
}
NUMERIC = {"long", "integer", "short", "byte", "double", "float", "scaled_float", "unsigned_long"}


def kind_of(field: str) -> str:
    """The field's type as the engine reads it: the catalogue's, keyword (the logs-* default) when unknown."""
    return field_type(field) or "keyword"


def literals(tree) -> dict[str, list[Any]]:
    """Per field, the values the query names (Match and Range literals, wildcard patterns as parts)."""
    out: dict[str, list[Any]] = {}
    for node in walk(tree):
        if isinstance(node, (Match, Range)) and not node.field_glob:
            out.setdefault(node.field, []).append(node.value)
        elif isinstance(node, Exists) and not node.field_glob:
            out.setdefault(node.field, [])
    return out


def _number(kind: str, text: str) -> float | int | None:
    try:
        value = float(text)
    except ValueError:
        return None
    if kind in ("double", "float", "scaled_float"):
        return value
    return int(value) if value == int(value) and abs(value) < 2**31 else None


def _variants(kind: str, value: Any, rng: random.Random) -> list[Any]:
    """Values near a literal: the ones a query should and should not match."""
    if isinstance(value, Wildcard):
        filled = "".join(part + (rng.choice(["", "x", "Ab-9", " "]) if i < len(value.parts) - 1 else "")
                         for i, part in enumerate(value.parts))
        return [filled, filled.upper(), filled[1:], "pre" + filled] if kind not in NUMERIC | {"ip", "date", "boolean"} else []
    text = value.text if isinstance(value, Literal) else str(value)
    if kind in NUMERIC:
        number = _number(kind, text)
        return [] if number is None else [number, number + 1, number - 1]
    if kind == "ip":
        try:
            network = ipaddress.ip_network(text, strict=False)
        except ValueError:
            return []
        first = network.network_address
        return [str(first), str(first + min(1, network.num_addresses - 1)),
                str(network.broadcast_address + 1) if network.broadcast_address < ipaddress.ip_address(
                    "255.255.255.255" if network.version == 4 else "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff") else str(first)]
    if kind == "boolean":
        return [True, False] if text in ("true", "false") else []
    if kind == "date":
        return []
    if not text:
        return [""]
    return [text, text.upper(), text.lower(), text + " tail", "head " + text, text[:-1]]


def _other(kind: str, rng: random.Random) -> Any:
    if kind in NUMERIC:
        return rng.choice([0, 1, 7, 443, 65535]) if kind not in ("double", "float", "scaled_float") else 0.5
    if kind == "ip":
        return rng.choice(["10.1.2.3", "192.168.0.1", "8.8.8.8", "::1", "2001:db8::5"])
    if kind == "boolean":
        return rng.choice([True, False])
    if kind == "date":
        return rng.choice(["2026-01-05T09:00:00Z", "2025-06-01T00:00:00.123Z"])
    return rng.choice(["benign", "C:\\Windows\\System32\\svchost.exe", "Some Words here", "", "-"])


def documents_for(tree, count: int, rng: random.Random) -> list[dict]:
    fields = {f: v for f, v in literals(tree).items() if kind_of(f) in NODE_TYPES}
    docs = []
    for _ in range(count):
        doc: dict[str, Any] = {}
        for field, values in fields.items():
            kind = kind_of(field)
            variants = [_variants(kind, value, rng) for value in values]
            exact = [v[0] for v in variants if v]
            pool = [v for group in variants for v in group]
            roll = rng.random()
            if roll < 0.08:
                continue  # missing
            if roll < 0.16 or not pool:
                doc[field] = _other(kind, rng)
            elif roll < 0.24:
                doc[field] = [rng.choice(pool), _other(kind, rng)]
            elif roll < 0.8:
                doc[field] = rng.choice(exact)  # mostly the literal itself, so conjunctions match too
            else:
                doc[field] = rng.choice(pool)
        docs.append(doc)
    return docs


def as_indexed(documents: list[dict], fields: set[str]) -> list[dict]:
    """The documents as an index of these fields takes them: a multi-field's value (x.text, x.caseless) moved
    to its parent, which Elasticsearch fills the multi-field from."""
    multi = {f for f in fields if f.rpartition(".")[0] in fields or f.endswith(".caseless")}
    for document in documents:
        for field in multi & document.keys():
            document.setdefault(field.rpartition(".")[0], document[field])
            del document[field]
    return documents


def objects_among(fields: set[str]) -> set[str]:
    """The fields that must be objects in a mapping: a name with other fields under it that the catalogue
    does not know as a leaf (Elastic's rules KEEP an object like gcp.audit.request and read fields in it)."""
    return {f for f in fields if field_type(f) is None and any(g.startswith(f + ".") for g in fields)}


def mapping_for(fields: set[str], kinds=None) -> dict:
    """An index mapping for these fields with the node's types; a catalogue multi-field (x.text of x) is a
    multi-field of its parent, as ECS maps it."""
    kind_of_field = (lambda f: kinds(f) or kind_of(f)) if kinds else kind_of
    properties: dict[str, dict] = {}
    fields = fields | {f.rpartition(".")[0] for f in fields if f.endswith(".caseless")}
    fields = fields - objects_among(fields)
    for field in sorted(fields):
        parent, _, leaf = field.rpartition(".")
        if parent in fields:
            continue
        properties[field] = dict(NODE_TYPES[kind_of_field(field)])
    for field in sorted(fields):
        parent, _, leaf = field.rpartition(".")
        if parent in fields:
            sub = dict(NODE_TYPES[kind_of_field(field)])
            if leaf == "caseless":  # as Elastic's integrations map it
                sub["normalizer"] = "lowercase"
            properties[parent].setdefault("fields", {})[leaf] = sub
    return {"dynamic": False, "properties": properties}
