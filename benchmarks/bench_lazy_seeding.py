"""Seeding only what a run uses: seedwise run against plain processes, side by side.

    .venv/bin/python benchmarks/bench_lazy_seeding.py [--rounds 3] [--keras]
        [--baseline-src DIR]

Measures, alternating the commands of each pair in every round and reporting
medians over the rounds (wall time, process start included):

1. 30 repeats of a NumPy-only experiment (least squares on 200 x 20 data)
   with ``seedwise run --workers 2`` and default settings, against a shell
   loop of 30 fresh ``python`` processes running the same code; target: at
   most 0.5x;
2. 10 runs of a scikit-learn study (a random forest) with default settings,
   against the same study with ``--framework python --framework numpy``;
   target: within 10%;
3. with ``--keras``: the tutorial's Keras study
   (``seedwise.examples.sequence:train``, 30 repeats, 100 epochs,
   ``--workers 2``) against the tutorial's own loop in one process, and,
   with ``--baseline-src DIR`` (the ``src`` folder of an earlier seedwise),
   the same study run by that version; its MSEs are compared bit for bit.

Prints the figures; paste them into docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent

NUMPY_EXPERIMENT = """
import numpy as np


def train(seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(200, 20))
    y = x @ rng.normal(size=20) + rng.normal(size=200)
    coef, *_ = np.linalg.lstsq(x, y, rcond=None)
    return {"mse": float(np.mean((x @ coef - y) ** 2))}


if __name__ == "__main__":
    import sys

    print(train(int(sys.argv[1])))
"""

SKLEARN_EXPERIMENT = """
from sklearn.datasets import make_classification
from sklearn.ensemble import RandomForestClassifier
from sklearn.model_selection import cross_val_score


def train(ctx):
    x, y = make_classification(n_samples=300, n_features=20, random_state=ctx.seed)
    model = RandomForestClassifier(n_estimators=20, random_state=ctx.seed)
    return {"accuracy": float(cross_val_score(model, x, y, cv=3).mean())}
"""

TUTORIAL_LOOP = """
import numpy as np
import keras
sequence = np.arange(10, dtype=np.float32) / 10
x, y = sequence[:-1], sequence[1:]
for _ in range({repeats}):
    model = keras.Sequential([keras.Input((1,)), keras.layers.Dense(10), keras.layers.Dense(1)])
    model.compile(loss="mean_squared_error", optimizer="adam")
    model.fit(x, y, epochs={epochs}, batch_size=len(x), verbose=0)
    model.predict(x, verbose=0)
"""


def timed(command: list[str] | str, env: dict[str, str], cwd: Path) -> tuple[float, str]:
    start = time.perf_counter()
    completed = subprocess.run(
        command, capture_output=True, text=True, env=env, cwd=cwd, shell=isinstance(command, str)
    )
    elapsed = time.perf_counter() - start
    if completed.returncode != 0:
        raise SystemExit(f"failed: {command}\n{completed.stderr[-2000:]}")
    return elapsed, completed.stdout


def seedwise_run(folder: Path, reference: str, *options: str, env: dict[str, str]) -> float:
    store = folder / "store.db"
    for runs in ("runs", "logs", "store-runs"):  # the layouts of earlier versions, and now
        shutil.rmtree(folder / runs, ignore_errors=True)
    store.unlink(missing_ok=True)
    command = [sys.executable, "-m", "seedwise", "run", reference, "--store", str(store)]
    elapsed, _ = timed([*command, *options], env, folder)
    return elapsed


def seedwise_json(folder: Path, reference: str, *options: str, env: dict[str, str]) -> Any:
    store = folder / "store.db"
    store.unlink(missing_ok=True)
    command = [sys.executable, "-m", "seedwise", "run", reference, "--store", str(store), "--json"]
    start = time.perf_counter()
    _, out = timed([*command, *options], env, folder)
    return time.perf_counter() - start, json.loads(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--keras", action="store_true")
    parser.add_argument("--baseline-src", type=Path, default=None)
    args = parser.parse_args()
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
    folder = Path(tempfile.mkdtemp(prefix="seedwise-lazy-"))
    (folder / "lsq.py").write_text(NUMPY_EXPERIMENT)
    (folder / "forest.py").write_text(SKLEARN_EXPERIMENT)
    shell_loop = f"for i in $(seq 1 30); do {sys.executable} lsq.py $i > /dev/null; done"
    trimmed = ("--framework", "python", "--framework", "numpy")

    numpy_run, numpy_loop, forest_default, forest_trimmed = [], [], [], []
    for _ in range(args.rounds):
        numpy_run.append(
            seedwise_run(folder, "lsq.py:train", "--repeats", "30", "--workers", "2", env=env)
        )
        numpy_loop.append(timed(shell_loop, env, folder)[0])
        forest_default.append(seedwise_run(folder, "forest.py:train", "--repeats", "10", env=env))
        forest_trimmed.append(
            seedwise_run(folder, "forest.py:train", "--repeats", "10", *trimmed, env=env)
        )
    median = statistics.median
    print(f"machine: {os.cpu_count()} cores, Python {sys.version.split()[0]}, {args.rounds} rounds")
    print(
        f"NumPy experiment, 30 repeats: seedwise run --workers 2 {median(numpy_run):.2f} s; "
        f"shell loop of 30 python processes {median(numpy_loop):.2f} s; ratio "
        f"{median(numpy_run) / median(numpy_loop):.2f} (target <= 0.5)"
    )
    print(
        f"scikit-learn study, 10 runs: default {median(forest_default):.2f} s; --framework "
        f"trimmed {median(forest_trimmed):.2f} s; ratio "
        f"{median(forest_default) / median(forest_trimmed):.2f} (target <= 1.10)"
    )
    if not args.keras:
        return
    reference = "seedwise.examples.sequence:train"
    options = ("--repeats", "30", "--workers", "2", "--set", "epochs=100")
    loop = TUTORIAL_LOOP.format(repeats=30, epochs=100)
    now_s, now = seedwise_json(folder, reference, *options, env=env)
    loop_s, _ = timed([sys.executable, "-c", loop], env, folder)
    print(
        f"Keras study, 30 repeats, --workers 2: {now_s:.1f} s; tutorial loop {loop_s:.1f} s; "
        f"ratio {now_s / loop_s:.2f}"
    )
    if args.baseline_src is not None:
        before_env = dict(env, PYTHONPATH=str(args.baseline_src.resolve()))
        before_s, before = seedwise_json(folder, reference, *options, env=before_env)
        same = before["metrics"]["mse"] == now["metrics"]["mse"]
        print(
            f"the same study with {args.baseline_src}: {before_s:.1f} s "
            f"(now / before {now_s / before_s:.2f}); MSEs bit-identical: {same}"
        )


if __name__ == "__main__":
    main()
