"""The repeats of one study: claim them, run them through the run loop, store each as it ends.

What one run of a study did is one :class:`StudyRun`: the counts of the
runs it made, why it stopped, and (filled in by
:func:`seedwise.runner.studies.run_study`) the study's stored runs, read once at
the end.
"""

from __future__ import annotations

import shlex
import struct
import time
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Protocol

from seedwise.errors import SweepInterrupted
from seedwise.experiment.checkpoint import DEFAULT_KEEP
from seedwise.experiment.hydra_apps import is_hydra_app
from seedwise.experiment.reference import ScriptRef
from seedwise.records import RunRecord, RunStatus
from seedwise.runner.executor import Executor
from seedwise.runner.folders import repeat_folder
from seedwise.runner.loop import StopRequest, TaskSource, drive
from seedwise.runner.spec import StudySpec, run_seed
from seedwise.runner.tasks import RunTask, batch_tasks
from seedwise.stats import StopDecision
from seedwise.store import Claim, Store, make_owner
from seedwise.store.claims import claim_renew_s

__all__ = ["StoreSource", "StudyRun", "drive_claims", "make_task", "run_repeats"]


@dataclass
class StudyRun:
    """What one run of a study did: the runs it made, why it stopped, the runs stored after it.

    Attributes:
        spec: The study's definition.
        store: The store's path.
        repeats: How many repeats the run covers.
        already_done: How many of them had finished before it started.
        counts: The runs it made, by status.
        elsewhere: Repeats another runner on the store holds.
        taken_over: Repeats this run ran but could not store: another runner
            took over their claims (this runner's lease ran out while it was
            frozen), so their results were dropped and not counted.
        stopped: Why it stopped early: ``"rule"`` (a stopping rule such as
            ``--until-ci``), ``"max-failures"``, ``"interrupted"``, or None.
        identical_lanes: For a vectorised study whose every batch returned
            identical metrics in each of its runs, the warning that says why
            (randomness drawn outside the key) and how to fix it; else None.
        runs: The stored runs of the repeats it covers, read once, after it.
        decision: With ``until_ci``, whether the interval is narrow enough.
        metric: The metric ``until_ci`` follows, if any.
    """

    spec: StudySpec
    store: Path
    repeats: int
    already_done: int = 0
    counts: dict[str, int] = field(default_factory=RunStatus.counts)
    elsewhere: list[int] = field(default_factory=list)
    taken_over: list[int] = field(default_factory=list)
    stopped: str | None = None
    identical_lanes: str | None = None
    runs: list[RunRecord] = field(default_factory=list)
    decision: StopDecision | None = None
    metric: str | None = None

    @property
    def study(self) -> str:
        """The study's name."""
        return self.spec.name

    def to_dict(self) -> dict[str, Any]:
        """A JSON-serialisable dict of what this run of the study did."""
        return {
            "study": self.study,
            "store": str(self.store),
            "repeats": self.repeats,
            "already_done": self.already_done,
            "counts": dict(self.counts),
            "claimed_by_other_runners": list(self.elsewhere),
            "taken_over_by_other_runners": list(self.taken_over),
            "stopped": self.stopped,
            "identical_lanes": self.identical_lanes,
        }

    def interrupted(self, command: str | None = None) -> SweepInterrupted:
        """The error that says this run was interrupted and how to resume it."""
        stored = self.already_done + self.counts[RunStatus.OK.value]
        resume = f": {command}" if command else ""
        return SweepInterrupted(
            f"Interrupted: {stored} of {self.repeats} runs of study {self.study!r} are "
            f"stored in {self.store}; run the same command again to resume{resume}",
            self,
        )

    @property
    def taken_over_line(self) -> str | None:
        """One line saying which results were dropped because their claims were lost, or None."""
        if not self.taken_over:
            return None
        if len(self.taken_over) == 1:
            return (
                f"repeat {self.taken_over[0]} was taken over by another runner after this "
                "runner's lease expired; its result was not stored"
            )
        return (
            f"repeats {', '.join(map(str, self.taken_over))} were taken over by other runners "
            "after this runner's lease expired; their results were not stored"
        )

    @property
    def cautions(self) -> list[str]:
        """What the runs suggest is wrong with the experiment, one line each; often none."""
        if self.identical_lanes is not None:
            # Said instead of "seeds itself": a keyed experiment has no seed to hand on.
            return [self.identical_lanes]
        if self.seeds_itself:
            fix = (
                _script_seed_fix(self.spec.source)
                if isinstance(self.spec.source, ScriptRef)
                else "e.g. seed_everything(ctx.seed) or random_state=ctx.seed"
            )
            return [
                "every run returned the same metrics: the code seems to seed itself with a "
                f"constant; hand it the run's seed instead, {fix}"
            ]
        return []

    @property
    def seeds_itself(self) -> bool:
        """Whether the experiment seems to seed itself and ignore the run's seed.

        True when two or more runs finished and all returned bit-identical
        metrics although each had its own seed: the code seeds itself with a
        constant (``L.seed_everything(42)``, ``random_state=0``) or uses no
        randomness at all. The fix is to seed with ``ctx.seed``.
        """
        finished = [run.metrics for run in self.runs if run.status.is_finished]
        if len(finished) < 2 or not finished[0]:
            return False
        first = _metric_bits(finished[0])
        return all(_metric_bits(metrics) == first for metrics in finished[1:])


