"""Studies as TensorBoard event files, read back with tensorboard's own readers."""

from __future__ import annotations

import dataclasses
import json
import textwrap
from pathlib import Path
from typing import Any

import pytest

from seedwise.cli import main
from seedwise.records import RunStatus
from seedwise.store import open_study
from tests.conftest import run_python, skip_unless_installed

skip_unless_installed("tensorboard")

EXPERIMENT = textwrap.dedent(
    """
    def train(ctx, width=3):
        rng = ctx.rng("data")
        for step in range(4):
            ctx.log(step * 10, loss=float(rng.normal()))
        return {"mse": float(rng.normal()) ** 2 + width}
    """
)


def _run(tmp_path: Path, *extra: str) -> int:
    (tmp_path / "exp.py").write_text(EXPERIMENT)
    argv = [
        "run", f"{tmp_path / 'exp.py'}:train", "--repeats", "3", "--workers", "1",
        "--set", "width=2", "--name", "study-a", "--framework", "numpy",
        "--store", str(tmp_path / "s.db"), *extra,
    ]  # fmt: skip
    return main(argv)


def _records(path: Path) -> list[Any]:
    """The events of one file, through tensorboard's own record reader (no TensorFlow)."""
    from tensorboard.compat.proto import event_pb2
    from tensorboard.compat.tensorflow_stub import errors
    from tensorboard.compat.tensorflow_stub.pywrap_tensorflow import PyRecordReader_New

    reader = PyRecordReader_New(str(path))
    events = []
    while True:
        try:
            reader.GetNext()
        except errors.OutOfRangeError:
            return events
        events.append(event_pb2.Event.FromString(reader.record()))


def _event_files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if "tfevents" in p.name)


def _decoded(
    path: Path,
) -> tuple[dict[str, Any], dict[str, str], dict[str, list[tuple[int, float]]]]:
    """(hparams, texts, scalars by tag) of one event file."""
    from tensorboard.plugins.hparams import metadata
    from tensorboard.util import tensor_util

    hparams: dict[str, Any] = {}
    texts: dict[str, str] = {}
    scalars: dict[str, list[tuple[int, float]]] = {}
    for event in _records(path):
        for value in event.summary.value:
            plugin = value.metadata.plugin_data.plugin_name
            if plugin == "hparams":
                info = metadata.parse_session_start_info_plugin_data(
                    value.metadata.plugin_data.content
                )
                hparams = {"trial": info.group_name}
                for key, item in info.hparams.items():
                    hparams[key] = item.WhichOneof("kind") and getattr(
                        item, item.WhichOneof("kind")
                    )
            elif plugin == "text":
                texts[value.tag] = tensor_util.make_ndarray(value.tensor).item().decode()
            elif plugin == "scalars":
                number = float(tensor_util.make_ndarray(value.tensor))
                scalars.setdefault(value.tag, []).append((event.step, number))
    return hparams, texts, scalars


def test_log_to_tensorboard_writes_one_event_folder_per_repeat_once(tmp_path: Path) -> None:
    logdir = tmp_path / "tb"
    assert _run(tmp_path, "--log-to", f"tensorboard={logdir}") == 0
    files = _event_files(logdir)
    assert [p.relative_to(logdir).parent.as_posix() for p in files] == [
        "study-a", "study-a/repeat-000", "study-a/repeat-001", "study-a/repeat-002",
    ]  # fmt: skip
    with open_study(tmp_path / "s.db", "study-a") as study:
        for path in files[1:]:
            repeat = int(path.parent.name.split("-")[1])
            stored = study.store.run("study-a", repeat)
            assert stored is not None
            hparams, texts, scalars = _decoded(path)
            assert hparams == {
                "trial": f"study-a#{repeat}",
                "seed": stored.seed,
                "repeat": repeat,
                "config.width": 2,
            }
            assert texts["seedwise.run_id"] == f"study-a#{repeat}"
            assert texts["seedwise.status"] == "ok"
            assert texts["seedwise.code_hash"] == study.record.code_hash
            assert texts["seedwise.env_hash"] == stored.env_hash
            assert '"python"' in texts["seedwise.environment"]
            assert scalars["loss"] == [(s.step, pytest.approx(s.value)) for s in stored.steps]
            assert scalars["mse"] == [(30, pytest.approx(stored.metrics["mse"]))]
        _, summary, _ = _decoded(files[0])
        assert "3 of 3 runs finished" in summary["summary"]
        assert "mse" in summary["summary"]

    # A resume and a re-export write nothing new: the same files, byte for byte.
    before = {p: p.read_bytes() for p in files}
    assert _run(tmp_path, "--log-to", f"tensorboard={logdir}") == 0
    again = [
        "export",
        "study-a",
        "--to",
        f"tensorboard={logdir}",
        "--store",
        str(tmp_path / "s.db"),
    ]
    assert main(again) == 0
    assert {p: p.read_bytes() for p in _event_files(logdir)} == before


