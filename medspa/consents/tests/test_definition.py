"""Definitions, conditions and answers: property tests over nested conditions, and the rules a
definition must follow."""

from __future__ import annotations

import copy

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from medspa.consents.definition import (
    answers_clean,
    condition_clean,
    definition_clean,
    evaluate,
    scores,
    visible_keys,
)
from medspa.consents.library import FITZPATRICK, LIBRARY
from medspa.core.errors import InvalidInput

KEYS = ("a", "b", "c", "d")
VALUES = ("yes", "no", "1", "5", "12")


@st.composite
def answer_sets(draw):
    return {k: draw(st.sampled_from(VALUES)) for k in KEYS if draw(st.booleans())}


leaf = (
    st.builds(
        lambda key, op, value: {"field": key, "op": op, "value": value},
        st.sampled_from(KEYS),
        st.sampled_from(["equals", "not_equals", "contains", "gt", "lt"]),
        st.sampled_from(VALUES),
    )
    | st.builds(lambda key: {"field": key, "op": "answered", "value": None}, st.sampled_from(KEYS))
    | st.builds(
        lambda key, values: {"field": key, "op": "in", "value": values},
        st.sampled_from(KEYS),
        st.lists(st.sampled_from(VALUES), min_size=1, max_size=3),
    )
)
conditions = st.recursive(
    leaf,
    lambda inner: (
        st.builds(lambda c: {"all": c}, st.lists(inner, min_size=1, max_size=3))
        | st.builds(lambda c: {"any": c}, st.lists(inner, min_size=1, max_size=3))
        | st.builds(lambda c: {"not": c}, inner)
    ),
    max_leaves=12,
)


def reference(condition, answers) -> bool:
    """An independent statement of the semantics, leaf by leaf."""
    if "all" in condition:
        return all(reference(c, answers) for c in condition["all"])
    if "any" in condition:
        return any(reference(c, answers) for c in condition["any"])
    if "not" in condition:
        return not reference(condition["not"], answers)
    answer = answers.get(condition["field"])
    op, value = condition["op"], condition["value"]
    if op == "answered":
        return answer is not None
    if op == "not_equals":
        return answer is None or float(answer) != float(value) if _numeric(answer, value) else answer != value
    if answer is None:
        return False
    if op == "equals":
        return float(answer) == float(value) if _numeric(answer, value) else answer == value
    if op == "in":
        return any(float(answer) == float(v) if _numeric(answer, v) else answer == v for v in value)
    if op == "contains":
        return value in answer
    if not _numeric(answer, value):
        return False
    return float(answer) > float(value) if op == "gt" else float(answer) < float(value)


def _numeric(*values) -> bool:
    try:
        [float(v) for v in values]
    except (TypeError, ValueError):
        return False
    return True


@settings(max_examples=400, deadline=None)
@given(conditions, answer_sets())
def test_evaluation_matches_the_reference(condition, answers):
    assert evaluate(condition, answers) == reference(condition, answers)


@settings(max_examples=200, deadline=None)
@given(conditions, answer_sets())
def test_double_negation_and_de_morgan(condition, answers):
    assert evaluate({"not": {"not": condition}}, answers) == evaluate(condition, answers)
    other = {"field": "a", "op": "answered", "value": None}
    left = evaluate({"not": {"all": [condition, other]}}, answers)
    right = evaluate({"any": [{"not": condition}, {"not": other}]}, answers)
    assert left == right


@settings(max_examples=200, deadline=None)
@given(conditions)
def test_the_validator_accepts_every_well_formed_condition(condition):
    known = {k: {"type": "short_text"} for k in KEYS}
    if _compares_text_as_number(condition):
        with pytest.raises(InvalidInput):
            condition_clean(copy.deepcopy(condition), "c", known)
    else:
        assert condition_clean(copy.deepcopy(condition), "c", known) == condition


def _compares_text_as_number(condition) -> bool:
    for key in ("all", "any"):
        if key in condition:
            return any(_compares_text_as_number(c) for c in condition[key])
    if "not" in condition:
        return _compares_text_as_number(condition["not"])
    return condition["op"] in ("gt", "lt") and not _numeric(condition["value"])


def _chain_definition(condition):
    """Four questions; the last is shown only when `condition` holds over the first three."""
    fields = [{"key": k, "label": k, "type": "short_text"} for k in ("a", "b", "c")]
    fields.append({"key": "d", "label": "d", "type": "short_text", "show_if": condition})
    return definition_clean({"sections": [{"key": "s", "title": "S", "fields": fields}]})


abc_conditions = st.recursive(
    st.builds(
        lambda key, op, value: {"field": key, "op": op, "value": value},
        st.sampled_from(("a", "b", "c")),
        st.sampled_from(["equals", "not_equals", "contains"]),
        st.sampled_from(VALUES),
    )
    | st.builds(
        lambda key, op, value: {"field": key, "op": op, "value": value},
        st.sampled_from(("a", "b", "c")),
        st.sampled_from(["gt", "lt"]),
        st.sampled_from(("1", "5", "12")),
    ),
    lambda inner: (
        st.builds(lambda c: {"any": c}, st.lists(inner, min_size=1, max_size=3))
        | st.builds(lambda c: {"not": c}, inner)
    ),
    max_leaves=8,
)


