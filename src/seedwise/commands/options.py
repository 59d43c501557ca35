"""Every option value of the command line, checked while the command line is parsed.

Each ``type=`` below turns the text of one option into a value or refuses it
with one line naming the option, the value and what is accepted; argparse
prefixes the option's name and the CLI exits with code 2. Handlers receive
values that are already valid.
"""

from __future__ import annotations

import argparse
import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from seedwise.check.against import Tolerance, parse_tolerance
from seedwise.errors import UsageError
from seedwise.experiment.values import parse_assignment, parse_metric_pattern
from seedwise.report import REPORT_SUFFIXES
from seedwise.runner.dask import check_scheduler_address
from seedwise.runner.gpus import GpuExecutorFactory, parse_gpus
from seedwise.runner.slurm import SlurmExecutorFactory, check_slurm_time
from seedwise.runner.spec import MAX_REPEATS
from seedwise.seeding import FRAMEWORKS, Deterministic
from seedwise.seeding.streams import MAX_SEED
from seedwise.stats.curve_metrics import parse_curve_metric
from seedwise.store import default_store_path
from seedwise.store.names import check_study_name, check_task_name

__all__ = [
    "TRACKERS",
    "TrackerTarget",
    "tracker_target",
    "FloatRange",
    "IntRange",
    "STORE_HELP",
    "add_executor_options",
    "add_output_options",
    "add_run_settings",
    "config_from",
    "finite_number",
    "fold_count",
    "fraction",
    "framework",
    "metric_option",
    "frameworks_from",
    "non_negative_int",
    "positive_int",
    "name",
    "path_text",
    "positive_number",
    "repeat_count",
    "executor_from",
    "gpu_list",
    "executor_name",
    "report_output",
    "scheduler_address",
    "seed",
    "store_path",
]

#: The executors ``--executor`` takes.
EXECUTORS = ("local", "dask", "slurm")

STORE_HELP = "the store file (default $SEEDWISE_STORE or .seedwise/seedwise.db)"


