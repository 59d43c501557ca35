"""One rank of a Hugging Face ``Trainer`` script, started by ``accelerate launch``.

``trainer_ranks.py SEED DATA_SEEDS OUT MISTAKE``, as ``accelerate_ranks.py``:
a tiny BERT (random weights, nothing downloaded) trained by ``Trainer`` on
synthetic tokens, each rank on its shard. The ranks' parameters are proven
equal after initialisation and again after training; each rank saves both.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import torch

from tests.programs.ddp_ranks import FRAMEWORKS, end_rank


class Tokens(torch.utils.data.Dataset):
    """Sequences of token ids, labelled by whether token 7 is in the first half."""

    def __init__(self, n: int, seed: int) -> None:
        rng = np.random.default_rng(seed)
        self.ids = torch.tensor(rng.integers(4, 64, size=(n, 16)))
        self.labels = (self.ids[:, :8] == 7).any(dim=1).long()

    def __len__(self) -> int:
        return len(self.labels)

    def __getitem__(self, i: int) -> dict[str, torch.Tensor]:
        return {"input_ids": self.ids[i], "labels": self.labels[i]}


def main(seed: int, out: Path) -> None:
    """Seed this rank, build the model, prove the ranks agree, train, prove it again."""
    from transformers import BertConfig, BertForSequenceClassification, Trainer, TrainingArguments

    from seedwise.experiment.ranks import assert_ranks_equal, seed_rank

    args = TrainingArguments(
        output_dir=str(out / "hf"),
        num_train_epochs=1,
        per_device_train_batch_size=16,
        learning_rate=5e-4,
        save_strategy="no",
        report_to="none",
        use_cpu=True,
        disable_tqdm=True,
        seed=seed,  # the Trainer's own set_seed: the same on every rank
    )
    rank = args.process_index  # reading it sets up the process group
    seed_rank(seed, rank, frameworks=FRAMEWORKS)
    config = BertConfig(
        vocab_size=64, hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
        intermediate_size=64, max_position_embeddings=32, num_labels=2,
    )  # fmt: skip
    model = BertForSequenceClassification(config)
    assert_ranks_equal(model)
    _save(out / f"init{rank}.npz", model)
    trainer = Trainer(
        model=model, args=args, train_dataset=Tokens(128, 0), eval_dataset=Tokens(64, 1)
    )
    trainer.train()
    assert_ranks_equal(trainer.model)
    _save(out / f"final{rank}.npz", trainer.model)
    evaluation = trainer.evaluate()
    np.savez(out / f"rank{rank}.npz", world=args.world_size, eval_loss=evaluation["eval_loss"])
    torch.distributed.barrier()
    torch.distributed.destroy_process_group()
    end_rank()


def _save(path: Path, model: torch.nn.Module) -> None:
    np.savez(path, **{k: v.detach().cpu().numpy() for k, v in model.state_dict().items()})


if __name__ == "__main__":
    main(int(sys.argv[1]), Path(sys.argv[3]))
