"""Every exception seedwise raises on purpose, each carrying the exit code the CLI uses.

Exit codes: 0 success, 1 a negative verdict, 2 bad usage or input, 3 an
internal error, 130 interrupted (Ctrl-C or SIGTERM).
"""

from __future__ import annotations

__all__ = [
    "EXIT_INTERNAL",
    "EXIT_INTERRUPTED",
    "EXIT_NEGATIVE",
    "EXIT_OK",
    "EXIT_USAGE",
    "ExperimentError",
    "IdenticalRunsWarning",
    "ImportedStudyError",
    "InvalidResultError",
    "InvalidSeedError",
    "MissingMetricError",
    "SeedwiseError",
    "SeedwiseWarning",
    "StoreError",
    "StoreRowError",
    "StoreRowWarning",
    "SweepInterrupted",
    "TrackerError",
    "TrialFailedError",
    "UntrustedExperimentError",
    "UsageError",
]

EXIT_OK = 0
EXIT_NEGATIVE = 1
EXIT_USAGE = 2
EXIT_INTERNAL = 3
#: 128 + SIGINT, as shells report a process stopped by Ctrl-C.
EXIT_INTERRUPTED = 130


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


class MissingMetricError(UsageError):
    """A metric was asked for that the results do not contain."""


class UntrustedExperimentError(UsageError):
    """A study's experiment comes from its store, which the user has not said to trust.

    A store is data: the experiment it names runs only when the user names
    it, says to trust the store, or its code lies in the store's folder tree
    (see ``seedwise.experiment.trust``).
    """


class TrackerError(UsageError):
    """A tracker (MLflow, TensorBoard) cannot be reached or refused what seedwise wrote.

    Nothing is lost: the study's runs are in seedwise's store, and
    ``seedwise export STUDY --to TRACKER`` writes them again, adding no duplicates.
    """


class ImportedStudyError(UsageError):
    """A study imported from elsewhere (MLflow, a CSV file) was asked to run, or was overwritten.

    Imported studies are read-only: seedwise has no code to run for them, so
    they are never rerun, checked or resumed; they are updated only by
    importing their source again.
    """


class StoreError(SeedwiseError):
    """A store cannot be opened, is not a seedwise store, or holds something unexpected.

    Not a :class:`UsageError`: a store that cannot be read is bad input, not
    a bad argument, though the command line exits with the same code 2.
    """

    exit_code = EXIT_USAGE


class StoreRowError(StoreError):
    """A row of a store does not hold what seedwise writes (the store was edited by hand).

    Raised by the one place that decodes rows, ``seedwise.store.rows``; the
    message names the table, the column, the study and the repeat.
    """


class RanksDifferError(SeedwiseError):
    """The ranks of a multi-process experiment hold different parameters after initialisation.

    Raised by ``seedwise.experiment.ranks.assert_ranks_equal`` in every rank:
    a rank seeded with its own seed (or drawing before the model was built)
    starts DDP from another model than rank 0's.
    """


class TrialFailedError(SeedwiseError):
    """Every run of a tuner's trial failed, so the trial has no value to return.

    Raised by ``seedwise.optuna``'s objective: Optuna marks the trial failed
    and stops ``optimize`` unless told to go on (``catch=(TrialFailedError,)``).
    """


class SweepInterrupted(SeedwiseError):
    """A sweep was stopped by Ctrl-C or SIGTERM; every finished run is stored.

    Attributes:
        result: What the study's run did before it stopped (a ``seedwise.runner.StudyRun``).
    """

    exit_code = EXIT_INTERRUPTED

    def __init__(self, message: str, result: object = None) -> None:
        super().__init__(message)
        self.result = result


class SeedwiseWarning(UserWarning):
    """Something about a study's runs that suggests the experiment is not what it seems.

    For example, every run returned the same metrics although each had its
    own seed. ``seedwise.run`` warns with it; the command line prints it.
    """


class IdenticalRunsWarning(SeedwiseWarning):
    """Every run of a study returned the same metrics although each had its own seed.

    The code seems to seed itself with a constant, or a vectorised study's
    batches repeat themselves. Code whose runs are the same on purpose (a
    demonstration that seeding works) silences it, and only it, with
    ``warnings.catch_warnings()`` and
    ``warnings.simplefilter("ignore", IdenticalRunsWarning)``.
    """


class StoreRowWarning(SeedwiseWarning):
    """A listing of the store (``Store.list_studies``) skipped a row it cannot decode.

    The message is that of the :class:`StoreRowError` the row raised; the
    command line prints it as one warning line and lists the rest.
    """
