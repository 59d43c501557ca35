"""What seedwise's statistics deliver at the sample sizes people use, by simulation.

Run: ``.venv/bin/python benchmarks/sim_statistics.py [--samples 1000]``. Prints
four tables (figures in docs/statistics.md), each measured here, none typed in:

1. coverage of 95% intervals of the mean by method, n and distribution: the
   t-interval, BCa (the former headline), and the headline interval
   ``summarize`` prints now (hull of t and bootstrap-t);
2. false-positive rates under the null of the primary tests, on continuous
   and on rounded (tied) data, and how often verdict and interval disagree;
3. the real power of studies planned by ``sample_size`` from pilots of
   2 to 20 runs;
4. coverage of the ``--until-ci`` rule's interval at stopping, with its
   17-run minimum and (before) the 10-run one, also where one run in five
   diverges;
5. coverage of the headline interval of the mean, as ``summarize`` prints it,
   on the shapes seed results have at the edge: runs that mostly share one
   value (an epoch count that early stopping rarely moves), and accuracies on
   a test set (k/200) close to 1, with how often an interval leaves [0, 1];
6. verdicts at 3 to 5 seeds, where the rank test cannot reach p <= 0.05 and
   the t-test decides when Shapiro-Wilk finds no sign against normality: the
   false-positive rate under the null and the power against a large effect;
7. the interval of the mean of accuracies where one run in five diverges (to
   chance level) and of unimodal accuracies, as ``summarize`` prints it now
   and before (the t / bootstrap-t hull cut to [0, 1]), with the betting
   interval for bounded values on every sample as the alternative weighed;
8. plans from pilots of accuracies where one run in five diverges, with the
   power they claim and the real power of the planned study;
9. the geometric mean's interval (``summarize(..., geometric=True)``) on
   positive values that span orders of magnitude, beside the interval of the
   arithmetic mean, each against its own true value;
10. decisions at a margin (``decide``, ``compare --margin D --decision``): the
   error rate of each claim where the truth is at its margin, and the power
   where B equals A, paired and unpaired.

Every draw comes from a seeded ``numpy.random.Generator``.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable

import numpy as np
from numpy.typing import NDArray
from scipy import stats

from seedwise.stats import compare, sample_size, sequential_stop, summarize
from seedwise.stats._bounded import betting_interval
from seedwise.stats._headline import mean_interval
from seedwise.stats._intervals import clip_interval
from seedwise.stats._shift import rank_sum_test, signed_rank_test
from seedwise.stats.decision import decide
from seedwise.stats.power import rank_test_power
from seedwise.stats.sequential import MIN_RUNS

Draw = Callable[[np.random.Generator, tuple[int, ...]], NDArray[np.float64]]

DISTRIBUTIONS: dict[str, tuple[Draw, float, float]] = {
    "normal": (lambda g, s: g.normal(0.0, 1.0, s), 0.0, 1.0),
    "exponential": (lambda g, s: g.exponential(1.0, s), 1.0, 1.0),
    "lognormal(0, 1)": (
        lambda g, s: g.lognormal(0.0, 1.0, s),
        float(np.exp(0.5)),
        float(np.sqrt((np.e - 1) * np.e)),
    ),
}


def _covers(low: NDArray[np.float64], high: NDArray[np.float64], value: float) -> float:
    return float(np.mean((low <= value) & (value <= high)))


def coverage_table(samples: int, resamples: int) -> None:
    """Table 1: coverage of the 95% intervals of the mean."""
    print(f"\n## 1. coverage of 95% intervals of the mean ({samples} samples per cell)")
    print("| distribution | n | t-interval | BCa bootstrap | headline (t / bootstrap-t hull) |")
    print("|---|---|---|---|---|")
    for name, (draw, true_mean, _) in DISTRIBUTIONS.items():
        for n in (3, 5, 10, 30):
            x = draw(np.random.default_rng(n), (samples, n))
            t = stats.ttest_1samp(x, 0.0, axis=-1).confidence_interval(0.95)
            bca = stats.bootstrap(
                (x,), np.mean, axis=-1, n_resamples=resamples, method="BCa",
                rng=np.random.default_rng(1),
            ).confidence_interval  # fmt: skip
            headline = [
                mean_interval(row, 0.95, resamples, np.random.default_rng(i))
                for i, row in enumerate(x)
            ]
            head = (
                "none below 5 runs"
                if not headline[0].defined
                else f"{np.mean([iv.contains(true_mean) for iv in headline]):.1%}"
            )
            print(
                f"| {name} | {n} | {_covers(t.low, t.high, true_mean):.1%} | "
                f"{_covers(bca.low, bca.high, true_mean):.1%} | {head} |"
            )


def null_table(samples: int) -> None:
    """Table 2: false-positive rates at alpha = 0.05 under the null, and agreement."""
    print(f"\n## 2. false-positive rate at alpha = 0.05 under the null ({samples} studies)")
    print("| test | data | n | seedwise | SciPy default (asymptotic with ties) |")
    print("|---|---|---|---|---|")
    rng = np.random.default_rng(2)
    # Rounded data at larger n take 10,000 random sign flips per study: slow.
    for n in (6, 10):
        for data, rounding in (("continuous", None), ("rounded (ties, zeros)", 0)):
            d = rng.normal(0.0, 1.0, (samples, n))
            if rounding is not None:
                d = np.round(d, rounding)
            ours = [signed_rank_test(row, 10_000, i).p_value <= 0.05 for i, row in enumerate(d)]
            theirs = [
                stats.wilcoxon(row, method="asymptotic").pvalue <= 0.05
                for row in d
                if np.count_nonzero(row) >= 2
            ]
            print(
                f"| Wilcoxon signed-rank | {data} | {n} | {np.mean(ours):.2%} | "
                f"{np.mean(theirs):.2%} |"
            )
    for n in (4, 10):
        for data, rounding in (("continuous", None), ("rounded (ties)", 0)):
            a = rng.normal(0.0, 1.0, (samples, n))
            b = rng.normal(0.0, 1.0, (samples, n))
            if rounding is not None:
                a, b = np.round(a, rounding), np.round(b, rounding)
            ours = [
                rank_sum_test(x, y, 10_000, i).p_value <= 0.05
                for i, (x, y) in enumerate(zip(a, b, strict=True))
            ]
            theirs = [
                stats.mannwhitneyu(y, x, method="asymptotic").pvalue <= 0.05
                for x, y in zip(a, b, strict=True)
            ]
            print(
                f"| Mann-Whitney U | {data} | {n} + {n} | {np.mean(ours):.2%} | "
                f"{np.mean(theirs):.2%} |"
            )
    comparisons = max(samples // 10, 30)
    disagree = total = 0
    for index in range(comparisons):
        g = np.random.default_rng(1_000 + index)
        n = int(g.integers(5, 21))
        shift = g.choice([0.0, 0.3, 0.8])
        a, b, c = (g.lognormal(0.0, 1.0, n) + k * shift for k in (0, 1, 2))
        result = compare(a, b, c, n_resamples=499, seed=index, paired=bool(index % 2))
        for pair in result.pairs:
            if pair.shift_ci is not None and pair.shift_ci.defined:
                total += 1
                disagree += pair.significant == pair.shift_ci.contains(0.0)
    tied_disagree = tied_total = 0
    for index in range(2 * comparisons):
        # Accuracies on a 200-example test set, B better by 0 to 1.5 points.
        g = np.random.default_rng(5_000 + index)
        paired = bool(index % 2)
        base = g.binomial(200, 0.8, 10) / 200
        a = base + g.integers(-2, 3, 10) / 200 if paired else base
        other = base if paired else g.binomial(200, 0.8, 10) / 200
        b = other + g.integers(-2, 3 + index % 3, 10) / 200
        pair = compare(a, b, n_resamples=499, seed=index, paired=paired).pairs[0]
        if pair.shift_ci is not None and pair.shift_ci.defined:
            tied_total += 1
            tied_disagree += pair.significant == pair.shift_ci.contains(0.0)
    print(
        f"verdict and its interval disagree in {tied_disagree} of {tied_total} pairs of tied "
        f"accuracies (k/200, n = 10, half paired)"
    )
    print(
        f"\nverdict and its interval disagree in {disagree} of {total} pairs "
        f"({comparisons} random three-way comparisons, Holm)"
    )


def power_table(pilots: int, simulations: int) -> None:
    """Table 3: the real power of studies planned from pilots (effect 1, std 1)."""
    print(f"\n## 3. real power of planned studies (target 0.8, effect = std, {pilots} pilots)")
    print(
        "| design | pilot runs | median planned n | mean real power | "
        "share with real power >= 0.8 | t-test plan's mean real power |"
    )
    print("|---|---|---|---|---|---|")
    cache: dict[tuple[bool, int], float] = {}

    def real(paired: bool, n: int) -> float:
        if (paired, n) not in cache:
            cache[(paired, n)] = rank_test_power(
                1.0, 1.0, n, paired=paired, alpha=0.05, n_simulations=4_000,
                rng=np.random.default_rng(n),
            )  # fmt: skip
        return cache[(paired, n)]

    for paired in (True, False):
        for m in (2, 5, 10, 20):
            rng = np.random.default_rng(100 + m)
            planned, achieved, naive = [], [], []
            for index in range(pilots):
                pilot = rng.normal(0.0, 1.0, m)
                plan = sample_size(
                    pilot, 1.0, paired=paired, pilot_differences=pilot if paired else None,
                    n_simulations=simulations, seed=index,
                )  # fmt: skip
                if plan.runs is None or plan.t_test_runs is None:
                    continue
                planned.append(plan.runs)
                achieved.append(real(paired, plan.runs))
                naive.append(real(paired, plan.t_test_runs))
            design = "paired (Wilcoxon)" if paired else "unpaired (Mann-Whitney)"
            print(
                f"| {design} | {m} | {np.median(planned):.0f} | {np.mean(achieved):.3f} | "
                f"{np.mean(np.array(achieved) >= 0.8):.0%} | {np.mean(naive):.3f} |"
            )


def _bimodal(g: np.random.Generator, s: tuple[int, ...]) -> NDArray[np.float64]:
    """Accuracies on a 200-example test set where one run in five diverges to chance level."""
    diverged = g.random(s) < 0.2
    return np.where(diverged, g.binomial(200, 0.1, s), g.binomial(200, 0.9, s)) / 200.0


BIMODAL = "1 in 5 diverge (k/200: p = 0.9, else 0.1)"


def sequential_table(samples: int) -> None:
    """Table 4: coverage of the ``--until-ci`` interval at stopping."""
    print(f"\n## 4. --until-ci: coverage at stopping ({samples} studies per cell)")
    print(
        "| distribution | fixed-design n for the target | coverage | median runs at stop | "
        "stopped before a diverged run | before (10-run minimum): coverage | "
        "before: stopped before a diverged run |"
    )
    print("|---|---|---|---|---|---|---|")
    most = 2_000
    n = np.arange(1, most + 1)
    with np.errstate(divide="ignore", invalid="ignore"):
        bound = np.sqrt((n - 1) / stats.chi2.ppf(0.1, n - 1))
        factor = np.sqrt((n + 10) * np.log((n + 10) / (10 * 0.05**2))) / n
    shapes = {name: (draw, mean, std) for name, (draw, mean, std) in DISTRIBUTIONS.items()}
    shapes[BIMODAL] = (_bimodal, 0.74, float(np.sqrt(0.16 * 0.8**2 + 0.09 * 0.9 / 200)))
    for name, (draw, true_mean, std) in shapes.items():
        for fixed in (15, 30, 100):
            target = 1.96 * std / np.sqrt(fixed)
            x = draw(np.random.default_rng(fixed), (samples, most))
            mean = np.cumsum(x, axis=1) / n
            with np.errstate(divide="ignore", invalid="ignore"):
                var = np.maximum((np.cumsum(x * x, axis=1) - n * mean**2) / (n - 1), 0.0)
                half = np.sqrt(var) * bound * factor
            rows = np.arange(samples)
            cells = []
            for minimum in (MIN_RUNS, 10):
                meets = (half <= target) & (n >= minimum)
                stop = np.where(meets.any(axis=1), meets.argmax(axis=1), most - 1)
                if minimum == MIN_RUNS:
                    # The vectorised rule is the library's: check one study against it.
                    decision = sequential_stop(x[0, : stop[0] + 1], target, max_runs=most)
                    assert decision.n == stop[0] + 1
                    assert np.isclose(decision.half_width, half[0, stop[0]])  # type: ignore[arg-type]
                covered = np.abs(mean[rows, stop] - true_mean) <= half[rows, stop]
                unseen = "n/a"
                if name == BIMODAL:
                    seen = np.minimum.accumulate(x, axis=1)[rows, stop] < 0.5
                    unseen = f"{1.0 - np.mean(seen):.1%}"
                cells.append((f"{np.mean(covered):.1%}", f"{np.median(stop + 1):.0f}", unseen))
            (now, runs, unseen), (old, _, old_unseen) = cells
            print(f"| {name} | {fixed} | {now} | {runs} | {unseen} | {old} | {old_unseen} |")


EDGE_SHAPES: dict[str, tuple[Draw, float]] = {
    "24 + Bernoulli(0.1) (mostly one value)": (lambda g, s: 24.0 + g.binomial(1, 0.1, s), 24.1),
    "24 + Bernoulli(0.3)": (lambda g, s: 24.0 + g.binomial(1, 0.3, s), 24.3),
    "accuracy k/200, p = 0.97": (lambda g, s: g.binomial(200, 0.97, s) / 200.0, 0.97),
    "accuracy k/200, p = 0.995": (lambda g, s: g.binomial(200, 0.995, s) / 200.0, 0.995),
}


def edge_table(samples: int, resamples: int) -> None:
    """Table 5: the printed interval of the mean on edge shapes."""
    print(f"\n## 5. interval of the mean on edge shapes ({samples} samples per cell)")
    print("| shape | n | coverage | no interval (all runs equal) | outside the values' range |")
    print("|---|---|---|---|---|")
    for name, (draw, true_mean) in EDGE_SHAPES.items():
        for n in (5, 10, 20):
            x = draw(np.random.default_rng(n), (samples, n))
            covered = undefined = outside = 0
            for values in x:
                interval = summarize(values, metric=name.split()[0], n_resamples=resamples).mean_ci
                if interval.low is None or interval.high is None:
                    undefined += 1
                    continue
                covered += interval.low <= true_mean <= interval.high
                proportion = name.startswith("accuracy")
                outside += interval.low < 0.0 or (proportion and interval.high > 1.0)
            shown = samples - undefined
            coverage = f"{covered / shown:.1%}" if shown else "n/a"
            print(
                f"| {name} | {n} | {coverage} | {undefined / samples:.1%} | "
                f"{outside / samples:.1%} |"
            )


def few_seeds_table(samples: int) -> None:
    """Table 6: what the verdict does at 3 to 5 seeds."""
    print(f"\n## 6. verdicts at 3 to 5 seeds ({samples} studies per cell, alpha = 0.05)")
    print(
        "| data | design | false positives (null) | power (shift of 1.5 std) | undecided (shift) |"
    )
    print("|---|---|---|---|---|")
    shapes: dict[str, Draw] = {
        "normal": lambda g, s: g.normal(0.0, 1.0, s),
        "lognormal(0, 1)": lambda g, s: (g.lognormal(0.0, 1.0, s) - np.exp(0.5)) / 2.16,
    }
    for name, draw in shapes.items():
        for paired, n in ((True, 4), (True, 5), (False, 3)):
            design = f"paired, {n} seeds" if paired else f"unpaired, {n} + {n}"
            counts = {"null": 0, "power": 0, "undecided": 0}
            for index in range(samples):
                g = np.random.default_rng(index)
                common = g.normal(0.0, 1.0, n) if paired else 0.0
                a = common + draw(g, (n,))
                for effect in (0.0, 1.5):
                    b = common + draw(g, (n,)) + effect
                    pair = compare(
                        a, b, paired=paired, goal="max", n_resamples=199, seed=index
                    ).pairs[0]
                    if effect == 0.0:
                        counts["null"] += pair.significant
                    else:
                        counts["power"] += pair.winner == "B"
                        counts["undecided"] += pair.winner is None and pair.t_interval is None
            print(
                f"| {name} | {design} | {counts['null'] / samples:.1%} | "
                f"{counts['power'] / samples:.1%} | {counts['undecided'] / samples:.1%} |"
            )


ACCURACY_SHAPES: dict[str, tuple[Draw, float]] = {
    BIMODAL: (_bimodal, 0.74),
    "unimodal k/200, p = 0.9": (lambda g, s: g.binomial(200, 0.9, s) / 200.0, 0.9),
    "unimodal uniform(0.5, 0.9)": (lambda g, s: g.uniform(0.5, 0.9, s), 0.7),
}


def mixed_table(samples: int, resamples: int) -> None:
    """Table 7: the interval of the mean of accuracies with diverged runs, before and after."""
    print(f"\n## 7. accuracies with diverged runs ({samples} samples per cell)")
    print(
        "| shape | n | coverage | median width | no interval | before: coverage | "
        "before: median width | betting always: coverage | betting always: median width |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for name, (draw, true_mean) in ACCURACY_SHAPES.items():
        for n in (5, 10, 20, 30):
            x = draw(np.random.default_rng(70 + n), (samples, n))
            now, before, betting = [], [], []
            undefined = 0
            for index, values in enumerate(x):
                interval = summarize(values, metric="accuracy", n_resamples=resamples).mean_ci
                if interval.low is None or interval.high is None:
                    undefined += 1
                else:
                    now.append((interval.low, interval.high))
                old = clip_interval(
                    mean_interval(values, 0.95, resamples, np.random.default_rng(index)),
                    (0.0, 1.0),
                )
                if old.low is not None and old.high is not None:
                    before.append((old.low, old.high))
                betting.append(betting_interval(values, 0.0, 1.0, 0.95))
            cells = []
            for bounds in (now, before, betting):
                b = np.array(bounds).reshape(-1, 2)
                covered = _covers(b[:, 0], b[:, 1], true_mean) if len(b) else float("nan")
                width = float(np.median(b[:, 1] - b[:, 0])) if len(b) else float("nan")
                cells.append(f"{covered:.1%} | {width:.3g}")
            print(
                f"| {name} | {n} | {cells[0]} | {undefined / samples:.1%} | {cells[1]} | "
                f"{cells[2]} |"
            )


def _pilot_shape(g: np.random.Generator, s: tuple[int, ...], trained: float) -> NDArray[np.float64]:
    diverged = g.random(s) < 0.2
    return np.where(diverged, g.binomial(200, 0.1, s), g.binomial(200, trained, s)) / 200.0


def _real_power(n: int, studies: int) -> float:
    """Mann-Whitney's power at ``n`` runs per group: trained 0.8 against 0.925, 1 in 5 diverge."""
    g = np.random.default_rng(800 + n)
    a = _pilot_shape(g, (studies, n), 0.8)
    b = _pilot_shape(g, (studies, n), 0.925)
    p = stats.mannwhitneyu(b, a, axis=-1, method="asymptotic").pvalue
    return float(np.mean(p <= 0.05))


