"""`smartbrain-server`: gunicorn serving backend.wsgi:app with sensible defaults.

It binds 0.0.0.0:3000 unless told otherwise. Workers come from the core count; each runs 16
threads: a sign-in holds its thread for bcrypt's quarter of a second or more (hashing runs at
a lower CPU priority, so longer when the machine is busy), and with only a few threads a
burst of sign-ins would leave none for the requests behind it (bench/soak.py: p99 of the
other requests 1.3 s with 4 threads, 0.1 s with 16). bcrypt releases the GIL, so the waiting
threads cost only their memory. Any gunicorn option given on the command line wins over
these defaults (gunicorn keeps the last value it reads).
"""

from __future__ import annotations

import os
import sys


def default_arguments(user_arguments: list[str], cores: int | None = None) -> list[str]:
    cores = cores or os.cpu_count() or 1
    binds = any(arg in ("-b", "--bind") or arg.startswith("--bind=") for arg in user_arguments)
    return [
        *([] if binds else ["--bind", "0.0.0.0:3000"]),
        # Several servers may run on one machine: no shared control socket in the home folder.
        "--no-control-socket",
        "--workers",
        str(max(2, cores)),
        "--worker-class",
        "gthread",
        "--threads",
        "16",
        "--access-logfile",
        "-",
        "--access-logformat",
        '%(h)s "%(m)s %(U)s" %(s)s %(b)s %(M)sms id=%({x-request-id}o)s',
        "--graceful-timeout",
        "30",
        "--timeout",
        "60",
    ]


def main(argv: list[str] | None = None) -> None:
    from gunicorn.app.wsgiapp import run

    user_arguments = sys.argv[1:] if argv is None else argv
    defaults = default_arguments(user_arguments)
    sys.argv = ["smartbrain-server", *defaults, *user_arguments, "backend.wsgi:app"]
    run()
