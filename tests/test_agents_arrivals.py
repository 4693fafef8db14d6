"""``bench.agents``: the agents Locust starts in one second arrive spread over that second, as
people do, not in the same instant (Locust's dispatcher starts ``spawn_rate`` users at once).

The agents run in a process of their own (Locust patches the standard library for gevent on
import); their steps are replaced by one that notes when each agent's first step began.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# Ten agents a second (50 agents, spawn rate 10), for a second and a half: the first second's ten.
AGENTS = r"""
import json, time
import gevent
import bench.agents as ba

began = {}

def step(self, name, page, query, *, first=False):
    began.setdefault(id(self), time.monotonic() - t0)
    gevent.sleep(60)  # one step each: the run ends first

ba.Agent._step = step
targets = ba.Targets(load_ids=["LD1"], endpoint_id="ep", message_ids=["m1"])
t0 = time.monotonic()
ba.run("http://127.0.0.1:9", 50, 1.5, targets, server_pid=None)
print(json.dumps(sorted(began.values())))
"""


def test_the_agents_of_one_second_arrive_spread_over_it() -> None:
    out = subprocess.run([sys.executable, "-c", AGENTS], cwd=ROOT, capture_output=True,
                         text=True, timeout=120, check=True)  # fmt: skip
    began = json.loads(out.stdout.strip().splitlines()[-1])
    assert len(began) >= 10, began
    first_ten = began[:10]
    # Locust starts them together: without the spread, all ten begin within a few milliseconds.
    assert first_ten[-1] - first_ten[0] > 0.3, first_ten
    assert first_ten[-1] < 1.0 + 0.5, first_ten  # within their second (and a busy machine's lag)
