"""An index's mapping: which fields it has and their Elasticsearch types, the input every query language
answers by.

    from elastic_pack.mapping import Mapping
    mapping = Mapping.load("my-template.json")      # GET _mapping, _index_template, _component_template, a body
    mapping("process.name")                          # 'keyword'; None for a field the index does not map
    Mapping.default()                                # the field catalogue plus docker/index-templates
    as_mapping({"source.ip": "ip"})                  # a dict field -> type, a callable, a Mapping, or None

What a mapping says that a flat field -> type table does not: multi-fields (`process.name.text` indexes
`process.name`'s value), object and nested paths (a nested query needs a `nested` path), `flattened` fields
(every key below one is that field's), and aliases (a query on one searches its target).

A field the mapping does not map is mapped from its first value, as Elasticsearch's dynamic field mapping
maps it (`dynamic_field`): the mapping's `dynamic_templates` first (in order, the first that matches wins), else
a string is `text` with a `.keyword` multi-field (ignore_above 256) unless `date_detection` finds a date in it
(or `numeric_detection` a number), a whole number `long`, a fraction `float`, true/false `boolean`.
`indexed(documents)` is the mapping once documents are indexed into it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field as _field
from datetime import date as _date
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

__all__ = ["DynamicField", "Mapping", "MappingLike", "as_mapping", "dynamic_type"]

OBJECT_TYPES = frozenset({"object", "nested"})


class Mapping:
    """Field name -> type, with the structure queries need. Call it: `mapping(field) -> type | None`."""

    def __init__(self, types: dict[str, str] | None = None, *, objects: dict[str, str] | None = None,
                 multi_fields: dict[str, str] | None = None, aliases: dict[str, str] | None = None):
        self.types: dict[str, str] = dict(types or {})  # leaf fields (multi-fields included) -> type
        self.objects: dict[str, str] = dict(objects or {})  # object paths -> "object" or "nested"
        self.multi_fields: dict[str, str] = dict(multi_fields or {})  # multi-field -> the field it indexes
        self.aliases: dict[str, str] = dict(aliases or {})  # alias -> its target's path
        self.normalizers: dict[str, str] = {}  # keyword field -> its normalizer's name
        self.ignore_above: dict[str, int] = {}  # keyword field -> the longest value it indexes
        # `dynamic` (true unless the mapping says false): a field it does not map is then mapped from its first
        # value, and searchable; with `dynamic: false` it stays in _source only and no query finds it
        self.dynamic = True
        # `dynamic: strict`: Elasticsearch rejects a document with a field the mapping lacks (see `indexed`)
        self.strict = False
        # how dynamic mapping maps a field the mapping lacks (Elasticsearch's defaults; see dynamic_field)
        self.dynamic_templates: list[tuple[str, dict]] = []
        self.date_detection = True
        self.dynamic_date_formats: tuple[str, ...] = DEFAULT_DATE_FORMATS
        self.numeric_detection = False
        self._explicit: set[str] = set()  # which of those settings the mapping JSON gave (merged() keeps them)
        # read from a flat field -> type table, not a mapping: ES|QL's index then holds its fields only
        self.table = False
        self._dynamic_types: dict[tuple[str, Any], str] = {}
        # a mapping read from an index is closed: what it does not map, the index does not have. The default
        # one is open: it is the pack's guess (ECS, CloudTrail, the lab's templates), and the user's indices
        # may map more (an integration's nested paths), so a query's own word is taken on what it leaves out
        self.open_world = False
        self._flattened = {name for name, kind in self.types.items() if kind == "flattened"}

    # --- reading one field
    def __call__(self, name: str) -> str | None:
        """The type of a field: a leaf's type, "object"/"nested" for an object path, "flattened" for any key
        below a flattened field, an alias's target's type; None when the index does not map it."""
        name = self.aliases.get(name, name)
        kind = self.types.get(name)
        if kind is not None:
            return kind
        if name in self.objects:
            return self.objects[name]
        root = self.flattened_root(name)
        return "flattened" if root is not None else None

    def flattened_root(self, name: str) -> str | None:
        """The flattened field `name` is a key of (`labels` for `labels.team`), else None."""
        if not self._flattened:
            return None
        parts = name.split(".")
        for end in range(len(parts) - 1, 0, -1):
            parent = ".".join(parts[:end])
            if parent in self._flattened:
                return parent
        return None

    def nested_path(self, name: str) -> str | None:
        """The innermost nested object `name` is in, or is (`user.roles` for `user.roles.name`), else None."""
        parts = name.split(".")
        for end in range(len(parts), 0, -1):
            path = ".".join(parts[:end])
            if self.objects.get(path) == "nested":
                return path
        return None

    def multi_field_parent(self, name: str) -> str | None:
        """The field a multi-field takes its value from (`process.name` for `process.name.text`), else None."""
        return self.multi_fields.get(name)

    def normalizer(self, name: str) -> str | None:
        """The normalizer of a keyword field (`lowercase`, or a custom one's name), else None."""
        return self.normalizers.get(self.aliases.get(name, name))

    def longest(self, name: str) -> int | None:
        """A keyword field's `ignore_above`: a longer value is kept in _source but not indexed (no query and no
        aggregation finds it), else None."""
        return self.ignore_above.get(self.aliases.get(name, name))

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and self(name) is not None

    def __iter__(self) -> Iterator[str]:
        """The searchable fields' names (leaves, multi-fields and aliases), as an index pattern lists them."""
        yield from self.types
        yield from self.aliases

    def __len__(self) -> int:
        return len(self.types) + len(self.aliases)

    def __repr__(self) -> str:
        return f"Mapping({len(self.types)} fields, {len(self.objects)} objects)"

    def flat(self) -> dict[str, str]:
        """Every searchable field -> its type (leaves, multi-fields, and aliases as their targets' types)."""
        out = dict(self.types)
        out.update({alias: kind for alias in self.aliases if (kind := self(alias)) is not None})
        return out

    def over(self, base: Callable[[str], "str | None"]) -> Callable[[str], "str | None"]:
        """This mapping, with `base` answering for the fields it does not map (a partial mapping given for a
        few fields over the default one)."""
        return _Layered(self, base)

    def merged(self, other: Mapping) -> Mapping:
        """This mapping with `other`'s fields added (other's type wins where both map a field)."""
        out = Mapping({**self.types, **other.types}, objects={**self.objects, **other.objects},
                      multi_fields={**self.multi_fields, **other.multi_fields},
                      aliases={**self.aliases, **other.aliases})
        out.normalizers = {**self.normalizers, **other.normalizers}
        out.ignore_above = {**self.ignore_above, **other.ignore_above}
        out.dynamic = self.dynamic and other.dynamic
        out.strict = self.strict or other.strict
        out.open_world = self.open_world
        # dynamic templates merge by name (other's replaces one of the same name, in its place), as
        # Elasticsearch merges a composable template's mappings
        templates = dict(self.dynamic_templates)
        templates.update(other.dynamic_templates)
        out.dynamic_templates = list(templates.items())
        for setting in ("date_detection", "dynamic_date_formats", "numeric_detection"):
            setattr(out, setting, getattr(other if setting in other._explicit else self, setting))
        out._explicit = self._explicit | other._explicit
        return out

    # --- dynamic mapping: the fields a document adds
    def dynamic_field(self, path: str, value: Any) -> DynamicField | None:
        """How Elasticsearch's dynamic mapping maps a field this mapping lacks, from its value (an array's
        first non-null value; None for null or an empty array, which add no field): the first of the mapping's
        dynamic templates that matches the field's name, path and detected type, else the default (a string is
        `text` with a `keyword` multi-field, ignore_above 256, or `date` when date detection finds a date; a
        whole number `long`, a fraction `float`, true/false `boolean`, an object `object`)."""
        value = _first_concrete(value)
        if value is None:
            return None
        detected = self._detected(value)
        name = path.rpartition(".")[2]
        for _, template in self.dynamic_templates:
            if _template_matches(template, name, path, detected):
                made = _from_template(template, detected)
                if made is not None:
                    return made
        return _DEFAULT_FIELDS[detected]

    def dynamic_type(self, path: str, value: Any) -> str | None:
        """`dynamic_field(path, value)`'s type (None: the value adds no field)."""
        cls = value.__class__
        if cls is list:
            value = _first_concrete(value)
            cls = value.__class__
        if value is None:
            return None
        # what the type depends on: the JSON type, and a string's text only when it is detected in
        key: tuple[str, Any] = (path, self._detected(value)) if cls is str and (
            self.date_detection or self.numeric_detection) else (path, cls)
        kind = self._dynamic_types.get(key)
        if kind is None:
            made = self.dynamic_field(path, value)
            kind = self._dynamic_types[key] = made.type if made is not None else "object"
        return kind

    def _detected(self, value: Any) -> str:
        """The JSON type dynamic mapping detects (a dynamic template's match_mapping_type): string, date, long,
        double, boolean or object."""
        kind = json_kind(value)
        if kind is not None:
            return kind
        text = value if isinstance(value, str) else str(value)
        if self.date_detection and any(_is_date(text, f) for f in self.dynamic_date_formats):
            return "date"
        if self.numeric_detection:
            if _LONG.fullmatch(text) and -2**63 <= int(text) < 2**63:
                return "long"
            if _DOUBLE.fullmatch(text.strip(" \t\n\r\x0b\x0c")):
                return "double"
        return "string"

    def indexed(self, documents: Iterable[dict], wanted: Iterable[str] | None = None) -> Mapping:
        """This mapping once `documents` (their _source, nested or with dotted keys) are indexed into it: every
        field it lacks mapped by `dynamic_field` from the first document that has a value for it (or only the
        `wanted` fields, and those a `wanted` multi-field reads). With `dynamic: false` it is unchanged; with
        `dynamic: strict` a document with a field it lacks raises UnsupportedQueryError (Elasticsearch rejects
        such a document: there is no index of them to answer over)."""
        if not self.dynamic and not self.strict:
            return self
        want = None if wanted is None else {w for name in wanted for w in (name, name.rpartition(".")[0]) if w}
        added = Mapping()
        for position, document in enumerate(documents):
            found = _add_dynamic(self, added, document, "", want)
            if found is not None:
                from .errors import UnsupportedQueryError

                raise UnsupportedQueryError(
                    f"the mapping is `dynamic: strict` and document [{position}] has the field [{found}], which it "
                    "does not map: Elasticsearch rejects the document (strict_dynamic_mapping_exception), so no "
                    "index holds these documents to answer the query over")
            if want is not None and all(self(w) is not None or added(w) is not None for w in want):
                break
        if not added.types and not added.objects:
            return self
        added._flattened = {name for name, kind in added.types.items() if kind == "flattened"}
        out = self.merged(added)
        out.dynamic, out.strict = self.dynamic, self.strict
        return out

    # --- building one
    @classmethod
    def from_json(cls, data: Any) -> Mapping:
        """A mapping from the JSON Elasticsearch gives or takes: a GET _mapping response (all its indices), a
        GET _index_template or _component_template response (all their templates), a composable or component
        template body (`{"template": {"mappings": ...}}`), a legacy template or create-index body
        (`{"mappings": ...}`), a `{"properties": ...}` object, or a flat `{"field": "type"}` object.
        Raises ValueError when it is none of these."""
        if not isinstance(data, dict):
            raise ValueError("a mapping is a JSON object")
        if all(isinstance(v, str) for v in data.values()):  # {} too: a mapping without fields
            return _from_flat(data)
        found = list(_mappings_in(data))
        if not found:
            raise ValueError("no `mappings` or `properties` in it")
        out = cls()
        for mappings in found:
            out = out.merged(_from_mappings(mappings))
        return out

    @classmethod
    def load(cls, path: Path | str) -> Mapping:
        """`from_json` of a file; ValueError names the file when it cannot be read or used."""
        try:
            data = json.loads(Path(path).read_text(encoding="utf-8"))
        except OSError as exc:
            raise ValueError(f"cannot read {path}: {exc.strerror or exc}") from None
        except ValueError as exc:
            raise ValueError(f"{path} is not JSON: {exc}") from None
        try:
            return cls.from_json(data)
        except ValueError as exc:
            raise ValueError(f"{path}: {exc}") from None

    @classmethod
    def default(cls) -> Mapping:
        """The field catalogue (ECS in full, the AWS CloudTrail integration) plus the index templates the
        pack's lab installs (docker/index-templates), which win where both map a field."""
        return _default()


MappingLike = Mapping | dict | Callable[[str], "str | None"] | None


@dataclass(frozen=True)
class DynamicField:
    """A field as dynamic mapping adds it: its type, a keyword's ignore_above and normalizer, and its
    multi-fields (name -> DynamicField)."""

    type: str
    ignore_above: int | None = None
    normalizer: str | None = None
    fields: dict[str, DynamicField] = _field(default_factory=dict)


def dynamic_type(types: Callable[[str], "str | None"], name: str, value: Any) -> str:
    """The type a field the resolver does not map takes from this value: the Mapping's dynamic mapping where the
    resolver is one (or wraps one), else the integrations' (a string is a keyword, a whole number a long, a
    fraction a double, an object an object)."""
    of = getattr(types, "dynamic_type", None)
    if of is not None:
        kind = of(name, value)
        if kind is not None:
            return kind
    return _plain_type(value)


def _plain_type(value: Any) -> str:
    while isinstance(value, list) and value:
        value = value[0]
    return json_kind(value) or "keyword"


def json_kind(value: Any) -> str | None:
    """The type dynamic mapping gives a JSON boolean, number or object (None for a string or anything else,
    whose type depends on the mapping's detection settings and templates)."""
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "long"
    if isinstance(value, float):
        return "double"
    if isinstance(value, dict):
        return "object"
    return None


def as_mapping(value: MappingLike) -> Callable[[str], str | None]:
    """What the public APIs and the engine take as `mapping`, as one callable field -> type: None is
    `Mapping.default()`; a Mapping or another callable is used as it is; a dict is either field -> type or
    mapping JSON. A mapping given is the searched indices': a field it does not map is typed from its value,
    as dynamic mapping types it."""
    if value is None:
        return Mapping.default()
    if isinstance(value, Mapping) or callable(value):
        return value
    if isinstance(value, dict):
        return Mapping.from_json(value)
    raise TypeError(f"a mapping is a Mapping, a dict or a callable, not {type(value).__name__}")


class _Layered:
    """A mapping over a base: its own answer first, else the base's (types, multi-fields, nested paths)."""

    def __init__(self, top: Mapping, base: Callable[[str], "str | None"]):
        self.top = top
        self.base = base
        self.open_world = getattr(base, "open_world", False)  # a few fields given over the default stay open

    def __call__(self, name: str) -> str | None:
        kind = self.top(name)
        return kind if kind is not None else self.base(name)

    def multi_field_parent(self, name: str) -> str | None:
        if self.top(name) is not None:
            return self.top.multi_field_parent(name)
        return self.base.multi_field_parent(name) if hasattr(self.base, "multi_field_parent") else None

    def _either(self, method: str, name: str) -> Any:
        found = getattr(self.top, method)(name)
        if found is None and hasattr(self.base, method):
            found = getattr(self.base, method)(name)
        return found

    def nested_path(self, name: str) -> str | None:
        return self._either("nested_path", name)

    def flattened_root(self, name: str) -> str | None:
        return self._either("flattened_root", name)

    def normalizer(self, name: str) -> str | None:
        return self.top.normalizer(name) if self.top(name) is not None else self._either("normalizer", name)

    def longest(self, name: str) -> int | None:
        return self.top.longest(name) if self.top(name) is not None else self._either("longest", name)

    def dynamic_type(self, name: str, value: Any) -> str | None:
        """The base's dynamic mapping, unless the mapping over it sets its own (templates, detection)."""
        own = self.top.dynamic_templates or self.top._explicit
        source = self.top if own or not hasattr(self.base, "dynamic_type") else self.base
        return source.dynamic_type(name, value)


# --- reading mapping JSON ------------------------------------------------------------------------------------

def _from_flat(types: dict[str, str]) -> Mapping:
    """A flat field -> type table: a field under a field of a leaf type can only be one of its multi-fields;
    the parents of dotted names are objects."""
    leaf_parents = {name for name, kind in types.items() if kind not in _HOLDS_KEYS}
    multi = {name: parent for name in types if (parent := name.rpartition(".")[0]) in leaf_parents}
    objects: dict[str, str] = {name: kind for name, kind in types.items() if kind in OBJECT_TYPES}
    for name in types:
        parts = name.split(".")
        for end in range(1, len(parts)):
            objects.setdefault(".".join(parts[:end]), "object")
    leaves = {name: kind for name, kind in types.items() if kind not in OBJECT_TYPES}
    for name in leaves:
        objects.pop(name, None)
    out = Mapping(leaves, objects=objects, multi_fields=multi)
    # a flat table is no Elasticsearch mapping: a field it lacks is typed as the integrations' templates type it
    # (a string a keyword, a fraction a double), as the plain resolvers are
    out.dynamic_templates = list(_PLAIN_TEMPLATES)
    out.date_detection = False
    out.table = True
    return out


_PLAIN_TEMPLATES = (("strings_as_keyword", {"match_mapping_type": "string", "mapping": {"type": "keyword"}}),
                    ("doubles", {"match_mapping_type": "double", "mapping": {"type": "double"}}))


# types whose documents hold keys below the field (an object's fields, a flattened field's keys, a point's lat/lon)
_HOLDS_KEYS = frozenset({"object", "nested", "flattened", "geo_point", "geo_shape", "shape", "point"})


def _mappings_in(data: dict) -> Iterator[dict]:
    """Every `mappings` object (or bare `properties` holder) in one of the shapes from_json reads."""
    if isinstance(data.get("properties"), dict) or isinstance(data.get("runtime"), dict):
        yield data
        return
    if isinstance(data.get("mappings"), dict):
        yield _untyped(data["mappings"])
        return
    if isinstance(data.get("template"), dict):  # a composable or component template body
        yield from _mappings_in(data["template"])
        return
    for key, inner in (("index_templates", "index_template"), ("component_templates", "component_template")):
        if isinstance(data.get(key), list):  # GET _index_template / _component_template
            for entry in data[key]:
                if isinstance(entry, dict) and isinstance(entry.get(inner), dict):
                    yield from _mappings_in(entry[inner])
            return
    for value in data.values():  # GET index/_mapping: {"index": {"mappings": ...}, ...}
        if isinstance(value, dict) and ("mappings" in value or "template" in value):
            yield from _mappings_in(value)


def _untyped(mappings: dict) -> dict:
    """A 6.x-style typed mapping (`{"_doc": {"properties": ...}}`) as its one type's mapping."""
    if "properties" not in mappings and len(mappings) == 1:
        (only,) = mappings.values()
        if isinstance(only, dict) and "properties" in only:
            return only
    return mappings


def _from_mappings(mappings: dict) -> Mapping:
    out = Mapping()
    dynamic = str(mappings.get("dynamic", True)).lower()
    out.dynamic = dynamic not in ("false", "strict")
    out.strict = dynamic == "strict"
    _dynamic_settings(mappings, out)
    _walk(mappings.get("properties") or {}, "", out)
    for name, spec in (mappings.get("runtime") or {}).items():  # runtime fields are searched like mapped ones
        if isinstance(spec, dict):
            out.types[name] = str(spec.get("type", "keyword"))
    out._flattened = {name for name, kind in out.types.items() if kind == "flattened"}
    return out


def _walk(properties: dict, prefix: str, out: Mapping) -> None:
    for name, spec in properties.items():
        if not isinstance(spec, dict):
            continue
        full = prefix + name  # a dotted name in properties is the same as the objects it spells
        _dotted_parents(full, prefix, out)
        kind = spec.get("type")
        if kind == "alias":
            if isinstance(spec.get("path"), str):
                out.aliases[full] = spec["path"]
            continue
        if kind in (None, "object", "nested") and (kind is not None or isinstance(spec.get("properties"), dict)):
            out.objects[full] = kind or "object"
            _walk(spec.get("properties") or {}, full + ".", out)
            continue
        out.types[full] = str(kind or "object")
        _normalizer(full, spec, out)
        for sub, sub_spec in (spec.get("fields") or {}).items():
            if isinstance(sub_spec, dict):
                out.types[f"{full}.{sub}"] = str(sub_spec.get("type", "keyword"))
                out.multi_fields[f"{full}.{sub}"] = full
                _normalizer(f"{full}.{sub}", sub_spec, out)


def _normalizer(name: str, spec: dict, out: Mapping) -> None:
    """What a keyword field does to its values before it indexes them: its normalizer and ignore_above."""
    if isinstance(spec.get("normalizer"), str):
        out.normalizers[name] = spec["normalizer"]
    limit = spec.get("ignore_above")
    if isinstance(limit, int) and not isinstance(limit, bool) and spec.get("type", "keyword") in (
            "keyword", "flattened"):
        out.ignore_above[name] = limit


def _dotted_parents(full: str, prefix: str, out: Mapping) -> None:
    """`{"a.b": {...}}` inside `prefix` makes `prefix + a` an object, as Elasticsearch expands it."""
    parts = full[len(prefix):].split(".")
    for end in range(1, len(parts)):
        out.objects.setdefault(prefix + ".".join(parts[:end]), "object")


def _dynamic_settings(mappings: dict, out: Mapping) -> None:
    """dynamic_templates, date_detection, dynamic_date_formats and numeric_detection, as the mapping gives them."""
    templates = mappings.get("dynamic_templates")
    if isinstance(templates, list):
        for entry in templates:
            if isinstance(entry, dict):
                out.dynamic_templates.extend((name, spec) for name, spec in entry.items() if isinstance(spec, dict))
        out._explicit.add("dynamic_templates")
    for setting in ("date_detection", "numeric_detection"):
        if setting in mappings:
            setattr(out, setting, str(mappings[setting]).lower() == "true")
            out._explicit.add(setting)
    formats = mappings.get("dynamic_date_formats")
    if isinstance(formats, list) and all(isinstance(f, str) for f in formats):
        out.dynamic_date_formats = tuple(formats)
        out._explicit.add("dynamic_date_formats")


# --- dynamic mapping ------------------------------------------------------------------------------------------

# Elasticsearch's default dynamic_date_formats (8.19 records the second as "yyyy/MM/dd HH:mm:ss||yyyy/MM/dd")
DEFAULT_DATE_FORMATS = ("strict_date_optional_time", "yyyy/MM/dd HH:mm:ss Z||yyyy/MM/dd Z")

_DEFAULT_FIELDS = {
    "string": DynamicField("text", fields={"keyword": DynamicField("keyword", ignore_above=256)}),
    "date": DynamicField("date"), "long": DynamicField("long"), "double": DynamicField("float"),
    "boolean": DynamicField("boolean"), "object": DynamicField("object"),
}
# what `{dynamic_type}` (or a template's mapping without a type) stands for; a runtime template's types
_DYNAMIC_TYPE = {"string": "text", "date": "date", "long": "long", "double": "float", "boolean": "boolean",
                 "object": "object"}
_RUNTIME_TYPE = {"string": "keyword", "date": "date", "long": "long", "double": "double", "boolean": "boolean"}

_LONG = re.compile(r"[+-]?\d+")  # Java's Long.parseLong (Unicode digits too)
_DOUBLE = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?[fFdD]?")  # Double.parseDouble

# strict_date_optional_time, as Elasticsearch 8.19's date detection reads it: a four-digit year, then month and
# day, then after `T` an hour, minutes, seconds and up to nine digits of fraction, a zone only after a time
_STRICT_OPTIONAL_TIME = re.compile(
    r"(?P<y>[0-9]{4})-(?P<M>[0-9]{2})(?:-(?P<d>[0-9]{2})(?:T(?:(?P<H>[0-9]{2})(?::(?P<m>[0-9]{2})"
    r"(?::(?P<s>[0-9]{2})(?:[.,][0-9]{1,9})?)?)?(?:Z|[+-][0-9]{2}(?::?[0-9]{2})?)?)?)?)?")
_JAVA_LETTERS = {"yyyy": r"(?P<y>[0-9]{4})", "uuuu": r"(?P<y>[0-9]{4})", "MM": r"(?P<M>[0-9]{2})",
                 "dd": r"(?P<d>[0-9]{2})", "HH": r"(?P<H>[0-9]{2})", "mm": r"(?P<m>[0-9]{2})",
                 "ss": r"(?P<s>[0-9]{2})", "SSS": r"[0-9]{3}", "Z": r"[+-][0-9]{4}", "XXX": r"(?:Z|[+-][0-9]{2}:[0-9]{2})"}
_NAMED_FORMATS = {"strict_date_optional_time": _STRICT_OPTIONAL_TIME, "date_optional_time": _STRICT_OPTIONAL_TIME,
                  "strict_date_optional_time_nanos": _STRICT_OPTIONAL_TIME}


def _first_concrete(value: Any) -> Any:
    """The value dynamic mapping types a field by: an array's first non-null value (None: no field)."""
    if isinstance(value, list):
        for item in value:
            found = _first_concrete(item)
            if found is not None:
                return found
        return None
    return value


@lru_cache(maxsize=64)
def _date_pattern(pattern: str) -> re.Pattern:
    """One date format (no `||`) as a regex with named parts y M d H m s: the built-in names Elasticsearch's
    date detection uses, or a Java pattern of the letters yyyy MM dd HH mm ss SSS Z XXX and literals.
    Another format is refused by name (UnsupportedQueryError) rather than guessed."""
    if pattern in _NAMED_FORMATS:
        return _NAMED_FORMATS[pattern]
    out, rest = "", pattern
    while rest:
        quoted = re.match(r"'([^']*)'", rest)
        if quoted:
            out, rest = out + re.escape(quoted.group(1)), rest[quoted.end():]
            continue
        letters = next((k for k in sorted(_JAVA_LETTERS, key=len, reverse=True) if rest.startswith(k)), None)
        if letters is not None:
            out, rest = out + _JAVA_LETTERS[letters], rest[len(letters):]
            continue
        if rest[0].isalpha():
            from .errors import UnsupportedQueryError

            raise UnsupportedQueryError(f"the mapping's dynamic_date_formats has {pattern!r}: the local engine's "
                                        "date detection reads strict_date_optional_time and the pattern letters "
                                        "yyyy MM dd HH mm ss SSS Z XXX only")
        out, rest = out + re.escape(rest[0]), rest[1:]
    return re.compile(out)


def _is_date(text: str, formats: str) -> bool:
    """Whether date detection finds a date in `text` with one of dynamic_date_formats' entries (`a||b`: either)."""
    if not text or not text[0].isdigit():
        return False
    for pattern in formats.split("||"):
        if pattern.strip() == "yyyy/MM/dd HH:mm:ss Z":  # the default's: 8.19 reads it without the zone
            pattern = "yyyy/MM/dd HH:mm:ss"
        elif pattern.strip() == "yyyy/MM/dd Z":
            pattern = "yyyy/MM/dd"
        match = _date_pattern(pattern.strip()).fullmatch(text)
        if match and _valid(match.groupdict()):
            return True
    return False


def _valid(parts: dict) -> bool:
    try:
        _date(int(parts.get("y") or 2000), int(parts.get("M") or 1), int(parts.get("d") or 1))
    except ValueError:
        return False
    return int(parts.get("H") or 0) < 24 and int(parts.get("m") or 0) < 60 and int(parts.get("s") or 0) < 60


def _patterns(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []


def _name_matches(pattern: str, text: str, regex: bool) -> bool:
    """match / unmatch / path_match / path_unmatch: a simple `*` wildcard, or a Java regex (whole text) with
    match_pattern regex."""
    if regex:
        try:
            return re.fullmatch(pattern, text) is not None
        except re.error:
            return False
    if "*" not in pattern:
        return pattern == text
    return re.fullmatch(".*".join(re.escape(p) for p in pattern.split("*")), text, re.DOTALL) is not None


def _template_matches(template: dict, name: str, path: str, detected: str) -> bool:
    """Whether a dynamic template applies to a new field (Elasticsearch's DynamicTemplate.match): every
    condition it has holds; one with none of match_mapping_type, match and path_match matches nothing."""
    regex = template.get("match_pattern") == "regex"
    match, path_match = _patterns(template.get("match")), _patterns(template.get("path_match"))
    types = _patterns(template.get("match_mapping_type"))
    if not (match or path_match or types or "unmatch_mapping_type" in template):
        return False
    if path_match and not any(_name_matches(p, path, regex) for p in path_match):
        return False
    if match and not any(_name_matches(p, name, regex) for p in match):
        return False
    if any(_name_matches(p, path, regex) for p in _patterns(template.get("path_unmatch"))):
        return False
    if any(_name_matches(p, name, regex) for p in _patterns(template.get("unmatch"))):
        return False
    if types and "*" not in types and detected not in types:
        return False
    if detected in _patterns(template.get("unmatch_mapping_type")):
        return False
    return not (detected == "object" and "runtime" in template)  # a runtime template never maps an object


def _from_template(template: dict, detected: str) -> DynamicField | None:
    """The field a matching template makes: its `mapping` (`{dynamic_type}` is the detected type's default;
    no type: that default), or its `runtime` field's type."""
    if isinstance(template.get("runtime"), dict):
        runtime = template["runtime"]
        return DynamicField(str(runtime.get("type", _RUNTIME_TYPE.get(detected, "keyword"))))
    spec = template.get("mapping")
    if not isinstance(spec, dict):
        return None
    return _field_of(spec, detected)


def _field_of(spec: dict, detected: str) -> DynamicField:
    kind = str(spec.get("type", "{dynamic_type}")).replace("{dynamic_type}", _DYNAMIC_TYPE[detected])
    limit = spec.get("ignore_above")
    subs = {sub: _field_of(sub_spec, detected) for sub, sub_spec in (spec.get("fields") or {}).items()
            if isinstance(sub_spec, dict)}
    return DynamicField(kind, limit if isinstance(limit, int) and not isinstance(limit, bool)
                        and kind in ("keyword", "flattened") else None,
                        spec.get("normalizer") if isinstance(spec.get("normalizer"), str) else None, subs)


def _add_dynamic(mapping: Mapping, added: Mapping, source: dict, prefix: str, want: set | None) -> str | None:
    """The fields one document adds to `added` (those neither mapping has), walking its objects as
    Elasticsearch parses it (a dotted key is the objects it spells). Returns the first field it lacks when the
    mapping is strict (the document is rejected), else None."""
    for key, value in source.items():
        if not isinstance(key, str) or not key:
            continue
        parts = key.split(".")
        for end in range(1, len(parts)):  # `{"a.b": 1}` is `{"a": {"b": 1}}`
            parent = prefix + ".".join(parts[:end])
            kind = mapping(parent) or added(parent)
            if kind is None:
                if mapping.strict:
                    return parent
                added.objects[parent] = "object"
            elif kind not in OBJECT_TYPES:
                break  # under a leaf (a flattened field's keys): nothing more to map
        else:
            path = prefix + key
            found = _add_value(mapping, added, path, value, want)
            if found is not None:
                return found
    return None


def _add_value(mapping: Mapping, added: Mapping, path: str, value: Any, want: set | None) -> str | None:
    kind = mapping(path) or added(path)
    if kind is None:
        if mapping.flattened_root(path) is not None or added.flattened_root(path) is not None:
            return None
        if _first_concrete(value) is None:
            return None  # null or an empty array: no field
        if mapping.strict:
            return path
        made = mapping.dynamic_field(path, value)
        if made is None:
            return None
        if made.type in OBJECT_TYPES:
            added.objects[path] = made.type
            kind = made.type
        elif want is None or path in want or any(f"{path}.{sub}" in want for sub in made.fields):
            _add_leaf(added, path, made)
            if made.type == "flattened":
                added._flattened.add(path)
            return None
        else:
            return None
    if kind in OBJECT_TYPES:
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, dict):
                found = _add_dynamic(mapping, added, item, path + ".", want)
                if found is not None:
                    return found
    return None


def _add_leaf(added: Mapping, path: str, made: DynamicField) -> None:
    added.types[path] = made.type
    if made.ignore_above is not None:
        added.ignore_above[path] = made.ignore_above
    if made.normalizer is not None:
        added.normalizers[path] = made.normalizer
    for sub, sub_field in made.fields.items():
        added.types[f"{path}.{sub}"] = sub_field.type
        added.multi_fields[f"{path}.{sub}"] = path
        if sub_field.ignore_above is not None:
            added.ignore_above[f"{path}.{sub}"] = sub_field.ignore_above
        if sub_field.normalizer is not None:
            added.normalizers[f"{path}.{sub}"] = sub_field.normalizer


@lru_cache(maxsize=1)
def _default() -> Mapping:
    from .fields import catalogue

    types: dict[str, str] = {}
    objects: dict[str, str] = {}
    for name, kind in catalogue().items():
        (objects if kind in OBJECT_TYPES else types)[name] = kind
    multi = {name: parent for name in types if (parent := name.rpartition(".")[0]) in types
             and types[parent] not in _HOLDS_KEYS}
    out = Mapping(types, objects=objects, multi_fields=multi)
    for template in _template_files():
        out = out.merged(Mapping.from_json(json.loads(template.read_text(encoding="utf-8"))))
    out.open_world = True
    # Elastic's integrations' index templates compose logs@mappings, which sets `date_detection: false`: a string
    # their templates do not map is a keyword (their `strings_as_keyword` template), never a date
    out.date_detection = False
    return out


def _template_files() -> list:
    """The lab's index templates: shipped in the package as elastic_pack._index_templates, or beside it in a
    source checkout (docker/index-templates, which an editable install reads in place)."""
    try:
        shipped = resources.files("elastic_pack._index_templates")
        return sorted((p for p in shipped.iterdir() if p.name.endswith(".json")), key=lambda p: p.name)
    except (ModuleNotFoundError, TypeError):
        pass
    root = Path(__file__).resolve().parents[2] / "docker" / "index-templates"
    return sorted(root.glob("*.json")) if root.is_dir() else []
