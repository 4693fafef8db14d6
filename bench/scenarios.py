"""The measurements of ``make bench``: each seeds or reuses a sandbox, measures one target side
by side (large against small, or against a request's own latency) and returns its ``Result``."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from contextlib import ExitStack
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

from bench.harness import (
    Box,
    Result,
    app_page,
    clear_caches,
    console_env,
    median_time,
    medians_in_turn,
    rss_mb,
    sandbox,
)
from envoy_api import EnvoyClient


def load_detail(box: Box, repeat: int) -> Result:
    from components import data
    from components.data.connection import Connection

    latency = 0.2
    load_id = box.client.loads.list(tab="active_escalations").data[0].id
    conn = Connection(kind="remote", base_url=box.base_url, api_key=box.api_key)
    box.fault(route="*", latency_ms=latency * 1000)
    nonce = iter(range(10_000, 20_000))
    try:
        wall = median_time(lambda: data.load_detail(data.register(conn, None, next(nonce)),
                                                    load_id), repeat)  # fmt: skip
    finally:
        box.clear_faults()
    ratio = wall / latency
    return Result("load detail fetch (4 requests, 200 ms each)", f"{ratio:.2f}", "≤ 1.3",
                  ratio <= 1.3, notes=[f"median {wall * 1000:.0f} ms"])  # fmt: skip


def warm_rerun(box: Box) -> Result:
    client = box.client
    load_id = client.loads.list(tab="active_escalations").data[0].id
    endpoint = next(e for e in client.webhooks.list_endpoints() if e.url.endswith("/down"))
    message_id = client.webhooks.list_endpoint_attempts(endpoint.id).data[0].message_id
    pages: list[tuple[str, str | None, dict[str, str]]] = [
        ("Needs attention", None, {}),
        ("Loads", "views/load_list.py", {}),
        ("Load", "views/load_detail.py", {"load_id": load_id}),
        ("Webhook endpoints", "views/webhook_endpoints.py", {}),
        ("Deliveries", "views/delivery_log.py", {"endpoint_id": endpoint.id}),
        ("Message", "views/delivery_log.py", {"endpoint_id": endpoint.id,
                                            "message_id": message_id}),
        ("Event types", "views/event_catalogue.py", {}),
    ]  # fmt: skip
    counts = {}
    with console_env(box):
        for name, path, query in pages:
            at = app_page(path, **query)
            # A page that refetches on every rerun asks both times; an entry that merely
            # expired between the two runs (a busy machine, the hour's health key) asks once.
            asked = []
            for _ in range(2):
                box.reset_stats()
                at.run()
                asked.append(sum(box.stats().values()))
                if asked[-1] == 0:
                    break
            counts[name] = min(asked)
    worst = max(counts.values())
    detail = ", ".join(f"{k} {v}" for k, v in counts.items())
    return Result("warm rerun: requests per page", str(worst), "0 on every page", worst == 0,
                  timing=False, notes=[detail])  # fmt: skip


def loads_at_scale(small: Box, big: Box, repeat: int) -> Result:
    """The Loads page's first render (caches cleared) against a sandbox of ``big`` loads and
    one of ``small``, in turn (``medians_in_turn``)."""
    runs = []
    for box in (small, big):
        with console_env(box):
            at = app_page("views/load_list.py")  # the landing page ran first; not measured
            first_render(at)  # warm the interpreter's imports, not the data cache
        runs.append(partial(_in_env, box, first_render, at))
    rounds = 2 * repeat + 1
    a, b = medians_in_turn(runs, rounds)
    ratio = b / a
    return Result("Loads page first render, large ÷ small sandbox", f"{ratio:.2f}", "≤ 1.5",
                  ratio <= 1.5, notes=[f"medians of {rounds}, in turn: {a * 1000:.0f} ms vs "
                                       f"{b * 1000:.0f} ms"])  # fmt: skip


def _in_env(box: Box, fn: Callable[..., Any], *args: Any) -> None:
    with console_env(box):
        fn(*args)


def tab_counts_at_scale(small: Box, big: Box, repeat: int) -> Result:
    a = median_time(small.client.loads.tab_counts, repeat)
    b = median_time(big.client.loads.tab_counts, repeat)
    ratio = b / a
    return Result("GET /loads/tab-counts median, large ÷ small", f"{ratio:.2f}", "≤ 2",
                  ratio <= 2, notes=[f"{a * 1000:.1f} ms vs {b * 1000:.1f} ms"])  # fmt: skip


def full_export(box: Box, rows: int, repeat: int) -> Result:
    from components import data
    from components.data.connection import Connection

    conn = Connection(kind="remote", base_url=box.base_url, api_key=box.api_key)
    ctx = data.register(conn, None)
    total = box.client.loads.list(page_size=1).pagination.total_count
    assert total >= rows, (total, rows)
    pages = -(-total // 100)
    # A real API is across a network: 50 ms a request stands in for it.
    box.fault(route="*", latency_ms=50)
    try:
        one = median_time(lambda: box.client.loads.list(page=2, page_size=100), repeat * 3)
        got: list[int] = []
        wall = median_time(lambda: got.append(sum(len(r) for r, _, _ in data.iter_all_loads(
            ctx, tab=None, search=None))), repeat)  # fmt: skip
    finally:
        box.clear_faults()
    ratio = wall / (pages * one)
    ok = ratio <= 0.5 and got[-1] == total
    return Result(f"CSV export of {total:,} rows ÷ (pages × one page)", f"{ratio:.2f}", "≤ 0.5",
                  ok, notes=[f"{pages} pages; one page {one * 1000:.0f} ms; export "
                             f"{wall:.2f} s; 50 ms latency per request"])  # fmt: skip


def endpoint_health(box: Box, endpoints: int) -> Result:
    from components import data

    client = box.client
    have = len(client.webhooks.list_endpoints())
    for i in range(endpoints - have):
        client.webhooks.create_endpoint(url=f"https://bench-{i}.example.com/hooks",
                                        event_types=["load.created"])  # fmt: skip
    with console_env(box):
        clear_caches()
        box.reset_stats()
        at = app_page("views/webhook_endpoints.py")
        route = "GET /api/v1/webhooks/endpoints/{endpoint_id}/messages"
        first = box.stats().get(route, 0)
        box.reset_stats()
        at.run()
        again = box.stats().get(route, 0)
    per = first / endpoints
    pages = data.HEALTH_PAGES
    return Result(f"endpoint health requests, {endpoints} endpoints", f"{per:.2f} per endpoint, "
                  f"then {again}", f"≤ {pages} per endpoint (its newest 24 h, bounded), then "
                  "cached", per <= pages and again == 0, timing=False)  # fmt: skip


def sender(tmp: Path, events: int) -> Result:
    with sandbox(tmp, "sender", loads=10, seed_history=False, sender_workers=8,
                 sender_poll_interval=0.02) as box:  # fmt: skip
        client = box.client
        ep = client.webhooks.create_endpoint(url=box.extras.receiver_url("bench-ok"),
                                             event_types=["load.created"])  # fmt: skip
        started = time.perf_counter()
        data = {"load_id": "load_00000000-0000-4000-8000-000000000001", "load_number": "B1"}
        for _ in range(events):
            box.extras.emit("load.created", data)
        deadline = time.monotonic() + max(120, events / 20)
        done = 0
        while time.monotonic() < deadline:
            page = client.webhooks.list_endpoint_attempts(ep.id, status="SUCCEEDED",
                                                          page_size=1)  # fmt: skip
            done = page.pagination.total_count
            if done >= events:
                break
            time.sleep(0.5)
        wall = time.perf_counter() - started
        received = box.extras.received("bench-ok", limit=1)
    lost = events - received["distinct_webhook_ids"]
    duplicated = received["count"] - received["distinct_webhook_ids"]
    return Result(f"webhook sender, {events:,} events", f"{lost} lost, {duplicated} duplicated, "
                  f"{events / wall:,.0f} deliveries/s", "0 lost, 0 duplicated",
                  lost == 0 and duplicated == 0 and done == events, timing=False)  # fmt: skip


def memory(box: Box, loads: int) -> Result:
    ids = [x.id for x in box.client.loads.list(page_size=100).iter_all()][:loads]
    marks: dict[int, float] = {}
    with console_env(box):
        clear_caches()
        for n, load_id in enumerate(ids, start=1):
            app_page("views/load_detail.py", load_id=load_id)
            if n % max(1, loads // 4) == 0 or n == loads:
                marks[n] = rss_mb()
    first = marks[min(marks)]
    last = marks[max(marks)]
    growth = last - first
    detail = ", ".join(f"{n}: {mb:.0f} MB" for n, mb in marks.items())
    return Result(f"RSS after browsing {loads} loads", f"{last:.0f} MB (+{growth:.0f} MB after "
                  f"the first {min(marks)})", "reported; flat after the first quarter",
                  growth < 40, notes=[detail])  # fmt: skip


def load_story(box: Box, many: int, few: int, repeat: int) -> Result:
    """The load page (timeline, what each receiver last heard, its chart and tables) rerun on
    warm data, for a load with ``many`` messages against one with ``few``."""
    client = box.client
    loads = client.loads.list(tab="delivered", page_size=2).data  # no seeded story on them
    counts = []
    for load, n in zip(loads, (many, few), strict=True):
        data = {"load_id": load.id, "load_number": load.load_number}
        for k in range(n):  # one status change in ten: reaches every endpoint, like life
            kind = "load.status_changed" if k % 10 == 0 else "offer.created"
            box.extras.emit(kind, data | {"from_status": "At Delivery", "to_status": "Delivered"})
        counts.append(len({a.message_id for ep in client.webhooks.list_endpoints()
                           for a in _all_attempts(client, ep.id, load.id)}))  # fmt: skip

    rounds = 2 * repeat + 1
    with console_env(box):
        clear_caches()
        pages = [app_page("views/load_detail.py", load_id=x.id) for x in loads]  # warm after
        big, small = medians_in_turn([at.run for at in pages], rounds)
    ratio = big / small
    return Result(f"load story render, {counts[0]:,} ÷ {counts[1]:,} messages", f"{ratio:.2f}",
                  "≤ 1.5", ratio <= 1.5,
                  notes=[f"medians of {rounds}, in turn: {big * 1000:.0f} ms vs "
                         f"{small * 1000:.0f} ms per rerun"])  # fmt: skip


def _fill_attempts(box: Box, db_path: Path, endpoint_id: str, count: int) -> None:
    """``count`` attempts on ``endpoint_id`` over the last 20 hours, written straight into the
    sandbox's database (as its sender would have): half the messages failed once then
    succeeded, one in ten died."""
    import json
    import sqlite3

    org = box.client.webhooks.retrieve_endpoint(endpoint_id).organization_id
    loads = [x.id for x in box.client.loads.list(page_size=100).data]
    now = datetime.now(UTC)
    conn = sqlite3.connect(db_path, timeout=60)
    made = 0
    n = 0
    while made < count:
        messages, attempts = [], []
        for _ in range(min(20_000, count - made)):
            n += 1
            at = now - timedelta(seconds=72_000 * n / count)
            stamp = at.isoformat(timespec="milliseconds")[:23] + "Z"
            msg, load = f"msg_bench{n:09d}", loads[n % len(loads)]
            body = json.dumps({"id": f"evt_bench{n}", "type": "load.updated", "timestamp": stamp,
                               "data": {"load_id": load, "load_number": "LD0"}})  # fmt: skip
            messages.append((msg, org, endpoint_id, "load.updated", load, body, stamp))
            fates = (
                ["FAILED", "SUCCEEDED"] if n % 2 else (["DEAD"] if n % 10 == 0 else ["SUCCEEDED"])
            )
            for k, status in enumerate(fates, start=1):
                attempts.append((f"atmp_bench{n:09d}_{k}", msg, endpoint_id, org, k, 5, status,
                                 None, 200 if status == "SUCCEEDED" else 500, "", None, 50.0,
                                 stamp if status == "SUCCEEDED" else None, stamp, None,
                                 "load.updated", load, None))  # fmt: skip
            made += len(fates)
        with conn:
            conn.executemany("INSERT INTO messages VALUES (?,?,?,?,?,?,?)", messages)
            conn.executemany("INSERT INTO attempts VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                             attempts)  # fmt: skip
    conn.execute("ANALYZE")
    conn.close()


def first_render(at: Any) -> None:
    clear_caches()
    at.run()


def attempts_at_scale(tmp: Path, few: int, many: int, repeat: int) -> list[Result]:
    """The Deliveries page and the attention board on an endpoint with ``many`` attempts
    against one with ``few``, each in a sandbox of its own, first render (caches cleared). Both
    sandboxes are up at once and measured in turn, round after round, so that the machine's
    moods fall on both sides of the ratio (measured one after the other, the ratio of the same
    code swung from 0.58 to 1.89 between two full runs)."""
    runs, keys = [], []
    with ExitStack() as stack:
        for name, count in (("few", few), ("many", many)):
            box = stack.enter_context(sandbox(tmp, f"attempts-{name}", loads=200,
                                              seed_history=False, ticker_seconds=None))  # fmt: skip
            ep = box.client.webhooks.create_endpoint(url=box.extras.receiver_url("ok"),
                                                     event_types=["load.updated"])  # fmt: skip
            _fill_attempts(box, tmp / f"attempts-{name}.db", ep.id, count)
            with console_env(box):
                pages = {"deliveries": app_page("views/delivery_log.py", endpoint_id=ep.id),
                         "board": app_page()}  # fmt: skip
            for what, at in pages.items():
                runs.append(partial(_in_env, box, first_render, at))
                keys.append((what, name))
        timings = dict(zip(keys, medians_in_turn(runs, repeat), strict=True))
    results = []
    for what in ("deliveries", "board"):
        a, b = (timings[(what, name)] for name in ("few", "many"))
        ratio = b / a
        label = "Deliveries page" if what == "deliveries" else "attention board"
        results.append(Result(f"{label} first render, {many:,} ÷ {few:,} attempts",
                              f"{ratio:.2f}", "≤ 1.5", ratio <= 1.5,
                              notes=[f"medians of {repeat}, in turn: {a * 1000:.0f} ms vs "
                                     f"{b * 1000:.0f} ms"]))  # fmt: skip
    return results


def _all_attempts(client: EnvoyClient, endpoint_id: str, load_id: str) -> list[Any]:
    rows, page, total = [], 1, 1
    while page <= total:
        got = client.webhooks.list_endpoint_attempts(endpoint_id, load_id=load_id, page=page,
                                                     page_size=100)  # fmt: skip
        rows += got.data
        total, page = got.pagination.total_pages, page + 1
    return rows


CLICK_TARGETS = {"tab switch": 0.3, "search": 0.3, "paging": 0.3, "filter": 0.3,
                 "open a message": 0.3, "open a load": 0.6,
                 "deep link in a new tab": 1.2}  # fmt: skip
FIRST_VISIT_RATIO = 1.5  # a new browser on the running console ÷ on a one-line Streamlit app
REPLICAS_RATIO = 1.5  # 60 agents on 2 replicas ÷ 30 on one, step p95
TAB_SWITCH_RATIO = 2.0  # tab switch median ÷ a one-button Streamlit app's rerun median


BOARD_RATIO = 2.0  # attention board step p95 ÷ loads-tab step p95, at every team size


def team_results(sizes: list[int], seconds: float, soak: float, idle: int, clicks: int,
                 clicks_at: int = 30, wide: int = 0, settle: float = 150,
                 warm: float = 25) -> tuple[list[Result], list[dict[str, Any]]]:  # fmt: skip
    """Concurrent agents against one console process (its sandbox in a process of its own): the
    targets, and each team size's figures (``levels``, which the report charts and tabulates).
    Chromium clicks while ``clicks_at`` agents work; ``warm``: the seconds one agent (four on
    the two replicas) warms the caches before anything is measured."""
    from bench import team

    found = team.run_team(sizes, seconds, soak=soak, idle=idle, warm_seconds=warm,
                          click_rounds=clicks, clicks_at=clicks_at, wide=wide,
                          settle=settle)  # fmt: skip
    levels = found["levels"]
    results = []
    for lv in levels:
        n, total = lv["agents"], lv["total"]
        limit = team.TEAM_TARGETS[n] * 1000 if n in team.TEAM_TARGETS else None
        target = f"p95 ≤ {limit / 1000:g} s, 0 errors" if limit else "reported"
        ok = total["errors"] == 0 and (limit is None or total["p95_ms"] <= limit)
        results.append(Result(f"{n} agents: step p95", f"{total['p95_ms']:.0f} ms",
                              target, ok, timing=limit is not None,
                              notes=[f"p50 {total['p50_ms']:.0f} ms, {total['count']} steps, "
                                     f"{total['errors']} errors, server CPU "
                                     f"{lv['cpu_percent']:.0f} %; opening a morning's tab "
                                     f"(apart) p95 {lv.get('connect', {}).get('p95_ms', 0):.0f}"
                                     " ms", *lv["errors"][:3]]))  # fmt: skip
    for lv in levels:
        board, tab = (lv["steps"].get(k, {}).get("p95_ms") for k in ("attention", "loads tab"))
        if board and tab:
            ratio = board / tab
            results.append(Result(f"{lv['agents']} agents: attention board ÷ loads tab, p95",
                                  f"{ratio:.2f}", f"≤ {BOARD_RATIO:g}", ratio <= BOARD_RATIO,
                                  notes=[f"{board:.0f} ms ÷ {tab:.0f} ms"]))  # fmt: skip
    if found["idle"]:
        per = found["idle"]["per_session_mb"]
        results.append(Result(f"RSS per added idle session ({found['idle']['idle']} sessions)",
                              f"{per:.1f} MB", "≤ 10 MB", per <= 10))  # fmt: skip
    if found["soak"]:
        rss = found["soak"]["rss_mb"]
        after_minute = rss[len(rss) * 60 // max(1, int(soak)) :] or rss
        growth = (max(after_minute) - after_minute[0]) / after_minute[0] if after_minute else 0
        results.append(Result(f"RSS over a {soak / 60:.0f}-minute soak, agents coming and going",
                              f"+{growth:.1%} after the first minute", "≤ 5 %", growth <= 0.05,
                              notes=[f"{rss[0]:.0f} → {rss[-1]:.0f} MB, "
                                     f"{found['soak']['total']['errors']} errors"]))  # fmt: skip
    results += memory_and_replicas(found, clicks_at)
    first = found["first_visit_s"]
    results.append(Result("first session on a new console (websocket; sandbox seeded before)",
                          f"{first:.2f} s", "reported", True, timing=False))  # fmt: skip
    results += floor_results(found["clicks"], clicks_at)
    # Streamlit's own floor, clicked the same way in the same run: a one-button app's rerun.
    bare = sorted(found["clicks"].get("one-button app: rerun", []))
    floor = f"; a one-button Streamlit app's rerun: p95 {_p95(bare) * 1000:.0f} ms" if bare else ""
    for step, limit in CLICK_TARGETS.items():
        times = sorted(found["clicks"].get(step, []))
        if not times:
            continue
        p95 = _p95(times)
        median = statistics.median(times) * 1000
        during = f" while {clicks_at} agents work"
        results.append(Result(f"Chromium: {step}{during}, p95 of {len(times)}",
                              f"{p95 * 1000:.0f} ms",
                              f"≤ {limit * 1000:.0f} ms", p95 <= limit,
                              notes=[f"median {median:.0f} ms{floor}"]))  # fmt: skip
    return results, levels


def _p95(ordered: list[float]) -> float:
    return ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))]


def memory_and_replicas(found: dict[str, Any], one: int) -> list[Result]:
    """The console's RSS once the agents left against before they came; ``wide`` agents on two
    replicas behind the proxy against ``one`` agents on one console, step p95s."""
    from bench import team

    rss = found["rss"]
    ratio = rss["after"] / rss["before"]
    results = [Result("RSS after all agents left ÷ before they came", f"{ratio:.2f}",
                      f"≤ {team.RSS_AFTER_RATIO:g}", ratio <= team.RSS_AFTER_RATIO,
                      notes=[f"{rss['before']:.0f} → {rss['after']:.0f} MB, "
                             f"{rss['waited_s']:.0f} s after the last agent left; before: once "
                             "one session had opened every load, message and list the agents "
                             f"open ({rss['fresh']:.0f} MB before that)"])]  # fmt: skip
    wide, single = found["wide"], next((lv for lv in found["levels"] if lv["agents"] == one), None)
    if wide and single:
        ratio = wide["total"]["p95_ms"] / single["total"]["p95_ms"]
        ok = ratio <= REPLICAS_RATIO and wide["total"]["errors"] == 0
        results.append(Result(f"{wide['agents']} agents on 2 replicas behind the proxy ÷ {one} "
                              "agents on 1 replica, step p95", f"{ratio:.2f}",
                              f"≤ {REPLICAS_RATIO:g}, 0 errors", ok,
                              notes=[f"{wide['total']['p95_ms']:.0f} ms ÷ "
                                     f"{single['total']['p95_ms']:.0f} ms; "
                                     f"{wide['total']['count']} steps, "
                                     f"{wide['total']['errors']} errors"]))  # fmt: skip
    return results


def floor_results(clicks: dict[str, list[float]], clicks_at: int) -> list[Result]:
    """The console against Streamlit's own floor on this machine, measured the same way in the
    same run: a new browser's first visit, and a tab switch against a bare rerun."""
    median = {k: statistics.median(v) for k, v in clicks.items() if v}
    results = []
    if {"first visit", "one-line app: first visit"} <= median.keys():
        ours, bare = median["first visit"], median["one-line app: first visit"]
        results.append(Result("Chromium: a new browser's first visit to the running console ÷ "
                              "to a one-line Streamlit app, medians", f"{ours / bare:.2f}",
                              f"≤ {FIRST_VISIT_RATIO:g}", ours / bare <= FIRST_VISIT_RATIO,
                              notes=[f"{ours * 1000:.0f} ms ÷ {bare * 1000:.0f} ms"]))  # fmt: skip
    if {"tab switch", "one-button app: rerun"} <= median.keys():
        ours, bare = median["tab switch"], median["one-button app: rerun"]
        results.append(Result(f"Chromium: tab switch ÷ a one-button Streamlit app's rerun, both "
                              f"while {clicks_at} agents work, medians", f"{ours / bare:.2f}",
                              f"≤ {TAB_SWITCH_RATIO:g}", ours / bare <= TAB_SWITCH_RATIO,
                              notes=[f"{ours * 1000:.0f} ms ÷ {bare * 1000:.0f} ms"]))  # fmt: skip
    if "cold start" in median:
        results.append(Result("Chromium: a new console's first page (server start, sandbox "
                              "already seeded)", f"{median['cold start']:.2f} s", "reported",
                              True, timing=False))  # fmt: skip
    return results
