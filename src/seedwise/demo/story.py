"""``seedwise demo``: the tutorial's whole study, as studies in the store.

1. Unseeded runs of the tutorial's network differ (fresh processes).
2. The tutorial's recipe (seed NumPy, then TensorFlow) still differs on
   Keras 3, because Keras 3 draws its layer seeds from Python's ``random``.
3. Runs after ``seedwise.seed_everything`` are bit-identical.
4. 30 repeats with derived seeds, summarised with intervals and plotted.
5. 100 epochs against 1,000, paired by seed, compared, and written up in
   one HTML report (``seedwise report``).
6. With JAX installed: the same network as a pure JAX function, its repeats
   at 1,000 epochs trained in one vectorised call (``--vectorize``).

Every step is a named study in the store, so running the demo again resumes
instead of redoing, and every claim can be checked from the store.
"""

from __future__ import annotations

import os
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib.util import find_spec
from pathlib import Path
from typing import Any

from seedwise.check import check
from seedwise.check.kept import keep_verdict, kept_verdict, verdict_inputs
from seedwise.demo.plot import plot_mse
from seedwise.errors import IdenticalRunsWarning
from seedwise.experiment import experiment_source_hash
from seedwise.experiment.resolve import resolve_experiment
from seedwise.records import RunRecord
from seedwise.report import write_report
from seedwise.runner import run
from seedwise.stats import compare, summarize
from seedwise.store.study import Study

__all__ = ["DemoPlan", "DemoResult", "EXPERIMENT", "RECIPES", "run_demo", "seeded_study"]

EXPERIMENT = "seedwise.demo.network:sequence"
RECIPES = "seedwise.demo.network:recipes"
VECTORIZED = "seedwise.examples.sequence_jax:train"
STUDY_SEED = 0
SEEDED_SEED = 1


@dataclass(frozen=True)
class DemoPlan:
    """How much the demo does: ``--quick`` shrinks the counts."""

    backend: str = "tensorflow"
    epochs: int = 100
    long_epochs: int = 1000
    unseeded: int = 3
    tutorial: int = 2
    seeded: int = 2
    repeats: int = 30
    workers: int | None = None

    @classmethod
    def for_mode(cls, backend: str, *, quick: bool) -> DemoPlan:
        """The default plan, or the quick one (2 fresh runs per recipe, 10 repeats)."""
        if quick:
            return cls(backend=backend, unseeded=2, tutorial=2, seeded=2, repeats=10)
        return cls(backend=backend)

    @property
    def frameworks(self) -> tuple[str, ...]:
        """What the runner seeds for the demo's studies: Keras, its backend, Python, NumPy."""
        return ("keras", "python", "numpy", self.backend)

    def name(self, part: str) -> str:
        """The study name of one step, e.g. ``demo-tensorflow-100e-1a2b3c``.

        The suffix is the start of the demo network's source hash: a new
        version of that code starts new studies rather than mixing its runs
        with the old ones (or being refused as a code change).
        """

        return f"demo-{self.backend}-{part}-{experiment_source_hash(EXPERIMENT)[:6]}"


@dataclass
class DemoResult:
    """The studies the demo made or resumed, by step."""

    plan: DemoPlan
    store: Path
    studies: dict[str, Study] = field(default_factory=dict)
    plot: Path | None = None
    report: Path | None = None
    comparison: Any = None
    summaries: dict[str, Any] = field(default_factory=dict)
    check: dict[str, Any] | None = None
    check_path: Path | None = None
    seconds: dict[str, float] = field(default_factory=dict)

    def values(self, step: str, metric: str) -> list[float]:
        """A step's metric over its finished runs, by repeat."""
        return [float(v) for v in self.studies[step].metrics(metric)]

    def identical(self, step: str) -> bool:
        """True if every run of a recipe step has the same weights, bit for bit."""
        return len(set(self.values(step, "weights_digest"))) == 1

    def to_dict(self) -> dict[str, Any]:
        """The names, values and verdicts, JSON-serialisable."""
        recipes = ("unseeded", "tutorial", "seeded")
        return {
            "backend": self.plan.backend,
            "store": str(self.store),
            "plot": None if self.plot is None else str(self.plot),
            "report": None if self.report is None else str(self.report),
            "studies": {step: study.name for step, study in self.studies.items()},
            "recipes": {
                step: {
                    "mse": self.values(step, "mse"),
                    "weights_digest": self.values(step, "weights_digest"),
                    "identical": self.identical(step),
                }
                for step in recipes
                if step in self.studies
            },
            "check": self.check,
            "summaries": {step: s.to_dict() for step, s in self.summaries.items()},
            "comparison": None if self.comparison is None else self.comparison.to_dict(),
            "seconds": dict(self.seconds),
        }


def _recipe_study(
    plan: DemoPlan,
    store: Path,
    step: str,
    repeats: int,
    config: dict[str, Any],
    on_record: Callable[[RunRecord], None] | None,
) -> Study:
    return run(
        RECIPES,
        repeats=repeats,
        seed=STUDY_SEED,
        config={**config, "epochs": plan.epochs},
        workers=plan.workers,
        store=store,
        name=plan.name(f"{step}-{plan.epochs}e"),
        frameworks=(),
        fresh_process_per_run=True,
        on_record=on_record,
    )


