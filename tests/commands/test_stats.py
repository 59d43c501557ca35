"""``seedwise summary``, ``compare``, ``plan`` and ``run --until-ci`` over real stored studies."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

import seedwise
from seedwise._json import json_ready
from seedwise.cli import main
from tests.runner.conftest import NOISY

FAST = ("python", "numpy")


@pytest.fixture
def two_studies(tmp_path: Path) -> tuple[Path, seedwise.Study, seedwise.Study]:
    store = tmp_path / "s.db"
    base = seedwise.run(NOISY, repeats=12, workers=2, store=store, frameworks=FAST, name="base")
    other = seedwise.run(
        NOISY, repeats=12, workers=2, store=store, frameworks=FAST, name="other", seed=1
    )
    return store, base, other


def test_summary_command_matches_the_library(
    two_studies: tuple[Path, seedwise.Study, seedwise.Study], capsys: pytest.CaptureFixture[str]
) -> None:
    store, base, _ = two_studies
    assert main(["summary", "base", "--store", str(store), "--metric", "value", "--json"]) == 0
    printed = json.loads(capsys.readouterr().out)["value"]
    expected = seedwise.summarize(base.sample("value"))
    assert printed["mean"] == pytest.approx(float(np.mean(base.metrics("value"))), abs=0)
    assert printed == expected.to_dict()
    assert printed["study"] == "base"
    from_values = seedwise.summarize(base.metrics("value"), metric="value", n_failed=0)
    assert replace(expected, study=None) == from_values
    # The text is one table: a row per metric, one interval of the mean, the t-interval
    # only with --details.
    assert main(["summary", "base", "--store", str(store)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "study base (every run finished)"
    assert [cell.strip() for cell in lines[1].split("  ") if cell.strip()] == [
        "metric", "n", "mean", "95% CI of the mean", "median", "95% CI of the median", "std",
        "min, max",
    ]  # fmt: skip
    low, high = expected.mean_ci.low, expected.mean_ci.high
    assert any(line.startswith("value ") and f"[{low:.4g}, {high:.4g}]" in line for line in lines)
    assert "t-interval" not in "\n".join(lines)
    assert main(["summary", "base", "--store", str(store), "--details"]) == 0
    assert "95% t-interval of the mean" in capsys.readouterr().out


@pytest.mark.slow
def test_compare_pairs_by_seed_only_when_seeds_are_shared(
    two_studies: tuple[Path, seedwise.Study, seedwise.Study], tmp_path: Path
) -> None:
    store, base, other = two_studies
    unpaired = seedwise.compare(base.sample("value"), other.sample("value"))
    assert unpaired.paired is False
    assert unpaired.labels == ("base", "other")
    shifted = seedwise.run(NOISY, repeats=12, workers=2, store=store, frameworks=FAST, name="copy")
    paired = seedwise.compare(base.sample("value"), shifted.sample("value"))
    assert paired.paired is True
    # The same seeds give the same values: a difference of exactly zero.
    assert paired.pairs[0].difference == 0.0


@pytest.mark.slow
def test_compare_and_plan_commands(
    two_studies: tuple[Path, seedwise.Study, seedwise.Study], capsys: pytest.CaptureFixture[str]
) -> None:
    store = str(two_studies[0])
    assert main(["compare", "base", "other", "--store", store, "--metric", "value", "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["labels"] == ["base", "other"]
    assert len(result["pairs"]) == 1
    assert main(["plan", "base", "--store", store, "--metric", "value", "--effect", "0.2"]) == 0
    text = capsys.readouterr().out
    assert "unpaired (Mann-Whitney):" in text
    assert "runs per configuration" in text
    assert main(["plan", "base", "--store", store, "--effect", "0.2", "--paired"]) == 2
    assert "two pilot studies that share seeds" in capsys.readouterr().err
    assert main(["compare", "base", "nope", "--store", store]) == 2
    assert "'nope'" in capsys.readouterr().err


def test_until_ci_stops_at_the_target_or_the_maximum(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store = str(tmp_path / "s.db")
    common = ["run", NOISY, "--store", store, "--framework", "python", "--framework", "numpy"]
    assert main([*common, "--until-ci", "100", "--max-repeats", "30", "--json"]) == 0
    wide = json.loads(capsys.readouterr().out)
    assert wide["until_ci"]["reason"] == "target"
    assert 17 <= wide["counts"]["ok"] <= 19
    assert main([*common, "--until-ci", "0.0001", "--max-repeats", "20", "--json"]) == 0
    narrow = json.loads(capsys.readouterr().out)
    assert narrow["until_ci"]["reason"] == "max_runs"
    assert narrow["already_done"] + narrow["counts"]["ok"] == 20


def test_compare_warns_when_studies_come_from_different_code(tmp_path: Path) -> None:
    import shutil

    from tests.runner.conftest import EXPERIMENTS

    changed = tmp_path / "changed.py"
    shutil.copy(EXPERIMENTS, changed)
    changed.write_text(changed.read_text() + "\n# another version of the code\n")
    store = tmp_path / "s.db"
    base = seedwise.run(NOISY, repeats=6, workers=1, store=store, frameworks=FAST, name="a")
    other = seedwise.run(
        f"{changed}:noisy", repeats=6, workers=1, store=store, frameworks=FAST, name="b"
    )
    result = seedwise.compare(base.sample("value"), other.sample("value"))
    assert any("differ in code (experiment source)" in w for w in result.warnings)
    same = seedwise.run(NOISY, repeats=6, workers=1, store=store, frameworks=FAST, name="c", seed=3)
    again = seedwise.compare(base.sample("value"), same.sample("value"))
    assert not any("differ in" in w for w in again.warnings)


def test_until_ci_decision_stands_while_runs_in_flight_land() -> None:
    from seedwise.runner.until_ci import UntilInterval

    rule = UntilInterval(half_width=1.0, metric="value", most=30)
    rule.values = [0.0, 0.1] * 9
    assert rule.keep_claiming() is False
    stopped = rule.stopped
    assert stopped is not None
    assert stopped.reason == "target"
    assert stopped.n == 18
    # The run in flight lands far away: the decision and its interval stand.
    final = rule.final([*rule.values, 50.0])
    assert (final.stop, final.reason, final.n, final.late) == (True, "target", 18, 1)
    assert final.interval == stopped.interval
    assert final.message.endswith(
        "1 run in flight at that decision finished later and is stored, outside the interval"
    )
    # Without a stop during the sweep, the final decision is taken on every value.
    open_rule = UntilInterval(half_width=1e-9, metric="value", most=30)
    assert open_rule.keep_claiming() is True
    assert open_rule.final([0.0, 1.0] * 6).reason == "continue"


@pytest.fixture
def scored_studies(tmp_path: Path) -> str:
    """Studies "worse" and "better" on 10 shared seeds: better's accuracy is higher, loss lower."""
    from seedwise.records import RunRecord, RunStatus
    from seedwise.store import Store

    path = tmp_path / "scores.db"
    noise = np.random.default_rng(3).normal(0.0, 0.004, (2, 10))
    with Store(path) as store:
        for index, name in enumerate(("worse", "better")):
            store.ensure_study(
                name, experiment="e.py:f", config={"i": index}, seed=0, settings={}, code_hash="h"
            )
            for repeat in range(10):
                accuracy = 0.7958 + 0.028 * index + noise[index, repeat]
                metrics = {"accuracy": accuracy, "val_loss": 1.0 - accuracy, "widgets": accuracy}
                store.record_run(
                    RunRecord(name, repeat, 100 + repeat, RunStatus.OK, metrics=metrics)
                )
    return str(path)


