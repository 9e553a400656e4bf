"""ES|QL as Elasticsearch 8.19 verifies and answers it, for what the held-out csv-spec suite found (each checked
on the real 8.19 node): functions and syntax of later versions are errors, STATS expressions over the groups
alone, aggregates reading BY's aliases, WEIGHTED_AVG's constant forms, COUNT_DISTINCT's precision."""

from __future__ import annotations

import pytest

from elastic_pack.errors import QueryError, UnsupportedQueryError
from elastic_pack.esql import search

EMPLOYEES = [{"emp_no": 10001 + i, "languages": i % 3 + 1, "salary": 40000 + 1000 * (i % 4),
              "first_name": name} for i, name in enumerate(["Ann", "Bo", "Cy", "Di", "Eve", "Flo"])]
MAPPING = {"emp_no": "integer", "languages": "integer", "salary": "integer", "first_name": "keyword"}


def run(query: str, documents: list | None = None) -> dict:
    return search(query, EMPLOYEES if documents is None else documents, mapping=MAPPING)


def test_to_text_is_an_unknown_function_in_8_19():
    with pytest.raises(QueryError, match=r"Unknown function \[TO_TEXT\]"):
        run('ROW x = "a" | EVAL y = TO_TEXT(x)')
    assert run('ROW x = 1 | EVAL y = TO_STRING(x)')["values"] == [[1, "1"]]  # the 8.19 name


def test_rlike_takes_one_pattern_like_takes_a_list():
    with pytest.raises(QueryError, match="expecting QUOTED_STRING"):
        run('ROW x = "abc" | WHERE x RLIKE ("a.*", "b.*")')
    assert run('ROW x = "abc" | WHERE x RLIKE "a.*"')["values"] == [["abc"]]
    assert run('ROW x = "abc" | WHERE x LIKE ("a*", "b*")')["values"] == [["abc"]]
    assert run('ROW x = "abc" | WHERE x NOT LIKE ("a*", "b*")')["values"] == []


@pytest.mark.parametrize("query", ["ROW x = 1 | EVAL y = null IN (1)", "ROW x = 1 | EVAL y = x IN (null)",
                                   "FROM e | WHERE emp_no IN (null)"])
def test_in_with_one_value_null_on_one_side_is_a_verification_error(query):
    with pytest.raises(QueryError, match="IN with one value"):
        run(query)


@pytest.mark.parametrize("query, expected", [
    ("ROW x = 1 | EVAL y = x IN (null, 1)", True),  # two values: no longer an equality, null is unknown
    ("ROW x = 1 | EVAL y = x IN (null, null)", None),
    ("ROW x = 1 | EVAL y = null IN (null, 1)", None),
    ("ROW x = null | EVAL y = x IN (null)", None),  # null on both sides
    ("ROW x = 1 | EVAL y = x IN (1)", True),
])
def test_in_answers_as_the_node(query, expected):
    assert run(query)["values"][0][-1] is expected


def test_stats_expression_over_the_groups_alone():
    body = run("FROM e | STATS e = LENGTH(f) + 1 BY f = first_name | SORT f | LIMIT 2")
    assert body["values"] == [[4, "Ann"], [3, "Bo"]]
    assert [c["type"] for c in body["columns"]] == ["integer", "keyword"]
    with pytest.raises(QueryError, match=r"column \[languages\] must appear in the STATS BY clause"):
        run("FROM e | STATS e = languages BY f = first_name")
    with pytest.raises(QueryError, match="needs an aggregate"):
        run("ROW a = 1 | STATS x = 1")  # the node: expected an aggregate function but found [1]


def test_aggregates_over_a_by_alias_take_its_type():
    body = run("FROM e | STATS m = MAX(a), c = COUNT(a) BY a = languages + emp_no | SORT a | LIMIT 1")
    assert [c["type"] for c in body["columns"]] == ["integer", "long", "integer"]
    assert body["values"] == [[10002, 1, 10002]]


def test_weighted_avg_constant_forms_and_a_zero_weight():
    rows = [{"v": [1, 2, 3]}]
    body = search("FROM e | STATS a = WEIGHTED_AVG(v, 2), b = WEIGHTED_AVG([1, 2, 3], v)", rows,
                  mapping={"v": "integer"})
    assert body["values"] == [[2.0, 2.0]]  # a constant weight: AVG; a constant value: MV_AVG of it
    # over no rows: the constant value still answers (the node: 3.0), the average is null
    assert run("FROM e | WHERE emp_no < 0 | STATS a = WEIGHTED_AVG(3, salary), b = WEIGHTED_AVG(salary, 2)"
               )["values"] == [[3.0, None]]
    for weight in ("0", "null"):
        with pytest.raises(QueryError, match="cannot be null or 0"):
            run(f"FROM e | STATS w = WEIGHTED_AVG(salary, {weight})")


def test_count_distinct_precision_exact_up_to_the_threshold_refused_past_it():
    assert run("FROM e | STATS c = COUNT_DISTINCT(salary, 4)")["values"] == [[4]]  # at the threshold
    assert run("FROM e | STATS c = COUNT_DISTINCT(salary, 5)")["values"] == [[4]]  # one over
    with pytest.raises(UnsupportedQueryError, match="precision threshold 3"):
        run("FROM e | STATS c = COUNT_DISTINCT(salary, 3)")  # one under: Elasticsearch estimates


def test_sum_of_null_is_refused_by_name():
    with pytest.raises(UnsupportedQueryError, match="SUM of null"):
        run("ROW x = 1 | STATS s = SUM(null) | EVAL r = s + 1")
    assert run("FROM e | STATS s = SUM(1 + null)")["values"] == [[None]]
