"""seed_everything and seeded, in this process: what they set, report and restore."""

from __future__ import annotations

import json
import os
import random
import textwrap
from typing import Any

import numpy as np
import pytest

import seedwise
from seedwise.errors import UsageError
from seedwise.seeding import SeedReport
from tests.conftest import run_python


def test_report_lists_every_framework_and_round_trips(restore_global_rng: None) -> None:
    report = seedwise.seed_everything(7)
    assert {a.framework for a in report.actions} >= set(seedwise.FRAMEWORKS)
    assert report.frameworks == ["keras", "python", "numpy", "tensorflow", "torch", "jax"]
    assert SeedReport.from_dict(json.loads(report.to_json())) == report
    text = str(report)
    assert text.splitlines()[0] == "seedwise.seed_everything(7): deterministic ops on"
    assert "tf.random.set_seed(7)" in text
    assert "torch.manual_seed(7)" in text


def test_generators_equal_their_own_seeding_calls(restore_global_rng: None) -> None:
    import tensorflow as tf
    import torch

    seedwise.seed_everything(11)
    ours = (random.random(), np.random.rand(), torch.rand(3).tolist(), tf.random.uniform([3]))
    random.seed(11)
    np.random.seed(11)
    torch.manual_seed(11)
    tf.random.set_seed(11)
    theirs = (random.random(), np.random.rand(), torch.rand(3).tolist(), tf.random.uniform([3]))
    assert ours[:3] == theirs[:3]
    assert ours[3].numpy().tolist() == theirs[3].numpy().tolist()


def test_deterministic_switches(restore_global_rng: None) -> None:
    import tensorflow as tf
    import torch

    os.environ.pop("CUBLAS_WORKSPACE_CONFIG", None)
    os.environ.pop("XLA_FLAGS", None)
    seedwise.seed_everything(3, deterministic=True)
    assert torch.are_deterministic_algorithms_enabled()
    assert torch.backends.cudnn.deterministic is True
    assert torch.backends.cudnn.benchmark is False
    assert os.environ["CUBLAS_WORKSPACE_CONFIG"] == ":4096:8"
    from tensorflow.python.framework import config

    assert config.is_op_determinism_enabled()
    assert tf.random.get_global_generator().algorithm is not None


def test_xla_flag_set_only_before_jax_initialises(restore_global_rng: None) -> None:
    from seedwise.seeding import _jax

    os.environ.pop("XLA_FLAGS", None)
    report = seedwise.seed_everything(3, frameworks=["jax"])
    if _jax.backend_initialised():
        assert report.for_framework("jax")[-1].status == "warning"
    else:
        assert os.environ["XLA_FLAGS"] == "--xla_gpu_deterministic_ops=true"
        assert report.for_framework("jax")[-1].status == "ok"


def test_not_deterministic_says_so(restore_global_rng: None) -> None:
    report = seedwise.seed_everything(3, deterministic=False, frameworks=["torch", "tensorflow"])
    warnings = {(a.framework, a.action) for a in report.warnings}
    assert warnings == {
        ("torch", "deterministic algorithms"),
        ("tensorflow", "op determinism"),
        ("python", "random: not seeded"),
    }
    assert report.deterministic is False


def test_pythonhashseed_warning_depends_on_the_environment(restore_global_rng: None) -> None:
    os.environ.pop("PYTHONHASHSEED", None)
    unset = seedwise.seed_everything(1, frameworks=["python"]).for_framework("python")
    assert [a.status for a in unset] == ["ok", "impossible"]
    assert "seedwise run` fixes it" in unset[1].detail
    os.environ["PYTHONHASHSEED"] = "0"
    fixed = seedwise.seed_everything(1, frameworks=["python"]).for_framework("python")
    assert [a.status for a in fixed] == ["ok", "ok"]


def test_default_rng_limit_is_reported(restore_global_rng: None) -> None:
    actions = seedwise.seed_everything(1, frameworks=["numpy"]).for_framework("numpy")
    assert actions[1].status == "impossible"
    assert "seedwise.rng(seed, 'name')" in actions[1].detail


