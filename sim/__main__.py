"""`python -m sim ...`: the command line of `run.py` (see `sim.cli`)."""

import sys

from sim.cli import main

if __name__ == "__main__":
    sys.exit(main(prog="python -m sim"))
