"""The production WSGI servers ``mock-server`` runs the app under, on a socket the CLI has already bound.

gunicorn (gthread workers: ``--workers`` processes of ``--threads`` threads, forked from a master that loaded
the app once) on Linux and macOS; waitress (one process of threads) where gunicorn does not run (Windows), or
when asked for. The choice and its figures: ``benchmarks/RESULTS.md``.

Shutdown is graceful on SIGTERM and on SIGINT (Ctrl-C) alike: the listening socket closes, requests in flight
finish (up to ``GRACE`` seconds), every process closes its store, and the exit status is 0 for SIGTERM and 130
for SIGINT, with no traceback.
"""

from __future__ import annotations

import importlib.util
import os
import signal
import socket
import time
from typing import Any

from flask import Flask

from . import affinity
from .errors import MAX_HEADERS

__all__ = ["GRACE", "SERVERS", "available", "default_server", "serve"]

#: Seconds a stopping server gives the requests in flight.
GRACE = 30
SERVERS = ("gunicorn", "waitress")
#: The exit status after Ctrl-C, as a shell reports a process ended by SIGINT.
INTERRUPTED = 130


def available(name: str) -> bool:
    if name == "gunicorn" and os.name != "posix":
        return False
    return importlib.util.find_spec(name) is not None


def default_server() -> str | None:
    """gunicorn where it runs, else waitress; None when neither is installed."""
    return next((name for name in SERVERS if available(name)), None)


def _close_store(app: Flask) -> None:
    kit = app.extensions.get("analytics_api_kit")  # absent from a plain Flask app (benchmarks.bare_flask)
    if kit is not None:
        kit.store.close()


def serve(app: Flask, sock: socket.socket, *, server: str, workers: int, threads: int, pin: bool = True) -> int:
    """Serve ``app`` on the bound, listening ``sock`` until SIGTERM or SIGINT; the process's exit status. ``pin``:
    each worker process on one CPU of its own (``mock_server.affinity``)."""
    cpus = affinity.plan() if pin else []
    if server == "gunicorn":
        return _gunicorn(app, sock, workers=workers, threads=threads, cpus=cpus)
    affinity.pin(cpus, 0)  # before waitress starts its threads: they inherit the mask
    return _waitress(app, sock, threads=threads)


def _gunicorn(app: Flask, sock: socket.socket, *, workers: int, threads: int, cpus: list[int]) -> int:
    from gunicorn.app.base import BaseApplication
    from gunicorn.arbiter import Arbiter
    from gunicorn.workers.gthread import ThreadWorker

    class Worker(ThreadWorker):  # type: ignore[misc]
        def init_signals(self) -> None:
            super().init_signals()
            # gunicorn's workers quit at once on SIGINT; ours finish their requests as on SIGTERM (a Ctrl-C in a
            # terminal reaches every process of the group, not only the master).
            signal.signal(signal.SIGINT, self.handle_exit)

    class Master(Arbiter):  # type: ignore[misc]
        interrupted = False

        def handle_int(self) -> None:
            self.interrupted = True
            raise StopIteration  # the graceful path, as SIGTERM

        def halt(self, reason: Any = None, exit_status: int = 0) -> None:
            super().halt(reason, INTERRUPTED if self.interrupted and exit_status == 0 else exit_status)

    options: dict[str, Any] = {
        "bind": [f"fd://{sock.fileno()}"],
        "workers": workers,
        "threads": threads,
        "worker_class": Worker,
        "preload_app": True,  # loaded once in the master; each worker opens its own store connections
        "graceful_timeout": GRACE,
        "timeout": 120,
        "keepalive": 5,
        "loglevel": "warning",
        "accesslog": None,  # our own access log masks secrets (mock_server.journal)
        "control_socket_disable": True,
        # Above the app's own limits (mock_server.errors), so a long URL or big headers get the app's JSON 414
        # and 431 in the service's style, not gunicorn's HTML: a request line of any length (gunicorn's fast
        # parser would stop at 1 MiB), one header up to twice the app's whole-block limit, up to 1000 headers.
        "limit_request_line": 0,
        "limit_request_field_size": 2 * MAX_HEADERS,
        "limit_request_fields": 1000,
        # In the forked worker before its threads start (they inherit the mask); worker ages count from 1.
        "post_fork": lambda _server, worker: affinity.pin(cpus, worker.age - 1),
        "worker_exit": lambda _server, _worker: _close_store(app),
        "on_exit": lambda _server: _close_store(app),
    }

    class Application(BaseApplication):  # type: ignore[misc]
        def load_config(self) -> None:
            for key, value in options.items():
                if key in self.cfg.settings:  # older gunicorns lack some settings (the control socket)
                    self.cfg.set(key, value)

        def load(self) -> Flask:
            return app

    try:
        Master(Application()).run()
    except SystemExit as done:
        return done.code if isinstance(done.code, int) else (0 if done.code is None else 1)
    return 0


def _waitress(app: Flask, sock: socket.socket, *, threads: int) -> int:
    from waitress import wasyncore
    from waitress.server import create_server

    server = create_server(app, sockets=[sock], threads=threads, clear_untrusted_proxy_headers=True)
    status: list[int] = []

    def stop(signum: int, _frame: Any) -> None:
        status.append(INTERRUPTED if signum == signal.SIGINT else 0)  # the loop below sees it within a second

    handlers = {signum: signal.signal(signum, stop) for signum in (signal.SIGINT, signal.SIGTERM)}
    channels = server._map  # the listening socket, the trigger, and one channel a connection
    try:
        while not status:
            wasyncore.loop(timeout=1, map=channels, count=1)
        server.del_channel()  # stop accepting; keep the loop turning until the requests in flight are answered
        server.socket.close()
        deadline = time.monotonic() + GRACE
        while time.monotonic() < deadline and any(
                getattr(c, "requests", None) or getattr(c, "total_outbufs_len", 0) for c in list(channels.values())):
            wasyncore.loop(timeout=0.05, map=channels, count=1)
    finally:
        server.task_dispatcher.shutdown(cancel_pending=True, timeout=GRACE)
        _close_store(app)
        for signum, handler in handlers.items():
            signal.signal(signum, handler)
    return status[0] if status else 0
