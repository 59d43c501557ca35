"""A study's runs in Weights & Biases: one W&B run per repeat, grouped by study.

Each repeat is a W&B run with ``group=<study>`` and ``job_type="repeat"``;
its config holds the seed, the repeat and the study's config
(``config.KEY``), its code identity and environment (``seedwise.*``); its
history holds every logged step at its step, its summary the returned
metrics. The study's summary is one more run of the group, with
``job_type="summary"``.

W&B's run ids are chosen by seedwise: a hash of seedwise's run id
``STUDY#REPEAT`` and of the run's status, so the same repeat is always the
same W&B run. Before writing, seedwise looks in W&B's local folder for a run
of that id and writes nothing when it is there: a resume or a second export
adds no run. A repeat whose status changed (a failed run rerun) gets a run
of another id, and its old offline run is removed.

It works with no account in W&B's offline mode (``WANDB_MODE=offline``): the
runs are written under ``DIR/wandb/offline-run-*`` for ``wandb sync``.
``wandb`` is imported only here, on first use.
"""

from __future__ import annotations

import hashlib
import os
import shutil
from collections import defaultdict
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from seedwise.errors import TrackerError, UsageError
from seedwise.records import RunRecord, RunStatus
from seedwise.trackers._export import (
    config_fields,
    env_hash,
    finished_summary,
    run_id,
    runs_digest,
    stored_runs,
)

if TYPE_CHECKING:
    from seedwise.stats import Summaries
    from seedwise.store import Study

__all__ = ["DEFAULT_PROJECT", "WandbExport", "open_export", "wandb_run_id"]

#: The project seedwise writes to when ``--experiment-name`` and ``WANDB_PROJECT`` name none.
DEFAULT_PROJECT = "seedwise"

# Modes in which W&B needs no account.
_LOCAL_MODES = ("offline", "disabled", "dryrun")


def wandb_run_id(key: str, status: str) -> str:
    """The W&B run id of one of seedwise's runs (``STUDY#REPEAT``) with ``status``.

    W&B ids may not hold ``/``, ``#``, ``:`` and the like; a hash holds none.
    """
    return f"sw{hashlib.sha256(key.encode()).hexdigest()[:16]}-{status}"


def _wandb() -> Any:
    try:
        import wandb
    except ImportError:
        raise UsageError(
            "W&B is not installed. Received: --log-to wandb; expected `pip install wandb`"
        ) from None
    return wandb


