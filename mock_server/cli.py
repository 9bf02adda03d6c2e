"""``mock-server`` / ``python -m mock_server``: serve the reference server."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence

from werkzeug.serving import run_simple

from .app import create_app
from .config import SERVICE_NAMES, load_config
from .kit import Kit

__all__ = ["main"]


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="mock-server", description="analytics-api-kit reference server")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8080)
    p.add_argument("--store", help="memory:// (default) or sqlite:///path.db")
    p.add_argument("--config", help="a JSON config file (keys of mock_server.config.Config)")
    p.add_argument("--only", choices=SERVICE_NAMES, help="also serve this service at /")
    p.add_argument("--demo-data", action="store_true", default=None, help="load the demo dataset")
    p.add_argument("--strict", action="store_true", default=None, help="validate responses too")
    p.add_argument("--require-https", action="store_true", default=None, help="taplytics: refuse plain http")
    p.add_argument("--workers", type=int, default=1, help="worker processes (needs a sqlite store)")
    return p.parse_args(argv)


def banner(k: Kit, base: str) -> str:
    lines = [f"analytics-api-kit reference server on {base} (store {getattr(k.store, 'url', 'memory://')})"]
    for name, service in k.services.items():
        creds = ", ".join(f"{key}={value}" for key, value in service.credentials().items())
        lines.append(f"  {name:<10} {base}/{name}" + (f"   [{creds}]" if creds else ""))
    if k.config.only:
        lines.append(f"  {k.config.only} is also served at {base}/")
    lines.append(f"  admin      {base}/_admin/health, /_admin/reset, /_admin/seed, /_admin/requests")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        cfg = load_config(args.config).with_changes(
            store=args.store, only=args.only, demo_data=args.demo_data, strict=args.strict,
            require_https=args.require_https,
        )
    except (OSError, ValueError) as exc:
        print(f"mock-server: {exc}", file=sys.stderr)
        return 2
    if args.workers > 1 and not cfg.store.startswith("sqlite:"):
        print("mock-server: --workers > 1 needs --store sqlite:///path.db (memory is per process)", file=sys.stderr)
        return 2
    try:
        app = create_app(cfg)
    except (OSError, ValueError) as exc:  # a bad store URL or file: say so, no traceback
        print(f"mock-server: {exc}", file=sys.stderr)
        return 2
    print(banner(app.extensions["analytics_api_kit"], f"http://{args.host}:{args.port}"), flush=True)
    # werkzeug's access log prints raw paths and query strings (widget keys, ezkeys): print ours instead.
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    logging.basicConfig(format="%(asctime)s %(message)s", level=logging.WARNING)
    logging.getLogger("mock_server.access").setLevel(logging.INFO)
    run_simple(args.host, args.port, app, threaded=args.workers == 1, processes=args.workers,
               use_reloader=False, use_debugger=False)
    return 0