def _script_seed_fix(script: ScriptRef) -> str:
    """The constant-seed fix for a script: its own seed option, filled by a placeholder.

    A ``--seed VALUE``, ``--seed=VALUE`` or Hydra ``seed=VALUE`` it is given
    already has its value replaced; else ``--seed {seed}`` is added (``seed={seed}`` to a
    Hydra app).
    """
    words, index, found = list(script.argv), 0, False
    while index < len(words):
        option, equals, _ = words[index].partition("=")
        if option in ("--seed", "seed") and equals:
            words[index], found = f"{option}={{seed}}", True
        elif words[index] == "--seed" and index + 1 < len(words):
            words[index + 1], found = "{seed}", True
        index += 1
    if not found:
        words += ["seed={seed}"] if is_hydra_app(script.file) else ["--seed", "{seed}"]
    command = shlex.join(["seedwise", "run", script.file.name, "--", *words])
    return (
        f"with the placeholder {{seed}}, filled in by each run: {command} (Hydra: "
        "seed={seed}), the script seeding itself from that option"
    )


def _metric_bits(metrics: Mapping[str, float]) -> dict[str, bytes]:
    """Metrics by their IEEE 754 bits, so that NaN equals NaN and -0.0 differs from 0.0."""
    return {name: struct.pack("<d", value) for name, value in metrics.items()}


def make_task(spec: StudySpec, repeat: int, workdir: str) -> RunTask:
    """The task that runs repeat ``repeat`` of the study ``spec``."""
    return RunTask(
        study=spec.name,
        repeat=repeat,
        seed=run_seed(spec.seed, repeat),
        experiment=spec.source,
        config=spec.config,
        settings=spec.settings,
        workdir=workdir,
    )


class StoreSource:
    """The study's tasks: repeats claimed from the store as slots free up; records stored."""

    def __init__(
        self,
        store: Store,
        outcome: StudyRun,
        repeats: list[int],
        handled: set[int],
        *,
        retry_failed: bool,
        keep_claiming: Callable[[], bool] | None,
        keep_checkpoints: int = DEFAULT_KEEP,
    ) -> None:
        self.store = store
        self.keep_checkpoints = keep_checkpoints
        self.spec = outcome.spec
        self.outcome = outcome
        self.repeats = repeats
        self.handled = handled
        self.in_flight: set[int] = set()
        self.held: dict[int, Claim] = {}
        self.owner = make_owner()
        self.renew_every = claim_renew_s()
        self.started = time.time()
        self.retry_failed = retry_failed
        self.keep_claiming = keep_claiming
        self.stopped_by_rule = False
        self.renewed = time.monotonic()

    def take(self, free: int) -> list[RunTask]:
        if self.stopped_by_rule:
            return []
        if self.keep_claiming is not None and not self.keep_claiming():
            self.stopped_by_rule = True
            return []
        candidates = [r for r in self.repeats if r not in self.handled and r not in self.in_flight]
        # A vectorised study's task holds a batch of repeats.
        return self.claim(candidates, free * (self.spec.settings.vectorize or 1))

    def claim(self, candidates: list[int], limit: int) -> list[RunTask]:
        """The tasks of at most ``limit`` of ``candidates``, claimed from the store now."""
        if not candidates:
            return []
        claims = self.store.claim_with_tokens(
            self.spec.name,
            candidates,
            self.owner,
            retry_failed=self.retry_failed,
            limit=limit,
            retry_before=self.started,
        )
        self.held.update((claim.repeat, claim) for claim in claims)
        self.in_flight.update(claim.repeat for claim in claims)
        tasks = [
            replace(
                make_task(
                    self.spec,
                    c.repeat,
                    str(repeat_folder(self.store.path, self.spec.name, c.repeat)),
                ),
                keep_checkpoints=self.keep_checkpoints,
            )
            for c in claims
        ]
        return batch_tasks(tasks, self.spec.settings.vectorize)

    def tick(self) -> None:
        now = time.monotonic()
        if self.in_flight and now - self.renewed >= self.renew_every:
            self.store.renew(self.spec.name, self.owner)
            self.renewed = now

    def accept(self, record: RunRecord) -> bool:
        claim = self.held.pop(record.repeat, None)
        stored = claim is not None and self.store.record_run(record, claim=claim)
        self.in_flight.discard(record.repeat)
        # Handled either way: a repeat whose claim was lost is another runner's now.
        self.handled.add(record.repeat)
        if stored:
            self.outcome.counts[record.status.value] += 1
        else:
            self.outcome.taken_over.append(record.repeat)
        return stored


