"""How long a read of the store waits behind another process's write transaction.

    .venv/bin/python benchmarks/bench_store_read.py [--rounds 5] [--hold 2.0] [--runs 200]

For each round, a writer process opens the store with plain ``sqlite3``,
takes the write lock (``BEGIN IMMEDIATE``), inserts a study, says so, holds
the lock for ``--hold`` seconds and rolls back. As soon as it holds the lock,
this process reads the store and times the read, from opening to closing:

1. ``open_store(path)``, ``list_studies()`` and ``runs()`` of every study
   (what ``seedwise ls`` and ``show`` do); target: under 50 ms;
2. the same through a writable ``Store(path)``;
3. plain ``sqlite3``: connect, select the studies and the runs, close.

A read that waits for the writer takes about ``--hold`` seconds. Prints the
median, minimum and maximum of each case; paste them into the "Store reads"
section of docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import os
import platform
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

WRITER = """
import sqlite3, sys, time

connection = sqlite3.connect(sys.argv[1], isolation_level=None)
connection.execute("BEGIN IMMEDIATE")
connection.execute("INSERT INTO studies VALUES ('late', 'e.py:f', '{}', 0, '{}', 'h', 0.0)")
print("holding", flush=True)
time.sleep(float(sys.argv[2]))
connection.execute("ROLLBACK")
"""


def populate(path: Path, runs: int) -> None:
    """A store with one study of ``runs`` finished runs."""
    from seedwise.records import RunStatus
    from seedwise.store import RunRecord, Store

    with Store(path) as store:
        store.ensure_study(
            "bench", experiment="bench.py:f", config={}, seed=0, settings={}, code_hash="h"
        )
        for repeat in range(runs):
            metrics = {"mse": repeat / runs, "accuracy": 1 - repeat / runs}
            store.record_run(
                RunRecord("bench", repeat, seed=repeat, status=RunStatus.OK, metrics=metrics)
            )


def read_open_store(path: Path) -> int:
    from seedwise.store import open_store

    with open_store(path) as store:
        return sum(len(store.runs(study.name)) for study in store.list_studies())


def read_writable_store(path: Path) -> int:
    from seedwise.store import Store

    with Store(path) as store:
        return sum(len(store.runs(study.name)) for study in store.list_studies())


def read_sqlite(path: Path) -> int:
    connection = sqlite3.connect(path)
    try:
        connection.execute("SELECT name, experiment, seed, created FROM studies").fetchall()
        return len(connection.execute("SELECT * FROM runs ORDER BY study, repeat").fetchall())
    finally:
        connection.close()


def timed_reads(path: Path, read: Callable[[Path], int], rounds: int, hold: float) -> list[float]:
    """Seconds of each read, each taken while a writer holds the write lock."""
    waits = []
    for _ in range(rounds):
        writer = subprocess.Popen(
            [sys.executable, "-c", WRITER, str(path), str(hold)], stdout=subprocess.PIPE, text=True
        )
        assert writer.stdout is not None
        if writer.stdout.readline() != "holding\n":
            raise RuntimeError("the writer process did not take the write lock")
        started = time.perf_counter()
        read(path)
        waits.append(time.perf_counter() - started)
        writer.wait(timeout=hold + 60)
        if writer.returncode != 0:
            raise RuntimeError(f"the writer process failed with exit code {writer.returncode}")
    return waits


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=5, help="reads per case (default 5)")
    parser.add_argument("--hold", type=float, default=2.0, help="seconds the writer holds its lock")
    parser.add_argument("--runs", type=int, default=200, help="runs in the store (default 200)")
    args = parser.parse_args()
    print(
        f"machine: {os.cpu_count()} cores, {platform.machine()}, Python "
        f"{platform.python_version()}, SQLite {sqlite3.sqlite_version}"
    )
    print(
        f"a writer holds BEGIN IMMEDIATE for {args.hold:.1f} s; each read starts once it holds "
        f"the lock; store: 1 study, {args.runs} runs; median of {args.rounds}"
    )
    cases = {
        "open_store + list_studies + runs": read_open_store,
        "Store (writable) + list_studies + runs": read_writable_store,
        "plain sqlite3: connect + select + close": read_sqlite,
    }
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "seedwise.db"
        populate(path, args.runs)
        for name, read in cases.items():
            if read(path) != args.runs:
                raise RuntimeError(f"{name} did not read the {args.runs} runs")
            waits = timed_reads(path, read, args.rounds, args.hold)
            print(
                f"{name:42s} median {statistics.median(waits) * 1e3:8.1f} ms "
                f"(min {min(waits) * 1e3:.1f}, max {max(waits) * 1e3:.1f})"
            )
    print("target: open_store's read under 50 ms while another process writes")


if __name__ == "__main__":
    main()
