"""Study handles: bound to one open store; their samples go to ``summarize`` and ``compare``."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import seedwise
from seedwise.errors import MissingMetricError, StoreError, UsageError
from seedwise.records import RunRecord, RunStatus
from seedwise.stats import Sample, compare, rank, summarize
from seedwise.store import Store, open_store, open_study

RESAMPLES = 200
SEEDS = [11, 12, 13, 14, 15, 16, 17, 18]
A_MSE = [0.31, 0.29, 0.35, 0.30, 0.33, 0.36, 0.28, 0.32]
B_MSE = [0.25, 0.27, 0.30, 0.22, 0.26, 0.31, 0.24, 0.29]
ENVIRONMENT = {"python": "3.11.7", "platform": "Linux", "packages": {"numpy": "2.1.0"}}


def _add_study(
    store: Store,
    name: str,
    mse: list[float],
    *,
    seeds: list[int] = SEEDS,
    failed: int = 0,
    environment: dict[str, Any] = ENVIRONMENT,
) -> None:
    store.ensure_study(
        name,
        experiment="train.py:train",
        config={"epochs": 100, "lr": 0.01},
        seed=0,
        settings={"threads": 1},
        code_hash="c0de",
    )
    for repeat, (seed, value) in enumerate(zip(seeds, mse, strict=True)):
        store.record_run(
            RunRecord(
                name,
                repeat,
                seed,
                RunStatus.OK,
                metrics={"mse": value, "accuracy": 1.0 - value},
                duration=0.5,
                environment=environment,
            )
        )
    for extra in range(failed):
        repeat = len(mse) + extra
        store.record_run(
            RunRecord(name, repeat, 1000 + repeat, RunStatus.FAILED, error="ValueError: diverged")
        )


@pytest.fixture
def path(tmp_path: Path) -> Path:
    location = tmp_path / "seedwise.db"
    with Store(location) as store:
        _add_study(store, "short", A_MSE)
        _add_study(store, "long", B_MSE, failed=1)
    return location


@pytest.fixture
def connects(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every ``sqlite3.connect`` call from here on, by the path it opened."""
    opened: list[str] = []
    real: Callable[..., sqlite3.Connection] = sqlite3.connect

    def counting(database: Any, *args: Any, **kwargs: Any) -> sqlite3.Connection:
        opened.append(str(database))
        return real(database, *args, **kwargs)

    monkeypatch.setattr(sqlite3, "connect", counting)
    return opened


def test_store_study_reads_through_the_same_store(path: Path, connects: list[str]) -> None:
    with open_store(path) as store:
        opens = len(connects)
        assert opens >= 1
        short, long = store.study("short"), store.study("long")
        assert short.store is store
        assert long.store is store
        assert [run.seed for run in short.runs] == SEEDS
        assert short.record.config == {"epochs": 100, "lr": 0.01}
        assert short.metrics("mse").tolist() == A_MSE
        assert long.counts() == {"ok": 8, "failed": 1, "crashed": 0, "timeout": 0}
        summarize(short.sample("mse"), n_resamples=RESAMPLES)
        compare(short.sample("mse"), long.sample("mse"), n_resamples=RESAMPLES)
        short.close()  # a borrowed store stays open
        assert len(store.runs("short")) == 8
        assert len(connects) == opens


def test_store_study_refuses_an_unknown_name(path: Path) -> None:
    with open_store(path) as store, pytest.raises(StoreError, match="Unknown study") as error:
        store.study("shrot")
    assert "'short'" in str(error.value)


def test_open_study_opens_the_store_once(path: Path, connects: list[str]) -> None:
    with open_store(path):
        per_open = len(connects)
    assert per_open >= 1
    connects.clear()
    with open_study(path, "short") as study:
        assert len(connects) == per_open
        study.runs, study.record, study.metrics("mse"), study.to_records()
        study.summary("mse")
        assert len(connects) == per_open
        opened = study.store
    with pytest.raises(StoreError, match="closed database"):
        opened.runs("short")  # closed with the study that opened it
    with pytest.raises(StoreError, match="The study was closed"):
        _ = study.runs
    assert repr(study) == f"Study({str(path)!r}, 'short')"
    with pytest.raises(StoreError, match="Unknown study"):
        open_study(path, "shrot")