@settings(max_examples=200, deadline=None)
@given(abc_conditions, answer_sets())
def test_hidden_answers_are_dropped_and_never_influence_others(condition, answers):
    definition = _chain_definition(condition)
    clean = answers_clean(definition, answers)
    shown = evaluate(condition, {k: v for k, v in answers.items() if k in ("a", "b", "c")})
    assert ("d" in clean.shown) == shown
    assert ("d" in clean.answers) == (shown and "d" in answers)
    # Whatever the hidden field held, the visible answers are the same.
    assert {k: v for k, v in clean.answers.items() if k != "d"} == {k: v for k, v in answers.items() if k != "d"}


def test_a_hidden_section_hides_its_fields_and_their_dependants():
    definition = definition_clean(
        {
            "sections": [
                {"key": "one", "title": "One", "fields": [{"key": "pregnant", "label": "P", "type": "yes_no"}]},
                {
                    "key": "two",
                    "title": "Two",
                    "show_if": {"field": "pregnant", "op": "equals", "value": "yes"},
                    "fields": [{"key": "weeks", "label": "Weeks", "type": "number"}],
                },
                {
                    "key": "three",
                    "title": "Three",
                    "fields": [
                        {
                            "key": "note",
                            "label": "N",
                            "type": "short_text",
                            "show_if": {"field": "weeks", "op": "answered"},
                        },
                    ],
                },
            ]
        }
    )
    assert visible_keys(definition, {"pregnant": "no", "weeks": "12", "note": "x"}) == ["pregnant"]
    assert visible_keys(definition, {"pregnant": "yes", "weeks": "12"}) == ["pregnant", "weeks", "note"]


@pytest.mark.parametrize(
    ("definition", "where"),
    [
        ({"sections": []}, "sections"),
        (
            {"sections": [{"key": "s", "fields": [{"key": "Bad Key", "label": "x", "type": "short_text"}]}]},
            "sections.0.fields.0.key",
        ),
        (
            {"sections": [{"key": "s", "fields": [{"key": "a", "label": "x", "type": "single_choice"}]}]},
            "sections.0.fields.0.options",
        ),
        (
            {
                "sections": [
                    {
                        "key": "s",
                        "fields": [
                            {
                                "key": "a",
                                "label": "x",
                                "type": "short_text",
                                "show_if": {"field": "b", "op": "answered"},
                            },
                            {"key": "b", "label": "y", "type": "short_text"},
                        ],
                    }
                ]
            },
            "sections.0.fields.0.show_if",
        ),
        (
            {
                "sections": [
                    {
                        "key": "s",
                        "fields": [
                            {"key": "a", "label": "x", "type": "short_text"},
                            {"key": "a", "label": "y", "type": "short_text"},
                        ],
                    }
                ]
            },
            "sections.0.fields.1.key",
        ),
        (
            {"sections": [{"key": "s", "fields": [{"key": "a", "label": "x", "type": "acknowledgement"}]}]},
            "sections.0.fields.0.text",
        ),
        (
            {
                "sections": [
                    {
                        "key": "s",
                        "fields": [{"key": "a", "label": "x", "type": "short_text", "permission": "marketing"}],
                    }
                ]
            },
            "sections.0.fields.0.permission",
        ),
    ],
)
def test_definition_errors_name_their_place(definition, where):
    with pytest.raises(InvalidInput) as raised:
        definition_clean(definition)
    assert where in raised.value.fields


def test_conditions_cannot_nest_without_limit():
    deep = {"field": "a", "op": "answered"}
    for _ in range(10):
        deep = {"not": deep}
    with pytest.raises(InvalidInput):
        condition_clean(deep, "c", {"a": {"type": "short_text"}})


def test_every_library_form_is_valid():
    for spec in LIBRARY.values():
        assert definition_clean(spec["definition"])["sections"]


@pytest.mark.parametrize(
    ("choice", "expected"),
    [(0, "I"), (1, "II"), (2, "III"), (3, "IV"), (4, "VI")],
)
def test_fitzpatrick_score_gives_the_type(choice, expected):
    definition = definition_clean(FITZPATRICK)
    fields = definition["sections"][0]["fields"]
    answers = {f["key"]: f["options"][choice] for f in fields}
    assert scores(definition, answers)["fitzpatrick"]["result"] == expected


def test_answers_are_validated_by_type():
    definition = definition_clean(
        {
            "sections": [
                {
                    "key": "s",
                    "title": "S",
                    "fields": [
                        {"key": "n", "label": "N", "type": "number"},
                        {"key": "d", "label": "D", "type": "date"},
                        {"key": "y", "label": "Y", "type": "yes_no"},
                        {"key": "m", "label": "M", "type": "multi_choice", "options": ["x", "z"]},
                        {"key": "sc", "label": "S", "type": "scale", "min": 1, "max": 5},
                    ],
                }
            ]
        }
    )
    with pytest.raises(InvalidInput) as raised:
        answers_clean(definition, {"n": "abc", "d": "2024-02-30", "y": "maybe", "m": ["q"], "sc": 9})
    assert set(raised.value.fields) == {"answers.n", "answers.d", "answers.y", "answers.m", "answers.sc"}
    clean = answers_clean(definition, {"n": "1.50", "d": "2024-02-29", "y": True, "m": ["z", "x"], "sc": "3"})
    assert clean.answers == {"n": "1.5", "d": "2024-02-29", "y": "yes", "m": ["x", "z"], "sc": 3}
