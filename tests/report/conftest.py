"""Stores for the report's tests, written directly (no experiment runs)."""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from seedwise.records import RunRecord, RunStatus, StepRecord
from seedwise.store import Store
from seedwise.store.names import cell_name

#: A study name and a config value that are markup, and one that is rich markup.
SCRIPT = "<script>alert(1)</script>"
BRACKETS = "x[/]y"
IMAGE = '<img src=x onerror="alert(2)">'
ERROR = "ValueError: <b>diverged</b> | *loss* [nan]"
STUDIES = ("baseline", SCRIPT, BRACKETS)
ENVIRONMENT = {"python": "3.11.7", "platform": "Linux", "packages": {"numpy": "2.1.0"}}


def add_study(
    store: Store,
    name: str,
    index: int,
    *,
    runs: int,
    failed: Sequence[int] = (),
    config: dict[str, Any] | None = None,
    environment: dict[str, Any] = ENVIRONMENT,
    steps: int = 6,
    task: str | None = None,
) -> None:
    """A study whose mse falls with ``index``: run r has seed 100 + r and a learning curve."""
    store.ensure_study(
        name,
        experiment="train.py:train",
        config={"epochs": steps, "lr": 0.01 * (index + 1)} if config is None else config,
        seed=0,
        settings={"threads": 1},
        code_hash="c0de" * 16,
        task=task,
    )
    for repeat in range(runs):
        seed = 100 + repeat
        if repeat in failed:
            store.record_run(RunRecord(name, repeat, seed, RunStatus.FAILED, error=ERROR))
            continue
        # Fixed, data-independent values: the report must be the same each time.
        wobble = math.sin(seed * (index + 1.7)) * 0.01
        curve = [math.exp(-step * (0.3 + 0.1 * index)) + wobble for step in range(steps)]
        store.record_run(
            RunRecord(
                name,
                repeat,
                seed,
                RunStatus.OK,
                metrics={"mse": 0.2 - 0.05 * index + wobble, "accuracy": 0.8 + 0.05 * index},
                steps=tuple(StepRecord(step, "loss", value) for step, value in enumerate(curve)),
                duration=0.25,
                environment=environment,
            )
        )


def write_sweep(path: Path, grid: Mapping[str, Sequence[Any]], seeds: int = 8) -> list[str]:
    """The cells of sweep ``grid`` as ``seedwise sweep`` names them; accuracy rises by cell."""
    rng = np.random.default_rng(5)
    names = []
    with Store(path) as store:
        for index, values in enumerate(itertools.product(*grid.values())):
            cell = dict(zip(grid, values, strict=True))
            name = cell_name("grid", cell)
            names.append(name)
            store.ensure_study(
                name, experiment="train.py:train", config={"epochs": 3, **cell}, seed=0,
                settings={}, code_hash="c0de" * 16,
            )  # fmt: skip
            for repeat in range(seeds):
                accuracy = rng.binomial(200, 0.6 + 0.03 * index) / 200
                store.record_run(
                    RunRecord(
                        name, repeat, 100 + repeat, RunStatus.OK, metrics={"accuracy": accuracy}
                    )
                )
    return names


def write_three_studies(path: Path) -> Path:
    """Three studies of 8 runs at ``path``: a plain name, a script tag, rich markup; one failed."""
    path.parent.mkdir()
    with Store(path) as store:
        add_study(store, STUDIES[0], 0, runs=8)
        add_study(
            store,
            STUDIES[1],
            1,
            runs=8,
            failed=[7],
            config={"epochs": 6, "lr": 0.02, "note": IMAGE},
        )
        add_study(
            store,
            STUDIES[2],
            2,
            runs=8,
            environment={**ENVIRONMENT, "packages": {"numpy": "2.2.0"}},
        )
    return path


@pytest.fixture
def store_path(tmp_path: Path) -> Path:
    """Three studies of 8 runs: a plain name, a script tag and rich markup; one failed run."""
    return write_three_studies(tmp_path / "store" / "seedwise.db")
