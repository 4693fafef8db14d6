"""The finish: every table's timestamps use the one format, counts agree with their nouns, and
Activity says what happened in words, with organization names."""

from __future__ import annotations

import json

from components.domain.formats import TIME_FORMAT
from components.domain.rights import User
from components.ops import actions, audit
from components.widgets import tables, ui

from ..sandboxes import Sandbox
from .conftest import frame_with, new_app, open_load, open_page, run_app


def datetime_formats(at) -> set[str]:  # type: ignore[no-untyped-def]
    """The format of every timestamp column of every table on the page, as the browser gets it."""
    found = set()
    for table in at.dataframe:
        config = json.loads(table.proto.columns or "{}")
        for column in config.values():
            if column.get("type_config", {}).get("type") == "datetime":
                found.add(column["type_config"].get("format"))
    return found


def test_every_table_shows_times_in_the_one_format(configured: Sandbox, audit_db) -> None:  # type: ignore[no-untyped-def]
    api = configured.client
    down = next(e for e in api.webhooks.list_endpoints() if e.url.endswith("/down"))
    message = api.webhooks.list_endpoint_attempts(down.id).data[0].message_id
    load = api.loads.list(tab="active_escalations").data[0]
    pages = [
        open_page("views/load_list.py"),
        open_load(load.id),
        open_page("views/delivery_log.py", endpoint_id=down.id, window="all"),
        open_page("views/delivery_log.py", endpoint_id=down.id, message_id=message),
    ]
    formats = set().union(*(datetime_formats(at) for at in pages))
    assert formats == {TIME_FORMAT} == {"MMM D, HH:mm"}


def test_counts_agree_with_their_nouns() -> None:
    assert ui.count(1, "message") == "1 message"
    assert ui.count(2, "message") == "2 messages"
    assert ui.count(1_200, "entry", "entries") == "1,200 entries"


def test_activity_says_what_in_words_with_names(configured: Sandbox, audit_db) -> None:  # type: ignore[no-untyped-def]
    api = configured.client
    down = next(e for e in api.webhooks.list_endpoints() if e.url.endswith("/down"))
    message = api.webhooks.list_endpoint_attempts(down.id).data[0].message_id
    at = run_app(new_app())
    ctx = at.session_state["_frame"].ctx  # the context the console's run made
    lead = User("lead@broker.example", "Lead", is_admin=True, signed_in=True)
    actions.replay(ctx, lead, message, down.id, load_id="load_0b1c2d3e-4f5a-4b6c-8d7e-9f0a1b2c3d4e")
    at = open_page("views/activity_log.py")
    row = frame_with(at, "What").iloc[0]
    assert row["Action"] == "Replay"
    assert row["What"] == (f"message {message} to Legacy EDI bridge (receiver down) about load "
                           "load_0b1c2d3e-4f5a-4b6c-8d7e-9f0a1b2c3d4e")  # fmt: skip
    assert row["Load"].startswith("load?load_id=load_0b1c2d3e")
    assert audit.describe("bulk replay", {"endpoint_id": "ep_x", "messages": 1}, {}) == (
        "1 message to ep_x"
    )


def empty_cells(at) -> list[str]:  # type: ignore[no-untyped-def]
    """Cells the browser would draw as "None": missing values outside bar, line and link
    columns (which draw nothing for them)."""
    found = []
    for n, table in enumerate(at.dataframe):
        config = json.loads(table.proto.columns or "{}")
        drawn_empty = {name for name, c in config.items()
                       if c.get("type_config", {}).get("type") in tables.KEEP_EMPTY}  # fmt: skip
        frame = table.value
        for name in frame.columns:
            if str(name) not in drawn_empty and frame[name].isna().any():
                found.append(f"table {n} ({table.proto.id[:20]}): {name}")
    return found


def test_no_table_cell_says_none(configured: Sandbox, audit_db) -> None:  # type: ignore[no-untyped-def]
    api = configured.client
    down = next(e for e in api.webhooks.list_endpoints() if e.url.endswith("/down"))
    message = api.webhooks.list_endpoint_attempts(down.id).data[0].message_id
    info = configured.extras.info()
    story = info["stories"][info["organizations"][0]["id"]]["divergent"]
    pages = {
        "attention": run_app(new_app()),
        "loads": open_page("views/load_list.py"),
        "load": open_load(story),
        "webhooks": open_page("views/webhook_endpoints.py"),
        "deliveries": open_page("views/delivery_log.py", endpoint_id=down.id, window="all"),
        "message": open_page("views/delivery_log.py", endpoint_id=down.id, message_id=message),
        "activity": open_page("views/activity_log.py"),
    }
    for name, at in pages.items():
        assert not empty_cells(at), (name, empty_cells(at))
