"""Draws after seed_everything when frameworks and rich are first imported mid-study.

Run as a fresh process by the tests:

    python import_order.py study FROM EAGER SEED [SEED ...]
    python import_order.py seeded OUTER
    python import_order.py report

``study``: one run per seed, each ``seed_everything(seed)`` then draws from
Python's ``random`` and NumPy; runs from index FROM on also import torch and
``rich.console`` (rich draws from Python's ``random`` on its first import)
and draw from torch and again from the others. With EAGER 1, torch and rich
are imported before the first run. Prints one JSON list: per run, its draws
(as exact hex or float lists) and whether torch and rich were imported yet.

``seeded``: Python and NumPy seeded with 0 (and with OUTER 1,
``seed_everything(5)``), then a ``seeded(99)`` block that imports torch and
rich for the first time and draws; prints the draws after the block.

``report``: the SeedReport of ``seed_everything(3)`` for python, numpy and
torch before and after torch is first imported, as JSON.
"""

from __future__ import annotations

import json
import random
import sys
from typing import Any

import numpy as np

import seedwise


def _run(index: int, start: int) -> dict[str, Any]:
    draws: dict[str, Any] = {"python": random.random().hex(), "numpy": float(np.random.rand())}
    if index >= start:
        draws["torch_before"] = "torch" in sys.modules
        draws["rich_before"] = "rich" in sys.modules
        import rich.console  # noqa: F401
        import torch

        draws["torch"] = torch.rand(3).tolist()
        draws["python_after"] = random.random().hex()
        draws["numpy_after"] = float(np.random.rand())
    return draws


def study(start: int, eager: bool, seeds: list[int]) -> list[dict[str, Any]]:
    if eager:
        import rich.console  # noqa: F401
        import torch  # noqa: F401
    runs = []
    for index, seed in enumerate(seeds):
        seedwise.seed_everything(seed)
        runs.append(_run(index, start))
    return runs


def seeded(outer: bool) -> dict[str, Any]:
    random.seed(0)
    np.random.seed(0)
    if outer:
        seedwise.seed_everything(5)
    with seedwise.seeded(99):
        import rich.console  # noqa: F401
        import torch

        torch.rand(4)
        random.random()
        np.random.rand()
    return {
        "python": random.random().hex(),
        "numpy": float(np.random.rand()),
        "torch": torch.rand(3).tolist(),
    }


def report() -> dict[str, Any]:
    seeding = seedwise.seed_everything(3, frameworks=["python", "numpy", "torch"])
    before = seeding.to_dict()
    before["torch_imported"] = "torch" in sys.modules
    import torch

    after = seeding.to_dict()
    after["text"] = str(seeding)
    after["draw"] = torch.rand(2).tolist()
    torch.manual_seed(3)
    after["expected"] = torch.rand(2).tolist()
    return {"before": before, "after": after}


if __name__ == "__main__":
    mode = sys.argv[1]
    if mode == "study":
        output: Any = study(int(sys.argv[2]), sys.argv[3] == "1", [int(s) for s in sys.argv[4:]])
    elif mode == "seeded":
        output = seeded(sys.argv[2] == "1")
    else:
        output = report()
    print(json.dumps(output))
