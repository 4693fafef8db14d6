"""``make bench``: the performance targets, each measured side by side in one run, as a ratio.

Seeds sandboxes at the sizes needed, measures every target, prints a table of figure, target and
pass/fail, and writes bench/RESULTS.md with this machine's cores and memory. ``--smoke`` runs
the same code at small sizes (the test suite does that) and checks only what does not depend on
timing: request counts, lost and duplicated deliveries.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

from typing_extensions import Unpack

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from envoy_api import EnvoyClient  # noqa: E402
from envoy_sandbox import SandboxExtras, SandboxSettings, start_in_thread  # noqa: E402
from envoy_sandbox.contract import FaultRule  # noqa: E402


@dataclass
class Result:
    what: str
    figure: str
    target: str
    passed: bool
    timing: bool = True  # judged on timing (left unjudged in a smoke run)
    notes: list[str] = field(default_factory=list)


@dataclass
class Box:
    """A running sandbox and what the benchmarks need of it."""

    base_url: str
    api_key: str
    stop: Callable[[], None]
    extras: SandboxExtras

    @property
    def client(self) -> EnvoyClient:
        return EnvoyClient(self.base_url, api_key=self.api_key, max_retries=0)

    def fault(self, **spec: Unpack[FaultRule]) -> None:
        self.extras.fault(**spec)

    def clear_faults(self) -> None:
        self.extras.clear_faults()

    def stats(self) -> dict[str, int]:
        return self.extras.stats()["routes"]

    def reset_stats(self) -> None:
        self.extras.reset_stats()


@contextmanager
def sandbox(tmp: Path, name: str, **overrides: Any) -> Iterator[Box]:
    settings = replace(SandboxSettings(db_path=str(tmp / f"{name}.db")), **overrides)
    base, key, stop = start_in_thread(settings)
    extras = SandboxExtras(base, api_key=key, timeout=60)
    try:
        yield Box(base, key, stop, extras)
    finally:
        extras.close()
        stop()


@contextmanager
def console_env(box: Box) -> Iterator[None]:
    """Point the console (AppTest and the data layer) at ``box``."""
    saved = {k: os.environ.get(k) for k in ("ENVOY_BASE_URL", "ENVOY_API_KEY")}
    os.environ["ENVOY_BASE_URL"], os.environ["ENVOY_API_KEY"] = box.base_url, box.api_key
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def app_page(path: str | None = None, **query: str) -> Any:
    """Run the console's router (then ``path`` with ``query``) in AppTest."""
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.run()
    if path:
        at.switch_page(path)
        for k, v in query.items():
            at.query_params[k] = v
        at.run()
    if at.exception:
        raise RuntimeError([e.value for e in at.exception])
    return at


def clear_caches() -> None:
    import streamlit as st

    st.cache_data.clear()


