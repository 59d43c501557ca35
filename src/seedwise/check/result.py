"""What a check found: the verdict, where two runs part, and why."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any

from seedwise._html import Html, element, join, notebook_block, notebook_text, table
from seedwise._json import json_ready, number_from_json
from seedwise.check.against import Against

__all__ = ["Cause", "CheckResult", "Divergence", "OpTrace"]


@dataclass(frozen=True)
class Divergence:
    """The first step and tensor (or metric) at which two runs of the same seed part.

    Attributes:
        between: The two runs compared, e.g. ``"two fresh processes"``.
        kind: ``"fingerprint"``, ``"metric"``, ``"result"`` or ``"status"``.
        step: The step, or None (a returned metric, or a fingerprint without a step).
        name: The fingerprint's name (``"weights"``) or the metric's.
        tensor: The leaf's full path (``"weights/sequential/dense_1/kernel"``),
            or None for a metric.
        max_abs_diff: The largest ``|a - b|`` there, from the tensors captured
            in full on a rerun of both sides (or the metric's two values);
            None when the rerun did not reproduce the difference.
        ulps: The largest distance there in units in the last place, or None.
        metric_differences: ``|a - b|`` of each returned metric that differs.
    """

    between: str
    kind: str
    step: int | None
    name: str
    tensor: str | None = None
    max_abs_diff: float | None = None
    ulps: int | None = None
    metric_differences: dict[str, float] = field(default_factory=dict)

    def __str__(self) -> str:
        where = "in the returned metrics" if self.step is None else f"at step {self.step}"
        if self.kind == "status":
            return f"runs part ({self.between}): one run failed and the other did not ({self.name})"
        subject = f"tensor {self.tensor}" if self.tensor is not None else f"metric {self.name}"
        text = f"runs part {where} ({self.between}), {subject}"
        if self.max_abs_diff is not None:
            text += f": max |diff| {self.max_abs_diff:.2g}"
            if self.ulps is not None:
                text += f" ({self.ulps} ulp)"
        elif self.kind == "fingerprint":
            text += ": the difference did not recur when both sides were rerun to size it"
        for metric, difference in self.metric_differences.items():
            text += f"; final {metric} differs by {difference:.2g}"
        return text


@dataclass(frozen=True)
class OpTrace:
    """What the op-level reruns of ``seedwise check --ops`` found.

    Attributes:
        between: The two runs rerun under the op recorder, as in :class:`Divergence`.
        recorded: The frameworks whose ops were recorded (``["torch"]``).
        ops: How many ops the first of the two runs recorded.
        index: The number of the first op whose outputs differ (from 0), or
            None when no recorded op differed.
        op: Its name (``"aten.addmm.default"``); where the runs ran different
            ops there, both names, ``"aten.add.Tensor / aten.mul.Tensor"``.
        inputs: Its inputs: ``dtype[shape]`` for tensors, the value for others.
        outputs: Its outputs, the same way.
        location: ``file:line`` of the user's code that ran it (the innermost
            frame of the user's code on the Python stack), when known.
        max_abs_diff: The largest ``|a - b|`` over its outputs, or None.
        ulps: The largest distance in units in the last place, or None.
        note: What the trace could not do or did not find, in one sentence.
    """

    between: str
    recorded: list[str]
    ops: int
    index: int | None = None
    op: str | None = None
    inputs: list[str] = field(default_factory=list)
    outputs: list[str] = field(default_factory=list)
    location: str | None = None
    max_abs_diff: float | None = None
    ulps: int | None = None
    note: str = ""

    def __str__(self) -> str:
        if self.index is None:
            return f"op trace ({self.between}): {self.note}"
        signature = f"({', '.join(self.inputs)}) -> {', '.join(self.outputs) or 'nothing'}"
        text = f"first op to differ ({self.between}): op #{self.index} of {self.ops}, {self.op}"
        text += f" {signature}"
        if self.location is not None:
            text += f", at {self.location}"
        if self.max_abs_diff is not None:
            text += f": max |diff| {self.max_abs_diff:.2g}"
            if self.ulps is not None:
                text += f" ({self.ulps} ulp)"
        if self.note:
            text += f"; {self.note}"
        return text


@dataclass(frozen=True)
class Cause:
    """One reason a result is not reproducible, or a hazard found during the runs.

    Attributes:
        kind: The factor or source, e.g. ``"PYTHONHASHSEED"``,
            ``"order in the process"``, ``"numpy.random.default_rng()"``.
        detail: What was observed, e.g. ``"called at train.py:42"``.
        fix: One line saying what to change.
        location: ``file:line`` of the user code involved, when known.
    """

    kind: str
    detail: str
    fix: str
    location: str | None = None

    def __str__(self) -> str:
        return f"{self.kind}: {self.detail}. Fix: {self.fix}"


@dataclass(frozen=True)
class CheckResult:
    """The outcome of :func:`seedwise.check`.

    Attributes:
        experiment: The experiment reference that was checked.
        seed: The study seed given to the check.
        run_seed: The seed every compared run received as ``ctx.seed``
            (repeat 0 of the study seed: ``derive_seed(seed, "repeat", 0)``).
        reproducible: True when every run agreed bit for bit on returned
            metrics, logged metrics and fingerprints.
        first_divergence: Where the runs first part, or None.
        causes: The factors the result was found to depend on, and the
            unseeded sources the code used (listed even when the runs agreed).
        metrics: The returned metrics of the first fresh run.
        runs: One line per run made: what it was and its status.
        fingerprints: How many tensor digests each run recorded.
        duration: Seconds the check took.
        op_trace: What ``--ops`` found: the first op whose outputs differ, or
            None when the check ran without ``ops`` (or the runs agreed).
        against: The first run compared with the same run made elsewhere
            (``against=STORE``), or None.
    """

    experiment: str
    seed: int
    run_seed: int
    reproducible: bool
    first_divergence: Divergence | None
    causes: list[Cause]
    metrics: dict[str, float]
    runs: list[str]
    fingerprints: int
    duration: float
    op_trace: OpTrace | None = None
    against: Against | None = None

    def to_dict(self) -> dict[str, Any]:
        """A JSON-serialisable dict (NaN and infinities as ``"NaN"``, ``"Infinity"``)."""
        data: dict[str, Any] = json_ready(asdict(self))
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> CheckResult:
        """Rebuild a result from :meth:`to_dict` output (files written before kept NaN as None).

        Raises:
            KeyError, TypeError: ``data`` is not what :meth:`to_dict` makes.
        """
        divergence = data["first_divergence"]
        metrics = {
            str(k): (math.nan if v is None else number_from_json(v))
            for k, v in data["metrics"].items()
        }
        return cls(
            experiment=str(data["experiment"]),
            seed=int(data["seed"]),
            run_seed=int(data["run_seed"]),
            reproducible=bool(data["reproducible"]),
            first_divergence=None if divergence is None else Divergence(**divergence),
            causes=[Cause(**cause) for cause in data["causes"]],
            metrics=metrics,
            runs=[str(run) for run in data["runs"]],
            fingerprints=int(data["fingerprints"]),
            duration=float(data["duration"]),
            op_trace=_op_trace_from(data.get("op_trace")),
            against=None if data.get("against") is None else Against(**data["against"]),
        )

    _repr_pretty_ = notebook_text

    def _repr_html_(self) -> str:
        """The verdict, where the runs part and why, as HTML for notebooks."""
        return str(notebook_block(self._html_body()))

    def _html_body(self) -> Html:
        verdict = "reproducible" if self.reproducible else "NOT reproducible"
        parts: list[object] = [
            element(
                "div",
                self.experiment,
                f" (seed {self.seed}, run seed {self.run_seed}): ",
                element("span", verdict, class_="good" if self.reproducible else "bad"),
                f" - {len(self.runs)} runs compared bit for bit ({self.fingerprints} tensor "
                f"digests, {len(self.metrics)} returned metrics) in {self.duration:.1f} s",
            )
        ]
        if self.first_divergence is not None:
            parts.append(element("div", str(self.first_divergence)))
        if self.op_trace is not None:
            parts.append(element("div", str(self.op_trace)))
        if self.against is not None:
            parts.append(element("div", str(self.against)))
        if self.causes:
            parts.append(element("div", "causes:" if not self.reproducible else "hazards found:"))
            parts.append(
                table(
                    ["factor", "what was seen", "fix"],
                    [[cause.kind, cause.detail, cause.fix] for cause in self.causes],
                )
            )
        parts.append(element("div", "runs: ", "; ".join(self.runs), class_="note"))
        return join(parts)

    def __str__(self) -> str:
        verdict = "reproducible" if self.reproducible else "NOT reproducible"
        lines = [
            f"{self.experiment} (seed {self.seed}, run seed {self.run_seed}): {verdict} - "
            f"{len(self.runs)} runs compared bit for bit ({self.fingerprints} tensor digests, "
            f"{len(self.metrics)} returned metrics) in {self.duration:.1f} s"
        ]
        if self.first_divergence is not None:
            lines.append(str(self.first_divergence))
        if self.op_trace is not None:
            lines.append(str(self.op_trace))
        if self.against is not None:
            lines.append(str(self.against))
        if self.causes:
            lines.append("causes:" if not self.reproducible else "hazards found:")
            lines += [f"  - {cause}" for cause in self.causes]
        return "\n".join(lines)


def _op_trace_from(data: dict[str, Any] | None) -> OpTrace | None:
    if data is None:
        return None
    largest = data.get("max_abs_diff")
    return OpTrace(
        **{**data, "max_abs_diff": None if largest is None else number_from_json(largest)}
    )
