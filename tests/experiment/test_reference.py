"""Experiment references: read from text once, each kind loaded by the one loader."""

from __future__ import annotations

import json
import shlex
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from seedwise.cli import main
from seedwise.errors import EXIT_USAGE, ExperimentError, UsageError
from seedwise.experiment import (
    ByValueRef,
    FunctionRef,
    RunContext,
    ScriptRef,
    load_experiment,
    parse_reference,
    resolve_experiment,
)
from seedwise.experiment.calling import call_experiment
from seedwise.experiment.code.identity import code_identity
from seedwise.experiment.reference import (
    named_as_stored,
    parse_function_reference,
    same_experiment,
)

# Parsing ----------------------------------------------------------------------

_IDENTIFIER = st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,12}", fullmatch=True)
_MODULE = st.lists(_IDENTIFIER, min_size=1, max_size=4).map(".".join)
# A function's file: no spaces (a target with spaces names a function only when the file exists).
_FILE_TARGET = st.builds(
    lambda folder, stem: f"{folder}{stem}.py",
    st.from_regex(r"(/?[A-Za-z0-9_.:~-]{1,8}/){0,3}", fullmatch=True),
    st.from_regex(r"[A-Za-z0-9_:-]{1,10}", fullmatch=True),
)
function_refs = st.builds(
    FunctionRef, st.one_of(_FILE_TARGET, _MODULE.filter(lambda m: m != "__main__")), _IDENTIFIER
)
# A script's path and arguments may hold anything a shell can quote: spaces, colons, quotes.
script_refs = st.builds(
    ScriptRef,
    st.text(min_size=1, max_size=20).map(lambda text: f"{text}.py"),
    st.lists(st.text(max_size=12), max_size=4).map(tuple),
)


@pytest.mark.slow
@settings(max_examples=300, deadline=None)
@given(st.one_of(function_refs, script_refs))
def test_a_reference_reads_back_from_its_text(ref: FunctionRef | ScriptRef) -> None:
    assert parse_reference(ref.text) == ref


@settings(max_examples=200, deadline=None)
@given(function_refs)
def test_a_function_reference_reads_back_as_a_function(ref: FunctionRef) -> None:
    assert parse_function_reference(ref.text) == ref


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("train.py:fit", FunctionRef("train.py", "fit")),
        ("  pkg.models.train:fit  ", FunctionRef("pkg.models.train", "fit")),
        ("C:\\work\\train.py:fit", FunctionRef("C:\\work\\train.py", "fit")),
        ("dir/exp:main", FunctionRef("dir/exp", "main")),
        ("train.py", ScriptRef("train.py")),
        ("train.py --lr 0.01", ScriptRef("train.py", ("--lr", "0.01"))),
        ("train.py --out a:b", ScriptRef("train.py", ("--out", "a:b"))),
        ("'my dir/train.py' --name 'x y'", ScriptRef("my dir/train.py", ("--name", "x y"))),
    ],
)
def test_each_form_is_read_as_its_kind(text: str, expected: FunctionRef | ScriptRef) -> None:
    assert parse_reference(text) == expected


def test_a_path_with_spaces_names_a_function_when_the_file_exists(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ExperimentError, match="names neither a function nor a script"):
        parse_reference("my dir/train.py:fit")
    (tmp_path / "my dir").mkdir()
    (tmp_path / "my dir" / "train.py").write_text("def fit(ctx):\n    return {}\n")
    assert parse_reference("my dir/train.py:fit") == FunctionRef("my dir/train.py", "fit")
    assert parse_reference("my dir/train.py") == ScriptRef("my dir/train.py")


def test_short_names() -> None:
    assert FunctionRef("/work/train.py", "fit").name == "train.fit"
    assert FunctionRef("pkg.train", "fit").name == "pkg.train.fit"
    assert ScriptRef("/work/train.py", ("--lr", "1")).name == "train"
    assert ByValueRef("fit", b"", origin="analysis").name == "analysis.fit"
    assert ByValueRef("fit", b"").name == "fit"  # never "_"-first: matplotlib drops such labels
    assert ByValueRef("fit", b"").text == "__main__:fit"


