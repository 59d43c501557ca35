"""How often ``seedwise.optuna``'s racing drops the truly best trial, against full repeats.

Run: ``.venv/bin/python benchmarks/sim_racing.py [--searches N]``. Each
simulated search has 20 trials, in a random order, of true means drawn per
scenario; a run's value is its trial's mean plus the seed's effect (the same
for every trial at that seed: trials are paired by seed) plus noise of its
own. Every trial goes through the adapter's own racing rule
(``seedwise.integrations.optuna._Race``) on a real in-memory Optuna study,
with the runs' records made here instead of by worker processes. Printed per
scenario: how often the truly best trial was raced out, how often the trial
with the best mean (Optuna's ``best_trial``) is the truly best one with
racing and with every trial given all ``repeats``, and the seeds racing ran.
Figures go into docs/sweeps.md ("Racing").
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass

import numpy as np
import optuna

from seedwise.integrations.optuna import _Race, measure
from seedwise.records import RunRecord, RunStatus

TRIALS = 20
REPEATS = 10
MIN_REPEATS = 3


@dataclass(frozen=True)
class Scenario:
    """True trial means and the noise of a run, in accuracy units."""

    name: str
    spread: float  # the true means are 0.9 - |N(0, spread)|
    seed_sd: float  # each seed's effect, shared by every trial
    run_sd: float  # each run's own noise
    diverged: float = 0.0  # the share of trials whose true mean is chance, 0.5

    def means(self, rng: np.random.Generator) -> np.ndarray:
        means = 0.9 - np.abs(rng.normal(0.0, self.spread, TRIALS))
        means[rng.random(TRIALS) < self.diverged] = 0.5
        if means.max() == 0.5:  # a trial that trains, so that "the best" means one
            means[0] = 0.9
        return means


SCENARIOS = (
    Scenario(
        "a third of the trials diverge", spread=0.02, seed_sd=0.01, run_sd=0.01, diverged=1 / 3
    ),
    Scenario("spread out (a typical lr search)", spread=0.05, seed_sd=0.01, run_sd=0.01),
    Scenario("close (top trials within one noise sd)", spread=0.01, seed_sd=0.01, run_sd=0.01),
    Scenario("very noisy runs", spread=0.05, seed_sd=0.02, run_sd=0.04),
)


def _record(repeat: int, value: float) -> RunRecord:
    return RunRecord(
        study="sim", repeat=repeat, seed=repeat, status=RunStatus.OK, metrics={"acc": value}
    )


def search(
    scenario: Scenario, rng: np.random.Generator, *, racing: bool
) -> tuple[int, int, bool, int]:
    """One search: (index of the true best, index Optuna calls best, true best raced out, seeds)."""
    means = scenario.means(rng)
    seed_effect = rng.normal(0.0, scenario.seed_sd, REPEATS)
    values = (
        means[:, None]
        + seed_effect[None, :]
        + rng.normal(0.0, scenario.run_sd, (*means.shape, REPEATS))
    )
    study = optuna.create_study(direction="maximize")
    best = int(np.argmax(means))
    raced_out = False
    seeds = 0
    for index in range(TRIALS):
        trial = study.ask()
        race = _Race(trial, metric="acc", min_repeats=MIN_REPEATS, confidence=0.95, maximize=True)
        runs = []
        for repeat in range(REPEATS):
            record = _record(repeat, float(values[index, repeat]))
            runs.append(record)
            race.observe(record)
            if racing and not race.keep_claiming():
                break
        seeds += len(runs)
        stop = "raced" if race.stopped_at is not None else "repeats"
        result = measure(runs, study="sim", store="-", metric="acc", confidence=0.95, stop=stop)
        for key, value in result.user_attrs().items():
            trial.set_user_attr(key, value)
        study.tell(trial, result.mean)
        raced_out |= index == best and stop == "raced"
    return best, study.best_trial.number, raced_out, seeds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--searches", type=int, default=500)
    args = parser.parse_args()
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    print(
        f"{args.searches} searches per scenario, {TRIALS} trials each, repeats={REPEATS}, "
        f"min_repeats={MIN_REPEATS}, 95% confidence sequences"
    )
    for scenario in SCENARIOS:
        raced = {"dropped": 0, "right": 0, "seeds": 0}
        full_right = 0
        for number in range(args.searches):
            best, chosen, dropped, seeds = search(
                scenario, np.random.default_rng([number, 1]), racing=True
            )
            raced["dropped"] += dropped
            raced["right"] += chosen == best
            raced["seeds"] += seeds
            best, chosen, _, _ = search(scenario, np.random.default_rng([number, 1]), racing=False)
            full_right += chosen == best
        n = args.searches
        print(
            f"{scenario.name}: true best raced out in {100 * raced['dropped'] / n:.1f}% of "
            f"searches; best_trial is the true best {100 * raced['right'] / n:.1f}% with racing, "
            f"{100 * full_right / n:.1f}% with full repeats; racing ran "
            f"{100 * raced['seeds'] / (n * TRIALS * REPEATS):.0f}% of the seeds"
        )


if __name__ == "__main__":
    main()
