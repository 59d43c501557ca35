"""A script whose function, run by ``seedwise.run``, starts pools: ``python THIS STORE METHOD...``.

It prints the run's status, its metrics and its error, if any.
"""

from __future__ import annotations

import multiprocessing
import sys
from typing import Any

import seedwise


def square(value: int) -> int:
    return value * value


def pool_squares(ctx: Any) -> dict[str, float]:
    """For each start method in the config, the squares of 0..3 computed by a pool of two."""
    metrics = {}
    for method in ctx.config["methods"]:
        with multiprocessing.get_context(method).Pool(2) as pool:
            metrics[method] = float(sum(pool.map(square, range(4))))
    return metrics


if __name__ == "__main__":
    study = seedwise.run(
        pool_squares,
        repeats=1,
        config={"methods": sys.argv[2:]},
        store=sys.argv[1],
        frameworks=("python",),
        timeout=20,
    )
    run = study.runs[0]
    print(run.status, sorted(run.metrics.items()), run.error)
