"""Escape sequences in names, metrics and errors reach no terminal raw: every command shows them.

A study's name, a metric's name and an exception's message are the user's:
``ESC[2J`` would clear the screen, ``ESC]0;...BEL`` retitle the window, a
bidirectional override reorder the line. Each command prints them made
visible (``\\x1b[2J``), and rich markup in them (``[bold]``) as text.
"""

from __future__ import annotations

import os
import subprocess
import warnings
from pathlib import Path

import pytest

from seedwise.cli import main
from seedwise.commands import suggested_command
from seedwise.records import RunRecord, RunStatus
from seedwise.store import Store
from tests.runner.conftest import FAST

#: Raw characters that would act on a terminal: ESC, BEL, CSI (C1), backspace, CR, RLO.
RAW = ("\x1b", "\x07", "\x9b", "\x08", "\r", "\u202e")
NAME = "st\x1b[31m[bold]x"
METRIC = "\x1b[31mred"
MESSAGE = "\x1b[2J\x1b]0;pwn\x07bad\x9b2J \u202eevil [bold]x[/bold]"
EXPERIMENT = f"""\
def train(ctx):
    if ctx.repeat == 1:
        raise RuntimeError({MESSAGE!r})
    return {{{METRIC!r}: 1.0 + 0.5 * ctx.repeat, "mse": 0.5}}
"""


def assert_visible(text: str) -> None:
    """No raw control character in ``text``."""
    found = [character for character in RAW if character in text]
    assert not found, f"raw {found!r} in {text!r}"


def _add(store: Store, name: str, values: list[float], failed: int | None = None) -> None:
    store.ensure_study(
        name, experiment="exp.py:train", config={}, seed=0, settings={}, code_hash="c0de"
    )
    for repeat, value in enumerate(values):
        if repeat == failed:
            traceback = f"Traceback (most recent call last):\n  File ...\nRuntimeError: {MESSAGE}\n"
            error = f"RuntimeError: {MESSAGE}"
            store.record_run(
                RunRecord(name, repeat, 100 + repeat, RunStatus.FAILED, error=error,
                          traceback=traceback)
            )  # fmt: skip
        else:
            metrics = {METRIC: value, "mse": 0.5 + value / 10}
            store.record_run(RunRecord(name, repeat, 100 + repeat, RunStatus.OK, metrics=metrics))


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """NAME, whose repeat 1 failed with MESSAGE, and ``plain``, on the same seeds."""
    path = tmp_path_factory.mktemp("control") / "s.db"
    with Store(path) as opened:
        _add(opened, NAME, [1.0, 0.0, 1.5, 2.0, 2.4], failed=1)
        _add(opened, "plain", [0.5, 0.7, 0.2, 0.9, 1.1])
    return path


def test_run_shows_the_error_the_metric_and_the_name_escaped(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "exp.py").write_text(EXPERIMENT)
    argv = ["run", f"{tmp_path / 'exp.py'}:train", "--name", NAME, "--repeats", "2"]
    assert main([*argv, "--workers", "1", "--store", str(tmp_path / "s.db"), *FAST]) == 1
    captured = capsys.readouterr()
    output = captured.out + captured.err
    assert_visible(output)
    assert "repeat 1 failed: RuntimeError: \\x1b[2J\\x1b]0;pwn" in output
    assert "\\x1b[31mred: mean" in output
    # rich markup in the name is text: the brackets are printed, nothing turns bold.
    assert "study st\\x1b[31m[bold]x:" in output


SHOWN_NAME = "st\\x1b[31m[bold]x"
SHOWN_METRIC = "\\x1b[31mred"


@pytest.mark.parametrize(
    ("argv", "shown"),
    [
        (["ls"], [SHOWN_NAME]),
        (["show", NAME], [SHOWN_NAME, SHOWN_METRIC, "RuntimeError: \\x1b[2J"]),
        (["show", NAME, "--repeat", "1"], [SHOWN_NAME, "RuntimeError: \\x1b[2J"]),
        (["summary", NAME], [SHOWN_NAME, SHOWN_METRIC]),
        (["compare", NAME, "plain"], [SHOWN_NAME, SHOWN_METRIC]),
        (["plan", NAME, "--metric", METRIC, "--effect", "0.5"], [SHOWN_METRIC]),
    ],
    ids=["ls", "show", "show-repeat", "summary", "compare", "plan"],
)
def test_reading_commands_show_control_characters_escaped(
    store: Path,
    argv: list[str],
    shown: list[str],
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main([*argv, "--store", str(store)]) == 0
    captured = capsys.readouterr()
    output = captured.out + captured.err
    assert_visible(output)
    for text in shown:
        assert text in output


def test_show_of_the_failed_run_escapes_its_error_and_traceback(
    store: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["show", NAME, "--repeat", "1", "--store", str(store)]) == 0
    out = capsys.readouterr().out
    assert "error: RuntimeError: \\x1b[2J\\x1b]0;pwn" in out
    # The traceback keeps its lines; the message's override and CSI are shown.
    assert "Traceback (most recent call last):\n" in out
    assert "\\x9b2J \\u202eevil [bold]x[/bold]\n" in out


def test_report_prints_and_writes_no_raw_control_characters(
    store: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for name in ("r.html", "r.md"):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            code = main(
                ["report", NAME, "plain", "-o", str(tmp_path / name), "--store", str(store)]
            )
        assert code == 0
        # matplotlib warns (with the raw character) of glyphs it cannot draw: escaped labels
        # have none.
        assert [str(w.message) for w in caught if "Glyph" in str(w.message)] == []
        captured = capsys.readouterr()
        assert_visible(captured.out + captured.err)
        written = (tmp_path / name).read_text()
        assert_visible(written)
        # Markdown escapes the bracket too: ``\\[`` shows as ``[``.
        assert ("\\x1b[31mred" if name == "r.html" else "\\x1b\\[31mred") in written


def test_an_error_line_is_one_line_with_its_characters_escaped(
    store: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # A path that cannot be written, in a folder whose name holds ESC[2J and a newline.
    folder = tmp_path / "d\x1b[2J\nx"
    folder.mkdir()
    (folder / "f").write_text("")
    assert main(["export", "plain", "-o", str(folder / "f" / "o.csv"), "--store", str(store)]) == 2
    err = capsys.readouterr().err
    assert_visible(err)
    assert err.count("\n") == 1
    assert err.startswith("seedwise: error: Not a directory. Received: ")
    assert "d\\x1b[2J\\nx" in err


def test_a_suggested_command_with_control_characters_pastes_as_the_same_name() -> None:
    command = suggested_command("show", NAME, "--repeat", "K", store=Path("/tmp/a b/s.db"))
    assert_visible(command)
    assert command == "seedwise show $'st\\x1b[31m[bold]x' --repeat K --store '/tmp/a b/s.db'"
    tricky = "it's \\x1b\x1b\u202e"
    pasted = suggested_command(tricky, store=Path("s.db")).removeprefix("seedwise ")
    pasted = pasted.removesuffix(" --store s.db")
    # bash writes \u202e in the locale's encoding: a UTF-8 one, whatever the test's.
    environment = {**os.environ, "LC_ALL": "C.UTF-8"}
    shown = subprocess.run(
        ["bash", "-c", f"printf %s {pasted}"],
        capture_output=True,
        text=True,
        check=True,
        env=environment,
    )
    assert shown.stdout == tricky
