"""This process's background threads (the recovery worker, the board's warming, the alert
evaluator): each started once, on the first script run that needs it, and never by a process
whose environment switches it off (``ENVOY_JOB_WORKER=0`` and the like, for tests and benches).
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import uuid
from collections.abc import Callable

# This process's name in the store's leases (recovery jobs, the alert evaluator): unique even
# when two replicas share a host name and a pid (containers).
OWNER = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
_started: set[str] = set()
_lock = threading.Lock()


def start_once(name: str, switch: str, loop: Callable[[], None], *, quiet: bool = False) -> None:
    """Run ``loop`` on a daemon thread called ``name``, once per process, unless the environment
    variable ``switch`` is "0". ``quiet``: the thread reads through st.cache_data outside any
    script run, on purpose, and Streamlit's "missing ScriptRunContext" warning (once per cached
    call) would otherwise fill the replica's log."""
    with _lock:
        if name in _started or os.environ.get(switch, "1") == "0":
            return
        _started.add(name)
    if quiet:
        logging.getLogger("streamlit.runtime.scriptrunner_utils.script_run_context").addFilter(
            lambda record: threading.current_thread().name != name
        )
    threading.Thread(target=loop, name=name, daemon=True).start()
