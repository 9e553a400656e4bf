"""Each rule's query parsed once, with its language's parser."""

from __future__ import annotations

import hashlib
import os
import pickle
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..eql.parser import EqlQuery, parse_eql
from ..kql import parse_kql
from ..kql.ast import Node
from .model import RuleFile

if TYPE_CHECKING:
    from ..esql.parser import EsqlQuery


class KqlQuery:
    def __init__(self, text: str, tree: Node):
        self.text = text
        self.tree = tree
        self.fields = tree.fields()


MAX_NESTING = 100  # parentheses and brackets inside one another; the parsers and the engine recurse on them


def nesting(query: str) -> int:
    """How deep (), [] and {} nest in a query, outside double-quoted strings (\"...\" and \"\"\"...\"\"\")."""
    depth = deepest = 0
    i, n = 0, len(query)
    while i < n:
        c = query[i]
        if c == '"':
            quote = '"""' if query.startswith('"""', i) else '"'
            j = i + len(quote)
            while j < n and not query.startswith(quote, j):
                j += 2 if query[j] == "\\" and quote == '"' else 1
            i = j + len(quote)
            continue
        if c in "([{":
            depth += 1
            deepest = max(deepest, depth)
        elif c in ")]}":
            depth = max(0, depth - 1)
        i += 1
    return deepest


def parse_rule_query(rule: RuleFile) -> EqlQuery | KqlQuery | EsqlQuery:
    """Parse the rule's query; raises EqlQueryError or KqlSyntaxError, or ValueError for a query nested more
    than MAX_NESTING deep (which the recursive parsers would meet with a RecursionError)."""
    depth = nesting(rule.query) if isinstance(rule.query, str) else 0
    if depth > MAX_NESTING:
        raise ValueError(f"the query nests parentheses {depth} deep; at most {MAX_NESTING} can be parsed and run")
    try:
        return _parse_rule_query(rule)
    except RecursionError:
        raise ValueError("the query nests too deeply to be parsed") from None


def _parse_rule_query(rule: RuleFile) -> EqlQuery | KqlQuery | EsqlQuery:
    language = rule.rule.get("language")
    if language == "eql":
        return _parse_eql_kept(rule.query)
    if language in ("kuery", None) and rule.type in ("threshold", "query", "new_terms", "threat_match"):
        return KqlQuery(rule.query, parse_kql(rule.query))
    if language == "esql" and rule.type == "esql":
        from ..esql import parse_esql

        return parse_esql(rule.query)
    raise ValueError(f"language {language!r} is not supported for {rule.type} rules")


def _parsed(rule: RuleFile) -> tuple[EqlQuery | KqlQuery | None, ValueError | None]:
    """The rule's query parsed once and kept on the rule (with the error when it does not parse): every
    check, the engine and the build read the same parse."""
    cache = rule.__dict__.setdefault("_parsed", {})
    if "value" not in cache:
        try:
            cache["value"], cache["error"] = parse_rule_query(rule), None
        except ValueError as exc:
            cache["value"], cache["error"] = None, exc
    return cache["value"], cache["error"]


def parsed_query(rule: RuleFile) -> EqlQuery | KqlQuery | None:
    """The parsed query, or None when it does not parse (a check reports why)."""
    return _parsed(rule)[0]


def checked_query(rule: RuleFile) -> Any:
    """The parsed query; raises the parse error (EqlQueryError, KqlSyntaxError, ...) when there is one."""
    value, error = _parsed(rule)
    if error is not None:
        raise error
    return value


def _parse_eql_kept(text: Any) -> EqlQuery:
    """parse_eql, its answer kept in the user's cache folder for the next command. The eql package builds
    its lexer's regular expressions on the first parse in each process (0.06-0.2 s, most of the cost of a
    short `preview`); a rule's query is the same from one command to the next. The file is named by a digest
    of the query and of everything its parse depends on (the sources of elastic_pack.eql, the eql and lark
    versions, Python's); a parse that fails is not kept, so its error is always the parser's own."""
    if not isinstance(text, str):
        return parse_eql(text)
    path = _kept_parse(text)
    if path is not None:
        try:
            with path.open("rb") as handle:
                source, kept = pickle.load(handle)  # noqa: S301 - the user's own folder (see cache_folder)
            if source == text and isinstance(kept, EqlQuery):
                return kept
        except Exception:  # noqa: BLE001 - missing, partly written or from elsewhere: parse again
            pass
    query = parse_eql(text)
    if path is not None:
        try:
            path.parent.mkdir(mode=0o700, exist_ok=True)
            part = path.with_name(f"{path.name}.{os.getpid()}.part")
            part.write_bytes(pickle.dumps((text, query), protocol=pickle.HIGHEST_PROTOCOL))
            os.replace(part, path)
        except (OSError, pickle.PicklingError, RecursionError, TypeError, AttributeError):
            pass
    return query


_PARSE_KEY: list[str] = []


def _kept_parse(text: str) -> Path | None:
    from ..eql.cached_grammar import cache_folder

    folder = cache_folder()
    if folder is None:
        return None
    if not _PARSE_KEY:
        import eql
        import lark

        digest = hashlib.sha256(f"{eql.__version__} {lark.__version__} {sys.version}".encode())
        sources = Path(__file__).resolve().parent.parent / "eql"
        try:
            for source in sorted(sources.glob("*.py")):
                digest.update(source.name.encode() + b"\0" + source.read_bytes())
        except OSError:
            return None
        _PARSE_KEY.append(digest.hexdigest())
    name = hashlib.sha256(f"{_PARSE_KEY[0]}\0{text}".encode("utf-8", "surrogatepass")).hexdigest()
    return folder / "eql-queries" / f"{name[:40]}.pickle"
