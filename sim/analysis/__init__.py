"""Analysis of saved tables: statistics, figures and network structure.

Summaries and statistics live in `stats`, sweep and comparison statistics in `comparisons`,
figures in `plotting` and `sweep_plots` (the only modules importing matplotlib), network
structure in `structure`.

The statistics are re-exported here; `sim.analysis.plotting` is imported on its own.
"""

from sim.analysis.comparisons import (
    AGGREGATE_COLUMNS,
    EXPERIMENT_COLUMNS,
    OUTCOME_COLUMNS,
    POINT_COLUMN,
    SCENARIO_COLUMN,
    by_point,
    by_value,
    failure_counts,
    holm,
    paired_differences,
)
from sim.analysis.stats import (
    CLASS_SEPARATOR,
    ID_COLUMNS,
    LEVELS,
    SUMMARY_COLUMNS,
    band,
    describe,
    flow_columns,
    format_table,
    item_classes,
    metric_columns,
    summarise_replications,
    time_to_share,
)
from sim.analysis.survival import (
    CENSOR_COLUMN,
    KM_COLUMNS,
    KMMedian,
    is_time_column,
    km_median,
    time_summary,
)

__all__ = [
    "AGGREGATE_COLUMNS",
    "CENSOR_COLUMN",
    "CLASS_SEPARATOR",
    "EXPERIMENT_COLUMNS",
    "ID_COLUMNS",
    "KMMedian",
    "KM_COLUMNS",
    "LEVELS",
    "OUTCOME_COLUMNS",
    "POINT_COLUMN",
    "SCENARIO_COLUMN",
    "SUMMARY_COLUMNS",
    "band",
    "by_point",
    "by_value",
    "describe",
    "failure_counts",
    "flow_columns",
    "format_table",
    "holm",
    "is_time_column",
    "item_classes",
    "km_median",
    "metric_columns",
    "paired_differences",
    "summarise_replications",
    "time_summary",
    "time_to_share",
]
