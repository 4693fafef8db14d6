"""Agents without browsers: support agents as Locust users that speak Streamlit's own websocket
protocol, so no browser competes with the console for the CPU.

Each agent opens a session on ``/_stcore/stream``, then walks an agent's morning: the attention
board, a Loads tab, a search, page 2, a load, the DEAD deliveries of a failing endpoint, one
message; thinking 2-5 s between steps, and arriving at a random point of the second Locust
starts it in (``ARRIVAL_SPREAD``). A step is one ``BackMsg.rerun_script`` (the page and its
query string: the URL is the view, so no widget needs clicking) and it ends when the server sends
``script_finished``; its time is what Locust records (opening the websocket before a morning's
first step is timed apart: ``connect``). An exception drawn on the page, a page not
found, a timeout or a dropped socket counts as an error; a step that never completed (a timeout, a
dropped socket, a websocket that could not be opened) also counts as ``lost``.

Behind a reverse proxy, during a rolling restart of the replicas, agents can act as browsers do:

- ``--cookies FILE`` (a JSON object, cookie name → value: a signed-in browser's cookies, such as
  Streamlit's auth cookie ``_streamlit_user`` or its chunks ``_streamlit_user__1``…, and the
  proxy's sticky cookie) signs the agents in. A session then first GETs the app's page and
  ``_stcore/health``, as the browser does, sending the cookies, and keeps those the answers set
  (the proxy's sticky ``console_replica``; Streamlit's XSRF cookie ``_streamlit_xsrf``, which
  only the health check sets); it opens the websocket with all of them in its ``Cookie`` header,
  the page's origin in ``Origin``, and the subprotocols ``streamlit`` and the value of the
  ``_streamlit_xsrf`` cookie. Streamlit reads the auth cookie only when that token matches the
  XSRF cookie (with XSRF protection on) and the cookie's origin is the ``Origin`` header's.
- ``--reconnect`` (implied by ``--cookies``: signed-in agents are browsers): a step whose
  websocket drops or cannot be opened opens a new session (the GETs first: it picks up the
  proxy's new sticky cookie) and runs again, with a short back-off, until it completes or
  ``STEP_TIMEOUT`` from its start has passed. A step that completes so is a success (its time
  includes the reconnect) and counts one in ``reconnects``; one that never does is an error and
  counts in ``lost``. An error drawn on the page is never retried.

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
XSRF_COOKIE = "_streamlit_xsrf"  # Streamlit's, set on the app's page when XSRF protection is on
BACKOFF = (0.25, 2.0)  # a reconnecting agent's first and longest pause, in seconds
# Locust starts a second's agents in the same instant (its dispatcher starts ``spawn_rate`` users
# at once, then waits a second); people do not sit down together to the millisecond. Each agent
# arrives at a random point of its second: the same arrival rate, without ten new tabs' first
# runs queued in one instant.
ARRIVAL_SPREAD = 1.0  # seconds


class StepFailed(Exception):
    """An error drawn on the page (an exception, a page not found, a script that did not
    compile): a real error, never retried."""


class StepLost(Exception):
    """The step did not complete: the websocket was closed, the page could not be fetched, or no
    ``script_finished`` came in time."""


# What a reconnect may cure: the connection, not the page.
RETRYABLE: tuple[type[BaseException], ...] = (StepLost, websocket.WebSocketException, OSError)


@dataclass
class Targets:
    """What the agents open: filled from the sandbox before the run."""

    load_ids: list[str]
    endpoint_id: str  # a failing endpoint
    message_ids: list[str]  # its DEAD messages


class Session:
    """One browser tab's worth of Streamlit session, over its websocket.

    With ``cookies`` (possibly empty) it opens as a browser does: the app's page and
    ``_stcore/health`` first (sending the cookies; those their answers set are kept, in
    ``self.cookies``), then the websocket with every cookie, the page's ``Origin`` and the XSRF
    token, so that Streamlit reads the auth cookie. Without, it opens the websocket alone,
    anonymous."""

    def __init__(self, host: str, timeout: float = STEP_TIMEOUT,
                 cookies: dict[str, str] | None = None) -> None:  # fmt: skip
        parts = urlsplit(host)
        scheme = "wss" if parts.scheme == "https" else "ws"
        base = f"{parts.netloc}{parts.path.rstrip('/')}"
        self.cookies = None if cookies is None else dict(cookies)
        options: dict[str, Any] = {"subprotocols": ["streamlit"]}
        if self.cookies is not None:
            self.cookies.update(_visit(f"{parts.scheme}://{base}", self.cookies, timeout))
            options["origin"] = f"{parts.scheme}://{parts.netloc}"
            if self.cookies:
                options["cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
            if self.cookies.get(XSRF_COOKIE):
                # Streamlit compares the token this carries with the XSRF cookie's once both are
                # unmasked: the cookie's own value always matches (as the browser sends it).
                options["subprotocols"] = ["streamlit", self.cookies[XSRF_COOKIE]]
        self.ws = websocket.create_connection(
            f"{scheme}://{base}/_stcore/stream", timeout=timeout, **options
        )
        self.pages: dict[str, str] = {}  # url path → page script hash, from the server

    def run(self, page: str, query: str, *, deadline: float | None = None,
            texts: list[str] | None = None) -> int:  # fmt: skip
        """Rerun ``page`` with ``query``; wait for the script to finish, until ``deadline`` (a
        ``time.monotonic()``; by default ``STEP_TIMEOUT`` from now). Returns bytes read. The text
        of each element drawn (markdown, alerts, labels…) is appended to ``texts`` when given."""
        msg = BackMsg()
        state = msg.rerun_script
        state.query_string = query
        state.page_name = page
        if page in self.pages:
            state.page_script_hash = self.pages[page]
        self.ws.send_binary(msg.SerializeToString())
        read = 0
        if deadline is None:
            deadline = time.monotonic() + STEP_TIMEOUT
        while (left := deadline - time.monotonic()) > 0:
            self.ws.settimeout(left)
            raw = self.ws.recv()
            if raw == "":  # a close frame (data frames are binary)
                raise StepLost("the server closed the websocket")
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
            elif kind == "delta" and texts is not None:
                texts.extend(_texts(fwd))
            elif kind == "script_finished":
                if fwd.script_finished == ForwardMsg.FINISHED_SUCCESSFULLY:
                    return read
                if fwd.script_finished == ForwardMsg.FINISHED_WITH_COMPILE_ERROR:
                    raise StepFailed("the script did not compile")
        raise StepLost(f"no script_finished within {STEP_TIMEOUT:g} s")

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.ws.close()


def _visit(base: str, cookies: dict[str, str], timeout: float) -> dict[str, str]:
    """What a browser does before it opens the websocket: GET the app's page (the proxy's answer
    sets its sticky cookie), then ``_stcore/health`` (Streamlit's answer sets the XSRF cookie;
    the page's does not). Sends ``cookies`` and those set on the way; returns those set."""
    import httpx  # here: after Locust has patched the standard library

    kept: dict[str, str] = {}
    with httpx.Client(cookies=cookies, timeout=timeout) as client:
        for url in (f"{base}/", f"{base}/_stcore/health"):
            try:
                answer = client.get(url)
            except httpx.HTTPError as exc:
                raise StepLost(f"GET {url}: {type(exc).__name__}: {exc}") from exc
            if answer.status_code >= 400:  # e.g. 503: no replica up, or not ready yet
                raise StepLost(f"GET {url}: HTTP {answer.status_code}")
            kept.update({c.name: c.value or "" for c in answer.cookies.jar})
    return kept


def _texts(fwd: ForwardMsg) -> list[str]:
    """The text an element delta draws: its ``body`` (markdown, alerts, headings…), ``label``
    (buttons, inputs…) or ``message`` (exceptions)."""
    element = fwd.delta.new_element
    kind = element.WhichOneof("type")
    if kind is None:
        return []
    proto = getattr(element, kind)
    return [getattr(proto, name) for name in ("body", "label", "message")
            if name in proto.DESCRIPTOR.fields_by_name and getattr(proto, name)]  # fmt: skip


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
    cookies: dict[str, str] | None = None  # a signed-in browser's (--cookies)
    reconnect = False  # a dropped step reconnects and runs again, as a browser's (--reconnect)

    def on_start(self) -> None:
        self.session: Session | None = None
        self.rng = random.Random()
        # Signed in, the agent is a browser: it reconnects. A reconnecting one keeps a cookie jar
        # from session to session as a browser does: the cookies given, then those the console
        # and the proxy set. None: no jar, no GETs before the websocket (as before either option).
        self.reconnect = self.reconnect or self.cookies is not None
        self.jar = dict(self.cookies or {}) if self.reconnect else None
        gevent.sleep(self.rng.uniform(0, ARRIVAL_SPREAD))

    def on_stop(self) -> None:
        if self.session is not None:
            self.session.close()

    @locust.task
    def a_morning(self) -> None:
        for i, (name, page, query) in enumerate(morning(self.targets, self.rng)):
            self._step(name, page, query, first=i == 0)
            self.wait()  # type: ignore[no-untyped-call]
        if self.leave_after_morning and self.session is not None:
            self.session.close()
            self.session = None

    def _open(self, deadline: float) -> Session:
        timeout = min(STEP_TIMEOUT, max(0.1, deadline - time.monotonic()))
        self.session = Session(self.host or "", timeout, self.jar)
        if self.session.cookies is not None:
            self.jar = self.session.cookies
        return self.session

    def _step(self, name: str, page: str, query: str, *, first: bool = False) -> None:
        started = time.perf_counter()
        deadline = time.monotonic() + STEP_TIMEOUT
        size, error, retried, lost = 0, None, False, False
        # Opening a morning's tab before its first step: not the step's rerun (reported apart).
        # A session opened again later (after a failed step) is a wait the agent feels.
        connect = 0.0
        backoff = BACKOFF[0]
        while True:
            try:
                session = self.session
                if session is None:
                    opened = time.perf_counter()
                    session = self._open(deadline)
                    if first and not retried:  # a reconnect's time is the step's
                        connect = time.perf_counter() - opened
                size = session.run(page, query, deadline=deadline)
                break
            except Exception as exc:  # a failed step: the agent starts a new session
                if self.session is not None:
                    self.session.close()
                self.session = None
                left = deadline - time.monotonic()
                if self.reconnect and isinstance(exc, RETRYABLE) and left > 0:
                    retried = True
                    gevent.sleep(min(left, backoff * (0.5 + self.rng.random())))
                    backoff = min(2 * backoff, BACKOFF[1])
                    continue
                error, lost = exc, isinstance(exc, RETRYABLE)
                break
        self.environment.events.request.fire(
            request_type="rerun", name=name,
            response_time=(time.perf_counter() - started - connect) * 1000,
            response_length=size, exception=error,
            context={"reconnected": retried and error is None, "lost": lost,
                     "connect_ms": connect * 1000 if connect else None},
        )  # fmt: skip


@dataclass
class Summary:
    agents: int
    seconds: float
    steps: dict[str, dict[str, float]] = field(default_factory=dict)
    total: dict[str, float] = field(default_factory=dict)
    reconnects: int = 0  # steps that completed after reconnecting (--reconnect, --cookies)
    lost: int = 0  # steps that never completed: the connection dropped, or no answer in time
    # Opening a morning's tab (the websocket) before its first step: not in the step's time.
    connect: dict[str, float] = field(default_factory=dict)
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
        soak: bool = False, sample_every: float = 5.0, cookies: dict[str, str] | None = None,
        reconnect: bool = False) -> Summary:  # fmt: skip
    """``agents`` agents for ``seconds``, measured; the server's CPU and RSS when its pid is
    given. ``cookies`` signs them in; with them, or with ``reconnect``, they reconnect as
    browsers do."""
    kind = type("MorningAgent", (Agent,), {"abstract": False, "host": host, "targets": targets,
                                           "leave_after_morning": soak, "cookies": cookies,
                                           "reconnect": reconnect})  # fmt: skip
    env = Environment(user_classes=[kind], events=events)
    times: dict[str, list[float]] = {}
    failures: dict[str, int] = {}
    errors: list[str] = []
    connects: list[float] = []
    summary = Summary(agents, seconds)

    def record(name: str, response_time: float, exception: Any,
               context: dict[str, Any] | None = None, **_: Any) -> None:  # fmt: skip
        times.setdefault(name, []).append(response_time)
        summary.reconnects += bool((context or {}).get("reconnected"))
        summary.lost += bool((context or {}).get("lost"))
        if (connect := (context or {}).get("connect_ms")) is not None:
            connects.append(connect)
        if exception is not None:
            failures[name] = failures.get(name, 0) + 1
            if len(errors) < 20:
                errors.append(f"{name}: {type(exception).__name__}: {exception}"[:200])

    env.events.request.add_listener(record)  # type: ignore[no-untyped-call]
    proc = psutil.Process(server_pid) if server_pid else None
    procs: Callable[[], list[psutil.Process]] = lambda: [proc, *proc.children(True)] if proc else []  # noqa: E731
    cpu0 = sum(p.cpu_times().user + p.cpu_times().system for p in procs())
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
    summary.connect = _stats(connects, 0)
    summary.errors = errors
    return summary


