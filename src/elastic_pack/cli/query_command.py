"""query: one KQL, EQL or ES|QL query over local events, answered as Elasticsearch answers it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Optional

import typer

from . import app
from .options import JsonOption, MappingOption, console, devices, fail, load_mapping_option, marked


@app.command()
def query(
    text: Annotated[str, typer.Argument(metavar="QUERY", help="The query: KQL, EQL or ES|QL.")],
    events: Annotated[list[Path], typer.Option("--events", help="ECS events: ndjson, a JSON array or a search "
                                               "response (.gz accepted); repeatable.")],
    language: Annotated[Optional[str], typer.Option("--language", help="kql, eql or esql (default: inferred: "
                                                    "ES|QL starts with FROM or ROW, EQL is `sequence`, `sample` "
                                                    "or `<category> where`, anything else KQL).",
                                                    show_default=False)] = None,
    mapping: MappingOption = None,
    from_: Annotated[Optional[str], typer.Option("--from", help="Only events whose @timestamp is at or after "
                                                 "this (ISO 8601; a range query's gte: 2026-01-05 is its "
                                                 "first millisecond).")] = None,
    to: Annotated[Optional[str], typer.Option("--to", help="Only events whose @timestamp is at or before this "
                                              "(ISO 8601; a range query's lte: 2026-01-05 is its last "
                                              "millisecond).")] = None,
    size: Annotated[Optional[int], typer.Option("--size", min=0, help="Hits (KQL) or results (EQL) returned, "
                                                "as the search APIs' size (default 10; ES|QL: its LIMIT, "
                                                "default 1000).", show_default=False)] = None,
    as_json: JsonOption = False,
) -> None:
    """Run one query over local events as Elasticsearch would: KQL as _search, EQL as _eql/search, ES|QL as
    _query. With --json, exactly the response body Elasticsearch gives; else a table."""
    from ..errors import InputError
    from ..query import LANGUAGES, QueryError, read_documents, run_query

    if language is not None and language.lower() not in LANGUAGES:
        fail(f"--language: {language!r} is not one of kql, eql, esql", 2)
    missing = [p for p in events if not p.exists()]
    if missing:
        fail(f"--events: no such file: {', '.join(map(str, missing))}")
    device_paths = devices(events)
    if device_paths:
        fail(f"--events: not a file but a device: {', '.join(map(str, device_paths))}")
    err = console(stderr=True)
    field_types = load_mapping_option(mapping)
    try:
        documents, skipped = read_documents(events)
    except InputError as exc:
        fail(exc)
    for reason in skipped:
        err.print(marked("[yellow]skipped[/] ", reason))
    try:
        body = run_query(text, documents, language, field_types, from_, to, size)
    except QueryError as exc:
        fail(exc, 2)
    if as_json:
        typer.echo(json.dumps(body, indent=2, ensure_ascii=False))
        return
    _print(body, len(documents))


def _cell(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False)


def _timestamp(source: dict) -> str:
    from ..documents import MISSING, lookup

    value = lookup(source, "@timestamp")
    return "" if value is MISSING or value is None else _cell(value)


def _print(body: dict, read: int) -> None:
    from rich.table import Table

    out = console()
    if "columns" in body:
        table = Table(title=f"{len(body['values'])} rows (ES|QL) from {read} events")
        for column in body["columns"]:
            table.add_column(f"{column['name']}\n{column['type']}")
        for row in body["values"]:
            table.add_row(*map(_cell, row))
        out.print(table)
        return
    hits = body["hits"]
    if "sequences" in hits:
        table = Table(title=f"{len(hits['sequences'])} sequences (EQL) from {read} events")
        for column in ("sequence", "join keys", "_id", "@timestamp", "_source"):
            table.add_column(column)
        for number, sequence in enumerate(hits["sequences"], start=1):
            keys = ", ".join(map(_cell, sequence.get("join_keys", [])))
            for event in sequence["events"]:
                if event.get("missing"):
                    table.add_row(str(number), keys, "(missing)", "", "")
                else:
                    table.add_row(str(number), keys, event["_id"], _timestamp(event["_source"]),
                                  json.dumps(event["_source"], ensure_ascii=False))
        out.print(table)
        return
    found = hits.get("events", hits.get("hits", []))
    kind = "events (EQL)" if "events" in hits else "hits (KQL)"
    total = hits["total"]["value"]
    shown = f", {len(found)} shown" if len(found) != total else ""
    table = Table(title=f"{total} {kind} from {read} events{shown}")
    for column in ("_id", "@timestamp", "_source"):
        table.add_column(column)
    for hit in found:
        table.add_row(hit["_id"], _timestamp(hit["_source"]), json.dumps(hit["_source"], ensure_ascii=False))
    out.print(table)
