"""Real training code under ``seedwise run`` and ``seedwise check``, in fresh processes.

A PyTorch loop with dropout and a DataLoader of two worker processes, a
Lightning module, and scikit-learn and pandas left unseeded: each runs as
written and reproduces bit for bit.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import PROGRAMS, run_python

TRAINING = PROGRAMS / "real_training.py"
TORCH = ["--framework", "python", "--framework", "numpy", "--framework", "torch"]

pytestmark = pytest.mark.slow


def _run(store: Path, function: str, workers: int) -> dict[str, list[float]]:
    result = run_python(
        [
            "-m",
            "seedwise",
            "run",
            f"{TRAINING}:{function}",
            "--repeats",
            "3",
            "--workers",
            str(workers),
            "--store",
            str(store),
            "--json",
            *TORCH,
        ],
        timeout=300,
    )
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    output = json.loads(result.stdout.strip().splitlines()[-1])
    assert output["counts"]["ok"] == 3
    metrics: dict[str, list[float]] = output["metrics"]
    return metrics


def _check(tmp_path: Path, function: str) -> str:
    result = run_python(
        [
            "-m",
            "seedwise",
            "check",
            f"{TRAINING}:{function}",
            "--store",
            str(tmp_path / "c.db"),
            *TORCH,
        ],
        timeout=300,
    )
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    return result.stdout


def test_a_dataloader_with_worker_processes_gives_the_same_bits_at_1_and_2_workers(
    tmp_path: Path,
) -> None:
    one = _run(tmp_path / "one.db", "torch_loader", workers=1)
    two = _run(tmp_path / "two.db", "torch_loader", workers=2)
    # JSON floats round-trip exactly: equal lists are equal bits.
    assert one == two
    # Each run has its own seed: the runs differ from one another.
    assert len(set(one["loss"])) == 3


def test_a_dataloader_with_worker_processes_reproduces_under_check(tmp_path: Path) -> None:
    assert "reproducible - 3 runs compared bit for bit" in _check(tmp_path, "torch_loader")


def test_a_lightning_module_reproduces_under_check(tmp_path: Path) -> None:
    assert "reproducible - 3 runs compared bit for bit" in _check(tmp_path, "lightning_module")


def test_scikit_learn_and_pandas_at_their_default_random_state_reproduce_under_check(
    tmp_path: Path,
) -> None:
    assert "reproducible - 3 runs compared bit for bit" in _check(tmp_path, "sklearn_defaults")


def test_assert_reproducible_passes_on_scikit_learn_with_worker_processes() -> None:
    from seedwise.testing import assert_reproducible

    result = assert_reproducible(
        f"{TRAINING}:sklearn_defaults", frameworks=("python", "numpy"), probes=False
    )
    assert result.reproducible is True
    assert result.causes == []
