"""What every measurement of ``make bench`` shares: a sandbox to measure against (``Box``), the
console pointed at it and run under AppTest, a median timer, this process's RSS, and ``Result``,
one row of the report."""

from __future__ import annotations

import os
import statistics
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from typing_extensions import Unpack

from envoy_api import EnvoyClient
from envoy_sandbox import SandboxExtras, SandboxSettings, start_in_thread
from envoy_sandbox.contract import FaultRule

# The repository's root (bench/run.py has put it on the path): app.py is run from it.
ROOT = Path(__file__).resolve().parents[1]


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
    from components import data

    data.clear_caches()


def median_time(fn: Callable[[], Any], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def medians_in_turn(runs: Sequence[Callable[[], Any]], rounds: int) -> list[float]:
    """Each of ``runs``' median seconds, timed in turn, round after round, so that a busy
    moment of this shared machine falls on every side of a ratio (timed one side after the
    other, the same code's ratios swung from 1.02 to 1.67, 1.31 to 1.62, 0.58 to 1.89)."""
    times: list[list[float]] = [[] for _ in runs]
    for _ in range(rounds):
        for run, kept in zip(runs, times, strict=True):
            started = time.perf_counter()
            run()
            kept.append(time.perf_counter() - started)
    return [statistics.median(t) for t in times]


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")