def test_stored_relative_paths_of_earlier_versions_name_the_same_experiment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "exp.py").write_text("def train(ctx):\n    return {}\n")
    monkeypatch.chdir(tmp_path)
    wanted = resolve_experiment("exp.py:train")
    assert same_experiment(f"{tmp_path}/exp.py:train", wanted)
    assert same_experiment("exp.py:train", wanted)
    assert not same_experiment("exp.py:other", wanted)
    assert not same_experiment("__main__:train", wanted)
    assert not same_experiment("exp.py", wanted)


def test_an_experiment_named_for_a_stored_study_must_be_its_code(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "exp.py").write_text("def train(ctx):\n    return {}\n")
    monkeypatch.chdir(tmp_path)
    function, script = resolve_experiment("exp.py:train"), resolve_experiment("exp.py")
    assert isinstance(function, FunctionRef)
    assert isinstance(script, ScriptRef)
    assert named_as_stored(f"{tmp_path}/exp.py:train", function) == function
    assert named_as_stored("exp.py:train", function) == function
    for other in ("exp.py:other", "subprocess:getoutput", "exp.py", "__main__:train", "x y"):
        assert named_as_stored(other, function) is None, other
    assert named_as_stored("pkg.mod:fit", FunctionRef("pkg.mod", "fit")) == FunctionRef(
        "pkg.mod", "fit"
    )
    assert named_as_stored("pkg.mod:fit", FunctionRef("pkg.other", "fit")) is None
    # A script named without arguments takes the stored ones; with others, it is refused.
    stored = f"{tmp_path}/exp.py --lr 0.1"
    assert named_as_stored(stored, script) == ScriptRef(script.path, ("--lr", "0.1"))
    assert named_as_stored(stored, ScriptRef(script.path, ("--lr", "0.1"))) is not None
    assert named_as_stored(stored, ScriptRef(script.path, ("--lr", "9"))) is None
    assert named_as_stored(f"{tmp_path}/exp.py:train", script) is None


# Bad references ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "start"),
    [
        ("", "Experiment reference names neither a function nor a script."),
        ("train", "Experiment reference names neither a function nor a script."),
        ("train.py:", "Experiment reference names neither a function nor a script."),
        (":fit", "Experiment reference names neither a function nor a script."),
        ("__main__:fit", "A function defined in a notebook or in __main__ can only be run"),
        ("my-package.train:fit", "Experiment module name is not a dotted Python name."),
        ("'train.py --lr 0.1", "Experiment reference cannot be read as shell words"),
        (3, "An experiment reference must be a str."),
    ],
)
def test_a_bad_reference_is_refused_in_one_line(text: Any, start: str) -> None:
    with pytest.raises(ExperimentError) as caught:
        parse_reference(text)
    message = str(caught.value)
    assert isinstance(caught.value, UsageError)
    assert caught.value.exit_code == EXIT_USAGE
    assert message.startswith(start)
    assert "\n" not in message
    assert f"Received: ref={text!r}" in message
    assert "; expected " in message


@pytest.mark.parametrize(
    ("text", "start"),
    [
        ("train.py", "Experiment reference has no ':fn' part naming the function."),
        ("train.py:fit-2", "Experiment function name is not a Python identifier."),
        ("my dir/train.py:fit", None),
    ],
)
def test_a_function_reference_is_refused_when_it_names_no_function(
    text: str, start: str | None
) -> None:
    if start is None:
        # Without scripts to tell apart, a path with spaces is a path.
        assert parse_function_reference(text) == FunctionRef("my dir/train.py", "fit")
        return
    with pytest.raises(ExperimentError, match="^" + start) as caught:
        parse_function_reference(text)
    assert str(caught.value).endswith("expected 'path/to/file.py:fn' or 'package.module:fn'")