def test_compare_studies_equals_compare_of_their_values(path: Path) -> None:
    with open_store(path) as store:
        short, long = store.study("short"), store.study("long")
        sample = short.sample("mse")
        assert isinstance(sample, Sample)
        assert (sample.name, sample.metric, sample.seeds) == ("short", "mse", tuple(SEEDS))
        by_study = compare(sample, long.sample("mse"), n_resamples=RESAMPLES)
    by_values = compare(
        A_MSE,
        B_MSE,
        metric="mse",
        seeds=[SEEDS, SEEDS],
        labels=["short", "long"],
        n_resamples=RESAMPLES,
    )
    assert by_study.labels == ("short", "long")
    assert by_study.paired is True
    assert by_study.pairs == by_values.pairs
    assert by_study.pairs[0].p_value == by_values.pairs[0].p_value
    assert by_study.pairs[0].difference_ci == by_values.pairs[0].difference_ci
    assert by_study.pairs[0].winner == "long"
    assert by_study.ranking == by_values.ranking
    assert by_study.warnings == ("1 run of long did not finish and is left out",)


def test_compare_pairs_studies_by_seed_and_notes_environments(tmp_path: Path) -> None:
    with Store(tmp_path / "s.db") as store:
        _add_study(store, "a", A_MSE)
        other_env = {**ENVIRONMENT, "python": "3.12.1"}
        _add_study(store, "b", B_MSE, seeds=list(reversed(SEEDS)), environment=other_env)
        _add_study(store, "c", B_MSE, seeds=[seed + 100 for seed in SEEDS])
        a, b, c = (store.study(name).sample("mse") for name in "abc")
        paired = compare(a, b, n_resamples=RESAMPLES)
        unpaired = compare(a, c, n_resamples=RESAMPLES)
    # Paired by seed, not by position: b's values are aligned to a's seeds.
    expected = np.array(list(reversed(B_MSE))) - np.array(A_MSE)
    assert paired.paired is True
    assert paired.pairs[0].difference == pytest.approx(float(expected.mean()), abs=1e-15)
    assert paired.warnings == (
        "environment: the studies differ in python: results may not be comparable",
    )
    assert unpaired.paired is False
    assert unpaired.warnings == ()


def test_summarize_study_equals_summarize_of_its_values(path: Path) -> None:
    with open_store(path) as store:
        long = store.study("long")
        one = summarize(long.sample("mse"), n_resamples=RESAMPLES)
        every = long.summary()
        method = long.summary("mse")
    assert one.study == "long"
    assert one.n_failed == 1
    assert replace(one, study=None) == summarize(
        B_MSE, metric="mse", n_resamples=RESAMPLES, n_failed=1
    )
    assert list(every) == ["mse", "accuracy"]
    assert every.study == "long"
    assert every["mse"] == replace(one, mean_ci=every["mse"].mean_ci)
    assert list(method) == ["mse"]
    assert method["mse"] == replace(summarize(B_MSE, metric="mse", n_failed=1), study="long")
    assert str(every).splitlines()[0] == "study long (1 run did not finish)"


def test_to_pandas_has_study_and_config_columns(path: Path) -> None:
    pytest.importorskip("pandas")
    frame = open_study(path, "long").to_pandas()
    assert list(frame.columns[:6]) == [
        "study",
        "config.epochs",
        "config.lr",
        "repeat",
        "seed",
        "status",
    ]
    assert set(frame["study"]) == {"long"}
    assert frame["config.epochs"].tolist() == [100] * 9
    assert frame["status"].tolist() == ["ok"] * 8 + ["failed"]
    assert frame["mse"].tolist()[:8] == B_MSE


def test_a_bad_metric_names_the_known_ones(path: Path) -> None:
    with open_store(path) as store:
        short, long = store.study("short"), store.study("long")
        for call in (
            lambda: short.metrics("loss"),
            lambda: short.sample("loss"),
            lambda: long.summary("loss"),
        ):
            with pytest.raises(MissingMetricError) as error:
                call()
            assert "Received: metric='loss'; expected one of: 'mse', 'accuracy'" in str(error.value)


