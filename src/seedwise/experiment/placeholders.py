"""Placeholders in a script's arguments, filled for each run: ``-- --seed {seed}``.

A script reads its seed from its own options (argparse's ``--seed``,
Hydra's ``seed=...``), not from seedwise. Its arguments may therefore hold
placeholders, written as in :meth:`str.format` and filled from the run's
context just before the script runs:

- ``{seed}``: the run's seed, ``ctx.seed``;
- ``{seed:NAME}``: the seed of the named stream ``NAME``, ``ctx.seed_for(NAME)``;
- ``{repeat}``: the run's index, ``ctx.repeat``;
- ``{study}``: the study's name, ``ctx.study``;
- ``{workdir}``: the run's folder, ``ctx.workdir``.

A placeholder may be a word of its own (``--seed {seed}``) or part of one
(``seed={seed}``, ``--out=runs/{study}/{repeat}``); ``{{`` and ``}}`` stand
for literal braces. The study stores the arguments as written, placeholders
and all: they are part of its identity, and every run fills them anew.
"""

from __future__ import annotations

import string
from collections.abc import Sequence
from typing import TYPE_CHECKING

from seedwise.errors import ExperimentError

if TYPE_CHECKING:
    from seedwise.experiment.context import RunContext

__all__ = ["ACCEPTED", "check_placeholders", "fill_placeholders"]

#: The placeholders a script's arguments may hold, for messages.
ACCEPTED = "{seed}, {seed:NAME}, {repeat}, {study}, {workdir}"

_PLAIN = ("seed", "repeat", "study", "workdir")


_Part = tuple[str, str | None]


def _parts(word: str, argv: Sequence[str]) -> list[_Part]:
    """``word`` as (literal text, placeholder or None) pairs; a placeholder is ``seed:NAME`` etc.

    Raises:
        ExperimentError: A lone brace, or a placeholder seedwise does not fill.
    """
    try:
        parsed = list(string.Formatter().parse(word))
    except ValueError as error:
        raise _refusal(word, argv, f"it has a lone brace ({error})") from None
    parts: list[_Part] = []
    for literal, field, given_spec, conversion in parsed:
        if field is None:
            parts.append((literal, None))
            continue
        spec = given_spec or ""
        shown = "{" + field + ("!" + conversion if conversion else "")
        shown += (":" + spec if spec else "") + "}"
        plain = field in _PLAIN and not spec
        stream = field == "seed" and bool(spec) and "{" not in spec and "}" not in spec
        if conversion or not (plain or stream):
            raise _refusal(word, argv, f"it holds the unknown placeholder {shown}")
        parts.append((literal, shown[1:-1]))
    return parts


def _refusal(word: str, argv: Sequence[str], why: str) -> ExperimentError:
    return ExperimentError(
        f"A script's argument {word!r} cannot be filled for each run: {why}. Received: "
        f"argv={list(argv)!r}; expected the placeholders {ACCEPTED}, and {{{{ and }}}} for "
        "literal braces"
    )


def check_placeholders(argv: Sequence[str]) -> None:
    """Refuse a script's arguments whose placeholders no run could fill.

    Args:
        argv: The script's arguments, as the study stores them.

    Raises:
        ExperimentError: An argument holds an unknown placeholder (``{sede}``),
            a conversion (``{seed!r}``) or a lone ``{`` or ``}``; the message
            names it and the placeholders accepted.
    """
    for word in argv:
        _parts(word, argv)


def fill_placeholders(argv: Sequence[str], run: RunContext) -> tuple[str, ...]:
    """A script's arguments with each placeholder replaced by the run's value.

    Args:
        argv: The arguments as stored, with placeholders.
        run: The run's context.

    Returns:
        The arguments the script receives as ``sys.argv[1:]``.

    Raises:
        ExperimentError: As :func:`check_placeholders`.

    Example:
        >>> from pathlib import Path
        >>> from seedwise.experiment import RunContext
        >>> ctx = RunContext(7, 0, {}, Path("."), study="base")
        >>> fill_placeholders(["--seed", "{seed}", "name={study}", "{{x}}"], ctx)
        ('--seed', '7', 'name=base', '{x}')
    """
    values = {"seed": run.seed, "repeat": run.repeat, "study": run.study, "workdir": run.workdir}
    filled: list[str] = []
    for word in argv:
        text = []
        for literal, placeholder in _parts(word, argv):
            text.append(literal)
            if placeholder is None:
                continue
            field, _, stream = placeholder.partition(":")
            text.append(str(run.seed_for(stream) if stream else values[field]))
        filled.append("".join(text))
    return tuple(filled)
