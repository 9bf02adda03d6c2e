"""The production WSGI servers ``mock-server`` runs the app under, on a socket the CLI has already bound.

gunicorn (gthread workers: ``--workers`` processes of ``--threads`` threads, forked from a master that loaded
the app once) on Linux and macOS; waitress (one process of threads) where gunicorn does not run (Windows), or
when asked for; granian (Rust's hyper in front of ``--workers`` forked processes of ``--threads`` Python
threads, on Linux and macOS) when asked for. The choice and its figures: ``benchmarks/RESULTS.md``.

Shutdown is graceful on SIGTERM and on SIGINT (Ctrl-C) alike: the listening socket closes, requests in flight
finish (up to ``GRACE`` seconds), every process closes its store, and the exit status is 0 for SIGTERM and 130
for SIGINT, with no traceback.
"""

from __future__ import annotations

import importlib.util
import logging
import multiprocessing
import os
import signal
import socket
import sys
import time
from typing import Any

from flask import Flask

from . import affinity
from .errors import MAX_HEADERS

__all__ = ["GRACE", "SERVERS", "available", "default_server", "hold_signals", "serve"]

#: Seconds a stopping server gives the requests in flight.
GRACE = 30
SERVERS = ("gunicorn", "waitress", "granian")
#: Servers that fork their workers with the app already loaded: POSIX only.
FORKING = frozenset({"gunicorn", "granian"})
#: The exit status after Ctrl-C, as a shell reports a process ended by SIGINT.
INTERRUPTED = 130
#: The signals that stop a server.
STOPPING = frozenset({signal.SIGTERM, signal.SIGINT})


def hold_signals() -> None:
    """Hold SIGTERM and SIGINT (the CLI, before its banner) until the server has set its handlers: a signal right
    after the banner then stops the server gracefully, instead of Python's default ending it without a word."""
    if hasattr(signal, "pthread_sigmask"):  # not on Windows
        signal.pthread_sigmask(signal.SIG_BLOCK, STOPPING)


def _release_signals() -> None:
    """The server's handlers are set: a signal held until now is handled."""
    if hasattr(signal, "pthread_sigmask"):
        signal.pthread_sigmask(signal.SIG_UNBLOCK, STOPPING)


def available(name: str) -> bool:
    if name in FORKING and os.name != "posix":
        return False
    return importlib.util.find_spec(name) is not None


def default_server() -> str | None:
    """gunicorn where it runs, else waitress; None when neither is installed (granian only when asked for)."""
    return next((name for name in ("gunicorn", "waitress") if available(name)), None)


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
    if server == "granian":
        return _granian(app, sock, workers=workers, threads=threads, cpus=cpus)
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
            _release_signals()

    class Master(Arbiter):  # type: ignore[misc]
        interrupted = False

        def init_signals(self) -> None:
            super().init_signals()
            _release_signals()

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
    _release_signals()
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


