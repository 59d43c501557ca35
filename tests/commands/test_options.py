"""Command-line values are checked while parsing, by the types of one module."""

from __future__ import annotations

import argparse
import inspect

import pytest

from seedwise.cli import build_parser, main
from seedwise.commands import options


@pytest.mark.parametrize(
    ("checker", "text", "value"),
    [
        ("positive_int", "3", 3),
        ("non_negative_int", "0", 0),
        ("seed", str(2**63 - 1), 2**63 - 1),
        ("positive_number", "0.5", 0.5),
        ("finite_number", "-2", -2.0),
        ("fraction", "0.05", 0.05),
        ("name", "b" * 100, "b" * 100),
        ("name", "étude [1]", "étude [1]"),
    ],
)
def test_accepted_values(checker: str, text: str, value: object) -> None:
    assert options.CHECKERS[checker](text) == value


@pytest.mark.parametrize(
    ("checker", "text", "message"),
    [
        ("positive_int", "0", "must be a positive int. Received: '0'; expected 1 or more"),
        ("positive_int", "two", "not an integer. Received: 'two'"),
        ("non_negative_int", "-1", "must be 0 or more. Received: '-1'"),
        ("seed", "-1", "is out of range. Received: '-1'"),
        ("seed", str(2**63), "is out of range"),
        ("positive_number", "0", "must be a number above 0. Received: '0'"),
        ("positive_number", "inf", "must be a number above 0. Received: 'inf'"),
        ("positive_number", "nan", "must be a number above 0"),
        ("finite_number", "nan", "must be a finite number. Received: 'nan'"),
        ("fraction", "1", "must be between 0 and 1. Received: '1'"),
        ("fraction", "x", "must be between 0 and 1. Received: 'x'"),
        ("name", "  ", "A study name must be a str of 1 to 100 characters, not only spaces"),
        (
            "name",
            "a" * 10_000,
            "Received: name='aaaaaaaaaaaaaaaaaaaa'... (10000 characters); expected a name such",
        ),
    ],
)
def test_refused_values_name_the_value_and_what_is_accepted(
    checker: str, text: str, message: str
) -> None:
    with pytest.raises(argparse.ArgumentTypeError) as caught:
        options.CHECKERS[checker](text)
    assert message in str(caught.value)


def _subparsers(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    return {}


def test_every_typed_option_is_checked_by_the_options_module() -> None:
    """No option parses with a bare int or float: each type comes from commands/options.py."""
    checked = {
        function
        for _, function in inspect.getmembers(options, inspect.isfunction)
        if function.__module__ == options.__name__
    }
    untyped_numbers = []
    for name, sub in _subparsers(build_parser()).items():
        for action in sub._actions:
            if isinstance(action.type, (options.IntRange, options.FloatRange)):
                continue
            if action.type is not None and action.type not in checked:
                untyped_numbers.append(f"{name} {action.option_strings or action.dest}")
    assert untyped_numbers == []


@pytest.mark.parametrize(
    ("argv", "shown"),
    [
        (["summary", "s", "--seed", "-3"], "argument --seed: is out of range"),
        (["plan", "s", "--effect", "0.1", "--power", "1.5"], "argument --power: must be between"),
        (["plan", "s", "--effect", "nan"], "argument --effect: must be a finite number"),
        (["seed", "x"], "argument seed: not an integer. Received: 'x'"),
        (["seed", "1", "--framework", "pytorch"], "unknown framework. Received: 'pytorch'"),
    ],
)
def test_bad_values_are_refused_before_anything_runs(
    argv: list[str], shown: str, capsys: pytest.CaptureFixture[str], tmp_path: object
) -> None:
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1, err
    assert shown in err


def test_every_bounded_integer_option_is_one_range_type() -> None:
    """positive_int, repeat_count, non_negative_int, seed: IntRange values, not four functions."""
    ranges = {
        "positive_int": (1, options.MAX_INDEX),
        "repeat_count": (1, 1_000_000),
        "non_negative_int": (0, options.MAX_INDEX),
        "seed": (0, 2**63 - 1),
    }
    for name, (low, high) in ranges.items():
        checker = options.CHECKERS[name]
        assert isinstance(checker, options.IntRange), name
        assert (checker.low, checker.high) == (low, high)
        assert checker(str(low)) == low
        assert checker(str(high)) == high
        for outside in (low - 1, high + 1):
            with pytest.raises(argparse.ArgumentTypeError, match="Received: '"):
                checker(str(outside))
    with pytest.raises(argparse.ArgumentTypeError) as caught:
        options.repeat_count("1000001")
    assert str(caught.value) == (
        "must be a number of repeats. Received: '1000001'; expected 1 to 1,000,000"
    )


def _options_by_flag(parser: argparse.ArgumentParser) -> dict[str, argparse.Action]:
    return {
        action.option_strings[0] if action.option_strings else action.dest: action
        for action in parser._actions
    }


def _described(action: argparse.Action) -> tuple[object, ...]:
    return (
        type(action),
        action.option_strings,
        action.dest,
        action.type,
        action.default,
        action.help,
        action.metavar,
        action.nargs,
        action.choices,
        action.required,
    )


def test_the_study_options_of_run_and_attribute_are_the_same_options() -> None:
    """Declared once: every study option has the same type, default and help in each command."""
    from seedwise.commands.study_options import add_study_options

    declared = argparse.ArgumentParser(add_help=False)
    add_study_options(declared)
    shared = _options_by_flag(declared)
    assert {"experiment", "--name", "--repeats", "--metric", "--workers", "--store"} <= set(shared)
    commands = _subparsers(build_parser())
    for command in ("run", "attribute"):
        given = _options_by_flag(commands[command])
        for flag, action in shared.items():
            assert _described(given[flag]) == _described(action), (command, flag)
    assert commands["attribute"]._option_string_actions["--name"].type is options.name


@pytest.mark.parametrize(
    ("argv", "mode"),
    [
        ([], True),
        (["--deterministic", "warn"], "warn"),
        (["--deterministic", "off"], False),
        (["--no-deterministic"], False),
        (["--deterministic", "off", "--no-deterministic"], False),
    ],
)
def test_the_deterministic_mode_of_run_and_check(argv: list[str], mode: object) -> None:
    for command in ("run", "check"):
        args = build_parser().parse_args([command, "train.py:train", *argv])
        assert options.deterministic_from(args) == mode


def test_a_bad_or_contradicted_deterministic_mode_is_one_line(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["check", "train.py:train", "--deterministic", "warm"]) == 2
    assert "Received: 'warm'; expected on, off or warn" in capsys.readouterr().err
    args = build_parser().parse_args(
        ["run", "train.py:train", "--deterministic", "warn", "--no-deterministic"]
    )
    with pytest.raises(options.UsageError, match="--deterministic warn with --no-deterministic"):
        options.deterministic_from(args)


def test_a_curve_metric_with_an_equals_sign_is_a_name_not_a_pattern() -> None:
    assert options.metric_option("steps_to(loss <= 0.1)") == ("steps_to(loss <= 0.1)", None)
    assert options.metric_option("acc=acc: (\\S+)") == ("acc", "acc: (\\S+)")
    with pytest.raises(argparse.ArgumentTypeError, match=r"metric='auc\(loss'"):
        options.metric_option("auc(loss")
