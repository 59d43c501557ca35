"""``seedwise check --ops``: rerun the two runs that parted under the op recorder.

Two rounds of the same two runs (each pair side by side, in fresh processes
started like the check's others): the first streams every op's digest to a
log in each run's folder and finds the first op whose outputs differ
(:func:`seedwise.experiment.watch.ops.first_op_difference`); the second
captures that one op in full on both sides, to name its inputs, outputs and
the user's line, and to size the difference (max ``|a - b|``, ULPs).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from pathlib import Path

from seedwise.check.result import OpTrace
from seedwise.experiment.watch.ops import (
    OPS_FOLDER,
    RECORDED_FRAMEWORKS,
    CapturedOp,
    OpsRequest,
    first_op_difference,
    load_captured,
    op_log_written,
    recorded_summary,
)
from seedwise.records import RunRecord, array_difference
from seedwise.runner import RunTask

__all__ = ["trace_ops"]

#: Runs a list of tasks, each in a fresh process; returns each record by its label.
RunTasks = Callable[[list[RunTask]], dict[str, RunRecord]]


def trace_ops(
    sides: tuple[RunTask, RunTask],
    between: str,
    frameworks: Sequence[str],
    run: RunTasks,
) -> OpTrace:
    """Find the first op whose outputs differ between the two runs ``sides``.

    Args:
        sides: The two runs that parted, as tasks (their labels distinct).
        between: What the two runs are, for the result (``"two fresh processes"``).
        frameworks: The frameworks the runs imported (``RunRecord.frameworks``).
        run: Runs tasks, as the check does.
    """
    wanted = tuple(name for name in RECORDED_FRAMEWORKS if name in frameworks)
    if not wanted:
        used = ", ".join(frameworks) or "none of torch, jax, tensorflow, keras"
        return OpTrace(
            between,
            [],
            0,
            note=f"no op recorder for the frameworks these runs imported ({used}); "
            f"op recorders exist for {', '.join(RECORDED_FRAMEWORKS)}",
        )
    digests = _rerun(sides, "ops", OpsRequest(wanted), run)
    failed = [record for record in digests.values() if not record.status.is_finished]
    folders = [_ops_folder(task, "ops") for task in sides]
    summary = recorded_summary(folders[0])
    count = int(summary.get("count", 0))
    recorded = list(summary.get("recorded", []))
    if failed:
        return OpTrace(
            between,
            recorded,
            count,
            note=f"a rerun under the op recorder failed: {failed[0].error}",
        )
    if not all(op_log_written(folder) for folder in folders):
        note = "the op logs of the reruns did not come back to this machine"
        return OpTrace(between, recorded, count, note=note)
    mismatch = first_op_difference(*folders)
    if mismatch is None:
        return OpTrace(
            between,
            recorded,
            count,
            note=f"the two reruns agreed on all {count} recorded ops of "
            f"{', '.join(recorded)}: the difference arises outside them (NumPy, Python, "
            "another framework's ops) or did not recur",
        )
    _rerun(sides, "op", OpsRequest(wanted, capture=mismatch.index), run)
    captured = [load_captured(_ops_folder(task, "op")) for task in sides]
    return _traced(between, recorded, count, mismatch.index, mismatch.ops, captured)


def _ops_folder(task: RunTask, suffix: str) -> Path:
    return Path(f"{task.workdir}-{suffix}") / OPS_FOLDER


def _rerun(
    sides: tuple[RunTask, RunTask], suffix: str, request: OpsRequest, run: RunTasks
) -> dict[str, RunRecord]:
    """Both sides again, under the op recorder, each in a folder of its own."""
    tasks = [
        dataclasses.replace(
            task,
            study=f"{task.study}-{suffix}",
            workdir=f"{task.workdir}-{suffix}",
            capture=False,
            capture_step=None,
            ops=request,
        )
        for task in sides
    ]
    return run(tasks)


def _traced(
    between: str,
    recorded: list[str],
    count: int,
    index: int,
    names: tuple[str, str],
    captured: list[CapturedOp | None],
) -> OpTrace:
    first, second = captured
    op = names[0] if names[0] == names[1] else f"{names[0]} / {names[1]}"
    if first is None or second is None:
        return OpTrace(
            between,
            recorded,
            count,
            index=index,
            op=op,
            note="the capture reruns did not reach this op again",
        )
    largest: float | None = None
    ulps: int | None = None
    same = names[0] == names[1]
    for a, b in zip(first.arrays, second.arrays, strict=False) if same else ():
        if a is None or b is None:
            continue
        size, distance = array_difference(a, b)
        if size is not None:
            largest = size if largest is None else max(largest, size)
        if distance is not None:
            ulps = distance if ulps is None else max(ulps, distance)
    note = ""
    if not same:
        note = "the two runs ran different ops here: their paths through the code part"
    elif largest == 0.0 and ulps in (0, None):
        note = "this op's outputs were equal when both sides were rerun to capture it"
    return OpTrace(
        between,
        recorded,
        count,
        index=index,
        op=op,
        inputs=list(first.inputs),
        outputs=list(first.outputs),
        location=first.location or second.location,
        max_abs_diff=largest,
        ulps=ulps,
        note=note,
    )