class _Interruptible(Protocol):
    stopped: str | None

    def interrupted(self, command: str | None = None) -> SweepInterrupted: ...


def drive_claims(
    executor: Executor,
    source: TaskSource,
    claimed: Sequence[StoreSource],
    outcome: Callable[[], _Interruptible],
    *,
    on_record: Callable[[RunRecord], None] | None = None,
    max_failures: int | None = None,
    stop: StopRequest | None = None,
) -> str | None:
    """:func:`~seedwise.runner.loop.drive` the runs of ``source``, then release every claim.

    Args:
        executor: Where the runs execute; shut down when the loop ends.
        source: What to run: one study's :class:`StoreSource`, or a sweep's
            cells, each its own.
        claimed: The sources whose claims are released when the loop ends,
            however it ends.
        outcome: What the run did, asked for when it is interrupted.
        on_record: Called with each run's record once it is stored.
        max_failures: Stop once this many runs made now have not finished.
        stop: A stop request installed before ``executor`` was made, or None.

    Returns:
        Why the loop stopped early (``"max-failures"``), or None.

    Raises:
        SweepInterrupted: Ctrl-C or SIGTERM, with ``outcome()`` marked ``"interrupted"``.
    """
    stop = StopRequest() if stop is None else stop
    # Installed around the clean-up too: a second SIGTERM must not leave claims behind.
    with stop.installed():
        try:
            return drive(
                executor, source, on_record=on_record, max_failures=max_failures, stop=stop
            )
        except KeyboardInterrupt:
            stop.shielded = True
            interrupted = outcome()
            interrupted.stopped = "interrupted"
            raise interrupted.interrupted() from None
        finally:
            stop.shielded = True
            for held in claimed:
                held.store.release(held.spec.name, held.owner)


def run_repeats(
    store: Store,
    spec: StudySpec,
    executor: Executor,
    repeats: list[int],
    *,
    finished: Collection[int] = (),
    retry_failed: bool = False,
    max_failures: int | None = None,
    on_record: Callable[[RunRecord], None] | None = None,
    keep_claiming: Callable[[], bool] | None = None,
    stop: StopRequest | None = None,
    keep_checkpoints: int = DEFAULT_KEEP,
) -> StudyRun:
    """Run every repeat in ``repeats`` that is not finished yet, storing each as it ends.

    Repeats are claimed in small batches, as workers free up, so that several
    runners on one store share the work and never run a repeat twice.

    Args:
        store: The writable store; the study must exist in it.
        spec: The study.
        executor: Where the runs execute; shut down when the loop ends.
        repeats: The repeats covered.
        finished: Those of them whose stored run had finished before.
        retry_failed: Rerun repeats whose stored run did not finish.
        max_failures: Stop once this many runs made now have not finished.
        on_record: Called with each run's record once it is stored.
        keep_claiming: Asked before each new claim; once it says False, no
            more repeats start (running ones finish), ``stopped="rule"``.
        stop: A stop request the caller installed before making ``executor``
            (a signal while a cluster starts then stops the sweep at its
            first poll); by default one installed here.
        keep_checkpoints: The checkpoints each run keeps (``--keep-checkpoints``).

    Returns:
        What the runs did; its ``runs`` are left for the caller to read.

    Raises:
        SweepInterrupted: Ctrl-C or SIGTERM; running runs were stopped, every
            finished run is stored, the claims are released.
    """
    handled = set(finished) & set(repeats)
    outcome = StudyRun(spec=spec, store=store.path, repeats=len(repeats), already_done=len(handled))
    source = StoreSource(
        store,
        outcome,
        repeats,
        handled,
        retry_failed=retry_failed,
        keep_claiming=keep_claiming,
        keep_checkpoints=keep_checkpoints,
    )
    stopped = drive_claims(
        executor,
        source,
        [source],
        lambda: outcome,
        on_record=on_record,
        max_failures=max_failures,
        stop=stop,
    )
    outcome.stopped = stopped or ("rule" if source.stopped_by_rule else None)
    claims = store.claims(spec.name)
    outcome.elsewhere = sorted(r for r in repeats if r in claims and r not in source.handled)
    return outcome