def idle_sessions(host: str, count: int, cookies: dict[str, str] | None = None) -> list[Session]:
    """``count`` sessions that each ran the landing page once and now sit idle."""
    opened = []
    for _ in range(count):
        s = Session(host, cookies=cookies)
        s.run("", "")
        opened.append(s)
    return opened


def tour(host: str, targets: Targets, cookies: dict[str, str] | None = None) -> int:
    """One session opens every target once: each load, the failing endpoint's DEAD deliveries
    and each of its messages (a day's first agent, who sees all the data the others will). The
    pages opened."""
    session = Session(host, cookies=cookies)
    pages = [("", ""), *(("load", f"load_id={x}") for x in targets.load_ids),
             ("deliveries", f"endpoint_id={targets.endpoint_id}&status=DEAD"),
             *(("deliveries", f"endpoint_id={targets.endpoint_id}&message_id={m}")
               for m in targets.message_ids)]  # fmt: skip
    try:
        for page, query in pages:
            session.run(page, query)
    finally:
        session.close()
    return len(pages)


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
    parser.add_argument("--tour", action="store_true", help="one session opens every target once")
    parser.add_argument(
        "--cookies",
        metavar="FILE",
        help="a JSON object, cookie name → value: a signed-in browser's cookies",
    )
    parser.add_argument(
        "--reconnect",
        action="store_true",
        help="a step whose websocket drops or cannot open reconnects and runs again (always "
        "with --cookies)",
    )
    args = parser.parse_args(argv)
    cookies = None
    if args.cookies:
        with open(args.cookies) as fh:
            cookies = json.load(fh)
        if not isinstance(cookies, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in cookies.items()
        ):
            parser.error(f"{args.cookies}: not a JSON object of cookie names to values")
    if args.warm:  # starts the embedded sandbox and fills the caches
        started = time.perf_counter()
        idle_sessions(args.host, 1, cookies)[0].close()
        print(json.dumps({"first_visit_s": time.perf_counter() - started}))
        return 0
    if args.idle:
        proc = psutil.Process(args.server_pid)
        before = proc.memory_info().rss
        sessions = idle_sessions(args.host, args.idle, cookies)
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
    if args.tour:
        started = time.perf_counter()
        pages = tour(args.host, targets, cookies)
        print(json.dumps({"pages": pages, "seconds": time.perf_counter() - started}))
        return 0
    summary = run(args.host, args.agents, args.seconds, targets, server_pid=args.server_pid,
                  soak=args.soak, cookies=cookies, reconnect=args.reconnect)  # fmt: skip
    print(json.dumps(summary.__dict__))
    return 0


if __name__ == "__main__":
    sys.exit(main())
