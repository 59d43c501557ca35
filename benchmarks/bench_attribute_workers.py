"""``seedwise attribute`` on a small PyTorch model: now against an earlier seedwise, side by side.

    .venv/bin/python benchmarks/bench_attribute_workers.py --baseline-src DIR [--rounds 3]
        [--repeats 6]

``DIR`` is the ``src`` folder of the version to compare with, e.g. the one
before the studies of an attribution shared their workers:
``git archive 89687b6 src | tar -x -C /tmp/before`` then ``--baseline-src
/tmp/before/src``. Each round runs both, alternately, on a fresh store: 3
sources (init, data order, dropout), so 5 studies of ``--repeats`` runs,
``--workers 2``. Prints each time (wall time, process start included), the
medians and their ratio, and whether both gave the same attribution to the
last bit.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

EXPERIMENT = """
import torch
from torch.utils.data import DataLoader, TensorDataset


def train(ctx, epochs=2, hidden=16):
    def generator(stream):
        return torch.Generator().manual_seed(ctx.seed_for(stream))

    x = torch.linspace(0, 0.8, 9).unsqueeze(1)
    dataset = TensorDataset(x, x + 0.1)
    hidden_layer, output = torch.nn.Linear(1, hidden), torch.nn.Linear(hidden, 1)
    init, dropout = generator("init"), generator("dropout")
    for layer in (hidden_layer, output):
        torch.nn.init.xavier_uniform_(layer.weight, generator=init)
        torch.nn.init.zeros_(layer.bias)
    loader = DataLoader(dataset, batch_size=3, shuffle=True, generator=generator("data"))
    params = [*hidden_layer.parameters(), *output.parameters()]
    optimizer = torch.optim.Adam(params, lr=0.01)
    for _ in range(epochs):
        for xb, yb in loader:
            hidden_values = torch.relu(hidden_layer(xb))
            keep = torch.bernoulli(torch.full_like(hidden_values, 0.9), generator=dropout)
            loss = torch.nn.functional.mse_loss(output(hidden_values * keep / 0.9), yb)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    return {"mse": float(loss.detach())}
"""


def attribute(folder: Path, store: Path, repeats: int, env: dict[str, str]) -> tuple[float, str]:
    command = [sys.executable, "-m", "seedwise", "attribute", "exp.py:train"]
    command += ["--sources", "init,data,dropout", "--repeats", str(repeats), "--workers", "2"]
    command += ["--store", str(store), "--json"]
    start = time.perf_counter()
    completed = subprocess.run(command, capture_output=True, text=True, env=env, cwd=folder)
    elapsed = time.perf_counter() - start
    if completed.returncode != 0:
        raise SystemExit(f"failed: {' '.join(command)}\n{completed.stderr[-2000:]}")
    return elapsed, completed.stdout


def shares(output: str) -> object:
    """The attributions (shares, intervals, variances): equal only if every value was."""
    return json.loads(output)["attributions"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline-src", type=Path, required=True)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--repeats", type=int, default=6)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="seedwise-attribute-"))
    (folder / "exp.py").write_text(EXPERIMENT)
    now_env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    before_env = dict(now_env, PYTHONPATH=str(args.baseline_src.resolve()))
    times: dict[str, list[float]] = {"before": [], "now": []}
    outputs: dict[str, str] = {}
    for round_ in range(args.rounds):
        for which, env in (("before", before_env), ("now", now_env)):
            store = folder / f"{which}-{round_}.db"
            elapsed, outputs[which] = attribute(folder, store, args.repeats, env)
            times[which].append(elapsed)
            print(f"round {round_ + 1}: {which} {elapsed:.1f} s", flush=True)
    before, now = statistics.median(times["before"]), statistics.median(times["now"])
    print(f"machine: {os.cpu_count()} cores, Python {sys.version.split()[0]}")
    print(f"medians: before {before:.1f} s, now {now:.1f} s, now / before {now / before:.2f}")
    same = shares(outputs["before"]) == shares(outputs["now"])
    print(f"same shares, intervals and variances to the last bit: {same}")


if __name__ == "__main__":
    main()
