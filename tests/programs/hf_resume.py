"""A tiny BERT under the Hugging Face Trainer, checkpointed mid-epoch and resumed.

``config["carry"]``: ``"all"`` (SeedwiseCallback as it is) or ``"trainer"``
(seedwise's random states dropped: only the Trainer's own ``rng_state.pth``
is carried). ``config["noise"]``: the loss draws from ``ctx.rng("noise")``.
"""

import torch
from transformers import (
    BertConfig,
    BertForSequenceClassification,
    Trainer,
    TrainerCallback,
    TrainingArguments,
)
from transformers.trainer_utils import get_last_checkpoint

from seedwise import derive_seed
from seedwise.integrations.huggingface import SeedwiseCallback, _states


class Sequences(torch.utils.data.Dataset):
    def __init__(self, rng, n=48, length=8, augment=False, seed=0):
        self.ids = torch.tensor(rng.integers(1, 50, size=(n, length)))
        self.labels = (self.ids.sum(dim=1) % 2).tolist()
        self.augment = augment
        self.seed = seed
        self.epoch = 0

    def __len__(self):
        return len(self.labels)

    def __getitem__(self, i):
        ids = self.ids[i]
        if self.augment == "stream":  # drawn in the loader's worker, from its own generator
            ids = torch.where(torch.rand(ids.shape) < 0.2, torch.zeros_like(ids), ids)
        elif self.augment == "keyed":  # a generator of its own for each (epoch, example)
            keyed = torch.Generator().manual_seed(derive_seed(self.seed, "augment", self.epoch, i))
            ids = torch.where(torch.rand(ids.shape, generator=keyed) < 0.2, 0, ids)
        return {"input_ids": ids, "labels": self.labels[i]}


class EpochToDataset(TrainerCallback):
    """Tells the dataset the epoch before the loader's workers copy it."""

    def __init__(self, dataset):
        self.dataset = dataset

    def on_epoch_begin(self, args, state, control, **kwargs):
        self.dataset.epoch = int(state.epoch or 0)


class TrainerStatesOnly(SeedwiseCallback):
    """Carries the record and the resume, not seedwise's random states."""

    def on_save(self, args, state, control, **kwargs):
        step = state.global_step
        payload = self.ctx.checkpoint_payload(None, step=step)
        payload["random"], payload["streams"] = {}, {}
        _states(args, step).write(payload, step)
        self.ctx.checkpoint_written(step)


def train(ctx):
    data = Sequences(
        ctx.rng("data"), augment=ctx.config.get("augment"), seed=ctx.seed_for("augment")
    )
    config = BertConfig(
        vocab_size=50, hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
        intermediate_size=37, max_position_embeddings=16, num_labels=2,
    )  # fmt: skip
    model = BertForSequenceClassification(config)
    output = ctx.workdir / "hf"
    args = TrainingArguments(
        output_dir=str(output),
        per_device_train_batch_size=8,
        num_train_epochs=ctx.config.get("epochs", 2),
        learning_rate=1e-3,
        save_strategy="steps",
        save_steps=ctx.config.get("save_steps", 4),
        logging_steps=1,
        report_to=[],
        use_cpu=True,
        disable_tqdm=True,
        dataloader_num_workers=ctx.config.get("loader_workers", 2),
        accelerator_config={"use_seedable_sampler": ctx.config.get("seedable_sampler", True)},
    )
    noise = ctx.rng("noise") if ctx.config.get("noise") else None

    def loss(outputs, labels, num_items_in_batch=None):
        value = torch.nn.functional.cross_entropy(outputs.logits, labels)
        return value if noise is None else value + float(noise.normal()) * 0.01

    callback = (TrainerStatesOnly if ctx.config.get("carry") == "trainer" else SeedwiseCallback)(
        ctx
    )
    trainer = Trainer(
        model=model,
        args=args,
        train_dataset=data,
        callbacks=[callback, EpochToDataset(data)],
        compute_loss_func=loss,
    )
    last = get_last_checkpoint(str(output)) if output.exists() else None
    result = trainer.train(resume_from_checkpoint=last)
    weights = {k: v.detach().numpy() for k, v in model.state_dict().items()}
    ctx.fingerprint("weights", weights, step=trainer.state.global_step)
    losses = [step.value for step in ctx.steps if step.name == "loss"]
    metrics = {"loss": losses[-1], "trainer_seed": float(trainer.args.seed)}
    if ctx.config.get("return_training_loss"):
        metrics["training_loss"] = result.training_loss
    return metrics
