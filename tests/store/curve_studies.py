"""Stores of studies whose runs log learning curves, written directly (no experiment runs)."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from seedwise.records import RunRecord, RunStatus, StepRecord
from seedwise.store import Store

#: A run's curve: (repeat, step) -> value, or None to log nothing at that step.
Curve = Callable[[int, int], float | None]


def add_curve_study(
    store: Store,
    name: str,
    curve: Curve,
    *,
    runs: int,
    steps: Sequence[int] | Callable[[int], Sequence[int]] = range(10),
    failed: Sequence[int] = (),
    metric: str = "loss",
    extra: Callable[[int, int], dict[str, float]] | None = None,
) -> None:
    """A study of ``runs`` runs, seeds 100 + repeat, each logging ``metric`` at its steps.

    ``steps`` may depend on the repeat (runs logged at different steps, or
    stopped early); ``extra`` adds other logged columns at each step.
    """
    store.ensure_study(
        name, experiment="train.py:train", config={}, seed=0, settings={}, code_hash="c0de" * 16
    )
    for repeat in range(runs):
        seed = 100 + repeat
        if repeat in failed:
            store.record_run(RunRecord(name, repeat, seed, RunStatus.FAILED, error="boom"))
            continue
        logged: list[StepRecord] = []
        run_steps = steps(repeat) if callable(steps) else steps
        for step in run_steps:
            value = curve(repeat, step)
            if value is not None:
                logged.append(StepRecord(step, metric, value))
            for column, extra_value in (extra(repeat, step) if extra else {}).items():
                logged.append(StepRecord(step, column, extra_value))
        store.record_run(
            RunRecord(
                name,
                repeat,
                seed,
                RunStatus.OK,
                metrics={"final": curve(repeat, run_steps[-1]) or 0.0},
                steps=tuple(logged),
            )
        )
