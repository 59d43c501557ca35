"""seedwise.optuna: every Optuna trial a seedwise study, paired by seed, raced on its bounds."""

from __future__ import annotations

import json
import math
import subprocess
import sys
import warnings
from pathlib import Path
from typing import Any

import optuna
import pytest

from seedwise.errors import IdenticalRunsWarning, SeedwiseWarning, TrialFailedError, UsageError
from seedwise.integrations.optuna import _Race, best_bound, measure, objective
from seedwise.records import RunRecord, RunStatus
from seedwise.store import open_store
from tests.conftest import PROGRAMS, ROOT

SCORE = f"{PROGRAMS / 'tuning.py'}:score"
FAST = ("python", "numpy")

optuna.logging.set_verbosity(optuna.logging.WARNING)


def space(trial: optuna.Trial) -> dict[str, Any]:
    return {"x": trial.suggest_float("x", 0.0, 1.0)}


def _study(xs: list[float], *, name: str = "tune", direction: str = "maximize", **kw: Any) -> Any:
    study = optuna.create_study(study_name=name, direction=direction, **kw)
    for x in xs:
        study.enqueue_trial({"x": x})
    return study


def _objective(store: Path, **keywords: Any) -> Any:
    keywords = {"repeats": 3, "metric": "acc", "frameworks": FAST, "workers": 1, **keywords}
    return objective(SCORE, space, store=store, **keywords)


def _record(repeat: int, value: float | None, status: RunStatus = RunStatus.OK) -> RunRecord:
    metrics = {} if value is None else {"acc": value}
    return RunRecord(study="s/trial=0", repeat=repeat, seed=repeat, status=status, metrics=metrics)


# --- what one trial returns, from runs already made (no process started) ---------------


def test_measure_counts_failed_and_nonfinite_runs_apart() -> None:
    runs = [
        _record(0, 1.0),
        _record(1, 2.0),
        _record(2, None, RunStatus.FAILED),
        _record(3, math.nan),
        _record(4, 3.0),
    ]
    result = measure(runs, study="s/trial=0", store="x.db", metric="acc", confidence=0.95)
    assert (result.mean, result.n, result.runs, result.failed, result.nonfinite) == (
        2.0,
        3,
        5,
        1,
        1,
    )
    assert result.sem == pytest.approx(1.0 / math.sqrt(3))
    assert result.bounds is not None
    assert result.bounds[0] < 2.0 < result.bounds[1]
    attrs = result.user_attrs()
    assert attrs["seedwise_study"] == "s/trial=0"
    assert attrs["seedwise_bounds"] == list(result.bounds)
    json.dumps(attrs, allow_nan=False)  # what an RDB storage writes
    # Without racing no confidence sequence is computed (nor scipy.special imported for it).
    unraced = measure(runs, study="s/trial=0", store="x.db", metric="acc", confidence=None)
    assert unraced.bounds is None
    assert (unraced.mean, unraced.sem) == (result.mean, result.sem)


def test_measure_of_no_value_is_nan_and_its_attributes_stay_json() -> None:
    result = measure([_record(0, None, RunStatus.CRASHED)], study="s", store="x", metric="acc",
                     confidence=0.95)  # fmt: skip
    assert math.isnan(result.mean)
    assert result.n == 0
    assert result.bounds is None
    assert result.user_attrs()["seedwise_mean"] is None
    json.dumps(result.user_attrs(), allow_nan=False)


def _completed(study: Any, number_value: float, low: float, high: float) -> None:
    study.add_trial(
        optuna.trial.create_trial(
            params={"x": 0.3},
            distributions={"x": optuna.distributions.FloatDistribution(0.0, 1.0)},
            value=number_value,
            user_attrs={"seedwise_metric": "acc", "seedwise_bounds": [low, high]},
        )
    )


def test_best_bound_is_the_highest_lower_bound_when_maximising_the_lowest_upper_otherwise() -> None:
    study = optuna.create_study(direction="maximize")
    _completed(study, 0.9, 0.8, 1.0)
    _completed(study, 0.95, 0.85, 1.05)
    _completed(study, 0.5, 0.1, 0.9)
    trial = study.ask()
    assert best_bound(trial, "acc", maximize=True) == (1, 0.85)
    assert best_bound(trial, "acc", maximize=False) == (2, 0.9)
    assert best_bound(trial, "loss", maximize=True) is None