def test_export_to_tensorboard_replaces_a_repeat_whose_status_changed(tmp_path: Path) -> None:
    from seedwise.trackers.tensorboard import TensorBoardExport, repeat_folder

    assert _run(tmp_path) == 0
    export = TensorBoardExport(tmp_path / "tb")
    with open_study(tmp_path / "s.db", "study-a") as study:
        stored = study.store.run("study-a", 1)
        assert stored is not None
        failed = dataclasses.replace(stored, status=RunStatus.FAILED, error="boom", steps=())
        assert export.log_run(study, failed)
        assert not export.log_run(study, failed)
        assert export.log_run(study, stored)
    (kept,) = _event_files(repeat_folder(tmp_path / "tb", "study-a", 1))
    assert kept.name.endswith(".seedwise.ok")
    assert export.written == 2


def test_only_repeat_with_log_to_is_refused_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _run(tmp_path) == 0
    capsys.readouterr()
    logdir = tmp_path / "tb"
    assert _run(tmp_path, "--only-repeat", "1", "--log-to", f"tensorboard={logdir}") == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1
    assert "--only-repeat writes nothing to a tracker" in lines[0]
    assert not logdir.exists()


def test_a_folder_that_cannot_be_written_is_refused_before_anything_runs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    assert _run(tmp_path, "--log-to", f"tensorboard={blocker / 'tb'}") == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1
    assert "TensorBoard's folder cannot be written" in lines[0]
    assert str(blocker / "tb") in lines[0]
    assert not (tmp_path / "s.db").exists()


# Run in a fresh process: tensorboard's EventAccumulator imports TensorFlow when it is installed.
ACCUMULATE = textwrap.dedent(
    """
    import json, sys
    from tensorboard.backend.event_processing.plugin_event_accumulator import EventAccumulator
    from tensorboard.util import tensor_util

    accumulator = EventAccumulator(sys.argv[1], size_guidance={"tensors": 0})
    accumulator.Reload()
    loss = [(e.step, float(tensor_util.make_ndarray(e.tensor_proto)))
            for e in accumulator.Tensors("loss")]
    print(json.dumps({"loss": loss, "hparams": list(accumulator.PluginTagToContent("hparams"))}))
    """
)


@pytest.mark.slow
def test_exported_runs_read_back_through_tensorboards_event_accumulator(tmp_path: Path) -> None:
    logdir = tmp_path / "tb"
    assert _run(tmp_path) == 0
    assert main(["export", "study-a", "--to", f"tensorboard={logdir}", "--store",
                 str(tmp_path / "s.db")]) == 0  # fmt: skip
    with open_study(tmp_path / "s.db", "study-a") as study:
        stored = study.store.run("study-a", 2)
        assert stored is not None
    (tmp_path / "read.py").write_text(ACCUMULATE)
    done = run_python([str(tmp_path / "read.py"), str(logdir / "study-a" / "repeat-002")])
    assert done.returncode == 0, done.stderr[-2000:]
    found = json.loads(done.stdout)
    assert found["loss"] == [[s.step, pytest.approx(s.value)] for s in stored.steps]
    assert found["hparams"] == ["_hparams_/session_start_info"]
