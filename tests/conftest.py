"""Shared test configuration: hypothesis profiles that any test module may select."""

import os

from hypothesis import HealthCheck, settings

# The long fuzzing run of tests/test_fuzz.py (see its docstring): many random examples, not
# derandomized, no deadline. Registered here, before any test module is imported, so that
# `--hypothesis-profile=fuzz-long` and `HYPOTHESIS_PROFILE=fuzz-long` both find it.
settings.register_profile(
    "fuzz-long",
    max_examples=5000,
    deadline=None,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.large_base_example,
    ],
)
if os.environ.get("HYPOTHESIS_PROFILE") == "fuzz-long":
    settings.load_profile("fuzz-long")
