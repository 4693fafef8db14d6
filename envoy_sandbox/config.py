"""Sandbox settings: one frozen object passed to the app, the sender and the seeder."""

from __future__ import annotations

import os
from dataclasses import dataclass, field

DEFAULT_API_KEY = "envai_live_sandbox_demo_key_0001"
SECOND_ORG_API_KEY = "envai_live_sandbox_demo_key_0002"
DEMO_EMAIL = "agent@envoy.example"
DEMO_PASSWORD = "sandbox"
TOKEN_TTL = 12 * 3600  # seconds a bearer token from /auth/login stays valid, by default


@dataclass(frozen=True)
class SandboxSettings:
    """Everything the sandbox can be told; defaults suit the dashboard's demo."""

    db_path: str = "data/sandbox.db"
    api_key: str = field(
        default_factory=lambda: os.environ.get("ENVOY_SANDBOX_API_KEY", DEFAULT_API_KEY),
        repr=False,
    )
    seed: int = 42
    loads: int = 1000
    # Seconds to wait before retry n (1-based) of a failed delivery, times retry_scale.
    retry_delays: tuple[float, ...] = (5.0, 30.0, 120.0, 600.0)
    retry_scale: float = 1.0
    max_attempts: int = 5
    attempt_timeout: float = 5.0
    # Deliveries in flight at once, over all endpoints, and for any one endpoint. A receiver
    # that stalls holds its workers up to attempt_timeout per attempt; with these defaults it
    # takes 16 such endpoints, each with two deliveries due at once, before another endpoint's
    # delivery has to wait for a worker. Idle workers cost nothing: threads start on demand.
    sender_workers: int = 32
    sender_per_endpoint: int = 2
    sender_poll_interval: float = 0.05
    # An endpoint is DISABLED after this many messages in a row ended DEAD.
    disable_after_dead: int = 20
    rate_limit_per_minute: int = 100_000
    ticker_seconds: float | None = None
    flaky_failure_rate: float = 0.5
    # Signs bearer tokens. None: a random one, made once per database and kept in it (so
    # tokens survive a restart, and no token works on another sandbox's data).
    token_secret: str | None = field(default=None, repr=False)
    token_ttl: int = TOKEN_TTL
    seed_history: bool = True
    send_webhooks: bool = True

    def retry_delay(self, attempt: int) -> float:
        """Delay before the attempt after ``attempt`` (1-based) failed."""
        delays = self.retry_delays or (0.0,)
        return delays[min(attempt - 1, len(delays) - 1)] * self.retry_scale
