"""Recent searches and loads in the console database, on both engines: newest first, one row per
value, ten of each kind, per user and per organization."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from components import store

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def test_the_newest_ten_of_each_kind_are_kept_newest_first(store_url: str) -> None:
    for n in range(12):
        store.remember("ann@x", "org_a", "search", f"term {n}", at=T0 + timedelta(minutes=n))
        store.remember("ann@x", "org_a", "load", f"load_{n}", f"LD{n}",
                       at=T0 + timedelta(minutes=n, seconds=30))  # fmt: skip
    found = store.recent("ann@x", "org_a")
    searches = [r.value for r in found if r.kind == "search"]
    loads = [(r.value, r.label) for r in found if r.kind == "load"]
    assert searches == [f"term {n}" for n in range(11, 1, -1)]
    assert loads == [(f"load_{n}", f"LD{n}") for n in range(11, 1, -1)]
    assert found[0].at == T0 + timedelta(minutes=11, seconds=30)


def test_using_a_value_again_moves_it_up_without_a_second_row(store_url: str) -> None:
    store.remember("ann@x", None, "search", "acme", at=T0)
    store.remember("ann@x", None, "search", "dallas", at=T0 + timedelta(minutes=1))
    store.remember("ann@x", None, "search", "acme", at=T0 + timedelta(minutes=2))
    assert [r.value for r in store.recent("ann@x", None)] == ["acme", "dallas"]


def test_each_user_and_organization_has_their_own(store_url: str) -> None:
    store.remember("ann@x", "org_a", "search", "ann's", at=T0)
    store.remember("bob@x", "org_a", "search", "bob's", at=T0)
    store.remember("ann@x", "org_b", "load", "load_b", "LDB", at=T0)
    assert [r.value for r in store.recent("ann@x", "org_a")] == ["ann's"]
    assert [r.value for r in store.recent("bob@x", "org_a")] == ["bob's"]
    assert [r.label for r in store.recent("ann@x", "org_b")] == ["LDB"]
    assert store.recent("ann@x", None) == []


def test_an_unknown_kind_is_refused(store_url: str) -> None:
    with pytest.raises(ValueError):
        store.remember("ann@x", None, "secret", "whsec_x")
