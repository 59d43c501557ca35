"""Vectorised repeats: keyed experiments, K repeats per call, each repeat its own run."""

from __future__ import annotations

import inspect
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from seedwise.errors import InvalidResultError, UsageError
from seedwise.experiment.calling import plan_call
from seedwise.experiment.vectorized import (
    batch_of,
    call_batched,
    call_keyed,
    is_keyed,
    key_data,
)
from seedwise.records import RunRecord, RunStatus
from seedwise.runner.batched import share_batch_time
from seedwise.runner.spec import KEYED_FRAMEWORKS, prepare_study
from seedwise.runner.tasks import RunTask, StudySettings, batch_tasks
from seedwise.seeding.streams import repeat_seed
from seedwise.store import open_store
from tests.conftest import ROOT

jax = pytest.importorskip("jax")

SEQUENCE_JAX = "seedwise.examples.sequence_jax:train"
SHORT = {"epochs": 20}
#: The documented bound: |vectorised - alone| <= RTOL * |alone| + ATOL (docs/vectorized.md).
RTOL, ATOL = 1e-5, 1e-9


def train_sequence(key: Any, config: dict[str, Any]) -> Any:
    from seedwise.examples.sequence_jax import train

    return train(key, config)


def _signature(text: str) -> inspect.Signature:
    namespace: dict[str, Any] = {}
    exec(f"def f{text}: pass", namespace)
    return inspect.signature(namespace["f"])


@pytest.mark.parametrize(
    ("parameters", "keyed"),
    [
        ("(key, config)", True),
        ("(key, config, scale=2.0)", True),
        ("(key, config, *args, **kwargs)", True),
        ("(ctx)", False),
        ("(config, key)", False),
        ("(key)", False),
        ("(key, config, scale)", False),
        ("(*, key, config)", False),
    ],
)
def test_the_keyed_form_is_recognised_by_its_signature(parameters: str, keyed: bool) -> None:
    assert is_keyed(_signature(parameters)) is keyed


def test_a_keyed_function_takes_any_config_keys() -> None:
    plan = plan_call("train", _signature("(key, config)"), ["epochs", "units"])
    assert (plan.keyed, plan.context, plan.keywords) == (True, None, ())


@pytest.mark.slow
def test_each_lane_is_the_repeat_alone_within_the_documented_tolerance() -> None:
    seeds = [repeat_seed(0, repeat) for repeat in range(4)]
    alone = [call_keyed(train_sequence, seed, SHORT)["mse"] for seed in seeds]
    batched = [lane["mse"] for lane in call_batched(train_sequence, seeds, SHORT, 4)]
    np.testing.assert_allclose(batched, alone, rtol=RTOL, atol=ATOL)
    assert len(set(batched)) == 4


def test_a_repeat_has_the_same_bits_whatever_shares_its_batch() -> None:
    seeds = [repeat_seed(0, repeat) for repeat in range(6)]
    full = call_batched(train_sequence, seeds[:4], SHORT, 4)
    padded = call_batched(train_sequence, seeds[2:3], SHORT, 4)
    shuffled = call_batched(train_sequence, [seeds[5], seeds[2], seeds[4]], SHORT, 4)
    assert padded[0] == full[2]
    assert shuffled[1] == full[2]


@pytest.mark.slow
def test_inside_a_batch_each_call_takes_its_own_lane() -> None:
    seeds = [repeat_seed(0, repeat) for repeat in range(3)]
    expected = call_batched(train_sequence, seeds, SHORT, 4)
    calls = []

    def counted(key: Any, config: dict[str, Any]) -> Any:
        calls.append(1)
        return train_sequence(key, config)

    with batch_of(seeds, 4):
        lanes = [call_keyed(counted, seed, SHORT) for seed in reversed(seeds)]
    assert lanes == expected[::-1]
    assert len(calls) == 1  # traced once, for the whole batch


def test_an_error_of_the_batch_fails_every_run_of_it() -> None:
    def broken(key: Any, config: dict[str, Any]) -> Any:
        raise RuntimeError("diverged")

    seeds = [11, 12]
    with batch_of(seeds, 2):
        for seed in seeds:
            with pytest.raises(RuntimeError, match="diverged"):
                call_keyed(broken, seed, {})


def test_a_keyed_experiment_must_return_scalars() -> None:
    def vector(key: Any, config: dict[str, Any]) -> Any:
        return {"losses": jax.numpy.zeros(3)}

    with pytest.raises(InvalidResultError, match=r"Received: 'losses' of shape \(3,\)"):
        call_keyed(vector, 1, {})


def test_the_key_of_a_run_is_its_seed_in_two_words() -> None:
    assert key_data(2**32 + 5).tolist() == [1, 5]


def _task(repeat: int, settings: StudySettings) -> RunTask:
    return RunTask("s", repeat, repeat_seed(0, repeat), None, {}, settings, "/tmp")  # type: ignore[arg-type]


