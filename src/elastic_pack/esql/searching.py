"""One ES|QL query over documents, answered with the body Elasticsearch's `_query` API gives:
`{"columns": [{"name", "type"}], "values": [[...]]}`, columns in Elasticsearch's order and types.

The documents stand for the index FROM names (whatever it names: events read from files are in no index of their
own); each field is read as its doc values hold it, typed by the mapping."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Any

from ..documents import flatten
from ..errors import QueryError
from ..fields import OBJECT_SHAPED_TYPES, catalogue, field_type
from ..mapping import Mapping
from .ast import EsqlQuery, Limit
from .columns import esql_type, referenced, result_columns
from .evaluate import CompiledEsql, _doc_value
from .parser import parse_esql
from .values import doc_value_of, formatter, value_type

DEFAULT_LIMIT = 1000  # Elasticsearch's esql.query.default_limit ...
MAX_LIMIT = 10_000  # ... and esql.query.result_truncation_max_size

Named = tuple[str, dict]  # (the document's _id, its _source)


def search(query: str | EsqlQuery, documents: Iterable[Any], mapping: Any = None, now: float | None = None) -> dict:
    """The `_query` response body for `query` (text or parsed) over `documents`: dicts (their `_id`, when they
    have one, is METADATA _id; else their position), or objects with `.id` and `.source`.

    `mapping` is the index's: an elastic_pack.mapping.Mapping, a dict (field -> type, or mapping JSON) or a
    callable field -> type. With a Mapping or mapping JSON, the index holds the mapping's fields and those the
    documents add by its dynamic mapping (Mapping.indexed: a string is `text` with a `.keyword` multi-field,
    unless its dynamic templates or date detection say otherwise; none with `dynamic: false`); with a flat
    dict field -> type, its fields only; with None (the field catalogue) or a callable, every field of the
    documents, typed by it (else by its values). `now` is NOW()'s clock in epoch seconds (default: the time of the
    call). Raises QuerySyntaxError, UnsupportedQueryError, or QueryError where Elasticsearch rejects the query."""
    import time

    parsed = parse_esql(query) if isinstance(query, str) else query
    clock = time.time() if now is None else now
    if parsed.row:  # ROW: one row of its own, no documents read
        compiled = CompiledEsql(parsed, clock=lambda: clock, types=lambda name: None)
        return _body(compiled, parsed, [{}], result_columns(parsed, {}))
    named = [_named(document, index) for index, document in enumerate(documents)]
    field_types, resolve, multi, longest = _typing(mapping, [source for _, source in named])
    metadata = _metadata(parsed.text, parsed.sources)
    flats = [{**flatten(dict(source)), **{name: value(id_) for name, (_, value) in metadata.items()}}
             for id_, source in named]
    if multi:  # a multi-field holds its parent's value
        flats = [{**flat, **{name: flat[parent] for name, parent in multi.items() if parent in flat}}
                 for flat in flats]
    if longest:  # a keyword longer than its ignore_above is not in the doc values ES|QL reads
        for flat in flats:
            for name, limit in longest.items():
                if name in flat:
                    flat[name] = _within(flat[name], limit)
    _as_doc_values(flats, resolve, metadata)
    flats = _flattened_as_one(flats, field_types)
    if field_types is not None:  # fields the mapping does not have are not in the index
        mapped = _mapped(field_types)
        flats = [{**mapped(flat), **{k: flat[k] for k in metadata if k in flat}} for flat in flats]
    originals: dict[str, str] = {}
    start = _source_columns(field_types, resolve, [{k: v for k, v in f.items() if k not in metadata} for f in flats],
                            originals)
    if field_types is None:  # fields the mapping knows and no event has are in the index, all null
        extra = {name: kind for name in referenced(parsed) - set(start) - set(metadata)
                 if (kind := resolve(name)) is not None and kind not in OBJECT_SHAPED_TYPES}
        if extra:
            start = {name: ({**start, **{n: esql_type(k) for n, k in extra.items()}})[name]
                     for name in sorted({*start, *extra})}
    typed = {**start, **{name: kind for name, (kind, _) in metadata.items()}}
    columns = result_columns(parsed, typed)
    compiled = CompiledEsql(parsed, clock=lambda: clock, types=lambda name: typed.get(name) or resolve(name))
    return _body(compiled, parsed, flats, columns, originals)


def _typing(mapping: Any, sources: list[dict]) -> tuple[dict[str, str] | None, Callable[[str], str | None],
                                                       dict[str, str], dict[str, int]]:
    """(the index's fields -> type, or None when every field of the documents is in it; the type of a field;
    multi-field -> the field whose value it indexes; keyword field -> its ignore_above). A Mapping (or mapping
    JSON) is the index's once the documents are indexed into it: the fields they add by dynamic mapping are
    in it (Mapping.indexed), unless it says `dynamic: false`; a flat field -> type table holds its own only."""
    longest: dict[str, int] = {}
    if mapping is None or (isinstance(mapping, dict) and not mapping):
        return None, field_type, {}, longest
    if isinstance(mapping, dict) and not all(isinstance(v, str) for v in mapping.values()):
        try:
            mapping = Mapping.from_json(mapping)
        except ValueError as exc:
            raise QueryError(f"mapping: {exc}") from None
    if isinstance(mapping, Mapping):
        if not mapping.table:  # a flat field -> type table (a dict or a file) holds its own fields only
            mapping = mapping.indexed(sources)
        types = mapping.flat()
        multi = dict(mapping.multi_fields)
        longest = {name: limit for name, limit in mapping.ignore_above.items() if types.get(name) == "keyword"}
    elif isinstance(mapping, dict):
        types = dict(mapping)
        multi = {}
    elif callable(mapping):
        return None, lambda name: mapping(name) or field_type(name), {}, longest
    else:
        raise TypeError(f"a mapping is a Mapping, a dict or a callable, not {type(mapping).__name__}")
    # a dotted field whose parent is a leaf field is that field's multi-field (`languages.long`)
    multi.update({name: name.rsplit(".", 1)[0] for name in types
                  if "." in name and name.rsplit(".", 1)[0] in types and name not in multi})
    return types, lambda name: types.get(name) or field_type(name), multi, longest


def _within(value: Any, limit: int) -> Any:
    """A keyword's values without those longer than its ignore_above (Java's length: UTF-16 code units)."""
    def fits(item: Any) -> bool:
        return not isinstance(item, str) or len(item.encode("utf-16-le")) // 2 <= limit

    if isinstance(value, list):
        kept = [item for item in value if fits(item)]
        return kept or None
    return value if fits(value) else None


def _named(document: Any, position: int) -> Named:
    if isinstance(document, dict):
        source = dict(document)
        given = source.pop("_id", None)
        return (str(given) if given is not None else f"[{position}]"), source
    return str(document.id), document.source


def _as_doc_values(flats: list[dict], resolve: Callable[[str], str | None], metadata: dict) -> None:
    """Each field's values as its doc values hold them (typed, one form of date, floats as narrow as the type,
    several values sorted), in place."""
    normalizers: dict[str, tuple[str | None, Callable[[Any], Any] | None]] = {}
    for flat in flats:
        for name, value in flat.items():
            if name not in normalizers:
                kind = None if name in metadata else resolve(name)
                normalizers[name] = (kind, doc_value_of(kind))
            kind, normalize = normalizers[name]
            if kind == "date_nanos" and value is not None:
                _millisecond_precision(name, value)
            if normalize is not None and value is not None:
                value = flat[name] = normalize(value)
            if value.__class__ is list and name not in metadata:  # sorted (keywords and ips once each)
                flat[name] = _doc_value(value, kind)


_SUB_MILLISECOND = re.compile(r"\.\d{3}0*[1-9]")


def _millisecond_precision(name: str, value: Any) -> None:
    """The engine keeps dates in milliseconds: a date_nanos value finer than that is refused, not rounded."""
    from .lexer import UnsupportedEsql

    for item in value if isinstance(value, list) else [value]:
        if isinstance(item, str) and _SUB_MILLISECOND.search(item):
            raise UnsupportedEsql(f"date_nanos field [{name}] holds a value finer than a millisecond ({item}); the "
                                  "local engine keeps dates in milliseconds")


def _mapped(field_types: dict[str, str]) -> Callable[[dict], dict]:
    """A flat document as an index with this mapping holds it: the mapping's fields only (the keys of a
    `flattened` field are its)."""
    roots = {name for name, kind in field_types.items() if kind == "flattened"}
    found: dict[str, bool] = {}

    def mapped(name: str) -> bool:
        if name not in found:
            parts = name.split(".")
            found[name] = name in field_types or any(".".join(parts[:end]) in roots for end in range(1, len(parts)))
        return found[name]

    return lambda flat: {k: v for k, v in flat.items() if mapped(k)}


def _source_columns(field_types: dict[str, str] | None, resolve: Callable[[str], str | None], flats: list[dict],
                    originals: dict[str, str]) -> dict[str, str | None]:
    """FROM's columns: the mapping's fields (without one, those of the documents, typed by `resolve` or their
    values), by name, as Elasticsearch lists an index's fields; object fields are not columns."""
    if field_types is not None:
        kinds = {name: kind for name, kind in field_types.items() if kind not in ("object", "alias")}
    else:
        kinds = {}
        for flat in flats:
            for name, value in flat.items():
                if name not in kinds:
                    kinds[name] = resolve(name) or value_type([value])
    columns = {name: esql_type(kinds[name]) for name in sorted(kinds)}
    # Elasticsearch names the mapping type of a column it cannot read
    originals.update({name: kinds[name] for name, kind in columns.items() if kind == "unsupported"})
    return columns


