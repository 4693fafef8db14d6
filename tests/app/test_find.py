"""The search view (``/search?q=…``) through AppTest: one hit opens it, several are ranked and
grouped, none says what was searched; bad input gets a calm answer; recent searches and loads
are kept per user."""

from __future__ import annotations

import re
import uuid

from streamlit.testing.v1 import AppTest

from components import store
from components.shell import find_box

from ..sandboxes import Sandbox
from .conftest import open_expander, open_load, open_page, texts

SEARCH = "views/find.py"


def search(q: str) -> AppTest:
    return open_page(SEARCH, q=q)


def links(at: AppTest) -> list[str]:
    """The labels of the page's own links (the sidebar's menu left out)."""
    return [e.proto.label for e in at.main.get("page_link")]


def test_a_load_number_opens_its_load(configured: Sandbox, audit_db: object) -> None:
    load = configured.client.loads.list(page_size=1).data[0]
    at = search(f'  "{load.load_number}". ')
    assert at.title[0].value == f"Load {load.load_number}", texts(at)


def test_a_message_id_opens_the_message(configured: Sandbox, audit_db: object) -> None:
    ep = configured.client.webhooks.list_endpoints()[0]
    attempt = configured.client.webhooks.list_endpoint_attempts(ep.id).data[0]
    at = search(f"webhook-id: {attempt.message_id}")
    assert attempt.message_id in texts(at)
    assert at.query_params["message_id"] in (attempt.message_id, [attempt.message_id])


def test_a_term_matching_several_kinds_is_ranked_and_grouped(
    configured: Sandbox, audit_db: object
) -> None:
    customer = configured.client.loads.list(page_size=1).data[0].customer_name
    assert customer
    name = f"{customer} portal {uuid.uuid4().hex[:6]}"
    ep = configured.client.webhooks.create_endpoint(
        url=configured.receiver_url(configured.new_receiver()),
        event_types=["load.created"],
        description=name,
    )
    try:
        at = search(customer)
        groups = [s.value for s in at.subheader]
        assert [g.split(" · ")[0] for g in groups] == ["Loads", "Endpoints"], groups
        shown = texts(at)
        assert f"Matched: customer is {customer}" in shown.replace("\\", "")
        assert "description" in shown and name in shown.replace("\\", "")
        assert any(name in label.replace("\\", "") for label in links(at))
    finally:
        configured.client.webhooks.delete_endpoint(ep.id)


def test_nothing_found_says_what_was_searched_and_what_to_try(
    configured: Sandbox, audit_db: object
) -> None:
    at = search(f"evt_{uuid.uuid4()}")
    shown = texts(at)
    assert "Nothing found" in shown
    assert "the newest 500 delivery attempts of each of the" in shown
    assert "Paste the message id instead" in shown


def test_empty_input_asks_calmly_and_offers_recent(configured: Sandbox, audit_db: object) -> None:
    for q in ("", "   ", '""'):
        at = search(q) if q else open_page(SEARCH)
        assert "Type or paste anything into the box" in texts(at)
        assert not at.error


def test_a_very_long_term_is_cut_and_says_so(configured: Sandbox, audit_db: object) -> None:
    at = search("a" * 5_000)
    assert "That was 5,000 characters; only the first 200 were searched." in texts(at)
    assert not at.error


def test_markdown_and_html_are_shown_as_text(configured: Sandbox, audit_db: object) -> None:
    for q in ("**bold** [x](https://evil.example) ![i](https://evil.example/i.png)",
              "<script>alert(1)</script><img src=x onerror=alert(1)>"):  # fmt: skip
        at = search(q)
        assert not at.error
        for element in [*at.markdown, *at.warning, *at.caption]:
            value = str(element.value)
            assert "](https://" not in value and "**bold**" not in value
            assert not re.search(r"(?<!\\)<", value), value  # every < escaped: shown as text
        assert "Nothing found" in texts(at)


def test_a_sql_looking_string_is_just_text(configured: Sandbox, audit_db: object) -> None:
    at = search("'; DROP TABLE loads; -- OR 1=1")
    assert "Nothing found" in texts(at)
    assert not at.error and not at.exception
    assert configured.client.loads.list(page_size=1).pagination.total_count > 0


def test_an_id_of_an_unsearchable_kind_says_what_is(configured: Sandbox, audit_db: object) -> None:
    at = search(f"car_{uuid.uuid4()}")
    shown = texts(at)
    assert "is the id of a carrier, which the console cannot look up" in shown
    assert "msg\\_… \\(the webhook-id header\\)" in shown or "webhook-id header" in shown


def test_a_secret_is_never_searched_or_kept(configured: Sandbox, audit_db: object) -> None:
    at = search("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
    assert "Secrets are never searched" in texts(at)
    assert "MfKQ9r8G" not in texts(at)
    assert all("whsec" not in r.value for r in store.recent("local", None))


def test_another_organizations_ids_are_not_found_and_say_nothing_of_it(
    configured: Sandbox, audit_db: object
) -> None:
    theirs = configured.other.loads.list(page_size=1).data[0]
    ep = configured.other.webhooks.list_endpoints()[0]
    message = configured.other.webhooks.list_endpoint_attempts(ep.id).data[0].message_id
    for q in (theirs.id, theirs.load_number, message, ep.id):
        at = search(q)
        shown = texts(at)
        assert "Nothing found" in shown, q
        for secret in (theirs.customer_name, ep.url, ep.description, theirs.organization_id):
            assert not secret or secret not in shown.replace("\\", ""), q


def test_searches_and_opened_loads_become_recent(configured: Sandbox, audit_db: object) -> None:
    load = configured.client.loads.list(page_size=1).data[0]
    search("Dallas")
    open_load(load.id)
    at = open_page(SEARCH)

    def in_sidebar() -> list[str]:
        return [e.proto.label for e in at.sidebar.get("page_link")]

    assert "Dallas" not in in_sidebar()  # the sidebar's Recent panel draws its links once open
    open_expander(at, find_box.RECENT_KEY)
    assert "Dallas" in in_sidebar()
    labels = links(at)
    assert "Dallas" in labels and f"Load {load.load_number}" in [x.replace("\\", "")
                                                                 for x in labels]  # fmt: skip
    kinds = {(r.kind, r.value) for r in store.recent("local", None)}
    assert {("search", "Dallas"), ("load", load.id)} <= kinds
