"""Seeding on first import, in fresh processes: import order and earlier imports change no bits.

tests/programs/import_order.py runs a study in one process: each run calls
``seed_everything(seed)``, draws from Python and NumPy, then (from a given
run on) imports torch and rich (whose first import draws from Python's
random) and draws from all three.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import PROGRAMS, run_python


def _program(*args: object) -> Any:
    completed = run_python([str(PROGRAMS / "import_order.py"), *map(str, args)])
    assert completed.returncode == 0, completed.stderr[-3000:]
    return json.loads(completed.stdout.strip().splitlines()[-1])


def _draws(run: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in run.items() if not k.endswith("_before")}


@pytest.mark.slow
def test_a_framework_first_imported_mid_study_gives_the_bits_of_one_imported_first() -> None:
    middle = _program("study", 1, 0, 1, 2, 1)
    eager = _program("study", 0, 1, 2, 1)
    alone = _program("study", 0, 0, 1)
    # torch and rich were first imported inside the second run, not before.
    assert [middle[1]["torch_before"], middle[1]["rich_before"]] == [False, False]
    assert [eager[0]["torch_before"], eager[0]["rich_before"]] == [True, True]
    assert [alone[0]["torch_before"], alone[0]["rich_before"]] == [False, False]
    # Seed 2 with its first import of torch and rich equals seed 2 with both imported ahead.
    assert _draws(middle[1]) == _draws(eager[0])
    # Seed 1 gives the same bits whether the imports are new (alone), done by an
    # earlier run (middle, third run) or done before any seeding (eager).
    assert _draws(middle[2]) == _draws(eager[1]) == _draws(alone[0])
    # The first run, which imported nothing, drew the same Python and NumPy numbers.
    assert middle[0] == {"python": alone[0]["python"], "numpy": alone[0]["numpy"]}
    assert middle[1]["torch"] != middle[2]["torch"]


@pytest.mark.slow
def test_seeded_leaves_no_trace_of_frameworks_first_imported_inside_it() -> None:
    plain = _program("seeded", 0)
    # The generators seeded with 0 before the block continue as if it had not run.
    assert plain["python"] == (0.8444218515250481).hex()
    assert plain["numpy"] == 0.5488135039273248
    outer = _program("seeded", 1)
    # With seed_everything(5) in force outside, torch (first imported inside the
    # block) ends as seed 5 leaves it, and Python and NumPy draw seed 5's numbers.
    reference = _program("study", 0, 1, 5)[0]
    assert outer["torch"] == reference["torch"]
    assert outer["python"] == reference["python"]
    assert outer["numpy"] == reference["numpy"]


@pytest.mark.slow
def test_report_says_what_was_seeded_at_once_and_on_import() -> None:
    report = _program("report")
    before, after = report["before"], report["after"]
    assert before["torch_imported"] is False
    assert before["seeded_at_once"] == ["python"]
    assert before["waiting"] == ["numpy", "torch"]
    assert {a["status"] for a in before["actions"] if a["framework"] == "torch"} == {"pending"}
    # Importing torch imports numpy.random: both were seeded the moment they were imported.
    assert after["seeded_on_import"] == ["numpy", "torch"]
    assert after["waiting"] == []
    torch_actions = [a for a in after["actions"] if a["framework"] == "torch"]
    assert {a["when"] for a in torch_actions} == {"on import"}
    assert "torch.manual_seed(3)" in [a["action"] for a in torch_actions]
    assert after["draw"] == after["expected"]
    assert "seeded at once: python; on import: numpy, torch" in after["text"]


PAUSED_IMPORTS = """
import gc, json, sys
sys.path.insert(0, sys.argv[1])
from seedwise.seeding import pause_collector_during_imports
seen = {}
if sys.argv[2] == "pause":
    pause_collector_during_imports()
if sys.argv[3] == "off":
    gc.disable()
import outer_module
seen["outer"], seen["inner"] = outer_module.COLLECTING, outer_module.INNER
seen["after"] = gc.isenabled()
print(json.dumps(seen))
"""


@pytest.mark.parametrize(
    ("pause", "before", "expected"),
    [
        ("pause", "on", {"outer": False, "inner": False, "after": True}),
        ("pause", "off", {"outer": False, "inner": False, "after": False}),
        ("none", "on", {"outer": True, "inner": True, "after": True}),
    ],
)
def test_the_collector_is_off_during_each_outermost_import_and_back_as_it_was(
    tmp_path: Path, pause: str, before: str, expected: dict[str, bool]
) -> None:
    (tmp_path / "inner_module.py").write_text("import gc\nCOLLECTING = gc.isenabled()\n")
    (tmp_path / "outer_module.py").write_text(
        "import gc\nCOLLECTING = gc.isenabled()\nimport inner_module\n"
        "INNER = inner_module.COLLECTING\n"
    )
    done = run_python(["-c", PAUSED_IMPORTS, str(tmp_path), pause, before])
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == expected


def test_a_worker_imports_what_the_experiment_imports_with_the_collector_off(
    tmp_path: Path,
) -> None:
    # The module the experiment imports (as it imports its framework) is imported with
    # the collector off; the run itself runs with it on.
    (tmp_path / "helper.py").write_text("import gc\nCOLLECTING = gc.isenabled()\n")
    (tmp_path / "exp.py").write_text(
        "import gc\n\n"
        "def train(ctx):\n"
        "    import helper\n"
        "    return {'imported': float(helper.COLLECTING), 'running': float(gc.isenabled())}\n"
    )
    done = run_python(
        ["-m", "seedwise", "run", "exp.py:train", "--repeats", "2", "--workers", "1",
         "--framework", "python", "--store", str(tmp_path / "s.db"), "--json"],
        cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["metrics"] == {"imported": [0.0, 0.0], "running": [1.0, 1.0]}
