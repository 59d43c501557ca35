"""Rank tests on tied values: one ``seedwise.compare`` of 30 paired accuracies, now and before.

Accuracies on a 200-example test set take the values k/200, so the paired
differences are full of ties and zeros: the case where the Wilcoxon and
Mann-Whitney p-values used to come from SciPy's permutation test, called for
every step of the interval's inversion (13 to 17 s a comparison).

Run: ``.venv/bin/python benchmarks/bench_tied_ranks.py [--rounds 5]
[--baseline-src DIR]``. ``--baseline-src`` names the ``src`` folder of an
earlier version (``git archive REV src | tar -x -C /tmp/before``); both are
timed in fresh processes, alternating, and the medians and p-values are
printed side by side. The figures go into docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

_SRC = Path(__file__).resolve().parents[1] / "src"


def _data() -> tuple[list[float], list[float], list[float], list[float]]:
    import numpy as np

    rng = np.random.default_rng(0)
    a = rng.binomial(200, 0.85, 30) / 200
    b = a + rng.integers(-2, 4, 30) / 200
    # Two cells whose per-seed differences are all equal but one (a grid's cells).
    c = a.copy()
    e = a + 0.01
    e[0] = a[0]
    return a.tolist(), b.tolist(), c.tolist(), e.tolist()


def _measure() -> dict[str, object]:
    """In this process: time compare() on the tied samples and read the rank tests' p."""
    import numpy as np

    import seedwise
    from seedwise.stats._shift import rank_sum_test, signed_rank_test

    a, b, c, e = (np.asarray(x) for x in _data())
    seedwise.compare(a[:5], b[:5], metric="accuracy", paired=True)  # imports scipy.stats
    out: dict[str, object] = {}
    for label, x, y, paired in (
        ("paired, 30 tied accuracies", a, b, True),
        ("unpaired, 30 + 30 tied accuracies", a, b, False),
        ("paired, equal differences but one", c, e, True),
    ):
        start = time.perf_counter()
        seedwise.compare(x, y, metric="accuracy", paired=paired)
        seconds = time.perf_counter() - start
        test = signed_rank_test(y - x, 10_000, 0) if paired else rank_sum_test(x, y, 10_000, 0)
        out[label] = {"seconds": seconds, "p": test.p_value, "method": test.method}
    return out


def _run(src: Path) -> dict[str, dict[str, object]]:
    env = {**os.environ, "PYTHONPATH": str(src)}
    done = subprocess.run(
        [sys.executable, __file__, "--measure"], env=env, capture_output=True, text=True, check=True
    )
    return json.loads(done.stdout)  # type: ignore[no-any-return]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--baseline-src", type=Path, default=None)
    parser.add_argument("--measure", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(_measure()))
        return
    print(
        f"machine: {os.cpu_count()} cores, {platform.machine()}, Python {sys.version.split()[0]}; "
        f"load average {os.getloadavg()[0]:.2f}"
    )
    versions = {"now": _SRC} | ({"before": args.baseline_src} if args.baseline_src else {})
    results: dict[str, list[dict[str, dict[str, object]]]] = {name: [] for name in versions}
    for _ in range(args.rounds):
        for name, src in versions.items():
            results[name].append(_run(src))
    for label in results["now"][0]:
        print(f"\n{label} (medians of {args.rounds} rounds, one compare() call each)")
        for name, rounds in results.items():
            seconds = statistics.median(float(r[label]["seconds"]) for r in rounds)  # type: ignore[arg-type]
            first = rounds[0][label]
            print(f"  {name:>6}: {seconds:8.3f} s   p = {first['p']:.6g}   ({first['method']})")


if __name__ == "__main__":
    main()
