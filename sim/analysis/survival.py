"""Times to an event as survival data: runs that never reached a level are right-censored.

`time_to_50` and `time_to_90` are NaN in a replication that never reached the level; such a
run is censored at its last step, not dropped. Over replications they are summarised by the
number that reached the level and the Kaplan-Meier median with its confidence interval
(Kaplan & Meier 1958; Brookmeyer & Crowley 1982), from `scipy.stats.ecdf`.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import NamedTuple

import numpy as np
import pandas as pd
from scipy import stats

TIME_PREFIX = "time_to_"
"""Columns named ``time_to_<x>`` are times to an event: censored when it never happened."""


CENSOR_COLUMN = "last_step"
"""Summary column with each replication's last step: the censoring time of its times."""


KM_COLUMNS = ["n_reached", "km_median", "km_ci_lo", "km_ci_hi"]
"""Columns added for time columns by `describe`, `by_value` and `by_point`."""


def is_time_column(column: str) -> bool:
    """Whether `column` is a time to an event (``time_to_<x>``), censored when NaN."""
    return str(column).startswith(TIME_PREFIX)


class KMMedian(NamedTuple):
    """Kaplan-Meier median of right-censored times, with its confidence interval."""

    n: int
    """Replications (reached or censored)."""
    n_reached: int
    """Replications in which the event happened (uncensored)."""
    median: float
    """Smallest time t with S(t) <= 0.5, NaN if S never falls to 0.5."""
    ci_lo: float
    """Smallest t at which the lower pointwise band of S falls to 0.5 (NaN if never)."""
    ci_hi: float
    """Smallest t at which the upper pointwise band of S falls to 0.5 (NaN if never)."""


KM_TOLERANCE = 1e-12
"""Slack in S(t) <= 0.5: S is a product of fractions, so an exact 0.5 may be computed as
0.5 + 1e-16; without slack the median would jump to the next time."""


def _first_at_or_below_half(times: np.ndarray, survival: np.ndarray) -> float:
    """Smallest time whose survival is <= 0.5 (NaN values never count), NaN if none."""
    with np.errstate(invalid="ignore"):
        hit = np.flatnonzero(survival <= 0.5 + KM_TOLERANCE)
    return float(times[hit[0]]) if len(hit) else float("nan")


def km_median(
    times: Sequence[float] | np.ndarray | pd.Series,
    censor_at: Sequence[float] | np.ndarray | pd.Series | None = None,
    confidence: float = 0.95,
) -> KMMedian:
    """Kaplan-Meier median of times to an event, the NaN ones right-censored.

    A NaN time is a replication in which the event never happened: it is right-censored at
    its `censor_at` value (the run's last step), i.e. it counts as at risk up to and
    including that step. The survival curve S(t) and its pointwise confidence band are
    `scipy.stats.ecdf` of `scipy.stats.CensoredData` (Kaplan-Meier with Greenwood's variance,
    the "linear" band, clipped to [0, 1]). The median is the smallest time with
    S(t) <= 0.5; without censoring this is the lower median, the ceil(n/2)-th smallest time
    (``numpy.quantile(x, 0.5, method="inverted_cdf")``), not the midpoint of the two middle
    values. The interval runs from the first time the lower band falls to 0.5 to the first
    time the upper band does (Brookmeyer and Crowley 1982, as in R's ``survfit``); a bound
    the band never reaches (too few events, or the upper band undefined where S = 0) is
    NaN, meaning "not bounded by the data". Where S = 0 the lower band (undefined there) is
    taken as 0.

    Args:
        times: one value per replication: the time of the event, NaN if it never happened.
        censor_at: censoring time of each replication (same length), e.g. ``last_step``.
            None: the censored ones are censored at the largest observed time, which gives
            the same median and interval as any later censoring time.
        confidence: coverage of the pointwise band, in (0, 1).

    Returns:
        `KMMedian`; with no replications, or none that reached the event, the median and
        the bounds are NaN.

    Raises:
        ValueError: if `censor_at` is NaN where a time is NaN, or lengths differ.
    """
    t = np.asarray(times, dtype=float)
    reached = ~np.isnan(t)
    n, n_reached = len(t), int(reached.sum())
    nan = float("nan")
    if n_reached == 0:
        return KMMedian(n, 0, nan, nan, nan)
    if censor_at is None:
        censored = np.full(n - n_reached, t[reached].max())
    else:
        c = np.asarray(censor_at, dtype=float)
        if c.shape != t.shape:
            raise ValueError(f"censor_at has {len(c)} values for {n} times")
        censored = c[~reached]
        if np.isnan(censored).any():
            raise ValueError("a time that was not reached needs a censoring time")
    data = stats.CensoredData(uncensored=t[reached], right=censored)
    sf = stats.ecdf(data).sf
    with warnings.catch_warnings():
        # scipy warns where Greenwood's variance is undefined (S = 0); those points are NaN.
        warnings.simplefilter("ignore", RuntimeWarning)
        band = sf.confidence_interval(confidence)
    # Where Greenwood's variance is undefined (S = 0) the lower band is at most S, so S
    # stands in for it; the upper band stays undefined there.
    low = np.where(np.isnan(band.low.probabilities), sf.probabilities, band.low.probabilities)
    return KMMedian(
        n,
        n_reached,
        _first_at_or_below_half(sf.quantiles, sf.probabilities),
        _first_at_or_below_half(band.low.quantiles, low),
        _first_at_or_below_half(band.high.quantiles, band.high.probabilities),
    )


def time_summary(
    summary: pd.DataFrame, column: str, confidence: float = 0.95
) -> dict[str, float | int]:
    """Summary over replications of a time column, treating NaN as right-censored.

    Args:
        summary: one row per replication with `column` and, if present, ``last_step`` (the
            censoring time; see `km_median` for what happens without it).
        column: a ``time_to_<x>`` column.
        confidence: coverage of the Kaplan-Meier interval.

    Returns:
        ``n`` (replications), ``n_reached``, ``km_median``, ``km_ci_lo`` and ``km_ci_hi``.
    """
    censor = summary[CENSOR_COLUMN] if CENSOR_COLUMN in summary.columns else None
    km = km_median(summary[column], censor, confidence)
    return {
        "n": km.n,
        "n_reached": km.n_reached,
        "km_median": km.median,
        "km_ci_lo": km.ci_lo,
        "km_ci_hi": km.ci_hi,
    }
