"""seedwise.check on real experiments in real fresh processes: broken ones and clean ones."""

from __future__ import annotations

from pathlib import Path

import pytest

from seedwise.check import check
from seedwise.errors import ExperimentError, UsageError
from tests.check.conftest import FAST, line_of, reference

pytestmark = pytest.mark.slow


def test_clean_numpy_experiment_reproduces_with_every_digest_compared() -> None:
    result = check(reference("numpy_clean"), seed=3, config={"steps": 4}, frameworks=FAST)
    assert result.reproducible is True
    assert result.first_divergence is None
    assert result.causes == []
    assert result.fingerprints == 4
    assert len(result.runs) == 3
    assert list(result.metrics) == ["loss"]
    assert "reproducible" in str(result)
    assert "NOT" not in str(result)


def test_unseeded_noise_from_epoch_2_is_found_at_epoch_2_with_tensor_and_cause() -> None:
    result = check(reference("torch_noise"), frameworks=(*FAST, "torch"))
    assert result.reproducible is False
    divergence = result.first_divergence
    assert divergence is not None
    assert (divergence.kind, divergence.step) == ("fingerprint", 2)
    assert (divergence.name, divergence.tensor) == ("weights", "weights/2/weight")
    assert divergence.between == "two fresh processes"
    # The noise has a standard deviation of 1e-6 on weights of order 0.1-1.
    assert divergence.max_abs_diff is not None
    assert 1e-9 < divergence.max_abs_diff < 1e-4
    assert divergence.ulps is not None
    assert divergence.ulps >= 1
    assert list(divergence.metric_differences) == ["loss"]
    noise_line = line_of("np.random.default_rng()", after="def torch_noise")
    assert [(c.kind, c.location) for c in result.causes] == [
        ("numpy.random.default_rng()", f"tests/programs/broken.py:{noise_line}")
    ]
    assert "ctx.rng" in result.causes[0].fix
    text = str(result)
    assert "runs part at step 2" in text
    assert "weights/2/weight" in text
    assert f"broken.py:{noise_line}" in text


def test_vocabulary_from_a_set_names_pythonhashseed() -> None:
    result = check(reference("vocabulary"), frameworks=FAST)
    assert result.reproducible is False
    assert result.first_divergence is not None
    assert result.first_divergence.between == "two fresh processes"
    assert result.first_divergence.kind == "result"
    assert result.first_divergence.name == "score"
    assert [cause.kind for cause in result.causes] == ["PYTHONHASHSEED"]
    assert "sorted" in result.causes[0].fix


def test_rng_seeded_from_the_clock_is_detected_with_its_line() -> None:
    result = check(reference("clock_seeded"), frameworks=FAST)
    clock_line = line_of("time.time_ns()", after="def clock_seeded")
    clock = [cause for cause in result.causes if cause.kind == "seed from the clock"]
    assert [cause.location for cause in clock] == [f"tests/programs/broken.py:{clock_line}"]
    assert "ctx.seed" in clock[0].fix


def test_state_carried_between_runs_is_caught_by_the_warm_worker_probe() -> None:
    result = check(reference("order_dependent"), frameworks=FAST)
    assert result.reproducible is False
    divergence = result.first_divergence
    assert divergence is not None
    assert divergence.between == "fresh process / warm process"
    assert (divergence.step, divergence.tensor) == (0, "weights")
    # The second run in the process scales the weights by 1.1 instead of 1.0.
    assert divergence.max_abs_diff is not None
    assert divergence.max_abs_diff > 0.01
    assert [cause.kind for cause in result.causes] == ["order in the process"]


def test_shuffling_dataloader_without_generator_is_a_hazard_even_when_it_reproduces() -> None:
    result = check(reference("torch_unseeded_loader"), frameworks=(*FAST, "torch"))
    loader_line = line_of("DataLoader(", after="def torch_unseeded_loader")
    assert result.reproducible is True
    assert [(c.kind, c.location) for c in result.causes] == [
        ("torch DataLoader without generator", f"tests/programs/broken.py:{loader_line}")
    ]
    assert "hazards found" in str(result)


