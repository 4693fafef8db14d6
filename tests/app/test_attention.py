"""The attention board on the seeded sandbox: the down endpoint ranks first with the loads its
undelivered messages are about (as the API tells them), escalations oldest first, verifications
of the last 7 days, each row one click from its detail."""

from __future__ import annotations

import importlib
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from components import data, store
from components.domain import deliveries
from components.ops import warm

from ..sandboxes import Sandbox
from .conftest import frame_with, new_app, open_page, run_app, texts


def undelivered_loads(sb: Sandbox, endpoint_id: str) -> set[str]:
    """What the API says: loads of the messages whose newest attempt in the last 24 h failed."""
    hour = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    rows = list(sb.client.webhooks.list_endpoint_attempts(
        endpoint_id, since=hour - timedelta(hours=24), page_size=100).iter_all())  # fmt: skip
    return {s.load_id for s in deliveries.message_states(rows) if s.needs_recovery and s.load_id}


def test_the_down_endpoint_ranks_first_with_the_apis_loads_affected(configured: Sandbox) -> None:
    at = run_app(new_app())  # the landing page
    assert at.title[0].value == "Needs attention"
    table = frame_with(at, "Loads affected")
    down = next(e for e in configured.client.webhooks.list_endpoints() if e.url.endswith("/down"))
    first = table.iloc[0]
    # Failing, or Disabled once the sandbox auto-disabled it after 20 DEAD (other tests add them)
    assert first["id"] == down.id and first["State"] in (["Failing"], ["Disabled"])
    assert first["Loads affected"] == len(undelivered_loads(configured, down.id)) > 0
    assert first["Window"] == "last 24 h"
    assert first["Open"].startswith(f"deliveries?endpoint_id={down.id}&status=undelivered")
    ranks = [(-u, -n) for u, n in zip(table["Moving or escalated"], table["Loads affected"],
                                      strict=True)]  # fmt: skip
    assert ranks == sorted(ranks)  # most impact first


def test_escalations_wait_oldest_first_and_open_their_load(configured: Sandbox) -> None:
    at = run_app(new_app())
    escalated = list(configured.client.loads.list(tab="active_escalations",
                                                  page_size=100).iter_all())  # fmt: skip
    expected = sorted(
        ((e.created_at, x.load_number) for x in escalated
         for e in configured.client.loads.active_escalations(x.id)),
    )  # fmt: skip
    table = frame_with(at, "Waiting")
    assert list(table["Load"]) == [n for _, n in expected]
    assert f"Active escalations · {len(expected)}" in texts(at)
    link = table["Open"].iloc[0]
    load_id = link.split("load_id=")[1]
    opened = open_page("views/load_detail.py", load_id=load_id)
    assert opened.title[0].value == f"Load {table['Load'].iloc[0]}"


def test_old_loads_links_still_open_the_loads_list(configured: Sandbox) -> None:
    at = new_app()
    at.query_params["tab"] = "delivered"
    run_app(at)
    assert at.button_group(key="loads_tab").value == "delivered"


