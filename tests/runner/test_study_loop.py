"""What one run of a study says about its runs: the constant-seed warning, in the experiment's
form."""

from __future__ import annotations

import shlex
from pathlib import Path

import pytest

from seedwise.records import RunRecord, RunStatus
from seedwise.runner import StudyRun, prepare_study


def _same_metrics_twice(experiment: str, argv: list[str]) -> StudyRun:
    spec = prepare_study(experiment, argv=argv, frameworks=("python",))
    runs = [RunRecord(spec.name, r, r, RunStatus.OK, metrics={"loss": 0.25}) for r in (0, 1)]
    return StudyRun(spec=spec, store=Path("s.db"), repeats=2, runs=runs)


@pytest.mark.parametrize(
    ("argv", "fixed"),
    [
        ([], ["--seed", "{seed}"]),
        (["--lr", "0.1"], ["--lr", "0.1", "--seed", "{seed}"]),
        (["--seed", "42", "--lr", "0.1"], ["--seed", "{seed}", "--lr", "0.1"]),
        (["--seed=42"], ["--seed={seed}"]),
        (["seed=42", "lr=0.1"], ["seed={seed}", "lr=0.1"]),
    ],
)
def test_a_script_that_seeds_itself_is_shown_the_placeholder_that_hands_it_the_seed(
    tmp_path: Path, argv: list[str], fixed: list[str]
) -> None:
    script = tmp_path / "train.py"
    script.write_text("import seedwise\nseedwise.record(loss=0.25)\n")
    (caution,) = _same_metrics_twice(str(script), argv).cautions
    assert caution.startswith("every run returned the same metrics: the code seems to seed ")
    command = caution.split("filled in by each run: ", 1)[1].split(" (Hydra: seed={seed})")[0]
    assert shlex.split(command) == ["seedwise", "run", "train.py", "--", *fixed]
    assert "ctx.seed" not in caution


def test_a_function_that_seeds_itself_is_shown_ctx_seed(tmp_path: Path) -> None:
    (tmp_path / "exp.py").write_text("def train(ctx):\n    return {'loss': 0.25}\n")
    (caution,) = _same_metrics_twice(f"{tmp_path / 'exp.py'}:train", []).cautions
    assert caution.endswith("e.g. seed_everything(ctx.seed) or random_state=ctx.seed")
