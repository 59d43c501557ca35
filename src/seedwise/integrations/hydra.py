"""Hydra and seedwise: a Hydra multirun as one seedwise sweep, what a task returns as metrics.

``python app.py -m hydra/launcher=seedwise hydra.launcher.repeats=10 lr=0.1,0.01``
hands the jobs of a multirun to the launcher of
``hydra_plugins.seedwise_launcher``, which calls :func:`launch`: every job
becomes a cell of one seedwise sweep (``SWEEP/lr=0.1``), run ``repeats``
times on the sweep's seeds through :func:`~seedwise.runner.sweep.run_sweep`,
so the cells are compared pair by pair and ranked (``seedwise rank SWEEP``).

Each run is the app itself, run as a script with the job's overrides (and
the multirun's own Hydra overrides and config flags), in a seedwise worker:
Hydra composes its config there as it would for ``python app.py lr=0.1``,
with ``seed=<the run's seed>`` where the config has a ``seed`` key, and
with the run's folder as its ``hydra.run.dir`` (:mod:`~seedwise.experiment.
hydra_apps`), so that every run's ``.hydra/``, log and files are its own.
The callback :class:`ReturnedMetrics`, added to each run's Hydra config,
records what the task function returns (:func:`returned_metrics`).

Importing this module imports Hydra: only the launcher and Hydra's
callbacks import it.
"""

from __future__ import annotations

import inspect
import logging
import math
import shlex
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hydra.core.override_parser.overrides_parser import OverridesParser
from hydra.core.override_parser.types import Override
from hydra.core.utils import JobReturn, JobStatus
from hydra.experimental.callback import Callback
from omegaconf import DictConfig, OmegaConf, open_dict

from seedwise.errors import InvalidResultError, SeedwiseError, SweepInterrupted, UsageError
from seedwise.experiment.context import current_context, real_number
from seedwise.experiment.hydra_apps import is_hydra_app, override_value
from seedwise.experiment.reference import ScriptRef
from seedwise.experiment.resolve import resolve_experiment
from seedwise.experiment.values import check_metrics
from seedwise.records import RunStatus
from seedwise.runner.folders import run_folder
from seedwise.runner.options import split_keywords
from seedwise.runner.spec import default_study_name, prepare_study
from seedwise.runner.study_loop import StudyRun
from seedwise.runner.sweep import check_sweep_name, run_sweep
from seedwise.store import default_store_path
from seedwise.store.names import cell_name

__all__ = ["LaunchOptions", "ReturnedMetrics", "job_config", "launch", "returned_metrics"]

log = logging.getLogger(__name__)

#: The name of the callback every run's Hydra config gets.
CALLBACK = "seedwise_metrics"

# The multirun's own Hydra overrides that are the launcher's, the sweeper's or
# the multirun's; the others (hydra.job.chdir, hydra/job_logging, ...) go to every run.
_NOT_FORWARDED = (
    "hydra.mode",
    "hydra/launcher",
    "hydra.launcher",
    "hydra/sweeper",
    "hydra.sweeper",
    "hydra.sweep",
    "hydra.run",
    "hydra.job.id",
    "hydra.job.num",
)

# Hydra's command-line flags that choose the config; a run needs them as the multirun had them.
_CONFIG_FLAGS = (("config_path", "--config-path"), ("config_name", "--config-name"))


def returned_metrics(value: object, metric: str) -> dict[str, float]:
    """A Hydra task function's return value as a run's metrics.

    Args:
        value: What the task function returned.
        metric: The name a single number is stored under.

    Returns:
        ``{}`` for None (the metrics then come from ``seedwise.record`` or
        ``--metric``); ``{metric: value}`` for a real number (an int, a
        float, a NumPy scalar); the mapping's items for a mapping (a dict or
        a ``DictConfig``) of metric names to real numbers.

    Raises:
        InvalidResultError: A mapping with a bad name or value
            (:func:`~seedwise.experiment.values.check_metrics`), or anything else.

    Example:
        >>> returned_metrics(0.25, "objective"), returned_metrics({"acc": 1}, "objective")
        ({'objective': 0.25}, {'acc': 1.0})
    """
    if value is None:
        return {}
    number = real_number(value)
    if number is not None:
        return check_metrics({metric: number})
    if isinstance(value, DictConfig):
        value = OmegaConf.to_container(value, resolve=True)
    if isinstance(value, Mapping):
        return check_metrics(value)
    shown = repr(value)
    raise InvalidResultError(
        f"A Hydra task function must return a number, a mapping of metric names to numbers, "
        f"or None. Received: {shown if len(shown) <= 60 else shown[:57] + '...'} (of type "
        f"{type(value).__name__}); expected e.g. return val_loss, or return "
        "{'val_loss': val_loss, 'acc': acc}"
    )