def test_tasks_are_grouped_into_batches_in_order() -> None:
    settings = StudySettings.for_study(0, vectorize=2)
    tasks = batch_tasks([_task(r, settings) for r in range(5)], 2)
    assert [[run.repeat for run in task.chain()] for task in tasks] == [[0, 1], [2, 3], [4]]
    assert batch_tasks(tasks[:1], None) == tasks[:1]


def test_the_runs_of_a_batch_share_its_time() -> None:
    settings = StudySettings.for_study(0, vectorize=3)
    (task,) = batch_tasks([_task(r, settings) for r in range(3)], 3)
    records = [
        RunRecord("s", run.repeat, run.seed, RunStatus.OK, {"mse": 1.0}, None, None, t, t + d, d)
        for run, t, d in zip(task.chain(), (10.0, 13.0, 13.0), (3.0, 0.0, 0.0), strict=True)
    ]
    shared = share_batch_time(task, records)
    assert [(r.started, r.finished, r.duration) for r in shared] == [(10.0, 13.0, 1.0)] * 3


def test_the_batch_size_is_part_of_the_study_and_absent_when_unset() -> None:
    settings = StudySettings.for_study(0, vectorize=8)
    assert settings.to_dict()["vectorize"] == 8
    assert StudySettings.from_dict(settings.to_dict()) == settings
    assert "vectorize" not in StudySettings.for_study(0).to_dict()
    with pytest.raises(UsageError, match="Received: vectorize=0; expected"):
        StudySettings.for_study(0, vectorize=0)


def test_a_keyed_study_seeds_what_it_uses_and_its_name_depends_on_the_batch_size() -> None:
    common: dict[str, Any] = dict(
        seed=0, config=SHORT, threads=1, deterministic=True, frameworks=None, name=None
    )
    alone = prepare_study(SEQUENCE_JAX, **common)
    batched = prepare_study(SEQUENCE_JAX, vectorize=4, **common)
    assert alone.settings.frameworks == KEYED_FRAMEWORKS
    assert batched.settings.vectorize == 4
    assert alone.name != batched.name


def test_vectorising_a_function_that_is_not_keyed_is_refused() -> None:
    with pytest.raises(UsageError, match="Only a keyed experiment can be vectorised"):
        prepare_study(
            "seedwise.examples.sequence:train",
            seed=0,
            config={},
            threads=1,
            deterministic=True,
            frameworks=None,
            name=None,
            vectorize=4,
        )


def _seedwise(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "seedwise", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=300,
    )


def test_the_command_line_refuses_a_bad_batch_size_while_parsing() -> None:
    done = _seedwise("run", SEQUENCE_JAX, "--vectorize", "0")
    assert done.returncode == 2
    assert "Received: '0'; expected 1 or more" in done.stderr


def _run(store: Path, *args: str) -> dict[str, Any]:
    done = _seedwise(
        "run", SEQUENCE_JAX, "--store", str(store), "--set", "epochs=20", "--json", *args
    )
    assert done.returncode == 0, done.stderr
    return dict(json.loads(done.stdout))


def _runs(store: Path) -> list[tuple[int, int, dict[str, float], str]]:
    with open_store(store) as opened:
        (study,) = opened.list_studies()
        stored = [opened.run(study.name, r.repeat) for r in opened.runs(study.name)]
    return [
        (run.repeat, run.seed, run.metrics, run.fingerprints[0].digest)
        for run in stored
        if run is not None
    ]


@pytest.mark.slow
def test_vectorised_studies_are_bit_identical_across_fresh_processes(tmp_path: Path) -> None:
    first, second = tmp_path / "a" / "s.db", tmp_path / "b" / "s.db"
    _run(first, "--repeats", "3", "--vectorize", "2")
    resumed = _run(first, "--repeats", "5", "--vectorize", "2")
    _run(second, "--repeats", "5", "--vectorize", "2")
    assert (resumed["already_done"], resumed["counts"]["ok"]) == (3, 2)
    runs = _runs(first)
    assert runs == _runs(second)
    assert [seed for _, seed, _, _ in runs] == [repeat_seed(0, r) for r in range(5)]
    assert len({digest for _, _, _, digest in runs}) == 5  # a key of its own per run
    alone = [call_keyed(train_sequence, seed, SHORT)["mse"] for _, seed, _, _ in runs]
    batched = [metrics["mse"] for _, _, metrics, _ in runs]
    np.testing.assert_allclose(batched, alone, rtol=RTOL, atol=ATOL)
    # One repeat again, alone in a padded batch: the same bits as in its full batch.
    rerun = _seedwise("rerun", resumed["study"], "3", "--store", str(first), "--json")
    assert rerun.returncode == 0, rerun.stderr
    assert json.loads(rerun.stdout)["identical"] is True
