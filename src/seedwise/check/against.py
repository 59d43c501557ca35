"""``seedwise check --against STORE``: this machine's run beside the same run made elsewhere.

The other run is repeat 0 of a study in ``STORE`` (a store made on another
machine, copied here) that ran the same code (the code identity's digest,
so paths may differ), with the same config and study seed. The two are
compared bit for bit; with a tolerance, returned metrics and logged values
may differ by at most ``N`` units in the last place (``ulps=N``) or a
relative ``X`` (``rel=X``). Tensor digests (``ctx.fingerprint``) are
compared bit for bit in every case: a digest says only whether the bits
agree. The environment differences that could explain a difference come
ranked, from :func:`seedwise.env_diff.environment_differences`.
"""

from __future__ import annotations

import math
import struct
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from seedwise.env_diff import environment_differences
from seedwise.errors import UsageError
from seedwise.experiment.code.identity import code_identity
from seedwise.experiment.reference import ExperimentRef
from seedwise.records import RunRecord, first_difference
from seedwise.store import open_store

__all__ = ["Against", "Tolerance", "compare_runs", "find_run", "parse_tolerance"]

#: How many environment differences a comparison lists.
_SHOWN = 8


@dataclass(frozen=True)
class Tolerance:
    """How far two numbers may be apart and still agree: ``ulps=N`` or ``rel=X``."""

    kind: str
    value: float

    def allows(self, a: float, b: float) -> bool:
        """Whether ``a`` and ``b`` agree within this tolerance (NaN agrees with NaN only)."""
        if math.isnan(a) or math.isnan(b):
            return math.isnan(a) and math.isnan(b)
        if self.kind == "ulps":
            return _ulps(a, b) <= self.value
        return abs(a - b) <= self.value * max(abs(a), abs(b))

    def __str__(self) -> str:
        return f"{self.kind}={self.value:g}"


def _ulps(a: float, b: float) -> int:
    def ordered(x: float) -> int:
        bits: int = struct.unpack("<q", struct.pack("<d", x))[0]
        return bits if bits >= 0 else -(bits & 0x7FFFFFFFFFFFFFFF)

    return abs(ordered(a) - ordered(b))


def parse_tolerance(text: str) -> Tolerance:
    """``ulps=N`` (N a whole number, 0 or more) or ``rel=X`` (X a number, 0 or more).

    Raises:
        UsageError: Anything else, naming the value.
    """
    kind, _, number = text.partition("=")
    try:
        value = float(number)
    except ValueError:
        value = math.nan
    if kind == "ulps" and math.isfinite(value) and value >= 0 and value.is_integer():
        return Tolerance("ulps", value)
    if kind == "rel" and math.isfinite(value) and value >= 0:
        return Tolerance("rel", value)
    raise UsageError(
        f"Unknown tolerance. Received: {text!r}; expected ulps=N (a whole number of units in "
        "the last place, e.g. ulps=4) or rel=X (a relative difference, e.g. rel=1e-6)"
    )


@dataclass(frozen=True)
class Against:
    """This machine's run compared with the same run made elsewhere.

    Attributes:
        other: Where the other run comes from (``"store ci.db: study 'x' repeat 0"``).
        verdict: ``"bit for bit"``, ``"within tolerance"`` or ``"differs"``.
        tolerance: The tolerance (``"ulps=4"``), or None.
        first_difference: The first difference, in words, or None.
        metric_differences: ``|a - b|`` of each returned metric that differs.
        environment: The environment differences, likeliest first (at most
            eight), each a dict of ``item``, ``first`` (here), ``second``
            (there), ``likelihood``, ``why``.
    """

    other: str
    verdict: str
    tolerance: str | None
    first_difference: str | None
    metric_differences: dict[str, float] = field(default_factory=dict)
    environment: list[dict[str, str]] = field(default_factory=list)

    @property
    def agrees(self) -> bool:
        """Whether the runs agree, bit for bit or within the tolerance."""
        return self.verdict != "differs"

    def __str__(self) -> str:
        text = f"against {self.other}: {self.verdict}"
        if self.tolerance is not None:
            text += f" (tolerance {self.tolerance})"
        if self.first_difference is not None:
            text += f"; {self.first_difference}"
        for metric, difference in self.metric_differences.items():
            text += f"; {metric} differs by {difference:.2g}"
        lines = [text]
        if self.environment:
            lines.append("environment differences (here / there), likeliest to matter first:")
            lines += [
                f"  - {d['likelihood']}: {d['item']}: {d['first']} / {d['second']}"
                for d in self.environment
            ]
        return "\n".join(lines)


