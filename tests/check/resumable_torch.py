"""A small torch training that checkpoints every epoch: a shuffling DataLoader, dropout."""

import numpy as np
import torch
from torch.utils.data import DataLoader, TensorDataset


def train(ctx):
    epochs = ctx.config.get("epochs", 4)
    crash_at = ctx.config.get("crash_once_at")
    own = np.random.default_rng(ctx.seed) if ctx.config.get("own_rng") else None
    data_rng = ctx.rng("data")
    x = torch.tensor(data_rng.normal(size=(64, 4)), dtype=torch.float32)
    y = x.sum(dim=1, keepdim=True)
    model = torch.nn.Sequential(
        torch.nn.Linear(4, 16), torch.nn.ReLU(), torch.nn.Dropout(0.3), torch.nn.Linear(16, 1)
    )
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05)
    loader = DataLoader(
        TensorDataset(x, y),
        batch_size=8,
        shuffle=True,
        num_workers=ctx.config.get("loader_workers", 0),
    )
    start = 0
    state = ctx.restore()
    if state is not None:
        model.load_state_dict(state["model"])
        optimizer.load_state_dict(state["optimizer"])
        start = state["epoch"] + 1
    for epoch in range(start, epochs):
        marker = ctx.workdir / "crashed-once"
        if crash_at is not None and epoch == crash_at and not marker.exists():
            marker.touch()
            raise RuntimeError("planted crash")
        total = 0.0
        for xb, yb in loader:
            noise = 0.0 if own is None else float(own.normal()) * 0.1
            loss = ((model(xb) + noise - yb) ** 2).mean()
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            total += float(loss)
        ctx.log(epoch, loss=total, jitter=float(data_rng.random()))
        ctx.fingerprint(
            "weights", {k: v.detach().numpy() for k, v in model.state_dict().items()}, step=epoch
        )
        ctx.checkpoint(
            {"model": model.state_dict(), "optimizer": optimizer.state_dict(), "epoch": epoch},
            step=epoch,
        )
    return {"loss": total}
