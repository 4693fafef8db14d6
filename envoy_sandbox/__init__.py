"""A faithful local Envoy API: FastAPI + SQLite, seeded demo data, a real webhook sender.

The dashboard starts it in-process when nothing is configured; tests and benchmarks run
against it over real HTTP.
"""

from .app import create_app
from .config import DEFAULT_API_KEY, SandboxSettings
from .extras import Login, SandboxExtras
from .server import start_in_thread

__all__ = [
    "DEFAULT_API_KEY",
    "Login",
    "SandboxExtras",
    "SandboxSettings",
    "create_app",
    "start_in_thread",
]
