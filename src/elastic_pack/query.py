"""One query over local events, answered as Elasticsearch's search APIs answer it (the library side of
`elastic-pack query`).

    from elastic_pack.query import run_query, read_documents
    documents, skipped = read_documents(["events.ndjson"])
    run_query('process.name: "cmd.exe"', documents)                  # KQL: the body of _search
    run_query("process where process.name == \\"cmd.exe\\"", documents)   # EQL: the body of _eql/search
    run_query("FROM logs-* | STATS c = COUNT(*) BY host.name", documents)  # ES|QL: the body of _query

No rule schedule: one search over all the documents (optionally those whose @timestamp is within [start, end],
both inclusive as a range query's gte/lte). The language is inferred when not given: ES|QL starts with FROM or
ROW, EQL with `sequence`, `sample` or `<category> where`, anything else is KQL. A query Elasticsearch would
reject, or one with a construct the local engine does not run, raises QueryError (one line naming it).
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

__all__ = ["Document", "QueryError", "infer_language", "load_mapping", "read_documents", "run_query"]

LANGUAGES = ("kql", "eql", "esql")
ESQL_DEFAULT_LIMIT = 1000  # Elasticsearch's esql.query.default_limit ...
ESQL_MAX_LIMIT = 10_000  # ... and esql.query.result_truncation_max_size
DEFAULT_SIZE = 10  # _search's and _eql/search's default size


# the shared base of every query language's errors (elastic_pack.errors), importable here as before
from .errors import QueryError  # noqa: E402


@dataclass
class Document:
    """One event: its _id (the document's own `_id`, else where it was read: `file:line` or `file[index]`) and
    its _source (without `_id`, a metadata field and never part of the source)."""

    id: str
    source: dict


# --- reading ---------------------------------------------------------------------------------------------

def read_documents(paths: Iterable[Path | str]) -> tuple[list[Document], list[str]]:
    """The documents of ndjson files (plain or .gz), JSON arrays and saved search responses, and the reasons
    lines were skipped (`file:line: reason`). A file that cannot be opened raises InputError."""
    from .engine.events import open_events
    from .engine.json_files import whole_json_records
    from .errors import InputError
    from .fastjson import loads

    documents: list[Document] = []
    skipped: list[str] = []

    def add(where: str, document: Any) -> None:
        if not isinstance(document, dict):
            skipped.append(f"{where}: not a JSON object")
            return
        documents.append(_document(document, where))

    for path in map(Path, paths):
        try:
            handle = open_events(path)
        except OSError as exc:
            raise InputError(f"{path}: cannot open: {exc.strerror or exc}") from None
        with handle:
            records = whole_json_records(path, open_events)
            if records is not None:
                for where, document in records:
                    add(where, document)
                continue
            number = 0
            try:
                for number, raw in enumerate(handle, start=1):
                    if not raw.strip():
                        continue
                    try:
                        document = loads(raw)
                    except (ValueError, RecursionError, UnicodeDecodeError):
                        skipped.append(f"{path}:{number}: not JSON")
                        continue
                    add(f"{path}:{number}", document)
            except (OSError, EOFError) as exc:
                skipped.append(f"{path}:{number + 1}: unreadable: {exc}")
    return documents, skipped


def load_mapping(path: Path | str):
    """The elastic_pack.mapping.Mapping of a mapping file (a GET _mapping response, an index, component or
    composable template, a `{"mappings": ...}` or `{"properties": ...}` body, or a flat `{"field": "type"}`
    object); QueryError when it cannot be read or used."""
    from .mapping import Mapping

    try:
        return Mapping.load(path)
    except ValueError as exc:
        raise QueryError(f"--mapping: {exc}") from None


# --- the query -------------------------------------------------------------------------------------------

_ESQL_START = re.compile(r"\s*(from|row)\b", re.IGNORECASE)
_EQL_START = re.compile(r"\s*(sequence|sample)\b|\s*[A-Za-z_][\w.]*\s+where\b", re.IGNORECASE)


def infer_language(text: str) -> str:
    """'esql' for a query starting with FROM or ROW, 'eql' for `sequence`, `sample` or `<category> where`,
    else 'kql'."""
    if _ESQL_START.match(text):
        return "esql"
    if _EQL_START.match(text):
        return "eql"
    return "kql"


_PARTIAL_DATE = re.compile(r"(\d{4})(?:-(\d{2})(?:-(\d{2})(?:[T ](\d{2})(?::(\d{2})(?::(\d{2})(\.\d+)?)?)?)?)?)?"
                           r"(Z|[+-]\d{2}(?::?\d{2})?)?")


def _filled(text: str, up: bool) -> str:
    """A date of a range's bound with the components it leaves out filled as Elasticsearch's date math parser
    fills them: for `gte` the earliest, for `lte` the latest (hour 23, minute 59, second 59, fraction
    .999999999; month and day 01 both ways)."""
    match = _PARTIAL_DATE.fullmatch(text.strip())
    if not match:
        return text
    year, month, day, hour, minute, second, fraction, zone = match.groups()
    late = ("23", "59", "59", ".999999") if up else ("00", "00", "00", "")
    return (f"{year}-{month or '01'}-{day or '01'}T{hour or late[0]}:{minute or late[1]}:{second or late[2]}"
            f"{fraction or late[3]}{zone or 'Z'}")


def _time(value: Any, what: str, round_up: bool = False) -> float | None:
    from .engine.events import parse_time

    if value is None:
        return None
    if isinstance(value, datetime):
        return value.timestamp()
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)  # epoch seconds
    try:
        return parse_time(_filled(str(value), round_up))
    except ValueError as exc:
        raise QueryError(f"{what}: {exc}") from None


def _resolver(field_types: Mapping[str, str] | None) -> Callable[[str], str | None]:
    from .fields import field_type

    if not field_types:
        return field_type
    mapping = dict(field_types)
    return lambda name: mapping.get(name) or field_type(name)


def run_query(text: str, documents: Iterable[Document | dict], language: str | None = None,
              field_types: Any = None, start: Any = None, end: Any = None,
              size: int | None = None, now: float | None = None, *, mapping: Any = None) -> dict:
    """The response body Elasticsearch gives for this query over `documents` (Document, or dicts whose `_id`
    names them; else they are named by position): KQL as `_search` (with the DSL Kibana builds), EQL as
    `_eql/search`, ES|QL as `_query`. `mapping` (or `field_types`, its older name) is the index's mapping: an
    elastic_pack.mapping.Mapping or a dict field -> type (other fields take the field catalogue's type);
    `start`/`end` (ISO 8601, epoch seconds or datetime) keep the documents whose @timestamp is within, both
    inclusive; `size` is the hits (KQL) or results (EQL) returned (default 10, as Elasticsearch's);
    `now` is the clock of date math, in epoch seconds."""
    from .mapping import Mapping as IndexMapping

    if mapping is None:
        mapping = field_types
    # EQL and ES|QL read the mapping as a flat field -> type table
    field_types = mapping.flat() if isinstance(mapping, IndexMapping) else mapping
    language = (language or infer_language(text)).lower()
    if language not in LANGUAGES:
        raise QueryError(f"unknown query language {language!r} (kql, eql or esql)")
    docs = [d if isinstance(d, Document) else _document(d, f"[{index}]") for index, d in enumerate(documents)]
    low, high = _time(start, "--from"), _time(end, "--to", round_up=True)
    if low is not None and high is not None and low > high:
        raise QueryError("--from is after --to")
    if low is not None or high is not None:
        docs = [d for d in docs if _within(d.source, low, high)]
    clock_now = time.time() if now is None else now
    if size is not None and size < 0:
        raise QueryError("size must be 0 or more")
    if language == "kql":
        return _kql(text, docs, mapping, DEFAULT_SIZE if size is None else size, clock_now)
    if language == "eql":
        return _eql(text, docs, DEFAULT_SIZE if size is None else size, field_types)
    return _esql(text, docs, field_types, clock_now)


def _document(data: dict, where: str) -> Document:
    """The document of `data`: its own `_id`, else named `where`."""
    source = dict(data)
    given = source.pop("_id", None)
    return Document(str(given) if given is not None else where, source)


def _timestamp(source: dict) -> float | None:
    from .documents import MISSING, lookup
    from .engine.events import parse_time

    value = lookup(source, "@timestamp")
    if isinstance(value, list) and len(value) == 1:
        value = value[0]
    if value is MISSING or value is None or isinstance(value, (list, dict)):
        return None
    try:
        return parse_time(value)
    except (ValueError, TypeError, OverflowError):
        return None


def _within(source: dict, low: float | None, high: float | None) -> bool:
    stamp = _timestamp(source)
    if stamp is None:
        return False
    # Elasticsearch compares dates in milliseconds (a bound's sub-millisecond digits are cut)
    millis = round(stamp * 1000)
    return (low is None or millis >= _millis(low)) and (high is None or millis <= _millis(high))


def _millis(epoch: float) -> int:
    import math

    return math.floor(round(epoch * 1_000_000) / 1000)


def _hit(document: Document) -> dict:
    return {"_id": document.id, "_source": document.source}


def _mapped(field_types: Mapping[str, str] | None) -> Callable[[dict], dict]:
    """A flat document as an index with this mapping holds it: the mapping's fields only (as `dynamic: false`;
    the keys of a `flattened` field are its); without a mapping, every field."""
    if not field_types:
        return lambda flat: flat
    roots = {name for name, kind in field_types.items() if kind == "flattened"}
    found: dict[str, bool] = {}

    def mapped(name: str) -> bool:
        if name not in found:
            parts = name.split(".")
            found[name] = name in field_types or any(".".join(parts[:end]) in roots for end in range(1, len(parts)))
        return found[name]

    return lambda flat: {k: v for k, v in flat.items() if mapped(k)}


# --- KQL -------------------------------------------------------------------------------------------------

def _kql(text: str, docs: list[Document], mapping: Any, size: int, now: float) -> dict:
    from .kql import search

    try:
        return search(text, docs, mapping=mapping or None, size=size, now=now)
    except QueryError as exc:
        raise QueryError(f"KQL: {exc}") from None


# --- EQL -------------------------------------------------------------------------------------------------

def _eql(text: str, docs: list[Document], size: int, field_types: Any = None) -> dict:
    from .eql import UnsupportedQueryError, search

    try:
        return search(text, docs, field_types or None, size)
    except UnsupportedQueryError as exc:
        raise QueryError(f"EQL: the local engine does not run {exc}") from None
    except QueryError as exc:
        raise QueryError(f"EQL: {exc}") from None


# --- ES|QL -----------------------------------------------------------------------------------------------

# field types as ES|QL reports them
_ESQL_FIELD_TYPES = {"constant_keyword": "keyword", "wildcard": "keyword", "match_only_text": "text",
                     "short": "integer", "byte": "integer", "float": "double", "half_float": "double",
                     "scaled_float": "double", "flattened": "unsupported", "nested": "unsupported",
                     "geo_shape": "geo_shape", "shape": "cartesian_shape", "point": "cartesian_point"}
_NUMERIC = ("integer", "long", "unsigned_long", "double")
_RETURNS = {
    **dict.fromkeys(("CONCAT", "LEFT", "RIGHT", "LTRIM", "RTRIM", "TRIM", "REPLACE", "REVERSE", "REPEAT", "SPACE",
                     "SUBSTRING", "TO_LOWER", "TO_UPPER", "TO_STRING", "TO_BASE64", "FROM_BASE64", "URL_DECODE",
                     "URL_ENCODE", "SPLIT", "MV_CONCAT", "DATE_FORMAT", "JSON_EXTRACT", "MD5", "SHA1", "SHA256",
                     "ST_ASTEXT"), "keyword"),
    **dict.fromkeys(("LENGTH", "LOCATE", "DATE_DIFF", "MV_COUNT", "TO_INTEGER", "BIT_LENGTH", "BYTE_LENGTH"),
                    "integer"),
    **dict.fromkeys(("DATE_EXTRACT", "TO_LONG"), "long"),
    **dict.fromkeys(("TO_DOUBLE", "SQRT", "LOG10", "LOG", "POW", "PI", "E", "TAU", "SIGNUM", "MV_AVG", "SIN", "COS",
                     "TAN", "EXP", "CBRT", "ST_X", "ST_Y", "ST_DISTANCE"), "double"),
    **dict.fromkeys(("TO_DATETIME", "DATE_TRUNC", "DATE_PARSE", "NOW"), "date"),
    **dict.fromkeys(("TO_BOOLEAN", "STARTS_WITH", "ENDS_WITH", "CONTAINS", "CIDR_MATCH"), "boolean"),
    **dict.fromkeys(("TO_IP", "IP_PREFIX"), "ip"),
    "TO_VERSION": "version", "TO_TEXT": "text", "TO_UNSIGNED_LONG": "unsigned_long", "TO_GEOPOINT": "geo_point",
}
_SAME_AS_FIRST = {"ABS", "CEIL", "FLOOR", "ROUND", "CLAMP", "GREATEST", "LEAST", "COALESCE", "MV_MIN", "MV_MAX",
                  "MV_FIRST", "MV_LAST", "MV_DEDUPE", "MV_SORT", "MV_SLICE", "MV_MEDIAN", "MV_INTERSECTION",
                  "MV_APPEND", "MIN", "MAX", "VALUES", "TOP", "FIRST", "LAST", "SAMPLE"}
_AGGREGATE_TYPES = {"COUNT": "long", "COUNT_DISTINCT": "long", "AVG": "double", "MEDIAN": "double",
                    "PERCENTILE": "double", "MEDIAN_ABSOLUTE_DEVIATION": "double", "STD_DEV": "double",
                    "VARIANCE": "double", "WEIGHTED_AVG": "double"}


def _esql_type(kind: str | None) -> str | None:
    if kind is None:
        return None
    return _ESQL_FIELD_TYPES.get(kind, kind)


def _widest(*kinds: str | None) -> str | None:
    known = [k for k in kinds if k is not None and k != "null"]
    if not known:
        return "null" if kinds and all(k == "null" for k in kinds) else None
    if all(k in _NUMERIC for k in known):
        return max(known, key=_NUMERIC.index)
    return known[0]


class _Typer:
    """The type ES|QL gives an expression's column (None where the engine cannot say: the values decide)."""

    def __init__(self, columns: dict[str, str | None]):
        self.columns = columns

    def of(self, node: Any) -> str | None:
        from .esql.ast import BinOp, Call, Col, Duration, FullText, InList, IsNull, Kql, Like, Lit, Not, Period

        if isinstance(node, Lit):
            value = node.value
            if value is None:
                return "null"
            if isinstance(value, bool):
                return "boolean"
            if isinstance(value, int):
                return "integer" if -2**31 <= value < 2**31 else "long"
            if isinstance(value, float):
                return "double"
            if isinstance(value, str):
                return "keyword"
            if isinstance(value, (list, tuple)) and value:
                return self.of(Lit(value[0]))
            return None
        if isinstance(node, Col):
            return self.columns.get(node.name)
        if isinstance(node, (Not, IsNull, InList, Like, FullText, Kql)):
            return "boolean"
        if isinstance(node, (Duration, Period)):
            return None
        if isinstance(node, BinOp):
            if node.op in ("and", "or", "==", "!=", "<", "<=", ">", ">=", "=~"):
                return "boolean"
            left, right = self.of(node.left), self.of(node.right)
            if "date" in (left, right):
                return "date"
            return _widest(left, right)
        if isinstance(node, Call):
            name = node.name.upper()
            first = self.of(node.args[0]) if node.args else None
            if name == "CASE":
                values = [self.of(a) for a in node.args[1::2]] + ([self.of(node.args[-1])] if len(node.args) % 2
                                                                   else [])
                return _widest(*values)
            if name == "BUCKET":
                return "date" if first in ("date", "date_nanos") else "double"
            if name in _SAME_AS_FIRST:
                if name in ("GREATEST", "LEAST", "COALESCE", "MV_APPEND"):
                    return _widest(*(self.of(a) for a in node.args))
                if name in ("MV_MEDIAN",) and first == "integer":
                    return "integer"
                return "keyword" if first == "text" and name not in ("VALUES", "MIN", "MAX", "TOP") else first
            return _RETURNS.get(name)
        return None

    def aggregate(self, function: str, argument: Any) -> str | None:
        name = function.split(":", 1)[0].upper()
        if name in _AGGREGATE_TYPES:
            return _AGGREGATE_TYPES[name]
        kind = self.of(argument) if argument is not None else None
        if name == "SUM":
            return "long" if kind in ("integer", "long") else "double" if kind == "double" else kind
        return kind


_KEYWORDS_NOT_NAMES = {"first", "last", "asc", "desc", "nulls"}


def _keywords_as_names(text: str) -> None:
    """Elasticsearch's ES|QL grammar reads `first`, `last`, `asc`, `desc` and `nulls` as keywords: as a column
    assigned (`STATS first = MIN(x)`) it refuses them unless backquoted, where the engine's parser accepts them."""
    from .esql.lexer import EsqlSyntaxError, tokens

    try:
        toks = tokens(text)
    except EsqlSyntaxError:
        return  # the parser reports it
    for tok, following in zip(toks, toks[1:]):
        if tok.kind in _KEYWORDS_NOT_NAMES and following.kind == "op" and following.text == "=":
            line = text.count("\n", 0, tok.offset) + 1
            column = tok.offset - (text.rfind("\n", 0, tok.offset) + 1) + 1
            raise QueryError(f"ES|QL: mismatched input '{tok.text}' (line {line}, column {column}): a keyword, "
                             f"write `{tok.text}` as a column name")


def _calls(node: Any, name: str) -> bool:
    """Whether the expression (or command) calls the function `name` anywhere."""
    import dataclasses

    from .esql.ast import Call

    if isinstance(node, Call) and node.name.upper() == name:
        return True
    if isinstance(node, (list, tuple)):
        return any(_calls(item, name) for item in node)
    if dataclasses.is_dataclass(node) and not isinstance(node, type):
        return any(_calls(getattr(node, f.name), name) for f in dataclasses.fields(node))
    return False


def _names_read(node: Any) -> set[str]:
    """The columns an expression (or command) reads: its fields and full-text matches' fields (not KQL()'s,
    which Elasticsearch looks up in the mapping itself)."""
    import dataclasses

    from .esql.ast import Col, FullText, Kql

    if isinstance(node, Col):
        return {node.name}
    if isinstance(node, FullText):
        return {node.field}
    if isinstance(node, Kql):
        return set()
    if isinstance(node, (list, tuple)):
        return set().union(*(_names_read(item) for item in node)) if node else set()
    if dataclasses.is_dataclass(node) and not isinstance(node, type):
        return set().union(*(_names_read(getattr(node, f.name)) for f in dataclasses.fields(node)))
    return set()


def _referenced(query: Any) -> set[str]:
    """Every name the query reads anywhere (some may be columns an earlier command made)."""
    from .esql.ast import Keep, MvExpand, Project, Rename, Sort

    names: set[str] = set()
    for command in query.commands:
        if isinstance(command, Sort):
            names |= {name for name, _, _ in command.keys}
        elif isinstance(command, MvExpand):
            names.add(command.name)
        elif isinstance(command, Keep):
            names |= {name for name in command.names if "*" not in name}
        elif isinstance(command, Rename):
            names |= {old for old, _ in command.pairs}
        elif not isinstance(command, Project):
            names |= _names_read(command)
    return names


def _columns(query: Any, start: dict[str, str | None]) -> dict[str, str | None]:
    """The result's columns, in Elasticsearch's order, each with its type, following the commands."""
    from .esql.ast import (Dissect, Drop, Eval, Grok, InlineStats, Keep, Limit, MvExpand, Project, Rename, Sort,
                           Stats, Where)
    from .esql.evaluate import _drop, _keep, _rename

    def known(names: Iterable[str], visible: Iterable[str] = ()) -> None:
        seen = set(columns) | set(visible)
        for name in names:
            if name not in seen:
                raise QueryError(f"ES|QL: Unknown column [{name}]")

    columns = dict(start)
    for command in query.commands:
        typer = _Typer(columns)
        if isinstance(command, (Where, Eval)) and _calls(command, "BUCKET"):
            raise QueryError("ES|QL: cannot use grouping function BUCKET() outside of a STATS command")
        if isinstance(command, (Where, Dissect, Grok)):
            known(sorted(_names_read(command)))
        elif isinstance(command, Sort):
            known(name for name, _, _ in command.keys)
        elif isinstance(command, MvExpand):
            known([command.name])
        elif isinstance(command, (Stats, InlineStats)):
            known(sorted(_names_read(command.by)))
            known(sorted(_names_read(command.aggregates)), [name for name, _ in command.by])
        if isinstance(command, (Where, Sort, Limit, MvExpand)):
            continue
        if isinstance(command, Eval):
            for name, expr in command.assignments:
                known(sorted(_names_read(expr)))
                kind = _Typer(columns).of(expr)
                columns.pop(name, None)
                columns[name] = kind
        elif isinstance(command, Stats):
            out = {name: typer.aggregate(func, arg) for name, func, arg in command.aggregates}
            for name, expr in command.by:
                out.pop(name, None)
                out[name] = typer.of(expr)
            columns = out
        elif isinstance(command, InlineStats):
            added = {name: typer.aggregate(func, arg) for name, func, arg in command.aggregates}
            groups = {name: typer.of(expr) for name, expr in command.by}
            columns = {**{k: v for k, v in columns.items() if k not in added and k not in groups}, **added, **groups}
        elif isinstance(command, Keep):
            known(name for name in command.names if "*" not in name)
            columns = _keep(command.names)(columns)
        elif isinstance(command, Drop):
            columns = _drop(command.names)(columns)
        elif isinstance(command, Rename):
            known(old for old, _ in command.pairs)
            columns = _rename(command.pairs)(columns)
        elif isinstance(command, Project):
            columns = {name: columns.get(name) for name in command.names}
        elif isinstance(command, Dissect):
            from .esql.text_commands import dissect_keys

            for name in dissect_keys(command.pattern):
                columns.pop(name, None)
                columns[name] = "keyword"
        elif isinstance(command, Grok):
            from .esql.text_commands import grok_names

            types = dict(re.findall(r"%\{\w+:([\w.@\[\]]+):(int|long|float|double|boolean)\}", command.pattern))
            for name in grok_names(command.pattern):
                columns.pop(name, None)
                columns[name] = {"int": "integer", "float": "double"}.get(types.get(name, ""),
                                                                         types.get(name) or "keyword")
    return columns


def _value_type(values: list) -> str:
    """A column's type from its values, where the query does not say (as dynamic mapping would type them)."""
    from .kql.typed import infer_type

    for value in values:
        while isinstance(value, list) and value:
            value = value[0]
        if value is None or value == []:
            continue
        kind = infer_type(value)  # as KQL types an unmapped value; an object's column is keyword here
        return "keyword" if kind == "object" else kind
    return "null"


def _formatter(kind: str) -> Callable[[Any], Any]:
    from .esql.functions import to_millis
    from .engine.events import format_time

    def date(value: Any) -> Any:
        millis = to_millis(value)
        return None if millis is None else format_time(millis / 1000)

    def whole(value: Any) -> Any:
        if isinstance(value, bool):
            return None
        if isinstance(value, (int, float)):
            return int(value)
        try:
            return int(str(value))
        except ValueError:
            try:
                return int(float(str(value)))
            except ValueError:
                return None

    def double(value: Any) -> Any:
        if isinstance(value, bool):
            return None
        try:
            return float(value)
        except (TypeError, ValueError):
            return None

    def text(value: Any) -> Any:
        if isinstance(value, bool):
            return "true" if value else "false"
        return value if isinstance(value, str) else str(value)

    def ip(value: Any) -> Any:
        import ipaddress

        try:
            address = ipaddress.ip_address(str(value))
        except ValueError:
            return str(value)
        mapped = getattr(address, "ipv4_mapped", None)
        return str(mapped or address)

    def boolean(value: Any) -> Any:
        if isinstance(value, bool):
            return value
        return {"true": True, "false": False}.get(str(value).lower())

    one = {"date": date, "date_nanos": date, "integer": whole, "long": whole, "unsigned_long": whole,
           "double": double, "keyword": text, "text": text, "ip": ip, "version": text, "boolean": boolean,
           "unsupported": lambda value: None, "null": lambda value: None}.get(kind, lambda value: value)

    def format_value(value: Any) -> Any:
        if value is None:
            return None
        if isinstance(value, list):
            values = [v for v in (one(v) for v in value if v is not None) if v is not None]
            return values[0] if len(values) == 1 else (values or None)
        return one(value)

    return format_value


def _source_columns(field_types: Mapping[str, str] | None, flats: list[dict],
                    originals: dict[str, str]) -> dict[str, str | None]:
    """FROM's columns: the mapping's fields (those of the documents typed by the field catalogue, where no
    mapping is given), by name, as Elasticsearch lists an index's fields; object fields are not columns."""
    from .fields import field_type

    if field_types:
        kinds = {name: kind for name, kind in field_types.items() if kind not in ("object", "alias")}
    else:
        kinds = {}
        for flat in flats:
            for name, value in flat.items():
                if name not in kinds:
                    kinds[name] = field_type(name) or _value_type([value])
    columns = {name: _esql_type(kinds[name]) for name in sorted(kinds)}
    # Elasticsearch names the mapping type of a column it cannot read
    originals.update({name: kinds[name] for name, kind in columns.items() if kind == "unsupported"})
    return columns


def _row_as_eval(text: str) -> str | None:
    """`ROW a = 1, b = "x" | ...` as `FROM <row> | EVAL a = 1, b = "x" | ...` (run over one empty row), or None
    when the query does not start with ROW."""
    from .esql.lexer import EsqlSyntaxError, tokens

    match = re.match(r"\s*(?:/\*[\s\S]*?\*/\s*|//[^\n]*\n\s*)*row\b", text, re.IGNORECASE)
    if not match:
        return None
    try:
        toks = tokens(text, match.end())
    except EsqlSyntaxError as exc:
        raise QueryError(f"ES|QL: {exc}") from None
    bar = next((t.offset for t in toks if t.kind == "op" and t.text == "|"), len(text))
    assignments = text[match.end():bar].strip()
    if not assignments:
        raise QueryError("ES|QL: ROW needs at least one column (line 1)")
    return f"FROM row | EVAL {assignments} {text[bar:]}"


_METADATA = re.compile(r"^\s*(?:/\*[\s\S]*?\*/\s*|//[^\n]*\n\s*)*from\s+[^|]*?\s+metadata\s+([^|]+)",
                       re.IGNORECASE)


def _metadata(text: str, sources: tuple) -> dict[str, tuple[str, Callable[[Document], Any]]]:
    """The METADATA columns asked for: name -> (type, value of a document). `_id` is the document's id;
    `_index` only where FROM names one index (events read from files are in no index of their own)."""
    match = _METADATA.match(text)
    if not match:
        return {}
    out: dict[str, tuple[str, Callable[[Document], Any]]] = {}
    for name in (n.strip() for n in match.group(1).split(",") if n.strip()):
        if name == "_id":
            out[name] = ("keyword", lambda d: d.id)
        elif name == "_index" and len(sources) == 1 and not any(c in sources[0] for c in "*:"):
            index = sources[0]
            out[name] = ("keyword", lambda d: index)
        else:
            raise QueryError(f"ES|QL: the local engine does not run METADATA {name} (it runs _id, and _index "
                             "where FROM names one index)")
    return out


def _flattened_as_one(flats: list[dict], field_types: Mapping[str, str] | None) -> list[dict]:
    """A `flattened` field is one column (of a type ES|QL does not read: unsupported, null), not its keys."""
    from .fields import catalogue

    kinds = field_types if field_types else catalogue()
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


def _doc_value_of(kind: str | None) -> Callable[[Any], Any] | None:
    """How a field of this mapping type holds a value in its doc values, as ES|QL reads it (None: as written)."""
    if kind is None:
        return None
    if kind in ("float", "half_float"):
        width = "f" if kind == "float" else "e"
        double = _formatter("double")
        return lambda value: _narrow(double(value), width)
    if kind in ("date", "date_nanos"):
        date = _formatter("date")
        return lambda value: value if value.__class__ is str and len(value) == 24 and value[-1] == "Z" \
            else date(value)
    esql_kind = _esql_type(kind)
    if esql_kind in ("keyword", "text", "long", "integer", "double", "boolean", "ip"):
        return _formatter(esql_kind)
    return None


def _narrow(value: Any, width: str) -> Any:
    """A number as a float or half_float field stores it, widened back to a double as ES|QL gives it."""
    import struct

    if isinstance(value, list):
        return [_narrow(v, width) for v in value]
    if not isinstance(value, float):
        return value
    try:
        return struct.unpack(width, struct.pack(width, value))[0]
    except (OverflowError, struct.error):
        return value


def _esql(text: str, docs: list[Document], field_types: Mapping[str, str] | None, now: float) -> dict:
    from .documents import flatten
    from .esql import parse_esql
    from .esql.evaluate import CompiledEsql, _doc_value

    row = _row_as_eval(text)
    _keywords_as_names(text)
    try:
        query = parse_esql(row if row is not None else text)
        compiled = CompiledEsql(query, clock=lambda: now)
    except ValueError as exc:  # EsqlSyntaxError among them
        raise QueryError(f"ES|QL: {exc}") from None
    if row is not None:  # ROW: one row of its own, no documents read
        flats: list[dict] = [{}]
        columns = _columns(query, {})
        return _esql_body(compiled, query, flats, columns)
    metadata = _metadata(text, query.sources)
    flats = [{**flatten(dict(d.source)), **{name: value(d) for name, (_, value) in metadata.items()}} for d in docs]
    multi = {name: name.rsplit(".", 1)[0] for name in (field_types or {})
             if "." in name and name.rsplit(".", 1)[0] in (field_types or {})}
    if multi:  # a multi-field holds its parent's value
        flats = [{**flat, **{name: flat[parent] for name, parent in multi.items() if parent in flat}}
                 for flat in flats]
    # each field's values as its doc values hold them (typed, one form of date, floats as narrow as the type)
    resolve = _resolver(field_types)
    normalizers: dict[str, tuple[str | None, Callable[[Any], Any] | None]] = {}
    for flat in flats:
        for name, value in flat.items():
            if name not in normalizers:
                kind = None if name in metadata else resolve(name)
                normalizers[name] = (kind, _doc_value_of(kind))
            kind, normalize = normalizers[name]
            if normalize is not None and value is not None:
                value = flat[name] = normalize(value)
            if value.__class__ is list and name not in metadata:  # sorted (keywords and ips once each)
                flat[name] = _doc_value(value, kind)
    flats = _flattened_as_one(flats, field_types)
    if field_types:  # fields the mapping does not have are not in the index
        mapped = _mapped(field_types)
        flats = [{**mapped(flat), **{k: flat[k] for k in metadata if k in flat}} for flat in flats]
    originals: dict[str, str] = {}
    start = _source_columns(field_types, [{k: v for k, v in f.items() if k not in metadata} for f in flats],
                            originals)
    if not field_types:  # the catalogue's fields no event has are in an index its templates map, all null
        from .fields import OBJECT_SHAPED_TYPES, field_type

        extra = {name: kind for name in _referenced(query) - set(start) - set(metadata)
                 if (kind := field_type(name)) is not None and kind not in OBJECT_SHAPED_TYPES}
        if extra:
            start = {name: ({**start, **{n: _esql_type(k) for n, k in extra.items()}})[name]
                     for name in sorted({*start, *extra})}
    columns = _columns(query, {**start, **{name: kind for name, (kind, _) in metadata.items()}})
    return _esql_body(compiled, query, flats, columns, originals)


def _esql_body(compiled: Any, query: Any, flats: list[dict], columns: dict[str, str | None],
               originals: dict[str, str] | None = None) -> dict:
    from .esql.ast import Limit

    try:
        rows = [row for flat in flats for row in compiled.rows(flat)]
        if compiled.table_mode:
            rows = compiled.run_table(rows)
        elif compiled.stats is None:
            rows = compiled.after_table(rows)
        else:
            rows = compiled.aggregate([c for row in rows for c in compiled.compact(row)])
    except (TypeError, ValueError) as exc:
        raise QueryError(f"ES|QL: {exc}") from None
    limited = any(isinstance(c, Limit) for c in query.commands)
    rows = rows[:ESQL_MAX_LIMIT if limited else ESQL_DEFAULT_LIMIT]
    described = []
    formatters = []
    for name, kind in columns.items():
        kind = kind or _value_type([row.get(name) for row in rows])
        column: dict[str, Any] = {"name": name, "type": kind}
        if kind == "unsupported" and originals and name in originals:
            column["original_types"] = [originals[name]]
        described.append(column)
        formatters.append((name, _formatter(kind)))
    return {"columns": described, "values": [[f(row.get(name)) for name, f in formatters] for row in rows]}
