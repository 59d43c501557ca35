"""The experiment protocol: RunContext, loading references, checking results and --set."""

from __future__ import annotations

import inspect
import math
import pickle
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from seedwise.errors import EXIT_USAGE, ExperimentError, InvalidResultError, UsageError
from seedwise.experiment import (
    FingerprintRecord,
    RunContext,
    StepRecord,
    check_metrics,
    experiment_source_hash,
    load_experiment,
    parse_assignment,
)
from seedwise.experiment.calling import plan_call
from seedwise.experiment.code.identity import code_identity, describe_change
from seedwise.experiment.reference import FunctionRef, ScriptRef
from seedwise.experiment.resolve import resolve_experiment
from seedwise.experiment.values import parse_metric_pattern
from seedwise.seeding.streams import derive_seed, rng

GOOD = "def train(ctx):\n    return {'mse': 0.5}\n"


def write(folder: Path, name: str, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(text)
    return path


def load_error(ref: str) -> str:
    with pytest.raises(ExperimentError) as caught:
        load_experiment(ref)
    assert isinstance(caught.value, UsageError)
    assert caught.value.exit_code == EXIT_USAGE
    message = str(caught.value)
    assert "\n" not in message
    assert "Received:" in message
    return message


# Loading ---------------------------------------------------------------------


def test_load_a_file_and_call_it(tmp_path: Path) -> None:
    path = write(tmp_path, "exp.py", GOOD)
    train = load_experiment(f"{path}:train")
    assert train(None) == {"mse": 0.5}
    assert train.__module__ in sys.modules


def test_files_with_the_same_name_do_not_clash(tmp_path: Path) -> None:
    first = write(tmp_path / "a", "exp.py", "def train(ctx):\n    return {'m': 1.0}\n")
    second = write(tmp_path / "b", "exp.py", "def train(ctx):\n    return {'m': 2.0}\n")
    train_a = load_experiment(f"{first}:train")
    train_b = load_experiment(f"{second}:train")
    assert (train_a(None), train_b(None)) == ({"m": 1.0}, {"m": 2.0})
    assert train_a.__module__ != train_b.__module__


def test_sibling_imports_work_and_sys_path_is_restored(tmp_path: Path) -> None:
    write(tmp_path, "helpers_for_seedwise_test.py", "VALUE = 3.0\n")
    path = write(
        tmp_path,
        "exp.py",
        "from helpers_for_seedwise_test import VALUE\n\ndef train(ctx):\n    return {'v': VALUE}\n",
    )
    before = list(sys.path)
    try:
        assert load_experiment(f"{path}:train")(None) == {"v": 3.0}
        assert sys.path == before
    finally:
        sys.modules.pop("helpers_for_seedwise_test", None)


def test_load_a_module_reference(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(tmp_path / "seedwise_test_pkg", "__init__.py", "")
    write(tmp_path / "seedwise_test_pkg", "exp.py", GOOD)
    monkeypatch.syspath_prepend(str(tmp_path))
    try:
        assert load_experiment("seedwise_test_pkg.exp:train")(None) == {"mse": 0.5}
    finally:
        for name in ("seedwise_test_pkg.exp", "seedwise_test_pkg"):
            sys.modules.pop(name, None)


def test_missing_file(tmp_path: Path) -> None:
    message = load_error(f"{tmp_path}/nope.py:train")
    assert message.startswith("Experiment file not found")
    assert "nope.py" in message


@pytest.mark.parametrize("ref", ["exp.py", "exp.py:", "pkg.module", ":train"])
def test_missing_function_part(ref: str) -> None:
    message = load_error(ref)
    assert message.startswith("Experiment reference has no ':fn' part")
    assert "expected 'path/to/file.py:fn' or 'package.module:fn'" in message


def test_syntax_error_names_file_and_line(tmp_path: Path) -> None:
    path = write(tmp_path, "broken.py", "x = 1\n\ndef train(ctx:\n    return {}\n")
    message = load_error(f"{path}:train")
    assert message.startswith(f"Experiment file has a syntax error at {path}:3:")


def test_module_that_raises_on_import(tmp_path: Path) -> None:
    path = write(tmp_path, "raises.py", "raise RuntimeError('no GPU here\\nsecond line')\n")
    message = load_error(f"{path}:train")
    assert message.startswith(
        "Experiment file raised on import: RuntimeError: no GPU here. Received:"
    )
    assert "second line" not in message


def test_missing_function_lists_the_callables(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "exp.py",
        "import os\n\ndef train(ctx):\n    return {}\n\ndef evaluate(ctx):\n    return {}\n"
        "\ndef _private(ctx):\n    return {}\n",
    )
    message = load_error(f"{path}:trian")
    assert message.startswith("Experiment function 'trian' not found in")
    assert message.endswith("expected one of: train, evaluate")


def test_missing_module() -> None:
    message = load_error("seedwise_no_such_module.sub:train")
    assert message.startswith("Experiment module 'seedwise_no_such_module.sub' not found")


def test_non_callable(tmp_path: Path) -> None:
    path = write(tmp_path, "exp.py", "train = 3\n")
    message = load_error(f"{path}:train")
    assert "'train' in" in message
    assert "is not callable. Received: train=3 (of type int)" in message


@pytest.mark.parametrize(
    ("source", "config", "shown"),
    [
        (
            "def train(ctx, data):\n    return {}\n",
            {},
            "a parameter without a default that no config value fills. Received: "
            "train(ctx, data); expected --set data=VALUE",
        ),
        (
            "def train(epochs=1):\n    return {}\n",
            {"lr": 0.1},
            "Config key 'lr' matches no parameter of experiment function 'train'",
        ),
        (
            "def train(ctx, a, /, b=1):\n    return {}\n",
            {"a": 1},
            "a positional-only parameter the config cannot fill",
        ),
    ],
)
def test_signatures_the_config_cannot_fill_are_refused_before_running(
    tmp_path: Path, source: str, config: dict[str, Any], shown: str
) -> None:
    path = write(tmp_path, "exp.py", "raise SystemExit('the parent must not run this')\n" + source)
    with pytest.raises(ExperimentError) as caught:
        resolve_experiment(f"{path}:train", config=config)
    assert shown in str(caught.value)


@pytest.mark.parametrize(
    ("source", "config", "args", "kwargs"),
    [
        ("def train(ctx):\n    pass\n", {"x": 1}, ["CTX"], {}),
        ("def train(run):\n    pass\n", {}, ["CTX"], {}),
        ("def train():\n    pass\n", {}, [], {}),
        ("def train(*, ctx):\n    pass\n", {}, [], {"ctx": "CTX"}),
        ("def train(epochs=100, lr=1e-3):\n    pass\n", {"lr": 0.5}, [], {"lr": 0.5}),
        ("def train(ctx, epochs=3):\n    pass\n", {"epochs": 5, "o": 1}, ["CTX"], {"epochs": 5}),
        ("def train(context, **rest):\n    pass\n", {"a": 1}, ["CTX"], {"a": 1}),
        ("def train(*args):\n    pass\n", {}, [], {}),
    ],
)
def test_how_each_signature_is_called(
    tmp_path: Path,
    source: str,
    config: dict[str, Any],
    args: list[Any],
    kwargs: dict[str, Any],
) -> None:
    path = write(tmp_path, "exp.py", source)
    resolve_experiment(f"{path}:train", config=config)  # accepted without running
    function = load_experiment(f"{path}:train")
    plan = plan_call("train", inspect.signature(function), config)
    assert plan.arguments("CTX", config) == (args, kwargs)


def test_code_identity_ignores_comments_and_follows_imported_user_modules(
    tmp_path: Path,
) -> None:
    write(tmp_path, "helpers_for_identity.py", "SCALE = 2\n")
    path = write(
        tmp_path,
        "exp.py",
        "from helpers_for_identity import SCALE\n\ndef train(ctx):\n    return {'v': SCALE}\n",
    )
    source = resolve_experiment(f"{path}:train")
    first = code_identity(source)
    assert sorted(first.files) == ["exp.py", "helpers_for_identity.py"]
    path.write_text("# a comment\n" + path.read_text().replace("\n\n", "\n\n\n"))
    assert code_identity(source) == first
    (tmp_path / "helpers_for_identity.py").write_text("SCALE = 3\n")
    changed = code_identity(source)
    assert changed.digest != first.digest
    assert describe_change(first.files, changed.files) == "helpers_for_identity.py changed"
    assert experiment_source_hash(f"{path}:train") == changed.digest


def test_code_identity_reads_a_settled_file_once_and_sees_every_change(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Each trial of a search identifies its code three times: a file whose status
    # has not changed since it was read (and was old enough then) is not parsed again.
    import ast
    import os

    parsed: list[bytes] = []
    real = ast.parse

    def counting(source: Any, *args: Any, **kwargs: Any) -> Any:
        parsed.append(source)
        return real(source, *args, **kwargs)

    monkeypatch.setattr(ast, "parse", counting)
    helper = write(tmp_path, "helpers_settled.py", "SCALE = 2\n")
    path = write(
        tmp_path, "exp.py", "from helpers_settled import SCALE\ndef train(ctx):\n    return {}\n"
    )
    old = path.stat().st_mtime - 60
    for file in (helper, path):
        os.utime(file, (old, old))
    parsed.clear()
    source = resolve_experiment(f"{path}:train")
    first = code_identity(source)
    assert sorted(parsed) == [helper.read_bytes(), path.read_bytes()]
    assert code_identity(source) == first
    assert len(parsed) == 2, "a settled, unchanged file was parsed again"
    # The same size and the old modification time put back: the change time still differs.
    helper.write_text("SCALE = 3\n")
    os.utime(helper, (old, old))
    changed = code_identity(source)
    assert changed.digest != first.digest
    assert describe_change(first.files, changed.files) == "helpers_settled.py changed"
    # Just written: read each time, so that an edit within a coarse clock's tick is seen.
    helper.write_text("SCALE = 4\n")
    before = len(parsed)
    code_identity(source)
    once = len(parsed)
    code_identity(source)
    assert before < once < len(parsed)


def test_a_relative_and_an_absolute_path_are_one_experiment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write(tmp_path, "exp.py", GOOD)
    monkeypatch.chdir(tmp_path)
    relative = resolve_experiment("exp.py:train")
    assert relative == resolve_experiment(f"{path}:train")
    assert relative == FunctionRef(str(path.resolve()), "train")
    assert relative.text == f"{path.resolve()}:train"
    assert code_identity(relative) == code_identity(resolve_experiment(f"{path}:train"))


def test_scripts_carry_their_arguments(tmp_path: Path) -> None:
    path = write(tmp_path, "my script.py", "print('hi')\n")
    source = resolve_experiment(str(path), argv=["--lr", "0.1 0.2"])
    assert source == ScriptRef(str(path.resolve()), ("--lr", "0.1 0.2"))
    # The stored reference reads back as the same script with the same arguments.
    assert resolve_experiment(source.text) == source
    with pytest.raises(ExperimentError, match="Script arguments go with scripts only"):
        resolve_experiment(f"{path}:main", argv=["--x"])


def test_source_hash_of_a_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ExperimentError, match="Experiment file not found"):
        experiment_source_hash(f"{tmp_path}/gone.py:train")


# RunContext -------------------------------------------------------------------


def context(seed: int = 1234, repeat: int = 3) -> RunContext:
    return RunContext(seed=seed, repeat=repeat, config={"epochs": 2}, workdir=Path("w"))


def test_streams_are_the_derived_streams() -> None:
    ctx = context()
    assert np.array_equal(ctx.rng("data").random(5), rng(1234, "data").random(5))
    assert not np.array_equal(ctx.rng("data").random(5), ctx.rng("init").random(5))
    assert ctx.seed_for("init") == derive_seed(1234, "init", bits=32) < 2**32
    assert ctx.seed_for("init", bits=63) == derive_seed(1234, "init")


def test_context_pickles_with_its_records() -> None:
    ctx = context()
    ctx.log(0, loss=1.5)
    ctx.fingerprint("w", np.arange(3))
    copy = pickle.loads(pickle.dumps(ctx))
    assert (copy.seed, copy.repeat, copy.config, copy.workdir) == (
        1234,
        3,
        {"epochs": 2},
        Path("w"),
    )
    assert copy.steps == ctx.steps
    assert copy.fingerprints == ctx.fingerprints


def test_a_context_knows_its_study() -> None:
    ctx = RunContext(7, 2, {}, Path("/runs/00002"), study="base-1a2b")
    assert (ctx.study, ctx.repeat, ctx.workdir) == ("base-1a2b", 2, Path("/runs/00002"))
    assert "study='base-1a2b'" in repr(ctx)
    assert RunContext(7, 2, {}, Path(".")).study is None


def test_a_metric_recorded_twice_is_refused_and_the_first_value_kept() -> None:
    ctx = RunContext(7, 0, {}, Path("."))
    ctx.record(loss=0.5, accuracy=0.9)
    with pytest.raises(UsageError, match=r"^Metric `loss` was recorded twice in one run\. "):
        ctx.record(f1=0.3, loss=0.4)
    assert ctx.recorded == {"loss": 0.5, "accuracy": 0.9}
    assert ctx.recorded_twice is not None
    assert "loss=0.4 after loss=0.5" in str(ctx.recorded_twice)


def test_config_is_copied() -> None:
    config: dict[str, Any] = {"epochs": 2}
    ctx = RunContext(seed=1, repeat=0, config=config, workdir=Path("."))
    ctx.config["epochs"] = 3
    assert config == {"epochs": 2}


def test_log_collects_in_order_as_floats() -> None:
    ctx = context()
    # NumPy values, as a model's metrics come out: the hints say int and float.
    float32: Any = np.float32(0.5)
    int64: Any = np.int64(1)
    zero_d: Any = np.array(0.25)
    ctx.log(0, loss=float32, accuracy=1)
    ctx.log(int64, loss=zero_d, accuracy=math.nan)
    assert [(s.step, s.name) for s in ctx.steps] == [
        (0, "loss"),
        (0, "accuracy"),
        (1, "loss"),
        (1, "accuracy"),
    ]
    assert ctx.steps[:3] == [
        StepRecord(0, "loss", 0.5),
        StepRecord(0, "accuracy", 1.0),
        StepRecord(1, "loss", 0.25),
    ]
    assert all(type(s.value) is float for s in ctx.steps)
    assert math.isnan(ctx.steps[3].value)


@pytest.mark.parametrize(
    ("step", "metrics", "start"),
    [
        (-1, {"loss": 1.0}, "`step` must be a non-negative int. Received: step=-1"),
        (True, {"loss": 1.0}, "`step` must be a non-negative int. Received: step=True"),
        (1.0, {"loss": 1.0}, "`step` must be a non-negative int. Received: step=1.0"),
        (0, {}, "`log` needs at least one metric"),
        (0, {"loss": "low"}, "Metric `loss` must be a real number. Received: loss='low'"),
        (0, {"ok": True}, "Metric `ok` must be a real number. Received: ok=True (of type bool)"),
        (0, {"z": 1j}, "Metric `z` must be a real number. Received: z=1j (of type complex)"),
    ],
)
def test_log_rejects_bad_input(step: Any, metrics: dict[str, Any], start: str) -> None:
    ctx = context()
    with pytest.raises(UsageError) as caught:
        ctx.log(step, **metrics)
    assert str(caught.value).startswith(start)
    assert ctx.steps == []


def test_fingerprint_of_equal_arrays_is_equal_and_one_ulp_differs() -> None:
    a = np.linspace(0, 1, 1000, dtype=np.float32)
    b = a.copy()
    c = a.copy()
    c[500] = np.nextafter(c[500], np.float32(2))
    ctx = context()
    digest_a = ctx.fingerprint("a", a)
    assert digest_a == ctx.fingerprint("b", b)
    assert digest_a != ctx.fingerprint("c", c)
    assert len(digest_a) == 32
    assert ctx.fingerprints[0].digest == digest_a


def test_fingerprint_sees_dtype_shape_and_not_memory_layout() -> None:
    ctx = context()
    zeros32 = ctx.fingerprint("f", np.zeros(4, dtype=np.float32))
    assert zeros32 != ctx.fingerprint("i", np.zeros(4, dtype=np.int32))
    assert zeros32 != ctx.fingerprint("r", np.zeros((2, 2), dtype=np.float32))
    grid = np.arange(12.0).reshape(3, 4)
    assert ctx.fingerprint("t", grid.T) == ctx.fingerprint("tc", np.ascontiguousarray(grid.T))


def test_fingerprint_records_statistics_and_step() -> None:
    ctx = context()
    ctx.fingerprint("w", np.array([[1.0, -3.5], [2.0, 0.5]], dtype=np.float32), step=4)
    (record,) = ctx.fingerprints
    assert record == FingerprintRecord(
        step=4, name="w", digest=record.digest, dtype="float32", shape=(2, 2), sum=0.0, max_abs=3.5
    )
    ctx.fingerprint("ints", np.array([np.iinfo(np.int64).min, 1]))
    assert ctx.fingerprints[1].max_abs == float(2**63)


def test_fingerprint_flattens_nested_structures_with_stable_names() -> None:
    weights = {"dense": [np.ones((1, 2)), np.zeros(2)], "out": (np.ones(3), 2.5)}
    ctx = context()
    first = ctx.fingerprint("weights", weights, step=1)
    names = [record.name for record in ctx.fingerprints]
    assert names == ["weights/dense/0", "weights/dense/1", "weights/out/0", "weights/out/1"]
    assert [record.shape for record in ctx.fingerprints] == [(1, 2), (2,), (3,), ()]
    again = context()
    assert again.fingerprint("weights", weights, step=1) == first
    assert again.fingerprints == ctx.fingerprints
    changed = {"dense": [np.ones((1, 2)), np.zeros(2)], "out": (np.ones(3), 2.0)}
    assert context().fingerprint("weights", changed) != first


def test_fingerprint_rejects_object_arrays_and_bad_names() -> None:
    ctx = context()
    with pytest.raises(UsageError, match="Cannot fingerprint a value"):
        ctx.fingerprint("w", object())
    with pytest.raises(UsageError, match="non-empty str"):
        ctx.fingerprint("", np.ones(1))
    with pytest.raises(UsageError, match="`step` must be a non-negative int"):
        ctx.fingerprint("w", np.ones(1), step=-2)
    assert ctx.fingerprints == []


# Results and --set -------------------------------------------------------------


def test_check_metrics_converts_to_floats_in_order() -> None:
    metrics = check_metrics({"mse": np.float32(0.5), "n": 3, "a": np.array(2.0), "x": math.inf})
    assert metrics == {"mse": 0.5, "n": 3.0, "a": 2.0, "x": math.inf}
    assert list(metrics) == ["mse", "n", "a", "x"]
    assert all(type(value) is float for value in metrics.values())
    assert math.isnan(check_metrics({"m": math.nan})["m"])


@pytest.mark.parametrize(
    ("value", "start"),
    [
        (None, "An experiment must return a mapping of metric names to numbers (did the"),
        ([0.5], "An experiment must return a mapping of metric names to numbers. Received: "),
        ({"ok": True}, "Metric 'ok' must be a real number. Received: ok=True (of type bool)"),
        ({"ok": np.bool_(True)}, "Metric 'ok' must be a real number. Received: ok=np.True_"),
        ({"m": "0.5"}, "Metric 'm' must be a real number. Received: m='0.5' (of type str)"),
        ({"m": np.ones(2)}, "Metric 'm' must be a real number. Received: m=array"),
        ({1: 0.5}, "A metric name must be a non-empty str. Received: key=1 (of type int)"),
        ({"mse": 1, "seed": 2}, "Metric name 'seed' is reserved: a run's row in export and"),
        ({"error": 0.1}, "Metric name 'error' is reserved: a run's row in export and"),
        ({"config.lr": 0.1}, "Metric name 'config.lr' is reserved: a run's row in export"),
        ({"metric.x": 0.1}, "Metric name 'metric.x' is reserved: a run's row in export"),
    ],
)
def test_check_metrics_rejects(value: object, start: str) -> None:
    with pytest.raises(InvalidResultError) as caught:
        check_metrics(value)
    assert str(caught.value).startswith(start)
    assert isinstance(caught.value, ExperimentError)
    assert caught.value.exit_code == EXIT_USAGE


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("epochs=100", ("epochs", 100)),
        ("lr=1e-3", ("lr", 0.001)),
        ("deterministic=true", ("deterministic", True)),
        ("limit=null", ("limit", None)),
        ("sizes=[1, 2]", ("sizes", [1, 2])),
        ('name="adam"', ("name", "adam")),
        ("optimizer=adam", ("optimizer", "adam")),
        ("model.units-per_layer=10", ("model.units-per_layer", 10)),
        ("note=a=b", ("note", "a=b")),
        ("empty=", ("empty", "")),
        ("x=NaN", ("x", "NaN")),
    ],
)
def test_parse_assignment(text: str, expected: tuple[str, Any]) -> None:
    assert parse_assignment(text) == expected