def seeded_study(
    plan: DemoPlan, store: Path, on_record: Callable[[RunRecord], None] | None
) -> Study:
    """The step after ``seed_everything(SEEDED_SEED)``: runs that are the same on purpose.

    Its runs all take one seed, to show that seeding makes them identical, so
    the warning that every run returned the same metrics (the sign of code
    that seeds itself) is not said about it; every other warning is.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", IdenticalRunsWarning)
        return _recipe_study(
            plan,
            store,
            "seeded",
            plan.seeded,
            {"recipe": "seedwise", "seed": SEEDED_SEED},
            on_record,
        )


def _repeated_study(
    plan: DemoPlan, store: Path, epochs: int, on_record: Callable[[RunRecord], None] | None
) -> Study:
    return run(
        EXPERIMENT,
        repeats=plan.repeats,
        seed=STUDY_SEED,
        config={"epochs": epochs},
        workers=plan.workers,
        store=store,
        name=plan.name(f"{epochs}e"),
        frameworks=plan.frameworks,
        on_record=on_record,
    )


def run_demo(
    plan: DemoPlan,
    store: Path,
    *,
    on_step: Callable[[str], None] | None = None,
    on_record: Callable[[RunRecord], None] | None = None,
) -> DemoResult:
    """Run (or resume) every step of the demo into ``store``; returns what it found."""

    os.environ["KERAS_BACKEND"] = plan.backend
    result = DemoResult(plan=plan, store=store)

    def step(name: str) -> None:
        if on_step is not None:
            on_step(name)

    step("unseeded runs, each in a fresh process")
    result.studies["unseeded"] = _recipe_study(
        plan, store, "unseeded", plan.unseeded, {"recipe": "none"}, on_record
    )
    step("the tutorial's recipe, each run in a fresh process")
    result.studies["tutorial"] = _recipe_study(
        plan, store, "tutorial", plan.tutorial, {"recipe": "tutorial"}, on_record
    )
    step(f"seed_everything({SEEDED_SEED}), each run in a fresh process")
    result.studies["seeded"] = seeded_study(plan, store, on_record)
    step(f"seedwise check {EXPERIMENT}, in fresh processes")
    result.check_path, result.check = _checked(plan, store)
    step(f"{plan.repeats} repeats, {plan.epochs} epochs")
    result.studies["short"] = _repeated_study(plan, store, plan.epochs, on_record)
    step(f"{plan.repeats} repeats, {plan.long_epochs} epochs")
    started = time.perf_counter()
    result.studies["long"] = _repeated_study(plan, store, plan.long_epochs, on_record)
    result.seconds["long"] = time.perf_counter() - started
    if find_spec("jax") is not None:
        step(f"{plan.repeats} repeats, {plan.long_epochs} epochs, vectorised (JAX)")
        started = time.perf_counter()
        result.studies["vectorized"] = run(
            VECTORIZED,
            repeats=plan.repeats,
            seed=STUDY_SEED,
            config={"epochs": plan.long_epochs},
            store=store,
            name=plan.name(f"{plan.long_epochs}e-vectorized"),
            vectorize=plan.repeats,
            on_record=on_record,
        )
        result.seconds["vectorized"] = time.perf_counter() - started
        result.summaries["vectorized"] = summarize(result.studies["vectorized"].sample("mse"))
    step("statistics and the plot")
    samples = {key: result.studies[key].sample("mse") for key in ("short", "long")}
    for key, sample in samples.items():
        result.summaries[key] = summarize(sample)
    result.comparison = compare(samples["short"], samples["long"], goal="min")

    result.plot = plot_mse(
        result.studies["short"].runs,
        result.studies["long"].runs,
        epochs=(plan.epochs, plan.long_epochs),
        backend=plan.backend,
        path=store.parent / f"demo-{plan.backend}.png",
    )
    step("the report")
    result.report = write_report(
        [result.studies["short"], result.studies["long"]],
        store.parent / f"demo-{plan.backend}.html",
        metrics=["mse"],
        goal="min",
    )
    return result


def _checked(plan: DemoPlan, store: Path) -> tuple[Path, dict[str, Any]]:
    """``seedwise check`` of the built-in experiment; its verdict is kept beside the store.

    The verdict goes to the store's ``checks`` folder (:mod:`seedwise.check.kept`),
    where ``seedwise report`` finds it for the studies of the same code and config.

    A check is a pure function of the code, seed, config and settings, so a
    stored verdict for the same inputs is reused when the demo runs again.
    """

    inputs = verdict_inputs(
        resolve_experiment(EXPERIMENT),
        seed=SEEDED_SEED,
        config={"epochs": plan.epochs},
        settings={"frameworks": list(plan.frameworks), "backend": plan.backend},
    )
    kept = kept_verdict(store, inputs)
    if kept is not None:
        return kept.path, kept.result.to_dict()
    verdict = check(
        EXPERIMENT,
        seed=SEEDED_SEED,
        config={"epochs": plan.epochs},
        frameworks=plan.frameworks,
        keras_backend=plan.backend,
    )
    return keep_verdict(store, inputs, verdict), verdict.to_dict()
