"""``envoy-sandbox`` / ``python -m envoy_sandbox``: serve the seeded demo Envoy API."""

from __future__ import annotations

import argparse
from dataclasses import replace

from .config import SandboxSettings
from .server import serve


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="envoy-sandbox", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8787)
    parser.add_argument("--db", default="data/sandbox.db", help="SQLite file (created if missing)")
    parser.add_argument("--loads", type=int, default=1000, help="loads in the first organization")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument(
        "--retry-scale",
        type=float,
        default=1.0,
        help="multiply the retry delays (0.01 makes retries near-instant)",
    )
    parser.add_argument(
        "--ticker",
        type=float,
        default=None,
        metavar="SECONDS",
        help="make new activity every SECONDS",
    )
    parser.add_argument(
        "--disable-after-dead",
        type=int,
        default=SandboxSettings.disable_after_dead,
        metavar="N",
        help="disable an endpoint after N messages in a row end DEAD",
    )
    args = parser.parse_args(argv)
    settings = replace(
        SandboxSettings(),
        db_path=args.db,
        loads=args.loads,
        seed=args.seed,
        retry_scale=args.retry_scale,
        ticker_seconds=args.ticker,
        disable_after_dead=args.disable_after_dead,
    )
    serve(settings, args.host, args.port)


if __name__ == "__main__":
    main()
