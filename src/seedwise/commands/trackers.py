"""``--log-to TRACKER[=WHERE]`` on ``seedwise run`` and ``export --to TRACKER``: runs in a tracker.

The study's runs go to the tracker (MLflow, TensorBoard, W&B) from this
process as each is stored (never from the workers), and its summary once
the study ends. A tracker that fails during a study does not stop it: its
runs are in the store, the failure is said in one line at the end, and
``seedwise export STUDY --to TRACKER`` writes what is missing.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from seedwise._user_text import visible
from seedwise.commands.options import TrackerTarget, store_path, tracker_target
from seedwise.errors import UsageError
from seedwise.records import RunRecord

if TYPE_CHECKING:
    from pathlib import Path

    from seedwise.store import Study
    from seedwise.trackers._export import TrackerExport

__all__ = [
    "LiveExport",
    "TrackerTarget",
    "add_log_to_options",
    "add_tracker_export_options",
    "export_to_tracker",
    "refuse_many",
    "tracker_target",
]


@dataclass
class LiveExport:
    """A study's runs written to a tracker as they are stored, its summary at the end.

    Made (and MLflow's tracking store and experiment with it) before the
    study's workers start.
    """

    export: TrackerExport
    store: Path
    tracker: str
    failures: list[str] = field(default_factory=list)
    # One read-only handle on each study while it runs, not one per run.
    _open: dict[str, Study] = field(default_factory=dict)
    _sweep: str | None = None

    @classmethod
    def start(cls, target: TrackerTarget, store: Path, experiment: str | None) -> LiveExport:
        from seedwise.trackers._export import open_export

        return cls(open_export(target.tracker, target.where, experiment), store, target.tracker)

    def wrap(self, on_record: Callable[[RunRecord], None] | None) -> Callable[[RunRecord], None]:
        """``on_record`` that also writes each stored run to the tracker."""

        def observe(record: RunRecord) -> None:
            if on_record is not None:
                on_record(record)
            if self.failures:
                return
            try:
                handle = self._open.get(record.study)
                if handle is None:
                    handle = self._open[record.study] = self._study(record.study)
                self.export.log_run(handle, record)
            except Exception as caught:  # a tracker's failure must not stop the study
                self.failures.append(_first_line(caught))

        return observe

    def nest(self, sweep: str, cells: Sequence[str]) -> None:
        """Write ``cells`` under one run of the sweep ``sweep``."""
        self._sweep = self.export.nest(sweep, cells)

    def finish(self, studies: Sequence[str]) -> list[str]:
        """Write what is missing, the summaries and reports; the lines to warn with."""
        for handle in self._open.values():
            handle.close()
        self._open.clear()
        for study in studies:
            if self.failures:
                break
            try:
                with self._study(study) as handle:
                    self.export.log_study(handle)
            except Exception as caught:
                self.failures.append(_first_line(caught))
        if self._sweep is not None and not self.failures:
            self.export.end_sweep(self._sweep)
        from seedwise.trackers._export import TRACKER_NAMES

        again = studies[0] if len(studies) == 1 else "STUDY..."
        return [
            f"{TRACKER_NAMES[self.tracker]}: {visible(line)}; the runs are stored: seedwise "
            f"export {again} --to {self.tracker} writes what is missing"
            for line in self.failures[:1]
        ]

    def _study(self, name: str) -> Study:
        from seedwise.store import open_study

        return open_study(self.store, name)


def _first_line(caught: BaseException) -> str:
    text = str(caught).strip()
    return text.splitlines()[0][:300] if text else type(caught).__name__


def add_log_to_options(parser: argparse.ArgumentParser) -> None:
    """``--log-to`` and ``--experiment-name``, for the commands that run studies."""
    parser.add_argument(
        "--log-to",
        type=tracker_target,
        metavar="mlflow[=URI]|tensorboard[=DIR]|wandb[=DIR]",
        help="write each run to a tracker as it is stored, and the summary at the end: MLflow, "
        "one parent run per study and one child run per repeat; TensorBoard, one event folder "
        "per repeat under DIR/STUDY/; W&B, one run per repeat in group STUDY (docs/trackers.md)",
    )
    add_tracker_export_options(parser)


def add_tracker_export_options(parser: argparse.ArgumentParser) -> None:
    """``--experiment-name``: the tracker's experiment (MLflow) or project (W&B) runs go to."""
    parser.add_argument(
        "--experiment-name",
        dest="tracker_experiment",
        metavar="NAME",
        help="the MLflow experiment (default: $MLFLOW_EXPERIMENT_NAME, else 'seedwise') or "
        "the W&B project (default: $WANDB_PROJECT, else 'seedwise')",
    )


def export_to_tracker(args: argparse.Namespace) -> int:
    """``seedwise export STUDY... --to mlflow[=URI]|tensorboard[=DIR]|wandb[=DIR]``."""
    from seedwise.store import open_store
    from seedwise.trackers._export import TRACKER_NAMES, export_studies

    target: TrackerTarget = args.to
    with open_store(store_path(args.store)) as store:
        studies = [store.study(name) for name in args.study]
        export = export_studies(target.tracker, studies, target.where, args.tracker_experiment)
    print(
        f"{TRACKER_NAMES[target.tracker]}: {export.written} runs written for {len(studies)} "
        f"{'study' if len(studies) == 1 else 'studies'} (runs already there were kept)",
        file=sys.stderr,
    )
    return 0


def refuse_many(args: argparse.Namespace) -> None:
    """Only a tracker takes several studies in one export."""
    if len(args.study) > 1:
        raise UsageError(
            f"export writes one study as {args.format}. Received: {len(args.study)} studies; "
            "expected one, or --to mlflow|tensorboard|wandb for several"
        )