def test_the_board_kept_warm_opens_without_a_read_of_its_own(
    configured: Sandbox, audit_db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = open_page("views/attention.py")  # an agent opened the board: it is kept warm
    ctx = at.session_state["_frame"].ctx
    monkeypatch.setattr(warm, "_active", {})  # only this test's organization
    warm.note(ctx)
    data.clear_caches()  # everything expired, as after a minute
    assert warm.warm_once() >= 1  # the replica's thread refreshes it ...
    configured.reset_stats()
    at = open_page("views/attention.py")  # ... so the next agent's click reads nothing
    board_reads = {r: n for r, n in configured.stats()["routes"].items() if "/api/v1/" in r}
    assert board_reads == {}, board_reads
    assert "Needs attention" in texts(at)
    # A change made through the console makes it stale; the thread fetches it again.
    store.bump(ctx.organization_id)
    configured.reset_stats()
    warm.warm_once()
    assert "GET /api/v1/webhooks/endpoints/{endpoint_id}/messages" in configured.stats()["routes"]
    configured.reset_stats()
    open_page("views/attention.py")
    board_reads = {r: n for r, n in configured.stats()["routes"].items() if "/api/v1/" in r}
    assert board_reads == {}, board_reads


boards = importlib.import_module("components.data.board")  # data.board is the function


@pytest.fixture
def made(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """The boards made (each ``_board`` call's context), as they are made."""
    made: list[object] = []
    real = boards._board

    def counted(ctx: object) -> object:
        made.append(ctx)
        return real(ctx)

    monkeypatch.setattr(boards, "_board", counted)
    return made


def test_the_board_is_made_once_per_data_version_for_every_agent(
    configured: Sandbox, audit_db: Path, made: list[object]
) -> None:
    """Agents' reruns share one board until a piece of it expires or a change makes it stale;
    each run still says how old its data is."""
    from components.data.cache import FETCHED

    first = open_page("views/attention.py")
    assert len(made) == 1
    ctx = first.session_state["_frame"].ctx
    assert data.board_ready(ctx)  # the next agent's run shows it without a spinner
    second = open_page("views/attention.py")  # another agent, the same data
    assert len(made) == 1
    assert texts(second) == texts(first)
    assert second.session_state[FETCHED], "the second run records its data's age too"
    store.bump(ctx.organization_id)  # a change through the console
    open_page("views/attention.py")
    assert len(made) == 2
    # A change through this replica whose stamp could not be raised (the console's database
    # away): the replica's generation of the organization's webhooks says the board is stale.
    importlib.import_module("components.data.cache")._changed(ctx)
    assert not data.board_ready(ctx)
    open_page("views/attention.py")
    assert len(made) == 3
    boards.forget_boards()
    assert not data.board_ready(ctx)  # the next run makes it: the spinner shows


def test_the_warm_thread_makes_the_board_again_before_it_is_due(
    configured: Sandbox, audit_db: Path, made: list[object], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A little before a piece of the board expires, the replica's thread fetches it again and
    makes the board anew, so no agent's rerun finds it expired and makes it while they wait."""
    cache = importlib.import_module("components.data.cache")
    monkeypatch.setattr(warm, "_active", {})  # only this test's organization
    data.clear_caches()  # every piece of the board is fetched now
    at = open_page("views/attention.py")
    ctx = at.session_state["_frame"].ctx
    warm.note(ctx)
    assert len(made) == 1

    def clock(shift: timedelta) -> None:
        class Later(datetime):
            @classmethod
            def now(cls, tz: Any = None) -> Any:
                return datetime.now(tz) + shift

        monkeypatch.setattr(cache, "datetime", Later)

    # Nearly a minute on: the board is still good, but due before the thread's next round.
    clock(timedelta(seconds=data.TTL) - warm.AHEAD / 2)
    assert data.board_ready(ctx)
    configured.reset_stats()
    warm.warm_once()
    assert len(made) == 2, "the thread made the board again ahead of its expiry"
    routes = configured.stats()["routes"]
    assert "GET /api/v1/webhooks/endpoints" in routes, "with its expiring pieces fetched again"
    # Past the first board's expiry, an agent's click finds the new one made: nothing to read.
    clock(timedelta(seconds=data.TTL) + timedelta(seconds=1))
    assert data.board_ready(ctx)
    configured.reset_stats()
    open_page("views/attention.py")
    assert len(made) == 2
    reads = {r: n for r, n in configured.stats()["routes"].items() if "/api/v1/" in r}
    assert reads == {}, reads


def test_agents_on_the_board_share_its_tables_made_once(
    configured: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The board's three tables are made into Arrow once for the same cells: the next agent's
    run (and the same agent's next) makes none, and shows the same rows."""
    from components.widgets import tables

    made: list[list[str]] = []
    real = tables._arrow

    def counted(frame: Any, config: dict[str, Any]) -> Any:
        made.append(list(frame.columns))
        return real(frame, config)

    monkeypatch.setattr(tables, "_arrow", counted)
    tables._made.clear()
    columns = ("Loads affected", "Waiting", "Reasons")  # one of each table
    first = run_app(new_app())
    assert len(made) == 3  # the endpoints in trouble, the escalations, the verifications
    assert set(columns) <= {c for cols in made for c in cols}
    for _ in range(5):
        count = len(made)
        second = run_app(new_app())  # another agent
        if all(frame_with(second, c).equals(frame_with(first, c)) for c in columns):
            assert len(made) == count  # the same cells: nothing made
            return
        first = second  # an age moved on between the two runs: its table was made anew
    pytest.fail("every pair of runs drew different cells")