@pytest.mark.parametrize("text", ["epochs", "=3", "1x=3", "a b=3", "é=1"])
def test_parse_assignment_rejects(text: str) -> None:
    with pytest.raises(UsageError) as caught:
        parse_assignment(text)
    assert str(caught.value).startswith(
        f"A --set assignment must be key=value with a name-like key. Received: {text!r}; "
        "expected key=value"
    )
    assert caught.value.exit_code == EXIT_USAGE


def test_a_reserved_metric_name_is_refused_in_one_line_naming_the_reserved_names() -> None:
    with pytest.raises(InvalidResultError) as caught:
        check_metrics({"status": 1.0})
    message = str(caught.value)
    assert "\n" not in message
    assert "expected a name other than study, repeat, seed, status, duration, worker, error, " in (
        message
    )
    assert "not starting with 'config.' or 'metric.' (e.g. 'status_value')" in message
    # --metric NAME=REGEX is refused while parsing, before anything runs.
    with pytest.raises(UsageError, match="Metric name 'seed' is reserved"):
        parse_metric_pattern("seed=seed: ([0-9]+)")
    assert check_metrics({"seeds": 1, "errors": 2, "configured": 3}) == {
        "seeds": 1.0,
        "errors": 2.0,
        "configured": 3.0,
    }


def test_split_is_drawn_from_the_split_stream_and_checked() -> None:
    train, test = context().split(10, test=0.3)
    assert len(test) == 3
    assert sorted([*train, *test]) == list(range(10))
    expected = np.sort(context().rng("split").permutation(10)[7:])
    assert list(test) == list(expected)
    assert list(context(seed=99).split(10, test=0.3)[1]) != list(test)
    assert len(context().split(2, test=0.01)[1]) == 1
    for n, share in ((1, 0.2), (10, 1.0), (10, 0.0), (True, 0.2)):
        with pytest.raises(UsageError, match=r"split needs|test set's share"):
            context().split(n, test=share)


def test_split_sizes_are_recorded_for_the_run() -> None:
    ctx = context()
    ctx.split(10, test=0.3)
    ctx.split(50, test=0.2)
    assert ctx.splits == [(7, 3), (40, 10)]
    with pytest.raises(UsageError):
        ctx.split(1)
    assert ctx.splits == [(7, 3), (40, 10)]  # a refused split records nothing
