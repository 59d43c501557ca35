"""Proof that resuming from a checkpoint changes nothing (``seedwise check --resume-at K``).

Runs the experiment three times, each in a fresh process: uninterrupted;
interrupted right after its checkpoint of step K (the worker ends there, as
a kill would); and resumed from that checkpoint in the same folder. The
uninterrupted and the resumed runs are compared bit for bit: returned
metrics, every logged step and every fingerprint. Both watch the NumPy
generators the code makes itself and the Keras layers' ``SeedGenerator``
and fingerprint their states at each checkpoint, so that a generator a
checkpoint did not carry is named.
"""

from __future__ import annotations

import shutil
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from seedwise.check.core import check_setup
from seedwise.errors import ExperimentError, UsageError
from seedwise.experiment.checkpoint import CHECKPOINT_FOLDER, CheckpointFolder
from seedwise.records import Difference, RunRecord, RunStatus, first_difference
from seedwise.runner import RunTask, TaskList, drive, run_seed
from seedwise.runner.options import choose_executor
from seedwise.seeding import Deterministic

__all__ = ["ResumeCheck", "check_resume"]

#: The prefix of the fingerprints of a generator's state taken at each checkpoint.
RANDOM_STATE = "random-state/"
_POLL_S = 0.1


@dataclass(frozen=True)
class ResumeCheck:
    """What ``check --resume-at`` found.

    Attributes:
        resume_at: The step of the checkpoint the run was interrupted at.
        reproducible: Whether the resumed run equals the uninterrupted one, bit for bit.
        first_divergence: Where they first part, or None.
        not_carried: The random states that differ between the two after
            the resume, which the checkpoint did not carry: generators the
            code made itself (``random-state/numpy.random.default_rng@file:line``)
            and Keras layers' ``SeedGenerator`` (``random-state/keras.SeedGenerator@LAYER#0``).
        seconds: The check's wall time.
    """

    resume_at: int
    reproducible: bool
    first_divergence: Difference | None
    not_carried: tuple[str, ...]
    seconds: float

    def __str__(self) -> str:
        if self.reproducible:
            return (
                f"resuming reproduces: a run interrupted at its checkpoint of step "
                f"{self.resume_at} and resumed in a fresh process equals the uninterrupted run, "
                f"bit for bit (metrics, logged steps, fingerprints) [{self.seconds:.1f} s]"
            )
        lines = [
            f"resuming changes the run: interrupted at step {self.resume_at} and resumed, "
            f"it parts from the uninterrupted run: {self.first_divergence}"
        ]
        for name in self.not_carried:
            source = name.removeprefix(RANDOM_STATE)
            fix = (
                "save [v.numpy() for v in model.variables] (they hold it; get_weights() does "
                "not) and assign them back on resume"
                if source.startswith("keras.")
                else "make it with ctx.rng(NAME), which checkpoints carry, or save and restore "
                "its bit_generator.state with the checkpoint"
            )
            lines.append(f"  random state not carried by the checkpoint: {source}; {fix}")
        if not self.not_carried:
            lines.append(
                "  no watched generator differs: look for state kept outside the checkpoint "
                "(a generator of another library, a counter, a data iterator's position)"
            )
        return "\n".join(lines)

    def to_dict(self) -> dict[str, object]:
        """The result as JSON-ready data."""
        return {
            "resume_at": self.resume_at,
            "reproducible": self.reproducible,
            "first_divergence": None
            if self.first_divergence is None
            else self.first_divergence.to_dict(),
            "not_carried": list(self.not_carried),
            "seconds": self.seconds,
        }