@pytest.mark.parametrize(
    ("metric", "goal", "winner", "note"),
    [
        (
            "accuracy", None, "better",
            "higher is better (inferred from the name 'accuracy'; --goal min to override)",
        ),
        (
            "val_loss", None, "better",
            "lower is better (inferred from 'loss' in the name 'val_loss'; --goal max to override)",
        ),
        (
            "widgets", None, "worse",
            "lower is better assumed for metric 'widgets' (its name does not say); "
            "pass --goal max if higher is better",
        ),
        ("widgets", "max", "better", "higher is better (given)"),
        (
            "accuracy", "min", "worse",
            "lower is better (given, though the name 'accuracy' suggests higher)",
        ),
    ],
)  # fmt: skip
def test_the_compare_command_takes_the_goal_from_the_metric_unless_given(
    scored_studies: str,
    capsys: pytest.CaptureFixture[str],
    metric: str,
    goal: str | None,
    winner: str,
    note: str,
) -> None:
    argv = ["compare", "worse", "better", "--store", scored_studies, "--metric", metric]
    argv += [] if goal is None else ["--goal", goal]
    assert main(argv) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[:2] == ["design: paired by seed on the 10 seeds every sample has", f"goal: {note}"]
    named = {"worse": "worse (baseline)", "better": "better"}
    loser = "worse" if winner == "better" else "better"
    assert lines[2].startswith(
        f"{named[winner]} beats {named[loser]} on {metric}: better - worse = "
    )
    # Where lower is better, the two best runs (the lowest) differ by more than the mean does.
    hunted = ["caution: a claim quoted from the best seeds (better's best run against worse's"]
    assert [line[: len(hunted[0])] for line in lines[3:]] == ([] if winner == "better" else hunted)
    first = "highest" if note.startswith("higher") else "lowest"
    assert main([*argv, "--details"]) == 0
    detailed = capsys.readouterr().out.splitlines()
    ranking = detailed[detailed.index(next(line for line in detailed if line.startswith("rank"))) :]
    assert f"mean ({first} first)" in ranking[0]
    assert ranking[2].split()[:2] == ["1", winner]
    assert main([*argv, "--json"]) == 0
    printed = json.loads(capsys.readouterr().out)
    source = "given" if goal else ("assumed" if metric == "widgets" else "inferred")
    assert (printed["goal_source"], printed["goal_note"]) == (source, note)
    assert printed["pairs"][0]["winner"] == winner
    effects = {effect["name"]: effect["value"] for effect in printed["pairs"][0]["effects"]}
    # Cliff's delta is of the values (better's accuracy is larger on every seed), and
    # P(B beats A) is 1 exactly when B, "better", wins.
    assert effects["Cliff's delta (B > A)"] == (-1.0 if metric == "val_loss" else 1.0)
    assert effects["P(B beats A)"] == (1.0 if winner == "better" else 0.0)


