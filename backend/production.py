"""`smartbrain-server`: the API in production, on the same server as `main.py serve` (Granian).

    smartbrain-server [--bind HOST:PORT] [--workers N] [--threads N]

It binds 0.0.0.0:3000 unless told otherwise. Workers come from the core count (at least 2);
each starts request threads as needed, up to --threads: a sign-in holds one for bcrypt's
quarter of a second and a late request body one for up to ten seconds, both without the GIL,
so waiting threads cost only their memory (backend/granian_server.py). The access log (one
line a request, with its id) goes to stdout, everything else to stderr. Configuration comes
from the environment (SMARTBRAIN_REDIS_URL must name a Redis server); run
`python main.py db upgrade` first. Stops gracefully on SIGTERM or SIGINT.
"""

from __future__ import annotations

import argparse
import logging
import logging.config
import os

from backend import granian_server

WSGI_APP = "backend.wsgi:app"
log = logging.getLogger("smartbrain.server")


def _bind(value: str) -> tuple[str, int]:
    host, _, port = value.rpartition(":")
    if not host or not port.isdigit():
        raise argparse.ArgumentTypeError(f"{value!r} is not HOST:PORT")
    return host.strip("[]"), int(port)


def _parser(cores: int) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="smartbrain-server", description=__doc__.splitlines()[0])
    parser.add_argument("--bind", "-b", type=_bind, default=("0.0.0.0", 3000), help="HOST:PORT")
    parser.add_argument("--workers", "-w", type=int, default=max(2, cores), help="worker processes")
    parser.add_argument(
        "--threads",
        type=int,
        default=granian_server.BLOCKING_THREADS,
        help="request threads per worker, at most",
    )
    return parser


def main(argv: list[str] | None = None) -> None:
    args = _parser(os.cpu_count() or 1).parse_args(argv)
    logging.config.dictConfig(granian_server.logging_config(access_to_stdout=True))
    from backend import create_app

    try:
        app = create_app()  # a bad setting fails here, in one sentence, before any worker starts
    except ValueError as error:
        raise SystemExit(str(error)) from None
    if app.config["SECRET_KEY"] is None:
        log.warning(
            "SMARTBRAIN_SECRET_KEY is not set: two-step secrets are encrypted with a key kept in "
            "%s; every server sharing this database needs the same SMARTBRAIN_SECRET_KEY",
            app.config["DATA_DIR"],
        )
    host, port = args.bind
    granian_server.run(
        WSGI_APP,
        host,
        port,
        args.workers,
        on_ready=lambda bound: log.info("SmartBrain API listening on %s:%d", host, bound),
        tuning=granian_server.Tuning(threads=args.threads, access_to_stdout=True),
    )
