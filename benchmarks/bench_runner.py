"""seedwise run against the tutorial's plain loop, side by side on this machine.

    .venv/bin/python benchmarks/bench_runner.py [--repeats 30] [--epochs 100]
    .venv/bin/python benchmarks/bench_runner.py --default-only --rounds 3

Measures, in one run:

0. ``--rounds`` times, one after the other: the tutorial's loop, then
   ``seedwise run`` with default settings (no ``--workers``: one worker per
   core, more while the throughput still rises); the medians of each and
   their ratio (target at most 0.6), with the workers each study ended
   with. ``--default-only`` measures only this;

1. wall time of the tutorial's loop (one process: import Keras, train the
   1-10-1 network ``--repeats`` times) against ``seedwise run
   seedwise.examples.sequence:train --workers 2`` (process start included in both);
   target ratio at most 0.6 on 2 cores;
2. that every repeat of the ``--workers 2`` study equals its ``--workers 1``
   result bit for bit;
3. the ceiling this machine puts on any 2-process split: two copies of the
   tutorial's loop, each with half the repeats, side by side (the slower
   one's wall time against the single loop's); and ``--workers 3``;
4. the harness overhead per run with one warm worker: the time between
   consecutive stored runs of a 1-worker sweep against the time per call of
   the same experiment function called in a bare loop (seeded the same way,
   with the same thread settings as a worker), both after a warm-up; target
   at most 5%.

``--clearing`` measures only what clearing Keras costs a worker before each
run: the tutorial's network fitted ``--repeats`` times in one process with a
worker's settings, the clearing timed after each fit, Keras' own
``clear_session()`` (a full garbage collection each time) in one process and
seedwise's (collected once, the import state frozen) in another.

Keras runs on its default backend (TensorFlow) unless KERAS_BACKEND says
otherwise. Prints the figures; paste them into docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
EXPERIMENT = "seedwise.examples.sequence:train"

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

BARE_LOOP = """
import json, sys, time
from pathlib import Path
import seedwise
from seedwise.experiment import RunContext, load_experiment
from seedwise.runner import run_seed
train = load_experiment({experiment!r})
stamps = []
for repeat in range({repeats}):
    seed = run_seed(0, repeat)
    seedwise.seed_everything(seed)
    train(RunContext(seed, repeat, {{"epochs": {epochs}}}, Path({workdir!r})))
    stamps.append(time.perf_counter())
print(json.dumps(stamps))
"""


def timed(command: list[str], env: dict[str, str]) -> tuple[float, str]:
    start = time.perf_counter()
    completed = subprocess.run(command, capture_output=True, text=True, env=env, cwd=ROOT)
    elapsed = time.perf_counter() - start
    if completed.returncode != 0:
        raise SystemExit(f"failed: {' '.join(command)}\n{completed.stderr[-2000:]}")
    return elapsed, completed.stdout


def seedwise_run(
    store: Path, repeats: int, epochs: int, workers: int | None, env: dict[str, str]
) -> tuple[float, dict[str, Any]]:
    command = [
        sys.executable, "-m", "seedwise", "run", EXPERIMENT, "--repeats", str(repeats),
        "--set", f"epochs={epochs}", "--store", str(store), "--json",
    ]  # fmt: skip
    if workers is not None:
        command += ["--workers", str(workers)]
    elapsed, out = timed(command, env)
    return elapsed, json.loads(out)


def workers_used(store: Path) -> int:
    """How many workers the store's one study ran on."""
    import seedwise

    with seedwise.open_store(store) as opened:
        (study,) = opened.list_studies()
        return len({run.worker for run in opened.runs(study.name)})


def default_rounds(args: argparse.Namespace, env: dict[str, str], folder: Path) -> None:
    """The tutorial's loop and ``seedwise run`` with default settings, side by side."""
    loops, studies, counts = [], [], []
    loop = TUTORIAL_LOOP.format(repeats=args.repeats, epochs=args.epochs)
    for round_ in range(args.rounds):
        loops.append(timed([sys.executable, "-c", loop], env)[0])
        store = folder / f"default-{round_}.db"
        studies.append(seedwise_run(store, args.repeats, args.epochs, None, env)[0])
        counts.append(workers_used(store))
        print(
            f"round {round_ + 1}: loop {loops[-1]:.1f} s, seedwise run (default) "
            f"{studies[-1]:.1f} s on {counts[-1]} workers, ratio {studies[-1] / loops[-1]:.2f}, "
            f"load {os.getloadavg()[0]:.1f}"
        )
    loop_s, study_s = statistics.median(loops), statistics.median(studies)
    ratios = [study / loop for study, loop in zip(studies, loops, strict=True)]
    print(
        f"medians of {args.rounds} rounds: tutorial loop {loop_s:.1f} s, seedwise run with "
        f"default settings {study_s:.1f} s: ratio {study_s / loop_s:.2f} (target <= 0.6); "
        f"median of the rounds' ratios {statistics.median(ratios):.2f}; workers used "
        f"{sorted(counts)}"
    )