def test_race_decides_on_the_first_repeats_in_order_whatever_ended_first() -> None:
    study = optuna.create_study(direction="maximize")
    _completed(study, 1.0, 0.99, 1.01)
    race = _Race(study.ask(), metric="acc", min_repeats=3, confidence=0.95, maximize=True)
    # Repeats 1 to 5 end before repeat 0: nothing is decided until repeat 0 has ended.
    for repeat in range(1, 6):
        race.observe(_record(repeat, 0.5 + 0.001 * repeat))
        assert race.keep_claiming()
    race.observe(_record(0, 0.5))
    assert not race.keep_claiming()
    # Decided on repeats 0, 1, 2 alone: the value does not depend on the runs in flight.
    assert (race.stopped_at, race.beaten_by) == (3, 0)
    race.observe(_record(6, 2.0))
    assert not race.keep_claiming()


def test_race_goes_on_while_the_trial_could_still_be_best_or_has_no_spread() -> None:
    study = optuna.create_study(direction="minimize")
    _completed(study, 1.0, 0.9, 1.1)
    close = _Race(study.ask(), metric="acc", min_repeats=3, confidence=0.95, maximize=False)
    flat = _Race(study.ask(), metric="acc", min_repeats=3, confidence=0.95, maximize=False)
    far = _Race(study.ask(), metric="acc", min_repeats=3, confidence=0.95, maximize=False)
    for repeat, noise in enumerate([0.0, 0.01, -0.01, 0.02]):
        close.observe(_record(repeat, 1.05 + noise))
        flat.observe(_record(repeat, 5.0))
        far.observe(_record(repeat, 5.0 + noise))
    assert close.keep_claiming()
    assert close.stopped_at is None
    assert flat.keep_claiming()  # no spread: no confidence sequence, no decision
    assert not far.keep_claiming()
    assert far.stopped_at == 3


# --- bad input: one line, before any trial runs ----------------------------------------


@pytest.mark.parametrize(
    ("keywords", "message"),
    [
        ({"space": {"x": 1}}, "`space` must be a function of the trial"),
        ({"racing": True, "min_repeats": 2}, "`min_repeats` must be an int from 3 to repeats=10"),
        ({"racing": True, "min_repeats": 11}, "`min_repeats` must be an int from 3 to repeats=10"),
        ({"name": "a/b"}, "must not hold '/'"),
        ({"repeats": 0}, "`repeats` must be a positive number"),
        ({"confidence": 1.5}, "`confidence` is out of range"),
        ({"seed": -1}, "seed"),
        ({"threads": 0}, "`threads` must be a positive int"),
    ],
)
def test_bad_options_are_refused_before_any_trial(
    tmp_path: Path, keywords: dict[str, Any], message: str
) -> None:
    given = {"space": space, **keywords}
    with pytest.raises(UsageError, match=message.replace("(", r"\(").replace("[", r"\[")):
        objective(SCORE, given.pop("space"), store=tmp_path / "s.db", **given)
    assert not (tmp_path / "s.db").exists()


@pytest.mark.parametrize(
    ("trial_space", "message"),
    [
        (lambda trial: [trial.suggest_float("x", 0, 1)], "`space` must return a dict"),
        (lambda trial: {"x": 0.3, "sd": trial.suggest_float("sd", 0, 1)}, "both by `space`"),
    ],
)
def test_a_bad_space_fails_its_trial_with_one_line_and_stores_nothing(
    tmp_path: Path, trial_space: Any, message: str
) -> None:
    run = objective(SCORE, trial_space, config={"sd": 0.1}, store=tmp_path / "s.db")
    with pytest.raises(UsageError, match=message):
        _study([]).optimize(run, n_trials=1)
    assert not (tmp_path / "s.db").exists()


def test_a_study_of_several_objectives_or_a_name_with_a_slash_is_refused(tmp_path: Path) -> None:
    run = _objective(tmp_path / "s.db")
    with pytest.raises(UsageError, match="returns one value"):
        optuna.create_study(directions=["maximize", "minimize"]).optimize(run, n_trials=1)
    with pytest.raises(UsageError, match="must not hold '/'"):
        _study([0.3], name="lab/lr").optimize(run, n_trials=1)
    assert not (tmp_path / "s.db").exists()


def test_import_seedwise_and_its_optuna_module_import_no_optuna() -> None:
    code = (
        "import sys, seedwise\n"
        "assert 'optuna' not in sys.modules\n"
        "objective = seedwise.optuna.objective\n"
        "print('optuna' in sys.modules, objective.__module__)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
    )
    assert done.stdout.split() == ["False", "seedwise.integrations.optuna"]


# --- real Optuna, real runs -------------------------------------------------------------


def _trial_runs(store: Path, study: str) -> list[RunRecord]:
    with open_store(store) as reader:
        return sorted(reader.runs(study), key=lambda record: record.repeat)