def plan_shapes_table(pilots: int) -> None:
    """Table 8: plans from pilots where one run in five diverges, against their real power."""
    print(f"\n## 8. plans from pilots with diverged runs ({pilots} pilots per row)")
    print(
        "| pilot runs | pilots | median planned n | mean claimed power | mean real power | "
        "share with real power >= 0.8 |"
    )
    print("|---|---|---|---|---|---|")
    cache: dict[int, float] = {}
    for m in (5, 10, 20):
        rng = np.random.default_rng(900 + m)
        rows: dict[str, list[tuple[int, float, float]]] = {"all": [], "no diverged run": []}
        for index in range(pilots):
            pilot = _pilot_shape(rng, (m,), 0.8)
            plan = sample_size(pilot, 0.1, n_simulations=500, seed=index)
            if plan.runs is None or plan.unpaired_power is None:
                continue
            if plan.runs not in cache:
                cache[plan.runs] = _real_power(plan.runs, 2_000)
            row = (plan.runs, plan.unpaired_power, cache[plan.runs])
            rows["all"].append(row)
            if pilot.min() > 0.5:
                rows["no diverged run"].append(row)
        for which, found in rows.items():
            if not found:
                continue
            planned, claimed, real = (np.array(column) for column in zip(*found, strict=True))
            print(
                f"| {m} ({which}) | {len(found)} | {np.median(planned):.0f} | "
                f"{np.mean(claimed):.2f} | {np.mean(real):.2f} | {np.mean(real >= 0.8):.0%} |"
            )


