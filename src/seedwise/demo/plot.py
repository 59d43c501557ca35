"""The demo's figure: MSE of every repeat at two training lengths, paired by seed."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from seedwise.demo.story import DemoResult

__all__ = ["plot_mse"]


def plot_mse(result: DemoResult, path: Path) -> Path | None:
    """Draw the MSE of each repeat for both studies, a line per seed; None without matplotlib."""
    try:
        import matplotlib
    except ImportError:
        return None
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    short = result.studies["short"]
    long = result.studies["long"]
    by_seed_long = {run.seed: run.metrics.get("mse") for run in long.runs if run.status == "ok"}
    pairs = [
        (run.metrics["mse"], by_seed_long[run.seed])
        for run in short.runs
        if run.status == "ok" and run.seed in by_seed_long and "mse" in run.metrics
    ]
    floor = 1e-16
    figure, axis = plt.subplots(figsize=(6.4, 4.2), dpi=120)
    # A fixed jitter, so the figure is the same each time the demo draws it.
    rng = np.random.default_rng(0)
    left = rng.uniform(-0.06, 0.06, len(pairs))
    right = 1 + rng.uniform(-0.06, 0.06, len(pairs))
    first = np.maximum(np.asarray([p[0] for p in pairs], dtype=float), floor)
    second = np.maximum(np.asarray([p[1] or floor for p in pairs], dtype=float), floor)
    for i in range(len(pairs)):
        axis.plot([left[i], right[i]], [first[i], second[i]], color="0.8", lw=0.8, zorder=1)
    axis.scatter(left, first, s=18, zorder=3)
    axis.scatter(right, second, s=18, zorder=3)
    plan = result.plan
    axis.set_xticks([0, 1], [f"{plan.epochs} epochs", f"{plan.long_epochs} epochs"])
    axis.set_yscale("log")
    axis.set_ylabel("MSE on the training sequence (log scale)")
    axis.set_title(
        f"The tutorial's network, {len(pairs)} seeds, Keras on {plan.backend}\n"
        "each line joins the two runs of one seed"
    )
    axis.grid(axis="y", alpha=0.3)
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path)
    plt.close(figure)
    return path
