"""``mock-server`` / ``python -m mock_server``: serve the reference server.

Everything that can be wrong is found before the banner: the arguments and the config file (checked against
``schemas/admin/config.json``), the store (reachable, of this layout), and the port (bound first). The banner
then says what is really served: the URL with the bound port, the server, workers and threads, the store, and
whether the demo data was loaded.
"""

from __future__ import annotations

import argparse
import errno
import logging
import socket
import sys
from collections.abc import Callable, Sequence
from importlib.metadata import PackageNotFoundError, version

from flask import Flask

from . import accesslog
from .app import create_app
from .config import SERVICE_NAMES, Config, load_config
from .kit import Kit
from .serving import FORKING, SERVERS, available, default_server, hold_signals, serve
from .store import STORE_FORMS, open_store

__all__ = ["main"]


def _version() -> str:
    try:
        return version("analytics-api-kit")
    except PackageNotFoundError:  # run from a source tree that was never installed
        return "unknown"


def _bounded(low: int, high: int | None, what: str) -> Callable[[str], int]:
    def parse(raw: str) -> int:
        try:
            value = int(raw)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{raw!r} is not a whole number") from None
        if value < low or (high is not None and value > high):
            span = f"from {low} to {high}" if high is not None else f"at least {low}"
            raise argparse.ArgumentTypeError(f"{value} is out of range: {what} is {span}")
        return value

    return parse


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="mock-server", description="analytics-api-kit reference server")
    p.add_argument("--version", action="version", version=f"mock-server (analytics-api-kit) {_version()}")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=_bounded(0, 65535, "a TCP port"), default=8080,
                   help="0 picks a free port (the banner prints it)")
    p.add_argument("--store", help=STORE_FORMS)
    p.add_argument("--migrate", action="store_true", help="upgrade a SQL store of an older layout in place")
    p.add_argument("--config", help="a JSON config file (schemas/admin/config.json)")
    p.add_argument("--only", choices=SERVICE_NAMES, help="also serve this service at /")
    p.add_argument("--demo-data", action="store_true", default=None, help="load the demo dataset")
    p.add_argument("--strict", action="store_true", default=None, help="validate responses too")
    p.add_argument("--require-https", action="store_true", default=None, help="taplytics: refuse plain http")
    p.add_argument("--workers", type=_bounded(1, 64, "--workers"), default=1,
                   help="worker processes (needs a sqlite or postgresql store)")
    p.add_argument("--threads", type=_bounded(1, 256, "--threads"), default=8, help="threads per worker")
    p.add_argument("--no-pin", dest="pin", action="store_false",
                   help="let the kernel move each worker between CPUs (default: each worker on one CPU, Linux)")
    p.add_argument("--server", choices=SERVERS, help="the WSGI server (default: gunicorn, or waitress on Windows)")
    return p.parse_args(argv)


def banner(k: Kit, base: str, *, server: str = "", workers: int = 1, threads: int = 1) -> str:
    how = f"{server}, {workers} worker{'s' if workers > 1 else ''} x {threads} threads" if server else ""
    demo = "demo data loaded" if k.config.demo_data else "no demo data (--demo-data loads it)"
    lines = [
        f"analytics-api-kit reference server {_version()} on {base}" + (f" ({how})" if how else ""),
        f"  store {getattr(k.store, 'url', 'memory://')}; {demo}",
    ]
    for name, service in k.services.items():
        creds = ", ".join(f"{key}={value}" for key, value in service.credentials().items())
        lines.append(f"  {name:<10} {base}/{name}" + (f"   [{creds}]" if creds else ""))
    if k.config.only:
        lines.append(f"  {k.config.only} is also served at {base}/")
    lines.append(f"  admin      {base}/_admin/health, /_admin/reset, /_admin/seed, /_admin/requests, /_admin/faults")
    lines.append(f"  inspector  {base}/_admin/ui")
    lines.append("Ctrl-C to quit")
    return "\n".join(lines)


class Refused(Exception):
    """A reason not to start, printed as ``mock-server: <reason>`` with exit status 2."""


def _listen(host: str, port: int) -> socket.socket:
    """A listening socket on ``host:port``, or a ``Refused`` that names the flag to change."""
    try:
        family, _, _, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
    except socket.gaierror as exc:
        raise Refused(f"cannot listen on --host {host!r}: {exc.strerror}") from None
    try:
        sock = socket.create_server(address[:2], family=family, backlog=1024)
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            raise Refused(f"port {port} on {host} is already in use: stop what is using it or choose "
                          "another with --port (--port 0 picks a free one)") from None
        if exc.errno == errno.EACCES:
            raise Refused(f"not allowed to listen on port {port} (ports below 1024 need privileges): "
                          "choose another with --port") from None
        raise Refused(f"cannot listen on {host}:{port} ({exc.strerror}): check --host and --port") from None
    sock.set_inheritable(True)  # gunicorn's workers inherit it across fork
    return sock


def _prepare(args: argparse.Namespace) -> tuple[Config, str]:
    cfg = load_config(args.config).with_changes(
        store=args.store, only=args.only, demo_data=args.demo_data, strict=args.strict,
        require_https=args.require_https,
    )
    server = args.server or default_server()
    if server is None or not available(server):
        what = server or "a WSGI server (gunicorn or waitress)"
        raise Refused(f"{what} is not installed here: pip install 'analytics-api-kit[server]'")
    if args.workers > 1 and cfg.store == "memory://":
        raise Refused("--workers > 1 needs a shared store: --store sqlite:///path.db or postgresql://... "
                      "(memory is per process)")
    if args.workers > 1 and server not in FORKING:
        raise Refused(f"{server} serves from one process: use --threads, or gunicorn or granian (Linux, macOS) "
                      "for --workers")
    return cfg, server


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        cfg, server = _prepare(args)
        if args.migrate:
            open_store(cfg.store, migrate=True).close()
        sock = _listen(args.host, args.port)
        try:
            app = create_app(cfg)
        except BaseException:
            sock.close()
            raise
    except (Refused, OSError, ValueError) as exc:  # a bad flag, config, store or port: say so, no traceback
        print(f"mock-server: {exc}", file=sys.stderr)
        return 2
    hold_signals()  # a SIGTERM or Ctrl-C from the banner on waits for the server's handlers (serve lets it in)
    host, port = sock.getsockname()[:2]
    shown = f"[{host}]" if ":" in host else host
    print(banner(app.extensions["analytics_api_kit"], f"http://{shown}:{port}", server=server,
                 workers=args.workers, threads=args.threads), flush=True)
    logging.basicConfig(format="%(asctime)s %(message)s", level=logging.WARNING)
    accesslog.install(sys.stderr)
    _forget_connections(app)
    return serve(app, sock, server=server, workers=args.workers, threads=args.threads, pin=args.pin)


def _forget_connections(app: Flask) -> None:
    # The master (or the only process) closes what create_app opened; each worker opens its own on first use,
    # so no forked process shares a database session with another.
    app.extensions["analytics_api_kit"].store.close()
