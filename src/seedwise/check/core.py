"""``seedwise.check``: run one seed in fresh and warm processes and compare bit for bit.

The runs, each worker process started with the study's environment (see
:func:`seedwise.runner.tasks.worker_environment`):

- ``A``: the seed in a fresh process;
- ``C``: the seed in a second process, with another ``PYTHONHASHSEED`` (as two
  invocations of ``python`` would have), right after a run with another seed
  there; in parallel with ``A``.

``A`` and ``C`` differ in process, hash seed and order all at once, so when
they agree bit for bit the result depends on none of them, for the price of
about two runs. When they part, the factors are separated: ``A`` again in a
fresh process (the control), and the seed in a fresh process with ``C``'s
hash seed; both capture the first differing step's tensors in full to size
the difference. When the control agrees with ``A``, one probe per factor
(thread count, deterministic ops) shows which ones the result depends on.
"""

from __future__ import annotations

import dataclasses
import math
import os
import shutil
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from seedwise.check.against import Tolerance, compare_runs, find_run, parse_tolerance
from seedwise.check.ops import trace_ops
from seedwise.check.result import Cause, CheckResult, Divergence, OpTrace
from seedwise.errors import ExperimentError, UsageError
from seedwise.experiment.fingerprint import load_capture
from seedwise.experiment.reference import ExperimentRef
from seedwise.experiment.resolve import resolve_experiment
from seedwise.experiment.values import metric_patterns_from
from seedwise.experiment.watch.unseeded import LIBRARY_ENTROPY
from seedwise.records import (
    Difference,
    RunRecord,
    UnseededUse,
    array_difference,
    first_difference,
    metric_differences,
)
from seedwise.runner import (
    RunTask,
    StudySettings,
    TaskList,
    check_positive,
    drive,
    run_seed,
)
from seedwise.runner.executor import ExecutorFactory
from seedwise.runner.options import choose_executor
from seedwise.seeding import Deterministic, check_seed, derive_seed

__all__ = ["check"]

_POLL_S = 0.1


@dataclass(frozen=True)
class _Plan:
    """What every task of one check shares."""

    experiment: ExperimentRef
    config: dict[str, Any]
    study_seed: int
    seed: int
    other_seed: int
    workdir: Path
    timeout: float | None
    workers: int
    factory: ExecutorFactory
    ops: bool = False
    against: tuple[str, RunRecord] | None = None
    tolerance: Tolerance | None = None

    def task(
        self,
        label: str,
        settings: StudySettings,
        *,
        seed: int | None = None,
        capture: Difference | None = None,
        warmup: tuple[RunTask, ...] = (),
    ) -> RunTask:
        return RunTask(
            study=label,
            repeat=0,
            seed=self.seed if seed is None else seed,
            experiment=self.experiment,
            config=self.config,
            settings=settings,
            workdir=str(self.workdir / label),
            capture=capture is not None,
            capture_step=None if capture is None else capture.step,
            watch_unseeded=True,
            warmup=warmup,
            purpose="check",
        )


def check_setup(
    fn_or_ref: str | Callable[..., Any] | ExperimentRef,
    argv: Sequence[str],
    config: Mapping[str, Any],
    seed: int,
    threads: int,
    deterministic: Deterministic,
    keras_backend: str | None,
    frameworks: tuple[str, ...] | None,
    metric_patterns: Sequence[str | tuple[str, str]],
) -> tuple[ExperimentRef, int, StudySettings]:
    """The experiment, the checked seed and the settings every run of a check shares.

    Raises:
        UsageError: A bad experiment, seed or setting.
    """
    source = resolve_experiment(fn_or_ref, argv=argv, config=dict(config))
    study_seed = check_seed(seed)
    settings = StudySettings.for_study(
        study_seed,
        threads=threads,
        deterministic=deterministic,
        keras_backend=keras_backend or os.environ.get("KERAS_BACKEND"),
        frameworks=frameworks,
        metric_patterns=tuple(metric_patterns_from(metric_patterns)),
    )
    return source, study_seed, settings


def _run_all(tasks: list[RunTask], plan: _Plan) -> dict[str, RunRecord]:
    """Run every task in a fresh process of its own, ``plan.workers`` at a time.

    Returns:
        Each run's record by its label (a task's warm-up runs included).
    """
    executor = plan.factory.create(workers=plan.workers, log_dir=plan.workdir / "logs")
    source = TaskList(tasks)
    drive(executor, source, poll=_POLL_S)
    return {record.study: record for record in source.records}