class ReturnedMetrics(Callback):
    """A Hydra callback that records the task function's return value as the run's metrics.

    Added by the launcher to every run's Hydra config
    (``++hydra.callbacks.seedwise_metrics._target_=...``); a ``seedwise run``
    of a Hydra app may add it too. Outside a seedwise run it does nothing.
    Hydra turns a callback's exceptions into warnings, so a return value
    seedwise refuses is kept on the run's context, and the run fails with it.
    """

    def __init__(self, metric: str = "objective") -> None:
        self.metric = metric

    def on_job_end(self, config: DictConfig, job_return: JobReturn, **kwargs: Any) -> None:
        """Record what the job returned, if it finished and runs under seedwise."""
        context = current_context()
        if context is None or job_return.status is not JobStatus.COMPLETED:
            return
        try:
            metrics = returned_metrics(job_return.return_value, self.metric)
            if metrics:
                context.record(**metrics)
        except UsageError as error:
            context.refused_result = error


@dataclass(frozen=True)
class LaunchOptions:
    """The launcher's options, as ``hydra.launcher.*`` sets them (see the plugin's config).

    ``seed`` is the sweep's seed (every cell's repeat ``i`` has the same
    run seed); ``seed_key`` the config key each run's seed is handed to
    (None: none); ``metric`` the name a returned number is stored under.
    The others are ``seedwise.sweep``'s.
    """

    repeats: int = 30
    seed: int = 0
    store: str | None = None
    name: str | None = None
    workers: int | None = None
    threads: int = 1
    timeout: float | None = None
    metric: str = "objective"
    seed_key: str | None = "seed"
    deterministic: bool | str = True
    frameworks: tuple[str, ...] | None = None
    retry_failed: bool = False
    allow_code_change: bool = False
    max_failures: int | None = None
    executor: str = "local"
    scheduler: str | None = None

    @classmethod
    def from_config(cls, params: Mapping[str, Any]) -> LaunchOptions:
        """The options from the launcher's config node (its ``_target_`` left out)."""
        given = {key: value for key, value in params.items() if not key.startswith("_")}
        if given.get("frameworks") is not None:
            given["frameworks"] = tuple(given["frameworks"])
        return cls(**given)


@dataclass(frozen=True)
class _Job:
    """One job of the multirun: its overrides, its config, and the cell it becomes."""

    number: int
    overrides: tuple[str, ...]
    config: DictConfig
    cell: dict[str, Any]
    values: dict[str, Any]


def _key(override: Override) -> str:
    key = override.key_or_group
    return f"{key}@{override.package}" if override.package else key


def _value(override: Override) -> Any:
    value = override.value()
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return override.get_value_element_as_str()


def _literal(word: str) -> str:
    """``word`` with its braces doubled: a script's arguments read ``{...}`` as placeholders."""
    return word.replace("{", "{{").replace("}", "}}")


def _flags(script: Path) -> list[str]:
    """The config flags (``--config-name``, ``--config-path``, ``--config-dir``) it was given."""
    if not sys.argv or Path(sys.argv[0]).resolve() != script:
        return []
    from hydra._internal.utils import get_args_parser

    parsed, _ = get_args_parser().parse_known_args(sys.argv[1:])
    flags = [
        f"{flag}={getattr(parsed, name)}" for name, flag in _CONFIG_FLAGS if getattr(parsed, name)
    ]
    if parsed.config_dir:
        flags.append(f"--config-dir={parsed.config_dir}")
    return flags


def _forwarded(config: DictConfig) -> list[str]:
    """The multirun's own Hydra overrides that every run takes too."""
    words = [str(word) for word in config.hydra.overrides.hydra]
    return [
        word for word in words if not word.partition("=")[0].lstrip("+~").startswith(_NOT_FORWARDED)
    ]


def _script(task_function: Callable[..., Any]) -> Path:
    """The app: the script Hydra runs in, else the file that defines the task function."""
    if sys.argv and sys.argv[0].endswith(".py") and Path(sys.argv[0]).is_file():
        return Path(sys.argv[0]).resolve()
    source = inspect.getsourcefile(task_function)
    if source is None:
        raise UsageError(
            f"The Hydra app's file cannot be found. Received: task function "
            f"{getattr(task_function, '__qualname__', task_function)!r}; expected an app run "
            "as python app.py -m hydra/launcher=seedwise ..."
        )
    return Path(source).resolve()


