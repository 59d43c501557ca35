"""Real training code, written as its users write it, for the tests that run it under seedwise.

``torch_loader``: a PyTorch loop with dropout and a DataLoader of two worker
processes whose dataset augments with NumPy's global generator.
``lightning_module``: a LightningModule trained by ``Trainer(max_epochs=2)``.
``sklearn_defaults``: scikit-learn models left at ``random_state=None``
(one with ``n_jobs=2``) and pandas sampling without a seed.
"""

from __future__ import annotations

from typing import Any

import numpy as np


def _dataset(ctx: Any) -> Any:
    import torch

    class Noisy(torch.utils.data.Dataset[tuple[Any, Any]]):
        """y = 2x + 1 with augmentation noise drawn, per item, from NumPy's global generator."""

        def __init__(self) -> None:
            self.x = np.linspace(-1, 1, 64, dtype=np.float32)

        def __len__(self) -> int:
            return len(self.x)

        def __getitem__(self, index: int) -> tuple[Any, Any]:
            x = self.x[index] + np.float32(np.random.normal(0, 0.05))
            return torch.tensor([x]), torch.tensor([2 * self.x[index] + 1])

    return Noisy()


def _network() -> Any:
    import torch

    return torch.nn.Sequential(
        torch.nn.Linear(1, 16), torch.nn.ReLU(), torch.nn.Dropout(0.2), torch.nn.Linear(16, 1)
    )


def torch_loader(ctx: Any) -> dict[str, float]:
    """Two epochs of an MLP with dropout, fed by a DataLoader with two worker processes."""
    import torch

    loader = torch.utils.data.DataLoader(
        _dataset(ctx),
        batch_size=8,
        shuffle=True,
        num_workers=2,
        generator=torch.Generator().manual_seed(ctx.seed_for("data")),
    )
    model = _network()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    for epoch in range(2):
        total = 0.0
        for x, y in loader:
            optimizer.zero_grad()
            loss = torch.nn.functional.mse_loss(model(x), y)
            loss.backward()
            optimizer.step()
            total += float(loss)
        ctx.log(step=epoch, loss=total)
    ctx.fingerprint("weights", {k: v.detach() for k, v in model.state_dict().items()})
    return {"loss": total, "weight_sum": float(sum(p.sum() for p in model.parameters()))}


def lightning_module(ctx: Any) -> dict[str, float]:
    """A LightningModule, seeded with the run's seed, trained for two epochs."""
    import lightning as L
    import torch

    L.seed_everything(ctx.seed, verbose=False)

    class Regression(L.LightningModule):
        def __init__(self) -> None:
            super().__init__()
            self.net = _network()

        def training_step(self, batch: Any, batch_index: int) -> Any:
            x, y = batch
            loss = torch.nn.functional.mse_loss(self.net(x), y)
            self.log("loss", loss, on_epoch=True, on_step=False)
            return loss

        def configure_optimizers(self) -> Any:
            return torch.optim.Adam(self.parameters(), lr=0.01)

    model = Regression()
    loader = torch.utils.data.DataLoader(
        _dataset(ctx),
        batch_size=8,
        shuffle=True,
        generator=torch.Generator().manual_seed(ctx.seed_for("data")),
    )
    trainer = L.Trainer(
        max_epochs=2,
        accelerator="cpu",
        devices=1,
        deterministic=True,
        logger=False,
        enable_checkpointing=False,
        enable_progress_bar=False,
        enable_model_summary=False,
        default_root_dir=str(ctx.workdir),
    )
    trainer.fit(model, loader)
    ctx.fingerprint("weights", {k: v.detach() for k, v in model.state_dict().items()})
    return {"loss": float(trainer.callback_metrics["loss"])}


def sklearn_defaults(ctx: Any) -> dict[str, float]:
    """Models at random_state=None (one with n_jobs=2) and pandas .sample() without a seed."""
    import pandas as pd
    from sklearn.datasets import load_digits
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.linear_model import SGDClassifier
    from sklearn.model_selection import train_test_split

    x, y = load_digits(return_X_y=True)
    frame = pd.DataFrame(x).assign(label=y).sample(n=600)
    features, labels = frame.drop(columns="label").to_numpy(), frame["label"].to_numpy()
    x_train, x_test, y_train, y_test = train_test_split(features, labels)
    forest = RandomForestClassifier(n_estimators=10, n_jobs=2).fit(x_train, y_train)
    linear = SGDClassifier(max_iter=5, tol=None).fit(x_train, y_train)
    ctx.fingerprint("sgd", linear.coef_)
    return {
        "forest_accuracy": float(forest.score(x_test, y_test)),
        "sgd_accuracy": float(linear.score(x_test, y_test)),
    }