def _failure(outcome: RunRecord) -> ExperimentError:
    frames = [line for line in (outcome.traceback or "").splitlines() if "File " in line]
    where = f" ({frames[-1].strip()})" if frames else ""
    return ExperimentError(
        f"The experiment failed during the check. Received: {outcome.error}{where}; "
        "expected a run that finishes (run it with `seedwise run` to see the traceback)"
    )


def _size(
    difference: Difference,
    between: str,
    sides: tuple[RunRecord, RunRecord],
    plan: _Plan,
    other_capture: str,
) -> Divergence:
    """A :class:`Divergence`, sized from the rerun sides' captured tensors."""
    first, second = sides
    max_abs: float | None = None
    ulps: int | None = None
    if difference.kind == "fingerprint":
        captured = [
            load_capture(Path(plan.workdir / label / "capture"))
            for label in ("A-capture", other_capture)
        ]
        a, b = (capture.get(difference.name) for capture in captured)
        if a is not None and b is not None:
            max_abs, ulps = array_difference(a, b)
            if max_abs == 0.0 and ulps in (0, None):
                max_abs, ulps = None, None
    elif difference.values is not None:
        import numpy as np

        max_abs, ulps = array_difference(
            np.array([difference.values[0]]), np.array([difference.values[1]])
        )
    return Divergence(
        between=between,
        kind=difference.kind,
        step=difference.step,
        name=difference.name.split("/")[0],
        tensor=difference.name if difference.kind == "fingerprint" else None,
        max_abs_diff=max_abs,
        ulps=ulps,
        metric_differences=metric_differences(first, second),
    )


def _source_causes(outcomes: list[RunRecord], *, parted: bool) -> list[Cause]:
    """The unseeded sources the runs used, as causes (or hazards when the runs agreed).

    OS entropy drawn inside a library is named only when the runs parted:
    libraries draw entropy for things that do not reach results too (a
    temporary name, an id), and a run that reproduced shows it did not.
    """
    uses: dict[tuple[str, str], UnseededUse] = {}
    for outcome in outcomes:
        for use in outcome.unseeded:
            if parted or use.kind != LIBRARY_ENTROPY:
                uses.setdefault((use.kind, use.location), use)
    return [
        Cause(
            use.kind,
            f"{_SOURCE_DETAILS.get(use.kind, 'unseeded, used')} at {use.location}",
            use.fix,
            use.location,
        )
        for use in uses.values()
    ]


_SOURCE_DETAILS = {
    "seed from the clock": "a seed taken from time.time() / time.time_ns(), passed",
    "random.SystemRandom": "OS entropy, which cannot be seeded, used",
    "os.urandom": "OS entropy, which cannot be seeded, used",
    "secrets": "OS entropy, which cannot be seeded, used",
    "torch DataLoader without generator": "shuffles with torch's global generator, built",
    LIBRARY_ENTROPY: "OS entropy, which cannot be seeded, drawn inside an installed library called",
}

#: Where to record fingerprints more often, for each framework a run imported, in order:
#: the first that applies wins (Keras on the torch backend imports torch too).
_FINGERPRINT_HELPERS = (
    ("keras", "model.fit(..., callbacks=[seedwise.keras.FingerprintCallback(ctx, every='batch')])"),
    (
        "stable_baselines3",
        "seedwise.integrations.torch.fingerprint_every(ctx, model.policy, "
        "model.policy.optimizer) before model.learn(...)",
    ),
    ("torch", "seedwise.integrations.torch.fingerprint_every(ctx, model, optimizer)"),
    ("jax", "seedwise.integrations.jax.fingerprint_params(ctx, params, step) after each step"),
)


def _fingerprint_advice(outcomes: list[RunRecord]) -> str:
    """How to fingerprint more often, with the helper of the framework the runs imported."""
    imported = {name for outcome in outcomes for name in outcome.frameworks}
    helper = next(
        (helper for name, helper in _FINGERPRINT_HELPERS if name in imported),
        "ctx.fingerprint('weights', model, step=step) after each step",
    )
    return (
        f"fingerprint more often ({helper}) to find the op that parts, and look for "
        "randomness drawn inside a framework or a library"
    )


