"""A Hydra app as its users write one: ``@hydra.main``, a config group, the seed in the config.

Linear regression by minibatch SGD (with momentum in ``model=momentum``) on
data drawn from ``cfg.seed``. It writes its weights into Hydra's output
folder (``hydra.runtime.output_dir``) and returns what ``cfg.report`` asks
for: ``number`` the validation loss, ``mapping`` a dict of metrics,
``nothing`` None (it prints ``val_loss=...`` either way), ``text`` a string.
"""

import logging
from pathlib import Path

import hydra
import numpy as np
from hydra.core.hydra_config import HydraConfig
from omegaconf import DictConfig

log = logging.getLogger(__name__)


def fit(cfg: DictConfig, rng: np.random.Generator) -> tuple[np.ndarray, float, float]:
    n = cfg.data.n_samples
    x = rng.normal(size=(n, 3))
    y = x @ np.array([1.0, -2.0, 0.5]) + cfg.data.noise * rng.normal(size=n)
    train, val = slice(0, n * 3 // 4), slice(n * 3 // 4, n)
    weights = 0.1 * rng.normal(size=3)
    velocity = np.zeros(3)
    beta = cfg.model.get("beta", 0.0)
    for _ in range(cfg.model.epochs):
        order = rng.permutation(n * 3 // 4)
        for batch in np.array_split(order, 8):
            xb, yb = x[train][batch], y[train][batch]
            gradient = 2 * xb.T @ (xb @ weights - yb) / len(batch)
            velocity = beta * velocity + gradient
            weights = weights - cfg.model.lr * velocity
    train_loss = float(np.mean((x[train] @ weights - y[train]) ** 2))
    val_loss = float(np.mean((x[val] @ weights - y[val]) ** 2))
    return weights, train_loss, val_loss


@hydra.main(version_base=None, config_path="conf", config_name="config")
def main(cfg: DictConfig):
    weights, train_loss, val_loss = fit(cfg, np.random.default_rng(cfg.seed))
    output = Path(HydraConfig.get().runtime.output_dir)
    (output / "weights.bin").write_bytes(weights.tobytes())
    log.info("val_loss=%r", val_loss)
    print(f"val_loss={val_loss!r}")
    if cfg.report == "mapping":
        return {"val_loss": val_loss, "train_loss": train_loss}
    if cfg.report == "text":
        return f"val_loss={val_loss}"
    if cfg.report == "nothing":
        return None
    return val_loss


if __name__ == "__main__":
    main()