def _jobs(
    config: DictConfig,
    job_overrides: Sequence[Sequence[str]],
    initial_job_idx: int,
    compose: Callable[[list[str]], DictConfig],
) -> list[_Job]:
    """Each job, composed (bad overrides fail here, before anything runs), as a sweep cell.

    A cell's grid values are the overrides the multirun sweeps (``lr=0.1,0.01``);
    its config is every override of the job, the swept ones last.
    """
    parser = OverridesParser.create()
    task = [str(word) for word in config.hydra.overrides.task]
    swept = {_key(o) for o in parser.parse_overrides(task) if o.is_sweep_override()}
    jobs = []
    for index, overrides in enumerate(job_overrides):
        parsed = parser.parse_overrides(list(overrides))
        values = {_key(o): _value(o) for o in parsed}
        grid = {key: value for key, value in values.items() if key in swept} or values
        fixed = {key: value for key, value in values.items() if key not in grid}
        number = initial_job_idx + index
        jobs.append(
            _Job(
                number=number,
                overrides=tuple(overrides),
                config=compose(list(overrides)),
                cell={**fixed, **grid} or {"job": number},
                values=grid or {"job": number},
            )
        )
    return jobs


def _seed_word(job: _Job, seed_key: str | None) -> list[str]:
    """``KEY={seed}`` for a job whose config has the seed key and whose overrides leave it be."""
    if seed_key is None or seed_key in job.values or seed_key in job.cell:
        return []
    found = OmegaConf.select(job.config, seed_key, default=None, throw_on_missing=False)
    if found is None:
        if seed_key != LaunchOptions.seed_key:
            raise UsageError(
                f"The Hydra app's config has no key {seed_key!r} to hand each run its seed. "
                f"Received: hydra.launcher.seed_key={seed_key}; expected a key of the config, "
                "or hydra.launcher.seed_key=null"
            )
        return []
    return [f"{seed_key}={{seed}}"]


def launch(
    options: LaunchOptions,
    config: DictConfig,
    task_function: Callable[..., Any],
    job_overrides: Sequence[Sequence[str]],
    initial_job_idx: int,
    compose: Callable[[list[str]], DictConfig],
) -> list[JobReturn]:
    """Run the jobs of a Hydra multirun as the cells of one seedwise sweep.

    Args:
        options: The launcher's options.
        config: The multirun's config, its ``hydra`` node included.
        task_function: The app's task function (its file is the app, unless
            Hydra runs in another script).
        job_overrides: Each job's overrides, from Hydra's sweeper.
        initial_job_idx: The number of the first job.
        compose: A job's config from its overrides (Hydra's config loader).

    Returns:
        One ``JobReturn`` per job: its return value the mean over the
        cell's finished runs of ``options.metric`` when every such run has
        it, else a dict of each metric's mean; a job none of whose runs
        finished is ``FAILED``.

    Raises:
        SystemExit: Bad input (code 2, one line ``seedwise: error: ...``),
            an interrupt (130), another seedwise error (its code).
    """
    try:
        return _launch(options, config, task_function, job_overrides, initial_job_idx, compose)
    except SweepInterrupted as stopped:
        print(f"seedwise: {stopped}", file=sys.stderr)
        raise SystemExit(stopped.exit_code) from None
    except SeedwiseError as error:
        print(f"seedwise: error: {error}", file=sys.stderr)
        raise SystemExit(error.exit_code) from None


