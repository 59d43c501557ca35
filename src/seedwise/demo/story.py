"""``seedwise demo``: the tutorial's story, told with fresh processes.

1. Unseeded runs of the tutorial's network differ.
2. The tutorial's recipe (seed NumPy, then TensorFlow) still differs on
   Keras 3, because Keras 3 draws its layer seeds from Python's ``random``.
3. Runs after ``seedwise.seed_everything`` are bit-identical.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from seedwise.errors import SeedwiseError


@dataclass(frozen=True)
class FreshRun:
    """One training of the network in its own fresh process."""

    recipe: str
    seed: int
    mse: float
    weights: str
    report: dict[str, Any] | None = None


@dataclass
class DemoResult:
    """Everything the demo measured."""

    backend: str
    epochs: int
    unseeded: list[FreshRun] = field(default_factory=list)
    tutorial: list[FreshRun] = field(default_factory=list)
    seeded: list[FreshRun] = field(default_factory=list)

    @staticmethod
    def identical(runs: Sequence[FreshRun]) -> bool:
        """True if every run has the same weights, bit for bit."""
        return len({run.weights for run in runs}) == 1

    def to_dict(self) -> dict[str, Any]:
        """A JSON-serialisable dict."""
        return {
            "backend": self.backend,
            "epochs": self.epochs,
            "unseeded": [run.__dict__ for run in self.unseeded],
            "tutorial": [run.__dict__ for run in self.tutorial],
            "seeded": [run.__dict__ for run in self.seeded],
        }


def fresh_run(recipe: str, seed: int, epochs: int, backend: str) -> FreshRun:
    """Train the network once in a new Python process and return what it printed."""
    environment = dict(os.environ, KERAS_BACKEND=backend, TF_CPP_MIN_LOG_LEVEL="3")
    command = [sys.executable, "-m", "seedwise.demo._fit_once", recipe, str(seed), str(epochs)]
    completed = subprocess.run(command, capture_output=True, text=True, env=environment)
    if completed.returncode != 0:
        last = (completed.stderr.strip().splitlines() or ["(no output)"])[-1]
        raise SeedwiseError(
            f"A demo training process failed (recipe={recipe}, exit code "
            f"{completed.returncode}): {last}"
        )
    data = json.loads(completed.stdout.strip().splitlines()[-1])
    return FreshRun(
        recipe=recipe,
        seed=seed,
        mse=float(data["mse"]),
        weights=str(data["weights"]),
        report=data.get("report"),
    )


def run_demo(
    *,
    backend: str = "tensorflow",
    epochs: int = 100,
    unseeded: int = 3,
    tutorial: int = 2,
    seeded: int = 2,
    seed: int = 1,
    workers: int | None = None,
    on_run: Callable[[FreshRun], None] | None = None,
) -> DemoResult:
    """Train the network in fresh processes under each recipe, ``workers`` at a time."""
    plan = (
        [("none", seed)] * unseeded
        + [("tutorial", seed)] * tutorial
        + [("seedwise", seed)] * seeded
    )
    result = DemoResult(backend=backend, epochs=epochs)
    groups = {"none": result.unseeded, "tutorial": result.tutorial, "seedwise": result.seeded}
    with ThreadPoolExecutor(max_workers=workers or os.cpu_count() or 1) as pool:
        futures = [pool.submit(fresh_run, recipe, s, epochs, backend) for recipe, s in plan]
        for future in futures:
            run = future.result()
            groups[run.recipe].append(run)
            if on_run is not None:
                on_run(run)
    return result