def test_clean_keras_on_tensorflow_reproduces() -> None:
    result = check(
        reference("keras_clean"),
        config={"epochs": 2},
        frameworks=("keras", *FAST, "tensorflow"),
        keras_backend="tensorflow",
    )
    assert result.reproducible is True, str(result)
    # 4 weights and, once built, 10 optimizer variables, per epoch.
    assert result.fingerprints == 2 * 14
    assert result.causes == []


def test_clean_torch_reproduces() -> None:
    result = check(reference("torch_clean"), frameworks=(*FAST, "torch"))
    assert result.reproducible is True, str(result)
    # 2 epochs of 4 batches, every 2nd step: 4 x (4 params + 4 grads + 12 Adam state).
    assert result.fingerprints == 4 * 20
    assert result.causes == []


def test_clean_jax_reproduces() -> None:
    result = check(reference("jax_clean"), config={"steps": 3}, frameworks=(*FAST, "jax"))
    assert result.reproducible is True, str(result)
    assert result.fingerprints == 3 * 2
    assert result.causes == []


def test_bad_input_is_refused_before_any_run() -> None:
    with pytest.raises(UsageError, match="workers"):
        check(reference("numpy_clean"), workers=0)
    with pytest.raises(ExperimentError):
        check(reference("no_such_function"))


def test_code_that_seeds_itself_with_a_constant_is_named_a_hazard(tmp_path: Path) -> None:
    (tmp_path / "constant.py").write_text(
        "import random\n\n"
        "def train(ctx):\n"
        "    rng = random.Random(42)\n"
        "    return {'v': rng.random()}\n"
    )
    result = check(f"{tmp_path / 'constant.py'}:train", frameworks=FAST)
    assert result.reproducible is True
    assert [cause.kind for cause in result.causes] == ["seed ignored"]
    assert "ctx.seed" in result.causes[0].fix
    assert "a script's own option receives it as a placeholder (-- --seed {seed})" in (
        result.causes[0].fix
    )


def test_metrics_printed_with_few_digits_are_named_a_hazard(tmp_path: Path) -> None:
    script = (
        "import random\nv = random.random()\nprint(f'A: {v:.3f}')\nprint(f'B: {v!r}')\n"
        "print('epochs run: 24')\n"
    )
    (tmp_path / "printed.py").write_text(script)
    result = check(
        str(tmp_path / "printed.py"),
        frameworks=FAST,
        metric_patterns=[r"a=A: (\S+)", r"b=B: (\S+)", r"epochs=epochs run: (\d+)"],
    )
    assert result.reproducible is True
    # A whole number printed in full is exact: only 'a' loses digits.
    assert [cause.kind for cause in result.causes] == ["printed metric"]
    assert "'a'" in result.causes[0].detail


def test_the_advice_for_a_torch_run_names_the_torch_helper_not_the_keras_callback() -> None:
    result = check(reference("torch_process_seeded"), frameworks=(*FAST, "torch"), probes=False)
    assert result.reproducible is False
    (cause,) = result.causes
    assert cause.kind == "nondeterminism"
    assert "seedwise.integrations.torch.fingerprint_every(ctx, model, optimizer)" in cause.fix
    assert "FingerprintCallback" not in cause.fix


def test_os_entropy_drawn_inside_a_library_names_the_users_line_that_called_it() -> None:
    result = check(reference("library_entropy"), frameworks=FAST, probes=False)
    assert result.reproducible is False
    line = line_of("stats.Normal().sample(3)", after="def library_entropy")
    assert [(c.kind, c.location) for c in result.causes] == [
        ("OS entropy inside a library", f"tests/programs/broken.py:{line}")
    ]
    assert "scipy" in result.causes[0].fix
    assert f"broken.py:{line}" in str(result)


def test_os_entropy_inside_a_library_that_never_reaches_the_result_is_no_hazard() -> None:
    result = check(reference("library_entropy_unused"), frameworks=FAST, probes=False)
    assert result.reproducible is True
    assert result.causes == []
