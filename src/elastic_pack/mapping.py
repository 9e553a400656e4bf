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
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

__all__ = ["Mapping", "MappingLike", "as_mapping"]

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
        out.open_world = self.open_world
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
    return Mapping(leaves, objects=objects, multi_fields=multi)


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
    out.dynamic = str(mappings.get("dynamic", True)).lower() != "false"
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
