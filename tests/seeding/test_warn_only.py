"""seed_everything(deterministic="warn"): ops without a deterministic kernel listed, not raised."""

from __future__ import annotations

import inspect
import warnings

import pytest

import seedwise
from seedwise.seeding import NondeterministicOp, SeedReport
from seedwise.store.rows import decode_unseeded, encode_unseeded

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.usefixtures("restore_global_rng")
HERE = "tests/seeding/test_warn_only.py"


def _ops_without_deterministic_kernels() -> None:
    """Two CPU ops that torch flags in deterministic mode: ``put_`` twice, max-unpooling once."""
    target = torch.zeros(5)
    for _ in range(2):
        target.put_(torch.tensor([0, 1]), torch.tensor([1.0, 2.0]))
    torch.nn.functional.max_unpool1d(torch.ones(1, 1, 2), torch.tensor([[[0, 2]]]), 2)


def _line(text: str) -> str:
    source, start = inspect.getsourcelines(_ops_without_deterministic_kernels)
    return f"{HERE}:{start + next(i for i, line in enumerate(source) if text in line)}"


def test_warn_mode_lists_each_op_with_its_count_and_the_users_line() -> None:
    seedwise.seed_everything(0, deterministic="warn", frameworks=["torch"])
    assert torch.are_deterministic_algorithms_enabled()
    assert torch.is_deterministic_algorithms_warn_only_enabled()
    with warnings.catch_warnings(record=True) as shown:
        # Inside this block: the recorder wraps showwarning again, and counts.
        seedwise.seed_everything(0, deterministic="warn", frameworks=["torch"])
        _ops_without_deterministic_kernels()
    report = seedwise.seed_everything(0, deterministic="warn", frameworks=["torch"])
    _ops_without_deterministic_kernels()
    # The first warning of each op is shown; the later ones only counted.
    assert len(shown) == 2
    assert report.nondeterministic_ops == [
        NondeterministicOp("put_", 2, _line("target.put_(")),
        # Raised inside torch.nn.functional: the line named is the user's call.
        NondeterministicOp("max_unpooling2d_forward_out", 1, _line("max_unpool1d(")),
    ]
    text = str(report)
    assert "deterministic ops on, warn-only" in text
    assert f"put_ (2x), first at {_line('target.put_(')}" in text
    assert "<td>put_</td>" in report._repr_html_()
    again = SeedReport.from_dict(report.to_dict())
    assert again.deterministic == "warn"
    assert again.nondeterministic_ops == report.nondeterministic_ops


def test_a_later_seeding_without_warn_stops_listing() -> None:
    report = seedwise.seed_everything(0, deterministic="warn", frameworks=["torch"])
    seedwise.seed_everything(0, deterministic=False, frameworks=["torch"])
    _ops_without_deterministic_kernels()
    assert report.nondeterministic_ops == []


def test_deterministic_mode_raises_where_warn_mode_lists() -> None:
    seedwise.seed_everything(0, deterministic=True, frameworks=["torch"])
    with pytest.raises(RuntimeError, match="does not have a deterministic implementation"):
        _ops_without_deterministic_kernels()


def test_a_bad_mode_is_refused_in_one_line() -> None:
    with pytest.raises(seedwise.errors.UsageError, match="deterministic='warm'; expected"):
        seedwise.seed_everything(0, deterministic="warm")  # type: ignore[arg-type]


def test_the_ops_are_stored_beside_the_unseeded_uses_and_read_back() -> None:
    ops = (NondeterministicOp("put_", 3, "train.py:9"),)
    text = encode_unseeded((), ops)
    assert decode_unseeded(text, where="runs.unseeded") == ((), ops, None, ())
