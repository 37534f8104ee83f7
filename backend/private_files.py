"""Files at rest readable by their owner only: the data directory, the database, Valkey's files.

Everything here takes away the group's and others' permissions and never adds any, so a
directory or file the owner made narrower stays so. Where there are no POSIX modes (Windows)
it only creates what is missing.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

GROUP_AND_OTHERS = 0o077
_SQLITE_COMPANIONS = ("-wal", "-shm", "-journal")


def private_dir(path: Path) -> Path:
    """Create `path` (and its parents) if missing; `path` itself ends up 0700 at most."""
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    _restrict(path)
    return path


def private_tree(path: Path) -> None:
    """`path` and everything under it (files, directories, sockets): owner only.

    Symbolic links inside are left alone, and so is what they point to.
    """
    _restrict(path)
    for root, dirs, files in os.walk(path):
        for name in dirs + files:
            _restrict(Path(root, name), follow=False)


def private_file(path: Path) -> Path:
    """Create `path` empty (0600) if missing, else take away the group's and others' bits."""
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except FileExistsError:
        _restrict(path)
    return path


def private_sqlite_database(path: Path) -> None:
    """The database file 0600, created empty if new (SQLite takes an empty file for an empty
    database), and any -wal, -shm or -journal left beside it likewise. SQLite gives the ones it
    creates later the database file's mode."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    private_file(path)
    for suffix in _SQLITE_COMPANIONS:
        _restrict(path.with_name(path.name + suffix), missing_ok=True)


@contextmanager
def private_new_files() -> Iterator[None]:
    """While inside: the files this process and the children it starts create are 0600/0700.

    The umask is the process's: what other threads create meanwhile is private too, never
    more open.
    """
    previous = os.umask(GROUP_AND_OTHERS)
    try:
        yield
    finally:
        os.umask(previous)


def _restrict(path: Path, *, missing_ok: bool = False, follow: bool = True) -> None:
    """Take the group's and others' bits away from `path` (from its target, if it is a link
    and `follow`)."""
    if os.name != "posix":
        return
    try:
        status = os.stat(path) if follow else os.lstat(path)
    except FileNotFoundError:
        if missing_ok:
            return
        raise
    mode = stat.S_IMODE(status.st_mode)
    if mode & GROUP_AND_OTHERS and not stat.S_ISLNK(status.st_mode):
        os.chmod(path, mode & ~GROUP_AND_OTHERS)
