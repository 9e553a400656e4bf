"""KQL evaluated on a document as Elasticsearch answers the query Kibana builds from it.

Kibana turns `field: value` into a `match` (or `match_phrase` when quoted) query, `field: *` into `exists`,
a wildcard value into `query_string`, `<`/`>` into `range` and a value without a field into a lenient
`multi_match` over every field; Elasticsearch then answers by each field's mapped type (see typed.py).
A field with several values matches when any value does; `not` also matches documents without the field.

Documents are flat (dotted keys). Field types come from a resolver (default: the field catalogue); a field it
does not know is typed from the document's value, as dynamic mapping would (a Mapping's own dynamic mapping,
Mapping.dynamic_type).
"""

from __future__ import annotations

import time
from dataclasses import replace
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from ..documents import flatten, values_under
from ..memo import kept_per_strings
from ..fields import CASELESS, OBJECT_SHAPED_TYPES, multi_field_parent
from . import typed
from .data_view import check_nesting
from .ast import And, Exists, FreeText, Literal, Match, MatchAll, Nested, Node, Not, Or, Range, Wildcard
from ..errors import UnsupportedQueryError
from .typed import KqlTypeError
from .values import any_value, field_glob, field_values, flattened_values, leaf_values

Event = Mapping[str, Any]
Predicate = Callable[[Event], bool]
TypeResolver = Callable[[str], "str | None"]


