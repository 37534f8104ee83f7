"""`main.py serve`: the API on this computer, with the embedded defaults when unconfigured."""

from __future__ import annotations

import logging
import signal
import sys
import threading

from werkzeug.serving import make_server

from backend import create_app
from backend.config import Config
from backend.embedded_redis import DataDirInUse, EmbeddedRedis
from backend.migrate import DatabaseUnreachable, upgrade
from backend.private_files import private_dir

READY_LINE = "SmartBrain backend listening on {url}"


def _stop_on_sigterm() -> None:
    def handler(_signum, _frame):
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, handler)


def _exit_when_stdin_closes(server) -> None:
    """Stop serving when the parent that holds our stdin goes away, even if it crashed."""

    def watch() -> None:
        while sys.stdin.buffer.read(4096):
            pass
        server.shutdown()

    threading.Thread(target=watch, name="stdin-watch", daemon=True).start()


def serve(host: str, port: int, exit_with_parent: bool = False) -> None:
    """Serve until interrupted; prints READY_LINE once the API accepts requests."""
    _stop_on_sigterm()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # smartbrain.access logs requests
    config = Config()
    private_dir(config.data_dir)  # also when it existed before, wider
    embedded = None
    try:
        if not config.redis_url:
            embedded = EmbeddedRedis(config.data_dir / "redis")
            try:
                config.redis_url = embedded.start()
            except DataDirInUse as error:  # one plain sentence on stderr, exit status 1
                raise SystemExit(str(error)) from None
        try:
            upgrade(config.database_url)
        except DatabaseUnreachable as error:
            raise SystemExit(str(error)) from None
        server = make_server(host, port, create_app(config), threaded=True)
        if exit_with_parent:
            _exit_when_stdin_closes(server)
        url = f"http://{host if ':' not in host else f'[{host}]'}:{server.server_port}"
        print(READY_LINE.format(url=url), flush=True)
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        if embedded is not None:
            embedded.stop()
