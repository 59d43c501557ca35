"""An experiment's own spawn and forkserver processes import what it defines, in all three forms."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

import seedwise
from seedwise.experiment import child_imports
from seedwise.experiment.child_imports import importable_in_children, main_module_of
from tests.conftest import PROGRAMS, run_python

PROGRAM = PROGRAMS / "start_methods.py"
FRESH = ("spawn", "forkserver")
FAST = ("python", "numpy")
# A pool whose child cannot import its task's function does not fail: it waits
# for ever. The timeout turns that into a failed test.
TIMEOUT = 20


def test_a_file_experiment_s_pools_import_its_function_and_class(tmp_path: Path) -> None:
    study = seedwise.run(
        f"{PROGRAM}:pool_squares",
        repeats=1,
        store=tmp_path / "s.db",
        frameworks=FAST,
        timeout=TIMEOUT,
    )
    run = study.runs[0]
    assert (run.status, run.error) == ("ok", None)
    for method in FRESH:
        assert run.metrics[f"{method}_squares"] == 0 + 1 + 4 + 9
        assert run.metrics[f"{method}_shifted"] == (0 + 1 + 2 + 3) + 4 * 1


def test_a_main_function_s_pools_import_what_its_script_defines(tmp_path: Path) -> None:
    # Under fork too: the pool pickles the function by name, from __main__.
    methods = [*FRESH, "fork"]
    script = PROGRAMS / "start_methods_main.py"
    done = run_python([str(script), str(tmp_path / "s.db"), *methods], timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    expected = sorted((method, 14.0) for method in methods)
    assert done.stdout.strip().splitlines()[-1] == f"ok {expected} None"


def test_a_script_experiment_s_pools_run_it_again_as_their_main(tmp_path: Path) -> None:
    script = PROGRAMS / "start_methods_script.py"
    study = seedwise.run(
        f"{script} {' '.join(FRESH)}",
        repeats=1,
        store=tmp_path / "s.db",
        frameworks=FAST,
        timeout=TIMEOUT,
    )
    run = study.runs[0]
    assert (run.status, run.error) == ("ok", None)
    assert run.metrics == {method: 14.0 for method in FRESH}


def test_a_fresh_interpreter_imports_the_file_under_its_loaded_name(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(child_imports.tempfile, "gettempdir", lambda: str(tmp_path))
    experiment = tmp_path / "my experiment" / "train.py"
    experiment.parent.mkdir()
    (experiment.parent / "helpers.py").write_text("OFFSET = 1\n")
    experiment.write_text(
        "import helpers\n_seedwise_run_file = 'kept'\n"
        "def shifted(x):\n    return x + helpers.OFFSET\n"
    )
    saved = list(sys.path)
    try:
        importable_in_children("seedwise_experiment_test_train", experiment)
        child_path = list(sys.path)
    finally:
        sys.path[:] = saved
    folder = child_imports.modules_folder()
    assert folder is not None
    assert child_path == [*saved, str(folder)]
    code = (
        "import sys; sys.path[:] = sys.argv[1:]; import seedwise_experiment_test_train as m; "
        "print(m.shifted(2), m.__file__, m._seedwise_run_file, 'helpers' in sys.modules, "
        "sys.path == sys.argv[1:], sep='|')"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, *child_path], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    # The file's folder was on sys.path while it ran, and only then; its own names are kept.
    assert done.stdout.strip().split("|") == ["3", str(experiment), "kept", "True", "True"]


def test_a_modules_folder_others_can_write_to_is_never_used(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(child_imports.tempfile, "gettempdir", lambda: str(tmp_path))
    folder = child_imports.modules_folder()
    assert folder is not None
    assert folder.parent == tmp_path
    assert folder.stat().st_mode & 0o777 == 0o700
    folder.chmod(0o777)
    saved = list(sys.path)
    try:
        importable_in_children("seedwise_experiment_test_other", PROGRAM)
        assert sys.path == saved
    finally:
        sys.path[:] = saved
    assert child_imports.modules_folder() is None
    assert not (folder / "seedwise_experiment_test_other.py").exists()


def test_main_module_of_holds_only_while_a_main_function_runs() -> None:
    main = sys.modules["__main__"]
    namespace = {"__name__": "__main__", "__file__": str(PROGRAM), "helper": len}
    function = eval("lambda: helper", namespace)
    seen = []

    def run() -> None:
        with main_module_of(function):
            stand_in = sys.modules["__main__"]
            seen.extend([stand_in.helper, stand_in.__file__, hasattr(stand_in, "missing")])
            raise KeyError("the run raised")

    with pytest.raises(KeyError):
        run()
    assert seen == [len, str(PROGRAM), False]
    assert sys.modules["__main__"] is main
    with main_module_of(os.path.join):
        assert sys.modules["__main__"] is main


@pytest.mark.slow
def test_a_data_loader_s_spawned_workers_draw_the_run_s_numbers(
    tmp_path: Path,
) -> None:
    pytest.importorskip("torch")
    study = seedwise.run(
        f"{PROGRAM}:loader_draws",
        repeats=2,
        config={"methods": ["spawn", "fork"]},
        store=tmp_path / "s.db",
        frameworks=("python", "numpy", "torch"),
        timeout=120,
    )
    runs = sorted(study.runs, key=lambda run: run.repeat)
    assert [(run.status, run.error) for run in runs] == [("ok", None)] * 2
    draws = [
        {
            method: [run.metrics[f"{method}_{index}"] for index in range(4)]
            for method in ("spawn", "fork")
        }
        for run in runs
    ]
    # The workers' seeds come from the loader's generator, seeded from the run's seed:
    # the same numbers whichever start method made the workers, and others for another seed.
    assert [run["spawn"] for run in draws] == [run["fork"] for run in draws]
    assert draws[0]["spawn"] != draws[1]["spawn"]
    assert len(set(draws[0]["spawn"])) == 4