_LOG_MIX = 0.8 * np.log(1e-4) + 0.2 * np.log(1e-1)
POSITIVE_SHAPES: dict[str, tuple[Draw, float, float]] = {
    # name: (draw, true geometric mean, true mean)
    "lognormal(0, 1)": (lambda g, s: g.lognormal(0.0, 1.0, s), 1.0, float(np.exp(0.5))),
    "lognormal(0, 3)": (lambda g, s: g.lognormal(0.0, 3.0, s), 1.0, float(np.exp(4.5))),
    "log-uniform on [1e-5, 1e-1]": (
        lambda g, s: 10.0 ** g.uniform(-5.0, -1.0, s),
        1e-3,
        float((1e-1 - 1e-5) / (4.0 * np.log(10.0))),
    ),
    "MSE: 1 in 5 runs at 1e-1, else 1e-4 (lognormal, sd 0.3)": (
        lambda g, s: np.where(g.random(s) < 0.2, 1e-1, 1e-4) * g.lognormal(0.0, 0.3, s),
        float(np.exp(_LOG_MIX)),
        float((0.2 * 1e-1 + 0.8 * 1e-4) * np.exp(0.045)),
    ),
}


def geometric_table(samples: int, resamples: int) -> None:
    """Table 9: the geometric mean's interval and the arithmetic mean's, each on its own truth."""
    print(f"\n## 9. positive values over orders of magnitude ({samples} samples per cell)")
    print(
        "| shape | n | geometric mean: coverage | median width / geometric mean "
        "| mean: coverage | median width / mean | no interval |"
    )
    print("|---|---|---|---|---|---|---|")
    for name, (draw, true_geometric, true_mean) in POSITIVE_SHAPES.items():
        for n in (5, 10, 20, 30):
            x = draw(np.random.default_rng(n), (samples, n))
            summaries = [
                summarize(values, metric="mse", n_resamples=resamples, geometric=True)
                for values in x
            ]
            cells = []
            for truth, part in ((true_geometric, "geometric_mean_ci"), (true_mean, "mean_ci")):
                intervals = [getattr(s, part) for s in summaries]
                shown = [i for i in intervals if i.low is not None and i.high is not None]
                if not shown:
                    cells.append("n/a | n/a")
                    continue
                covered = np.mean([i.low <= truth <= i.high for i in shown])
                width = np.median([(i.high - i.low) / truth for i in shown])
                cells.append(f"{covered:.1%} | {width:.3g}")
            none = np.mean([s.mean_ci.low is None for s in summaries])
            print(f"| {name} | {n} | {cells[0]} | {cells[1]} | {none:.1%} |")


