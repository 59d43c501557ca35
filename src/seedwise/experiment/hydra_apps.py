"""Hydra apps run as scripts: one output folder per run, and one job per run.

A script whose function is decorated with ``@hydra.main`` writes into
Hydra's run folder, by default ``outputs/<date>/<time>`` under the working
directory: repeats that start in the same second, as parallel workers do,
would share it and overwrite each other's ``.hydra/`` and log. So each run
of a Hydra app gets ``hydra.run.dir=<the run's folder>`` after its own
arguments, unless they set ``hydra.run.dir`` themselves (``{workdir}`` is
the run's folder as a placeholder). It is added when the run starts, not
stored with the study: the study's arguments, its identity, stay as the
user wrote them.

A Hydra multirun (``-m``, ``--multirun``, ``hydra.mode=MULTIRUN``) inside
one run would run every job of the sweep in that one run, and only its last
job's value would be kept: it is refused before anything runs, with the
two commands that do it: one ``seedwise run`` per job, or the Hydra
launcher ``hydra/launcher=seedwise`` (:mod:`seedwise.integrations.hydra`).

Whether a script is a Hydra app is read from its source, never by running
it: it imports ``hydra`` and decorates a function with ``hydra.main`` (or
with ``main`` imported from ``hydra``). An app whose ``@hydra.main`` lives
in another module is not seen; give it ``hydra.run.dir={workdir}`` yourself.
"""

from __future__ import annotations

import ast
import re
import shlex
from collections.abc import Sequence
from pathlib import Path

from seedwise.errors import ExperimentError

__all__ = [
    "HYDRA_LAUNCHER",
    "check_hydra_arguments",
    "defines_hydra_main",
    "is_hydra_app",
    "is_hydra_main",
    "override_value",
    "run_arguments",
]

#: The command that runs a Hydra multirun as a seedwise sweep, for messages.
HYDRA_LAUNCHER = "hydra/launcher=seedwise hydra.launcher.repeats=N"

_RUN_DIR = "hydra.run.dir"
_MODE = "hydra.mode"
# Hydra's argparse takes any unambiguous prefix of --multirun ("--mu"); "--m" is the shortest.
_MULTIRUN_FLAG = "--multirun"


def _decorated(
    node: ast.FunctionDef | ast.AsyncFunctionDef, modules: set[str], mains: set[str]
) -> bool:
    """Whether ``node`` carries ``@hydra.main(...)``, or ``@main(...)`` for ``main`` from hydra."""
    for decorator in node.decorator_list:
        call = decorator.func if isinstance(decorator, ast.Call) else decorator
        if isinstance(call, ast.Name) and call.id in mains:
            return True
        if (
            isinstance(call, ast.Attribute)
            and call.attr == "main"
            and isinstance(call.value, ast.Name)
            and call.value.id in modules
        ):
            return True
    return False


def _hydra_functions(tree: ast.Module) -> list[str]:
    """The functions of ``tree`` decorated with Hydra's ``main``."""
    modules: set[str] = set()  # the names "hydra" is bound to
    mains: set[str] = set()  # the names "hydra.main" is bound to
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            modules.update(
                alias.asname or alias.name for alias in node.names if alias.name == "hydra"
            )
        elif isinstance(node, ast.ImportFrom) and node.module == "hydra" and node.level == 0:
            mains.update(alias.asname or alias.name for alias in node.names if alias.name == "main")
    if not modules and not mains:
        return []
    return [
        node.name
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        and _decorated(node, modules, mains)
    ]


def defines_hydra_main(tree: ast.Module) -> bool:
    """Whether the module ``tree`` decorates a function with Hydra's ``main``."""
    return bool(_hydra_functions(tree))


def is_hydra_app(path: str | Path) -> bool:
    """Whether the script ``path`` is a Hydra app: a function of it is decorated ``@hydra.main``.

    A file that cannot be read or parsed is not one (resolving the
    experiment reports its problem).
    """
    try:
        tree = ast.parse(Path(path).expanduser().read_bytes(), str(path))
    except (OSError, SyntaxError, ValueError):
        return False
    return defines_hydra_main(tree)


def is_hydra_main(tree: ast.Module, function: str) -> bool:
    """Whether ``function``, defined in the module ``tree``, is decorated ``@hydra.main``."""
    return function in _hydra_functions(tree)


def _key(word: str) -> str:
    """An override's key, without Hydra's ``+``, ``++`` or ``~`` prefix."""
    return word.partition("=")[0].lstrip("+~")


def _multirun(word: str) -> bool:
    if word == "-m" or (len(word) > 2 and _MULTIRUN_FLAG.startswith(word)):
        return True
    key, equals, value = word.partition("=")
    return bool(equals) and _key(key) == _MODE and value.strip().upper() == "MULTIRUN"


def check_hydra_arguments(script: Path, argv: Sequence[str]) -> None:
    """Refuse a Hydra multirun given as one run's arguments.

    Args:
        script: The Hydra app.
        argv: Its arguments.

    Raises:
        ExperimentError: ``-m``, ``--multirun`` (or a prefix of it) or
            ``hydra.mode=MULTIRUN`` is among them; the message names the
            commands that run each job as runs of their own.
    """
    flagged = next((word for word in argv if _multirun(word)), None)
    if flagged is None:
        return
    jobs = [word for word in argv if word != flagged]
    launcher = shlex.join(["python", script.name, "-m", *HYDRA_LAUNCHER.split(), *jobs])
    raise ExperimentError(
        f"A Hydra multirun inside one run would keep only its last job's value. Received: "
        f"{flagged!r} in argv={list(argv)!r}; expected one job per study (seedwise run "
        f"{shlex.quote(script.name)} -- key=value, one command per job), or the multirun as a "
        f"seedwise sweep: {launcher}"
    )


def run_arguments(argv: Sequence[str], workdir: Path) -> tuple[str, ...]:
    """A Hydra app's arguments for one run: ``hydra.run.dir`` set to its folder, unless given.

    Args:
        argv: The arguments, placeholders filled.
        workdir: The run's folder.

    Example:
        >>> run_arguments(["lr=0.1"], Path("/runs/s/0"))
        ('lr=0.1', 'hydra.run.dir=/runs/s/0')
        >>> run_arguments(["hydra.run.dir=out"], Path("/runs/s/0"))
        ('hydra.run.dir=out',)
    """
    if any("=" in word and _key(word) == _RUN_DIR for word in argv):
        return tuple(argv)
    return (*argv, f"{_RUN_DIR}={override_value(str(workdir))}")


def override_value(text: str) -> str:
    """``text`` as the value of a Hydra override: quoted where Hydra's grammar would read it.

    A comma would make it a list of values, a space, ``=``, brackets or
    ``$`` would be parsed too; a value of plain path characters stays as it is.

    Example:
        >>> override_value("/runs/s/0"), override_value("/my runs,a/0")
        ('/runs/s/0', "'/my runs,a/0'")
    """
    if re.fullmatch(r"[A-Za-z0-9_/.:@-]+", text):
        return text
    # Hydra reads a backslash as an escape only before a quote or at the end of the value.
    escaped = re.sub(
        r"(\\*)('|$)", lambda m: m.group(1) * 2 + ("\\" if m.group(2) else "") + m.group(2), text
    )
    return f"'{escaped}'"
