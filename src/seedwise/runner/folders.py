"""Where a store's runs keep their files: one folder beside the store, one below it per study."""

from __future__ import annotations

from pathlib import Path

from seedwise.runner.spec import safe_name
from seedwise.store.opening import DEFAULT_STORE_FOLDER

__all__ = ["repeat_folder", "run_folder", "runs_root", "store_tree", "worker_log_dir"]


def runs_root(store: Path) -> Path:
    """The folder of a store's runs, beside it: ``<store folder>/<store name>-runs/``.

    Named after the store, so that two stores in one folder keep their runs
    apart (``results.db`` has ``results-runs/``; the default store,
    ``.seedwise/seedwise.db``, has ``.seedwise/seedwise-runs/``).

    Absolute, resolved against the working folder when it is called (in the
    runner, before any worker starts): a worker's run may move to another
    folder, and a relative path would follow it there.
    """
    path = Path(store).absolute()
    return path.parent / f"{path.stem}-runs"


def run_folder(store: Path, study: str) -> Path:
    """The folder of a study's runs: ``<runs root>/<study>/``."""
    return runs_root(store) / safe_name(study)


def repeat_folder(store: Path, study: str, repeat: int) -> Path:
    """The folder of one run's artefacts and ``output.log``: ``<run folder>/<repeat, 5 digits>``."""
    return run_folder(store, study) / f"{repeat:05d}"


def worker_log_dir(store: Path, study: str) -> Path:
    """Where a study's workers write their output: ``<run folder>/workers/``."""
    return run_folder(store, study) / "workers"


def store_tree(store: Path) -> Path:
    """The folder tree a store belongs to, where the code of its studies may lie.

    The folder that holds the store; for a store in a ``.seedwise`` folder
    (the default store, ``.seedwise/seedwise.db``), the folder that holds
    that one: the project whose experiments it records. Resolved, links
    followed.
    """
    folder = Path(store).expanduser().resolve().parent
    return folder.parent if folder.name == DEFAULT_STORE_FOLDER else folder
