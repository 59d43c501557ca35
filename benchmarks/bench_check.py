"""What ``seedwise check`` and fingerprints cost, on this machine.

    .venv/bin/python benchmarks/bench_check.py [--epochs 100] [--repeats 2]

Measures, in one run:

1. the wall time of ``seedwise.check`` on the tutorial's network
   (``seedwise.examples.sequence:train``, Keras on its default backend) against one
   run of the same experiment in a fresh worker process (process start and
   framework import included in both, as ``seedwise run --repeats 1`` pays
   them); target: at most 2.2x;
2. per-epoch fingerprints (``FingerprintCallback``: weights and Adam state) of
   a 10M-parameter Keras MLP, against its training time; target: under 5%;
3. digest throughput of ``digest_array`` and of a whole ``ctx.fingerprint``
   (digest plus sum and max |x|) on a 256 MB float32 array; target: 2 GB/s.

Prints the figures; paste them into the "Check" section of docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EXPERIMENT = "seedwise.examples.sequence:train"
FRAMEWORKS = ("keras", "python", "numpy", "tensorflow")


def one_run(epochs: int) -> float:
    """Seconds for one run of the experiment in a fresh worker, start to outcome."""
    from seedwise.runner import LocalExecutor, RunTask, StudySettings, run_seed

    settings = StudySettings.for_study(
        0, frameworks=FRAMEWORKS, keras_backend=os.environ.get("KERAS_BACKEND")
    )
    with tempfile.TemporaryDirectory() as workdir:
        started = time.perf_counter()
        executor = LocalExecutor(1)
        task = RunTask(
            "bench", 0, run_seed(0, 0), EXPERIMENT, {"epochs": epochs}, settings, workdir
        )
        executor.submit(task)
        outcomes = []
        while not outcomes:
            outcomes = executor.wait(0.05)
        elapsed = time.perf_counter() - started
        executor.shutdown()
    assert outcomes[0].status.is_finished, outcomes[0].error
    return elapsed


def check_cost(epochs: int, repeats: int) -> None:
    from seedwise.check import check

    runs, checks = [], []
    for _ in range(repeats):
        runs.append(one_run(epochs))
        started = time.perf_counter()
        result = check(EXPERIMENT, config={"epochs": epochs}, frameworks=FRAMEWORKS)
        checks.append(time.perf_counter() - started)
        assert result.reproducible, str(result)
    run_s, check_s = statistics.median(runs), statistics.median(checks)
    print(f"one run in a fresh process ({epochs} epochs): {run_s:.2f} s (median of {repeats})")
    print(f"seedwise.check, reproducible:            {check_s:.2f} s (median of {repeats})")
    print(f"check / run: {check_s / run_s:.2f}x (target <= 2.2x)")


def fingerprint_overhead(epochs: int) -> None:
    import keras
    import numpy as np

    from seedwise.experiment import RunContext
    from seedwise.integrations.keras import FingerprintCallback

    keras.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    x = rng.normal(size=(2048, 1000)).astype(np.float32)
    y = rng.normal(size=(2048, 1)).astype(np.float32)
    model = keras.Sequential(
        [keras.Input((1000,))]
        + [keras.layers.Dense(2000, activation="relu") for _ in range(3)]
        + [keras.layers.Dense(1)]
    )
    model.compile(optimizer="adam", loss="mse")
    parameters = model.count_params()
    model.fit(x, y, epochs=1, batch_size=256, verbose=0)  # compile and build Adam's state
    ctx = RunContext(0, 0, {}, Path("."))

    plain: list[float] = []
    fingerprinted: list[float] = []
    for index in range(2 * epochs):
        # Alternating which arm goes first spreads the load of other jobs over both.
        with_callback = (index % 2 == 0) == (index // 2 % 2 == 0)
        callbacks = [FingerprintCallback(ctx)] if with_callback else []
        started = time.perf_counter()
        model.fit(x, y, epochs=1, batch_size=256, verbose=0, callbacks=callbacks)
        (fingerprinted if with_callback else plain).append(time.perf_counter() - started)
    calls = []
    for _ in range(5):
        started = time.perf_counter()
        ctx.fingerprint("weights", model, step=0)
        calls.append(time.perf_counter() - started)
    leaves = [r for r in ctx.fingerprints[-len(model.weights) - len(model.optimizer.variables) :]]
    megabytes = sum(int(np.prod(r.shape)) * 4 for r in leaves) / 1e6
    epoch_s, with_s, call_s = (statistics.median(v) for v in (plain, fingerprinted, calls))
    print(
        f"model: {parameters:,} parameters; one fingerprint covers {megabytes:.0f} MB "
        f"(weights and Adam state, {len(leaves)} tensors)"
    )
    print(
        f"epoch (2048 x 1000 inputs, batch 256): {epoch_s:.3f} s plain, {with_s:.3f} s with "
        f"FingerprintCallback (medians of {epochs})"
    )
    print(
        f"one fingerprint of the model: {call_s * 1e3:.1f} ms (median of 5) = "
        f"{100 * call_s / epoch_s:.1f}% of an epoch (target < 5%); "
        f"difference of the epoch medians: {100 * (with_s - epoch_s) / epoch_s:+.1f}%"
    )


def digest_speed() -> None:
    import numpy as np

    from seedwise.experiment import RunContext, digest_array

    array = np.random.default_rng(0).standard_normal(64 * 2**20).astype(np.float32)
    ctx = RunContext(0, 0, {}, Path("."))
    for label, call in (
        ("digest_array", lambda: digest_array(array)),
        ("ctx.fingerprint (digest, sum, max |x|)", lambda: ctx.fingerprint("a", array)),
    ):
        times = []
        for _ in range(5):
            started = time.perf_counter()
            call()
            times.append(time.perf_counter() - started)
        best = statistics.median(times)
        print(
            f"{label}: {array.nbytes / best / 1e9:.1f} GB/s on {array.nbytes / 1e6:.0f} MB "
            "(median of 5; target >= 2 GB/s)"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=100, help="epochs of the checked run")
    parser.add_argument("--repeats", type=int, default=2, help="runs and checks to time")
    parser.add_argument("--model-epochs", type=int, default=4, help="epochs of the 10M model")
    parser.add_argument(
        "--part",
        action="append",
        choices=("digest", "check", "fingerprint"),
        help="only this part (repeatable; default: all)",
    )
    args = parser.parse_args()
    parts = args.part or ["digest", "check", "fingerprint"]
    print(f"{platform.machine()}, {os.cpu_count()} cores, Python {sys.version.split()[0]}")
    if "digest" in parts:
        digest_speed()
    if "check" in parts:
        check_cost(args.epochs, args.repeats)
    if "fingerprint" in parts:
        fingerprint_overhead(args.model_epochs)


if __name__ == "__main__":
    main()
