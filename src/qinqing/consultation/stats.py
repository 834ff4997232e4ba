"""Summary statistics of scale answers: mean, sample standard deviation and the 95 %
confidence interval of the mean with Student's t distribution.

    CI = x̄ ± t(0.975, n−1) · s / √n,   s² = (Σx² − n·x̄²) / (n − 1)

``t_quantile_975`` reads a table of t(0.975, df) for df = 1 … 30 and interpolates linearly in
1/df between 30, 40, 60, 120 and ∞ (error below 0.001 against the exact quantile); neither
scipy nor the standard library gives the t quantile, so the table is the method.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from itertools import pairwise

_T975 = [
    12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228,
    2.201, 2.179, 2.160, 2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086,
    2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042,
]  # fmt: skip
_T975_TAIL = [(30, 2.042), (40, 2.021), (60, 2.000), (120, 1.980), (math.inf, 1.960)]


def t_quantile_975(df: int) -> float:
    """The 0.975 quantile of Student's t with ``df`` degrees of freedom (two-sided 95 %)."""
    if df < 1:
        raise ValueError("degrees of freedom must be at least 1")
    if df <= 30:
        return _T975[df - 1]
    for (d0, t0), (d1, t1) in pairwise(_T975_TAIL):
        if d0 <= df <= d1:
            x, x0, x1 = 1 / df, 1 / d0, (0.0 if math.isinf(d1) else 1 / d1)
            return t0 + (t1 - t0) * (x0 - x) / (x0 - x1)
    return 1.960  # pragma: no cover - the tail ends at infinity


@dataclass(frozen=True)
class Summary:
    n: int
    mean: float | None
    sd: float | None
    ci_low: float | None
    ci_high: float | None

    @property
    def half_width(self) -> float | None:
        if self.ci_low is None or self.mean is None:
            return None
        return self.mean - self.ci_low


def summarise(n: int, total: float, total_sq: float) -> Summary:
    """Mean, sd and 95 % CI from the count, the sum and the sum of squares (as SQL gives)."""
    if n == 0:
        return Summary(0, None, None, None, None)
    mean = total / n
    if n < 2:
        return Summary(n, mean, None, None, None)
    variance = max((total_sq - n * mean * mean) / (n - 1), 0.0)
    sd = math.sqrt(variance)
    half = t_quantile_975(n - 1) * sd / math.sqrt(n)
    return Summary(n, mean, sd, mean - half, mean + half)
