"""One backend per data directory: a lock file held for as long as the embedded server runs.

The lock is the operating system's (flock on Linux and macOS, a byte-range lock on Windows),
so it is let go the moment its process ends, however it ends.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import IO


class DataDirInUse(RuntimeError):
    """Another SmartBrain backend is already running on this data directory."""


def lock_data_dir(directory: Path) -> IO[str]:
    """Take `directory`/backend.lock, or raise DataDirInUse; closing the file lets it go."""
    lock_file = open(directory / "backend.lock", "w")  # noqa: SIM115 - the caller holds it
    try:
        _lock(lock_file)
    except _HELD_BY_ANOTHER:
        lock_file.close()
        raise DataDirInUse(
            f"Another SmartBrain backend is already using {directory.parent}."
        ) from None
    except BaseException:
        lock_file.close()
        raise
    return lock_file


if sys.platform == "win32":
    import msvcrt

    # msvcrt says "held" with a plain OSError (EDEADLOCK or EACCES), nothing narrower.
    _HELD_BY_ANOTHER: type[OSError] = OSError

    def _lock(lock_file: IO[str]) -> None:
        # The first byte: the file is empty, and Windows allows locks past its end.
        lock_file.seek(0)
        msvcrt.locking(lock_file.fileno(), msvcrt.LK_NBLCK, 1)

else:
    import fcntl

    _HELD_BY_ANOTHER = BlockingIOError

    def _lock(lock_file: IO[str]) -> None:
        fcntl.flock(lock_file, fcntl.LOCK_EX | fcntl.LOCK_NB)
