"""The config of ``hydra/launcher=seedwise``: its options, registered in Hydra's ConfigStore."""

from dataclasses import dataclass
from typing import Any, Optional

from hydra.core.config_store import ConfigStore


# Hydra reads this dataclass as a structured config, and executes this module without
# registering it in sys.modules: the annotations must be real types (no
# ``from __future__ import annotations``), in the typing forms OmegaConf reads.
@dataclass
class SeedwiseLauncherConf:
    """``hydra.launcher.*``: how many repeats of every job, on which seeds, stored where.

    Attributes:
        repeats: Runs per job (per cell of the sweep).
        seed: The sweep's seed: repeat ``i`` of every job has the same run seed.
        store: The seedwise store; None for ``$SEEDWISE_STORE`` or ``.seedwise/seedwise.db``.
        name: The sweep's name; None for ``<app>-sweep-<hash>`` of the multirun's overrides.
        workers: Worker processes; None for seedwise's default.
        threads: Threads per run.
        timeout: Seconds a run may take; None for no limit.
        metric: The name a task function's returned number is stored under.
        seed_key: The config key that gets each run's seed (``seed={seed}``); null for none.
        deterministic: Deterministic ops: true, false or "warn".
        frameworks: The frameworks to seed; None for every installed one.
        retry_failed: Rerun repeats whose stored run did not finish.
        allow_code_change: Continue cells whose app's code changed.
        max_failures: Stop once this many runs have not finished.
        executor: "local" or "dask".
        scheduler: With "dask", a running scheduler's address.
    """

    _target_: str = "hydra_plugins.seedwise_launcher.seedwise_launcher.SeedwiseLauncher"
    repeats: int = 30
    seed: int = 0
    store: Optional[str] = None  # noqa: UP045
    name: Optional[str] = None  # noqa: UP045
    workers: Optional[int] = None  # noqa: UP045
    threads: int = 1
    timeout: Optional[float] = None  # noqa: UP045
    metric: str = "objective"
    seed_key: Optional[str] = "seed"  # noqa: UP045
    deterministic: Any = True
    frameworks: Optional[list[str]] = None  # noqa: UP045
    retry_failed: bool = False
    allow_code_change: bool = False
    max_failures: Optional[int] = None  # noqa: UP045
    executor: str = "local"
    scheduler: Optional[str] = None  # noqa: UP045


ConfigStore.instance().store(
    group="hydra/launcher", name="seedwise", node=SeedwiseLauncherConf, provider="seedwise"
)
