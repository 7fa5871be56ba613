"""Agent-based simulator of learning through weak and strong ties, on Mesa.

From Python or Jupyter::

    from sim import run_scenario
    res = run_scenario("scenarios/weak_ties.yaml", replications=2, steps=20, out=None)
"""

import sim.kernel_cache  # noqa: F401 - first: chooses numba's cache folder before numba loads
from sim.api import (
    Results,
    compare_scenarios,
    export_graphml,
    plot_results,
    removal_analysis,
    run_scenario,
    run_sweep,
    sensitivity_analysis,
)
from sim.engines import make_model
from sim.model import LearningModel
from sim.version import __version__

__all__ = [
    "LearningModel",
    "Results",
    "__version__",
    "compare_scenarios",
    "export_graphml",
    "make_model",
    "plot_results",
    "removal_analysis",
    "run_scenario",
    "run_sweep",
    "sensitivity_analysis",
]