def _seed_ignored(base: RunRecord, other: RunRecord, other_seed: int) -> list[Cause]:
    """A hazard when a run with another seed gave the same bits: the seed reaches nothing."""
    if not base.metrics or not other.status.is_finished or first_difference(base, other):
        return []
    return [
        Cause(
            "seed ignored",
            f"a run with another seed ({other_seed}) gave the same bits, so the code seeds "
            "itself with a constant (seed_everything(42), random_state=0) or uses no "
            "randomness: every repeat of a study would be the same run",
            "seed from the run's seed: seed_everything(ctx.seed), random_state=ctx.seed; "
            "a script's own option receives it as a placeholder (-- --seed {seed}), or it "
            "reads seedwise.current_context().seed",
        )
    ]


def _printed_metrics(base: RunRecord, settings: StudySettings) -> list[Cause]:
    """Hazards for metrics read from printed text with too few digits to compare bit for bit.

    A whole number (``epochs run: 24``) is exact as printed, so it is no hazard.
    """
    causes = []
    for name, _ in settings.metric_patterns:
        value = base.metrics.get(name)
        if value is None or not math.isfinite(value) or _significant_digits(value) >= 10:
            continue
        if value.is_integer() and abs(value) < 2**53:
            continue
        causes.append(
            Cause(
                "printed metric",
                f"metric {name!r} is read from what the run prints, {value!r}: digits it does "
                "not print are not compared",
                f"print it in full (print(f'{name}: {{value!r}}')) or record it with "
                f"seedwise.record({name}=value)",
            )
        )
    return causes


def _significant_digits(value: float) -> int:
    mantissa = repr(abs(value)).partition("e")[0]
    return len(mantissa.replace(".", "").lstrip("0"))


def _factor_causes(
    base: RunRecord, fresh: RunRecord, warm: RunRecord, control: RunRecord
) -> list[Cause]:
    """Causes from runs that differ in one factor; valid when ``control`` equals ``base``.

    ``fresh`` differs from ``base`` only in ``PYTHONHASHSEED``; ``warm`` from
    ``fresh`` only in following a run with another seed in its process.
    """
    causes = []
    if first_difference(base, fresh) is not None:
        causes.append(
            Cause(
                "PYTHONHASHSEED",
                "two fresh processes that differ only in PYTHONHASHSEED give different results, "
                "so the code depends on the iteration order of a set or on hash()",
                "iterate over sorted(...) instead of a set, and hash strings with a stable "
                "hash (hashlib, seedwise.derive_seed), never hash()",
            )
        )
    if first_difference(fresh, warm) is not None:
        causes.append(
            Cause(
                "order in the process",
                "the same seed gives a different result right after a run with another seed in "
                "the same process, so state survives between runs (module-level variables, "
                "caches, a framework's global state)",
                "build all state inside the experiment function from ctx, and keep nothing at "
                "module level between calls",
            )
        )
    return causes


def _probe_causes(
    base: RunRecord, probes: Mapping[str, RunRecord], settings: StudySettings
) -> list[Cause]:
    causes = []
    threads = probes.get("threads")
    if threads is not None and first_difference(base, threads) is not None:
        causes.append(
            Cause(
                "thread count",
                f"{settings.threads} and {_other_threads(settings)} threads give different results",
                f"pin the thread count: seedwise run --threads {settings.threads}, or "
                "OMP_NUM_THREADS and torch.set_num_threads / TF_NUM_INTRAOP_THREADS",
            )
        )
    deterministic = probes.get("deterministic")
    if deterministic is not None and first_difference(base, deterministic) is not None:
        causes.append(
            Cause(
                "deterministic ops",
                "deterministic ops on and off give different results",
                "keep deterministic ops on: seed_everything(seed, deterministic=True) "
                "(the default)",
            )
        )
    return causes


def _other_threads(settings: StudySettings) -> int:
    return 2 if settings.threads == 1 else 1


