"""A Lightning fit that resumes through ModelCheckpoint: a shuffling loader with workers, dropout.

``config["carry"]``: ``"all"`` (SeedwiseCallback as it is) or ``"record"``
(the steps and the resume carried, the random states dropped: what
Lightning's own checkpoint holds).
"""

import pickle

import lightning.pytorch as pl
import torch
from lightning.pytorch.callbacks import ModelCheckpoint
from torch.utils.data import DataLoader, TensorDataset

from seedwise.integrations.lightning import CHECKPOINT_KEY, SeedwiseCallback


class Regression(pl.LightningModule):
    def __init__(self):
        super().__init__()
        self.net = torch.nn.Sequential(
            torch.nn.Linear(4, 16), torch.nn.ReLU(), torch.nn.Dropout(0.3), torch.nn.Linear(16, 1)
        )

    def training_step(self, batch, batch_idx):
        x, y = batch
        loss = ((self.net(x) - y) ** 2).mean()
        self.log("loss", loss, on_step=False, on_epoch=True)
        return loss

    def validation_step(self, batch, batch_idx):
        x, y = batch
        self.log("val_loss", ((self.net(x) - y) ** 2).mean())

    def configure_optimizers(self):
        return torch.optim.SGD(self.parameters(), lr=0.05)


class RecordOnly(SeedwiseCallback):
    """Carries the record and the resume, not the random states."""

    def on_save_checkpoint(self, trainer, pl_module, checkpoint):
        super().on_save_checkpoint(trainer, pl_module, checkpoint)
        payload = pickle.loads(checkpoint[CHECKPOINT_KEY])
        payload["random"], payload["streams"] = {}, {}
        checkpoint[CHECKPOINT_KEY] = pickle.dumps(payload)


def train(ctx):
    data = ctx.rng("data")
    x = torch.tensor(data.normal(size=(64, 4)), dtype=torch.float32)
    y = x.sum(dim=1, keepdim=True)
    workers = ctx.config.get("loader_workers", 2)
    loader = DataLoader(TensorDataset(x, y), batch_size=8, shuffle=True, num_workers=workers)
    callback = (RecordOnly if ctx.config.get("carry") == "record" else SeedwiseCallback)(ctx)
    checkpoints = ModelCheckpoint(
        dirpath=ctx.workdir / "lightning", save_last=True, save_top_k=-1, every_n_epochs=1
    )
    validate = ctx.config.get("validate")
    trainer = pl.Trainer(
        max_epochs=ctx.config.get("epochs", 3),
        accelerator="cpu",
        devices=1,
        logger=False,
        enable_progress_bar=False,
        enable_model_summary=False,
        default_root_dir=ctx.workdir,
        callbacks=[callback, checkpoints],
        limit_val_batches=2 if validate else 0,
    )
    val = DataLoader(TensorDataset(x[:16], y[:16]), batch_size=8) if validate else None
    trainer.fit(Regression(), loader, val, ckpt_path="last")
    return {"loss": float(trainer.callback_metrics["loss"])}
