"""The endpoint form's rules (components.domain.forms): every problem at once, keyed by field."""

from __future__ import annotations

import pytest

from components.domain import forms


def problems(*args: object, **kw: object) -> forms.Problems:
    with pytest.raises(forms.FormProblems) as caught:
        forms.endpoint_fields(*args, **kw)  # type: ignore[arg-type]
    assert isinstance(caught.value, ValueError)  # callers that catch ValueError still do
    return caught.value.problems


def test_every_problem_is_reported_by_field_in_the_forms_order() -> None:
    found = problems("ftp://files.example.com/x", [], "a description", "Host: x\nno colon\nX-Ok: 1")
    assert list(found) == ["url", "event_types", "headers"]  # the description is fine
    assert found["url"] == ["The endpoint URL must start with http:// or https://."]
    assert found["event_types"] == ["Choose at least one event type."]
    assert found["headers"] == [
        "Header line 1: 'Host' is set by Envoy or by HTTP itself and cannot be overridden.",
        "Header line 2 must look like 'Name: value'.",
    ]
    assert (
        forms.to_fix(found) == "4 things to fix: the URL, the event types and the custom headers."
    )


def test_one_problem_and_a_summary_that_agrees_with_it() -> None:
    found = problems("", ["load.created"], "", "")
    assert found == {"url": ["The endpoint URL is empty."]}
    assert forms.to_fix(found) == "1 thing to fix: the URL."


def test_valid_fields_are_returned_clean() -> None:
    fields = forms.endpoint_fields(
        " https://hooks.example.com/x ", ["load.created", " "], "  ", "X-Team: support\n\n"
    )
    assert fields == {
        "url": "https://hooks.example.com/x",
        "event_types": ["load.created"],
        "description": None,
        "headers": {"X-Team": "support"},
    }


def test_a_masked_header_keeps_its_value_or_asks_for_one() -> None:
    typed = f"Authorization: {forms.MASK}\nX-Source: envoy"
    kept = {"Authorization": "Bearer s3cret"}
    fields = forms.endpoint_fields("https://h.example.com", ["load.created"], "", typed, kept=kept)
    assert fields["headers"] == {"Authorization": "Bearer s3cret", "X-Source": "envoy"}
    found = problems("nope", ["load.created"], "", typed, kept={})
    assert found["headers"] == [
        "Header 'Authorization' is masked but has no value to keep: type one."
    ]
    assert list(found) == ["url", "headers"]


def test_too_many_headers() -> None:
    text = "\n".join(f"X-H{i}: v" for i in range(21))
    assert problems("https://h.example.com", ["a"], "", text) == {
        "headers": ["At most 20 custom headers."]
    }
    with pytest.raises(forms.FormProblems, match="Header line 1 must look like"):
        forms.parse_headers("oops")
