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
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

__all__ = ["Document", "QueryError", "infer_language", "load_mapping", "read_documents", "run_query"]

LANGUAGES = ("kql", "eql", "esql")
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


def run_query(text: str, documents: Iterable[Document | dict], language: str | None = None,
              field_types: Any = None, start: Any = None, end: Any = None,
              size: int | None = None, now: float | None = None, *, mapping: Any = None) -> dict:
    """The response body Elasticsearch gives for this query over `documents` (Document, or dicts whose `_id`
    names them; else they are named by position): KQL as `_search` (with the DSL Kibana builds), EQL as
    `_eql/search`, ES|QL as `_query`. `mapping` (or `field_types`, its older name) is the index's mapping: an
    elastic_pack.mapping.Mapping or a dict field -> type, the index's whole mapping (none: Mapping.default());
    `start`/`end` (ISO 8601, epoch seconds or datetime) keep the documents whose @timestamp is within, both
    inclusive; `size` is the hits (KQL) or results (EQL) returned (default 10, as Elasticsearch's);
    `now` is the clock of date math, in epoch seconds."""
    if mapping is None:
        mapping = field_types
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
        return _eql(text, docs, DEFAULT_SIZE if size is None else size, mapping)
    return _esql(text, docs, mapping, clock_now)


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




# --- KQL -------------------------------------------------------------------------------------------------

def _kql(text: str, docs: list[Document], mapping: Any, size: int, now: float) -> dict:
    from .kql import search

    try:
        return search(text, docs, mapping=mapping or None, size=size, now=now)
    except QueryError as exc:
        raise QueryError(f"KQL: {exc}") from None


# --- EQL -------------------------------------------------------------------------------------------------

def _eql(text: str, docs: list[Document], size: int, mapping: Any = None) -> dict:
    from .eql import UnsupportedQueryError, search

    try:
        return search(text, docs, mapping or None, size)
    except UnsupportedQueryError as exc:
        raise QueryError(f"EQL: the local engine does not run {exc}") from None
    except QueryError as exc:
        raise QueryError(f"EQL: {exc}") from None


# --- ES|QL -----------------------------------------------------------------------------------------------

def _esql(text: str, docs: list[Document], mapping: Any, now: float) -> dict:
    from .esql import search

    try:
        return search(text, docs, mapping=mapping or None, now=now)
    except QueryError as exc:
        raise QueryError(f"ES|QL: {exc}") from None