def _integer(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        # `seedwise run train.py --seed {seed}`: the script's own option, given to seedwise.
        where = (
            " (placeholders such as {seed} go in a script's own arguments, after --)"
            if "{" in text
            else ""
        )
        raise argparse.ArgumentTypeError(
            f"not an integer. Received: {text!r}; expected a whole number such as 3{where}"
        ) from None


#: The largest integer the store keeps (SQLite's 64-bit signed integers).
MAX_INDEX = 2**63 - 1


@dataclass(frozen=True)
class IntRange:
    """An int from ``low`` to ``high``: the one type of every bounded integer option.

    Args:
        low: The smallest value accepted.
        high: The largest; by default the largest the store keeps.
        problem: What the message says of a value outside, e.g. ``"must be
            a positive int"``.

    Example:
        >>> IntRange(1, 10, "must be a digit count")("3")
        3
    """

    low: int
    high: int = MAX_INDEX
    problem: str = "is out of range"

    def __call__(self, text: str) -> int:
        value = _integer(text)
        if self.low <= value <= self.high:
            return value
        unbounded = self.high == MAX_INDEX and value < self.low
        expected = f"{self.low} or more" if unbounded else f"{self.low:,} to {self.high:,}"
        raise argparse.ArgumentTypeError(f"{self.problem}. Received: {text!r}; expected {expected}")


#: An int of 1 or more, e.g. ``--workers``, ``--threads``.
positive_int = IntRange(1, problem="must be a positive int")

#: A number of repeats: an int from 1 to :data:`MAX_REPEATS`.
repeat_count = IntRange(1, MAX_REPEATS, problem="must be a number of repeats")

#: An int of 0 or more, e.g. a repeat index.
non_negative_int = IntRange(0, problem="must be 0 or more")

#: The folds of a k-fold cross-validation (``compare --folds``): 2 or more.
fold_count = IntRange(2, problem="must be a number of folds")

#: A seed: an int in ``[0, 2**63 - 1]``.
seed = IntRange(0, MAX_SEED)


def name(text: str) -> str:
    """A study's name (``--name``), as ``check_study_name`` accepts: kept as the user typed it."""
    try:
        return check_study_name(text)
    except UsageError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def task(text: str) -> str:
    """A study's task (``--task``), as ``check_task_name`` accepts: kept as the user typed it."""
    try:
        return check_task_name(text) or text
    except UsageError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def path_text(text: str) -> str:
    """A file path that is not empty (``--store``, ``--output``)."""
    if not text.strip():
        raise argparse.ArgumentTypeError(
            f"must not be empty. Received: {text!r}; expected a file path"
        )
    return text


@dataclass(frozen=True)
class FloatRange:
    """A finite number, above ``above`` and below ``below`` where given (both bounds excluded).

    Args:
        above: The number every value must exceed, or None.
        below: The number every value must stay under, or None.
        problem: What the message says of any other value.
        example: What the message offers instead, e.g. ``"e.g. 0.5 or 30"``.
    """

    above: float | None = None
    below: float | None = None
    problem: str = "must be a finite number"
    example: str = "e.g. 0.01 or -2"

    def __call__(self, text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            value = math.nan
        inside = (self.above is None or value > self.above) and (
            self.below is None or value < self.below
        )
        if not (math.isfinite(value) and inside):
            raise argparse.ArgumentTypeError(
                f"{self.problem}. Received: {text!r}; expected {self.example}"
            )
        return value


#: A finite number above 0, e.g. ``--timeout`` in seconds.
positive_number = FloatRange(above=0, problem="must be a number above 0", example="e.g. 0.5 or 30")

#: Any finite number, e.g. ``--effect``.
finite_number = FloatRange()

#: A number strictly between 0 and 1, e.g. ``--power`` or ``--alpha``.
fraction = FloatRange(0, 1, "must be between 0 and 1", "e.g. 0.05 or 0.8")


def framework(text: str) -> str:
    """A framework name seedwise can seed, e.g. ``numpy`` or ``torch``."""

    if text not in FRAMEWORKS:
        raise argparse.ArgumentTypeError(
            f"unknown framework. Received: {text!r}; expected one of {', '.join(FRAMEWORKS)}"
        )
    return text


_DETERMINISTIC_MODES: dict[str, Deterministic] = {"on": True, "off": False, "warn": "warn"}


def deterministic_mode(text: str) -> Deterministic:
    """A deterministic mode: ``on``, ``off`` or ``warn`` (no deterministic kernel: a warning)."""
    if text not in _DETERMINISTIC_MODES:
        raise argparse.ArgumentTypeError(
            f"unknown deterministic mode. Received: {text!r}; expected on, off or warn"
        )
    return _DETERMINISTIC_MODES[text]


def deterministic_from(args: argparse.Namespace) -> Deterministic:
    """The mode of ``--deterministic MODE`` or ``--no-deterministic`` (default on).

    Raises:
        UsageError: Both were given, and they disagree.
    """
    mode: Deterministic | None = getattr(args, "deterministic", None)
    if args.no_deterministic and mode not in (None, False):
        raise UsageError(
            f"--no-deterministic and --deterministic disagree. Received: --deterministic "
            f"{ {True: 'on', 'warn': 'warn'}[mode] } with --no-deterministic; expected one of them"
        )
    if args.no_deterministic:
        return False
    return True if mode is None else mode


def tolerance(text: str) -> Tolerance:
    """``ulps=N`` or ``rel=X``: how far two runs' numbers may be apart (``check --tolerance``)."""
    try:
        return parse_tolerance(text)
    except UsageError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def _assignment(text: str) -> tuple[str, Any]:

    try:
        return parse_assignment(text)
    except UsageError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def grid_option(text: str) -> tuple[str, list[Any]]:
    """``--grid KEY=V1,V2,...``: a key and its values, each parsed as ``--set`` parses a value.

    The commas that split values are those outside brackets, braces and
    quotes, so that ``layers=[1,2],[3,4]`` is two lists.
    """
    key, equals, rest = text.partition("=")
    values: list[Any] = []
    if equals and rest:
        for item in _top_level_split(rest):
            if not item:
                raise argparse.ArgumentTypeError(
                    f"an empty value. Received: {text!r}; expected KEY=V1,V2,... with no "
                    "empty value between commas"
                )
            values.append(_assignment(f"{key}={item}")[1])
    else:
        _assignment(text)  # the key's own error, if the key is bad
        raise argparse.ArgumentTypeError(
            f"no values. Received: {text!r}; expected KEY=V1,V2,... with one value at least"
        )
    return key, values


def _top_level_split(text: str) -> list[str]:
    """``text`` split at its commas outside ``[]``, ``{}`` and double quotes."""
    parts, depth, quoted, start = [], 0, False, 0
    for index, char in enumerate(text):
        if quoted:
            quoted = char != '"' or text[index - 1] == "\\"
        elif char == '"':
            quoted = True
        elif char in "[{":
            depth += 1
        elif char in "]}":
            depth -= 1
        elif char == "," and depth == 0:
            parts.append(text[start:index])
            start = index + 1
    parts.append(text[start:])
    return parts


def report_output(text: str) -> Path:
    """Where a report goes: a path ending in ``.html``/``.htm`` or ``.md``/``.markdown``."""
    if not text or Path(text).suffix.lower() not in REPORT_SUFFIXES:
        raise argparse.ArgumentTypeError(
            f"unknown report format. Received: {text!r}; expected a path ending in "
            f"{', '.join(REPORT_SUFFIXES)}, e.g. report.html"
        )
    return Path(text).expanduser()


def latex_output(text: str) -> Path:
    """Where ``--latex`` writes its tables: a path ending in ``.tex``."""
    if not text.strip() or Path(text).suffix.lower() != ".tex":
        raise argparse.ArgumentTypeError(
            f"must be a .tex file. Received: {text!r}; expected a path such as tables.tex"
        )
    return Path(text).expanduser()


def add_latex_option(parser: argparse.ArgumentParser) -> None:
    """``--latex FILE``: the tables as LaTeX for a paper (``aggregate``, ``report``)."""
    parser.add_argument(
        "--latex",
        type=latex_output,
        metavar="FILE",
        help="also write the tables as LaTeX (booktabs) to FILE.tex, for a paper",
    )


def metric_option(text: str) -> tuple[str, str | None]:
    """``NAME`` (the metric to show), or ``NAME=REGEX`` (also how to read it from the output).

    A curve metric is a name, ``=`` in ``steps_to(loss <= 0.1)`` included.
    """
    try:
        curve = parse_curve_metric(text)
    except UsageError as error:
        raise argparse.ArgumentTypeError(str(error)) from None
    if curve is not None:
        return text.strip(), None
    if "=" not in text:
        if not text.strip():
            raise argparse.ArgumentTypeError(
                f"must name a metric. Received: {text!r}; expected NAME or NAME=REGEX"
            )
        return text.strip(), None
    try:
        return parse_metric_pattern(text)
    except UsageError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def source_list(text: str) -> tuple[str, ...]:
    """Named streams, comma-separated (``--sources init,data,dropout``)."""
    from seedwise.runner.attribution import check_sources

    try:
        return check_sources([part.strip() for part in text.split(",") if part.strip()])
    except UsageError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def executor_name(text: str) -> str:
    """Where runs execute (``--executor``): ``local``, ``dask`` or ``slurm``."""
    if text not in EXECUTORS:
        raise argparse.ArgumentTypeError(
            f"unknown executor. Received: {text!r}; expected one of {', '.join(EXECUTORS)}"
        )
    return text


def scheduler_address(text: str) -> str:
    """A Dask scheduler's address (``--scheduler``), e.g. ``tcp://10.0.0.5:8786``."""
    try:
        return check_scheduler_address(text)
    except UsageError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def slurm_time(text: str) -> str:
    """A Slurm time limit (``--time``), e.g. ``01:30:00``."""
    try:
        return check_slurm_time(text)
    except UsageError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def slurm_option(text: str) -> str:
    """One more sbatch option (``--slurm-option``), e.g. ``--account=proj``."""
    if not text.startswith("--") or any(c.isspace() for c in text):
        raise argparse.ArgumentTypeError(
            f"not one sbatch option. Received: {text!r}; expected --NAME or --NAME=VALUE, "
            "e.g. --slurm-option=--account=proj"
        )
    return text


def gpu_list(text: str) -> tuple[str, ...]:
    """GPUs for local workers (``--gpus``), e.g. ``0,1,2,3``."""
    try:
        return parse_gpus(text)
    except UsageError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


#: The trackers ``--log-to`` and ``export --to`` write to, and what each may be told after ``=``:
#: MLflow's tracking URI, the folder of TensorBoard's event files, W&B's local folder.
TRACKERS = {"mlflow": "URI", "tensorboard": "DIR", "wandb": "DIR"}


@dataclass(frozen=True)
class TrackerTarget:
    """Which tracker, and where: ``mlflow=http://HOST:PORT``, ``tensorboard=DIR``, ``wandb``."""

    tracker: str
    where: str | None = None


def tracker_target(text: str) -> TrackerTarget:
    """``--log-to`` and ``--to``'s value, checked while parsing."""
    tracker, equals, where = text.partition("=")
    if tracker not in TRACKERS:
        raise argparse.ArgumentTypeError(
            f"unknown tracker. Received: {text!r}; expected one of: "
            + ", ".join(f"{name}[={where}]" for name, where in TRACKERS.items())
        )
    if equals and not where:
        kind = TRACKERS[tracker]
        raise argparse.ArgumentTypeError(
            f"the tracker's {kind} is empty. Received: {text!r}; expected {tracker}={kind} "
            f"or {tracker}"
        )
    return TrackerTarget(tracker, where or None)


def store_path(argument: str | None) -> Path:
    """``--store``, else ``$SEEDWISE_STORE``, else ``.seedwise/seedwise.db``."""

    return Path(argument).expanduser() if argument else default_store_path()


def config_from(args: argparse.Namespace) -> dict[str, Any]:
    """The config dict of the ``--set KEY=VALUE`` options, later ones winning."""
    return dict(args.set or [])


def frameworks_from(args: argparse.Namespace) -> tuple[str, ...] | None:
    """The ``--framework`` names, or None for the default (every installed one)."""
    return tuple(args.frameworks) if args.frameworks else None


def add_output_options(parser: argparse.ArgumentParser, *, json_output: bool = True) -> None:
    """``--store`` and (unless ``json_output`` is False) ``--json``, as every store command has."""
    parser.add_argument("--store", type=path_text, help=STORE_HELP)
    if json_output:
        parser.add_argument("--json", action="store_true", help="machine-readable output")


def add_goal_option(parser: argparse.ArgumentParser) -> None:
    """``--goal {min,max}``, default None: inferred from each metric's name."""
    parser.add_argument(
        "--goal",
        choices=("min", "max"),
        default=None,
        help=(
            "min: lower is better; max: higher is better (default: from the metric's name: "
            "max for accuracy, f1, auc, reward, ..., min for loss, error, mse, time, ...; "
            "min, said in the output, when the name says neither)"
        ),
    )


def value_range(text: str) -> tuple[float, float]:
    """``LOW,HIGH``: the values a metric can take, e.g. ``0,1`` for an accuracy."""
    parts = text.split(",")
    try:
        low, high = (float(part) for part in parts) if len(parts) == 2 else (math.nan, math.nan)
    except ValueError:
        low = high = math.nan
    if not (math.isfinite(low) and math.isfinite(high) and low < high):
        raise argparse.ArgumentTypeError(
            f"must be LOW,HIGH, two finite numbers with LOW below HIGH. Received: {text!r}; "
            "expected e.g. 0,1"
        )
    return low, high


def add_range_option(parser: argparse.ArgumentParser) -> None:
    """``--range LOW,HIGH``, default None: the range the values make plain."""
    parser.add_argument(
        "--range",
        type=value_range,
        default=None,
        metavar="LOW,HIGH",
        help=(
            "the values the metric can take, e.g. 0,1: intervals stay inside, a value outside "
            "is an error, and runs in separate clusters (diverged) get the interval for "
            "bounded values (default: at least 0 where every value is; 0,1 for accuracy, f1, ...)"
        ),
    )


def add_run_settings(parser: argparse.ArgumentParser) -> None:
    """The options of ``run``, ``attribute`` and ``check``: config, threads, timeout, seeding."""
    parser.add_argument(
        "--set",
        action="append",
        type=_assignment,
        metavar="KEY=VALUE",
        help="a config entry (repeatable); VALUE is JSON when it parses, else a string",
    )
    parser.add_argument(
        "--threads", type=positive_int, default=1, help="threads per run (default 1)"
    )
    parser.add_argument("--timeout", type=positive_number, help="seconds a run may take")
    parser.add_argument(
        "--no-deterministic", action="store_true", help="leave deterministic ops off"
    )
    parser.add_argument(
        "--deterministic",
        type=deterministic_mode,
        metavar="MODE",
        help="deterministic ops: on (default), off, or warn (ops without a deterministic "
        "kernel warn instead of raising, and each one that ran is recorded with the run)",
    )
    parser.add_argument(
        "--framework",
        dest="frameworks",
        action="append",
        type=framework,
        metavar="NAME",
        help="seed only this framework (repeatable; default: every installed one)",
    )


def add_executor_options(parser: argparse.ArgumentParser) -> None:
    """``--executor``, ``--scheduler`` and the Slurm options: where runs go.

    For ``run``, ``sweep``, ``attribute`` and ``check``; :func:`executor_from`
    reads them back.
    """
    parser.add_argument(
        "--executor",
        type=executor_name,
        default="local",
        help="where runs execute: local (worker processes here), dask (a local Dask cluster "
        "of --workers processes, or the cluster of --scheduler; check starts a fresh process "
        "on a Dask worker for every run) or slurm (--workers batch jobs, default 1, each a "
        "Dask worker; the store stays here); default local",
    )
    parser.add_argument(
        "--scheduler",
        type=scheduler_address,
        metavar="tcp://HOST:PORT",
        help="with --executor dask: join this Dask scheduler's cluster (default "
        "$SEEDWISE_DASK_SCHEDULER, else a local cluster)",
    )
    gpus = parser.add_argument_group("GPUs of local workers")
    gpus.add_argument(
        "--gpus",
        type=gpu_list,
        metavar="0,1,...",
        help="one local worker per GPU (times --runs-per-gpu), each seeing its device alone "
        "through CUDA_VISIBLE_DEVICES",
    )
    gpus.add_argument(
        "--runs-per-gpu",
        type=positive_int,
        metavar="K",
        help="with --gpus: K workers share each GPU, for small runs (default 1)",
    )
    slurm = parser.add_argument_group("with --executor slurm (batch jobs, each a Dask worker)")
    slurm.add_argument("--partition", metavar="P", help="sbatch --partition of the jobs")
    slurm.add_argument(
        "--time", type=slurm_time, metavar="HH:MM:SS", help="sbatch --time of each job"
    )
    slurm.add_argument(
        "--gpus-per-run", type=positive_int, metavar="N", help="GPUs each job asks for (--gres)"
    )
    slurm.add_argument(
        "--slurm-option",
        dest="slurm_options",
        action="append",
        type=slurm_option,
        metavar="--NAME=VALUE",
        help="another sbatch option for the jobs (repeatable), e.g. --slurm-option=--qos=short",
    )


def executor_from(
    args: argparse.Namespace, *, runs_per_worker: int | None = None
) -> str | SlurmExecutorFactory | GpuExecutorFactory:
    """``--executor`` with its options: a name, or the Slurm or GPU factory they describe.

    ``runs_per_worker=1`` gives every run a fresh process (``check`` asks
    for it; a name gets it from the command itself).

    Raises:
        UsageError: A Slurm option without ``--executor slurm``, ``--gpus``
            with another executor or with ``--workers``, ``--runs-per-gpu``
            without ``--gpus``.
    """
    gpus = getattr(args, "gpus", None)
    runs_per_gpu = getattr(args, "runs_per_gpu", None)
    if runs_per_gpu is not None and gpus is None:
        raise UsageError(
            f"--runs-per-gpu goes with --gpus. Received: --runs-per-gpu {runs_per_gpu} "
            "alone; expected --gpus 0,1,... with it"
        )
    if gpus is not None:
        workers = getattr(args, "workers", None)
        if args.executor != "local" or workers is not None:
            raise UsageError(
                "--gpus starts len(gpus) x --runs-per-gpu local workers. Received: --gpus "
                f"{','.join(gpus)} with --executor {args.executor}"
                + (f" --workers {workers}" if workers is not None else "")
                + "; expected --executor local and no --workers (--gpus-per-run for Slurm)"
            )
        return GpuExecutorFactory(
            gpus=gpus,
            runs_per_gpu=runs_per_gpu or 1,
            timeout=getattr(args, "timeout", None),
            runs_per_worker=runs_per_worker,
        )
    slurm = {
        "partition": args.partition,
        "time": args.time,
        "gpus_per_run": args.gpus_per_run,
        "slurm_options": tuple(args.slurm_options or ()),
    }
    if args.executor != "slurm":
        given = [f"--{key.replace('_', '-')}" for key, value in slurm.items() if value]
        if given:
            raise UsageError(
                f"{', '.join(given)} go with --executor slurm. Received: --executor "
                f"{args.executor}; expected --executor slurm with them"
            )
        return str(args.executor)
    return SlurmExecutorFactory(
        workers=getattr(args, "workers", None),
        timeout=getattr(args, "timeout", None),
        runs_per_process=runs_per_worker,
        **slurm,
    )


#: The checkers by name, for tests that drive every one of them.
CHECKERS: dict[str, Callable[[str], Any]] = {
    "positive_int": positive_int,
    "repeat_count": repeat_count,
    "name": name,
    "path_text": path_text,
    "non_negative_int": non_negative_int,
    "seed": seed,
    "positive_number": positive_number,
    "fraction": fraction,
    "finite_number": finite_number,
    "fold_count": fold_count,
}
