"""EQL `sample` through the public API, as Elasticsearch's EQL docs and sample specs define it: events sharing
join key values, one per filter and each a different event, samples in ascending key order (a null first)."""

import pytest

from elastic_pack import eql

MAPPING = {"event.category": "keyword", "host": "keyword", "n": "long", "on": "boolean", "at": "date",
           "tags": "keyword", "x": "keyword"}


def ev(_id, category, **fields):
    return {"_id": _id, "event": {"category": category}, **fields}  # no @timestamp: a sample needs none


def samples(query, docs, size=10):
    hits = eql.search(query, docs, MAPPING, size=size)["hits"]
    return [(s.get("join_keys"), [e["_id"] for e in s["events"]]) for s in hits["sequences"]]


def test_a_key_needs_an_event_for_every_filter_and_samples_come_in_key_order():
    docs = [ev("b1", "process", host="b"), ev("a1", "process", host="a"), ev("a2", "network", host="a"),
            ev("c1", "process", host="c"), ev("b2", "network", host="b")]
    assert samples("sample by host [process where true] [network where true]", docs) == [
        (["a"], ["a1", "a2"]), (["b"], ["b1", "b2"])]  # c has no network event


def test_one_event_never_fills_two_filters():
    docs = [ev("only", "process", host="a")]
    assert samples("sample by host [process where true] [any where true]", docs) == []
    docs.append(ev("second", "file", host="a"))
    assert samples("sample by host [process where true] [any where true]", docs) == [(["a"], ["only", "second"])]


def test_order_does_not_matter_inside_a_sample():
    docs = [ev("late-filter-first", "network", host="a"), ev("p", "process", host="a")]
    assert samples("sample by host [process where true] [network where true]", docs) == [
        (["a"], ["p", "late-filter-first"])]


def test_size_bounds_the_samples_at_the_edge():
    docs = [ev(f"{k}{i}", c, host=k) for k in "abc" for i, c in enumerate(("process", "network"))]
    query = "sample by host [process where true] [network where true]"
    assert [k for k, _ in samples(query, docs, size=2)] == [["a"], ["b"]]
    assert len(samples(query, docs, size=3)) == 3
    assert samples(query, docs, size=0) == []


def test_a_missing_key_joins_only_when_optional_and_sorts_first():
    docs = [ev("p1", "process"), ev("n1", "network"), ev("p2", "process", x="k"), ev("n2", "network", x="k")]
    assert samples("sample by x [process where true] [network where true]", docs) == [(["k"], ["p2", "n2"])]
    assert samples("sample by ?x [process where true] [network where true]", docs) == [
        ([None], ["p1", "n1"]), (["k"], ["p2", "n2"])]


def test_each_value_of_a_multi_valued_key_is_a_key_and_types_order_keys():
    docs = [ev("p", "process", tags=["t2", "t1"]), ev("n", "network", tags="t1"), ev("m", "network", tags="t2")]
    assert samples("sample by tags [process where true] [network where true]", docs) == [
        (["t1"], ["p", "n"]), (["t2"], ["p", "m"])]
    docs = [ev("p9", "process", n=9), ev("n9", "network", n=9), ev("p10", "process", n=10),
            ev("n10", "network", n=10)]
    assert [k for k, _ in samples("sample by n [process where true] [network where true]", docs)] == [[9], [10]]
    docs = [ev("pt", "process", on=True), ev("nt", "network", on="true"), ev("pf", "process", on=False),
            ev("nf", "network", on=False)]
    assert samples("sample by on [process where true] [network where true]", docs) == [
        ([False], ["pf", "nf"]), ([True], ["pt", "nt"])]  # "true" in the source is the boolean true


def test_a_date_key_is_epoch_millis_and_one_in_a_custom_format_is_refused():
    docs = [ev("p", "process", at="2022-12-17T00:00:00Z"), ev("n", "network", at=1671235200000)]
    assert samples("sample by at [process where true] [network where true]", docs) == [([1671235200000], ["p", "n"])]
    docs[0]["at"] = "17-12-2022"  # only a mapping's own `format` reads this
    with pytest.raises(eql.UnsupportedQueryError, match="date"):
        samples("sample by at [process where true] [network where true]", docs)


def test_pipes_after_sample_are_refused():
    with pytest.raises(eql.UnsupportedQueryError, match="sample"):
        samples("sample by host [process where true] [network where true] | head 1", [])


def test_max_samples_per_key_takes_the_next_combinations_and_size_still_bounds_all():
    docs = [ev("p1", "process", host="a"), ev("p2", "process", host="a"), ev("p3", "process", host="a"),
            ev("n1", "network", host="a")]
    query = "sample by host [process where true] [network where true]"
    hits = eql.search(query, docs, MAPPING, max_samples_per_key=2)["hits"]["sequences"]
    assert [[e["_id"] for e in s["events"]] for s in hits] == [["p1", "n1"], ["p2", "n1"]]  # n1 in both
    hits = eql.search(query, docs, MAPPING, max_samples_per_key=5)["hits"]["sequences"]
    assert len(hits) == 3  # every combination there is
    assert len(eql.search(query, docs, MAPPING, size=2, max_samples_per_key=5)["hits"]["sequences"]) == 2
