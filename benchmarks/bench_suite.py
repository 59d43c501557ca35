"""What the fast test suite (``-m "not slow"``) costs: wall time, the sum of test times, CPU time.

    .venv/bin/python benchmarks/bench_suite.py [--workers 2] [--top 15] [PATH ...]

Runs ``python -m pytest -m "not slow" -n WORKERS tests -q -p no:cacheprovider``
(or the test PATHs given)
with this file loaded as a pytest plugin, which records each test's wall time
and CPU time (its test process's and that of the children it reaped: workers,
fresh interpreters). Prints the load average before and after, the wall time,
the sum of the tests' wall times, the CPU time of the tests and of the whole
run (collection included), and the tests that took the most CPU. On a shared
machine wall times grow with the load; CPU times hardly do.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
_OUTPUT = "SEEDWISE_BENCH_SUITE_OUTPUT"
_times: dict[str, tuple[float, float]] = {}


def _cpu() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None) -> Iterator[None]:
    """Time one test: setup, call and teardown together."""
    cpu, wall = _cpu(), time.monotonic()
    yield
    _times[item.nodeid] = (time.monotonic() - wall, _cpu() - cpu)


def pytest_sessionfinish(session: pytest.Session) -> None:
    """Write this test process's times to the folder the benchmark named."""
    folder = os.environ.get(_OUTPUT)
    if folder:
        name = os.environ.get("PYTEST_XDIST_WORKER", "main")
        (Path(folder) / f"{name}.json").write_text(json.dumps(_times))


def _load() -> str:
    return " ".join(f"{value:.2f}" for value in os.getloadavg())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--top", type=int, default=15)
    parser.add_argument("paths", nargs="*", default=["tests"])
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        paths = [str(ROOT / "src"), str(ROOT / "benchmarks"), os.environ.get("PYTHONPATH", "")]
        environment = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in paths if p))
        environment[_OUTPUT] = folder
        command = [sys.executable, "-m", "pytest", "-m", "not slow", "-n", str(args.workers)]
        command += [*args.paths, "-q", "-p", "no:cacheprovider", "-p", "bench_suite"]
        print(f"load average before: {_load()}")
        start = time.monotonic()
        done = subprocess.run(command, cwd=ROOT, env=environment, capture_output=True, text=True)
        wall = time.monotonic() - start
        print(f"load average after: {_load()}")
        used = resource.getrusage(resource.RUSAGE_CHILDREN)
        times: dict[str, Any] = {}
        for part in Path(folder).glob("*.json"):
            times.update(json.loads(part.read_text()))
    summary = done.stdout.strip().splitlines()[-1] if done.stdout.strip() else done.stderr
    print(f"pytest: {summary}")
    print(f"wall time: {wall:.1f} s")
    print(f"sum of the tests' wall times: {sum(w for w, _ in times.values()):.1f} s")
    print(f"CPU time of the tests: {sum(c for _, c in times.values()):.1f} s ({len(times)} tests)")
    print(f"CPU time of the whole run: {used.ru_utime + used.ru_stime:.1f} s")
    print(f"the {args.top} tests that took the most CPU (wall, CPU):")
    for name, (test_wall, cpu) in sorted(times.items(), key=lambda kv: -kv[1][1])[: args.top]:
        print(f"  {test_wall:6.2f} s {cpu:6.2f} s  {name}")


if __name__ == "__main__":
    main()