def test_a_declared_range_bounds_summary_and_compare_and_refuses_values_outside(
    scored_studies: str, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    store = ["--store", scored_studies, "--metric", "accuracy"]
    assert main(["summary", "better", *store, "--range", "0.8,0.83", "--json"]) == 0
    interval = json.loads(capsys.readouterr().out)["accuracy"]["mean_ci"]
    assert 0.8 <= interval["low"] <= interval["high"] <= 0.83
    assert main(["compare", "worse", "better", *store, "--range", "0,1"]) == 0
    assert "better beats worse" in capsys.readouterr().out
    report = ["report", "worse", "better", "-o", str(tmp_path / "r.html")]
    for command in (["summary", "better"], ["compare", "worse", "better"], report):
        assert main([*command, *store, "--range", "0,0.5"]) == 2
        captured = capsys.readouterr()
        assert captured.out == ""
        (line,) = captured.err.strip().splitlines()
        assert "lies outside its declared range" in line
        assert "expected values in [0, 0.5]" in line
    assert main(["summary", "better", *store, "--range", "1,0"]) == 2
    assert "Received: '1,0'; expected e.g. 0,1" in capsys.readouterr().err


def test_summary_takes_the_geometric_mean_and_the_interval_for_any_shape(
    scored_studies: str, capsys: pytest.CaptureFixture[str]
) -> None:
    store = ["--store", scored_studies, "--metric", "accuracy"]
    assert main(["summary", "better", *store, "--geometric", "--any-shape", "--json"]) == 0
    printed = json.loads(capsys.readouterr().out)["accuracy"]
    assert printed["geometric_mean_ci"]["method"].startswith("exp of the interval of the mean")
    assert printed["mean_ci"]["method"] == "betting interval for values in [0, 1], any shape"
    assert main(["summary", "better", *store]) == 0
    assert "geometric mean" not in capsys.readouterr().out
    assert main(["summary", "better", *store, "--metric", "widgets", "--any-shape"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "An interval for any shape needs the range of 'widgets'" in captured.err


def _stored_cells(path: Path, names: list[str], runs: int = 12) -> None:
    """Studies on the same seeds, each a little better than the one before."""
    from seedwise.records import RunRecord, RunStatus
    from seedwise.store import Store

    rng = np.random.default_rng(4)
    seed_effect = rng.normal(0.0, 0.02, runs)
    with Store(path) as store:
        for index, name in enumerate(names):
            store.ensure_study(
                name, experiment="exp.py:train", config={"i": index}, seed=0, settings={},
                code_hash="c0de",
            )  # fmt: skip
            values = 0.8 + 0.01 * index + seed_effect + rng.normal(0.0, 0.002, runs)
            for repeat, value in enumerate(values):
                metrics = {"accuracy": float(value)}
                store.record_run(
                    RunRecord(name, repeat, 100 + repeat, RunStatus.OK, metrics=metrics)
                )


def test_compare_of_many_studies_is_one_line_per_pair_and_points_to_rank(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from tests.commands.test_control_characters import assert_visible

    names = ["lr=0.1", "lr=0.01", "[bold]lr\x1b[31m", "lr=0.0001", "lr=1e-05"]
    path = tmp_path / "cells.db"
    _stored_cells(path, names)
    argv = ["compare", *names, "--store", str(path)]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert_visible(out)
    lines = out.splitlines()
    # design, goal, correction, the table's header and rule, 10 pairs, notes, the pointer.
    assert len(lines) <= 3 + 2 + 10 + 2
    assert lines[3].split() == ["pair", "shift", "interval", "p", "(Holm)", "verdict"]
    rows = lines[5:15]
    assert all(" CI " in row for row in rows)
    assert " CI " not in lines[15]
    assert rows[0].startswith("lr=1e-05 - lr=0.1 ")  # the largest effect, the smallest p
    assert rows[0].endswith("lr=1e-05 better")
    assert "[bold]lr\\x1b[31m - lr=0.1 " in out  # markup as text, the escape made visible
    pointer = lines[-1]
    assert pointer.startswith("the k-way answer (Friedman test, the studies tied for best")
    assert "seedwise rank lr=0.1 lr=0.01 $'[bold]lr\\x1b[31m' lr=0.0001 lr=1e-05 --metric" in (
        pointer
    )
    assert pointer.endswith("every pair in full: --details")
    # --details: every pair's verdict in full; --json: the same data as before.
    assert main([*argv, "--details"]) == 0
    assert capsys.readouterr().out.count(" on accuracy: ") == 10
    assert main([*argv, "--json"]) == 0
    printed = json.loads(capsys.readouterr().out)
    with seedwise.open_store(path) as store:
        samples = [store.study(name).sample("accuracy") for name in names]
        expected = seedwise.compare(*samples).to_dict()
    # Beside the comparison, seed hunting: shown before with as many runs, so no growth.
    assert printed.pop("seed_hunting")["grew_after_shown"] == []
    assert printed == json.loads(json.dumps(json_ready(expected)))


def test_compare_of_three_studies_keeps_its_ranking_table(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    names = ["a", "b", "c"]
    path = tmp_path / "three.db"
    _stored_cells(path, names)
    assert main(["compare", *names, "--store", str(path)]) == 0
    out = capsys.readouterr().out
    assert "rank  study" in out
    assert "k-way answer" not in out


def test_compare_decides_a_claim_at_a_margin_with_its_exit_code(
    scored_studies: str, capsys: pytest.CaptureFixture[str]
) -> None:
    store = ["--store", scored_studies, "--metric", "accuracy"]
    gate = ["--margin", "0.01", "--decision", "non-inferior"]
    assert main(["compare", "worse", "better", *store, *gate]) == 0
    (line,) = capsys.readouterr().out.strip().splitlines()
    assert line.startswith("non-inferior: better is not worse than worse by 0.01 or more")
    assert ": holds;" in line
    assert "paired, 10 seeds" in line
    # Reversed, "worse" as the candidate is not superior: exit 1, one line.
    assert (
        main(["compare", "better", "worse", *store, "--margin", "0", "--decision", "superior"]) == 1
    )
    assert "does not hold" in capsys.readouterr().out
    assert main(["compare", "worse", "better", *store, *gate, "--json"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed["holds"] is True
    assert printed["claim"] == "non-inferior"
    assert printed["low"] > -0.01


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--margin", "0.01"], "Received: --margin alone"),
        (["--decision", "superior"], "Received: --decision alone"),
        (["--margin", "0", "--decision", "equivalent"], "margin=0.0"),
    ],
)
def test_a_decision_without_its_parts_is_one_line_and_exit_2(
    scored_studies: str, capsys: pytest.CaptureFixture[str], extra: list[str], message: str
) -> None:
    store = ["--store", scored_studies, "--metric", "accuracy"]
    assert main(["compare", "worse", "better", *store, *extra]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    (line,) = captured.err.strip().splitlines()
    assert message in line


def test_compare_rope_prints_the_three_probabilities_and_the_prior(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "cells.db"
    _stored_cells(path, ["base", "new"])
    assert main(["compare", "base", "new", "--rope", "0.001", "--store", str(path)]) == 0
    out = capsys.readouterr().out
    assert "P(base better) 0.000" in out
    assert "P(new better) 1.000" in out
    assert "Bayesian signed-rank test" in out
    assert "prior: Dirichlet process" in out
    argv = ["compare", "base", "new", "--rope", "0.001", "--json", "--store", str(path)]
    assert main(argv) == 0
    assert json.loads(capsys.readouterr().out)["b_better"] == 1.0
    for bad in (["--rope", "-1"], ["--rope", "0.1", "--decision", "superior", "--margin", "0"]):
        assert main(["compare", "base", "new", *bad, "--store", str(path)]) == 2
        err = capsys.readouterr().err.strip()
        assert len(err.splitlines()) == 1, err
        assert "rope" in err.lower(), err


def test_compare_rope_over_folds_is_the_correlated_t_and_says_where_rho_came_from(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "cells.db"
    _stored_cells(path, ["base", "new"])
    argv = ["compare", "base", "new", "--rope", "0.005", "--store", str(path)]
    assert main([*argv, "--folds", "12"]) == 0
    out = capsys.readouterr().out
    assert "Bayesian correlated t-test (Corani and Benavoli 2015)" in out
    assert "rho 0.08333 from --folds 12 (1/k)" in out
    assert "prior: non-informative Normal-Gamma" in out
    assert main([*argv, "--rho", "0.2", "--json"]) == 0
    found = json.loads(capsys.readouterr().out)
    assert (found["rho"], found["rho_source"]) == (0.2, "--rho")
    assert found["a_better"] + found["equivalent"] + found["b_better"] == pytest.approx(1.0)
    for bad, said in (
        (["--folds", "1"], "argument --folds: must be a number of folds. Received: '1'"),
        (["--rho", "1"], "argument --rho: must be between 0 and 1. Received: '1'"),
        (["--folds", "5", "--rho", "0.2"], "--folds and --rho both set"),
    ):
        assert main([*argv, *bad]) == 2
        err = capsys.readouterr().err.strip()
        assert len(err.splitlines()) == 1, err
        assert said in err, err
    assert main(["compare", "base", "new", "--folds", "5", "--store", str(path)]) == 2
    err = capsys.readouterr().err.strip()
    assert "--folds without --rope" in err, err


def test_stored_splits_make_rope_the_correlated_t_unless_they_differ(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from seedwise.records import RunRecord, RunStatus
    from seedwise.store import Store

    path = tmp_path / "s.db"
    rng = np.random.default_rng(6)
    with Store(path) as store:
        for name, shift, split in (
            ("a", 0.0, (80, 20)),
            ("b", 0.01, (80, 20)),
            ("c", 0.0, (90, 10)),
        ):
            store.ensure_study(
                name, experiment="t.py:f", config={}, seed=0, settings={}, code_hash="c0de"
            )
            for repeat in range(10):
                metrics = {"accuracy": 0.8 + shift + float(rng.normal(0.0, 0.01))}
                store.record_run(
                    RunRecord(
                        name, repeat, 100 + repeat, RunStatus.OK, metrics=metrics, splits=(split,)
                    )
                )
    with seedwise.open_store(path) as opened:
        (run,) = [r for r in opened.study("a").runs if r.repeat == 3]
        assert run.splits == ((80, 20),)
        assert run.unseeded == ()  # stored beside the unseeded uses, not read as one
        a, b = opened.study("a").sample("accuracy"), opened.study("b").sample("accuracy")
    assert a.split == (80, 20)
    argv = ["compare", "a", "b", "--rope", "0.005", "--json", "--store", str(path)]
    assert main(argv) == 0
    found = json.loads(capsys.readouterr().out)
    assert (found["rho"], found["rho_source"]) == (
        0.2,
        "ctx.split, 20 of 100 examples to test in every run",
    )
    expected = seedwise.stats.bayesian.rope_compare(
        a.values, b.values, rope=0.005, goal="max", paired=True, rho=0.2
    )
    assert found["b_better"] == pytest.approx(expected.b_better, abs=1e-12)
    # Splits of other sizes are other data: no shared folds, the signed-rank test.
    assert main(["compare", "a", "c", "--rope", "0.005", "--json", "--store", str(path)]) == 0
    other = json.loads(capsys.readouterr().out)
    assert other["rho"] is None
    assert other["method"].startswith("Bayesian signed-rank test")


def test_compare_test_aso_prints_epsilon_min_both_ways(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "cells.db"
    _stored_cells(path, ["base", "new"])
    assert main(["compare", "base", "new", "--test", "aso", "--store", str(path)]) == 0
    out = capsys.readouterr().out
    assert "epsilon_min(new over base)" in out
    assert "at 95% confidence" in out
    argv = ["compare", "base", "new", "--test", "aso", "--rope", "0.1", "--store", str(path)]
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1, err
    assert "--rope and --test" in err


@pytest.mark.slow
def test_compare_rope_knows_runs_that_drew_ctx_split_share_training_data(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from tests.conftest import PROGRAMS

    store = str(tmp_path / "s.db")
    program = PROGRAMS / "split_learners.py"
    for name in ("least_squares", "ridge"):
        argv = ["run", f"{program}:{name}", "--repeats", "8", "--name", name, "--store", store]
        assert main([*argv, "--workers", "1", *(f"--framework={f}" for f in FAST)]) == 0
    capsys.readouterr()
    with seedwise.open_store(store) as opened:
        ols, ridge = (opened.study(name).sample("mse") for name in ("least_squares", "ridge"))
    assert ols.split == ridge.split == (160, 40)
    argv = ["compare", "least_squares", "ridge", "--rope", "0.01", "--store", store]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert "rho 0.2 from ctx.split, 40 of 200 examples to test in every run" in out
    assert "Bayesian correlated t-test" in out
    expected = seedwise.stats.bayesian.rope_compare(
        ols.values, ridge.values, rope=0.01, goal="min", paired=True, rho=0.2
    )
    assert f"P(ridge better) {expected.b_better:.3f}" in out
    # --rho overrides what the runs say, and says so.
    assert main([*argv, "--rho", "0.5"]) == 0
    assert "rho 0.5 from --rho" in capsys.readouterr().out
    # Studies on other seeds drew other splits: unpaired, no correlated model, and a note.
    other = ["run", f"{program}:ridge", "--repeats", "8", "--name", "ridge-1", "--seed", "1"]
    assert main([*other, "--store", store, "--workers", "1", "--framework=numpy"]) == 0
    capsys.readouterr()
    assert main(["compare", "least_squares", "ridge-1", "--rope", "0.01", "--store", store]) == 0
    out = capsys.readouterr().out
    assert "unpaired" in out
    assert "but are compared unpaired: the correlated t-test needs the runs paired" in out
