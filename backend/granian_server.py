"""Granian serving a WSGI app from worker processes, for `main.py serve` and `smartbrain-server`.

What it adds to Granian: a free port when asked for port 0, a callback once a worker really
answers HTTP, an optional stop when standard input closes, workers that stop when their main
process dies (SIGKILL included), and a deadline for request bodies (backend/body_deadline.py;
the app must be a Flask app, which answers the timeout in its error shape). Nothing here is
POSIX-only: Granian handles the signals (SIGINT, SIGTERM, and SIGBREAK on Windows), and the
watches are threads.
"""

from __future__ import annotations

import errno
import http.client
import importlib
import logging
import multiprocessing
import os
import re
import signal
import socket
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

from granian.constants import HTTPModes, Interfaces
from granian.http import HTTP1Settings
from granian.server import MPServer as Server  # worker processes, also on free-threaded builds

from backend.body_deadline import WSGIApp, with_body_deadline

# A connection that has not sent its whole request head by then is closed, so clients that
# drip their headers cannot hold a connection open for long (issue 11).
HEADER_READ_TIMEOUT_SECONDS = 10
# A longer request head is answered 431 (one sent in a single burst may reach twice this
# before it is noticed). Granian's default, 412 KiB, would let each slow connection hold that
# much for the header timeout; our tokens are short.
MAX_HEAD_BYTES = 64 * 1024
# Request threads per worker, started as needed (Granian ends those idle for 30 s). A sign-in
# holds one for bcrypt's quarter of a second, a request whose body is late holds one for up to
# BODY_READ_SECONDS; both wait without the GIL, so a waiting thread costs only its memory. With
# 32, 150 slow uploads left none for other clients (GET /health waited 10 s); with 512 its p99
# stayed under 5 ms (tests/backend/test_slow_clients.py).
BLOCKING_THREADS = 512
# How long a worker may take to finish its requests after SIGTERM before it is killed.
WORKER_STOP_SECONDS = 10
_PORT_ATTEMPTS = 5
_ADDRESS_IN_USE = {errno.EADDRINUSE, getattr(errno, "WSAEADDRINUSE", errno.EADDRINUSE)}
_OS_ERROR = re.compile(r"\(os error (\d+)\)")
_LOG_FORMAT = "%(asctime)s %(name)s %(message)s"


