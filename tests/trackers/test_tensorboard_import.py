"""``seedwise import tensorboard``: event files written by tensorboard's own writer, read back.

The files here are written with tensorboard's own record writer and the
plugins' ``summary_v2`` protocol buffers (no TensorFlow, so fast);
``test_tensorboard_import_frameworks.py`` writes them with torch's ``SummaryWriter``
and ``tf.summary``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from scipy import stats

from seedwise.cli import main
from seedwise.store import open_store
from tests.conftest import run_python
from tests.runner.conftest import file_digest

pytest.importorskip("tensorboard")


def _write(
    folder: Path,
    scalars: dict[str, list[tuple[int, float]]],
    *,
    hparams: dict[str, object] | None = None,
    tensor: bool = False,
    texts: dict[str, str] | None = None,
    start: float = 1_000.0,
) -> None:
    """One run folder: its scalars (``simple_value``, or scalar tensors), hparams and texts."""
    from tensorboard.compat.proto import event_pb2, summary_pb2
    from tensorboard.plugins.hparams import summary_v2 as hparams_summary
    from tensorboard.plugins.scalar import summary_v2 as scalar
    from tensorboard.plugins.text import summary_v2 as text

    events = [event_pb2.Event(wall_time=start, file_version="brain.Event:2")]
    if hparams is not None:
        summary = hparams_summary.hparams_pb(hparams, start_time_secs=start)
        events.append(event_pb2.Event(wall_time=start, summary=summary))
    for tag, said in (texts or {}).items():
        events.append(event_pb2.Event(wall_time=start, summary=text.text_pb(tag, said)))
    for tag, points in scalars.items():
        for step, value in points:
            if tensor:
                summary = scalar.scalar_pb(tag, value)
            else:
                summary = summary_pb2.Summary(
                    value=[summary_pb2.Summary.Value(tag=tag, simple_value=value)]
                )
            event = event_pb2.Event(wall_time=start + 2.0 * step, step=step, summary=summary)
            events.append(event)
    _write_file(folder, events)


def _write_file(folder: Path, events: list[Any]) -> None:
    """``events`` as one event file, with tensorboard's own record writer (no TensorFlow).

    ``EventFileWriter`` goes through ``tensorboard.compat.tf.io.gfile``, which
    imports TensorFlow where it is installed.
    """
    from tensorboard.summary.writer.record_writer import RecordWriter

    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / "events.out.tfevents.1000.host.1.0", "wb") as handle:
        writer = RecordWriter(handle)
        for event in events:
            writer.write(event.SerializeToString())


def _losses(seed: int, shift: float, steps: range) -> list[tuple[int, float]]:
    return [(step, float(np.float32(shift + 1.0 / (step + 1 + seed)))) for step in steps]


def _logdir(root: Path) -> dict[tuple[str, int], list[tuple[int, float]]]:
    """Two models x 3 seeds under ``root/MODEL/seed_N``; returns what each run logged."""
    written = {}
    for model, shift, every in (("mlp", 0.5, 1), ("cnn", 0.0, 2)):
        for seed in range(3):
            losses = _losses(seed, shift, range(0, 10, every))
            written[(model, seed)] = losses
            acc = float(np.float32(0.7 + 0.05 * seed + (model == "cnn") * 0.1))
            _write(
                root / model / f"seed_{seed}",
                {"loss": losses, "acc": [(9, acc)]},
                hparams={"seed": seed, "lr": 0.1, "model": model, "hidden": 16},
                tensor=model == "cnn",
            )
    return written


def _import(logdir: Path, store: Path, *extra: str) -> int:
    return main(["import", "tensorboard", str(logdir), "--store", str(store), *extra])


def test_run_folders_become_studies_with_their_scalars_as_metrics_and_steps(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    written = _logdir(tmp_path / "logs")
    store = tmp_path / "s.db"
    for attempt in range(2):  # the second updates: nothing added
        assert _import(tmp_path / "logs", store, "--study-from", "path.0",
                       "--seed-from", "hparams.seed") == 0  # fmt: skip
        added, replaced = (6, 0) if attempt == 0 else (0, 6)
        assert f"imported 2 studies: {added} runs added, {replaced} replaced" in (
            capsys.readouterr().err
        )
    with open_store(store) as opened:
        assert sorted(s.name for s in opened.list_studies()) == ["cnn", "mlp"]
        for model in ("mlp", "cnn"):
            study = opened.study(model)
            assert study.record.imported is not None
            assert study.record.imported["source"] == "tensorboard"
            # hparams are doubles; a whole number comes back as the int it was.
            assert study.record.config == {"lr": 0.1, "model": model, "hidden": 16}
            assert isinstance(study.record.config["hidden"], int)
            runs = study.runs
            assert [r.seed for r in runs] == [0, 1, 2]
            for run in runs:
                losses = written[(model, run.seed)]
                assert run.metrics["loss"] == losses[-1][1]  # the value at its last step
                assert run.metrics["acc"] == pytest.approx(0.7 + 0.05 * run.seed
                                                           + (model == "cnn") * 0.1)  # fmt: skip
                steps = opened.steps(model, run.repeat)
                assert [(s.step, s.value) for s in steps if s.name == "loss"] == losses
                # acc was logged at one step: a final metric, not a curve.
                assert {s.name for s in steps} == {"loss", "time"}
                times = [(s.step, s.value) for s in steps if s.name == "time"]
                assert times == [(step, 2.0 * step) for step, _ in losses]
    assert main(["summary", "mlp", "--metric", "acc", "--json", "--store", str(store)]) == 0
    summary = json.loads(capsys.readouterr().out)["acc"]
    accs = np.array([np.float32(0.7 + 0.05 * s) for s in range(3)], dtype=float)
    half = stats.t.ppf(0.975, 2) * accs.std(ddof=1) / np.sqrt(3)
    assert summary["n"] == 3
    assert summary["mean"] == pytest.approx(accs.mean(), rel=1e-12)
    assert summary["mean_ci_t"]["low"] == pytest.approx(accs.mean() - half, rel=1e-9)
    assert summary["mean_ci_t"]["high"] == pytest.approx(accs.mean() + half, rel=1e-9)


def test_curves_on_imported_studies_are_the_logged_means_by_step_and_by_time(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    written = _logdir(tmp_path / "logs")
    store = tmp_path / "s.db"
    assert _import(tmp_path / "logs", store, "--study-from", "path.0",
                   "--seed-from", "path:seed_(\\d+)", "--metric", "loss") == 0  # fmt: skip
    capsys.readouterr()
    for x, scale in (("step", 1.0), ("time", 2.0)):
        assert main(["curves", "mlp", "--metric", "loss", "--x", x, "--json",
                     "--store", str(store)]) == 0  # fmt: skip
        result = json.loads(capsys.readouterr().out)
        (curve,) = result["studies"]
        assert result["grid"] == [scale * step for step in range(10)]
        assert curve["interpolated"] == 0
        expected = [np.mean([written[("mlp", s)][k][1] for s in range(3)]) for k in range(10)]
        assert curve["mean"] == pytest.approx(expected, rel=1e-12)
        assert curve["n"] == [3] * 10
    with open_store(store) as opened:
        assert "acc" not in opened.study("mlp").runs[0].metrics  # --metric loss only


def test_a_seedwise_export_imports_back_to_the_same_runs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "exp.py").write_text(
        "def train(ctx, width=3):\n"
        "    rng = ctx.rng('data')\n"
        "    for step in range(4):\n"
        "        ctx.log(step * 10, loss=float(rng.normal()))\n"
        "    return {'mse': float(rng.normal()) ** 2 + width}\n"
    )
    ran = tmp_path / "ran.db"
    assert main(["run", f"{tmp_path / 'exp.py'}:train", "--repeats", "3", "--workers", "1",
                 "--name", "study-a", "--framework", "numpy", "--store", str(ran),
                 "--log-to", f"tensorboard={tmp_path / 'tb'}"]) == 0  # fmt: skip
    store = tmp_path / "s.db"
    # The study's folder holds its summary as text and no scalar: it is no run.
    assert _import(tmp_path / "tb", store, "--study-from", "path.0",
                   "--seed-from", "hparams.seed") == 0  # fmt: skip
    capsys.readouterr()
    with open_store(ran) as first, open_store(store) as second:
        original = sorted(first.study("study-a").runs, key=lambda run: run.seed)
        imported = second.study("study-a").runs  # in seed order
        assert [r.seed for r in imported] == [r.seed for r in original]
        for before, after in zip(original, imported, strict=True):
            assert after.metrics["mse"] == pytest.approx(before.metrics["mse"], rel=1e-6)
            logged = [(s.step, s.value) for s in first.steps("study-a", before.repeat)]
            assert [(s, pytest.approx(v, rel=1e-6)) for s, v in logged] == [
                (s.step, s.value) for s in second.steps("study-a", after.repeat) if s.name == "loss"
            ]


def _one_line_and_nothing_stored(code: int, capsys: pytest.CaptureFixture[str], store: Path) -> str:
    assert code == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1, lines
    assert file_digest(store) is None
    return lines[0]


def test_a_missing_or_empty_logdir_is_refused_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store = tmp_path / "s.db"
    seeds = ["--study-from", "path.0", "--seed-from", "hparams.seed"]
    line = _one_line_and_nothing_stored(_import(tmp_path / "none", store, *seeds), capsys, store)
    assert "There is no folder of TensorBoard logs here. Received: LOGDIR" in line
    (tmp_path / "empty" / "a").mkdir(parents=True)
    (tmp_path / "empty" / "a" / "notes.txt").write_text("no events")
    line = _one_line_and_nothing_stored(_import(tmp_path / "empty", store, *seeds), capsys, store)
    assert "holds no TensorBoard event file" in line
    _write(tmp_path / "texts" / "a", {}, texts={"note": "only text"})
    line = _one_line_and_nothing_stored(_import(tmp_path / "texts", store, *seeds), capsys, store)
    assert "holds event files but no scalar" in line
    _logdir(tmp_path / "logs")
    line = _one_line_and_nothing_stored(
        _import(tmp_path / "logs", store, *seeds, "--metric", "los"), capsys, store
    )
    assert "No run under" in line
    assert "logged the scalar 'los'. Received: --metric los; expected one of 'acc', 'loss'" in line
    line = _one_line_and_nothing_stored(
        _import(tmp_path / "logs", store, "--study-from", "path.0", "--seed-from", "params.seed"),
        capsys,
        store,
    )
    assert "argument --seed-from: names where in each run folder the value is" in line
    line = _one_line_and_nothing_stored(
        _import(tmp_path / "logs", store, "--study-from", "path:(", "--seed-from", "hparams.seed"),
        capsys,
        store,
    )
    assert "The regular expression does not compile" in line
    _write(tmp_path / "reserved" / "a", {"loss": [(0, 1.0)], "duration": [(0, 3.0)]},
           hparams={"seed": 0})  # fmt: skip
    line = _one_line_and_nothing_stored(
        _import(tmp_path / "reserved", store, *seeds), capsys, store
    )
    assert "The scalar tag 'duration' has the name of a run's own column" in line
    assert main(["import", "tensorboard", str(tmp_path / "reserved"), "--store", str(store),
                 *seeds, "--metric", "loss"]) == 0  # fmt: skip


@pytest.mark.parametrize(
    ("runs", "seed_from", "message"),
    [
        ({"a/x": {"seed": 0}, "a/y": {}}, "hparams.seed",
         "A run has no seed: run folder 'a/y'. Received: --seed-from hparams.seed empty"),
        ({"a/seed_0": {}, "a/other": {}}, "path:seed_(\\d+)",
         "A run has no seed: run folder 'a/other'"),
        ({"a/x": {"seed": 0}, "a/y": {"seed": "zero"}}, "hparams.seed",
         "Received: --seed-from hparams.seed = 'zero'; expected an integer"),
        ({"a/x": {"seed": 0}, "a/y": {"seed": 1.5}}, "hparams.seed",
         "Received: --seed-from hparams.seed = 1.5; expected an integer"),
        ({"a/x": {"seed": 4}, "a/y": {"seed": 4}}, "hparams.seed",
         "Seed 4 appears twice in study 'a' (run folder 'a/x' and run folder 'a/y')"),
    ],
)  # fmt: skip
def test_bad_runs_are_refused_in_one_line_and_nothing_stored(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    runs: dict[str, dict[str, object]],
    seed_from: str,
    message: str,
) -> None:
    for folder, hparams in runs.items():
        _write(tmp_path / "logs" / folder, {"loss": [(0, 1.0), (1, 0.5)]}, hparams=hparams)
    store = tmp_path / "s.db"
    code = _import(tmp_path / "logs", store, "--study-from", "path.0", "--seed-from", seed_from)
    assert message in _one_line_and_nothing_stored(code, capsys, store)


def test_a_seed_a_float_cannot_hold_exactly_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _write(tmp_path / "hp" / "a" / "x", {"loss": [(0, 1.0)]}, hparams={"seed": 2**60 + 1})
    _write(tmp_path / "tag" / "a" / "x", {"loss": [(0, 1.0)], "seed": [(0, 2.0**25)]})
    store = tmp_path / "s.db"
    refused = [("hp", "hparams.seed", "doubles"), ("tag", "tag.seed", "32-bit floats")]
    for logdir, seed_from, width in refused:
        line = _one_line_and_nothing_stored(
            _import(tmp_path / logdir, store, "--study-from", "path.0", "--seed-from", seed_from),
            capsys,
            store,
        )
        assert "The seed of run folder 'a/x' is too large to be exact" in line
        assert width in line


def test_hparams_in_subfolders_of_a_run_are_the_runs_own(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """torch's ``add_hparams``: hparams and their metrics in a subfolder named by the time."""
    for seed in range(2):
        run = tmp_path / "logs" / "mlp" / f"seed_{seed}"
        _write(run, {"loss": [(0, 1.0), (1, 0.5 - 0.25 * seed)]})  # exact in 32 bits
        _write(run / "1000.5", {"hp/acc": [(0, 0.75)]}, hparams={"seed": seed, "lr": 0.1})
        _write(run / "1001.5", {"hp/best": [(0, 0.875)]}, hparams={"seed": seed, "wd": 0})
    store = tmp_path / "s.db"
    assert _import(tmp_path / "logs", store, "--study-from", "path.0",
                   "--seed-from", "hparams.seed") == 0  # fmt: skip
    assert "imported 1 study: 2 runs added" in capsys.readouterr().err
    with open_store(store) as opened:
        study = opened.study("mlp")
        assert study.record.config == {"lr": 0.1, "wd": 0}
        assert [(r.seed, r.metrics) for r in study.runs] == [
            (0, {"loss": 0.5, "hp/acc": 0.75, "hp/best": 0.875}),
            (1, {"loss": 0.25, "hp/acc": 0.75, "hp/best": 0.875}),
        ]


