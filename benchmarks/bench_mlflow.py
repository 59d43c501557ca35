"""Cost of ``seedwise run --log-to mlflow`` on a 30-run NumPy study, against no export.

Each variant runs in a fresh process (``python -m seedwise run``) on a fresh
store, side by side: each attempt runs both, one after the other, and the
medians over the attempts are printed with the load average before and
after. The MLflow variant writes to a SQLite tracking store made beforehand
(or to the server given). The goal: at most 1.1x + 2 s of no export.

    PYTHONPATH=src python benchmarks/bench_mlflow.py [--attempts 5] [--uri http://127.0.0.1:5000]
        [--report]    # --log-to-report too
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

EXPERIMENT = textwrap.dedent(
    """
    import numpy as np

    def train(ctx):
        rng = ctx.rng("data")
        x = rng.normal(size=(200, 20))
        w = np.linalg.lstsq(x, x @ np.ones(20) + rng.normal(size=200), rcond=None)[0]
        for step in range(10):
            ctx.log(step, loss=float(np.mean((x @ w - x.sum(1)) ** 2)) / (step + 1))
        return {"mse": float(np.mean((w - 1) ** 2))}
    """
)


def _timed(folder: Path, extra: list[str]) -> float:
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "seedwise", "run", f"{folder / 'exp.py'}:train",
         "--repeats", "30", "--workers", "2", "--framework", "numpy",
         "--store", str(folder / "s.db"), "--json", *extra],
        capture_output=True, text=True, check=False, cwd=folder,
    )  # fmt: skip
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(done.stderr[-2000:])
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--attempts", type=int, default=5)
    parser.add_argument("--uri", help="an MLflow server (default: a SQLite store per attempt)")
    parser.add_argument("--report", action="store_true", help="with --log-to-report")
    args = parser.parse_args()
    before = os.getloadavg()
    rows = []
    for attempt in range(args.attempts):
        with tempfile.TemporaryDirectory() as plain, tempfile.TemporaryDirectory() as logged:
            for folder in (plain, logged):
                (Path(folder) / "exp.py").write_text(EXPERIMENT)
            uri = args.uri or f"sqlite:///{Path(logged) / 'mlflow.db'}"
            if args.uri is None:
                # A tracking store that exists already, as a user's does: MLflow's
                # schema creation (seconds, once per store) is not the export's cost.
                subprocess.run(
                    [sys.executable, "-c", "import sys; from mlflow.tracking import MlflowClient; "
                     "MlflowClient(sys.argv[1]).search_experiments()", uri],
                    check=True, capture_output=True,
                )  # fmt: skip
            base = _timed(Path(plain), [])
            extra = ["--log-to", f"mlflow={uri}", "--experiment-name", f"b{attempt}"]
            with_mlflow = _timed(Path(logged), extra + ["--log-to-report"] * args.report)
            rows.append((base, with_mlflow))
            print(
                f"attempt {attempt}: no export {base:.1f} s, --log-to mlflow {with_mlflow:.1f} s, "
                f"ratio {with_mlflow / base:.2f}, goal {1.1 * base + 2:.1f} s "
                f"(load {os.getloadavg()[0]:.1f})",
                flush=True,
            )
    base = statistics.median(r[0] for r in rows)
    with_mlflow = statistics.median(r[1] for r in rows)
    after = os.getloadavg()
    print(
        f"median of {len(rows)}: no export {base:.1f} s, --log-to mlflow {with_mlflow:.1f} s, "
        f"ratio {with_mlflow / base:.2f}, goal {1.1 * base + 2:.1f} s "
        f"({'met' if with_mlflow <= 1.1 * base + 2 else 'not met'}); load average "
        f"{before[0]:.1f} before, {after[0]:.1f} after (1 min), {os.cpu_count()} cores"
    )


if __name__ == "__main__":
    main()