def _launch(
    options: LaunchOptions,
    config: DictConfig,
    task_function: Callable[..., Any],
    job_overrides: Sequence[Sequence[str]],
    initial_job_idx: int,
    compose: Callable[[list[str]], DictConfig],
) -> list[JobReturn]:
    script = _script(task_function)
    head = [*_flags(script), *_forwarded(config)]
    jobs = _jobs(config, job_overrides, initial_job_idx, compose)
    tail = [] if is_hydra_app(script) else ["hydra.run.dir={workdir}"]
    tail += [
        f"++hydra.callbacks.{CALLBACK}._target_={ReturnedMetrics.__module__}.ReturnedMetrics",
        f"++hydra.callbacks.{CALLBACK}.metric={override_value(options.metric)}",
    ]
    given = {
        key: getattr(options, key)
        for key in (
            "repeats", "seed", "store", "workers", "threads", "timeout", "deterministic",
            "frameworks", "retry_failed", "allow_code_change", "max_failures", "executor",
            "scheduler",
        )
    }  # fmt: skip
    study, run_options = split_keywords(given)
    sources = [
        resolve_experiment(
            ScriptRef(
                str(script),
                tuple(_literal(word) for word in (*head, *job.overrides))
                + tuple(_seed_word(job, options.seed_key))
                + tuple(tail),
            )
        )
        for job in jobs
    ]
    if options.name is not None:
        sweep_name = check_sweep_name(options.name)
    else:
        task = [_literal(str(word)) for word in config.hydra.overrides.task]
        first = prepare_study(sources[0], **study)
        whole = ScriptRef(str(script), (*head, *task))
        named, _, digest = default_study_name(whole, {}, first.seed, first.settings).rpartition("-")
        sweep_name = f"{named}-sweep-{digest}"
    specs = [
        prepare_study(source, config=job.cell, name=cell_name(sweep_name, job.values), **study)
        for source, job in zip(sources, jobs, strict=True)
    ]
    for job, spec in zip(jobs, specs, strict=True):
        log.info("\t#%d : %s -> %s", job.number, " ".join(job.overrides), spec.name)
    log.info(
        "seedwise: %d jobs x %d repeats as sweep %r in %s",
        len(jobs), run_options.repeats, sweep_name, run_options.store,
    )  # fmt: skip
    outcome = run_sweep(specs, run_options, sweep_name)
    returns = [
        _job_return(job, cell, options.metric, config)
        for job, cell in zip(jobs, outcome.cells, strict=True)
    ]
    _write_index(config, sweep_name, run_options.store, jobs, outcome.cells)
    store_words = (
        [] if run_options.store == default_store_path() else ["--store", str(run_options.store)]
    )
    log.info("seedwise: %s", shlex.join(["seedwise", "rank", sweep_name, *store_words]))
    return returns


def _means(cell: StudyRun, metric: str) -> float | dict[str, float]:
    """Each metric's mean over the cell's finished runs; ``metric``'s alone where all have it."""
    finished = [run.metrics for run in cell.runs if run.status is RunStatus.OK]
    names = list(dict.fromkeys(name for metrics in finished for name in metrics))
    means = {}
    for name in names:
        values = [m[name] for m in finished if name in m and math.isfinite(m[name])]
        means[name] = math.fsum(values) / len(values) if values else math.nan
    if metric in means and all(metric in m for m in finished):
        return means[metric]
    return means


def _job_return(job: _Job, cell: StudyRun, metric: str, config: DictConfig) -> JobReturn:
    ret = JobReturn()
    ret.overrides = list(job.overrides)
    ret.cfg = OmegaConf.masked_copy(job.config, [str(k) for k in job.config if k != "hydra"])
    ret.hydra_cfg = OmegaConf.masked_copy(job.config, ["hydra"])
    ret.working_dir = str(run_folder(Path(cell.store), cell.study))
    ret.task_name = str(config.hydra.job.name)
    ok = [run for run in cell.runs if run.status is RunStatus.OK]
    failed = [run for run in cell.runs if run.status is not RunStatus.OK]
    log.info("\t#%d : %s: %d of %d runs ok", job.number, cell.study, len(ok), cell.repeats)
    if ok:
        ret.status = JobStatus.COMPLETED
        ret.return_value = _means(cell, metric)
    else:
        first = failed[0].error if failed and failed[0].error else "no run finished"
        ret.status = JobStatus.FAILED
        ret.return_value = UsageError(
            f"No run of {cell.study!r} finished ({len(failed)} did not). Received: "
            f"{first.strip().splitlines()[-1] if first.strip() else first}; expected at least "
            f"one finished run (seedwise show {shlex.quote(cell.study)} --repeat 0)"
        )
    return ret


def _write_index(
    config: DictConfig,
    sweep: str,
    store: Path,
    jobs: Sequence[_Job],
    cells: Sequence[StudyRun],
) -> None:
    """``seedwise.yaml`` in the multirun's folder: which study and folder each job's runs are."""
    folder = Path(str(config.hydra.sweep.dir))
    index = {
        "sweep": sweep,
        "store": str(Path(store).absolute()),
        "jobs": [
            {
                "num": job.number,
                "overrides": list(job.overrides),
                "study": cell.study,
                "runs": str(run_folder(Path(cell.store), cell.study)),
            }
            for job, cell in zip(jobs, cells, strict=True)
        ],
    }
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "seedwise.yaml").write_text(OmegaConf.to_yaml(OmegaConf.create(index)))


def job_config(config: DictConfig, number: int) -> DictConfig:
    """``config`` with ``hydra.job.id`` and ``hydra.job.num`` set to ``number``, as Hydra's own."""
    with open_dict(config):
        config.hydra.job.id = number
        config.hydra.job.num = number
    return config
