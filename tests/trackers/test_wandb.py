"""Studies in W&B, written by ``wandb`` itself in offline mode and read back from its own files."""

from __future__ import annotations

import json
import struct
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from seedwise.cli import main
from seedwise.store import open_study
from tests.conftest import skip_unless_installed

skip_unless_installed("wandb")

EXPERIMENT = textwrap.dedent(
    """
    def train(ctx, width=3, api_token="hunter2"):
        rng = ctx.rng("data")
        for step in range(3):
            ctx.log(step * 5, loss=float(rng.normal()), acc=step / 3)
        return {"mse": float(rng.normal()) ** 2 + width}
    """
)

# The framing of W&B's transaction log (a ``.wandb`` file): a 7-byte file
# header, then LevelDB-log records in 32 KiB blocks, each record a W&B
# ``Record`` protocol buffer. wandb 0.31 reads these files in its Go core
# only, so the framing is read here and each record parsed with wandb's own
# ``wandb_internal_pb2``.
_BLOCK = 32768
_FULL, _FIRST, _MIDDLE, _LAST = 1, 2, 3, 4


def _records(path: Path) -> Iterator[Any]:
    from wandb.proto import wandb_internal_pb2

    data = path.read_bytes()
    ident, magic, _version = struct.unpack("<4sHB", data[:7])
    assert (ident, magic) == (b":W&B", 0xBEE1)
    position, pending = 7, b""
    while position + 7 <= len(data):
        left = _BLOCK - position % _BLOCK
        if left < 7:
            position += left
            continue
        _checksum, length, kind = struct.unpack("<IHB", data[position : position + 7])
        if kind == 0 and length == 0:
            position += left
            continue
        chunk = data[position + 7 : position + 7 + length]
        position += 7 + length
        if kind in (_FIRST, _MIDDLE):
            pending += chunk
            continue
        record = wandb_internal_pb2.Record()
        record.ParseFromString(pending + chunk if kind == _LAST else chunk)
        pending = b""
        yield record


def _read_run(folder: Path) -> dict[str, Any]:
    """What one offline run holds: its run record's fields, config, history and summary."""
    (log,) = folder.glob("*.wandb")
    found: dict[str, Any] = {"config": {}, "history": [], "summary": {}, "exit": None}
    for record in _records(log):
        kind = record.WhichOneof("record_type")
        if kind == "run":
            run = record.run
            found.update(id=run.run_id, group=run.run_group, job_type=run.job_type,
                         name=run.display_name, project=run.project)  # fmt: skip
            found["config"] = {u.key: json.loads(u.value_json) for u in run.config.update}
        elif kind == "config":
            found["config"].update({u.key: json.loads(u.value_json) for u in record.config.update})
        elif kind == "history":
            row = {
                (item.key or ".".join(item.nested_key)): json.loads(item.value_json)
                for item in record.history.item
            }
            found["history"].append(
                {k: v for k, v in row.items() if not k.startswith("_")} | {"_step": row["_step"]}
            )
        elif kind == "summary":
            for item in record.summary.update:
                key = item.key or ".".join(item.nested_key)
                if not key.startswith("_"):
                    found["summary"][key] = json.loads(item.value_json)
        elif kind == "exit":
            found["exit"] = record.exit.exit_code
    return found