@pytest.mark.slow
def test_each_trial_is_a_study_paired_by_seed_and_returns_its_mean(tmp_path: Path) -> None:
    store = tmp_path / "s.db"
    study = _study([0.3, 0.8])
    study.optimize(_objective(store), n_trials=2)
    first, second = study.trials
    assert [first.user_attrs["seedwise_study"], second.user_attrs["seedwise_study"]] == [
        "tune/trial=0",
        "tune/trial=1",
    ]
    runs = [_trial_runs(store, f"tune/trial={n}") for n in (0, 1)]
    assert [r.seed for r in runs[0]] == [r.seed for r in runs[1]]  # paired by seed
    for trial, trial_runs in zip(study.trials, runs, strict=True):
        values = [r.metrics["acc"] for r in trial_runs]
        assert trial.value == sum(values) / 3
        assert trial.user_attrs["seedwise_n"] == 3
        assert trial.user_attrs["seedwise_failed"] == 0
        assert trial.user_attrs["seedwise_stop"] == "repeats"
        assert trial.user_attrs["seedwise_bounds"] is None  # racing's alone
    with open_store(store) as reader:
        assert reader.study("tune/trial=1").record.config == {"x": 0.8}
    # The same seed, the same noise: paired differences are the config's effect alone.
    differences = [a.metrics["acc"] - b.metrics["acc"] for a, b in zip(*runs, strict=True)]
    assert max(differences) - min(differences) < 1e-12
    assert study.best_trial.number == 0


@pytest.mark.slow
def test_a_failed_run_is_left_out_and_counted_and_a_trial_of_failures_fails(
    tmp_path: Path,
) -> None:
    store = tmp_path / "s.db"
    study = _study([0.3, 0.9, 0.8], name="fails")
    run = _objective(store, config={"fail": 1, "fail_above": 0.85})
    with pytest.warns(SeedwiseWarning, match="1 of 3 runs of study 'fails/trial=0' did not"):
        study.optimize(run, n_trials=1)
    assert study.trials[0].user_attrs["seedwise_failed"] == 1
    assert study.trials[0].user_attrs["seedwise_n"] == 2
    with pytest.raises(TrialFailedError, match=r"Every run of study 'fails/trial=1' failed"):
        study.optimize(run, n_trials=1)
    assert study.trials[1].state == optuna.trial.TrialState.FAIL
    assert study.trials[1].user_attrs["seedwise_study"] == "fails/trial=1"
    # With catch=, the search goes on past such a trial.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SeedwiseWarning)
        study.optimize(run, n_trials=1, catch=(TrialFailedError,))
    assert study.trials[2].state == optuna.trial.TrialState.COMPLETE


@pytest.mark.slow
def test_a_trial_whose_values_are_all_nan_fails_as_optuna_fails_a_nan(tmp_path: Path) -> None:
    study = _study([0.9], name="nan")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", IdenticalRunsWarning)  # every run returned NaN
        study.optimize(_objective(tmp_path / "s.db", config={"nan_above": 0.5}), n_trials=1)
    (trial,) = study.trials
    assert trial.state == optuna.trial.TrialState.FAIL  # Optuna's rule for a NaN objective
    assert (trial.user_attrs["seedwise_nonfinite"], trial.user_attrs["seedwise_n"]) == (3, 0)


@pytest.mark.slow
def test_racing_stops_a_trial_that_cannot_be_best_and_the_result_is_the_same_on_2_workers(
    tmp_path: Path,
) -> None:
    outcomes = []
    for workers in (1, 2):
        study = _study([0.3, 0.9, 0.35], name=f"race{workers}")
        run = _objective(
            tmp_path / "s.db", repeats=6, racing=True, workers=workers, config={"sd": 0.02}
        )
        study.optimize(run, n_trials=3)
        outcomes.append(
            [
                (
                    t.value,
                    t.user_attrs["seedwise_n"],
                    t.user_attrs["seedwise_stop"],
                    t.user_attrs["seedwise_beaten_by"],
                )
                for t in study.trials
            ]
        )
    assert outcomes[0] == outcomes[1]
    assert [n for _, n, _, _ in outcomes[0]] == [6, 3, 6]
    assert [stop for _, _, stop, _ in outcomes[0]] == ["repeats", "raced", "repeats"]
    assert outcomes[0][1][3] == 0


# The trial's number picks its x: Optuna's enqueued trials can be run twice by two threads
# on an RDB storage (optuna/optuna#4002), which would leave the second one waiting.
XS = (0.1, 0.3, 0.5, 0.7)