class WithoutThreadsAdvice(logging.Filter):
    """Drops Granian's advice against many blocking threads: ours mostly wait (for bcrypt, for
    a late body) without the GIL."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not record.getMessage().startswith("Configuration allows spawning up to")


def logging_config(access_to_stdout: bool = False) -> dict[str, Any]:
    """Logging for the main process and each worker: INFO and above on stderr, Granian's own
    messages included, its access log off (the app logs each request, `smartbrain.access`).
    With access_to_stdout the app's access lines go to stdout instead (production; `serve`
    keeps stdout for its ready line)."""
    stderr = {"class": "logging.StreamHandler", "stream": "ext://sys.stderr", "formatter": "plain"}
    access = {
        **stderr,
        "class": "logging.StreamHandler",
        "stream": "ext://sys.stdout" if access_to_stdout else "ext://sys.stderr",
    }
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"plain": {"format": _LOG_FORMAT}},
        "filters": {"without_threads_advice": {"()": WithoutThreadsAdvice}},
        "handlers": {"stderr": stderr, "access": access},
        "root": {"handlers": ["stderr"], "level": "INFO"},
        "loggers": {
            "_granian": {"filters": ["without_threads_advice"], "propagate": True},
            # one line a request, on its own handler (stdout in production)
            "smartbrain.access": {"handlers": ["access"], "propagate": False},
        },
    }


@dataclass(frozen=True)
class Tuning:
    """How each worker serves: request threads, and where the access log goes."""

    threads: int = BLOCKING_THREADS
    access_to_stdout: bool = False


def run(
    target: str,
    host: str,
    port: int,
    workers: int,
    on_ready: Callable[[int], None],
    exit_with_parent: bool = False,
    tuning: Tuning = Tuning(),
) -> None:
    """Serve the WSGI app `target` ("module:attribute", imported in each of `workers`
    processes) until SIGINT or SIGTERM (or standard input closes, with `exit_with_parent`).

    Port 0 picks a free port. `on_ready(port)` is called once, from a thread, when the server
    has answered an HTTP request. Returns after every worker has stopped; raises SystemExit(1)
    if a worker kept failing.
    """
    # Workers start as fresh interpreters, as they must on Windows and do on macOS: a fork would
    # copy locks that our threads (the ready probe, the stdin watch) may hold at that moment.
    multiprocessing.set_start_method("spawn", force=True)
    for _ in range(_PORT_ATTEMPTS):
        chosen = port or _free_port(host)
        server = _server(target, host, chosen, workers, tuning)
        # Startup hooks run once the port is bound, just before the workers start.
        server.on_startup(partial(_announce_when_answering, server, host, chosen, on_ready))
        if exit_with_parent:
            server.on_startup(partial(_stop_when_stdin_closes, server))
        try:
            server.serve(target_loader=_load_in_worker)
            return
        except RuntimeError as error:
            if not _address_in_use(error):
                raise
            if port:
                raise SystemExit(f"Cannot listen on {host}:{port}: it is in use.") from None
            # Granian binds the port itself: another process may have taken the free one since.
    raise SystemExit(f"No free port on {host} after {_PORT_ATTEMPTS} attempts.")


def _server(target: str, host: str, port: int, workers: int, tuning: Tuning) -> Server:
    return Server(
        target,
        address=host,
        port=port,
        interface=Interfaces.WSGI,
        workers=workers,
        blocking_threads=tuning.threads,
        # HTTP/1 only: the header read timeout is an HTTP/1 setting, and our clients speak it.
        http=HTTPModes.http1,
        http1_settings=HTTP1Settings(
            header_read_timeout=HEADER_READ_TIMEOUT_SECONDS * 1000,
            max_buffer_size=MAX_HEAD_BYTES,
        ),
        websockets=False,
        log_dictconfig=logging_config(tuning.access_to_stdout),
        log_access=False,  # the app logs each request (smartbrain.access)
        # A worker that crashed (say, in native face-detection code) is replaced; Granian gives
        # up, and exits 1, when workers keep crashing.
        respawn_failed_workers=True,
        workers_kill_timeout=WORKER_STOP_SECONDS,
    )


def _free_port(host: str) -> int:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        return probe.getsockname()[1]


def _address_in_use(error: RuntimeError) -> bool:
    found = _OS_ERROR.search(str(error))
    return found is not None and int(found.group(1)) in _ADDRESS_IN_USE


def _load_in_worker(target: str) -> WSGIApp:
    """In a worker: watch the main process, then import the app."""
    _stop_with_main_process()
    module, _, name = target.partition(":")
    return with_body_deadline(getattr(importlib.import_module(module), name))


def _stop_with_main_process() -> None:
    """Stop this worker (as Granian's SIGTERM would) once the main process is gone, even if it
    was killed and could not stop its workers itself."""
    main = multiprocessing.parent_process()
    if main is None:
        return

    def watch() -> None:
        main.join()  # waits on the process's sentinel: no polling, on every platform
        os.kill(os.getpid(), signal.SIGTERM)  # on Windows: terminates at once

    threading.Thread(target=watch, name="main-process-watch", daemon=True).start()


def _announce_when_answering(
    server: Server, host: str, port: int, on_ready: Callable[[int], None]
) -> None:
    """Call `on_ready(port)` once the server answers a `GET /health` (any status will do)."""
    target = {"0.0.0.0": "127.0.0.1", "::": "::1"}.get(host, host)

    def probe() -> None:
        while not server.main_loop_interrupt.is_set():
            connection = http.client.HTTPConnection(target, port, timeout=5)
            try:
                connection.request("GET", "/health")
                connection.getresponse().read()
            except OSError:
                time.sleep(0.05)  # no worker listens yet (or it is still loading the app)
                continue
            finally:
                connection.close()
            on_ready(port)
            return

    threading.Thread(target=probe, name="ready-probe", daemon=True).start()


def _stop_when_stdin_closes(server: Server) -> None:
    """Stop the server, as SIGTERM would, when the parent that holds our stdin goes away,
    even if it crashed."""

    def watch() -> None:
        while sys.stdin.buffer.read(4096):
            pass
        server.signal_handler_interrupt()

    threading.Thread(target=watch, name="stdin-watch", daemon=True).start()