CLEARING = """
import json, statistics, time
import numpy as np
import keras
from seedwise.runner.worker import _clear_framework_sessions
sequence = np.arange(10, dtype=np.float32) / 10
x, y = sequence[:-1], sequence[1:]
clear = keras.backend.clear_session if {keras_own} else _clear_framework_sessions
spent = []
for _ in range({repeats}):
    model = keras.Sequential([keras.Input((1,)), keras.layers.Dense(10), keras.layers.Dense(1)])
    model.compile(loss="mean_squared_error", optimizer="adam")
    model.fit(x, y, epochs={epochs}, batch_size=len(x), verbose=0)
    del model
    start = time.perf_counter()
    clear()
    spent.append(time.perf_counter() - start)
print(json.dumps(spent))
"""


def clearing(args: argparse.Namespace, env: dict[str, str]) -> None:
    """What clearing Keras before a run costs: Keras' own way against seedwise's."""
    from seedwise.runner import StudySettings
    from seedwise.runner.tasks import worker_environment

    worker_env = dict(env, **worker_environment(StudySettings.for_study(0)))
    for keras_own, label in ((True, "keras.backend.clear_session()"), (False, "seedwise's")):
        code = CLEARING.format(keras_own=keras_own, repeats=args.repeats, epochs=args.epochs)
        spent = json.loads(timed([sys.executable, "-c", code], worker_env)[1])
        print(
            f"{label}: first {spent[0]:.3f} s, median of the rest "
            f"{statistics.median(spent[1:]):.3f} s (max {max(spent[1:]):.3f} s) over "
            f"{len(spent) - 1} runs, load {os.getloadavg()[0]:.1f}"
        )


def per_run_gaps(stamps: list[float]) -> list[float]:
    return [later - earlier for earlier, later in itertools.pairwise(stamps)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=30)
    parser.add_argument("--epochs", type=int, default=100)
    parser.add_argument("--overhead-repeats", type=int, default=12)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--default-only", action="store_true")
    parser.add_argument("--clearing", action="store_true")
    args = parser.parse_args()
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
    folder = Path(tempfile.mkdtemp(prefix="seedwise-bench-"))
    print(f"machine: {os.cpu_count()} cores, Python {sys.version.split()[0]}")
    if args.clearing:
        clearing(args, env)
        return
    default_rounds(args, env, folder)
    if args.default_only:
        return

    loop_s, _ = timed(
        [sys.executable, "-c", TUTORIAL_LOOP.format(repeats=args.repeats, epochs=args.epochs)],
        env,
    )
    half = TUTORIAL_LOOP.format(repeats=args.repeats // 2, epochs=args.epochs)
    start = time.perf_counter()
    pair = [
        subprocess.Popen([sys.executable, "-c", half], env=env, stderr=subprocess.DEVNULL)
        for _ in range(2)
    ]
    for process in pair:
        process.wait()
    side_by_side_s = time.perf_counter() - start
    two_s, two = seedwise_run(folder / "w2.db", args.repeats, args.epochs, 2, env)
    three_s, three = seedwise_run(folder / "w3.db", args.repeats, args.epochs, 3, env)
    one_s, one = seedwise_run(folder / "w1.db", args.repeats, args.epochs, 1, env)
    identical = two["metrics"]["mse"] == one["metrics"]["mse"] == three["metrics"]["mse"]

    import seedwise

    finished: list[float] = []
    seedwise.run(
        EXPERIMENT,
        repeats=args.overhead_repeats,
        workers=1,
        store=folder / "overhead.db",
        config={"epochs": args.epochs},
        on_record=lambda outcome: finished.append(time.perf_counter()),
    )
    from seedwise.runner import StudySettings
    from seedwise.runner.tasks import worker_environment

    worker_env = dict(env, **worker_environment(StudySettings.for_study(0)))
    _, bare_out = timed(
        [
            sys.executable,
            "-c",
            BARE_LOOP.format(
                experiment=EXPERIMENT,
                repeats=args.overhead_repeats,
                epochs=args.epochs,
                workdir=str(folder / "bare"),
            ),
        ],
        worker_env,
    )
    harness = statistics.median(per_run_gaps(finished))
    bare = statistics.median(per_run_gaps(json.loads(bare_out)))

    print(f"machine: {os.cpu_count()} cores, Python {sys.version.split()[0]}")
    if args.clearing:
        clearing(args, env)
        return
    print(f"tutorial loop, {args.repeats} x {args.epochs} epochs, 1 process: {loop_s:7.1f} s")
    print(f"two half loops side by side (no seedwise):             {side_by_side_s:7.1f} s")
    print(f"seedwise run --workers 2:                                {two_s:7.1f} s")
    print(f"seedwise run --workers 3:                                {three_s:7.1f} s")
    print(f"seedwise run --workers 1:                                {one_s:7.1f} s")
    print(
        f"ratio workers-2 / loop: {two_s / loop_s:.2f} (target <= 0.6); workers-3 / loop: "
        f"{three_s / loop_s:.2f}; this machine's 2-process ceiling: "
        f"{side_by_side_s / loop_s:.2f}"
    )
    print(
        f"every repeat bit-identical between --workers 1, 2 and 3: {identical} "
        f"({len(two['metrics']['mse'])} repeats)"
    )
    print(
        f"per run, one warm worker: {harness:.3f} s (median gap between stored runs); "
        f"bare loop: {bare:.3f} s; overhead {100 * (harness / bare - 1):+.1f}% (target <= 5%)"
    )


if __name__ == "__main__":
    main()
