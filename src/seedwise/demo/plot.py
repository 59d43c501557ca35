"""The demo's figure: MSE of every repeat at two training lengths, paired by seed."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from seedwise.records import RunRecord

__all__ = ["plot_mse"]


def plot_mse(
    short: Sequence[RunRecord],
    long: Sequence[RunRecord],
    *,
    epochs: tuple[int, int],
    backend: str,
    path: Path,
) -> Path | None:
    """Draw the MSE of each repeat of two studies, a line per seed; None without matplotlib.

    Args:
        short: The runs of the shorter training.
        long: The runs of the longer training.
        epochs: The two studies' epochs, for the axis.
        backend: The Keras backend, for the title.
        path: Where to write the PNG.
    """
    try:
        import matplotlib
    except ImportError:
        return None
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    by_seed_long = {run.seed: run.metrics.get("mse") for run in long if run.status.is_finished}
    pairs = [
        (run.metrics["mse"], by_seed_long[run.seed])
        for run in short
        if run.status.is_finished and run.seed in by_seed_long and "mse" in run.metrics
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
    axis.set_xticks([0, 1], [f"{epochs[0]} epochs", f"{epochs[1]} epochs"])
    axis.set_yscale("log")
    axis.set_ylabel("MSE on the training sequence (log scale)")
    axis.set_title(
        f"The tutorial's network, {len(pairs)} seeds, Keras on {backend}\n"
        "each line joins the two runs of one seed"
    )
    axis.grid(axis="y", alpha=0.3)
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path)
    plt.close(figure)
    return path