def test_compare_refuses_studies_mixed_with_arrays(path: Path) -> None:
    with open_store(path) as store:
        short = store.study("short")
        with pytest.raises(UsageError, match="do not mix"):
            compare(short.sample("mse"), B_MSE)
        # A study itself is not a sample: the error says how to make one.
        with pytest.raises(UsageError, match=r"not a study.*expected study.sample\(metric\)"):
            compare(short, store.study("long"))  # type: ignore[arg-type]
        with pytest.raises(UsageError, match="not a study"):
            summarize(short)  # type: ignore[arg-type]


def test_top_level_names_accept_studies(path: Path) -> None:
    # seedwise.compare and seedwise.summarize take studies (DESIGN.md's example):
    # each becomes its sample, read once; seedwise.stats takes samples only.
    with seedwise.open_store(path) as store:
        short, long = store.study("short"), store.study("long")
        of_studies = seedwise.compare(short, long, metric="mse", n_resamples=RESAMPLES)
        of_samples = compare(short.sample("mse"), long.sample("mse"), n_resamples=RESAMPLES)
        summary = seedwise.summarize(short, metric="mse", n_resamples=RESAMPLES)
        expected = summarize(short.sample("mse"), n_resamples=RESAMPLES)
        values = seedwise.summarize(A_MSE, metric="mse", n_resamples=RESAMPLES)
        with pytest.raises(
            UsageError, match=r"without metric=; expected metric='NAME', one of mse"
        ):
            seedwise.compare(short, long)
    assert of_studies.labels == ("short", "long")
    assert of_studies.to_dict() == of_samples.to_dict()
    assert summary.to_dict() == expected.to_dict()
    assert summary.study == "short"
    assert values.metric == "mse"
    assert values.study is None


def test_top_level_rank_takes_studies(path: Path) -> None:
    with seedwise.open_store(path) as store:
        short, long = store.study("short"), store.study("long")
        of_studies = seedwise.rank(short, long, metric="mse", n_resamples=RESAMPLES)
        of_samples = rank(short.sample("mse"), long.sample("mse"), n_resamples=RESAMPLES)
        with pytest.raises(UsageError, match=r"without metric=; expected metric='NAME'"):
            seedwise.rank(short, long)
    assert {cell.label for cell in of_studies.cells} == {"short", "long"}
    assert of_studies.to_dict() == of_samples.to_dict()


def test_open_study_means_open_store_then_study(path: Path) -> None:
    with open_store(path) as store:
        borrowed = store.study("sho")
        assert borrowed.name == "short"
        record, repeats = borrowed.record, [run.repeat for run in borrowed.runs]
        assert store.study_record("short") == record
        assert store.study_record("short").config == {"epochs": 100, "lr": 0.01}
        with pytest.raises(StoreError, match="Unknown study"):
            store.study_record("sho")  # the record takes the exact name
    with open_study(path, "sho") as owned:
        assert owned.name == "short"
        assert owned.record == record
        assert [run.repeat for run in owned.runs] == repeats == list(range(8))


def test_a_store_says_how_it_was_opened(path: Path) -> None:
    with open_store(path) as reader, Store(path) as writer:
        assert (reader.read_only, writer.read_only) == (True, False)
        assert repr(reader) == f"open_store({str(path)!r})"
        assert repr(writer) == f"Store({str(path)!r})"


def test_to_pandas_gives_metrics_named_like_columns_their_own_columns(tmp_path: Path) -> None:
    pytest.importorskip("pandas")
    with Store(tmp_path / "s.db") as store:
        store.ensure_study(
            "s", experiment="e.py:f", config={"lr": 0.1}, seed=1, settings={}, code_hash="c0"
        )
        # Written past the run loop, as a store made elsewhere may hold them.
        metrics = {"seed": 9.0, "error": 0.25, "config.lr": 4.0, "study": 1.0}
        store.record_run(RunRecord("s", 0, 77, "ok", metrics))
        frame = store.study("s").to_pandas()
    assert frame.to_dict("records") == [
        {
            "study": "s",
            "config.lr": 0.1,
            "repeat": 0,
            "seed": 77,
            "status": "ok",
            "metric.seed": 9.0,
            "metric.error": 0.25,
            "metric.config.lr": 4.0,
            "metric.study": 1.0,
            "duration": None,
            "worker": None,
            "error": None,
        }
    ]