def by_number(trial: optuna.Trial) -> dict[str, Any]:
    return {"x": XS[trial.number]}


def _script(storage: str, store: Path, n_jobs: int, trials: int) -> str:
    return f"""
import json, optuna, seedwise.optuna
optuna.logging.set_verbosity(optuna.logging.WARNING)
study = optuna.create_study(study_name="rdb", storage={storage!r}, direction="maximize",
                            load_if_exists=True)
XS = {XS!r}
run = seedwise.optuna.objective({SCORE!r}, lambda trial: {{"x": XS[trial.number]}},
                                repeats=3, metric="acc", frameworks=("python", "numpy"),
                                workers=1, store={str(store)!r})
study.optimize(run, n_trials={trials}, n_jobs={n_jobs})
print(json.dumps({{t.number: [t.value, t.user_attrs["seedwise_study"]] for t in study.trials}}))
"""


def _run_script(code: str) -> dict[str, list[Any]]:
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=300
    )
    assert done.returncode == 0, done.stderr
    result: dict[str, list[Any]] = json.loads(done.stdout.splitlines()[-1])
    return result


@pytest.mark.slow
def test_sqlite_storage_two_threads_and_fresh_processes_give_the_same_bits(tmp_path: Path) -> None:
    # One process, two trials in two threads into one store; then a fresh process
    # resumes the same Optuna study from SQLite for two more, one thread.
    storage = f"sqlite:///{tmp_path / 'optuna.db'}"
    first = _run_script(_script(storage, tmp_path / "a.db", n_jobs=2, trials=2))
    resumed = _run_script(_script(storage, tmp_path / "a.db", n_jobs=1, trials=2))
    assert len(first) == 2
    assert len(resumed) == 4
    assert {k: v for k, v in resumed.items() if k in first} == first
    # The same search again from nothing, in memory, one thread, in this process.
    study = optuna.create_study(study_name="rdb", direction="maximize")
    study.optimize(objective(SCORE, by_number, repeats=3, metric="acc", frameworks=FAST,
                             workers=1, store=tmp_path / "b.db"), n_trials=4)  # fmt: skip
    assert {str(t.number): [t.value, f"rdb/trial={t.number}"] for t in study.trials} == resumed
    with open_store(tmp_path / "a.db") as reader:
        names = sorted(s.name for s in reader.list_studies())
        assert names == [f"rdb/trial={n}" for n in range(4)]
        for name in names:
            runs = reader.runs(name)
            assert [r.status for r in runs] == [RunStatus.OK] * 3
            assert reader.claims(name) == {}


@pytest.mark.slow
def test_a_rerun_search_resumes_its_studies_and_another_search_of_that_name_is_refused(
    tmp_path: Path,
) -> None:
    store = tmp_path / "s.db"
    first = _study([0.3, 0.8], name="again")
    first.optimize(_objective(store), n_trials=2)
    before = _trial_runs(store, "again/trial=1")
    # The same search again (same parameters): each trial resumes its study, runs kept.
    rerun = _study([0.3, 0.8], name="again")
    rerun.optimize(_objective(store), n_trials=2)
    assert [t.value for t in rerun.trials] == [t.value for t in first.trials]
    assert _trial_runs(store, "again/trial=1") == before
    # Another search under the same name: refused in one line, nothing stored.
    other = _study([0.5], name="again")
    with pytest.raises(
        UsageError, match=r"holds trial 0 of an earlier search, with other values of x"
    ):
        other.optimize(_objective(store), n_trials=1)
    with open_store(store) as reader:
        assert reader.study("again/trial=0").record.config == {"x": 0.3}
        assert len(reader.runs("again/trial=0")) == 3


@pytest.mark.slow
def test_two_threads_of_this_process_store_every_run_once_with_the_serial_bits(
    tmp_path: Path,
) -> None:
    values = {}
    for n_jobs, store in ((2, tmp_path / "threads.db"), (1, tmp_path / "serial.db")):
        study = optuna.create_study(study_name="thr", direction="maximize")
        run = objective(SCORE, by_number, repeats=3, metric="acc", frameworks=FAST, workers=1,
                        store=store)  # fmt: skip
        study.optimize(run, n_trials=4, n_jobs=n_jobs)
        values[n_jobs] = {t.number: t.value for t in study.trials}
        with open_store(store) as reader:
            for number in range(4):
                runs = reader.runs(f"thr/trial={number}")
                assert sorted(r.repeat for r in runs) == [0, 1, 2]
                assert {r.status for r in runs} == {RunStatus.OK}
                assert reader.claims(f"thr/trial={number}") == {}
    assert values[2] == values[1]
