"""Scenarios: the schema (defaults, ranges, units), YAML loading, overrides, sweeps.

The only package that parses YAML. Everything downstream receives a validated, frozen
`Scenario` (or the points of an `Experiment`).
"""

from sim.scenario.kinds import Engine, Generator, PartnerChoice, Policy, SeedStrategy
from sim.scenario.loading import (
    SWEEP_KEY,
    ScenarioError,
    as_scenario,
    dump_scenario,
    field_paths,
    load_scenario,
    read_scenario_data,
    validate,
)
from sim.scenario.schema import NetworkConfig, Scenario
from sim.scenario.sweep import Experiment, Method, Point, load_experiment

__all__ = [
    "SWEEP_KEY",
    "Engine",
    "Experiment",
    "Generator",
    "Method",
    "NetworkConfig",
    "PartnerChoice",
    "Point",
    "Policy",
    "Scenario",
    "ScenarioError",
    "SeedStrategy",
    "as_scenario",
    "dump_scenario",
    "field_paths",
    "load_experiment",
    "load_scenario",
    "read_scenario_data",
    "validate",
]