_METADATA = re.compile(r"^\s*(?:/\*[\s\S]*?\*/\s*|//[^\n]*\n\s*)*from\s+[^|]*?\s+metadata\s+([^|]+)",
                       re.IGNORECASE)


def _metadata(text: str, sources: tuple) -> dict[str, tuple[str, Callable[[str], Any]]]:
    """The METADATA columns asked for: name -> (type, value for a document's _id). `_id` is the document's id;
    `_index` only where FROM names one index (events read from files are in no index of their own)."""
    from .lexer import UnsupportedEsql

    match = _METADATA.match(text)
    if not match:
        return {}
    out: dict[str, tuple[str, Callable[[str], Any]]] = {}
    for name in (n.strip() for n in match.group(1).split(",") if n.strip()):
        if name == "_id":
            out[name] = ("keyword", lambda id_: id_)
        elif name == "_index" and len(sources) == 1 and not any(c in sources[0] for c in "*:"):
            index = sources[0]
            out[name] = ("keyword", lambda id_: index)
        else:
            raise UnsupportedEsql(f"the local engine does not run METADATA {name} (it runs _id, and _index where "
                                  "FROM names one index)")
    return out


def _flattened_as_one(flats: list[dict], field_types: dict[str, str] | None) -> list[dict]:
    """A `flattened` field is one column (of a type ES|QL does not read: unsupported, null), not its keys."""
    kinds = field_types if field_types is not None else catalogue()
    roots: dict[str, str | None] = {}

    def root_of(name: str) -> str | None:
        if name not in roots:
            parts = name.split(".")
            roots[name] = next((".".join(parts[:end]) for end in range(1, len(parts) + 1)
                                if kinds.get(".".join(parts[:end])) == "flattened"), None)
        return roots[name]

    out = []
    for flat in flats:
        if any(root_of(name) for name in flat):
            collapsed: dict = {}
            for name, value in flat.items():
                root = root_of(name)
                if root is None:
                    collapsed[name] = value
                else:
                    collapsed[root] = None
            flat = collapsed
        out.append(flat)
    return out


def _body(compiled: CompiledEsql, query: EsqlQuery, flats: list[dict], columns: dict[str, str | None],
          originals: dict[str, str] | None = None) -> dict:
    try:
        rows = [row for flat in flats for row in compiled.rows(flat)]
        if compiled.table_mode:
            rows = compiled.run_table(rows)
        elif compiled.stats is None:
            rows = compiled.after_table(rows)
        else:
            rows = compiled.aggregate([c for row in rows for c in compiled.compact(row)])
    except QueryError:
        raise
    except (TypeError, ValueError) as exc:
        raise QueryError(str(exc)) from None
    limited = any(isinstance(c, Limit) for c in query.commands)
    rows = rows[:MAX_LIMIT if limited else DEFAULT_LIMIT]
    described = []
    formatters = []
    for name, kind in columns.items():
        kind = kind or value_type([row.get(name) for row in rows])
        column: dict[str, Any] = {"name": name, "type": kind}
        if kind == "unsupported" and originals and name in originals:
            column["original_types"] = [originals[name]]
        described.append(column)
        formatters.append((name, formatter(kind)))
    return {"columns": described, "values": [[f(row.get(name)) for name, f in formatters] for row in rows]}
