"""Agents without browsers: support agents as Locust users that speak Streamlit's own websocket
protocol, so no browser competes with the console for the CPU.

Each agent opens a session on ``/_stcore/stream``, then walks an agent's morning: the attention
board, a Loads tab, a search, page 2, a load, the DEAD deliveries of a failing endpoint, one
message; thinking 2-5 s between steps. A step is one ``BackMsg.rerun_script`` (the page and its
query string: the URL is the view, so no widget needs clicking) and it ends when the server sends
``script_finished``; its time is what Locust records. An exception drawn on the page, a page not
found, a timeout or a dropped socket counts as an error.

Run alone, it prints one JSON summary: ``python -m bench.agents --host URL --agents 30 --seconds
60 --targets FILE``. ``--soak`` keeps agents coming and going (each leaves after its morning and a
new one takes its place) and samples the server's RSS. The same ``Agent`` class can run under a
distributed Locust later.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import random
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

# Locust patches the standard library for gevent when imported (before websocket and the rest):
# this module runs in a process of its own.
import gevent
import locust
import psutil
import websocket
from locust import User, between, events
from locust.env import Environment
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

STEP_TIMEOUT = 60.0
STOP_TIMEOUT = 30.0


class StepFailed(Exception):
    pass


@dataclass
class Targets:
    """What the agents open: filled from the sandbox before the run."""

    load_ids: list[str]
    endpoint_id: str  # a failing endpoint
    message_ids: list[str]  # its DEAD messages


class Session:
    """One browser tab's worth of Streamlit session, over its websocket."""

    def __init__(self, host: str, timeout: float = STEP_TIMEOUT) -> None:
        parts = urlsplit(host)
        scheme = "wss" if parts.scheme == "https" else "ws"
        self.ws = websocket.create_connection(
            f"{scheme}://{parts.netloc}{parts.path.rstrip('/')}/_stcore/stream",
            subprotocol=["streamlit"],
            timeout=timeout,
        )
        self.pages: dict[str, str] = {}  # url path → page script hash, from the server

    def run(self, page: str, query: str) -> int:
        """Rerun ``page`` with ``query``; wait for the script to finish. Returns bytes read."""
        msg = BackMsg()
        state = msg.rerun_script
        state.query_string = query
        state.page_name = page
        if page in self.pages:
            state.page_script_hash = self.pages[page]
        self.ws.send_binary(msg.SerializeToString())
        read = 0
        deadline = time.monotonic() + STEP_TIMEOUT
        while time.monotonic() < deadline:
            raw = self.ws.recv()
            read += len(raw)
            fwd = ForwardMsg()
            fwd.ParseFromString(raw if isinstance(raw, bytes) else raw.encode())
            kind = fwd.WhichOneof("type")
            if kind == "navigation":
                for p in fwd.navigation.app_pages:
                    self.pages[p.url_pathname] = p.page_script_hash
            elif kind == "page_not_found":
                raise StepFailed(f"page not found: {page}")
            elif kind == "delta" and fwd.delta.new_element.WhichOneof("type") == "exception":
                raise StepFailed(fwd.delta.new_element.exception.message[:200])
            elif kind == "script_finished":
                if fwd.script_finished == ForwardMsg.FINISHED_SUCCESSFULLY:
                    return read
                if fwd.script_finished == ForwardMsg.FINISHED_WITH_COMPILE_ERROR:
                    raise StepFailed("the script did not compile")
        raise StepFailed(f"no script_finished within {STEP_TIMEOUT:g} s")

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.ws.close()


def morning(targets: Targets, rng: random.Random) -> list[tuple[str, str, str]]:
    """An agent's morning: (step name, page, query string)."""
    message = rng.choice(targets.message_ids)
    return [
        ("attention", "", ""),
        ("loads tab", "loads", "tab=in_transit"),
        ("search", "loads", "q=Dallas"),
        ("page 2", "loads", "page=2"),
        ("open a load", "load", f"load_id={rng.choice(targets.load_ids)}"),
        ("DEAD deliveries", "deliveries", f"endpoint_id={targets.endpoint_id}&status=DEAD"),
        ("a message", "deliveries", f"endpoint_id={targets.endpoint_id}&message_id={message}"),
    ]


class Agent(User):
    """A support agent at the console: a session per morning, think time between steps."""

    abstract = True
    wait_time = between(2, 5)
    targets: Targets
    leave_after_morning = False  # the soak: agents come and go

    def on_start(self) -> None:
        self.session: Session | None = None
        self.rng = random.Random()

    def on_stop(self) -> None:
        if self.session is not None:
            self.session.close()

    @locust.task
    def a_morning(self) -> None:
        for name, page, query in morning(self.targets, self.rng):
            self._step(name, page, query)
            self.wait()  # type: ignore[no-untyped-call]
        if self.leave_after_morning and self.session is not None:
            self.session.close()
            self.session = None

    def _step(self, name: str, page: str, query: str) -> None:
        started = time.perf_counter()
        size, error = 0, None
        try:
            if self.session is None:
                self.session = Session(self.host or "")
            size = self.session.run(page, query)
        except Exception as exc:  # a failed step: recorded, and the agent starts a new session
            error = exc
            if self.session is not None:
                self.session.close()
            self.session = None
        self.environment.events.request.fire(
            request_type="rerun", name=name, response_time=(time.perf_counter() - started) * 1000,
            response_length=size, exception=error, context={},
        )  # fmt: skip


