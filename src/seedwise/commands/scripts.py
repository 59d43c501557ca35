"""What the command line says when a script's own arguments are passed the wrong way.

A script (``train.py``, run as ``__main__``) reads its arguments from
``sys.argv``: they follow ``--``. Two slips are common, and each gets the
command line as it should have been, ready to paste: the script's options
given before ``--`` (argparse alone says only "unrecognized arguments"), and
``--set KEY=VALUE``, the config, which a script never sees unless it reads
``seedwise.current_context()``.
"""

from __future__ import annotations

import argparse
import shlex

from seedwise.commands import MASK, is_secret, masked_argv
from seedwise.errors import ExperimentError, UsageError
from seedwise.experiment.reference import ScriptRef, parse_reference
from seedwise.experiment.resolve import script_reads_context

__all__ = ["refuse_config_for_script", "script_arguments_hint"]


def _script(args: argparse.Namespace) -> ScriptRef | None:
    """The script the command runs, when it runs an experiment (it has ``argv``) and that is one.

    None for a function, and for a reference that cannot be read: running it
    reports that reference's problem.
    """
    if not hasattr(args, "argv"):
        return None
    try:
        ref = parse_reference(getattr(args, "experiment", ""))
    except ExperimentError:
        return None
    return ref if isinstance(ref, ScriptRef) else None


def _suggestion(words: list[str], script_args: list[str]) -> str:
    return shlex.join(["seedwise", *masked_argv(words), "--", *script_args])


def _without(words: list[str], dropped: list[str]) -> list[str]:
    """``words`` less ``dropped``, matched in order (what argparse did not recognise)."""
    kept, pending = [], list(dropped)
    for word in words:
        if pending and word == pending[0]:
            pending.pop(0)
        else:
            kept.append(word)
    return kept


def script_arguments_hint(
    args: argparse.Namespace, words: list[str], extras: list[str], script_args: list[str]
) -> str | None:
    """The line for options argparse did not recognise, when they are surely a script's.

    Args:
        args: The parsed command line.
        words: The command line before ``--``.
        extras: What argparse did not recognise among ``words``.
        script_args: What followed ``--``.

    Returns:
        ``unrecognized arguments: ...; a script's own arguments go after --:
        seedwise run train.py -- ...``, or None when the experiment is no script.
    """
    if _script(args) is None:
        return None
    fixed = _suggestion(_without(words, extras), [*extras, *script_args])
    return (
        f"unrecognized arguments: {shlex.join(extras)}; a script's own arguments go after --: "
        f"{fixed}"
    )


def _split_config(words: list[str]) -> tuple[list[str], list[tuple[str, str]]]:
    """``words`` without their ``--set KEY=VALUE`` options, and those options' pairs."""
    kept: list[str] = []
    pairs: list[tuple[str, str]] = []
    index = 0
    while index < len(words):
        word = words[index]
        if word == "--set" and index + 1 < len(words):
            assignment, index = words[index + 1], index + 2
        elif word.startswith("--set="):
            assignment, index = word.removeprefix("--set="), index + 1
        else:
            kept.append(word)
            index += 1
            continue
        key, _, value = assignment.partition("=")
        pairs.append((key, MASK if is_secret(key) else value))
    return kept, pairs


def refuse_config_for_script(
    args: argparse.Namespace, words: list[str], script_args: list[str]
) -> None:
    """Refuse ``--set`` for a script that never reads its config, naming the command to use.

    Args:
        args: The parsed command line.
        words: The command line before ``--``.
        script_args: What followed ``--``.

    Raises:
        UsageError: ``--set`` with a script that does not read
            ``seedwise.current_context()``; nothing has run or been written.
    """
    script = _script(args) if getattr(args, "set", None) else None
    if script is None or script_reads_context(script):
        return
    kept, pairs = _split_config(words)
    given = " ".join(shlex.join(["--set", f"{key}={value}"]) for key, value in pairs)
    options = [word for key, value in pairs for word in (f"--{key}", value)]
    raise UsageError(
        f"A script takes its own arguments after --, not --set: it reads sys.argv and never "
        f"sees the config. Received: {given} for the script {args.experiment}; expected "
        f"e.g. {_suggestion(kept, [*options, *script_args])} (or a script that reads "
        "ctx.config through seedwise.current_context())"
    )