def check(
    fn_or_ref: str | Callable[..., Any],
    *,
    seed: int = 0,
    config: Mapping[str, Any] | None = None,
    threads: int = 1,
    deterministic: Deterministic = True,
    frameworks: tuple[str, ...] | None = None,
    keras_backend: str | None = None,
    probes: bool = True,
    timeout: float | None = None,
    workers: int = 2,
    argv: Sequence[str] = (),
    metric_patterns: Sequence[str | tuple[str, str]] = (),
    executor: str | ExecutorFactory = "local",
    scheduler: str | None = None,
    ops: bool = False,
    against: str | os.PathLike[str] | None = None,
    tolerance: str | Tolerance | None = None,
) -> CheckResult:
    """Prove that an experiment reproduces bit for bit, or find where and why it does not.

    Runs repeat 0 of the study seed ``seed`` (the run ``seedwise run --seed
    SEED`` makes first) in a fresh process, and in a second process with
    another ``PYTHONHASHSEED`` right after a run with another seed. Compares
    the returned metrics, every metric logged with ``ctx.log`` and every
    digest recorded with ``ctx.fingerprint``, bit for bit. Every run watches
    for unseeded random sources used by the experiment's code. When the runs
    part, more fresh processes separate the factors (process, hash seed,
    order), capture the first differing step's tensors to size the
    difference, and (with ``probes``) change the thread count and
    deterministic ops one at a time.

    Args:
        fn_or_ref: The experiment, as for ``seedwise.run``: a function, a
            reference ``"path/to/file.py:fn"`` / ``"package.module:fn"``, or
            a script ``"path/to/train.py"``.
        seed: The study seed; the compared runs use ``derive_seed(seed, "repeat", 0)``.
        config: The config every run receives as ``ctx.config``.
        threads: Threads per run.
        deterministic: Deterministic ops in every run (True, False or "warn").
        frameworks: Seed only these frameworks (default: every installed one).
        keras_backend: ``KERAS_BACKEND`` of the workers (default: this process's).
        probes: On a difference, probe the thread count and deterministic ops.
        timeout: Seconds a run may take before its worker is killed.
        workers: Processes run at once.
        argv: A script's arguments.
        metric_patterns: ``"NAME=REGEX"``: metrics read from what a run prints.
        executor: Where the fresh processes run: ``"local"``, ``"dask"`` (a
            fresh run process on a Dask worker for every run, so the checks
            hold there) or an executor factory, as for ``seedwise.run``.
        scheduler: With ``executor="dask"``, the scheduler to join
            (default ``$SEEDWISE_DASK_SCHEDULER``, else a local cluster).
        ops: When the runs part, rerun the two that parted under the op
            recorder (torch) and name the first op whose outputs differ
            (``result.op_trace``); four more runs.
        against: A store made on another machine: its repeat 0 of a study of
            the same code, config and seed is compared with this machine's
            first run (``result.against``): bit for bit, within
            ``tolerance``, or not, with the environment differences that
            could explain it.
        tolerance: With ``against``: ``"ulps=N"`` or ``"rel=X"`` (or a
            :class:`~seedwise.check.against.Tolerance`) for returned metrics
            and logged values.

    Returns:
        The :class:`CheckResult`; ``result.reproducible`` is the verdict.

    Raises:
        UsageError: A bad argument or experiment reference.
        ExperimentError: The first run failed (an error in the experiment).

    Example:
        >>> result = seedwise.check("train.py:train", seed=0, config={"epochs": 3})
        >>> result.reproducible, result.first_divergence
    """
    started = time.perf_counter()
    check_positive(workers, "workers")
    check_positive(timeout, "timeout", allow_none=True)
    config = dict(config or {})
    factory = choose_executor(
        executor,
        scheduler,
        workers=None,
        timeout=timeout,
        runs_per_worker=1,
    )
    source, study_seed, settings = check_setup(
        fn_or_ref, argv, config, seed, threads, deterministic, keras_backend, frameworks,
        metric_patterns,
    )  # fmt: skip
    if ops and executor == "dask":
        raise UsageError(
            "The op recorder runs on this machine only. Received: ops=True with "
            "executor='dask'; expected executor='local' (--executor local) with --ops"
        )
    if tolerance is not None and against is None:
        raise UsageError(
            f"A tolerance needs a run to compare with. Received: tolerance={str(tolerance)!r} "
            "without against; expected against=STORE (--against STORE) beside it"
        )
    limit = parse_tolerance(tolerance) if isinstance(tolerance, str) else tolerance
    other = None if against is None else find_run(Path(against), source, config, study_seed)
    workdir = Path(tempfile.mkdtemp(prefix="seedwise-check-"))
    plan = _Plan(
        experiment=source,
        config=config,
        study_seed=study_seed,
        seed=run_seed(study_seed, 0),
        other_seed=run_seed(study_seed, 1),
        workdir=workdir,
        timeout=timeout,
        workers=int(workers),
        factory=factory,
        ops=bool(ops),
        against=other,
        tolerance=limit,
    )
    try:
        return _check(plan, settings, probes, started)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def _check(plan: _Plan, settings: StudySettings, probes: bool, started: float) -> CheckResult:
    hashed = dataclasses.replace(
        settings, hash_seed=derive_seed(settings.hash_seed, "check", bits=32)
    )
    first = _run_all(
        [
            plan.task("A", settings),
            plan.task("C", hashed, warmup=(plan.task("O", hashed, seed=plan.other_seed),)),
        ],
        plan,
    )
    base, other, warm = first["A"], first["O"], first["C"]
    if not base.status.is_finished:
        raise _failure(base)
    runs = [
        f"fresh process (PYTHONHASHSEED={settings.hash_seed}): {base.status}",
        f"fresh process (PYTHONHASHSEED={hashed.hash_seed}), seed {plan.other_seed}: "
        f"{other.status}",
        f"the same process again, seed {plan.seed}: {warm.status}",
    ]
    outcomes = [base, other, warm]
    difference = first_difference(base, warm)
    if difference is None:
        hazards = _source_causes(outcomes, parted=False) + _seed_ignored(
            base, other, plan.other_seed
        )
        hazards += _printed_metrics(base, settings)
        return _result(plan, base, True, None, hazards, runs, started)

    # The runs part in process, hash seed and order at once: separate them.
    capture = difference if difference.kind == "fingerprint" else None
    second = _run_all(
        [
            plan.task("A-capture", settings, capture=capture),
            plan.task("B-capture", hashed, capture=capture),
        ],
        plan,
    )
    control, fresh = second["A-capture"], second["B-capture"]
    outcomes += [control, fresh]
    runs += [
        f"control, fresh process like the first: {control.status}",
        f"fresh process (PYTHONHASHSEED={hashed.hash_seed}), seed {plan.seed}: {fresh.status}",
    ]
    controlled = first_difference(base, control) is None
    across = first_difference(base, fresh)
    tasks: list[RunTask] = []
    if across is None and capture is not None:
        warmup = (plan.task("O-capture", hashed, seed=plan.other_seed),)
        tasks.append(plan.task("C-capture", hashed, capture=capture, warmup=warmup))
    variants = {
        "threads": dataclasses.replace(settings, threads=_other_threads(settings)),
        "deterministic": dataclasses.replace(settings, deterministic=not settings.deterministic),
    }
    if probes and controlled:
        tasks += [plan.task(name, variant) for name, variant in variants.items()]
    results = _run_all(tasks, plan) if tasks else {}
    probed = {name: results[name] for name in variants if name in results}
    runs += [f"probe, other {name}: {o.status}" for name, o in probed.items()]

    if across is not None:
        divergence = _size(across, "two fresh processes", (base, fresh), plan, "B-capture")
        sides = (plan.task("A", settings), plan.task("B", hashed))
    else:
        divergence = _size(
            difference, "fresh process / warm process", (base, warm), plan, "C-capture"
        )
        warmup = (plan.task("O", hashed, seed=plan.other_seed),)
        sides = (plan.task("A", settings), plan.task("C", hashed, warmup=warmup))
    op_trace: OpTrace | None = None
    if plan.ops:
        imported = sorted({name for outcome in outcomes for name in outcome.frameworks})
        op_trace = trace_ops(
            sides, divergence.between, imported, lambda tasks: _run_all(tasks, plan)
        )
        runs += [f"op recorder, {divergence.between}: 4 runs"] if op_trace.recorded else []
    causes = _factor_causes(base, fresh, warm, control) if controlled else []
    causes += _probe_causes(base, probed, settings)
    sources = _source_causes(outcomes, parted=True)
    if not controlled and not sources:
        causes.append(
            Cause(
                "nondeterminism",
                "two fresh processes with identical settings differ, and no unseeded source "
                "was seen in the experiment's code",
                _fingerprint_advice(outcomes),
            )
        )
    result = _result(plan, base, False, divergence, causes + sources, runs, started)
    return dataclasses.replace(result, op_trace=op_trace)


def _result(
    plan: _Plan,
    base: RunRecord,
    reproducible: bool,
    divergence: Divergence | None,
    causes: list[Cause],
    runs: list[str],
    started: float,
) -> CheckResult:
    compared = None
    if plan.against is not None:
        compared = compare_runs(base, plan.against[1], plan.against[0], plan.tolerance)
    return CheckResult(
        experiment=plan.experiment.text,
        seed=plan.study_seed,
        run_seed=plan.seed,
        reproducible=reproducible,
        first_divergence=divergence,
        causes=causes,
        metrics=dict(base.metrics),
        runs=runs,
        fingerprints=len(base.fingerprints),
        duration=time.perf_counter() - started,
        against=compared,
    )
