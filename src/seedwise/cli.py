"""The ``seedwise`` command line: parses, calls the API, prints.

Exit codes: 0 success, 1 a negative verdict, 2 bad usage or input, 3 an
internal error.
"""

from __future__ import annotations

import argparse
import gc
import os
import shlex
import signal
import sys
import traceback
import warnings
from collections.abc import Sequence

from seedwise._user_text import visible
from seedwise._version import __version__
from seedwise.commands import options
from seedwise.commands.aggregate import add_aggregate_parser
from seedwise.commands.attribute import add_attribute_parser
from seedwise.commands.backup import add_backup_parser
from seedwise.commands.check import add_check_parser
from seedwise.commands.confirm import add_confirm_parser
from seedwise.commands.curves import add_curves_parser
from seedwise.commands.env import add_env_parser
from seedwise.commands.imports import add_import_parser
from seedwise.commands.report import add_report_parser
from seedwise.commands.run import add_run_parser
from seedwise.commands.scripts import refuse_config_for_script, script_arguments_hint
from seedwise.commands.stats import add_stats_parsers
from seedwise.commands.studies import add_study_parsers
from seedwise.commands.sweep import add_sweep_parser
from seedwise.demo.cli import demo_main
from seedwise.errors import EXIT_INTERNAL, EXIT_INTERRUPTED, EXIT_USAGE, SeedwiseError, UsageError
from seedwise.seeding import seed_everything

#: 128 + SIGPIPE: what a program killed by a closed pipe reports.
EXIT_BROKEN_PIPE = 141


class _Parser(argparse.ArgumentParser):
    """An ArgumentParser whose errors are one line and exit code 2."""

    def error(self, message: str) -> None:  # type: ignore[override]
        raise UsageError(f"{message}. Try '{self.prog} --help'")


def _seed_command(args: argparse.Namespace) -> int:

    report = seed_everything(
        args.seed,
        deterministic=not args.no_deterministic,
        frameworks=args.frameworks or None,
    )
    print(report.to_json(indent=2) if args.json else report)
    return 0


def _demo_command(args: argparse.Namespace) -> int:

    return demo_main(args)


def build_parser() -> argparse.ArgumentParser:
    """The parser of every subcommand."""

    parser = _Parser(
        prog="seedwise",
        description="Reproducible machine-learning experiments, statistically honest results.",
    )
    parser.add_argument("--version", action="version", version=f"seedwise {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    demo = commands.add_parser(
        "demo", help="the tutorial's study on its own Keras network, in fresh processes"
    )
    demo.add_argument(
        "--backend",
        choices=("tensorflow", "jax", "torch"),
        default="tensorflow",
        help="Keras backend (default: tensorflow)",
    )
    demo.add_argument("--quick", action="store_true", help="fewer runs and epochs")
    demo.add_argument("--json", action="store_true", help="print the results as JSON")
    demo.add_argument("--store", type=options.path_text, help=options.STORE_HELP)
    demo.set_defaults(handler=_demo_command)

    seed = commands.add_parser(
        "seed", help="seed every installed framework in this process and print the report"
    )
    seed.add_argument("seed", type=options.seed, help="an int in [0, 2**63 - 1]")
    seed.add_argument("--no-deterministic", action="store_true", help="leave deterministic ops off")
    seed.add_argument(
        "--framework",
        dest="frameworks",
        action="append",
        type=options.framework,
        metavar="NAME",
        help="only this framework (repeatable): python, numpy, keras, tensorflow, torch, jax",
    )
    seed.add_argument("--json", action="store_true", help="print the report as JSON")
    seed.set_defaults(handler=_seed_command)

    add_run_parser(commands)
    add_sweep_parser(commands)
    add_confirm_parser(commands)
    add_study_parsers(commands)
    add_backup_parser(commands)
    add_stats_parsers(commands)
    add_curves_parser(commands)
    add_aggregate_parser(commands)
    add_check_parser(commands)
    add_env_parser(commands)
    add_report_parser(commands)
    add_import_parser(commands)
    add_attribute_parser(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code."""
    parser = build_parser()
    # The statistics report their own cautions (n too small, ties, far from
    # normal); SciPy's numerical warnings about the same data add only noise.
    warnings.filterwarnings("ignore", category=RuntimeWarning, module=r"scipy\.")
    words = list(sys.argv[1:] if argv is None else argv)
    # What follows "--" belongs to the script that `run` or `check` runs.
    script_args: list[str] = []
    if "--" in words:
        cut = words.index("--")
        words, script_args = words[:cut], words[cut + 1 :]
    try:
        args, extras = parser.parse_known_args(words)
        if extras:
            # argparse's own message, with the command to use when they are a script's.
            hint = script_arguments_hint(args, words, extras, script_args)
            if hint is not None:
                raise UsageError(hint)
            parser.error(f"unrecognized arguments: {' '.join(extras)}")
        if args.command is None:
            parser.print_help()
            return EXIT_USAGE
        if script_args and not hasattr(args, "argv"):
            raise UsageError(
                f"Only `seedwise run` and `seedwise check` pass arguments to a script. "
                f"Received: -- {shlex.join(script_args)}; expected no '--' for "
                f"`seedwise {args.command}`"
            )
        if hasattr(args, "argv"):
            args.argv = script_args
            refuse_config_for_script(args, words, script_args)
        code: int = args.handler(args)
        return code
    except SeedwiseError as error:
        # One line, whatever the message quotes (a name, a path, an exception's text).
        print(f"seedwise: error: {visible(str(error), one_line=True)}", file=sys.stderr)
        return error.exit_code
    except KeyboardInterrupt:
        print("seedwise: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        # The reader of our output went away (`seedwise export ... | head`): not an error
        # of ours. Point stdout at /dev/null so that the final flush stays quiet.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_BROKEN_PIPE
    except OSError as error:
        if error.filename is None:
            return _internal_error()
        # A path the user named cannot be read or written: bad input, in one line.
        print(
            visible(
                f"seedwise: error: {error.strerror or error}. Received: {error.filename!s}; "
                "expected a path seedwise can read or write",
                one_line=True,
            ),
            file=sys.stderr,
        )
        return EXIT_USAGE
    except Exception:
        return _internal_error()


def _internal_error() -> int:
    print(visible(traceback.format_exc()), end="", file=sys.stderr)
    print(
        "seedwise: internal error (a bug in seedwise: please report it with the traceback above)",
        file=sys.stderr,
    )
    return EXIT_INTERNAL


def run() -> None:
    """Run the command line in this process, then exit with its code.

    SIGTERM (``docker stop``, systemd, ``kill``) stops a command as Ctrl-C
    does: a sweep stops cleanly and says how to resume, anything else ends
    with one line; exit code 130 either way.
    """
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    code = main()
    # The process ends here. Its last garbage collections walk every object
    # still alive, seconds once MLflow and SQLAlchemy are loaded, to free
    # what the operating system frees at once; frozen, they are skipped.
    # Finalizers, atexit handlers and the streams' flushing still run.
    gc.freeze()
    sys.exit(code)


__all__ = ["build_parser", "main", "run"]
