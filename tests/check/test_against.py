"""seedwise check --against STORE [--tolerance]: this machine's run beside one made elsewhere."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from seedwise.check.against import Tolerance, parse_tolerance
from seedwise.cli import main
from seedwise.errors import UsageError

FAST = ["--framework", "python", "--framework", "numpy"]

# The value moves by about one unit in the last place per extra thread: what a
# reduction split over more threads does to a sum.
EXPERIMENT = """
import os


def train(ctx):
    threads = int(os.environ.get("OMP_NUM_THREADS", "1"))
    value = float(ctx.rng("x").normal()) * (1 + 2.0**-52 * (threads - 1))
    ctx.log(0, value=value)
    return {"value": value}
"""


@pytest.mark.parametrize(
    ("text", "tolerance"),
    [("ulps=4", Tolerance("ulps", 4)), ("rel=1e-6", Tolerance("rel", 1e-6))],
)
def test_tolerances_parse(text: str, tolerance: Tolerance) -> None:
    assert parse_tolerance(text) == tolerance


@pytest.mark.parametrize("text", ["ulps=1.5", "ulps=-1", "rel=x", "abs=1", "rel=nan", "4"])
def test_bad_tolerances_name_the_value(text: str) -> None:
    with pytest.raises(UsageError, match=f"Received: {text!r}; expected ulps=N"):
        parse_tolerance(text)


def test_tolerances_measure_ulps_and_relative_differences() -> None:
    one_ulp = 1.0 + 2.0**-52
    assert Tolerance("ulps", 1).allows(1.0, one_ulp)
    assert not Tolerance("ulps", 0).allows(1.0, one_ulp)
    assert Tolerance("ulps", 2).allows(-0.0, 0.0)
    assert Tolerance("rel", 1e-6).allows(1.0, 1.0 + 1e-7)
    assert not Tolerance("rel", 1e-9).allows(1.0, 1.0 + 1e-7)
    assert Tolerance("rel", 0).allows(float("nan"), float("nan"))


def _experiment(tmp_path: Path) -> str:
    (tmp_path / "sums.py").write_text(EXPERIMENT)
    return f"{tmp_path / 'sums.py'}:train"


def test_no_matching_study_is_refused_before_any_run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    experiment = _experiment(tmp_path)
    store = tmp_path / "there.db"
    assert main(["run", experiment, "--repeats", "1", "--store", str(store), *FAST]) == 0
    capsys.readouterr()
    argv = ["check", experiment, "--set", "n=2", "--against", str(store), *FAST]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "No run to compare with in the store" in err
    assert "no study of this code with this config and seed" in err
    assert main(["check", experiment, "--tolerance", "ulps=2", *FAST]) == 2
    assert "A tolerance needs a run to compare with" in capsys.readouterr().err


@pytest.mark.slow
def test_a_run_made_with_other_threads_differs_within_a_tolerance_and_says_why(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    experiment = _experiment(tmp_path)
    there = tmp_path / "there.db"
    run = ["run", experiment, "--repeats", "1", "--store", str(there), *FAST, "--threads", "3"]
    assert main(run) == 0
    capsys.readouterr()
    check = ["check", experiment, "--against", str(there), "--no-probes", *FAST, "--json"]
    assert main(check) == 1
    against = json.loads(capsys.readouterr().out)["against"]
    assert against["verdict"] == "differs"
    assert against["first_difference"].startswith("first difference: logged metric 'value'")
    assert [d["item"] for d in against["environment"][:2]] == ["threads", "OMP_NUM_THREADS"]
    assert (against["environment"][0]["first"], against["environment"][0]["second"]) == ("1", "3")
    assert main([*check, "--tolerance", "ulps=8"]) == 0
    within = json.loads(capsys.readouterr().out)["against"]
    assert (within["verdict"], within["tolerance"]) == ("within tolerance", "ulps=8")
    assert main([*check[:-1], "--tolerance", "rel=0"]) == 1
    assert "against store " in capsys.readouterr().out
