"""How many runs: sample sizes that the test ``compare`` uses can meet, paired and unpaired.

A plan is for the rank test that decides ``compare``'s verdict (Wilcoxon
signed-rank paired, Mann-Whitney unpaired), never below the n at which that
test can reach ``alpha`` at all, with its power found by simulating the test
on normal data (a seeded Generator). A pilot's standard deviation is itself
uncertain: the plan uses its upper confidence bound at ``assurance``
(chi-square), so that the planned study reaches the asked power with about
that probability, and says how many pilot runs it rests on.

A pilot's spread is also only what its runs showed: 5 runs miss a failure
mode of one run in five (diverged runs) with probability 0.8**5 = 33%, and
a plan from the small spread of the runs that trained promised power 0.9
where the real power was 0.4. A plan of 4 runs from a 20-run pilot that
saw no failure had a real power of 0.43 where such failures were 1 in 5.
So a plan from pilot runs asks for at least ``SEE_RUNS = 17`` runs (they
see such a failure mode with probability 97.7%, and the rank test then
copes with it), whatever the pilot's size, and every plan names the
assumption it rests on. A plan from a standard deviation the user gives
has no pilot runs to doubt, and no minimum.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from seedwise.errors import UsageError
from seedwise.stats._bounded import RARE_MODE, SEE_RUNS, SEEN
from seedwise.stats._data import check_level, check_positive_int, own_words, root_seed, to_finite
from seedwise.stats._format import format_number, plain_dict

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import ArrayLike

__all__ = [
    "Plan",
    "rank_test_power",
    "sample_size",
    "smallest_reachable_n",
    "t_test_power",
]


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
        std: The pilot's standard deviation of the metric, or None.
        std_differences: The pilot's standard deviation of per-seed
            differences, or None.
        method: How the figures were computed.
        notes: Why a figure is missing, and caveats.
        pilot_n: Runs the unpaired std rests on (None when a std was given).
        pilot_pairs: Pairs the std of differences rests on (None when given).
        assurance: The confidence of the upper bounds of the stds the plan uses.
        std_upper: The upper bound of ``std`` the unpaired figure uses.
        std_differences_upper: The upper bound of ``std_differences`` used.
        t_test_runs: What the t-test with the pilot's std taken as exact
            would ask for (the headline design), for comparison.
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
    pilot_n: int | None = None
    pilot_pairs: int | None = None
    assurance: float | None = None
    std_upper: float | None = None
    std_differences_upper: float | None = None
    t_test_runs: int | None = None

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
                f"  paired (shared seeds, Wilcoxon): {self.paired_runs} seeds, power "
                f"{format_number(self.paired_power, 3)} at std of differences "
                f"{format_number(self.std_differences_upper)}"
                + _rests_on(self.pilot_pairs, "pairs", self.std_differences, self.assurance)
            )
        if self.unpaired_runs_per_group is not None:
            lines.append(
                f"  unpaired (Mann-Whitney): {self.unpaired_runs_per_group} runs per "
                f"configuration, power {format_number(self.unpaired_power, 3)} at std "
                f"{format_number(self.std_upper)}"
                + _rests_on(self.pilot_n, "runs", self.std, self.assurance)
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


def _rests_on(n: int | None, what: str, std: float | None, assurance: float | None) -> str:
    if n is None or assurance is None:
        return " (std given, taken as exact)"
    return (
        f" (the {100 * assurance:g}% upper bound of the std {format_number(std)} of a pilot of "
        f"{n} {what})"
    )


@own_words
def sample_size(
    pilot: float | ArrayLike,
    effect: float,
    *,
    paired: bool = False,
    pilot_differences: float | ArrayLike | None = None,
    power: float = 0.8,
    alpha: float = 0.05,
    max_runs: int = 100_000,
    assurance: float = 0.8,
    n_simulations: int = 2_000,
    seed: int | np.random.Generator = 0,
) -> Plan:
    """The runs the primary rank test needs to detect a difference in means of ``effect``.

    For each design: take the pilot's standard deviation ``s`` from ``m``
    values, and its one-sided upper confidence bound at ``assurance``,
    ``s * sqrt((m - 1) / chi2.ppf(1 - assurance, m - 1))`` (a std given as a
    number is taken as exact). Start from the exact t-test figure at that
    bound (:func:`t_test_power`, solved with ``scipy.optimize.brentq``) and
    from the smallest n at which the rank test can reach ``alpha`` at all
    (Wilcoxon: ``2 / 2**n <= alpha``; Mann-Whitney: ``2 / C(2n, n) <= alpha``),
    and increase n until the rank test's power, estimated on
    ``n_simulations`` simulated normal studies (``scipy.stats.wilcoxon`` /
    ``mannwhitneyu``, exact p-values), reaches ``power``. Above 200 runs the
    t figure is scaled by the rank tests' asymptotic efficiency, ``pi / 3``.

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
        assurance: The confidence of the upper bound of a pilot's std.
        n_simulations: Simulated studies per candidate n.
        seed: An int, or a ``numpy.random.Generator`` that supplies one.

    Returns:
        The ``Plan``, with both figures where the inputs allow.

    Raises:
        UsageError: A bad effect, std, level, or ``paired=True`` without
            ``pilot_differences``.

    Example:
        >>> sample_size(1.0, 0.5, power=0.8).unpaired_runs_per_group
        67
    """
    alpha = check_level(alpha, name="alpha")
    power = check_level(power, name="power")
    assurance = check_level(assurance, name="assurance")
    check_positive_int(max_runs, name="max_runs", minimum=2)
    check_positive_int(n_simulations, name="n_simulations", minimum=100)
    root = root_seed(seed)
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
    std, pilot_n = _std(pilot, "pilot")
    std_u = _upper(std, pilot_n, assurance)
    notes: list[str] = []
    options = (power, alpha, max_runs, n_simulations, root)
    unpaired_n, unpaired_power = _plan(effect, std_u, False, *options, notes, _least(pilot_n))
    std_d = std_d_u = paired_n = paired_power = pairs = None
    if pilot_differences is not None:
        std_d, pairs = _std(pilot_differences, "pilot_differences")
        std_d_u = _upper(std_d, pairs, assurance)
        paired_n, paired_power = _plan(effect, std_d_u, True, *options, notes, _least(pairs))
    rests = pairs if paired else pilot_n
    if rests is not None:
        notes.append(_assumption(rests, "pairs" if paired else "runs"))
    if rests is not None and rests < 10:
        notes.append(
            f"the pilot has {rests} {'pairs' if paired else 'runs'}: its std is uncertain "
            "(the upper bound is far above it), so the plan asks for many runs; a larger "
            "pilot gives a smaller, surer plan"
        )
    naive_std = std_d if paired else std
    naive = (
        None
        if naive_std is None
        else _solve(effect, naive_std, power, alpha, max_runs, paired=paired, notes=[])
    )
    return Plan(
        effect=effect,
        alpha=alpha,
        power=power,
        paired=paired,
        runs=paired_n if paired else unpaired_n,
        unpaired_runs_per_group=unpaired_n,
        unpaired_power=unpaired_power,
        paired_runs=paired_n,
        paired_power=paired_power,
        std=std,
        std_differences=std_d,
        method=(
            f"power of the rank test compare uses (Wilcoxon / Mann-Whitney, exact p) on "
            f"{n_simulations} simulated normal studies per n, at the {100 * assurance:g}% "
            "upper confidence bound of the pilot's std, from the noncentral-t figure up"
        ),
        notes=tuple(notes),
        pilot_n=pilot_n,
        pilot_pairs=pairs,
        assurance=assurance if (pilot_n is not None or pairs is not None) else None,
        std_upper=std_u,
        std_differences_upper=std_d_u,
        t_test_runs=naive,
    )


def _least(pilot: int | None) -> int:
    """The fewest runs a plan from a pilot of ``pilot`` runs may ask for (see the module)."""
    return SEE_RUNS if pilot is not None else 0


def _assumption(pilot: int, what: str) -> str:
    """What a plan from ``pilot`` runs assumes about failure modes the pilot did not show."""
    rests = f"the power assumes the spread seen in the {pilot} pilot {what}"
    if pilot >= SEE_RUNS:
        missed = 1.0 - (1.0 - SEEN) ** (1.0 / pilot)
        return (
            f"{rests}; a failure mode (diverged runs) rarer than 1 in {round(1.0 / missed)} "
            f"could hide from them, so the plan asks for at least {SEE_RUNS} {what}, which see "
            f"a failure mode of 1 in {round(1 / RARE_MODE)} with probability "
            f"{1.0 - (1.0 - RARE_MODE) ** SEE_RUNS:.1%}"
        )
    return (
        f"{rests}; they miss a failure mode of 1 in {round(1 / RARE_MODE)} (diverged runs) "
        f"with probability {(1.0 - RARE_MODE) ** pilot:.0%}, so the plan asks for at least "
        f"{SEE_RUNS} {what}, which see one with probability "
        f"{1.0 - (1.0 - RARE_MODE) ** SEE_RUNS:.1%}"
    )


def _upper(std: float, n: int | None, assurance: float) -> float:
    """The one-sided upper confidence bound of a standard deviation from ``n`` values."""
    from scipy import stats

    if n is None:
        return std
    return std * math.sqrt((n - 1) / float(stats.chi2.ppf(1.0 - assurance, n - 1)))


def smallest_reachable_n(paired: bool, alpha: float) -> int:
    """The fewest runs (pairs, or runs per group) at which the rank test can reach ``alpha``."""
    n = 2
    while (2.0 / 2.0**n if paired else 2.0 / math.comb(2 * n, n)) > alpha:
        n += 1
    return n


def rank_test_power(
    effect: float,
    std: float,
    n: int,
    *,
    paired: bool,
    alpha: float,
    n_simulations: int,
    rng: np.random.Generator,
) -> float:
    """The power of the two-sided rank test on normal data, by simulation.

    Equivalent to the share of ``n_simulations`` studies, each of ``n``
    normal differences (paired) or two samples of ``n`` (unpaired) with the
    given shift and std, in which ``scipy.stats.wilcoxon`` (or
    ``mannwhitneyu``) gives ``p <= alpha``.

    Args:
        effect: The true shift.
        std: The std of the differences (paired) or of each sample.
        n: Pairs, or runs per group.
        paired: Which test.
        alpha: The two-sided significance level.
        n_simulations: Simulated studies.
        rng: The Generator that draws them.

    Returns:
        The estimated power.
    """
    import numpy as np
    from scipy import stats

    delta = effect / std
    if paired:
        d = rng.normal(delta, 1.0, (n_simulations, n))
        method = "exact" if n <= 50 else "asymptotic"
        p = stats.wilcoxon(d, axis=-1, method=method).pvalue
    else:
        a = rng.normal(0.0, 1.0, (n_simulations, n))
        b = rng.normal(delta, 1.0, (n_simulations, n))
        method = "exact" if n * n <= 2_500 else "asymptotic"
        p = stats.mannwhitneyu(b, a, axis=-1, method=method).pvalue
    return float(np.mean(p <= alpha))


_SIMULATE_UP_TO = 200


def _plan(
    effect: float,
    std: float,
    paired: bool,
    power: float,
    alpha: float,
    max_runs: int,
    n_simulations: int,
    root: int,
    notes: list[str],
    least: int = 0,
) -> tuple[int | None, float | None]:
    from seedwise.stats._data import generator

    t_n = _solve(effect, std, power, alpha, max_runs, paired=paired, notes=notes)
    if t_n is None:
        return None, None
    n = max(t_n, smallest_reachable_n(paired, alpha), min(least, max_runs))
    if n > _SIMULATE_UP_TO:
        scaled = math.ceil(n * math.pi / 3.0)
        if scaled > max_runs:
            notes.append(
                f"the {'paired' if paired else 'unpaired'} design needs more than "
                f"max_runs = {max_runs} runs"
            )
            return None, None
        return scaled, t_test_power(effect, std, scaled * 3.0 / math.pi, paired=paired, alpha=alpha)

    def simulated(k: int) -> float:
        rng = generator(root, "plan", "paired" if paired else "unpaired", k)
        return rank_test_power(
            effect, std, k, paired=paired, alpha=alpha, n_simulations=n_simulations, rng=rng
        )

    achieved = simulated(n)
    while achieved < power and n < min(max_runs, 10 * _SIMULATE_UP_TO):
        n += 1
        achieved = simulated(n)
    return n, achieved


def _std(value: object, name: str) -> tuple[float, int | None]:
    import numpy as np

    if isinstance(value, (int, float)) and not isinstance(value, bool):
        std = float(value)
        if not (math.isfinite(std) and std > 0):
            raise UsageError(
                f"`{name}` as a standard deviation must be positive and finite. "
                f"Received: {name}={value!r}; expected a float > 0, or pilot values"
            )
        return std, None
    sample = to_finite(value, name=name)  # type: ignore[arg-type]
    if sample.n < 2 or float(np.ptp(sample.values)) == 0.0:
        raise UsageError(
            f"`{name}` needs at least 2 finite values that are not all equal to estimate "
            f"a standard deviation. Received: {sample.n} finite values; expected 2 or more "
            "that vary"
        )
    return float(np.std(sample.values, ddof=1)), sample.n


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