def check_resume(
    fn_or_ref: str | Callable[..., Any],
    *,
    resume_at: int,
    seed: int = 0,
    config: Mapping[str, Any] | None = None,
    threads: int = 1,
    deterministic: Deterministic = True,
    frameworks: tuple[str, ...] | None = None,
    keras_backend: str | None = None,
    argv: Sequence[str] = (),
    metric_patterns: Sequence[str | tuple[str, str]] = (),
    timeout: float | None = None,
) -> ResumeCheck:
    """Prove that a run resumed from its checkpoint of step ``resume_at`` equals one never stopped.

    Args:
        fn_or_ref: The experiment, as for :func:`seedwise.check`; it must
            call ``ctx.checkpoint(state, step=...)`` and ``ctx.restore()``.
        resume_at: The step of the checkpoint to interrupt the run at.
        seed, config, threads, deterministic, frameworks, keras_backend,
        argv, metric_patterns, timeout: As for :func:`seedwise.check`.

    Returns:
        The :class:`ResumeCheck`.

    Raises:
        UsageError: A bad argument, or a run that wrote no checkpoint at
            step ``resume_at`` (the steps it wrote are named).
        ExperimentError: A run failed.
    """
    started = time.perf_counter()
    if isinstance(resume_at, bool) or not isinstance(resume_at, int) or resume_at < 0:
        raise UsageError(
            f"`resume_at` must be a non-negative int. Received: resume_at={resume_at!r}; "
            "expected the step of one of the run's checkpoints"
        )
    source, study_seed, settings = check_setup(
        fn_or_ref, argv, config or {}, seed, threads, deterministic, keras_backend, frameworks,
        metric_patterns,
    )  # fmt: skip
    workdir = Path(tempfile.mkdtemp(prefix="seedwise-resume-"))
    base = RunTask(
        study="uninterrupted",
        repeat=0,
        seed=run_seed(study_seed, 0),
        experiment=source,
        config=dict(config or {}),
        settings=settings,
        workdir=str(workdir / "uninterrupted"),
        watch_own_generators=True,
        keep_checkpoints=1,
        purpose="check",
    )
    resumed_folder = str(workdir / "resumed")
    interrupted = replace(
        base, study="interrupted", workdir=resumed_folder, stop_at_checkpoint=resume_at
    )
    try:
        feed = _ResumeFeed(
            [base, interrupted], replace(base, study="resumed", workdir=resumed_folder)
        )
        _drive(feed, timeout, Path(resumed_folder).parent / "logs")
        runs = {record.study: record for record in feed.records}
        _check_stopped(runs["interrupted"], resume_at, Path(resumed_folder))
        whole, again = runs["uninterrupted"], runs["resumed"]
        for record in (whole, again):
            if record.status is not RunStatus.OK:
                raise ExperimentError(
                    f"The experiment failed during the resume check. Received: {record.error} "
                    f"({record.study} run); expected a run that finishes"
                )
        if again.resumed_from != resume_at:
            raise UsageError(
                f"The resumed run did not resume from step {resume_at}. Received: "
                f"resumed_from={again.resumed_from!r}; expected ctx.restore() to be called "
                "before the training loop"
            )
        difference = first_difference(whole, again)
        return ResumeCheck(
            resume_at=resume_at,
            reproducible=difference is None,
            first_divergence=difference,
            not_carried=_not_carried(whole, again),
            seconds=time.perf_counter() - started,
        )
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


class _ResumeFeed(TaskList):
    """The uninterrupted and the interrupted runs, then the resumed one once the second ends.

    The resumed run starts as soon as the interrupted one has stopped, while
    the uninterrupted one still runs: with two free cores the check takes
    about as long as one run and its part after the checkpoint.
    """

    def __init__(self, tasks: list[RunTask], resumed: RunTask) -> None:
        super().__init__(tasks)
        self._resumed = resumed

    def accept(self, record: RunRecord) -> bool:
        super().accept(record)
        if record.study == "interrupted" and record.status is RunStatus.CRASHED:
            self._waiting.append(self._resumed)
        return True


def _drive(feed: TaskList, timeout: float | None, log_dir: Path) -> None:
    """Run the feed's tasks, each in a fresh process of its own, two at a time."""
    factory = choose_executor("local", None, workers=None, timeout=timeout, runs_per_worker=1)
    executor = factory.create(workers=2, log_dir=log_dir)
    drive(executor, feed, poll=_POLL_S)


def _check_stopped(record: RunRecord, resume_at: int, folder: Path) -> None:
    """Refuse a run that went past step ``resume_at`` without a checkpoint there."""
    if record.status is RunStatus.FAILED:
        raise ExperimentError(
            f"The experiment failed during the resume check. Received: {record.error}; "
            "expected a run that finishes"
        )
    if record.status is RunStatus.OK:
        written = CheckpointFolder(folder / CHECKPOINT_FOLDER).steps()
        newest = f"its newest was step {written[-1]}" if written else "ctx.checkpoint wrote none"
        raise UsageError(
            f"The run wrote no checkpoint at step {resume_at}. Received: --resume-at "
            f"{resume_at} ({newest}); expected the step of a ctx.checkpoint(state, step=...) "
            "call, or the global_step of a Lightning or Trainer checkpoint saved with "
            "seedwise's callback (seedwise.integrations)"
        )


def _not_carried(whole: RunRecord, again: RunRecord) -> tuple[str, ...]:
    """The generator states fingerprinted at a checkpoint that differ between the two runs."""
    first = {(f.name, f.step): f.digest for f in whole.fingerprints if _is_state(f.name)}
    second = {(f.name, f.step): f.digest for f in again.fingerprints if _is_state(f.name)}
    parted = [key for key in first if key in second and first[key] != second[key]]
    names: list[str] = []
    for name, _ in sorted(parted, key=lambda key: (key[1] or 0, key[0])):
        if name not in names:
            names.append(name)
    return tuple(names)


def _is_state(name: str) -> bool:
    return name.startswith(RANDOM_STATE)
