"""``seedwise.sweep`` with ``executor="dask"``: a real scheduler and workers, as ``run`` uses."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from seedwise.runner.sweep import sweep
from tests.runner.conftest import NOISY

distributed = pytest.importorskip("distributed")

from tests.runner.test_dask import Cluster, by_repeat, rows_per_repeat, start_cluster  # noqa: E402

pytestmark = [pytest.mark.cluster, pytest.mark.slow]

FAST = ("python", "numpy")


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    started = start_cluster(tmp_path_factory.mktemp("dask"), workers=2)
    yield started
    started.stop()


def test_a_sweep_on_dask_workers_equals_one_local_worker_bit_for_bit(
    cluster: Cluster, tmp_path: Path
) -> None:
    common: dict[str, Any] = {"grid": {"cell": [1, 2, 3]}, "repeats": 3, "seed": 5, "name": "g"}
    common["frameworks"] = FAST
    with sweep(NOISY, workers=1, store=tmp_path / "local.db", **common) as local:
        expected = {name: by_repeat(list(study.runs)) for name, study in local.items()}
    remote = tmp_path / "remote.db"
    dask = {"executor": "dask", "scheduler": cluster.address, "store": remote}
    with sweep(NOISY, **dask, **common) as studies:
        assert {name: by_repeat(list(s.runs)) for name, s in studies.items()} == expected
        workers = {run.worker.split(":")[0] for s in studies.values() for run in s.runs}
        # Resumed on the cluster: nothing runs again, every repeat of every cell stored once.
        sweep(NOISY, **dask, **common).close()
    assert workers == {"dask"}
    assert rows_per_repeat(remote) == dict.fromkeys(range(3), 3)
