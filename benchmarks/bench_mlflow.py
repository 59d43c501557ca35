"""Cost of ``seedwise run --log-to mlflow`` on a 30-run NumPy study, against no export.

Each variant runs in a fresh process (``python -m seedwise run``) on a fresh
store; the MLflow variant writes to a SQLite tracking store made beforehand
(or to the server given as the first argument). Prints the wall times and the ratio.

    PYTHONPATH=src python benchmarks/bench_mlflow.py [http://127.0.0.1:5000]
"""

from __future__ import annotations

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
    server = sys.argv[1] if len(sys.argv) > 1 else None
    rows = []
    for attempt in range(2):
        with tempfile.TemporaryDirectory() as plain, tempfile.TemporaryDirectory() as logged:
            for folder in (plain, logged):
                (Path(folder) / "exp.py").write_text(EXPERIMENT)
            uri = server or f"sqlite:///{Path(logged) / 'mlflow.db'}"
            if server is None:
                # A tracking store that exists already, as a user's does: MLflow's
                # schema creation (seconds, once per store) is not the export's cost.
                subprocess.run(
                    [sys.executable, "-c", "import sys; from mlflow.tracking import MlflowClient; "
                     "MlflowClient(sys.argv[1]).search_experiments()", uri],
                    check=True, capture_output=True,
                )  # fmt: skip
            base = _timed(Path(plain), [])
            with_mlflow = _timed(
                Path(logged), ["--log-to", f"mlflow={uri}", "--experiment-name", f"b{attempt}"]
            )
            rows.append((base, with_mlflow))
            print(
                f"attempt {attempt}: no export {base:.1f} s, --log-to mlflow {with_mlflow:.1f} s, "
                f"ratio {with_mlflow / base:.2f}, goal {1.1 * base + 2:.1f} s"
            )


if __name__ == "__main__":
    main()
