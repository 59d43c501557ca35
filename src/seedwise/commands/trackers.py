"""``--log-to TRACKER[=WHERE]`` on ``seedwise run`` and ``export --to TRACKER``: runs in a tracker.

The study's runs go to the tracker (MLflow, TensorBoard, W&B) from this
process as each is stored (never from the workers), and its summary once
the study ends. A tracker that fails during a study does not stop it: its
runs are in the store, the failure is said in one line at the end, and
``seedwise export STUDY --to TRACKER`` writes what is missing.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING

from seedwise._user_text import visible
from seedwise.commands.options import TrackerTarget, store_path, tracker_target
from seedwise.errors import UsageError
from seedwise.records import RunRecord

if TYPE_CHECKING:
    from pathlib import Path

    from seedwise.store import Store
    from seedwise.trackers._export import ExportThread
    from seedwise.trackers.export_process import ExportProcess

__all__ = [
    "LiveExport",
    "TrackerTarget",
    "add_log_to_options",
    "add_tracker_export_options",
    "export_to_tracker",
    "refuse_many",
    "start_live_export",
    "studies_and_sweeps",
    "tracker_target",
    "writing_until_stopped",
]


@dataclass
class LiveExport:
    """A study's runs written to a tracker as they are stored, its summary at the end.

    Started before the study's workers, off the study's critical path: every
    call to the tracker is made on one
    :class:`~seedwise.trackers._export.ExportThread`, or, for MLflow's client
    (every store but a server), in an
    :class:`~seedwise.trackers.export_process.ExportProcess` of its own, so
    that its imports and its SQL take no time from the study's process.
    """

    writer: ExportThread | ExportProcess
    tracker: str
    store: Path

    @classmethod
    def start(
        cls, target: TrackerTarget, store: Path, experiment: str | None, *, report: bool = False
    ) -> LiveExport:
        """Refuse now what can be refused at once; open the export on its thread or process.

        Raises:
            TrackerError: The tracker cannot be reached or written to.
            UsageError: The tracker's package is not installed.
        """
        from seedwise.trackers._export import ExportThread, prepare_export

        opener = prepare_export(target.tracker, target.where, experiment)
        if target.tracker == "mlflow":
            from seedwise.trackers.mlflow import writes_from_a_process

            if writes_from_a_process(target.where):
                from seedwise.trackers.export_process import ExportProcess

                process = ExportProcess(target.tracker, target.where, experiment, store, report)
                return cls(process, target.tracker, store)
        return cls(ExportThread(opener, store, report), target.tracker, store)

    def wrap(self, on_record: Callable[[RunRecord], None] | None) -> Callable[[RunRecord], None]:
        """``on_record`` that also hands each stored run to the tracker's writer."""

        def observe(record: RunRecord) -> None:
            if on_record is not None:
                on_record(record)
            self.writer.log_run(record)

        return observe

    def nest(self, sweep: str, cells: Sequence[str]) -> None:
        """Write ``cells`` under one run of the sweep ``sweep``."""
        self.writer.nest(sweep, cells)

    def finish(self, studies: Sequence[str]) -> list[str]:
        """Write what is missing, the summaries (and reports); the lines to warn with.

        The summaries are made here, while the writer still writes the last
        runs, rather than after them.
        """
        from seedwise.store import open_store
        from seedwise.trackers._export import finished_summary

        with open_store(self.store) as store:
            made = {name: finished_summary(store.study(name)) for name in studies}
        summaries = {name: summary for name, summary in made.items() if summary is not None}
        self.writer.finish(studies, summaries)
        return self._ended(studies)

    def abandon(self, studies: Sequence[str]) -> list[str]:
        """The study stopped early: write the runs handed over so far, no summary; warnings.

        A second Ctrl-C meanwhile ends the writing at once; a child run cut
        off then is written again whole by the next ``--log-to`` or export.
        """
        return self._ended(studies)

    def _ended(self, studies: Sequence[str]) -> list[str]:
        """Wait for the writer's last call; the warnings."""
        failures = self.writer.close()
        from seedwise.trackers._export import TRACKER_NAMES

        again = studies[0] if len(studies) == 1 else "STUDY..."
        return [
            f"{TRACKER_NAMES[self.tracker]}: {visible(line)}; the runs are stored: seedwise "
            f"export {again} --to {self.tracker} writes what is missing"
            for line in failures[:1]
        ]


