"""`python -m smartbrain_cli`: what the desktop app runs to start this computer's backend."""

import sys

from smartbrain_cli import main

sys.exit(main())