def median_time(fn: Callable[[], Any], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


# ---- the measurements ----


def load_detail(box: Box, repeat: int) -> Result:
    from components import data
    from components.connection import Connection

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
            box.reset_stats()
            at.run()
            counts[name] = sum(box.stats().values())
    worst = max(counts.values())
    detail = ", ".join(f"{k} {v}" for k, v in counts.items())
    return Result("warm rerun: requests per page", str(worst), "0 on every page", worst == 0,
                  timing=False, notes=[detail])  # fmt: skip


def loads_at_scale(small: Box, big: Box, repeat: int) -> Result:
    def first_render(box: Box) -> float:
        with console_env(box):
            at = app_page("views/load_list.py")  # the landing page ran first; not measured

            def once() -> None:
                clear_caches()
                at.run()

            once()  # warm the interpreter's imports, not the data cache
            return median_time(once, repeat)

    a, b = first_render(small), first_render(big)
    ratio = b / a
    return Result("Loads page first render, large ÷ small sandbox", f"{ratio:.2f}", "≤ 1.5",
                  ratio <= 1.5, notes=[f"{a * 1000:.0f} ms vs {b * 1000:.0f} ms"])  # fmt: skip


def tab_counts_at_scale(small: Box, big: Box, repeat: int) -> Result:
    a = median_time(small.client.loads.tab_counts, repeat)
    b = median_time(big.client.loads.tab_counts, repeat)
    ratio = b / a
    return Result("GET /loads/tab-counts median, large ÷ small", f"{ratio:.2f}", "≤ 2",
                  ratio <= 2, notes=[f"{a * 1000:.1f} ms vs {b * 1000:.1f} ms"])  # fmt: skip


def full_export(box: Box, rows: int, repeat: int) -> Result:
    from components import data
    from components.connection import Connection

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


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


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

    def rerun(load_id: str) -> float:
        at = app_page("views/load_detail.py", load_id=load_id)  # fetched once: warm afterwards
        return median_time(at.run, repeat)

    with console_env(box):
        clear_caches()
        big, small = rerun(loads[0].id), rerun(loads[1].id)
    ratio = big / small
    return Result(f"load story render, {counts[0]:,} ÷ {counts[1]:,} messages", f"{ratio:.2f}",
                  "≤ 1.5", ratio <= 1.5,
                  notes=[f"{big * 1000:.0f} ms vs {small * 1000:.0f} ms per rerun"])  # fmt: skip


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
    against one with ``few``, each in a sandbox of its own, first render (caches cleared)."""
    timings: dict[str, list[float]] = {"deliveries": [], "board": []}
    for name, count in (("few", few), ("many", many)):
        with sandbox(tmp, f"attempts-{name}", loads=200, seed_history=False,
                     ticker_seconds=None) as box:  # fmt: skip
            ep = box.client.webhooks.create_endpoint(url=box.extras.receiver_url("ok"),
                                                     event_types=["load.updated"])  # fmt: skip
            _fill_attempts(box, tmp / f"attempts-{name}.db", ep.id, count)
            with console_env(box):
                pages = {"deliveries": app_page("views/delivery_log.py", endpoint_id=ep.id),
                         "board": app_page()}  # fmt: skip
                for what, at in pages.items():
                    timings[what].append(median_time(partial(first_render, at), repeat))
    results = []
    for what, (a, b) in timings.items():
        ratio = b / a
        label = "Deliveries page" if what == "deliveries" else "attention board"
        results.append(Result(f"{label} first render, {many:,} ÷ {few:,} attempts",
                              f"{ratio:.2f}", "≤ 1.5", ratio <= 1.5,
                              notes=[f"{a * 1000:.0f} ms vs {b * 1000:.0f} ms"]))  # fmt: skip
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
                 "open a message": 0.3, "open a load": 0.6, "deep link in a new tab": 1.2,
                 "first visit": 2.5}  # fmt: skip


def team_results(sizes: list[int], seconds: float, soak: float, idle: int, clicks: int,
                 out_dir: Path) -> tuple[list[Result], str]:  # fmt: skip
    """Concurrent agents against one console process: the targets, and the team table."""
    from bench import team

    found = team.run_team(sizes, seconds, soak=soak, idle=idle, warm_seconds=min(25, seconds),
                          click_rounds=clicks)  # fmt: skip
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
                                     f"{lv['cpu_percent']:.0f} %", *lv["errors"][:3]]))  # fmt: skip
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
    first = found["first_visit_s"]
    results.append(Result("first visit of a new console, seeding included (websocket)",
                          f"{first:.2f} s", "reported", True, timing=False))  # fmt: skip
    for step, limit in CLICK_TARGETS.items():
        times = sorted(found["clicks"].get(step, []))
        if not times:
            continue
        p95 = times[min(len(times) - 1, int(0.95 * len(times)))]
        median = statistics.median(times) * 1000
        results.append(Result(f"Chromium: {step}, p95 of {len(times)}", f"{p95 * 1000:.0f} ms",
                              f"≤ {limit * 1000:.0f} ms", p95 <= limit,
                              notes=[f"median {median:.0f} ms"]))  # fmt: skip
    team.chart(levels, out_dir / "team-p95.svg")
    lines = [
        "| agents | steps | p50 | p95 | errors | server CPU | server RSS |",
        "|---|---|---|---|---|---|---|",
    ]
    for lv in levels:
        t, rss = lv["total"], lv["rss_mb"]
        lines.append(f"| {lv['agents']} | {t['count']} | {t['p50_ms']:.0f} ms | "
                     f"{t['p95_ms']:.0f} ms | {t['errors']} | {lv['cpu_percent']:.0f} % | "
                     f"{max(rss) if rss else 0:.0f} MB |")  # fmt: skip
    steps = list(dict.fromkeys(s for lv in levels for s in lv["steps"]))  # a morning's order
    lines += ["", "p95 per step (ms): " + ", ".join(steps), "",
              "| agents | " + " | ".join(steps) + " |", "|---|" + "---|" * len(steps)]  # fmt: skip
    for lv in levels:
        lines.append(f"| {lv['agents']} | " + " | ".join(
            f"{lv['steps'].get(s, {}).get('p95_ms', 0):.0f}" for s in steps) + " |")  # fmt: skip
    return results, "\n".join(lines)


# ---- the run ----


def table(results: list[Result], smoke: bool) -> str:
    lines = ["| what | figure | target | result |", "|---|---|---|---|"]
    for r in results:
        verdict = "pass" if r.passed else "FAIL"
        if smoke and r.timing:
            verdict = f"({verdict}: timing is not judged in a smoke run)"
        lines.append(f"| {r.what} | {r.figure} | {r.target} | {verdict} |")
    notes = [f"- {r.what}: {'; '.join(r.notes)}" for r in results if r.notes]
    return "\n".join(lines + (["", *notes] if notes else []))


def machine() -> str:
    mem = "?"
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            mem = f"{int(line.split()[1]) / 1024 / 1024:.0f} GiB"
    return f"{os.cpu_count()} cores, {mem} memory, Python {sys.version.split()[0]}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--smoke", action="store_true", help="small sizes, correctness only")
    parser.add_argument("--out", default=str(ROOT / "bench" / "RESULTS.md"))
    args = parser.parse_args(argv)
    smoke = args.smoke
    sizes = dict(small=200, big=3000, medium=1000, export_rows=1000, events=200, browse=12,
                 story=100, attempts=5_000, repeat=1) if smoke else dict(small=1000,
                 big=100_000, medium=10_000, export_rows=10_000, events=10_000, browse=200,
                 story=1000, attempts=1_000_000, repeat=3)  # fmt: skip
    team_sizes, team_seconds, soak = ([2], 20.0, 0.0) if smoke else ([1, 10, 30, 50], 90.0, 600.0)
    results: list[Result] = []
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as name:
        tmp = Path(name)
        fast = dict(retry_scale=0.01, ticker_seconds=None)
        print(f"seeding sandboxes ({sizes['small']:,}, {sizes['medium']:,} and "
              f"{sizes['big']:,} loads)…", flush=True)  # fmt: skip
        with sandbox(tmp, "small", loads=sizes["small"], **fast) as small, \
                sandbox(tmp, "medium", loads=sizes["medium"], **fast) as medium, \
                sandbox(tmp, "big", loads=sizes["big"], **fast) as big:  # fmt: skip
            steps: list[Callable[[], Result]] = [
                lambda: load_detail(small, sizes["repeat"] * 2),
                lambda: warm_rerun(small),
                lambda: loads_at_scale(small, big, sizes["repeat"]),
                lambda: tab_counts_at_scale(small, big, sizes["repeat"] * 4),
                lambda: full_export(medium, sizes["export_rows"], max(1, sizes["repeat"] // 2)),
                lambda: endpoint_health(medium, 20),
                # Before the memory step: its 200 browsed loads' garbage would weigh on the
                # busy load's reruns more than on the quiet one's.
                lambda: load_story(small, sizes["story"], 10, sizes["repeat"]),
                lambda: memory(medium, sizes["browse"]),
            ]
            for step in steps:
                result = step()
                print(f"  {result.what}: {result.figure}", flush=True)
                results.append(result)
        results.append(sender(tmp, sizes["events"]))
        print(f"  {results[-1].what}: {results[-1].figure}", flush=True)
        print(f"an endpoint with {sizes['attempts']:,} attempts…", flush=True)
        results += attempts_at_scale(tmp, sizes["attempts"] // 100, sizes["attempts"],
                                     sizes["repeat"])  # fmt: skip
        print(f"  {results[-2].what}: {results[-2].figure}; {results[-1].figure}", flush=True)
    print(f"agents at once: {team_sizes}, {team_seconds:g} s each…", flush=True)
    out_dir = Path(args.out).parent
    team_rows, team_table = team_results(team_sizes, team_seconds, soak, 3 if smoke else 30,
                                         1 if smoke else 12, out_dir)  # fmt: skip
    results += team_rows
    text = table(results, smoke)
    print()
    print(text)
    print()
    print(team_table)
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    body = (f"# Benchmark results\n\n{'Smoke run' if smoke else 'Full run'} on {stamp}: "
            f"{machine()}; {time.perf_counter() - started:.0f} s.\n\n{text}\n\n"
            f"## A team on one console\n\nAgents without browsers (Locust users speaking "
            f"Streamlit's websocket protocol, `bench/agents.py`) each walk a morning: the "
            f"attention board, a Loads tab, a search, page 2, a load, a failing endpoint's DEAD "
            f"deliveries, a message; 2-5 s between steps; against one console process on its "
            f"embedded sandbox (1,000 loads), all on this machine. A step's time runs from the "
            f"rerun sent to the script finished.\n\n{team_table}\n\n"
            f"![p95 against concurrent agents](team-p95.svg)\n")  # fmt: skip
    Path(args.out).write_text(body)
    judged = [r for r in results if not (smoke and r.timing)]
    return 0 if all(r.passed for r in judged) else 1


if __name__ == "__main__":
    raise SystemExit(main())
