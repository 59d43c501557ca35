"""Placeholders in a script's arguments: filled from the run's context, checked at set-up."""

from __future__ import annotations

from pathlib import Path

import pytest

from seedwise.errors import EXIT_USAGE, ExperimentError
from seedwise.experiment import RunContext
from seedwise.experiment.placeholders import ACCEPTED, check_placeholders, fill_placeholders
from seedwise.experiment.resolve import resolve_experiment
from seedwise.seeding.streams import RUN_SEED_BITS, derive_seed


def test_each_placeholder_is_filled_with_what_the_run_context_holds() -> None:
    ctx = RunContext(1234, 3, {}, Path("/runs/00003"), study="base-1a2b")
    argv = [
        "--seed", "{seed}", "--init-seed={seed:init}", "seed={seed}", "data={seed:data}",
        "--repeat", "{repeat}", "--out={workdir}/{study}", "{seed:}",
    ]  # fmt: skip
    assert fill_placeholders(argv, ctx) == (
        "--seed", "1234", f"--init-seed={derive_seed(1234, 'init', bits=RUN_SEED_BITS)}",
        "seed=1234",
        f"data={ctx.seed_for('data')}", "--repeat", "3", "--out=/runs/00003/base-1a2b", "1234",
    )  # fmt: skip
    # A named stream's seed is the one ctx.seed_for gives a function experiment.
    assert fill_placeholders(["{seed:init}"], ctx) == (str(ctx.seed_for("init")),)


def test_doubled_braces_are_literal_and_words_without_braces_stay_as_they_are() -> None:
    ctx = RunContext(5, 0, {}, Path("."), study="s")
    argv = ['{{"lr": 0.1}}', "x={{seed}}", "--lr", "0.01", "a b", ""]
    assert fill_placeholders(argv, ctx) == ('{"lr": 0.1}', "x={seed}", "--lr", "0.01", "a b", "")


@pytest.mark.parametrize(
    ("word", "why"),
    [
        ("{sede}", "the unknown placeholder {sede}"),
        ("seed={Seed}", "the unknown placeholder {Seed}"),
        ("{repeat:x}", "the unknown placeholder {repeat:x}"),
        ("{seed!r}", "the unknown placeholder {seed!r}"),
        ("{}", "the unknown placeholder {}"),
        ("{0}", "the unknown placeholder {0}"),
        ("{seed.real}", "the unknown placeholder {seed.real}"),
        ("{seed:{x}}", "the unknown placeholder {seed:{x}}"),
        ('{"lr": 0.1}', """the unknown placeholder {"lr": 0.1}"""),
        ("--seed={seed", "a lone brace"),
        ("x}", "a lone brace"),
    ],
)
def test_a_placeholder_no_run_fills_is_refused_in_one_line_naming_it(word: str, why: str) -> None:
    with pytest.raises(ExperimentError) as raised:
        check_placeholders(["--lr", "0.1", word])
    message = str(raised.value)
    assert "\n" not in message
    assert message.startswith(f"A script's argument {word!r} cannot be filled for each run: ")
    assert why in message
    assert f"Received: argv=['--lr', '0.1', {word!r}]" in message
    assert message.endswith(
        f"expected the placeholders {ACCEPTED}, and {{{{ and }}}} for literal braces"
    )
    assert raised.value.exit_code == EXIT_USAGE


def test_a_script_with_a_bad_placeholder_is_refused_when_the_study_is_set_up(
    tmp_path: Path,
) -> None:
    script = tmp_path / "train.py"
    script.write_text("import sys\nprint(sys.argv)\n")
    with pytest.raises(ExperimentError, match=r"unknown placeholder \{sede\}"):
        resolve_experiment(str(script), argv=["--seed", "{sede}"])
    kept = resolve_experiment(str(script), argv=["--seed", "{seed}", "seed={seed:init}"])
    assert kept.text == f"{script} --seed '{{seed}}' 'seed={{seed:init}}'"
