"""The find box's rules, pure: what a pasted term is (by prefix and shape, whatever surrounds
it), and how hits of several kinds are ranked into one list."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from components.domain import find
from components.domain.find import Kind
from envoy_api import Load, Stop, WebhookEndpoint

U = "3f8a1c2e-7b4d-4f9a-9d2e-1a2b3c4d5e6f"
T0 = datetime(2026, 12, 1, tzinfo=UTC)


def load(number: str, customer: str, carrier: str = "", cities: tuple[str, ...] = ()) -> Load:
    stops = [Stop.model_validate({"location": {"city": c}, "sequence": i})
             for i, c in enumerate(cities)]  # fmt: skip
    return Load(id=f"load_{number}", load_number=number, customer_name=customer,
                carrier_name=carrier, stops=stops, organization_id="org_a", created_at=T0,
                updated_at=T0)  # fmt: skip


@pytest.mark.parametrize(
    ("raw", "kind", "term"),
    [
        (f"load_{U}", Kind.LOAD, f"load_{U}"),
        (f"  LOAD_{U.upper()}. ", Kind.LOAD, f"load_{U}"),
        (U, Kind.UUID, U),
        (f'"msg_{U}".', Kind.MESSAGE, f"msg_{U}"),
        (f"webhook-id: msg_{U}", Kind.MESSAGE, f"msg_{U}"),
        (f"“evt_{U}”", Kind.EVENT, f"evt_{U}"),
        (f"'atmp_{U}',", Kind.ATTEMPT, f"atmp_{U}"),
        (f"ep_{U}", Kind.ENDPOINT, f"ep_{U}"),
        (f"call_{U}", Kind.CALL, f"call_{U}"),
        (f"esc_{U}", Kind.ESCALATION, f"esc_{U}"),
        ("https://hooks.example.com/envoy", Kind.URL, "https://hooks.example.com/envoy"),
        ("Dallas to Memphis", Kind.CITY_PAIR, "Dallas to Memphis"),
        ("Dallas → Memphis", Kind.CITY_PAIR, "Dallas → Memphis"),
        ("LD221934.", Kind.TEXT, "LD221934"),
        ("Acme Logistics", Kind.TEXT, "Acme Logistics"),
        ("'; DROP TABLE loads; --", Kind.TEXT, "; DROP TABLE loads; --"),
        ("   ", Kind.EMPTY, ""),
        ('""', Kind.EMPTY, ""),
        ("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", Kind.SECRET, ""),
    ],
)
def test_a_term_is_read_by_prefix_and_shape(raw: str, kind: Kind, term: str) -> None:
    query = find.read(raw)
    assert (query.kind, query.term) == (kind, term)


def test_a_pair_names_its_two_cities() -> None:
    assert find.read("Dallas -> Memphis, TN").pair == ("Dallas", "Memphis, TN")


def test_an_id_of_another_kind_says_which_kind_it_is() -> None:
    query = find.read(f"car_{U}")
    assert (query.kind, query.what) == (Kind.UNSEARCHABLE, "a carrier")
    assert find.read(f"zzz_{U}").kind is Kind.UNSEARCHABLE


def test_a_long_term_is_cut_and_says_so() -> None:
    query = find.read("x" * 5_000)
    assert query.cut and len(query.term) == find.LIMIT
    assert not find.read("x" * find.LIMIT).cut


def test_secrets_and_nothing_are_never_kept_as_recent() -> None:
    assert not find.read("whsec_abc").keepable
    assert not find.read("").keepable
    assert find.read("Acme").keepable


def test_a_term_matching_several_kinds_is_one_list_best_match_first() -> None:
    exact = load("LD100", "Acme")
    partial = load("LD200", "Acme Foods")
    city = load("LD300", "Zeta", cities=("Acmeville", "Austin"))
    ep = WebhookEndpoint(id="ep_1", url="https://acme.example/hook?token=s3cret",
                         description="Acme portal", status="ACTIVE")  # fmt: skip
    hits = [find.load_match(x, "acme") for x in (city, partial, exact)]
    hits.append(find.endpoint_match(ep, "acme"))  # type: ignore[arg-type]
    hits.append(find.message_hit("msg_1", "ep_1", "load.created", "message id", 100))
    groups = find.rank(hits)
    assert [g for g, _ in groups] == ["Messages", "Loads", "Endpoints"]
    loads = dict(groups)["Loads"]
    assert [h.label.split(" · ")[0] for h in loads] == ["Load LD100", "Load LD200", "Load LD300"]
    assert [h.why for h in loads] == [
        "customer is Acme",
        "customer Acme Foods contains “acme”",
        "a stop is in Acmeville",
    ]
    (endpoint,) = dict(groups)["Endpoints"]
    assert "s3cret" not in endpoint.label + endpoint.why  # the query string is never shown
    assert endpoint.label == "Endpoint Acme portal · Active"  # its status in words


def test_the_same_thing_found_twice_is_one_row_at_its_best() -> None:
    one = load("LD1", "Acme")
    groups = find.rank([find.load_match(one, "acme"), find.load_hit(one, "load id", 100)])
    assert [(h.why, h.score) for _, rows in groups for h in rows] == [("load id", 100)]


def test_a_city_pair_wants_both_cities_in_order() -> None:
    lane = load("LD1", "Acme", cities=("Dallas", "Tulsa", "Memphis"))
    assert find.pair_match(lane, "dallas", "memphis") is not None
    assert find.pair_match(lane, "memphis", "dallas") is None
