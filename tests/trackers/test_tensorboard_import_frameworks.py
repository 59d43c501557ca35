"""``seedwise import tensorboard`` of event files from torch's ``SummaryWriter`` and ``tf.summary``.

Both writers import TensorFlow (torch's through tensorboard, where it is
installed), 5 to 30 s here: the files of the whole module are written once,
in one fresh process. What is imported is compared with the values written.
"""

from __future__ import annotations

import importlib.util
import json
import textwrap
from pathlib import Path

import numpy as np
import pytest
from scipy import stats

from seedwise.cli import main
from seedwise.store import open_store
from tests.conftest import run_python

pytest.importorskip("tensorboard")
pytestmark = pytest.mark.slow

SEEDS = (0, 1, 2)
STEPS = range(8)
MODELS = {"mlp": 0.5, "cnn": 0.0}

WRITER = textwrap.dedent(
    """
    import json, sys
    root, writers, runs = sys.argv[1], sys.argv[2].split(","), json.loads(sys.argv[3])
    if "torch" in writers:
        from torch.utils.tensorboard import SummaryWriter

        for run in runs:
            writer = SummaryWriter(f"{root}/torch/{run['model']}/seed_{run['seed']}")
            for step, (loss, acc) in enumerate(zip(run["loss"], run["acc"])):
                writer.add_scalar("loss", loss, step)
                writer.add_scalar("Accuracy/val", acc, step)
            # add_hparams writes into a new subfolder named by the time.
            writer.add_hparams({"seed": run["seed"], "lr": 0.01, "model": run["model"]},
                               {"hparam/best_acc": max(run["acc"])})
            writer.close()
    if "tf" in writers:
        import tensorflow as tf
        from tensorboard.plugins.hparams import api as hp

        for run in runs:
            folder = f"{root}/tf/{run['model']}/seed_{run['seed']}"
            with tf.summary.create_file_writer(folder).as_default():
                hp.hparams({"dataset": "iris", "model": run["model"]})
                for step, (loss, acc) in enumerate(zip(run["loss"], run["acc"])):
                    tf.summary.scalar("loss", loss, step=step)
                    tf.summary.scalar("accuracy", acc, step=step)
                tf.summary.flush()
    """
)


def _runs() -> list[dict[str, object]]:
    runs = []
    for model, shift in MODELS.items():
        for seed in SEEDS:
            loss = [shift + 1.0 / (step + 1 + 0.5 * seed) for step in STEPS]
            acc = [0.5 + 0.04 * step + 0.01 * seed + 0.1 * (model == "cnn") for step in STEPS]
            runs.append({"model": model, "seed": seed, "loss": loss, "acc": acc})
    return runs


def _single(values: object) -> list[float]:
    """What both writers store: 32-bit floats."""
    return np.asarray(values, dtype=np.float32).astype(float).tolist()


def _installed(name: str) -> bool:
    return importlib.util.find_spec(name) is not None


