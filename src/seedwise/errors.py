"""The exceptions seedwise raises, each carrying the exit code the CLI uses.

Exit codes: 0 success, 1 a negative verdict, 2 bad usage or input, 3 an
internal error.
"""

from __future__ import annotations

__all__ = [
    "SeedwiseError",
    "UsageError",
    "InvalidSeedError",
    "ExperimentError",
    "InvalidResultError",
    "StoreError",
    "EXIT_OK",
    "EXIT_NEGATIVE",
    "EXIT_USAGE",
    "EXIT_INTERNAL",
]

EXIT_OK = 0
EXIT_NEGATIVE = 1
EXIT_USAGE = 2
EXIT_INTERNAL = 3


class SeedwiseError(Exception):
    """Base class of every error seedwise raises on purpose."""

    exit_code: int = EXIT_INTERNAL


class UsageError(SeedwiseError, ValueError):
    """The caller passed a bad value; the message names it and what is accepted."""

    exit_code = EXIT_USAGE


class InvalidSeedError(UsageError):
    """A seed or a derivation key is not acceptable."""


class ExperimentError(UsageError):
    """An experiment cannot be loaded or called: bad reference, file, function or signature."""


class InvalidResultError(ExperimentError):
    """An experiment returned something other than a mapping of metric names to numbers."""


class StoreError(UsageError):
    """A store cannot be opened, is not a seedwise store, or holds something unexpected."""
