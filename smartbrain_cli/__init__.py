"""SmartBrain's command line: the desktop app, the API server, and database migrations.

    smartbrain [--server URL]                    the desktop app
    smartbrain serve [--host] [--port] [...]     the API on this computer (embedded defaults)
    smartbrain db upgrade                        apply the database migrations

It wires `desktop` and `backend` together and holds no logic of its own: the one place that
knows both (desktop/ never imports backend/, nor backend/ desktop/). `python -m smartbrain_cli`
and the checkout's `python main.py` are the same command.
"""

from __future__ import annotations

import argparse
import os
import sys


def _app_parser(prog: str) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=prog, description="Find the faces in a photo.")
    parser.add_argument("--server", metavar="URL", help="use the SmartBrain backend at URL")
    return parser


def _parser() -> argparse.ArgumentParser:
    parser = _app_parser("smartbrain")
    commands = parser.add_subparsers(dest="command")
    serve = commands.add_parser("serve", help="serve the API")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=3000, help="0 picks a free port")
    serve.add_argument(
        "--workers",
        type=int,
        # The desktop app asks for 1 (a small local backend); a web front end gets every core.
        default=1 if sys.platform == "win32" else os.cpu_count() or 1,
        help="worker processes (default: one per core; Granian runs 1 on Windows)",
    )
    serve.add_argument(
        "--exit-with-parent", action="store_true", help="stop when standard input closes"
    )
    db = commands.add_parser("db", help="manage the database")
    db.add_argument("action", choices=["upgrade"])
    return parser


def main(argv: list[str] | None = None) -> int:
    """`smartbrain`: the app, or `serve`, or `db upgrade`; the process's exit code."""
    args = _parser().parse_args(argv)
    if args.command == "serve":
        from backend.server import serve

        serve(args.host, args.port, args.workers, exit_with_parent=args.exit_with_parent)
        return 0
    if args.command == "db":
        from backend.config import Config
        from backend.migrate import DatabaseUnreachable, upgrade

        try:
            notices = upgrade(Config().database_url)
        except DatabaseUnreachable as error:
            print(error, file=sys.stderr)
            return 1
        print(*notices, "The database is up to date.", sep="\n")
        return 0
    return run_app(args.server)


def app_main(argv: list[str] | None = None) -> int:
    """`smartbrain-app [--server URL]`: the app alone (a GUI entry point: on Windows it opens
    no console window)."""
    return run_app(_app_parser("smartbrain-app").parse_args(argv).server)


def run_app(server_url: str | None = None) -> int:
    """The desktop app against `server_url`, or the saved server, or this computer's backend."""
    from desktop.app import run

    return run(server_url)
