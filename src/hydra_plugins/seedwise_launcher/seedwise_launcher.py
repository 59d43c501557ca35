"""The launcher class Hydra instantiates for ``hydra/launcher=seedwise``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from hydra.core.utils import JobReturn, configure_log, setup_globals
from hydra.plugins.launcher import Launcher
from hydra.types import HydraContext, TaskFunction
from omegaconf import DictConfig


class SeedwiseLauncher(Launcher):
    """Runs a multirun's jobs as one seedwise sweep (:func:`seedwise.integrations.hydra.launch`)."""

    def __init__(self, **params: Any) -> None:
        self.params = params
        self.config: DictConfig | None = None
        self.hydra_context: HydraContext | None = None
        self.task_function: TaskFunction | None = None

    def setup(
        self, *, hydra_context: HydraContext, task_function: TaskFunction, config: DictConfig
    ) -> None:
        """Keep what :meth:`launch` needs."""
        self.config = config
        self.hydra_context = hydra_context
        self.task_function = task_function

    def launch(
        self, job_overrides: Sequence[Sequence[str]], initial_job_idx: int
    ) -> Sequence[JobReturn]:
        """Run every job ``repeats`` times as a cell of one seedwise sweep; one return per job."""
        from seedwise.integrations.hydra import LaunchOptions, job_config, launch

        config, context, task = self.config, self.hydra_context, self.task_function
        # Hydra calls setup before launch.
        assert config is not None
        assert context is not None
        assert task is not None
        setup_globals()
        configure_log(config.hydra.hydra_logging, config.hydra.verbose)
        numbers = iter(range(initial_job_idx, initial_job_idx + len(job_overrides)))

        def compose(overrides: list[str]) -> DictConfig:
            loaded: DictConfig = context.config_loader.load_sweep_config(config, overrides)
            return job_config(loaded, next(numbers))

        return launch(
            LaunchOptions.from_config(self.params),
            config,
            task,
            job_overrides,
            initial_job_idx,
            compose,
        )
