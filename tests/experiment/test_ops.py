"""The op recorder (seedwise.experiment.watch.ops): digests streamed, one op captured in full."""

from __future__ import annotations

import gc
import inspect
import weakref
from pathlib import Path

import pytest

from seedwise.experiment.watch.ops import (
    OpsRequest,
    first_op_difference,
    load_captured,
    record_ops,
    recorded_summary,
)

torch = pytest.importorskip("torch")
# torch sets variables of its own (TORCHINDUCTOR_CACHE_DIR) the first time a mode runs.
pytestmark = pytest.mark.usefixtures("restore_global_rng")

HERE = "tests/experiment/test_ops.py"


def _train(noise_seed: int) -> float:
    """A tiny model's forward and backward passes; at step 1, noise from ``noise_seed``."""
    generator = torch.Generator().manual_seed(0)
    weight = torch.randn(4, 3, generator=generator, requires_grad=True)
    x = torch.randn(8, 4, generator=generator)
    for step in range(3):
        hidden = x @ weight
        if step == 1:
            noise = torch.rand(8, 3, generator=torch.Generator().manual_seed(noise_seed))
            hidden = hidden + noise * 1e-3
        loss = hidden.relu().pow(2).mean()
        loss.backward()
    torch.empty(3).fill_(1.0)
    return float(loss.detach())


def _record(folder: Path, noise_seed: int, capture: int | None = None) -> None:
    with record_ops(OpsRequest(("torch",), capture), folder):
        _train(noise_seed)


def test_equal_runs_give_equal_logs_and_one_line_per_op(tmp_path: Path) -> None:
    _record(tmp_path / "a", 1)
    _record(tmp_path / "b", 1)
    assert first_op_difference(tmp_path / "a", tmp_path / "b") is None
    summary = recorded_summary(tmp_path / "a")
    lines = (tmp_path / "a" / "ops.log").read_text().splitlines()
    assert summary["recorded"] == ["torch"]
    assert summary["missing"] == []
    assert summary["count"] == len(lines) > 20
    names = [line.split("\t")[0] for line in lines]
    assert "aten.mm.default" in names
    assert any("backward" in name for name in names), "the backward pass is recorded"
    # Memory not yet written and views of inputs carry no digest.
    digests = dict(line.split("\t") for line in lines)
    assert digests["aten.empty.memory_format"] == "-"
    assert digests["aten.fill_.Scalar"] not in ("-", "=")
    assert digests["aten.t.default"] == "="


def test_the_first_differing_op_is_named_and_captured_with_its_line(tmp_path: Path) -> None:
    _record(tmp_path / "a", 1)
    _record(tmp_path / "b", 2)
    mismatch = first_op_difference(tmp_path / "a", tmp_path / "b")
    assert mismatch is not None
    # The noise is drawn at step 1: the logs part at the draw, not before.
    assert mismatch.ops == ("aten.rand.generator", "aten.rand.generator")
    _record(tmp_path / "ca", 1, capture=mismatch.index)
    _record(tmp_path / "cb", 2, capture=mismatch.index)
    first, second = load_captured(tmp_path / "ca"), load_captured(tmp_path / "cb")
    assert first is not None
    assert second is not None
    assert (first.index, first.op, second.op) == (mismatch.index, *mismatch.ops)
    source, start = inspect.getsourcelines(_train)
    rand_line = start + next(i for i, line in enumerate(source) if "torch.rand(8, 3" in line)
    assert first.location == second.location == f"{HERE}:{rand_line}"
    assert first.inputs[0] == "[8, 3]"
    assert first.outputs == ("float32[8, 3]",)
    a, b = first.arrays[0], second.arrays[0]
    assert a is not None
    assert b is not None
    assert a.shape == (8, 3)
    assert (a != b).any()


def test_the_recorder_keeps_no_output_alive(tmp_path: Path) -> None:
    with record_ops(OpsRequest(("torch",)), tmp_path):
        out = torch.ones(1000, 1000) * 2.0
        kept = weakref.ref(out)
        del out
        gc.collect()
        assert kept() is None


def test_a_framework_without_a_recorder_is_listed_as_missing(tmp_path: Path) -> None:
    with record_ops(OpsRequest(("torch", "tensorflow")), tmp_path):
        torch.ones(2) + 1
    summary = recorded_summary(tmp_path)
    assert (summary["recorded"], summary["missing"], summary["count"]) == (
        ["torch"],
        ["tensorflow"],
        2,
    )


def test_a_log_that_ends_first_differs_where_it_ends(tmp_path: Path) -> None:
    with record_ops(OpsRequest(("torch",)), tmp_path / "a"):
        torch.ones(2) + 1
    with record_ops(OpsRequest(("torch",)), tmp_path / "b"):
        (torch.ones(2) + 1) * 3
    mismatch = first_op_difference(tmp_path / "a", tmp_path / "b")
    assert mismatch is not None
    assert (mismatch.index, mismatch.ops) == (2, ("(none)", "aten.mul.Tensor"))


def _jax_step(noise_seed: int) -> float:
    """A jitted loss and its gradient; noise from key ``noise_seed`` added to the weights."""
    import jax
    import jax.numpy as jnp

    @jax.jit
    def loss(w: jax.Array, x: jax.Array) -> jax.Array:
        return jnp.mean(jnp.tanh(x @ w) ** 2)

    w = jnp.ones((4, 3)) * 0.5
    x = jnp.arange(32.0).reshape(8, 4) / 32
    grad = jax.grad(loss)(w, x)
    w = w - 0.1 * grad + jax.random.normal(jax.random.key(noise_seed), (4, 3)) * 1e-3
    return float(loss(w, x))


@pytest.mark.slow
def test_jax_primitives_are_recorded_inside_jit_with_the_users_line(tmp_path: Path) -> None:
    pytest.importorskip("jax")
    for folder, noise_seed in (("a", 1), ("b", 2)):
        with record_ops(OpsRequest(("jax",)), tmp_path / folder):
            _jax_step(noise_seed)
    names = [line.split("\t")[0] for line in (tmp_path / "a" / "ops.log").read_text().splitlines()]
    # The primitives inside the jitted loss, forward and backward.
    assert {"jax.dot_general", "jax.tanh", "jax.transpose"} <= set(names)
    mismatch = first_op_difference(tmp_path / "a", tmp_path / "b")
    assert mismatch is not None
    for folder, noise_seed in (("ca", 1), ("cb", 2)):
        with record_ops(OpsRequest(("jax",), mismatch.index), tmp_path / folder):
            _jax_step(noise_seed)
    first = load_captured(tmp_path / "ca")
    assert first is not None
    assert first.framework == "jax"
    source, start = inspect.getsourcelines(_jax_step)
    noise_line = start + next(i for i, line in enumerate(source) if "jax.random.normal" in line)
    assert first.location == f"{HERE}:{noise_line}"
    assert first.op == mismatch.ops[0]
