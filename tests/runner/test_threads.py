"""``threads`` holds for frameworks that a run imports itself, after seeding."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

import seedwise
from tests.conftest import skip_unless_installed

skip_unless_installed("torch", "threadpoolctl")

LATE_IMPORTS = textwrap.dedent(
    """
    import sys


    def train(ctx):
        first = "torch" not in sys.modules
        import threadpoolctl
        import torch

        blas = [p["num_threads"] for p in threadpoolctl.threadpool_info()]
        x = torch.rand(64, 64)
        return {
            "imported_here": float(first),
            "torch_threads": float(torch.get_num_threads()),
            "blas_threads": float(max(blas, default=0)),
            "value": float((x @ x).sum()),
        }
    """
)


@pytest.mark.slow
@pytest.mark.parametrize("threads", [1, 2])
def test_frameworks_imported_inside_a_run_get_the_studys_threads(
    tmp_path: Path, threads: int
) -> None:
    source = tmp_path / "late.py"
    source.write_text(LATE_IMPORTS)
    study = seedwise.run(
        f"{source}:train",
        repeats=3,
        workers=1,
        threads=threads,
        store=tmp_path / "s.db",
    )
    runs = sorted(study.runs, key=lambda run: run.repeat)
    assert [run.status for run in runs] == ["ok"] * 3, [run.error for run in runs]
    # The first run of the warm worker imports torch itself; the later ones find it.
    assert [run.metrics["imported_here"] for run in runs] == [1.0, 0.0, 0.0]
    assert {run.metrics["torch_threads"] for run in runs} == {float(threads)}
    assert {run.metrics["blas_threads"] for run in runs} <= {0.0, float(threads)}