DECISION_SHAPES: dict[
    str,
    tuple[
        Callable[
            [np.random.Generator, int, float], tuple[NDArray[np.float64], NDArray[np.float64]]
        ],
        float,
    ],
] = {
    # name: (draw A and B with B's mean shifted by delta, the margin)
    "normal, sd 1": (
        lambda g, n, delta: (g.normal(0.0, 1.0, n), g.normal(delta, 1.0, n)),
        0.5,
    ),
    "exponential (skewed)": (
        lambda g, n, delta: (g.exponential(1.0, n), g.exponential(1.0, n) + delta),
        0.5,
    ),
    "accuracy k/200 near 0.85": (
        lambda g, n, delta: (
            g.binomial(200, 0.85, n) / 200.0,
            g.binomial(200, 0.85 + delta, n) / 200.0,
        ),
        0.03,
    ),
}


def decision_table(samples: int, resamples: int) -> None:
    """Table 10: each claim's error rate at its margin, and the power where B equals A."""
    print(f"\n## 10. decisions at a margin ({samples} studies per cell, alpha = 0.05)")
    print(
        "| shape | design | n | non-inferior: error at -D | superior: error at +D "
        "| equivalent: error at +D | non-inferior: power at 0 | equivalent: power at 0 |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for name, (draw, margin) in DECISION_SHAPES.items():
        for paired in (True, False):
            for n in (5, 10, 30):
                g = np.random.default_rng(1000 + n + 7 * paired)
                held: dict[tuple[str, float], int] = {}
                for delta in (-margin, 0.0, margin):
                    for index in range(samples):
                        a, b = draw(g, n, delta)
                        kept = (
                            decide(a, b, margin=margin, claim=claim, paired=paired,
                                   n_resamples=resamples, seed=index, goal="max").holds
                            for claim in ("non-inferior", "superior", "equivalent")
                        )  # fmt: skip
                        for claim, holds in zip(
                            ("non-inferior", "superior", "equivalent"), kept, strict=True
                        ):
                            held[(claim, delta)] = held.get((claim, delta), 0) + holds
                cells = [
                    held[("non-inferior", -margin)],
                    held[("superior", margin)],
                    held[("equivalent", margin)],
                    held[("non-inferior", 0.0)],
                    held[("equivalent", 0.0)],
                ]
                shown = " | ".join(f"{count / samples:.1%}" for count in cells)
                design = "paired" if paired else "unpaired"
                print(f"| {name} (D = {margin:g}) | {design} | {n} | {shown} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--samples", type=int, default=1_000, help="samples per cell")
    parser.add_argument("--resamples", type=int, default=999, help="bootstrap resamples")
    parser.add_argument("--pilots", type=int, default=100, help="pilots per plan row")
    parser.add_argument("--only", type=int, choices=tuple(range(1, 11)), help="one table")
    args = parser.parse_args()
    tables = {
        1: lambda: coverage_table(args.samples, args.resamples),
        2: lambda: null_table(args.samples),
        3: lambda: power_table(args.pilots, 500),
        4: lambda: sequential_table(4 * args.samples),
        5: lambda: edge_table(args.samples, args.resamples),
        6: lambda: few_seeds_table(args.samples),
        7: lambda: mixed_table(args.samples, args.resamples),
        8: lambda: plan_shapes_table(args.pilots),
        9: lambda: geometric_table(args.samples, args.resamples),
        10: lambda: decision_table(args.samples, args.resamples),
    }
    for number, table in tables.items():
        if args.only in (None, number):
            start = time.perf_counter()
            table()
            print(f"(table {number}: {time.perf_counter() - start:.0f} s)")


if __name__ == "__main__":
    main()
