"""Vectorised repeats against the tutorial's loop and ``--workers 2`` (goal: 30 in 2x one run).

    .venv/bin/python benchmarks/bench_vectorize.py [--repeats 30] [--epochs 100]
        [--tolerance-seeds 300] [--skip-keras]

Times, each in a fresh process from start to exit (wall clock, imports and
process start included):

1. one run of the tutorial's network in Keras, ``seedwise run
   seedwise.examples.sequence:train --repeats 1 --workers 1``;
2. the tutorial's own loop: one ``python`` process that builds, fits
   (``epochs`` full-batch Adam steps) and evaluates the Keras network
   ``--repeats`` times, seeding before each;
3. ``seedwise run seedwise.examples.sequence:train --repeats N --workers 2``;
4. one run of the same network as a keyed JAX function,
   ``seedwise run seedwise.examples.sequence_jax:train --repeats 1``;
5. ``seedwise run seedwise.examples.sequence_jax:train --repeats N`` alone
   (each repeat its own ``jax.jit`` call, one worker);
6. ``seedwise run seedwise.examples.sequence_jax:train --repeats N --vectorize N``.

Then, in this process: the compile and run time of the vectorised call, and
the largest difference between each repeat's MSE vectorised (30 lanes) and
alone, over ``--tolerance-seeds`` seeds. Paste the figures into the
"Vectorised repeats" section of docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TUTORIAL_LOOP = """
import sys, numpy as np, keras
repeats, epochs = int(sys.argv[1]), int(sys.argv[2])
x = (np.arange(9, dtype=np.float32) / 10)
y = x + np.float32(0.1)
for repeat in range(repeats):
    keras.utils.set_random_seed(repeat)
    model = keras.Sequential([keras.Input((1,)), keras.layers.Dense(10), keras.layers.Dense(1)])
    model.compile(loss="mean_squared_error", optimizer="adam")
    model.fit(x, y, epochs=epochs, batch_size=len(x), verbose=0)
    mse = float(np.mean((model.predict(x, verbose=0)[:, 0] - y) ** 2))
"""


def timed(command: list[str], cwd: Path) -> float:
    """Wall-clock seconds of ``command`` in a fresh process; raises if it fails."""
    environment = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
    started = time.perf_counter()
    done = subprocess.run(command, cwd=cwd, env=environment, capture_output=True, text=True)
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(f"{command} failed: {done.stderr[-2000:]}")
    return elapsed


def seedwise_run(reference: str, store: Path, *options: str) -> list[str]:
    """The ``seedwise run`` command line for ``reference`` into ``store``."""
    return [sys.executable, "-m", "seedwise", "run", reference, "--store", str(store), *options]


def in_process(repeats: int, epochs: int, tolerance_seeds: int) -> dict[str, float]:
    """Compile and run times of the vectorised call, and the vectorised-vs-alone differences."""
    import numpy as np

    from seedwise.examples.sequence_jax import train
    from seedwise.experiment.vectorized import call_batched, call_keyed
    from seedwise.seeding.streams import repeat_seed

    config = {"epochs": epochs}
    seeds = [repeat_seed(0, repeat) for repeat in range(repeats)]
    started = time.perf_counter()
    call_batched(train, seeds, config, repeats)
    first = time.perf_counter() - started
    started = time.perf_counter()
    call_batched(train, seeds, config, repeats)
    again = time.perf_counter() - started
    many = [repeat_seed(1, repeat) for repeat in range(tolerance_seeds)]
    alone = np.array([call_keyed(train, seed, config)["mse"] for seed in many])
    batched = np.array(
        [
            lane["mse"]
            for start in range(0, len(many), 30)
            for lane in call_batched(train, many[start : start + 30], config, 30)
        ]
    )
    difference = np.abs(batched - alone)
    return {
        "first_call_s": first,
        "compiled_call_s": again,
        "max_abs_difference": float(difference.max()),
        "max_relative_difference": float((difference / np.abs(alone)).max()),
        "bit_identical_fraction": float(np.mean(difference == 0)),
        "within_bound": float(np.all(difference <= 1e-5 * np.abs(alone) + 1e-9)),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=30)
    parser.add_argument("--epochs", type=int, default=100)
    parser.add_argument("--tolerance-seeds", type=int, default=300)
    parser.add_argument("--skip-keras", action="store_true", help="only the JAX timings")
    args = parser.parse_args()
    n, epochs = str(args.repeats), f"epochs={args.epochs}"
    figures: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        keras_ref, jax_ref = (
            "seedwise.examples.sequence:train",
            "seedwise.examples.sequence_jax:train",
        )
        plan = []
        if not args.skip_keras:
            plan += [
                (
                    "keras one run",
                    seedwise_run(
                        keras_ref,
                        root / "k1.db",
                        "--repeats",
                        "1",
                        "--workers",
                        "1",
                        "--set",
                        epochs,
                    ),
                ),
                ("keras tutorial loop", [sys.executable, "-c", TUTORIAL_LOOP, n, str(args.epochs)]),
                (
                    "keras --workers 2",
                    seedwise_run(
                        keras_ref, root / "k2.db", "--repeats", n, "--workers", "2", "--set", epochs
                    ),
                ),
            ]
        plan += [
            (
                "jax one run",
                seedwise_run(jax_ref, root / "j1.db", "--repeats", "1", "--set", epochs),
            ),
            (
                "jax alone, 1 worker",
                seedwise_run(
                    jax_ref, root / "j2.db", "--repeats", n, "--workers", "1", "--set", epochs
                ),
            ),
            (
                "jax --vectorize",
                seedwise_run(
                    jax_ref, root / "j3.db", "--repeats", n, "--vectorize", n, "--set", epochs
                ),
            ),
        ]
        for label, command in plan:
            figures[label] = timed(command, root)
            print(f"{label:24s} {figures[label]:7.2f} s", flush=True)
    measured = in_process(args.repeats, args.epochs, args.tolerance_seeds)
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}")
    vectorised = figures["jax --vectorize"]
    for one in ("keras one run", "jax one run"):
        if one in figures:
            print(f"{n} repeats vectorised / {one}: {vectorised / figures[one]:.2f}x")
    if "keras tutorial loop" in figures:
        print(f"tutorial loop / vectorised: {figures['keras tutorial loop'] / vectorised:.1f}x")
    print(
        f"in process: first vectorised call {measured['first_call_s']:.2f} s (compilation), "
        f"then {measured['compiled_call_s'] * 1000:.2f} ms per call of {n} repeats"
    )
    print(
        f"vectorised vs alone over {args.tolerance_seeds} seeds: largest |difference| "
        f"{measured['max_abs_difference']:.3g}, largest relative "
        f"{measured['max_relative_difference']:.3g}, bit-identical "
        f"{measured['bit_identical_fraction']:.0%}; every one within 1e-5 * |alone| + 1e-9: "
        f"{bool(measured['within_bound'])}"
    )


if __name__ == "__main__":
    main()
