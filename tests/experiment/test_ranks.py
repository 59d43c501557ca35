"""Multi-process experiments: 2 ranks on CPU with gloo (mp.spawn, torchrun, accelerate launch)."""

from __future__ import annotations

import random
import re
from pathlib import Path

import pytest

from seedwise.errors import UsageError
from seedwise.experiment.context import RunContext
from seedwise.experiment.ranks import process_rank, seed_rank
from seedwise.records import RunRecord, RunStatus
from seedwise.store import Store
from tests.conftest import PROGRAMS, run_python
from tests.runner.conftest import study_run

DDP = f"{PROGRAMS / 'ddp.py'}:train"
TORCHRUN = f"{PROGRAMS / 'ddp.py'}:train_torchrun"
ACCELERATE = f"{PROGRAMS / 'ddp.py'}:train_accelerate"
TRAINER = f"{PROGRAMS / 'ddp.py'}:train_trainer"
EXPERIMENTS = {"spawn": DDP, "torchrun": TORCHRUN, "accelerate": ACCELERATE}
LAUNCHERS = pytest.mark.parametrize("experiment", list(EXPERIMENTS.values()), ids=list(EXPERIMENTS))
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


def test_a_rank_is_taken_from_the_launchers_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("RANK", raising=False)
    assert process_rank() is None
    monkeypatch.setenv("RANK", "3")  # torchrun and accelerate launch set it in each rank
    assert process_rank() == 3
    for bad in ("-1", "one", "\u0663"):
        monkeypatch.setenv("RANK", bad)
        with pytest.raises(
            UsageError, match=re.escape(f"Received: RANK={bad!r}; expected an int from 0")
        ):
            process_rank()