class WandbExport:
    """Writes studies to one W&B project, each run once.

    Args:
        folder: W&B's local folder (its ``dir``): None for ``WANDB_DIR``, else
            the current folder.
        project: The project; None for ``WANDB_PROJECT``, else ``"seedwise"``.

    Raises:
        TrackerError: W&B has no account to write to outside offline mode,
            or the folder cannot be written.
    """

    def __init__(self, folder: str | Path | None = None, project: str | None = None) -> None:
        self.wandb = _wandb()
        self.folder = Path(folder or os.environ.get("WANDB_DIR") or ".").absolute()
        self.project = project or os.environ.get("WANDB_PROJECT") or DEFAULT_PROJECT
        self.mode = os.environ.get("WANDB_MODE") or "online"
        try:
            (self.folder / "wandb").mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise TrackerError(
                f"W&B's folder cannot be written: {error.strerror}. Received: "
                f"wandb={str(self.folder)!r}; expected a folder seedwise may write to"
            ) from None
        if self.mode not in _LOCAL_MODES:
            self._logged_in()
        # W&B's first run starts its service process and names it in WANDB_SERVICE;
        # one started here is stopped once the study is written (see close).
        self._owns_service = "WANDB_SERVICE" not in os.environ
        self._sweeps: dict[str, str] = {}  # a cell's name -> its sweep's
        self.written = 0

    def _logged_in(self) -> None:
        try:
            logged_in = bool(self.wandb.login(verify=False, prompt=False))
            first = "no API key configured"
        except Exception as caught:
            logged_in = False
            first = str(caught).strip().splitlines()[0] if str(caught).strip() else "no account"
        if not logged_in:
            raise TrackerError(
                f"W&B cannot be written to: {first}. Received: WANDB_MODE={self.mode!r}; "
                "expected `wandb login`, or WANDB_MODE=offline to write runs for `wandb sync`"
            ) from None

    def nest(self, sweep: str, cells: Sequence[str]) -> str:
        """W&B's groups are one level deep: each cell is a group of its own.

        Each run of a cell carries its sweep's name as ``seedwise.sweep`` in
        its config, to filter or group a sweep's runs by in W&B's tables.
        """
        self._sweeps.update(dict.fromkeys(cells, sweep))
        return sweep

    def end_sweep(self, sweep_id: str) -> None:
        """Nothing to end: see :meth:`nest`."""

    def _local_runs(self, prefix: str) -> list[Path]:
        """W&B's local folders of runs whose id starts with ``prefix``."""
        return sorted((self.folder / "wandb").glob(f"*run-*-{prefix}*"))

    def _written(self, run: str) -> bool:
        """Whether a run of this id is in W&B's local folder; older ids of its stem removed."""
        stem = run.rsplit("-", 1)[0]
        found = False
        for path in self._local_runs(stem):
            if path.name.endswith(f"-{run}"):
                found = True
            elif path.name.startswith("offline-run-"):
                shutil.rmtree(path, ignore_errors=True)
        return found

    def _start(self, run: str, **keywords: Any) -> Any:
        settings = self.wandb.Settings(
            console="off",
            silent=True,
            save_code=False,
            disable_git=True,
            x_disable_stats=True,
            x_save_requirements=False,
        )
        return self.wandb.init(
            project=self.project,
            id=run,
            dir=str(self.folder),
            mode=os.environ.get("WANDB_MODE") or None,
            reinit="create_new",
            settings=settings,
            **keywords,
        )

    def log_run(self, study: Study, record: RunRecord) -> bool:
        """Write one run to W&B, unless a run of the same id is there already."""
        key = run_id(study.name, record.repeat)
        run = wandb_run_id(key, record.status.value)
        if self._written(run):
            return False
        config: dict[str, Any] = {
            "seed": record.seed,
            "repeat": record.repeat,
            **config_fields(study.record.config),
            "seedwise.run_id": key,
            "seedwise.study": study.name,
            "seedwise.status": record.status.value,
            "seedwise.code_hash": study.record.code_hash,
            "seedwise.experiment": study.record.experiment,
        }
        for name, value in (
            ("seedwise.env_hash", env_hash(record)),
            ("seedwise.environment", record.environment),
            ("seedwise.error", record.error),
            ("seedwise.sweep", self._sweeps.get(study.name)),
        ):
            if value is not None:
                config[name] = value
        handle = self._start(
            run,
            group=study.name,
            job_type="repeat",
            name=f"{study.name}/{record.repeat}",
            config=config,
        )
        by_step: dict[int, dict[str, float]] = defaultdict(dict)
        for logged in record.steps:
            by_step[logged.step][logged.name] = logged.value
        for step in sorted(by_step):
            handle.log(by_step[step], step=step)
        for name, metric in record.metrics.items():
            handle.summary[name] = metric
        handle.finish(exit_code=0 if record.status is RunStatus.OK else 1)
        self.written += 1
        return True

    def log_study(
        self, study: Study, *, report: bool = True, summary: Summaries | None = None
    ) -> str:
        """Write every stored run that is missing, then the study's summary.

        ``report`` is unused: the tracker keeps no report of a study.
        """
        for record in stored_runs(study):
            self.log_run(study, record)
        try:
            return self.finish(study, summary)
        finally:
            self.close()

    def close(self) -> None:
        """Stop W&B's service if seedwise started it and no run of the user's is open.

        Otherwise the service, and ``WANDB_SERVICE`` naming it, outlive the
        export in this process and in every process it starts. A later run
        starts it again.
        """
        if self._owns_service and self.wandb.run is None and "WANDB_SERVICE" in os.environ:
            self.wandb.teardown()

    def finish(self, study: Study, summary: Summaries | None = None) -> str:
        """The study's summary (``summary``, or made now) as one run of its group.

        That run's ``job_type`` is ``"summary"``.

        Named by the runs it rests on, so the same runs write it once.
        """
        run = wandb_run_id(f"{study.name}#summary", runs_digest(study))
        if self._written(run):
            return run
        finished = [r for r in study.runs if r.status.is_finished]
        values: dict[str, Any] = {"runs": len(study.runs), "finished": len(finished)}
        made = finished_summary(study, summary)
        if made is not None:
            for name, one in made.metrics.items():
                values.update(
                    {
                        f"{name}.n": one.n,
                        f"{name}.mean": one.mean,
                        f"{name}.mean_ci_low": one.mean_ci.low,
                        f"{name}.mean_ci_high": one.mean_ci.high,
                        f"{name}.median": one.median,
                        f"{name}.std": one.std,
                        f"{name}.method": one.mean_ci.method,
                    }
                )
        handle = self._start(
            run,
            group=study.name,
            job_type="summary",
            name=f"{study.name}/summary",
            config={
                "seed": study.record.seed,
                **config_fields(study.record.config),
                "seedwise.study": study.name,
                "seedwise.code_hash": study.record.code_hash,
                "seedwise.experiment": study.record.experiment,
                **(
                    {"seedwise.sweep": self._sweeps[study.name]}
                    if study.name in self._sweeps
                    else {}
                ),
            },
        )
        for name, value in values.items():
            if value is not None:
                handle.summary[name] = value
        handle.finish()
        return run


def open_export(folder: str | None, project: str | None) -> WandbExport:
    """The export to W&B's ``project``, its local files under ``folder``."""
    return WandbExport(folder, project)


def prepare_export(folder: str | None, project: str | None) -> Callable[[], WandbExport]:
    """The export, made now (online with no API key is refused before the store opens)."""
    export = open_export(folder, project)
    return lambda: export
