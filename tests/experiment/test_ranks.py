"""Multi-process experiments: 2 ranks on CPU with gloo (torch.multiprocessing.spawn, torchrun)."""

from __future__ import annotations

from pathlib import Path

import pytest

from seedwise.experiment.context import RunContext
from seedwise.records import RunStatus
from seedwise.store import Store
from tests.conftest import PROGRAMS
from tests.runner.conftest import study_run

DDP = f"{PROGRAMS / 'ddp.py'}:train"
TORCHRUN = f"{PROGRAMS / 'ddp.py'}:train_torchrun"
LAUNCHERS = pytest.mark.parametrize("experiment", [DDP, TORCHRUN], ids=["spawn", "torchrun"])
FRAMEWORKS = ("python", "numpy", "torch")


def test_streams_know_the_rank_and_the_run_seed_does_not() -> None:
    ctx = RunContext(seed=7, repeat=0, config={}, workdir=Path("."))
    seeds = [ctx.seed_for("data", rank=rank) for rank in range(4)]
    assert len(set(seeds)) == 4
    assert ctx.seed_for("data") not in seeds
    again = RunContext(seed=7, repeat=0, config={}, workdir=Path("."))
    assert [again.seed_for("data", rank=rank) for rank in range(4)] == seeds
    with pytest.raises(ValueError, match=r"`rank` must be an int from 0. Received: rank=-1"):
        ctx.seed_for("data", rank=-1)


@pytest.mark.slow
@LAUNCHERS
def test_two_gloo_ranks_start_from_equal_parameters_and_draw_their_own_data(
    tmp_path: Path, experiment: str
) -> None:
    pytest.importorskip("torch")
    study = study_run(experiment, repeats=1, seed=4, store=tmp_path / "s.db", frameworks=FRAMEWORKS)
    (run,) = study.runs
    assert run.status == RunStatus.OK, run.error
    with Store(tmp_path / "s.db") as store:
        digests = {fp.name: fp.digest for fp in store.fingerprints(study.spec.name, 0)}
    for leaf in ("weight", "bias"):
        assert digests[f"rank0/init/{leaf}"] == digests[f"rank1/init/{leaf}"]
    assert run.metrics["draw0"] != run.metrics["draw1"]  # each rank its own data stream


@pytest.mark.slow
@LAUNCHERS
def test_ranks_seeded_apart_are_caught_after_initialisation(
    tmp_path: Path, experiment: str
) -> None:
    pytest.importorskip("torch")
    study = study_run(
        experiment,
        repeats=1,
        seed=4,
        config={"unseeded": 1},
        store=tmp_path / "s.db",
        frameworks=FRAMEWORKS,
    )
    (run,) = study.runs
    assert run.status == RunStatus.FAILED
    assert "the parameters differ across ranks after initialisation: rank(s) 1" in (run.error or "")


@pytest.mark.slow
@LAUNCHERS
def test_check_compares_every_ranks_fingerprints_across_two_runs(experiment: str) -> None:
    pytest.importorskip("torch")
    from seedwise.check import check

    result = check(experiment, seed=4, frameworks=list(FRAMEWORKS))
    assert result.reproducible, str(result)
    assert result.fingerprints == 4  # weight and bias of rank 0 and of rank 1, in both runs
    assert set(result.metrics) >= {"draw0", "draw1"}


@pytest.mark.slow
def test_torchrun_and_spawn_give_the_same_ranks_the_same_seeds(tmp_path: Path) -> None:
    # The ranks' seeds come from the run, not from the launcher: the same parameters
    # and the same data draws whichever starts the ranks.
    pytest.importorskip("torch")
    runs = {}
    for name, experiment in (("spawn", DDP), ("torchrun", TORCHRUN)):
        study = study_run(
            experiment, repeats=1, seed=4, store=tmp_path / f"{name}.db", frameworks=FRAMEWORKS
        )
        with Store(tmp_path / f"{name}.db") as store:
            digests = {fp.name: fp.digest for fp in store.fingerprints(study.spec.name, 0)}
        runs[name] = (study.runs[0].metrics, digests)
    assert runs["spawn"] == runs["torchrun"]
