"""How many runs: sample sizes for a t-test of a given power, paired and unpaired."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from seedwise.errors import UsageError
from seedwise.stats._data import check_level, check_positive_int, to_sample
from seedwise.stats._format import format_number, plain_dict

if TYPE_CHECKING:
    from numpy.typing import ArrayLike

__all__ = ["Plan", "sample_size", "t_test_power"]


@dataclass(frozen=True)
class Plan:
    """Runs needed to detect a difference with a given power.

    Attributes:
        effect: The difference in means to detect, in the metric's units.
        alpha: The two-sided significance level.
        power: The power asked for.
        paired: Whether ``runs`` is the paired figure.
        runs: The headline figure: ``paired_runs`` if ``paired``, else
            ``unpaired_runs_per_group``.
        unpaired_runs_per_group: Runs per configuration for two independent
            samples (Student's two-sample t, equal n), or None.
        unpaired_power: The exact power with that many runs.
        paired_runs: Seeds (runs per configuration) for a paired design
            (one-sample t on per-seed differences), or None.
        paired_power: The exact power with that many seeds.
        std: The standard deviation of the metric used, or None.
        std_differences: The standard deviation of per-seed differences, or None.
        method: How the figures were computed.
        notes: Why a figure is missing, and caveats.
    """

    effect: float
    alpha: float
    power: float
    paired: bool
    runs: int | None
    unpaired_runs_per_group: int | None
    unpaired_power: float | None
    paired_runs: int | None
    paired_power: float | None
    std: float | None
    std_differences: float | None
    method: str
    notes: tuple[str, ...] = field(default=())

    def to_dict(self) -> dict[str, Any]:
        """The plan as JSON-ready values."""
        result = dict(self.__dict__)
        result["notes"] = list(self.notes)
        return plain_dict(result)

    def __str__(self) -> str:
        lines = [
            f"runs to detect a difference of {format_number(self.effect)} with power "
            f"{self.power:g} at alpha {self.alpha:g} (two-sided):"
        ]
        if self.paired_runs is not None:
            lines.append(
                f"  paired (shared seeds): {self.paired_runs} seeds, power "
                f"{format_number(self.paired_power, 3)} (std of differences "
                f"{format_number(self.std_differences)})"
            )
        if self.unpaired_runs_per_group is not None:
            lines.append(
                f"  unpaired: {self.unpaired_runs_per_group} runs per configuration, power "
                f"{format_number(self.unpaired_power, 3)} (std {format_number(self.std)})"
            )
        lines.append(f"  method: {self.method}")
        lines.extend(f"  note: {note}" for note in self.notes)
        return "\n".join(lines)


def t_test_power(effect: float, std: float, n: float, *, paired: bool, alpha: float) -> float:
    """The exact power of the two-sided t-test, from the noncentral t distribution.

    Unpaired: two samples of ``n`` runs each, Student's t with ``2n - 2`` df and
    noncentrality ``effect / (std * sqrt(2 / n))``. Paired: the one-sample t on
    ``n`` per-seed differences, ``n - 1`` df, noncentrality ``effect / (std /
    sqrt(n))``, where ``std`` is the std of the differences. Power is
    ``P(|T| > t_crit)`` with ``T ~ scipy.stats.nct(df, noncentrality)``.

    Args:
        effect: The true difference in means.
        std: The standard deviation (of the metric, or of the differences).
        n: Runs per group (unpaired) or pairs (paired); may be fractional.
        paired: Which design.
        alpha: The two-sided significance level.

    Returns:
        The power, in [0, 1].
    """
    from scipy import stats

    if paired:
        df = n - 1.0
        noncentrality = effect / (std / math.sqrt(n))
    else:
        df = 2.0 * n - 2.0
        noncentrality = effect / (std * math.sqrt(2.0 / n))
    critical = float(stats.t.isf(alpha / 2.0, df))
    upper = float(stats.nct.sf(critical, df, noncentrality))
    if math.isnan(upper):
        upper = 1.0 - float(stats.nct.cdf(critical, df, noncentrality))
    if math.isnan(upper) and noncentrality - critical > 40.0:
        # Both tails of scipy's nct fail far beyond the critical value, where
        # the power is 1 to double precision (the spread is all but zero).
        upper = 1.0
    lower = float(stats.nct.cdf(-critical, df, noncentrality))
    if math.isnan(lower):
        # scipy's nct loses the far tail at large noncentralities; that tail is
        # below P(T < 0) = Phi(-|noncentrality|), so it is negligible when that is.
        bound = float(stats.norm.cdf(-abs(noncentrality)))
        if bound > 1e-12:
            raise ArithmeticError(
                f"scipy.stats.nct returned NaN for df={df}, noncentrality={noncentrality}"
            )
        lower = 0.0
    return upper + lower


def sample_size(
    pilot: float | ArrayLike,
    effect: float,
    *,
    paired: bool = False,
    pilot_differences: float | ArrayLike | None = None,
    power: float = 0.8,
    alpha: float = 0.05,
    max_runs: int = 100_000,
) -> Plan:
    """The runs needed to detect a difference in means of ``effect``.

    Solves ``t_test_power(effect, std, n) = power`` for n with
    ``scipy.optimize.brentq`` on the exact noncentral-t power, then rounds up
    and checks the integer (no normal approximation). The unpaired figure is
    for Student's two-sample t with equal n; the paired one for the
    one-sample t on per-seed differences, which needs their standard
    deviation: pass ``pilot_differences`` (per-seed differences of a pilot
    comparison, or their std). The rank tests ``compare`` uses as primary
    need about 5% more runs than this under normality (asymptotic relative
    efficiency 3/pi), and fewer on heavy-tailed data.

    Args:
        pilot: The metric's standard deviation, or a pilot sample's values
            (its std, ddof = 1, is used).
        effect: The smallest difference in means worth detecting, in the
            metric's units; its sign does not matter.
        paired: Whether the headline ``runs`` is the paired figure.
        pilot_differences: Per-seed differences B - A from a paired pilot,
            or their standard deviation.
        power: The probability of detecting ``effect``, in (alpha, 1).
        alpha: The two-sided significance level.
        max_runs: Give up above this many runs (the figure is then None).

    Returns:
        The ``Plan``, with both figures where the inputs allow.

    Raises:
        UsageError: A bad effect, std, level, or ``paired=True`` without
            ``pilot_differences``.

    Example:
        >>> sample_size(1.0, 0.5, power=0.8).unpaired_runs_per_group
        64
    """
    alpha = check_level(alpha, name="alpha")
    power = check_level(power, name="power")
    check_positive_int(max_runs, name="max_runs", minimum=2)
    if power <= alpha:
        raise UsageError(
            f"`power` must exceed `alpha`. Received: power={power}, alpha={alpha}; "
            "expected power > alpha, e.g. 0.8"
        )
    if isinstance(effect, bool) or not isinstance(effect, (int, float)):
        raise UsageError(f"`effect` must be a number. Received: effect={effect!r}")
    if not math.isfinite(effect) or effect == 0:
        raise UsageError(
            f"`effect` must be a non-zero finite number. Received: effect={effect!r}; "
            "expected the smallest difference in means worth detecting, e.g. 0.01"
        )
    if paired and pilot_differences is None:
        raise UsageError(
            "A paired plan needs the spread of per-seed differences. Received: "
            "pilot_differences=None; expected per-seed differences B - A from a paired "
            "pilot, or their standard deviation"
        )
    effect = abs(float(effect))
    std = _std(pilot, "pilot")
    std_differences = (
        None if pilot_differences is None else _std(pilot_differences, "pilot_differences")
    )
    notes: list[str] = []
    unpaired_n = _solve(effect, std, power, alpha, max_runs, paired=False, notes=notes)
    paired_n = None
    if std_differences is not None:
        paired_n = _solve(effect, std_differences, power, alpha, max_runs, paired=True, notes=notes)
    return Plan(
        effect=effect,
        alpha=alpha,
        power=power,
        paired=paired,
        runs=paired_n if paired else unpaired_n,
        unpaired_runs_per_group=unpaired_n,
        unpaired_power=_power_at(effect, std, unpaired_n, False, alpha),
        paired_runs=paired_n,
        paired_power=_power_at(effect, std_differences, paired_n, True, alpha),
        std=std,
        std_differences=std_differences,
        method=(
            "exact power of the two-sided t-test from the noncentral t (scipy.stats.nct), "
            "solved for n with scipy.optimize.brentq and rounded up"
        ),
        notes=tuple(notes),
    )


def _std(value: object, name: str) -> float:
    import numpy as np

    if isinstance(value, (int, float)) and not isinstance(value, bool):
        std = float(value)
        if not (math.isfinite(std) and std > 0):
            raise UsageError(
                f"`{name}` as a standard deviation must be positive and finite. "
                f"Received: {name}={value!r}; expected a float > 0, or pilot values"
            )
        return std
    sample = to_sample(value, name=name)  # type: ignore[arg-type]
    if sample.n < 2 or float(np.ptp(sample.values)) == 0.0:
        raise UsageError(
            f"`{name}` needs at least 2 finite values that are not all equal to estimate "
            f"a standard deviation. Received: {sample.n} finite values; expected 2 or more "
            "that vary"
        )
    return float(np.std(sample.values, ddof=1))


def _solve(
    effect: float,
    std: float,
    power: float,
    alpha: float,
    max_runs: int,
    *,
    paired: bool,
    notes: list[str],
) -> int | None:
    from scipy import optimize

    def gap(n: float) -> float:
        return t_test_power(effect, std, n, paired=paired, alpha=alpha) - power

    if gap(2.0) >= 0:
        return 2
    # Bracket the crossing by doubling: power rises with n, and scipy's nct
    # loses precision at the very large noncentralities far beyond it.
    low, high = 2.0, 4.0
    while gap(high) < 0:
        if high >= max_runs:
            design = "paired" if paired else "unpaired"
            notes.append(f"the {design} design needs more than max_runs = {max_runs} runs")
            return None
        low, high = high, min(2.0 * high, float(max_runs))
    n = math.ceil(float(optimize.brentq(gap, low, high, xtol=1e-6)))
    # brentq's root is within xtol of the crossing: settle on the integer exactly.
    while n > 2 and gap(n - 1) >= 0:
        n -= 1
    while gap(n) < 0:
        n += 1
    return n


def _power_at(
    effect: float, std: float | None, n: int | None, paired: bool, alpha: float
) -> float | None:
    if std is None or n is None:
        return None
    return t_test_power(effect, std, n, paired=paired, alpha=alpha)