def find_run(
    store: Path, experiment: ExperimentRef, config: dict[str, Any], seed: int
) -> tuple[str, RunRecord]:
    """Repeat 0 of the latest study in ``store`` of the same code, config and study seed.

    Returns:
        Where it was found, in words, and the run (steps, fingerprints and
        environment included).

    Raises:
        UsageError: No such study, or none with a finished repeat 0.
        StoreError: The store cannot be read.
    """
    digest = code_identity(experiment).digest
    with open_store(store) as opened:
        matching = []
        for summary in opened.list_studies():
            record = opened.study_record(summary.name)
            if (record.code_hash, record.config, record.seed) == (digest, config, seed):
                matching.append(record)
        for record in sorted(matching, key=lambda r: r.created, reverse=True):
            run = opened.run(record.name, 0)
            if run is not None and run.status.is_finished:
                environment = (
                    opened.environment(run.env_hash, run=f"{record.name} 0")
                    if run.env_hash
                    else None
                )
                where = f"store {store}: study {record.name!r} repeat 0"
                return where, _with_environment(run, environment)
    found = "a study of this code, config and seed without a finished repeat 0"
    raise UsageError(
        f"No run to compare with in the store. Received: --against {store} "
        f"({found if matching else 'no study of this code with this config and seed'}); "
        f"expected a store with repeat 0 of seedwise run {experiment.text} --seed {seed} "
        "and the same --set values"
    )


def _with_environment(run: RunRecord, environment: dict[str, Any] | None) -> RunRecord:
    from dataclasses import replace

    return replace(run, environment=environment)


def compare_runs(
    here: RunRecord, there: RunRecord, other: str, tolerance: Tolerance | None
) -> Against:
    """Compare this machine's run with the other; see the module's doc."""
    difference = first_difference(here, there)
    environment = [
        asdict(d) for d in environment_differences(here.environment or {}, there.environment or {})
    ][:_SHOWN]
    metrics = {
        name: abs(value - there.metrics[name])
        for name, value in here.metrics.items()
        if name in there.metrics and _bits(value) != _bits(there.metrics[name])
    }
    tolerance_text = None if tolerance is None else str(tolerance)
    if difference is None:
        return Against(other, "bit for bit", tolerance_text, None, {}, environment)
    verdict = "differs"
    if tolerance is not None and _within(here, there, tolerance):
        verdict = "within tolerance"
    words = str(difference)
    if verdict == "within tolerance" and difference.kind == "fingerprint":
        words += " (digests are compared bit for bit; the tolerance applies to numbers)"
    return Against(other, verdict, tolerance_text, words, metrics, environment)


def _bits(value: float) -> bytes:
    return struct.pack("<d", value)


def _within(here: RunRecord, there: RunRecord, tolerance: Tolerance) -> bool:
    """Whether every returned metric and every logged value agree within ``tolerance``."""
    if here.status != there.status or set(here.metrics) != set(there.metrics):
        return False
    if [(s.step, s.name) for s in here.steps] != [(s.step, s.name) for s in there.steps]:
        return False
    pairs = [(here.metrics[name], there.metrics[name]) for name in here.metrics]
    pairs += [(a.value, b.value) for a, b in zip(here.steps, there.steps, strict=True)]
    return all(tolerance.allows(a, b) for a, b in pairs)