def start_live_export(args: argparse.Namespace) -> LiveExport | None:
    """``--log-to``'s export, started before the workers; None without ``--log-to``.

    MLflow's store named by ``$MLFLOW_TRACKING_URI`` (and
    ``$MLFLOW_EXPERIMENT_NAME``'s experiment) is made here too, before any
    worker starts, for runs whose own code logs to it.

    Raises:
        UsageError: ``--log-to-report`` without ``--log-to mlflow``.
        TrackerError: The tracker cannot be reached or written to.
    """
    target: TrackerTarget | None = args.log_to
    if args.log_to_report and (target is None or target.tracker != "mlflow"):
        raise UsageError(
            "--log-to-report draws the report for MLflow's study run. Received: --log-to-report "
            f"with {'no --log-to' if target is None else '--log-to ' + target.tracker}; "
            "expected --log-to mlflow[=URI] with it"
        )
    if "MLFLOW_TRACKING_URI" in os.environ:
        from seedwise.trackers.mlflow import prepare_from_environment

        prepare_from_environment()
    if target is None:
        return None
    return LiveExport.start(
        target, store_path(args.store), args.tracker_experiment, report=args.log_to_report
    )


@contextmanager
def writing_until_stopped(live: LiveExport | None, studies: Sequence[str]) -> Iterator[None]:
    """While studies run: if they stop early (Ctrl-C, an error), their stored runs are written."""
    try:
        yield
    except BaseException:
        if live is not None:
            for line in live.abandon(studies):
                print(f"seedwise: warning: {line}", file=sys.stderr)
        raise


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
    parser.add_argument(
        "--log-to-report",
        action="store_true",
        help="with --log-to mlflow: also draw the HTML report as the study run's artifact "
        "report.html when the study ends (about 2 s; seedwise export --to mlflow always does)",
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
        names, sweeps = studies_and_sweeps(store, args.study)
        studies = [store.study(name) for name in names]
        export = export_studies(
            target.tracker, studies, target.where, args.tracker_experiment, sweeps
        )
    print(
        f"{TRACKER_NAMES[target.tracker]}: {export.written} runs written for {len(studies)} "
        f"{'study' if len(studies) == 1 else 'studies'} (runs already there were kept)",
        file=sys.stderr,
    )
    return 0


def studies_and_sweeps(
    store: Store, texts: Sequence[str]
) -> tuple[list[str], dict[str, list[str]]]:
    """The studies ``export --to`` names, a sweep's name standing for its cells; each sweep's cells.

    Each text is a study (its name, a prefix, ``@last``) or a sweep's name
    (``seedwise sweep --name``), which means every cell of it. A cell,
    named either way, goes under its sweep's entry in the tracker, as
    ``seedwise sweep --log-to`` puts it.

    Raises:
        StoreError: A text that names no study and no sweep, or several studies.
    """
    from seedwise.store.names import sweep_of

    known = set(store.sweeps())
    names: list[str] = []
    for text in texts:
        sweep = text.removesuffix("/")
        if sweep in known and not _is_study(store, text):
            names += [cell.study for cell in store.sweep(sweep).cells]
        else:
            names.append(store.resolve_name(text))
    names = list(dict.fromkeys(names))
    cells: dict[str, set[str]] = {}
    sweeps: dict[str, list[str]] = {}
    for name in names:
        of = sweep_of(name)
        if of is None or of not in known:
            continue
        if of not in cells:
            cells[of] = {cell.study for cell in store.sweep(of).cells}
        if name in cells[of]:
            sweeps.setdefault(of, []).append(name)
    return names, sweeps


def _is_study(store: Store, text: str) -> bool:
    from seedwise.errors import StoreError

    try:
        return store.resolve_name(text) == text
    except StoreError:
        return False


def refuse_many(args: argparse.Namespace) -> None:
    """Only a tracker takes several studies in one export."""
    if len(args.study) > 1:
        raise UsageError(
            f"export writes one study as {args.format}. Received: {len(args.study)} studies; "
            "expected one, or --to mlflow|tensorboard|wandb for several"
        )
