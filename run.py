"""Run a scenario: `python run.py scenarios/weak_ties.yaml` (see README)."""

import sys

from sim.cli import main

if __name__ == "__main__":
    sys.exit(main())
