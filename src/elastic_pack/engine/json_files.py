"""Event files that are one JSON document instead of ndjson: an array of documents (pretty-printed or not,
as tools such as Stratus Red Team or a `jq -s` write them) or an Elasticsearch search response
(`{"hits": {"hits": [{"_id": ..., "_source": {...}}]}}`, what `curl .../_search` saves).

A file is read this way when its first line is not a whole JSON object and the file as a whole parses;
otherwise it stays ndjson and its bad lines are reported line by line as before.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..fastjson import loads

# (where, document or the reason it is not one): where is "file[index]" so skipped reasons name the record
Records = list[tuple[str, Any]]


def _first_line(handle: Any) -> bytes:
    for line in handle:
        if line.strip():
            return line
    return b""


def looks_whole(path: Path, opener: Any) -> bool:
    """Whether the file may be one JSON document: its first line is not a whole ndjson document. A pipe or
    other stream is always ndjson here: it can be read only once."""
    if not regular_file(path):
        return False
    try:
        with opener(path) as handle:
            first = _first_line(handle).lstrip()
    except (OSError, EOFError):  # missing or damaged: the line-by-line read says so
        return False
    if not first.startswith((b"[", b"{")):
        return False
    try:
        head = loads(first)
    except (ValueError, RecursionError, UnicodeDecodeError):
        return True  # the start of a pretty-printed document, or a broken line: parsing the whole file tells
    return not isinstance(head, dict) or _is_search_response(head)


def whole_json_records(path: Path, opener: Any) -> Records | None:
    """The records of a file that is one JSON document, or None when the file is ndjson (or unreadable as
    JSON: the line-by-line read then reports where)."""
    if not looks_whole(path, opener):
        return None
    with opener(path) as handle:
        try:
            whole = loads(handle.read())
        except (ValueError, RecursionError, UnicodeDecodeError, OSError, EOFError):
            return None
    if isinstance(whole, list):
        return [(f"{path}[{index}]", item) for index, item in enumerate(whole)]
    if isinstance(whole, dict) and _is_search_response(whole):
        return [(f"{path}[{index}]", _from_hit(hit)) for index, hit in enumerate(whole["hits"]["hits"])]
    if isinstance(whole, dict):
        return [(f"{path}[0]", whole)]  # one pretty-printed document
    return None


def regular_file(path: Path) -> bool:
    """A file that can be read more than once and cut in stretches (not a pipe, /dev/stdin or a FIFO)."""
    try:
        return path.is_file() and not path.is_fifo()
    except OSError:
        return False


def _is_search_response(document: dict) -> bool:
    hits = document.get("hits")
    return isinstance(hits, dict) and isinstance(hits.get("hits"), list)


def _from_hit(hit: Any) -> Any:
    """A hit's _source with its _id (alerts name their source events by _id, as Kibana's ancestors do)."""
    if not isinstance(hit, dict) or not isinstance(hit.get("_source"), dict):
        return hit  # not a document: the reader reports it
    source = dict(hit["_source"])
    if "_id" in hit and "_id" not in source:
        source["_id"] = hit["_id"]
    return source
