"""Framework fingerprints, captures, ULP distances and the first difference of two runs."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from seedwise.experiment import FingerprintRecord, RunContext, StepRecord
from seedwise.experiment.fingerprint import capture_tensors, load_capture
from seedwise.records import RunRecord, RunStatus, array_difference, first_difference, ulp_distance


def _context() -> RunContext:
    return RunContext(seed=1, repeat=0, config={}, workdir=Path("."))


@pytest.mark.slow
@pytest.mark.usefixtures("restore_global_rng")
def test_torch_module_and_optimizer_are_walked_by_state_dict_key() -> None:
    torch = pytest.importorskip("torch")
    layer = torch.nn.Linear(3, 2)
    net = torch.nn.Sequential(layer, torch.nn.BatchNorm1d(2))
    with torch.no_grad():
        layer.weight.copy_(torch.arange(6.0).reshape(2, 3))
    optimizer = torch.optim.SGD(net.parameters(), lr=0.1, momentum=0.9)
    net(torch.ones(4, 3)).sum().backward()
    optimizer.step()
    ctx = _context()
    ctx.fingerprint("net", net, step=1)
    ctx.fingerprint("opt", optimizer, step=1)
    ctx.fingerprint("half", torch.ones(2, dtype=torch.bfloat16))
    names = [record.name for record in ctx.fingerprints]
    assert names[:7] == [
        "net/0/weight",
        "net/0/bias",
        "net/1/weight",
        "net/1/bias",
        "net/1/running_mean",
        "net/1/running_var",
        "net/1/num_batches_tracked",
    ]
    assert names[7:11] == [f"opt/{i}/momentum_buffer" for i in range(4)]
    # The module's digest is that of its values: the same as the NumPy array's.
    weight = next(r for r in ctx.fingerprints if r.name == "net/0/weight")
    reference = _context()
    reference.fingerprint("w", layer.weight.detach().numpy().copy())
    assert weight.digest == reference.fingerprints[0].digest
    assert (ctx.fingerprints[-1].dtype, ctx.fingerprints[-1].sum) == ("float32", 2.0)


@pytest.mark.usefixtures("restore_global_rng")
def test_jax_pytree_and_flax_like_state_are_named_by_key_path() -> None:
    jnp = pytest.importorskip("jax.numpy")
    ctx = _context()
    ctx.fingerprint("params", {"dense": {"kernel": jnp.ones((2, 2)), "bias": jnp.zeros(2)}})
    assert [(r.name, r.shape, r.sum) for r in ctx.fingerprints] == [
        ("params/dense/kernel", (2, 2), 4.0),
        ("params/dense/bias", (2,), 0.0),
    ]


@pytest.mark.usefixtures("restore_global_rng")
def test_keras_model_gives_weights_by_path_then_optimizer_variables() -> None:
    keras = pytest.importorskip("keras")
    model = keras.Sequential(
        [
            keras.Input((1,)),
            keras.layers.Dense(2, name="dense"),
            keras.layers.Dense(1, name="dense_1"),
        ],
        name="sequential",
    )
    ctx = _context()
    ctx.fingerprint("weights", model, step=0)
    assert [r.name for r in ctx.fingerprints] == [
        "weights/sequential/dense/kernel",
        "weights/sequential/dense/bias",
        "weights/sequential/dense_1/kernel",
        "weights/sequential/dense_1/bias",
    ]
    model.compile(optimizer="sgd", loss="mse")
    model.optimizer.build(model.trainable_variables)
    ctx.fingerprint("after", model)
    optimizer_names = [r.name for r in ctx.fingerprints if "/optimizer/" in r.name]
    assert optimizer_names[:2] == [
        "after/optimizer/sgd/iteration",
        "after/optimizer/sgd/learning_rate",
    ]


def test_numpy_fingerprints_import_no_framework() -> None:
    code = (
        "import sys, numpy as np; from pathlib import Path; "
        "from seedwise.experiment import RunContext; "
        "RunContext(1, 0, {}, Path('.')).fingerprint('w', {'a': np.ones(3), 'b': [1.5, 2]}); "
        "print(sorted({'torch', 'tensorflow', 'jax', 'keras'} & set(sys.modules)))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert done.stdout.strip() == "[]"


def test_capture_saves_the_chosen_step_in_full(tmp_path: Path) -> None:
    ctx = _context()
    with capture_tensors(2, tmp_path):
        for step in range(4):
            ctx.fingerprint("w", {"a": np.full(3, step, dtype=np.float32)}, step=step)
    captured = load_capture(tmp_path)
    assert list(captured) == ["w/a"]
    np.testing.assert_array_equal(captured["w/a"], np.full(3, 2, dtype=np.float32))
    assert captured["w/a"].dtype == np.float32
    assert load_capture(tmp_path / "absent") == {}


def test_ulp_distance_counts_representable_floats_across_zero() -> None:
    one = np.array([1.0], dtype=np.float32)
    three_up = np.array([1.0 + 3 * np.finfo(np.float32).eps], dtype=np.float32)
    assert ulp_distance(one, three_up) == 3
    tiny = np.array([np.finfo(np.float64).smallest_subnormal])
    # -tiny, -0.0, +0.0, +tiny: three steps.
    assert ulp_distance(tiny, -tiny) == 3
    assert ulp_distance(np.array([np.nan, 1.0]), np.array([2.0, 1.0])) == 0
    assert ulp_distance(np.arange(3), np.arange(3)) is None
    assert array_difference(one, three_up) == (pytest.approx(3 * 2**-23), 3)
    assert array_difference(np.ones(2), np.ones(3)) == (None, None)


def _outcome(**changes: Any) -> RunRecord:
    outcome = RunRecord(
        "check",
        0,
        1,
        RunStatus.OK,
        metrics={"loss": 0.5},
        steps=(StepRecord(0, "loss", 1.0), StepRecord(1, "loss", 0.75)),
        fingerprints=tuple(
            FingerprintRecord(step, "w", f"d{step}", "float32", (2,), 0.0, 0.0) for step in range(3)
        ),
    )
    return replace(outcome, **changes)


def test_first_difference_takes_the_earliest_step_and_prefers_fingerprints() -> None:
    base = _outcome()
    assert first_difference(base, _outcome()) is None
    later_digest = _outcome(
        fingerprints=[*base.fingerprints[:2], FingerprintRecord(2, "w", "x", "float32", (2,), 0, 0)]
    )
    earlier_metric = _outcome(steps=[base.steps[0], StepRecord(1, "loss", 0.7500001)])
    both = _outcome(fingerprints=later_digest.fingerprints, steps=earlier_metric.steps)
    assert first_difference(base, later_digest) is not None
    assert first_difference(base, later_digest).step == 2  # type: ignore[union-attr]
    difference = first_difference(base, both)
    assert difference is not None
    assert (difference.kind, difference.step, difference.values) == ("metric", 1, (0.75, 0.7500001))
    returned = first_difference(base, _outcome(metrics={"loss": -0.5}))
    assert returned is not None
    assert (returned.kind, returned.name) == ("result", "loss")
    failed = first_difference(base, _outcome(status="failed"))
    assert failed is not None
    assert failed.kind == "status"


@pytest.mark.usefixtures("restore_global_rng")
def test_keras_callback_fingerprints_every_batch_or_epoch_and_logs() -> None:
    keras = pytest.importorskip("keras")
    from seedwise.errors import UsageError
    from seedwise.integrations.keras import FingerprintCallback

    # Explicit names: Keras numbers default ones per process (sequential_1, ...).
    model = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1, name="out")], name="net")
    model.compile(optimizer="sgd", loss="mse")
    x = np.arange(6, dtype=np.float32).reshape(-1, 1)
    by_batch, by_epoch = _context(), _context()
    callbacks = [
        FingerprintCallback(by_batch, every="batch", log_metrics=False),
        FingerprintCallback(by_epoch),
    ]
    model.fit(x, x, epochs=2, batch_size=2, shuffle=False, verbose=0, callbacks=callbacks)
    kernel = "weights/net/out/kernel"
    assert [r.step for r in by_batch.fingerprints if r.name == kernel] == [0, 1, 2, 3, 4, 5]
    assert [r.step for r in by_epoch.fingerprints if r.name == kernel] == [0, 1]
    assert by_batch.steps == []
    assert [(s.step, s.name) for s in by_epoch.steps] == [(0, "loss"), (1, "loss")]
    last_batch = [r for r in by_batch.fingerprints if r.step == 5]
    last_epoch = [r for r in by_epoch.fingerprints if r.step == 1]
    assert [r.digest for r in last_batch] == [r.digest for r in last_epoch]
    with pytest.raises(UsageError, match="every='step'"):
        FingerprintCallback(by_epoch, every="step")
