"""Every command the command line suggests works when pasted: with ``--store`` when it is not
the default one, and without it when it is."""

from __future__ import annotations

import shlex
import time
from pathlib import Path

import pytest

from seedwise.cli import main
from seedwise.commands import store_words, suggested_command
from seedwise.store import Store
from tests.conftest import PROGRAMS
from tests.runner.conftest import FAST, NOISY

ATTRIBUTED = f"{PROGRAMS / 'attribution_experiments.py'}:one_source"


def suggestion(out: str, prefix: str) -> list[str]:
    """The words of the command printed after ``prefix`` on one line of ``out``."""
    (line,) = [line for line in out.splitlines() if prefix in line]
    return shlex.split(line.split(prefix, 1)[1].removesuffix(" (exit code 1)"))


def test_the_store_part_is_left_out_only_for_the_default_store(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("SEEDWISE_STORE", raising=False)
    assert store_words(Path(".seedwise/seedwise.db")) == []
    assert store_words(tmp_path / ".seedwise" / "seedwise.db") == []
    assert store_words(Path("other.db")) == ["--store", "other.db"]
    monkeypatch.setenv("SEEDWISE_STORE", str(tmp_path / "shared.db"))
    assert store_words(tmp_path / "shared.db") == []
    assert store_words(Path(".seedwise/seedwise.db")) == ["--store", ".seedwise/seedwise.db"]
    assert suggested_command("show", "a b", store=Path("/x y/s.db")) == (
        "seedwise show 'a b' --store '/x y/s.db'"
    )


def test_the_hints_of_run_and_show_name_the_store_and_work_when_pasted(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store = tmp_path / "my store" / "s.db"
    argv = ["run", NOISY, "--store", str(store), *FAST, "--repeats", "2", "--workers", "1"]
    assert main([*argv, "--set", "fail=1", "--name", "hinted"]) == 1
    out = capsys.readouterr().out
    show_run = suggestion(out, "a run's traceback and output: ")
    assert show_run == ["seedwise", "show", "hinted", "--repeat", "K", "--store", str(store)]
    rerun = suggestion(out, "rerun one repeat exactly: ")
    # The experiment lies outside the store's folder: the hint names it (a store is data).
    assert rerun == [
        "seedwise", "rerun", "hinted", "K", "--experiment", NOISY, "--store", str(store)
    ]  # fmt: skip
    assert main([word.replace("K", "0") for word in rerun[1:]]) == 0
    assert "identical to the stored run" in capsys.readouterr().out

    assert main(["show", "hinted", "--store", str(store)]) == 0
    show = suggestion(capsys.readouterr().out, "a run's traceback and output: ")
    assert show == show_run
    pasted = [word.replace("K", "1") for word in show[1:]]
    assert main(pasted) == 0
    assert "boom at repeat 1" in capsys.readouterr().out

    assert main(["show", "hinted", "--repeat", "7", "--store", str(store)]) == 2
    err = capsys.readouterr().err
    assert f"expected a repeat listed by `seedwise show hinted --store '{store}'`" in err


def test_the_hints_of_attribute_name_the_store(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store = tmp_path / "s.db"
    argv = ["attribute", ATTRIBUTED, "--sources", "init", "--repeats", "3", "--no-unnamed"]
    assert main([*argv, "--workers", "1", "--framework", "numpy", "--store", str(store)]) == 0
    report = suggestion(capsys.readouterr().out, "the report of these studies: ")
    names = [word for word in report[2:] if "-attribute-" in word]
    assert len(names) == 2
    assert report == ["seedwise", "report", *names, "-o", "report.html", "--store", str(store)]


def test_the_hint_of_claims_names_the_store_and_works_when_pasted(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store = tmp_path / "s.db"
    argv = ["run", NOISY, "--store", str(store), *FAST, "--repeats", "1", "--workers", "1"]
    assert main([*argv, "--name", "held"]) == 0
    with Store(store) as opened, opened._write() as connection:
        gone = ("held", 1, f"other-host:4242:{'a' * 32}", time.time() - 3600)
        connection.execute(
            "INSERT INTO claims (study, repeat, owner, claimed) VALUES (?, ?, ?, ?)", gone
        )
    capsys.readouterr()
    assert main(["claims", "--store", str(store)]) == 0
    release = suggestion(capsys.readouterr().out, "release the claims of runners that are gone: ")
    assert release == ["seedwise", "claims", "--release", "--store", str(store)]
    assert main(release[1:]) == 0
    assert "released 1 claims" in capsys.readouterr().out
