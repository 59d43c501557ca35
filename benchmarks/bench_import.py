"""How long ``import seedwise`` takes in a fresh interpreter (target: under 0.3 s).

    .venv/bin/python benchmarks/bench_import.py [--repeats 15]

Prints the median and the spread of the wall time of ``python -c "import
seedwise"`` minus that of ``python -c "pass"``, both measured side by side, and
checks that no ML framework (nor NumPy) was imported.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time


def wall_time(code: str) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], check=True)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=15)
    args = parser.parse_args()
    bare, imported = [], []
    for _ in range(args.repeats):
        bare.append(wall_time("pass"))
        imported.append(wall_time("import seedwise"))
    costs = [b - a for a, b in zip(bare, imported, strict=True)]
    check = (
        "import sys, seedwise; "
        "print(sorted(m for m in ('numpy', 'scipy', 'tensorflow', 'torch', 'jax', 'keras') "
        "if m in sys.modules))"
    )
    loaded = subprocess.run([sys.executable, "-c", check], capture_output=True, text=True)
    print(f"python -c pass:            median {statistics.median(bare) * 1000:7.1f} ms")
    print(f"python -c 'import seedwise': median {statistics.median(imported) * 1000:7.1f} ms")
    print(
        f"import seedwise costs:     median {statistics.median(costs) * 1000:7.1f} ms "
        f"(min {min(costs) * 1000:.1f}, max {max(costs) * 1000:.1f}; {args.repeats} pairs)"
    )
    print(f"heavy modules imported:    {loaded.stdout.strip()}")


if __name__ == "__main__":
    main()