@pytest.fixture
def offline(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """W&B in offline mode, with no account, its files in a temporary folder."""
    folder = tmp_path / "wb"
    monkeypatch.setenv("WANDB_MODE", "offline")
    monkeypatch.setenv("WANDB_DIR", str(folder))
    monkeypatch.setenv("WANDB_SILENT", "true")
    monkeypatch.setenv("WANDB_CONFIG_DIR", str(tmp_path / "wb-config"))
    monkeypatch.delenv("WANDB_API_KEY", raising=False)
    return folder


def _run(tmp_path: Path, *extra: str) -> int:
    (tmp_path / "exp.py").write_text(EXPERIMENT)
    argv = [
        "run", f"{tmp_path / 'exp.py'}:train", "--repeats", "3", "--workers", "1",
        "--set", "width=2", "--set", "api_token=hunter2", "--name", "study-a",
        "--framework", "numpy",
        "--store", str(tmp_path / "s.db"), *extra,
    ]  # fmt: skip
    return main(argv)


def _offline_runs(folder: Path) -> list[Path]:
    return sorted((folder / "wandb").glob("offline-run-*"))


@pytest.mark.slow  # four real offline W&B runs, each one starting wandb's service
def test_log_to_wandb_writes_one_run_per_repeat_grouped_by_study_once(
    tmp_path: Path, offline: Path
) -> None:
    assert _run(tmp_path, "--log-to", "wandb", "--experiment-name", "proj") == 0
    runs = [_read_run(folder) for folder in _offline_runs(offline)]
    repeats = sorted((r for r in runs if r["job_type"] == "repeat"), key=lambda r: r["name"])
    (summary,) = [r for r in runs if r["job_type"] == "summary"]
    assert len(repeats) == 3
    assert {r["group"] for r in runs} == {"study-a"}
    assert {r["project"] for r in runs} == {"proj"}
    with open_study(tmp_path / "s.db", "study-a") as study:
        for found in repeats:
            repeat = found["config"]["repeat"]
            stored = study.store.run("study-a", repeat)
            assert stored is not None
            assert found["name"] == f"study-a/{repeat}"
            assert found["config"]["seed"] == stored.seed
            assert found["config"]["config.width"] == 2
            assert found["config"]["config.api_token"] == "***"
            assert found["config"]["seedwise.run_id"] == f"study-a#{repeat}"
            assert found["config"]["seedwise.code_hash"] == study.record.code_hash
            assert found["config"]["seedwise.env_hash"] == stored.env_hash
            assert "python" in found["config"]["seedwise.environment"]
            steps: dict[int, dict[str, float]] = {}
            for logged in stored.steps:
                steps.setdefault(logged.step, {})[logged.name] = logged.value
            assert found["history"] == [
                {**values, "_step": step} for step, values in sorted(steps.items())
            ]
            assert found["summary"]["mse"] == pytest.approx(stored.metrics["mse"])
            assert found["exit"] == 0
        mse = study.summary("mse")["mse"]
    assert summary["summary"]["mse.n"] == 3
    assert summary["summary"]["mse.mean"] == pytest.approx(mse.mean)
    assert summary["summary"]["mse.method"] == mse.mean_ci.method

    # A resume and a re-export add no run.
    assert _run(tmp_path, "--log-to", "wandb", "--experiment-name", "proj") == 0
    again = ["export", "study-a", "--to", "wandb", "--experiment-name", "proj"]
    assert main([*again, "--store", str(tmp_path / "s.db")]) == 0
    assert len(_offline_runs(offline)) == 4


def test_export_to_wandb_replaces_a_repeat_whose_status_changed(
    tmp_path: Path, offline: Path
) -> None:
    import dataclasses

    from seedwise.records import RunStatus
    from seedwise.trackers.wandb import WandbExport

    assert _run(tmp_path) == 0
    export = WandbExport(project="p")
    with open_study(tmp_path / "s.db", "study-a") as study:
        stored = study.store.run("study-a", 0)
        assert stored is not None
        failed = dataclasses.replace(stored, status=RunStatus.FAILED, error="boom", steps=())
        assert export.log_run(study, failed)
        assert not export.log_run(study, failed)
        assert export.log_run(study, stored)
        export.close()
    (kept,) = _offline_runs(offline)
    found = _read_run(kept)
    assert found["config"]["seedwise.status"] == "ok"
    assert found["exit"] == 0


def test_wandb_outside_offline_mode_with_no_account_is_refused_before_anything_runs(
    tmp_path: Path, offline: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    monkeypatch.setenv("WANDB_MODE", "online")
    monkeypatch.setenv("NETRC", str(tmp_path / "no-netrc"))
    assert _run(tmp_path, "--log-to", "wandb") == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1
    assert "W&B cannot be written to" in lines[0]
    assert "WANDB_MODE=offline" in lines[0]
    assert not (tmp_path / "s.db").exists()


def test_export_of_a_sweep_to_wandb_groups_each_cell_and_names_the_sweep(
    tmp_path: Path, offline: Path
) -> None:
    (tmp_path / "exp.py").write_text(EXPERIMENT)
    store = ["--store", str(tmp_path / "s.db")]
    sweep = [
        "sweep", f"{tmp_path / 'exp.py'}:train", "--grid", "width=1,2", "--repeats", "1",
        "--workers", "1", "--name", "grid", "--framework", "numpy", *store,
    ]  # fmt: skip
    assert main(sweep) == 0
    assert main(["export", "grid", "--to", "wandb", *store]) == 0
    runs = [_read_run(folder) for folder in _offline_runs(offline)]
    assert sorted((r["group"], r["job_type"]) for r in runs) == [
        ("grid/width=1", "repeat"), ("grid/width=1", "summary"),
        ("grid/width=2", "repeat"), ("grid/width=2", "summary"),
    ]  # fmt: skip
    assert {r["config"]["seedwise.sweep"] for r in runs} == {"grid"}