def test_large_seed_reaches_numpy_as_two_words(restore_global_rng: None) -> None:
    seed = 2**40 + 5
    seedwise.seed_everything(seed, frameworks=["numpy"])
    ours = np.random.rand()
    np.random.seed([5, 256])
    assert np.random.rand() == ours


def test_unknown_framework_and_bad_flag() -> None:
    with pytest.raises(UsageError, match="frameworks=\\['tensorfow'\\]"):
        seedwise.seed_everything(1, frameworks=["tensorfow"])
    with pytest.raises(UsageError, match="deterministic=1"):
        seedwise.seed_everything(1, deterministic=1)  # type: ignore[arg-type]


def test_jax_key_matches_jax_and_keeps_64_bits() -> None:
    import jax

    assert np.array_equal(
        jax.random.key_data(seedwise.jax_key(5)), jax.random.key_data(jax.random.key(5))
    )
    assert jax.random.key_data(seedwise.jax_key(2**40 + 5)).tolist() == [256, 5]
    derived = seedwise.derive_seed(5, "init")
    assert np.array_equal(
        jax.random.key_data(seedwise.jax_key(5, "init")),
        jax.random.key_data(seedwise.jax_key(derived)),
    )


def _draws() -> list[Any]:
    import keras
    import tensorflow as tf
    import torch

    return [
        random.random(),
        float(np.random.rand()),
        torch.rand(2).tolist(),
        tf.random.uniform([2]).numpy().tolist(),
        tf.random.get_global_generator().normal([2]).numpy().tolist(),
        keras.random.uniform((2,)).numpy().tolist(),
    ]


def test_seeded_restores_every_generator(restore_global_rng: None) -> None:
    seedwise.seed_everything(123, deterministic=False)
    expected = _draws()
    seedwise.seed_everything(123, deterministic=False)
    with seedwise.seeded(7) as report:
        inside = _draws()
        assert report.seed == 7
    after = _draws()
    assert after == expected
    assert inside != expected


def test_seeded_restores_deterministic_switches_and_environment(
    restore_global_rng: None,
) -> None:
    import torch

    torch.use_deterministic_algorithms(False)
    os.environ.pop("CUBLAS_WORKSPACE_CONFIG", None)
    with seedwise.seeded(1, deterministic=True):
        assert torch.are_deterministic_algorithms_enabled()
        assert "CUBLAS_WORKSPACE_CONFIG" in os.environ
    assert not torch.are_deterministic_algorithms_enabled()
    assert "CUBLAS_WORKSPACE_CONFIG" not in os.environ


def test_import_is_light() -> None:
    code = (
        "import sys, seedwise; "
        "print(sorted(m for m in ('numpy', 'tensorflow', 'torch', 'jax', 'keras', 'scipy') "
        "if m in sys.modules))"
    )
    completed = run_python(["-c", code])
    assert completed.returncode == 0, completed.stderr
    assert completed.stdout.strip() == "[]"


def test_absent_framework_is_skipped_and_never_imported() -> None:
    code = textwrap.dedent(
        """
        import importlib.abc, sys

        class Absent(importlib.abc.MetaPathFinder):
            def find_spec(self, name, path=None, target=None):
                if name.split(".")[0] in ("torch", "jax"):
                    raise ModuleNotFoundError(name)
                return None

        sys.meta_path.insert(0, Absent())
        import importlib.util
        importlib.util.find_spec = (
            lambda name, package=None, _real=importlib.util.find_spec:
            None if name.split(".")[0] in ("torch", "jax") else _real(name, package)
        )
        import json, seedwise
        report = seedwise.seed_everything(4, frameworks=["python", "numpy", "torch", "jax"])
        print(json.dumps([[a.framework, a.status] for a in report.actions]))
        print("torch" in sys.modules, "jax" in sys.modules)
        """
    )
    completed = run_python(["-c", code])
    assert completed.returncode == 0, completed.stderr
    actions, imported = completed.stdout.strip().splitlines()
    assert ["torch", "skipped"] in json.loads(actions)
    assert ["jax", "skipped"] in json.loads(actions)
    assert imported == "False False"