class _NoThreadsAdvice(logging.Filter):
    """Drops granian's start-up advice that ``--threads`` exceeds twice the cores (true of the default 8 on a
    small machine, and printed on every start); every other warning and error of granian's is kept."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "Python threads" not in record.getMessage()


#: granian's own log (master and workers) to stderr at warning, as gunicorn's; its access log stays off (ours
#: masks secrets). Only the keys given replace granian's defaults, so the root logger, where the CLI's access
#: log goes, is left as it is.
_GRANIAN_LOGGING: dict[str, Any] = {
    "formatters": {"plain": {"format": "[granian] %(levelname)s %(message)s"}},
    "filters": {"quiet": {"()": _NoThreadsAdvice}},
    "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "plain", "stream": "ext://sys.stderr"}},
    "loggers": {"_granian": {"handlers": ["stderr"], "filters": ["quiet"], "level": "WARNING", "propagate": False}},
}


def _worker_signals_at_fork() -> None:
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _granian(app: Flask, sock: socket.socket, *, workers: int, threads: int, cpus: list[int]) -> int:
    import threading

    from granian._futures import _new_cbscheduler
    from granian.constants import Interfaces, TaskImpl
    from granian.http import HTTP1Settings
    from granian.log import LogLevels
    from granian.server.common import WORKERS_METHODS
    from granian.server.mp import MPServer, WorkerProcess  # worker processes on every build of Python
    from granian.wsgi import _callback_wrapper

    native: Any = importlib.import_module("granian._granian")  # its stubs lag its code (WSGIWorker's arguments)
    SocketHolder, WorkerSignal, WSGIWorker = native.SocketHolder, native.WorkerSignal, native.WSGIWorker

    # granian binds its own socket (SO_REUSEPORT, one a worker on Linux): its public API takes no socket. Where
    # it cannot do that (macOS, Windows) it serves one socket bound before the workers start, a SocketHolder of
    # its descriptor that every worker inherits. We take that path everywhere, with the socket the CLI bound: the
    # banner's port is the one served, and a taken port was refused before any banner.
    host, port = sock.getsockname()[:2]  # for granian's own messages
    fd = sock.detach()  # granian's now: its master closes it first when it stops
    on_linux = sys.platform.startswith(("linux", "freebsd"))
    holder = SocketHolder(fd, False, 1024) if on_linux else SocketHolder(fd, False)
    status: list[int] = []

    @WorkerProcess.wrap_target  # type: ignore[untyped-decorator]
    def worker(worker_id: int, callback: Any, sock: Any, ipc: Any, loop: Any, runtime_mode: Any, runtime_threads: int,
               runtime_blocking_threads: int, blocking_threads: int, idle_timeout: int, backpressure: int,
               task_impl: Any, http_mode: Any, http1: Any, http2: Any, _websockets: bool, static_path: Any,
               log_access_fmt: Any, ssl_ctx: Any, scope_opts: Any, metrics: Any) -> None:
        """granian's WSGI worker (``MPServer._spawn_wsgi_worker``) with its signals made reliable: SIGTERM, the
        master's word, reaches the main thread only (granian's threads are started with it blocked, so the
        kernel cannot hand it to one of them while the main thread sleeps on a lock and never runs the Python
        handler, which left a worker stuck until it was killed); SIGINT is ignored (a Ctrl-C reaches the whole
        process group: the master stops the workers). It closes the store once its requests are answered."""
        stop, stopped, asked = WorkerSignal(), threading.Event(), threading.Event()
        stop.add_cb(stopped.set)  # granian calls it once the worker has stopped accepting and drained

        def on_sigterm(*_: Any) -> None:
            asked.set()
            stop.set()

        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, on_sigterm)
        served = WSGIWorker(worker_id, sock, ipc, runtime_threads, runtime_blocking_threads, blocking_threads,
                            idle_timeout, backpressure, http_mode, http1, http2, static_path, *ssl_ctx, metrics)
        run = getattr(served, WORKERS_METHODS[runtime_mode][(sock[0] or sock[1]).is_uds()])
        scheduler = _new_cbscheduler(loop, _callback_wrapper(callback, scope_opts, log_access_fmt),
                                     impl_asyncio=task_impl == TaskImpl.asyncio)
        affinity.pin(cpus, worker_id - 1)  # as gunicorn's workers: before run() starts its threads (they inherit it)
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM})  # inherited by the threads run() starts
        try:
            run(scheduler, loop, stop)
        finally:
            signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM})
        try:
            while not stopped.wait(1):  # a timed wait: the main thread runs a pending handler within a second
                if asked.is_set():
                    stop.set()  # again: a stop asked for while granian's loop was still starting can go unseen
        finally:
            _close_store(app)
            # A forked worker ends in os._exit: no atexit, so the access log's last batch is written here
            for handler in logging.getLogger("mock_server.access").handlers:
                handler.flush()

    class Worker(WorkerProcess):  # type: ignore[misc]
        def _watcher(self) -> None:
            self.inner.join()
            if self.inner.exitcode == 0 and not getattr(self, "interrupt_by_parent", False):
                # It stopped cleanly on a SIGTERM of its own (sent to the whole group, as systemd does) and may
                # have exited before the master handled its copy: the server stops as told, not as a crash.
                self.interrupt_by_parent = True
                self.parent.signal_handler_interrupt(signal.SIGTERM)
            super()._watcher()

    class Server(MPServer):  # type: ignore[misc]
        def _init_shared_socket(self) -> None:
            self._ssp, self._shd, self._sfd = None, holder, fd
            self._sso = socket.socket(fileno=fd)

        def _spawn_worker(self, idx: int, target: Any, callback_loader: Any) -> Any:
            spawned = super()._spawn_worker(idx, target, callback_loader)
            spawned.__class__ = Worker  # granian names its worker class in _spawn_worker; ours only adds _watcher
            return spawned

        def startup(self, *args: Any) -> None:
            super().startup(*args)  # its handlers set and its workers started
            _release_signals()

        def signal_handler_interrupt(self, signum: int = signal.SIGTERM, *_: Any) -> None:
            # SIGTERM and SIGINT alike: stop accepting, then each worker (sent SIGTERM) finishes its requests
            if not status:
                status.append(INTERRUPTED if signum == signal.SIGINT else 0)
            super().signal_handler_interrupt()

    hold_signals()  # (held already when the CLI serves) until granian's handlers are set, in startup()
    server = Server(
        "mock_server", address=host, port=port, interface=Interfaces.WSGI, workers=workers,
        blocking_threads=threads, websockets=False, backlog=1024,
        # Above the app's own limits (mock_server.errors), so the app answers 414 and 431 in JSON: hyper's head
        # buffer (granian's default, 400 KiB) holds the request line and headers, and hyper refuses a target
        # over 64 KiB itself. (hyper also caps a request at 100 header lines, which granian 2 cannot raise.)
        http1_settings=HTTP1Settings(keep_alive=True, max_buffer_size=max(8192 + 4096 * 100, 4 * MAX_HEADERS)),
        log_level=LogLevels.warning, log_dictconfig=_GRANIAN_LOGGING, log_access=False,
        workers_kill_timeout=GRACE, respawn_failed_workers=True,  # a worker that dies is replaced, as gunicorn's
    )
    server.on_shutdown(lambda: _close_store(app))
    # The loaded app goes to the workers as it is, so they are forked (the default on Linux; macOS and Python
    # 3.14 would spawn them, and a spawned worker cannot receive a loaded app).
    multiprocessing.set_start_method("fork", force=True)
    # Until a worker sets its own handlers it would run the master's (a SIGTERM then did nothing, and the worker
    # was killed after GRACE): a worker not yet serving has nothing in flight, so the signal ends it at once.
    os.register_at_fork(after_in_child=_worker_signals_at_fork)
    try:
        server.serve(spawn_target=worker, target_loader=lambda: app, wrap_loader=False)
    except SystemExit as done:  # a worker died: granian's own status (1)
        return done.code if isinstance(done.code, int) else (0 if done.code is None else 1)
    return status[0] if status else 0