@dataclass
class Summary:
    agents: int
    seconds: float
    steps: dict[str, dict[str, float]] = field(default_factory=dict)
    total: dict[str, float] = field(default_factory=dict)
    cpu_percent: float = 0.0  # the server's, averaged over the run (100 = one core)
    rss_mb: list[float] = field(default_factory=list)  # sampled every few seconds
    errors: list[str] = field(default_factory=list)


def _stats(times: list[float], errors: int) -> dict[str, float]:
    ordered = sorted(times)

    def pct(p: float) -> float:
        return ordered[min(len(ordered) - 1, int(p * len(ordered)))] if ordered else 0.0

    return {"count": len(times), "errors": errors, "p50_ms": pct(0.5), "p95_ms": pct(0.95),
            "mean_ms": statistics.fmean(times) if times else 0.0}  # fmt: skip


def run(host: str, agents: int, seconds: float, targets: Targets, *, server_pid: int | None,
        soak: bool = False, sample_every: float = 5.0) -> Summary:  # fmt: skip
    """``agents`` agents for ``seconds``, measured; the server's CPU and RSS when its pid is
    given."""
    kind = type("MorningAgent", (Agent,), {"abstract": False, "host": host, "targets": targets,
                                           "leave_after_morning": soak})  # fmt: skip
    env = Environment(user_classes=[kind], events=events)
    times: dict[str, list[float]] = {}
    failures: dict[str, int] = {}
    errors: list[str] = []

    def record(name: str, response_time: float, exception: Any, **_: Any) -> None:
        times.setdefault(name, []).append(response_time)
        if exception is not None:
            failures[name] = failures.get(name, 0) + 1
            if len(errors) < 20:
                errors.append(f"{name}: {type(exception).__name__}: {exception}"[:200])

    env.events.request.add_listener(record)  # type: ignore[no-untyped-call]
    proc = psutil.Process(server_pid) if server_pid else None
    procs: Callable[[], list[psutil.Process]] = lambda: [proc, *proc.children(True)] if proc else []  # noqa: E731
    cpu0 = sum(p.cpu_times().user + p.cpu_times().system for p in procs())
    summary = Summary(agents, seconds)
    runner = env.create_local_runner()
    started = time.monotonic()
    runner.start(agents, spawn_rate=max(1.0, agents / 5))
    while time.monotonic() - started < seconds:
        gevent.sleep(min(sample_every, seconds - (time.monotonic() - started)))
        if proc:
            summary.rss_mb.append(sum(p.memory_info().rss for p in procs()) / 2**20)
    if proc:
        cpu1 = sum(p.cpu_times().user + p.cpu_times().system for p in procs())
        summary.cpu_percent = 100 * (cpu1 - cpu0) / (time.monotonic() - started)
    # A saturated console leaves agents mid-step: they are killed, not waited for (a step cut off
    # here is not recorded), and the figures so far are kept.
    env.events.request.remove_listener(record)  # type: ignore[no-untyped-call]
    with gevent.Timeout(STOP_TIMEOUT, False):
        runner.quit()
    all_times = [t for ts in times.values() for t in ts]
    summary.steps = {name: _stats(ts, failures.get(name, 0)) for name, ts in times.items()}
    summary.total = _stats(all_times, sum(failures.values()))
    summary.errors = errors
    return summary


def idle_sessions(host: str, count: int) -> list[Session]:
    """``count`` sessions that each ran the landing page once and now sit idle."""
    opened = []
    for _ in range(count):
        s = Session(host)
        s.run("", "")
        opened.append(s)
    return opened


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", required=True)
    parser.add_argument("--agents", type=int, default=1)
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--targets", help="a JSON file of Targets' fields")
    parser.add_argument("--warm", action="store_true", help="one session runs the landing page")
    parser.add_argument("--server-pid", type=int)
    parser.add_argument("--soak", action="store_true")
    parser.add_argument("--idle", type=int, default=0, help="measure RSS per idle session")
    args = parser.parse_args(argv)
    if args.warm:  # starts the embedded sandbox and fills the caches
        started = time.perf_counter()
        idle_sessions(args.host, 1)[0].close()
        print(json.dumps({"first_visit_s": time.perf_counter() - started}))
        return 0
    if args.idle:
        proc = psutil.Process(args.server_pid)
        before = proc.memory_info().rss
        sessions = idle_sessions(args.host, args.idle)
        gevent.sleep(2)
        after = proc.memory_info().rss
        for s in sessions:
            s.close()
        print(json.dumps({"idle": args.idle, "rss_before_mb": before / 2**20,
                          "rss_after_mb": after / 2**20,
                          "per_session_mb": (after - before) / 2**20 / args.idle}))  # fmt: skip
        return 0
    with open(args.targets) as fh:
        targets = Targets(**json.load(fh))
    summary = run(args.host, args.agents, args.seconds, targets, server_pid=args.server_pid,
                  soak=args.soak)  # fmt: skip
    print(json.dumps(summary.__dict__))
    return 0


if __name__ == "__main__":
    sys.exit(main())
