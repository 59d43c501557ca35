"""A vectorised study whose every batch returned identical runs is named, with its cause."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from seedwise.cli import main
from seedwise.records import RunRecord, RunStatus
from seedwise.runner.batched import batches_of, identical_lanes
from tests.conftest import PROGRAMS, skip_unless_installed
from tests.runner.conftest import study_run

skip_unless_installed("jax")

KEYED = PROGRAMS / "keyed_draws.py"


def _run(repeat: int, x: float, batch: int, status: RunStatus = RunStatus.OK) -> RunRecord:
    # The runs of one batch share its worker, start and end (share_batch_time).
    start = 100.0 + batch
    return RunRecord(
        "s", repeat, repeat, status, {"x": x}, started=start, finished=start + 1, worker="w1"
    )


def test_batches_are_found_again_by_worker_start_and_end() -> None:
    runs = [_run(3, 1.0, 1), _run(0, 0.0, 0), _run(1, 0.0, 0), _run(2, 1.0, 1)]
    runs.append(_run(4, 2.0, 2, RunStatus.FAILED))
    assert [[run.repeat for run in batch] for batch in batches_of(runs)] == [[0, 1], [2, 3]]


@pytest.mark.parametrize(
    ("values", "warned"),
    [
        ([(0.5, 0), (0.5, 0), (0.7, 1), (0.7, 1)], True),  # every batch alike, batches differ
        ([(0.5, 0), (0.5, 0), (0.5, 1), (0.5, 1)], True),  # every run alike
        ([(0.5, 0), (0.5, 0), (0.7, 1), (0.8, 1)], False),  # one batch whose runs differ
        ([(0.5, 0), (0.6, 1), (0.7, 2)], False),  # no batch of two or more
        ([(float("nan"), 0), (float("nan"), 0)], True),  # NaN is NaN, bit for bit
    ],
)
def test_a_warning_only_when_every_batch_of_two_or_more_is_alike(
    values: list[tuple[float, int]], warned: bool
) -> None:
    runs = [_run(repeat, x, batch) for repeat, (x, batch) in enumerate(values)]
    assert (identical_lanes(runs) is not None) is warned


def test_runs_alike_in_one_metric_but_not_another_are_not_copies() -> None:
    first = _run(0, 0.5, 0)
    second = RunRecord(
        "s", 1, 1, RunStatus.OK, {"x": 0.5, "y": 1.0}, started=100.0, finished=101.0, worker="w1"
    )
    assert identical_lanes([first, second]) is None


@pytest.mark.slow
def test_numpy_drawn_at_trace_time_is_named_and_keyed_draws_are_not(tmp_path: Path) -> None:
    store = tmp_path / "s.db"
    options = {"repeats": 4, "vectorize": 2, "workers": 1, "store": store}
    baked = study_run(f"{KEYED}:numpy_draw", **options)
    keyed = study_run(f"{KEYED}:key_draw", **options)
    values = [run.metrics["x"] for run in baked.runs]
    assert values[0] == values[1]
    assert values[2] == values[3]
    message = baked.identical_lanes
    assert message is not None
    assert "(2 batches, 4 runs)" in message
    assert "NumPy or Python random" in message
    assert "jax.random.split(key)" in message
    # The count out of 3 may tie within a batch; x from the key does not.
    assert keyed.identical_lanes is None
    assert len({run.metrics["x"] for run in keyed.runs}) == 4


@pytest.mark.slow
def test_the_command_says_it_once_in_its_output_and_json(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["run", f"{KEYED}:numpy_draw", "--repeats", "4", "--vectorize", "2"]
    argv += ["--workers", "1", "--store", str(tmp_path / "s.db")]
    assert main(argv) == 0
    out = capsys.readouterr().out
    warnings = [line for line in out.splitlines() if "identical metrics" in line]
    assert len(warnings) == 1
    assert "draws randomness outside its key" in warnings[0]
    assert "seed itself" not in out  # the keyed form has no seed to hand on
    assert main([*argv, "--json"]) == 0
    captured = capsys.readouterr()
    assert "jax.random.split(key)" in json.loads(captured.out)["identical_lanes"]
    assert "seedwise: warning: the runs of each batch" in captured.err
