"""seedwise.check(ops=True) in real fresh processes: the first op whose outputs differ."""

from __future__ import annotations

import pytest

from seedwise.check import check
from seedwise.errors import UsageError
from tests.check.conftest import FAST, line_of, reference

pytestmark = pytest.mark.slow
TORCH = (*FAST, "torch")


def test_an_op_fed_by_os_entropy_is_named_with_the_users_line() -> None:
    result = check(reference("torch_entropy_op"), frameworks=TORCH, probes=False, ops=True)
    assert result.reproducible is False
    trace = result.op_trace
    assert trace is not None, str(result)
    assert trace.recorded == ["torch"]
    assert trace.op == "aten.rand.default"
    line = line_of("torch.rand(8, dtype=torch.float64)", after="def torch_entropy_op")
    assert trace.location == f"tests/programs/broken.py:{line}"
    assert trace.outputs == ["float64[8]"]
    assert trace.inputs[0] == "[8]"
    assert trace.max_abs_diff is not None
    assert 0.0 < trace.max_abs_diff <= 1.0
    assert trace.ulps is not None
    assert trace.ulps > 0
    assert trace.index is not None
    assert 0 < trace.index < trace.ops
    assert "aten.rand.default ([8], " in str(result)
    assert f"at tests/programs/broken.py:{line}" in str(result)
    assert result.to_dict()["op_trace"]["op"] == "aten.rand.default"


def test_a_custom_op_that_reduces_in_unseeded_order_is_named() -> None:
    result = check(reference("torch_unordered_reduction"), frameworks=TORCH, probes=False, ops=True)
    assert result.reproducible is False
    trace = result.op_trace
    assert trace is not None, str(result)
    assert trace.op == "seedwise_tests.unordered_sum.default"
    line = line_of("total = unordered_sum(wide)", after="def torch_unordered_reduction")
    assert trace.location == f"tests/programs/broken.py:{line}"
    assert (trace.inputs, trace.outputs) == (["float32[512]"], ["float32[]"])
    assert trace.ulps is not None
    assert trace.ulps > 0


def test_a_run_without_a_recorded_framework_says_so() -> None:
    result = check(reference("vocabulary"), frameworks=FAST, probes=False, ops=True)
    assert result.reproducible is False
    trace = result.op_trace
    assert trace is not None
    assert trace.index is None
    assert trace.recorded == []
    assert "no op recorder" in trace.note
    assert "torch" in trace.note


def test_ops_on_a_dask_cluster_is_refused_before_any_run() -> None:
    with pytest.raises(UsageError, match="executor='dask'; expected executor='local'"):
        check(reference("torch_entropy_op"), ops=True, executor="dask")


def test_a_jax_key_from_os_entropy_is_named_at_the_users_line() -> None:
    result = check(reference("jax_entropy_key"), frameworks=(*FAST, "jax"), probes=False, ops=True)
    assert result.reproducible is False
    trace = result.op_trace
    assert trace is not None
    assert trace.recorded == ["jax"]
    assert trace.op is not None
    assert trace.op.startswith("jax.")
    line = line_of("jax.random.key(int.from_bytes", after="def jax_entropy_key")
    assert trace.location == f"tests/programs/broken.py:{line}"
    assert trace.index is not None
    assert 0 < trace.index < trace.ops
