"""Experiments whose own processes start fresh interpreters (spawn, forkserver).

Each such process imports, by module name, what it unpickles: the function
and the class defined below, and the dataset a torch ``DataLoader`` sends to
its workers.
"""

from __future__ import annotations

import multiprocessing
from typing import Any

#: The start methods whose children are fresh interpreters: forkserver is Linux's default
#: from Python 3.14.
FRESH_METHODS = ("spawn", "forkserver")


def square(value: int) -> int:
    return value * value


class Shift:
    """A callable instance: its class is imported by name in the child, like a function."""

    def __init__(self, by: int) -> None:
        self.by = by

    def __call__(self, value: int) -> int:
        return value + self.by


def pool_squares(ctx: Any) -> dict[str, float]:
    """For each fresh start method, squares and shifts of 0..3 computed by a pool of two."""
    metrics: dict[str, float] = {}
    for method in FRESH_METHODS:
        with multiprocessing.get_context(method).Pool(2) as pool:
            metrics[f"{method}_squares"] = float(sum(pool.map(square, range(4))))
            metrics[f"{method}_shifted"] = float(sum(pool.map(Shift(ctx.repeat + 1), range(4))))
    return metrics


class Noise:
    """A map-style dataset whose items are drawn in the loader's worker, from torch's generator."""

    def __len__(self) -> int:
        return 4

    def __getitem__(self, index: int) -> Any:
        import torch

        return torch.rand(1)


def loader_draws(ctx: Any) -> dict[str, float]:
    """For each start method in ``ctx.config["methods"]``, items drawn by two loader workers.

    Each loader's generator is seeded from the run's seed, so its workers'
    seeds (the loader's base seed plus the worker's index) are the run's.
    """
    import torch

    metrics: dict[str, float] = {}
    for method in ctx.config["methods"]:
        loader = torch.utils.data.DataLoader(
            Noise(),
            batch_size=1,
            num_workers=2,
            multiprocessing_context=method,
            generator=torch.Generator().manual_seed(ctx.seed_for("data")),
        )
        draws = torch.cat(list(loader)).flatten().tolist()
        metrics.update({f"{method}_{index}": float(value) for index, value in enumerate(draws)})
    return metrics
