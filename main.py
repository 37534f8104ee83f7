"""`python main.py` in a checkout: SmartBrain's command line (smartbrain_cli), as `smartbrain`."""

import sys

from smartbrain_cli import main

if __name__ == "__main__":
    sys.exit(main())
