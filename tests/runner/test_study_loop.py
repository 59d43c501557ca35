"""What one run of a study says about its runs, and what it stores.

The constant-seed warning, in the experiment's form; a result whose claim
was lost is dropped, said, and not counted. For the latter, an executor in
this process stands in for the workers, so that "another runner took the
claim over while this one was frozen" happens at an exact moment: between
the claim and the record, without waiting for the lease.
"""

from __future__ import annotations

import shlex
from pathlib import Path

import pytest

from seedwise.records import RunRecord, RunStatus
from seedwise.runner import StudyRun, prepare_study
from seedwise.runner.spec import begin_study
from seedwise.runner.study_loop import run_repeats
from seedwise.runner.tasks import RunTask
from seedwise.store import Store, make_owner
from seedwise.store.claims import CLAIM_LEASE_S
from tests.conftest import PROGRAMS
from tests.runner.conftest import NOISY


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


def test_a_hydra_app_that_seeds_itself_is_shown_its_seed_override() -> None:
    app = PROGRAMS / "hydra_app" / "app.py"
    (caution,) = _same_metrics_twice(str(app), ["model.lr=0.1"]).cautions
    command = caution.split("filled in by each run: ", 1)[1].split(" (Hydra: seed={seed})")[0]
    assert shlex.split(command) == [
        "seedwise",
        "run",
        "app.py",
        "--",
        "model.lr=0.1",
        "seed={seed}",
    ]


def test_a_function_that_seeds_itself_is_shown_ctx_seed(tmp_path: Path) -> None:
    (tmp_path / "exp.py").write_text("def train(ctx):\n    return {'loss': 0.25}\n")
    (caution,) = _same_metrics_twice(f"{tmp_path / 'exp.py'}:train", []).cautions
    assert caution.endswith("e.g. seed_everything(ctx.seed) or random_state=ctx.seed")


class TakenOverWhileFrozen:
    """Runs each task at once; first, another runner takes repeat 0 over and finishes it."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.waiting: list[RunTask] = []

    def free_slots(self) -> int:
        return 1 - len(self.waiting)

    def submit(self, task: RunTask) -> None:
        self.waiting.append(task)

    def wait(self, timeout: float) -> list[RunRecord]:
        records = []
        for task in self.waiting:
            if task.repeat == 0:
                self._another_runner_finishes(task)
            # What this runner's worker returns on waking: killed by its timeout.
            records.append(RunRecord(task.study, task.repeat, task.seed, RunStatus.TIMEOUT))
        self.waiting = []
        return records

    def _another_runner_finishes(self, task: RunTask) -> None:
        with Store(self.path) as other:
            with other._write() as connection:
                connection.execute(
                    "UPDATE claims SET claimed = claimed - ? WHERE repeat = ?",
                    (2 * CLAIM_LEASE_S, task.repeat),
                )
            (claim,) = other.claim_with_tokens(
                task.study, [task.repeat], make_owner(), retry_failed=False
            )
            finished = RunRecord(task.study, task.repeat, task.seed, "ok", metrics={"m": 1.0})
            assert other.record_run(finished, claim=claim)

    def cancel(self) -> list[RunTask]:
        cancelled, self.waiting = self.waiting, []
        return cancelled

    def shutdown(self) -> None:
        self.waiting = []


def test_a_result_whose_claim_was_taken_over_is_dropped_and_not_counted(store: Path) -> None:
    spec = prepare_study(NOISY, frameworks=("python", "numpy"), name="s")
    seen: list[int] = []
    with Store(store) as opened:
        begin_study(opened, spec, allow_code_change=False)
        outcome = run_repeats(
            opened,
            spec,
            TakenOverWhileFrozen(store),
            [0, 1],
            on_record=lambda record: seen.append(record.repeat),
            max_failures=1,
        )
        runs = {run.repeat: (run.status.value, dict(run.metrics)) for run in opened.runs("s")}
        assert opened.claims("s") == {}
    assert runs == {0: ("ok", {"m": 1.0}), 1: ("timeout", {})}
    # Ran now: repeat 1 only; the dropped timeout did not reach --max-failures either.
    assert outcome.counts == {"ok": 0, "failed": 0, "crashed": 0, "timeout": 1}
    assert seen == [1]
    assert outcome.taken_over == [0]
    assert outcome.taken_over_line == (
        "repeat 0 was taken over by another runner after this runner's lease expired; "
        "its result was not stored"
    )
    assert outcome.to_dict()["taken_over_by_other_runners"] == [0]