class _Compiler:
    def __init__(self, types: TypeResolver, now: Callable[[], float], fields: Sequence[str] | None = None):
        self.types = types
        self.now = now
        # the index pattern's fields, which Kibana expands a wildcard field name over (None: the detection
        # engine's empty field list, which sends the pattern to Elasticsearch as it is)
        self.fields = fields
        self.listed = frozenset(fields or ())
        # the nested object the query being compiled is inside (None: the top-level document). Elasticsearch
        # indexes a nested object's fields in a document of their own: only a nested query on its path reaches
        # them, and a query inside one reaches no other field
        self.scope: str | None = None
        self._nested_path = getattr(types, "nested_path", None)
        # the type a field the resolver lacks takes from a value (a Mapping's dynamic mapping, else the plain guess)
        self.guess: Callable[[str, Any], str | None] = getattr(
            types, "dynamic_type", lambda name, value: typed.infer_type(value))

    def reachable(self, field: str) -> bool:
        """Whether a field is in the document the query at this point searches (see `scope`)."""
        return self._nested_path is None or self._nested_path(field) == self.scope

    def lowercased(self, field: str) -> bool:
        """Whether the field's normalizer lowercases (values and the query's alike); a normalizer the engine
        does not know is refused by name."""
        normalizer_of = getattr(self.types, "normalizer", None)
        normalizer = normalizer_of(field) if normalizer_of is not None else None
        if normalizer is None or normalizer == "lowercase":
            return normalizer == "lowercase"
        raise UnsupportedQueryError(f"{field} has the normalizer {normalizer!r}: the local engine applies only "
                                    "the built-in `lowercase` normalizer")

    def multi_field_parent(self, field: str) -> tuple[str, bool] | None:
        """(the field a multi-field indexes, whether its normalizer lowercases), from the mapping when the
        resolver is one, else from the field catalogue."""
        parent_of = getattr(self.types, "multi_field_parent", None)
        if parent_of is None:
            return multi_field_parent(field)
        parent = parent_of(field)
        if parent is None and field.endswith("." + CASELESS):  # the integrations' convention, mapped or not
            parent = field[:-len(CASELESS) - 1]
        return (parent, field.endswith("." + CASELESS)) if parent is not None else None

    def compile(self, node: Node) -> Predicate:
        field = getattr(node, "field", None)
        if field is not None and getattr(node, "field_glob", False) and self.fields is not None:
            expanded = self._expanded(node)
            if expanded is not None:
                return expanded
        if field is not None and not getattr(node, "field_glob", False):
            if self.fields is not None:
                check_nesting(field, self.scope, self.listed, self._nested_path)
            if not self.reachable(field):
                return lambda event: False
            longest_of = getattr(self.types, "longest", None)
            longest = longest_of(field) if longest_of is not None else None
            source = self.multi_field_parent(field)
            if source is not None:
                parent, lowercase = source
                return self._read(node, field, parent, lowercase or self.lowercased(field), longest)
            if self.lowercased(field) or longest is not None:
                read = self._read(node, field, field, self.lowercased(field), longest)
                if self._keyword_literal(node, longest_too=True) is not None:  # the usual one string: a lookup
                    return self._value_set(field, frozenset((node.value.text,)), longest, read)  # type: ignore
                if longest is not None and isinstance(node, Exists) and self._as_written(field, longest_too=True) \
                        and self.types(field) in typed.KEYWORD_TYPES:
                    return self._exists_within(field, longest, read)
                return read
        return self._compile(node)

    def keys_read(self, node: Node) -> set[str] | None:
        """The document keys the compiled query's answer depends on, when it depends on nothing else: each
        field's own key (and a multi-field's parent's), every field mapped to a leaf type (not an object,
        nested, flattened or geo shape, none under a flattened root: those read keys under a name), no field
        wildcard, free text or nested query, no date math from `now` (the clock). None otherwise."""
        if isinstance(node, (And, Or)):
            parts = [self.keys_read(item) for item in node.items]
            return None if any(p is None for p in parts) else set().union(*parts)  # type: ignore[arg-type]
        if isinstance(node, Not):
            return self.keys_read(node.item)
        if isinstance(node, MatchAll):
            return set()
        if not isinstance(node, (Match, Exists, Range)) or node.field_glob or self.fields is not None:
            return None
        field = node.field
        value = getattr(node, "value", None)
        text = value.text if isinstance(value, Literal) else "".join(getattr(value, "parts", ()))
        if "now" in text.lower():
            return None
        kind = self.types(field)
        if kind is None or kind in OBJECT_SHAPED_TYPES or self._keyed_flattened(field) \
                or self._nested_path is not None and self._nested_path(field) is not None:
            return None
        source = self.multi_field_parent(field)
        return {field} if source is None else {field, source[0]}

    def _expanded(self, node: Node) -> Predicate | None:
        """A wildcard field name as Kibana expands it over the index pattern's fields: one query per field
        it matches, any of which may match (None when it matches none: Kibana then sends the pattern)."""
        pattern = field_glob(node.field)  # type: ignore[attr-defined]
        names = [name for name in self.fields or () if pattern.fullmatch(name)]
        if not names:
            return None
        parts = [self.compile(self._wrapped(replace(node, field=name, field_glob=False)))  # type: ignore
                 for name in names]
        return lambda event: any(part(event) for part in parts)

    def _wrapped(self, node: Node) -> Node:
        """A field a wildcard name expanded to, in the nested query Kibana adds when it is in a nested object
        (inside a nested group Kibana checks it as it checks a field named plainly)."""
        if self.scope is not None:
            return node
        path = self._nested_path(node.field) if self._nested_path is not None else None  # type: ignore
        return Nested(path, node) if path is not None else node

    def _read(self, node: Node, field: str, parent: str, lowercase: bool, longest: int | None) -> Predicate:
        """A field's values as Elasticsearch indexes them: a multi-field reads its parent's; a lowercase
        normalizer (a `caseless` multi-field's, or the field's own) lowercases them and the query's value; a
        value longer than `ignore_above` is not indexed at all."""
        if lowercase and isinstance(node, Range):
            node = replace(node, value=Literal(node.value.text.lower(), node.value.quoted))
        elif lowercase and isinstance(node, Match):
            value = node.value
            lowered: Literal | Wildcard = Wildcard(tuple(p.lower() for p in value.parts)) \
                if isinstance(value, Wildcard) else Literal(value.text.lower(), value.quoted)
            node = replace(node, value=lowered)
        inner = self._compile(node)

        def on_parent(event: Event) -> bool:
            value = event.get(field)
            if value is None:
                value = event.get(parent)
            if longest is not None and value is not None:
                value = [v for v in leaf_values(value) if not (isinstance(v, str) and _utf16_length(v) > longest)]
            if lowercase and value is not None:
                value = [v.lower() if isinstance(v, str) else v for v in leaf_values(value)]
            return inner({field: value} if value else {})

        return on_parent

    def _compile(self, node: Node) -> Predicate:
        method = getattr(self, "_" + type(node).__name__, None)
        if method is None:
            raise TypeError(f"unexpected KQL node {node!r}")
        return method(node)

    def _And(self, node: And) -> Predicate:
        parts = [self.compile(i) for i in node.items]

        def conjunction(event: Event) -> bool:
            for part in parts:
                if not part(event):
                    return False
            return True

        return conjunction

    def _keyword_literal(self, node: Node, longest_too: bool = False) -> str | None:
        """The field of a `keyword_field: literal` match (which a set lookup can answer), else None.
        `longest_too`: also on a field with ignore_above (the lookup then checks the length of one string
        and leaves any other value to the general predicate, see _value_set)."""
        if isinstance(node, Match) and not node.field_glob and isinstance(node.value, Literal) \
                and node.value.constant is not None and self.types(node.field) in typed.KEYWORD_TYPES \
                and self.fields is None and self.reachable(node.field) and self._as_written(node.field, longest_too):
            return node.field
        return None

    def _as_written(self, field: str, longest_too: bool = False) -> bool:
        """Whether the field indexes its values as the document holds them (not a multi-field, no lowercase
        normalizer, no ignore_above unless `longest_too`), so that they can be looked up as they are."""
        longest_of = getattr(self.types, "longest", None)
        return self.multi_field_parent(field) is None and not self.lowercased(field) and \
            (longest_too or longest_of is None or longest_of(field) is None)

    def _value_set(self, field: str, texts: frozenset, longest: int | None = None,
                   general: Predicate | None = None) -> Predicate:
        """Whether the field's value is one of `texts`. With ignore_above (`longest`), one string is looked up
        among the texts it does not exceed (a longer value is not indexed); any other value (a list, a number)
        is answered by `general`, the predicates of each text as compiled without the lookup."""
        fits = texts if longest is None else frozenset(t for t in texts if _utf16_length(t) <= longest)

        def in_set(event: Event) -> bool:
            found = event.get(field)
            if found.__class__ is str:
                return found in fits
            if found is None:
                return False
            if general is not None:
                return general(event)
            return any(typed.as_keyword(v) in texts for v in field_values(event, field))

        return in_set

    def _Or(self, node: Or) -> Predicate:
        # `f: (a or b or c)` on a keyword field: one set lookup, not one test per value
        sets: dict[str, set] = {}
        looked_up: dict[str, list[Node]] = {}
        others = []
        for item in node.items:
            field = self._keyword_literal(item, longest_too=True)
            if field is None or not isinstance(item, Match):
                others.append(item)
            else:
                sets.setdefault(field, set()).add(item.value.text)
                looked_up.setdefault(field, []).append(item)
        parts = [self._set_of(f, frozenset(t), looked_up[f]) for f, t in sets.items()] + \
            [self.compile(i) for i in others]
        if len(parts) == 1:
            return parts[0]

        def disjunction(event: Event) -> bool:
            for part in parts:
                if part(event):
                    return True
            return False

        return disjunction

    def _exists_within(self, field: str, longest: int, general: Predicate) -> Predicate:
        """`field: *` on a keyword with ignore_above: one string exists when it is within the limit (indexed),
        a missing field does not; any other value (a list, a number) is answered by `general`."""
        def exists(event: Event) -> bool:
            value = event.get(field)
            if value.__class__ is str:
                return _utf16_length(value) <= longest
            if value is None:
                return False
            return general(event)

        return exists

    def _set_of(self, field: str, texts: frozenset, items: list[Node]) -> Predicate:
        longest_of = getattr(self.types, "longest", None)
        longest = longest_of(field) if longest_of is not None else None
        if longest is None:
            return self._value_set(field, texts)
        general = [self.compile(item) for item in items]
        return self._value_set(field, texts, longest, lambda event: any(part(event) for part in general))

    def _Not(self, node: Not) -> Predicate:
        inner = self.compile(node.item)
        return lambda event: not inner(event)

    def _MatchAll(self, node: MatchAll) -> Predicate:
        return lambda event: True

    def _Exists(self, node: Exists) -> Predicate:
        if node.field_glob:
            pattern = field_glob(node.field)
            return lambda event: any(pattern.fullmatch(k) and self.reachable(k) and field_values(event, k)
                                     for k in event)
        field = node.field
        # a key of a flattened field is a leaf: `labels.team: *` is false for a document with labels.team.id only
        leaf = self.types(field) not in (None, *OBJECT_SHAPED_TYPES) or self._keyed_flattened(field)

        def exists(event: Event) -> bool:
            value = event.get(field)
            if value is not None and (value.__class__ is not list or leaf_values(value)):
                return True
            # an object field exists when any field under it has a value
            return not leaf and any(leaf_values(v) for v in values_under(event, field))

        return exists

    def _Match(self, node: Match) -> Predicate:
        value = node.value
        if isinstance(value, Literal) and value.constant is None:
            raise KqlTypeError(f"{node.field}: null is sent to Elasticsearch as a null match value, which it "
                               "rejects; write `not {0}: *` for a missing field".format(node.field))
        if node.field_glob:
            if isinstance(value, Literal):
                # Kibana's detection engine has no field list to expand the pattern over (its data view is
                # `fields: []`): it sends `match`/`match_phrase` with the pattern as the field name, which no
                # mapped field has, so Elasticsearch matches nothing. A wildcard value is a `query_string`,
                # whose `fields` Elasticsearch does expand, and not leniently: a pattern that covers a number,
                # date or ip field fails the search ("Can only use prefix queries on keyword, text and
                # wildcard fields"), as Elasticsearch 8.19 answers.
                return lambda event: False
            pattern = field_glob(node.field)
            test_for = self._tests(node.field, value, lenient=False)
            return lambda event: any(pattern.fullmatch(k) and self.reachable(k)
                                     and any_value(test_for(k, event), field_values(event, k)) for k in list(event))
        return self._field_predicate(node.field, value)

    def _field_predicate(self, field: str, value: Literal | Wildcard) -> Predicate:
        kind = self.types(field)
        if kind == "flattened":  # every leaf value under the field is one of its keyword values
            test = self._test(kind, field, value)
            return lambda event: any(test(v) for v in flattened_values(event, field))
        if kind is not None and kind not in ("object", "nested"):
            test = self._test(kind, field, value)
            if kind in typed.KEYWORD_TYPES and isinstance(value, Literal) and not self._moves(kind, value):
                text = value.text

                def keyword_match(event: Event) -> bool:  # the common case, made fast
                    found = event.get(field)
                    if found.__class__ is str:
                        return found == text
                    return found is not None and any(test(v) for v in field_values(event, field))

                return keyword_match
            if self._moves(kind, value):
                self._test(kind, field, value)  # invalid date math fails the search, as in Elasticsearch
                return lambda event: any(self._test(kind, field, value)(v) for v in field_values(event, field))
            return lambda event: any(test(v) for v in field_values(event, field))
        if kind in ("object", "nested"):
            return lambda event: False  # a match on an object field matches no document
        # a field the mapping lacks is typed from its value, as dynamic mapping maps it: a value that type
        # rejects (`count: x*`, `count: abc` for a number) fails the search as on a mapped field
        test_for = self._tests(field, value, lenient=False)
        return lambda event: any_value(test_for(field, event), field_values(event, field))

    def _moves(self, kind: str, value: Any) -> bool:
        """Whether the test depends on the time (date math relative to `now`)."""
        return kind in typed.DATE_TYPES and value.text.strip().startswith("now")

    def _test(self, kind: str, field: str, value: Literal | Wildcard) -> typed.Test:
        if isinstance(value, Wildcard):
            return typed.wildcard_test(kind, value.parts, field)
        return typed.equality_test(kind, value.text, value.quoted, field, self.now() * 1000.0)

    def _tests(self, field: str, value: Any, lenient: bool) -> Any:
        """Per-value tests for fields typed from the document (lenient: a type that rejects the value
        does not match, as the lenient multi_match of a value without a field behaves)."""
        cache: dict[str, typed.Test] = {}

        def none(v: Any) -> bool:
            return False

        def test_for(name: str, event: Event) -> Any:
            def test(v: Any) -> bool:
                kind = self.types(name) or self.guess(name, v) or "keyword"
                key = f"{name}\x00{kind}"
                if key not in cache or self._moves(kind, value):
                    try:
                        cache[key] = self._test(kind, name, value)
                    except KqlTypeError:
                        if not lenient:
                            raise
                        cache[key] = none
                return cache[key](v)

            return test

        return test_for

    def _keyed_flattened(self, field: str) -> bool:
        root_of = getattr(self.types, "flattened_root", None)
        return root_of is not None and root_of(field) is not None

    def _Range(self, node: Range) -> Predicate:
        text = node.value.text
        if node.field_glob:
            return lambda event: False  # a `range` on the pattern as a field name (see _Match): no field has it
        if self._keyed_flattened(node.field):
            raise KqlTypeError(f"{node.field} is a key of a flattened field: Elasticsearch fails a range on it "
                               "([range] queries on keyed [flattened] fields must include both an upper and a "
                               "lower bound; KQL gives one)")
        kind = self.types(node.field)
        if kind is not None:
            test = typed.range_test(kind, node.op, text, node.field, self.now() * 1000.0)  # invalid: an error
            if kind == "flattened":  # the root of a flattened field: any key's value, compared as a keyword
                return lambda event: any(test(v) for v in flattened_values(event, node.field))
            if not self._moves(kind, node.value):
                return lambda event: any(test(v) for v in field_values(event, node.field))
        return lambda event: any(self._range_test(node.field, node, v)(v) for v in field_values(event, node.field))

    def _range_test(self, field: str, node: Range, sample: Any) -> typed.Test:
        # the type dynamic mapping gives the value; a bound that type rejects (`now-1x` on a date, `abc` on a
        # number) fails the search in Elasticsearch, it does not just match nothing
        kind = self.types(field) or self.guess(field, sample) or "keyword"
        return typed.range_test(kind, node.op, node.value.text, field, self.now() * 1000.0)

    def _FreeText(self, node: FreeText) -> Predicate:
        if isinstance(node.value, Wildcard) and not "".join(node.value.parts):
            # a lone `*`: Kibana sends query_string `*`, which Elasticsearch answers with every document
            # (those without any field too)
            return lambda event: True
        test_for = self._tests("", node.value, lenient=True)

        def free_text(event: Event) -> bool:
            return any(self.reachable(k) and any_value(test_for(k, event), field_values(event, k)) for k in list(event))

        return free_text

    def _Nested(self, node: Nested) -> Predicate:
        kind = self.types(node.path)
        # the default mapping does not know every integration's nested paths: there the query's word is taken
        # (the path's fields are then unknown to it too, so reachable from any scope)
        assumed = kind is None and getattr(self.types, "open_world", False)
        outer = self.scope
        self.scope = outer if assumed else node.path
        try:
            inner = self.compile(node.query)  # first: Kibana checks the group's fields before it sends the query
        finally:
            self.scope = outer
        if kind != "nested" and not assumed:  # dynamic mapping never makes a nested field: only a mapping can
            what = f"a {kind} field" if kind is not None else "not mapped"
            raise KqlTypeError(f"{node.path} is {what}, not nested: Elasticsearch fails a nested query on it "
                               f"([nested] failed to find nested object under path [{node.path}])")
        path, prefix = node.path, node.path + "."

        def nested(event: Event) -> bool:
            objects = event.get(path)
            if objects.__class__ is list and any(isinstance(o, dict) for o in objects):
                return any(inner(flatten(dict(o), prefix)) for o in objects if isinstance(o, dict))
            # a single object: its fields are the event's own; no object at all: no nested document to match
            return any(k.startswith(prefix) for k in event) and inner(event)

        return nested


def _utf16_length(text: str) -> int:
    """The length ignore_above measures: Java's, in UTF-16 code units (an emoji is two)."""
    return len(text) if text.isascii() else len(text.encode("utf-16-le")) // 2


def compile_kql(node: Node, types: TypeResolver | None = None, now: Callable[[], float] | None = None,
                fields: Sequence[str] | None = None) -> Predicate:
    """A parsed KQL tree as a predicate over flat (dotted-key) documents.

    `types` maps a field name to its Elasticsearch type (default: Mapping.default(), the field catalogue
    and the lab's templates; a Mapping also gives multi-fields, nested paths and normalizers); `now` gives
    the time `now` in date math means, in epoch seconds (default: the clock); `fields` is the data view's field list that Kibana expands wildcard
    field names over (default: none, as the detection engine's). Raises KqlTypeError for a value the
    field's type rejects, where Elasticsearch would fail the search."""
    if types is None:
        from ..mapping import Mapping

        types = Mapping.default()
    compiler = _Compiler(types, now or time.time, fields)
    predicate = compiler.compile(node)
    keys = compiler.keys_read(node)
    # answers kept per combination of the string values read, when nothing else decides them
    return predicate if keys is None else kept_per_strings(predicate, tuple(sorted(keys)))
