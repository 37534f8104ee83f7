"""The Linux bundle's entry point (packaging/smartbrain.spec freezes it into `smartbrain`).

One executable is the whole of SmartBrain: with no arguments the desktop app, with `serve` the
backend that the app starts as its own child (desktop/embedded_backend.py), and, run by
multiprocessing with `--multiprocessing-fork`, one of that backend's Granian workers.
"""

import multiprocessing
import sys

from smartbrain_cli import main

if __name__ == "__main__":
    # A Granian worker is this same executable, spawned: run the worker and exit here, before
    # the command line below could take its arguments for the app's.
    multiprocessing.freeze_support()
    sys.exit(main())