@pytest.fixture(scope="module")
def logs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The runs of :func:`_runs`, written by every writer installed, in one fresh process."""
    root = tmp_path_factory.mktemp("tb")
    writers = [name for name, module in (("torch", "torch"), ("tf", "tensorflow"))
               if _installed(module)]  # fmt: skip
    if writers:
        done = run_python(["-c", WRITER, str(root), ",".join(writers), json.dumps(_runs())])
        assert done.returncode == 0, done.stderr[-3000:]
    return root


def _by_run() -> dict[tuple[str, int], dict[str, list[float]]]:
    return {
        (str(run["model"]), int(run["seed"])): {  # type: ignore[call-overload]
            "loss": _single(run["loss"]),
            "acc": _single(run["acc"]),
        }
        for run in _runs()
    }


def _json(capsys: pytest.CaptureFixture[str], argv: list[str]) -> dict[str, object]:
    capsys.readouterr()
    assert main(argv) == 0
    found: dict[str, object] = json.loads(capsys.readouterr().out)
    return found


@pytest.mark.skipif(not _installed("torch"), reason="torch is not installed: no SummaryWriter")
def test_summary_writer_runs_import_with_their_hparams_and_curves(
    logs: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store = tmp_path / "s.db"
    argv = ["import", "tensorboard", str(logs / "torch"), "--study-from", "hparams.model",
            "--seed-from", "hparams.seed", "--store", str(store)]  # fmt: skip
    assert main(argv) == 0
    assert "imported 2 studies: 6 runs added, 0 replaced" in capsys.readouterr().err
    assert main(argv) == 0
    assert "imported 2 studies: 0 runs added, 6 replaced" in capsys.readouterr().err
    written = _by_run()
    with open_store(store) as opened:
        assert sorted(s.name for s in opened.list_studies()) == ["cnn", "mlp"]
        study = opened.study("mlp")
        # add_hparams' subfolder is part of its run: its hparams and its metrics.
        assert study.record.config == {"lr": 0.01, "model": "mlp"}
        for run in study.runs:
            values = written[("mlp", run.seed)]
            assert run.metrics == {
                "loss": values["loss"][-1],
                "Accuracy/val": values["acc"][-1],
                "hparam/best_acc": max(values["acc"]),
            }
            steps = opened.steps("mlp", run.repeat)
            assert [s.value for s in steps if s.name == "loss"] == values["loss"]
            times = [s.value for s in steps if s.name == "time"]
            assert times == sorted(times)
            assert len(times) == len(STEPS)
            assert 0 <= times[0] <= times[-1] <= (run.duration or 0)

    summary = _json(capsys, ["summary", "cnn", "--metric", "Accuracy/val", "--json",
                             "--store", str(store)])["Accuracy/val"]  # fmt: skip
    finals = np.array([written[("cnn", seed)]["acc"][-1] for seed in SEEDS])
    half = stats.t.ppf(0.975, len(SEEDS) - 1) * finals.std(ddof=1) / np.sqrt(len(SEEDS))
    assert isinstance(summary, dict)
    assert summary["mean"] == pytest.approx(finals.mean(), rel=1e-12)
    assert summary["mean_ci_t"]["low"] == pytest.approx(finals.mean() - half, rel=1e-9)
    assert summary["mean_ci_t"]["high"] == pytest.approx(finals.mean() + half, rel=1e-9)

    curves = _json(capsys, ["curves", "mlp", "cnn", "--metric", "loss", "--json",
                            "--store", str(store)])  # fmt: skip
    assert curves["grid"] == [float(step) for step in STEPS]
    studies = {s["name"]: s for s in curves["studies"]}  # type: ignore[attr-defined]
    for model in MODELS:
        expected = np.mean([written[(model, seed)]["loss"] for seed in SEEDS], axis=0)
        assert studies[model]["mean"] == pytest.approx(expected.tolist(), rel=1e-12)
        assert studies[model]["n"] == [len(SEEDS)] * len(STEPS)
        assert studies[model]["interpolated"] == 0
    (difference,) = curves["differences"]  # type: ignore[misc]
    assert difference["paired"]
    paired = np.mean(
        [np.subtract(written[("cnn", s)]["loss"], written[("mlp", s)]["loss"]) for s in SEEDS],
        axis=0,
    )
    assert difference["mean"] == pytest.approx(paired.tolist(), rel=1e-9)


@pytest.mark.skipif(not _installed("tensorflow"), reason="TensorFlow is not installed")
def test_tf_summary_runs_import_with_tensor_scalars_by_step_and_time(
    logs: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store = tmp_path / "s.db"
    assert main(["import", "tensorboard", str(logs / "tf"), "--study-from", "path.0",
                 "--seed-from", r"path:seed_(\d+)", "--task-from", "hparams.dataset",
                 "--store", str(store)]) == 0  # fmt: skip
    assert "imported 2 studies: 6 runs added, 0 replaced (cnn@iris, mlp@iris)" in (
        capsys.readouterr().err
    )
    written = _by_run()
    with open_store(store) as opened:
        study = opened.study("cnn@iris")
        assert study.record.task == "iris"
        assert study.record.config == {"dataset": "iris", "model": "cnn"}
        for run in study.runs:
            values = written[("cnn", run.seed)]
            assert run.metrics == {"loss": values["loss"][-1], "accuracy": values["acc"][-1]}
            steps = opened.steps("cnn@iris", run.repeat)
            assert [(s.step, s.value) for s in steps if s.name == "accuracy"] == list(
                enumerate(values["acc"])
            )
    summary = _json(capsys, ["summary", "cnn@iris", "--metric", "loss", "--json",
                             "--store", str(store)])["loss"]  # fmt: skip
    finals = [written[("cnn", seed)]["loss"][-1] for seed in SEEDS]
    assert isinstance(summary, dict)
    assert summary["mean"] == pytest.approx(float(np.mean(finals)), rel=1e-12)
    assert summary["median"] == pytest.approx(float(np.median(finals)), rel=1e-12)
    by_time = _json(capsys, ["curves", "cnn@iris", "--metric", "accuracy", "--x", "time",
                             "--json", "--store", str(store)])  # fmt: skip
    (curve,) = by_time["studies"]  # type: ignore[misc]
    assert curve["runs"] == len(SEEDS)
    assert by_time["x"] == "time"
    grid = by_time["grid"]
    assert isinstance(grid, list)
    assert grid == sorted(grid)
    assert grid[0] >= 0