def test_the_command_line_refuses_a_bad_reference_in_one_line_before_opening_a_store(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store = tmp_path / "s.db"
    assert main(["run", "__main__:train", "--repeats", "2", "--store", str(store)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.splitlines() == [
        "seedwise: error: A function defined in a notebook or in __main__ can only be run from "
        "Python. Received: ref='__main__:train'; expected seedwise.run(fn) in the session that "
        "defines it, or a reference to a file or module"
    ]
    assert not store.exists()


# One loader ---------------------------------------------------------------------


def _context(tmp_path: Path, config: dict[str, Any] | None = None) -> RunContext:
    return RunContext(seed=7, repeat=0, config=config or {}, workdir=tmp_path)


def _run(ref: FunctionRef | ScriptRef | ByValueRef, context: RunContext) -> Any:
    """What a worker does: load through the one loader, call with the run's context."""
    name = None if isinstance(ref, ScriptRef) else ref.function
    return call_experiment(load_experiment(ref), context, name)


def test_a_function_in_a_file_loads(tmp_path: Path) -> None:
    path = tmp_path / "exp.py"
    path.write_text("def train(ctx, scale=1):\n    return {'seed': ctx.seed * scale}\n")
    ref = resolve_experiment(f"{path}:train", config={"scale": 2})
    assert ref == FunctionRef(str(path.resolve()), "train")
    assert _run(ref, _context(tmp_path, {"scale": 2})) == {"seed": 14}


def test_a_function_in_a_module_loads(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    package = tmp_path / "seedwise_reference_pkg"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "exp.py").write_text("def train(ctx):\n    return {'repeat': ctx.repeat}\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    ref = resolve_experiment("seedwise_reference_pkg.exp:train")
    assert ref == FunctionRef("seedwise_reference_pkg.exp", "train")
    try:
        assert _run(ref, _context(tmp_path)) == {"repeat": 0}
    finally:
        import sys

        for name in ("seedwise_reference_pkg.exp", "seedwise_reference_pkg"):
            sys.modules.pop(name, None)


def test_a_script_loads_and_runs_with_its_arguments(tmp_path: Path) -> None:
    script = tmp_path / "my train.py"
    out = tmp_path / "argv.json"
    script.write_text(f"import json, sys\njson.dump(sys.argv[1:], open({str(out)!r}, 'w'))\n")
    ref = resolve_experiment(shlex.join([str(script), "--lr", "0.1"]), argv=["--name", "a b"])
    assert ref == ScriptRef(str(script.resolve()), ("--lr", "0.1", "--name", "a b"))
    loaded = load_experiment(ref)
    for _ in range(2):  # afresh each run
        out.unlink(missing_ok=True)
        assert _run(ref, _context(tmp_path)) is None
        assert json.loads(out.read_text()) == ["--lr", "0.1", "--name", "a b"]
    assert loaded == load_experiment(parse_reference(ref.text))


def test_a_function_sent_by_value_loads(tmp_path: Path) -> None:
    namespace: dict[str, Any] = {"__name__": "__main__"}
    exec("OFFSET = 3\n\ndef train(ctx):\n    return {'v': ctx.seed + OFFSET}\n", namespace)
    ref = resolve_experiment(namespace["train"])
    assert isinstance(ref, ByValueRef)
    assert (ref.text, ref.function) == ("__main__:train", "train")
    assert _run(ref, _context(tmp_path)) == {"v": 10}
    assert code_identity(ref) == code_identity(resolve_experiment(namespace["train"]))


def test_the_loader_refuses_a_script_given_as_a_function_reference(tmp_path: Path) -> None:
    with pytest.raises(ExperimentError, match=r"^Experiment reference has no ':fn' part"):
        load_experiment(str(tmp_path / "train.py"))