def test_tags_and_texts_name_the_seed_and_task(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for seed in range(2):
        for dataset in ("iris", "wine"):
            _write(
                tmp_path / "logs" / f"run{seed}{dataset}",
                {"loss": [(0, 1.0 + seed), (1, 0.5)], "seed": [(0, float(seed))]},
                texts={"dataset": dataset, "model": "svm"},
                tensor=True,
            )
    store = tmp_path / "s.db"
    assert _import(tmp_path / "logs", store, "--study-from", "tag.model",
                   "--seed-from", "tag.seed", "--task-from", "tag.dataset") == 0  # fmt: skip
    assert "imported 2 studies: 4 runs added" in capsys.readouterr().err
    with open_store(store) as opened:
        study = opened.study("svm@wine")
        assert study.record.task == "wine"
        assert [(r.seed, r.metrics) for r in study.runs] == [
            (0, {"loss": 0.5}),
            (1, {"loss": 0.5}),
        ]  # fmt: skip  (the seed's tag is no metric)


def test_importing_reads_no_tensorflow_nor_torch(tmp_path: Path) -> None:
    _logdir(tmp_path / "logs")
    done = run_python(
        ["-c", "import sys\n"
         "from seedwise.cli import main\n"
         f"code = main(['import', 'tensorboard', {str(tmp_path / 'logs')!r}, '--study-from',"
         f" 'path.0', '--seed-from', 'hparams.seed', '--store', {str(tmp_path / 's.db')!r}])\n"
         "print(code, 'tensorflow' in sys.modules, 'torch' in sys.modules)"]
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["0", "False", "False"]


def test_progress_is_told_after_each_event_file(tmp_path: Path) -> None:
    from seedwise.trackers.tensorboard_import import import_logdir, run_field

    _logdir(tmp_path / "logs")
    files = sorted((tmp_path / "logs").rglob("*tfevents*"))
    told: list[tuple[int, int]] = []
    import_logdir(
        tmp_path / "logs",
        study_from=run_field("path.0"),
        seed_from=run_field("hparams.seed"),
        store=tmp_path / "s.db",
        on_file=lambda done, total: told.append((done, total)),
    )
    assert told == [(done, len(files)) for done in range(1, len(files) + 1)]