def test_seed_rank_refuses_a_rank_that_is_not_this_process(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("RANK", "1")
    # The mistake of `seed_rank(seed, accelerator.process_index)` with an Accelerator
    # that did not see the launch (process_index 0 on every rank).
    with pytest.raises(UsageError, match=r"Received: rank=0; expected 1 \(torch.distributed"):
        seed_rank(5, 0, frameworks=("python",))
    monkeypatch.delenv("RANK")
    with pytest.raises(UsageError, match=r"Received: rank=None with no torch\.distributed"):
        seed_rank(5, frameworks=("python",))


def test_seed_rank_seeds_every_rank_with_the_runs_seed(monkeypatch: pytest.MonkeyPatch) -> None:
    state = random.getstate()
    draws = []
    try:
        for rank in ("0", "1"):
            monkeypatch.setenv("RANK", rank)
            report = seed_rank(5, frameworks=("python",))
            assert report.seed == 5
            draws.append(random.random())
    finally:
        random.setstate(state)
    assert draws[0] == draws[1]


@pytest.mark.slow
@LAUNCHERS
def test_two_gloo_ranks_start_from_equal_parameters_and_draw_their_own_data(
    tmp_path: Path, experiment: str
) -> None:
    _needs(experiment)
    run, digests = _one_run(experiment, tmp_path / "s.db", seed=4)
    assert run.status == RunStatus.OK, run.error
    for leaf in ("weight", "bias"):
        assert digests[f"rank0/init/{leaf}"] == digests[f"rank1/init/{leaf}"]
    assert run.metrics["draw0"] != run.metrics["draw1"]  # each rank its own data stream
    assert digests["rank0/batch"] != digests["rank1/batch"]
    if experiment == ACCELERATE:
        # Each rank's shuffled loader had its own generator; Accelerate synchronised them,
        # so the two ranks' shards of the 16 items are disjoint.
        assert run.metrics["loader_drawn"] == run.metrics["loader_distinct"] == 16


@pytest.mark.slow
@LAUNCHERS
def test_ranks_seeded_apart_are_caught_after_initialisation(
    tmp_path: Path, experiment: str
) -> None:
    # seed + rank on each rank; under Accelerate, set_seed(seed, device_specific=True).
    _needs(experiment)
    study = study_run(
        experiment,
        repeats=1,
        seed=4,
        config={"mistake": "seed_apart"},
        store=tmp_path / "s.db",
        frameworks=FRAMEWORKS,
    )
    (run,) = study.runs
    assert run.status == RunStatus.FAILED
    assert "the parameters differ across ranks after initialisation: rank(s) 1" in (run.error or "")


@pytest.mark.slow
@LAUNCHERS
def test_check_compares_every_ranks_fingerprints_across_two_runs(experiment: str) -> None:
    _needs(experiment)
    from seedwise.check import check

    result = check(experiment, seed=4, frameworks=list(FRAMEWORKS))
    assert result.reproducible, str(result)
    assert result.fingerprints == 6  # weight, bias and first batch of rank 0 and rank 1
    assert set(result.metrics) >= {"draw0", "draw1"}


@pytest.mark.slow
@pytest.mark.parametrize("experiment", [DDP, TORCHRUN], ids=["spawn", "torchrun"])
def test_check_names_the_rank_whose_data_stream_is_unseeded(experiment: str) -> None:
    # Rank 1 draws its batch from an unseeded generator: the ranks' parameters still
    # agree, so only comparing each rank's fingerprints across runs shows it.
    _needs(experiment)
    from seedwise.check import check

    result = check(
        experiment, seed=4, config={"mistake": "data_unseeded"}, frameworks=list(FRAMEWORKS)
    )
    assert not result.reproducible
    assert result.first_divergence is not None
    assert result.first_divergence.tensor == "rank1/batch", str(result)


@pytest.mark.slow
def test_every_launcher_gives_the_same_ranks_the_same_seeds(tmp_path: Path) -> None:
    # The ranks' seeds come from the run, not from the launcher: the same parameters
    # and the same data draws whichever starts the ranks.
    _needs(ACCELERATE)
    runs = {}
    for name, experiment in EXPERIMENTS.items():
        run, digests = _one_run(experiment, tmp_path / f"{name}.db", seed=4)
        metrics = {k: v for k, v in run.metrics.items() if not k.startswith("loader_")}
        runs[name] = (metrics, digests)
    assert runs["spawn"] == runs["torchrun"] == runs["accelerate"]


@pytest.mark.slow
def test_seedwise_run_and_check_of_an_accelerate_script_catch_a_rank_seeded_otherwise(
    tmp_path: Path,
) -> None:
    # The command line, in fresh processes, as a user runs it: `seedwise run` of a
    # function that runs `accelerate launch`, and `seedwise check` of it.
    _needs(ACCELERATE)
    options = ["--seed", "4", *(word for name in FRAMEWORKS for word in ("--framework", name))]
    store = tmp_path / "s.db"
    run = ["-m", "seedwise", "run", ACCELERATE, "--repeats", "1", "--name", "accel"]
    ran = run_python([*run, "--store", str(store), "--set", "mistake=seed_apart", *options])
    assert ran.returncode == 1, ran.stderr  # a failed run
    with Store(store) as opened:
        (record,) = opened.runs("accel")
    assert record.status == RunStatus.FAILED
    assert "rank(s) 1 differ from rank 0" in (record.error or "")  # set_seed(device_specific)

    check = ["-m", "seedwise", "check", ACCELERATE, "--set", "mistake=data_unseeded", *options]
    checked = run_python(check)
    assert checked.returncode == 1, checked.stderr  # not reproducible
    assert "rank1/batch" in checked.stdout, checked.stdout


@pytest.mark.slow
def test_a_trainer_under_accelerate_launch_keeps_its_ranks_equal(tmp_path: Path) -> None:
    # A Hugging Face Trainer script, 2 ranks by accelerate launch: the ranks prove their
    # parameters equal after initialisation and after training (else the run fails).
    _needs(ACCELERATE)
    pytest.importorskip("transformers")
    run, digests = _one_run(TRAINER, tmp_path / "s.db", seed=3)
    assert run.status == RunStatus.OK, run.error
    for part in ("init", "final"):
        leaves = {name.split("/", 2)[2] for name in digests if name.startswith(f"rank0/{part}/")}
        assert leaves, digests
        for leaf in leaves:
            assert digests[f"rank0/{part}/{leaf}"] == digests[f"rank1/{part}/{leaf}"]
    embeddings = "bert.embeddings.word_embeddings.weight"
    assert digests[f"rank0/init/{embeddings}"] != digests[f"rank0/final/{embeddings}"]
    assert run.metrics["eval_loss0"] == run.metrics["eval_loss1"]


def _one_run(experiment: str, store: Path, seed: int) -> tuple[RunRecord, dict[str, str]]:
    """One run of ``experiment``, and its fingerprints' digests by name."""
    study = study_run(experiment, repeats=1, seed=seed, store=store, frameworks=FRAMEWORKS)
    with Store(store) as opened:
        digests = {fp.name: fp.digest for fp in opened.fingerprints(study.spec.name, 0)}
    return study.runs[0], digests


def _needs(experiment: str) -> None:
    pytest.importorskip("torch")
    if experiment == ACCELERATE:
        pytest.importorskip("accelerate")
