"""The store: one SQLite file of studies, runs, steps, fingerprints, environments and claims.

One way to open it for each purpose:

- ``Store(path)`` opens it to write (the runner), creating it when missing;
- ``open_store(path)`` opens it to read: it never writes, never takes the
  write lock and never waits for a writer;
- ``store.study(name)`` is a :class:`~seedwise.store.study.Study` of either
  (``open_study(path, name)`` is ``open_store(path).study(name)``, closed
  with the study).

:class:`Store` is the face of the store: it checks arguments, opens a
transaction and hands the job to its module: opening the file
(:mod:`~seedwise.store.opening`), the read and write transactions
(:mod:`~seedwise.store.transactions`), the schema and its migrations
(:mod:`~seedwise.store.schema`), each table's rows
(:mod:`~seedwise.store.rows`), the queries of studies and runs
(:mod:`~seedwise.store.studies`, :mod:`~seedwise.store.runs`), a sweep's
cells (:mod:`~seedwise.store.sweeps`), what a
study's name means (:mod:`~seedwise.store.names`) and the claim protocol
(:mod:`~seedwise.store.claims`).
"""

from __future__ import annotations

import os
import sqlite3
import time
from collections.abc import Mapping, Sequence
from contextlib import AbstractContextManager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from seedwise._closing import Closing
from seedwise.errors import StoreError
from seedwise.records import FingerprintRecord, PredictionRecord, RunRecord, StepRecord
from seedwise.seeding.streams import check_seed
from seedwise.store import claims as _claims
from seedwise.store import imports as _imports
from seedwise.store import predictions as _stored_predictions
from seedwise.store import runs as _runs
from seedwise.store import shown as _shown
from seedwise.store import studies as _studies
from seedwise.store import sweeps as _sweeps
from seedwise.store.backup import StoreCopy, backup_store
from seedwise.store.names import check_new_name, require_study, resolve_name
from seedwise.store.opening import (
    default_store_path,
    open_for_reading,
    open_for_writing,
)
from seedwise.store.records import Showing, StudyRecord, StudySummary, SweepGrid
from seedwise.store.schema import SCHEMA_VERSION, read_version
from seedwise.store.study import Study
from seedwise.store.transactions import read_transaction, write_transaction

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

    from seedwise.stats.hunting import Growth
    from seedwise.stats.sample import Sample

__all__ = ["Store", "grown_since_shown", "note_showings", "open_store", "open_study"]


def open_store(path: str | os.PathLike[str] | None = None) -> Store:
    """Open a store to read studies back: read-only, the one way to open a store for reading.

    A store opened this way never creates, changes or locks the file, and
    never waits for a writer. It reads an older schema as it is (see
    :attr:`Store.schema_version`), an empty or blank file as a store with no
    studies, and every write method raises :class:`~seedwise.errors.StoreError`.
    To write, open the store with :class:`Store`.

    Args:
        path: The store's file; None for :func:`default_store_path`.

    Returns:
        The open store; close it, or use it as a context manager.

    Raises:
        StoreError: No store at ``path`` (a mistyped path is an error, not a
            new store), a folder, or a file that is not a seedwise store of
            this or an older schema.

    Example:
        >>> with seedwise.open_store(".seedwise/seedwise.db") as store:  # doctest: +SKIP
        ...     short, long = store.study("demo-100e"), store.study("demo-1000e")
    """
    resolved = default_store_path() if path is None else path
    return Store._reading(resolved)


def note_showings(
    store: Store,
    pairs: Sequence[tuple[str, str]],
    metric: str,
    counts: Mapping[str, int],
    *,
    now: float | None = None,
) -> dict[tuple[str, str], Showing]:
    """The first showing of each pair about to be shown, recording the pairs never shown before.

    ``compare`` and ``report`` call it before they show a comparison, so
    that a study that grew after its comparison was first shown can be
    marked. A reader's store stays read-only: the new showings go through a
    writer of their own, and only when this user may write the store and it
    is at this seedwise's schema version (recording a showing never
    migrates a store, and a store someone cannot write is left as it is).

    Args:
        store: The store the studies were read from (read-only or not).
        pairs: The pairs of study names shown.
        metric: The metric they are compared on.
        counts: The finished runs of each study now.
        now: The time to record (default: now).

    Returns:
        Per pair (sorted by name), its first showing: an earlier one when
        there is one, else now's (whether or not it could be recorded).
    """
    keys = list(dict.fromkeys((min(a, b), max(a, b)) for a, b in pairs))
    found = store.showings(keys, metric)
    moment = time.time() if now is None else now
    new = [
        Showing((a, b), metric, {a: counts[a], b: counts[b]}, moment)
        for a, b in keys
        if (a, b) not in found
    ]
    if new and store.schema_version == SCHEMA_VERSION:
        try:
            with Store(store.path, create=False) as writer:
                writer.record_showings(new)
        except StoreError:
            pass  # a store this user may not write keeps no record of what was shown
    return {**{item.studies: item for item in new}, **found}


def grown_since_shown(
    store: Store,
    samples: Sequence[Sample] | Mapping[str, int],
    pairs: Sequence[tuple[str, str]],
    metric: str,
) -> list[Growth]:
    """The studies of ``pairs`` with more finished runs than when their comparison was first shown.

    Records the pairs never shown before (:func:`note_showings`): ``compare``
    and ``report`` call it as they show a comparison.

    Args:
        store: The store the samples were read from.
        samples: Each study's sample of ``metric`` (its finished runs), or
            each study's name and the runs the comparison rests on
            (``compare --examples``: the finished runs that recorded the set).
        pairs: The pairs of study names about to be shown.
        metric: The metric compared (or what stands for it, e.g. the set
            of per-example results).
    """
    from seedwise.stats.hunting import grown  # only where a comparison is shown

    counts = (
        dict(samples)
        if isinstance(samples, Mapping)
        else {sample.name: int(sample.values.size) for sample in samples}
    )
    found = []
    for (a, b), showing in note_showings(store, pairs, metric, counts).items():
        for study, other in ((a, b), (b, a)):
            before = showing.counts.get(study)
            growth = grown(study, other, metric, before, counts[study], showing.shown)
            if growth is not None:
                found.append(growth)
    return found


def open_study(path: str | os.PathLike[str] | None, name: str) -> Study:
    """Open the store at ``path`` read-only for one study; closing the study closes it.

    Equivalent to ``open_store(path).study(name)``, with the store owned by the study.

    Args:
        path: The store's file; None for :func:`default_store_path`.
        name: The study's name, a prefix of one name, or ``@last`` (see
            :meth:`Store.resolve_name`).

    Returns:
        The study.

    Raises:
        StoreError: No store at ``path``, or no such study in it.

    Example:
        >>> with seedwise.open_study(".seedwise/seedwise.db", "demo-100e") as study:
        ...     study.summary("mse")  # doctest: +SKIP
    """
    store = open_store(path)
    try:
        resolved = store.resolve_name(name)
    except BaseException:
        store.close()
        raise
    return Study(store, resolved, owns_store=True)


class Store(Closing):
    """A seedwise store opened to write: one SQLite file, its schema checked, migrated on write.

    ``Store(path)`` is the one way to open a store for writing (the runner
    does); :func:`open_store` is the one way to open it for reading, and
    returns a read-only ``Store`` whose write methods raise.

    Opening never modifies a file that is not a seedwise store: the file is
    first read through a read-only connection, and refused when it is not
    SQLite, belongs to another application (``PRAGMA application_id``), or
    was written by a newer schema version (``PRAGMA user_version``).

    A missing, empty or blank file is created as a new store. An existing
    store is opened without writing: it is switched to WAL mode and migrated
    to :data:`~seedwise.store.SCHEMA_VERSION` by its first write, in the same
    ``BEGIN IMMEDIATE`` transaction as that write.

    Example:
        >>> with Store(tmp / "seedwise.db") as store:  # doctest: +SKIP
        ...     store.ensure_study("s", experiment="x.py:f", config={}, seed=0,
        ...                        settings={}, code_hash="...")
    """

    def __init__(self, path: str | os.PathLike[str], *, create: bool = True) -> None:
        """Open the store at ``path`` to write it.

        Args:
            path: The store's file.
            create: Create the file (and missing parent folders) when it does
                not exist; with False, a missing file is an error.

        Raises:
            StoreError: A missing store (without ``create``), a folder, a file
                that is not a seedwise store, a newer schema, or a file or
                folder this user may not write.
        """
        self._file = open_for_writing(Path(path).expanduser(), create=create)

    @classmethod
    def _reading(cls, path: str | os.PathLike[str]) -> Store:
        """The store at ``path`` opened read-only: what :func:`open_store` returns."""
        store = cls.__new__(cls)
        store._file = open_for_reading(Path(path).expanduser())
        return store

    @property
    def path(self) -> Path:
        """The store's file."""
        return self._file.path

    @property
    def read_only(self) -> bool:
        """Whether the store was opened with :func:`open_store`: every write raises StoreError."""
        return self._file.read_only

    @property
    def schema_version(self) -> int:
        """The schema version of the file, read now.

        0 for an empty or blank file; below :data:`~seedwise.store.SCHEMA_VERSION`
        for an older store read without migrating it (read-only, or before the
        first write): columns added since read back as None.

        Raises:
            StoreError: Another process wrote a newer schema since the store was opened.
        """
        with self._file.lock:
            return read_version(self._file.connection, self.path)

    def __repr__(self) -> str:
        opener = "open_store" if self.read_only else "Store"
        return f"{opener}({str(self.path)!r})"

    def close(self) -> None:
        """Close the connection; the store stays on disk."""
        self._file.close()

    def backup(self, destination: str | os.PathLike[str]) -> StoreCopy:
        """Copy the store to ``destination`` as one consistent snapshot, while runners write.

        The one correct way to copy a store that may be in use: a plain copy
        of the file misses the runs its write-ahead log holds. Works on a
        store opened either way; never waits for a writer, never blocks one.
        See :func:`~seedwise.store.backup.backup_store`.

        Args:
            destination: The copy's path, where no file may exist yet.

        Returns:
            The copy's path and its counts of studies and runs.

        Raises:
            StoreError: A file at ``destination``, a folder that is missing
                or may not be written, or a copy that SQLite could not
                write or check; nothing is left at ``destination`` then.

        Example:
            >>> with seedwise.open_store(".seedwise/seedwise.db") as store:  # doctest: +SKIP
            ...     store.backup("backups/2026-01-31.db")
            StoreCopy(path=PosixPath('backups/2026-01-31.db'), studies=3, runs=98)
        """
        return backup_store(self._file, Path(destination).expanduser())

    def _write(self) -> AbstractContextManager[sqlite3.Connection]:
        return write_transaction(self._file)

    def _read(self) -> AbstractContextManager[sqlite3.Connection]:
        return read_transaction(self._file)

    # Studies ----------------------------------------------------------------

    def ensure_study(
        self,
        name: str,
        *,
        experiment: str,
        config: Mapping[str, Any],
        seed: int,
        settings: Mapping[str, Any],
        code_hash: str,
        code_files: Mapping[str, str] | None = None,
        task: str | None = None,
    ) -> StudyRecord:
        """Create the study ``name``, or return it unchanged if it exists.

        The caller compares the returned record with what it meant to run
        (``code_hash`` first) and decides what to do.

        Args:
            name: The study's name, a non-empty str that does not start with
                ``@`` (which marks a selector such as ``@last``).
            experiment: The experiment reference.
            config: The config, JSON-encodable.
            seed: The study's root seed.
            settings: The numerics-changing settings, JSON-encodable.
            code_hash: The hash of the experiment's code.
            code_files: The digest of each file of that code, by path.
            task: The task the study is run on (``--task``), or None.

        Returns:
            The stored study: the new one, or the existing one as it was.

        Raises:
            StoreError: A bad name, or a config or settings that JSON cannot hold.
            UsageError: A name that starts with ``@``.
            InvalidSeedError: A bad seed.
        """
        _check_text(name, "study")
        check_new_name(name)
        checked_seed = check_seed(seed)
        wanted = StudyRecord(
            name=name,
            experiment=experiment,
            config=dict(config),
            seed=checked_seed,
            settings=dict(settings),
            code_hash=code_hash,
            created=time.time(),
            code_files=None if code_files is None else dict(code_files),
            task=task,
        )
        with self._write() as connection:
            _studies.write_study(connection, wanted)
        return self.study_record(name)

    def import_studies(
        self, studies: Sequence[tuple[StudyRecord, Sequence[RunRecord]]]
    ) -> list[_imports.ImportCounts]:
        """Write imported studies and their runs, all in one transaction (all or nothing).

        Each study's ``imported`` says where its runs came from. A study of
        the same name imported from the same kind of source is updated: a
        run of a seed it holds replaces that run (in its repeat), a run of a
        new seed takes the next repeat (each run's own ``repeat`` is ignored).

        Raises:
            ImportedStudyError: A study of that name was run by seedwise, or
                imported from another kind of source (nothing is written).
            StoreError: A bad name, or values JSON cannot hold.
        """
        for record, _ in studies:
            _check_text(record.name, "study")
            check_new_name(record.name)
            if record.imported is None:
                raise StoreError(
                    f"An imported study says where it came from. Received: study "
                    f"{record.name!r} with imported=None; expected e.g. {{'source': 'csv'}}"
                )
        with self._write() as connection:
            return [_imports.write_imported(connection, record, runs) for record, runs in studies]

    def study_record(self, name: str) -> StudyRecord:
        """The definition of the study called exactly ``name``: experiment, config, seed, code.

        For the study itself (its runs, metrics and summaries), use :meth:`study`.

        Raises:
            StoreError: No such study; the message lists the closest known names.
        """
        with self._read() as connection:
            return _studies.read_study(connection, self.path, name)

    def study(self, name: str) -> Study:
        """The study called ``name``, reading through this store (which stays open).

        The one way to get a :class:`~seedwise.store.study.Study`. Closing
        the study does not close the store; closing the store ends the
        study's reads.

        Args:
            name: The study's name, a prefix that only one study's name
                starts with, or ``@last`` (see :meth:`resolve_name`).

        Returns:
            The study, bound to this store.

        Raises:
            StoreError: No such study, or a prefix several names start with;
                the message lists the candidates.
        """
        return Study(self, self.resolve_name(name))

    def resolve_name(self, text: str) -> str:
        """The full name of the study ``text`` means, so that names need not be copied.

        ``text`` is a study's exact name; else ``@last``, the study that most
        recently began or stored a run; else a prefix of exactly one name
        (``sequence.train`` for ``sequence.train-1a2b3c4d``).

        Raises:
            StoreError: No study matches, or several do.
        """
        with self._read() as connection:
            return resolve_name(connection, self.path, text)

    def list_studies(self) -> list[StudySummary]:
        """Every study, by name, with its number of runs per status and of open claims.

        A study row that does not decode is skipped with a
        :class:`~seedwise.errors.StoreRowWarning`, and so are runs that name
        no stored study; reading the study itself raises the error.
        """
        with self._read() as connection:
            return _studies.list_studies(connection)

    def sweep(self, name: str) -> SweepGrid:
        """The sweep ``name``: its grid's keys and values, and its cells in the grid's order.

        Read from the cells (studies named ``SWEEP/KEY=V,...``) and their
        configs; see :mod:`seedwise.store.sweeps`.

        Example:
            >>> grid = store.sweep("lr-opt")  # doctest: +SKIP
            >>> [(cell.study, cell.values) for cell in grid.cells]  # doctest: +SKIP
            [('lr-opt/lr=0.1,opt=adam', {'lr': 0.1, 'opt': 'adam'}), ...]

        Raises:
            StoreError: No study is a cell of ``name``; the message lists
                the closest sweeps.
        """
        with self._read() as connection:
            return _sweeps.read_sweep(connection, self.path, name)

    def sweeps(self) -> list[str]:
        """The name of every sweep in the store, sorted."""
        with self._read() as connection:
            return _sweeps.list_sweeps(connection)

    def set_code_hash(
        self, study: str, code_hash: str, code_files: Mapping[str, str] | None = None
    ) -> None:
        """Record a new code hash for ``study`` (``--allow-code-change``), with its files.

        Raises:
            StoreError: No such study.
        """
        _check_text(code_hash, "code_hash")
        with self._write() as connection:
            _studies.write_code_hash(connection, self.path, study, code_hash, code_files)

    # Claims (the protocol: seedwise.store.claims) ---------------------------

    def claim(
        self,
        study: str,
        repeats: Sequence[int],
        owner: str,
        *,
        retry_failed: bool,
        limit: int | None = None,
        retry_before: float | None = None,
    ) -> list[int]:
        """Atomically claim repeats of ``study`` for the runner ``owner``; returns the repeats.

        Equivalent to :meth:`claim_with_tokens`, without the fencing tokens:
        for a caller that records its runs without them.
        """
        claims = self.claim_with_tokens(
            study, repeats, owner, retry_failed=retry_failed, limit=limit, retry_before=retry_before
        )
        return [claim.repeat for claim in claims]

    def claim_with_tokens(
        self,
        study: str,
        repeats: Sequence[int],
        owner: str,
        *,
        retry_failed: bool,
        limit: int | None = None,
        retry_before: float | None = None,
    ) -> list[_claims.Claim]:
        """Atomically claim repeats of ``study`` for ``owner``, each with its fencing token.

        A repeat is claimed when it has no ``ok`` run, has no ``failed``,
        ``crashed`` or ``timeout`` run unless ``retry_failed``, and has no
        claim of a live owner (a claim whose owner is known to be gone, or
        whose lease expired, see :mod:`seedwise.store.claims`, is taken over;
        the owner's own claims are returned again, with new tokens).
        :meth:`record_run` with the claim stores the repeat's run and deletes
        its claim; :meth:`release` drops an owner's remaining ones.

        Args:
            study: The study's name.
            repeats: The candidate repeats, in the order to claim them.
            owner: The runner's id (see ``make_owner``).
            retry_failed: Claim repeats whose stored run did not finish.
            limit: Claim at most this many; None for all that qualify.
            retry_before: With ``retry_failed``, retry only runs that
                finished before this Unix time, such as the runner's start,
                so that each runner retries a repeat at most once even when
                another runner is retrying too.

        Returns:
            The claims, in the order of the repeats given.

        Raises:
            StoreError: No such study, a bad owner, repeat or limit.
            UsageError: A bad ``$SEEDWISE_CLAIM_LEASE_S``.
        """
        _check_text(owner, "owner")
        candidates = list(dict.fromkeys(_check_repeat(repeat) for repeat in repeats))
        if limit is not None and (
            isinstance(limit, bool) or not isinstance(limit, int) or limit < 0
        ):
            raise StoreError(
                f"`limit` must be a non-negative int or None. Received: limit={limit!r}"
            )
        with self._write() as connection:
            require_study(connection, self.path, study)
            return _claims.claim_repeats(
                connection,
                study,
                candidates,
                owner,
                retry_failed=retry_failed,
                limit=limit,
                retry_before=retry_before,
            )

    def release(self, study: str, owner: str) -> int:
        """Drop every claim ``owner`` holds on ``study``; returns how many."""
        with self._write() as connection:
            return _claims.release_claims(connection, study, owner)

    def renew(self, study: str, owner: str) -> int:
        """Renew the lease of every claim ``owner`` holds on ``study``; returns how many."""
        with self._write() as connection:
            return _claims.renew_claims(connection, study, owner)

    def claim_details(self, study: str | None = None) -> list[dict[str, Any]]:
        """Every open claim (of one study, or of all): who holds it, since when, and its state.

        Returns:
            Dicts with ``study``, ``repeat``, ``owner``, ``age`` (seconds since
            the claim was made or renewed) and ``state`` (see
            :func:`~seedwise.store.claims.claim_state`).
        """
        with self._read() as connection:
            if study is not None:
                require_study(connection, self.path, study)
            return _claims.open_claims(connection, study)

    def release_stale(self, study: str | None = None) -> int:
        """Drop the claims whose runner is gone or whose lease expired; returns how many."""
        stale = [c for c in self.claim_details(study) if c["state"] in ("dead", "expired")]
        with self._write() as connection:
            _claims.delete_claims(connection, stale)
        return len(stale)

    def claims(self, study: str) -> dict[int, str]:
        """The open claims of ``study``: repeat -> owner."""
        with self._read() as connection:
            return _claims.holders(connection, study)

    # Runs (seedwise.store.runs; their rows: seedwise.store.rows) -----------

    def record_run(self, run: RunRecord, *, claim: _claims.Claim | None = None) -> bool:
        """Store one run, with its steps, fingerprints and unseeded uses, in one transaction.

        Replaces any earlier run of the same repeat (with its steps and
        fingerprints), adds the run's environment if it is new, and deletes
        the repeat's claim.

        A runner records under the claim the run was made under: the run is
        then stored only if that claim is still held, with its token, and
        the repeat has no finished run (:func:`~seedwise.store.claims.still_holds`,
        checked in the same transaction); otherwise nothing is written. A
        finished run is thus never replaced by a runner; only a write
        without a claim, made on purpose, replaces it.

        Args:
            run: The run. When its ``environment`` is given, its ``env_hash``
                is replaced by :func:`environment_hash` of it; otherwise
                ``env_hash`` must name a stored environment, or be None.
            claim: The claim the run was made under (from
                :meth:`claim_with_tokens`), or None for a write that needs none.

        Returns:
            True when the run was stored; False when its claim was no longer held.

        Raises:
            StoreError: No such study, a bad status or repeat, a claim of
                another repeat, an unknown ``env_hash``, or values JSON cannot hold.
        """
        _check_repeat(run.repeat)
        if claim is not None and (claim.study, claim.repeat) != (run.study, run.repeat):
            raise StoreError(
                f"A run is recorded under the claim of its own repeat. Received: claim of "
                f"study {claim.study!r} repeat {claim.repeat} for a run of study "
                f"{run.study!r} repeat {run.repeat}; expected the claim of that run's repeat"
            )
        with self._write() as connection:
            require_study(connection, self.path, run.study)
            if claim is not None and not _claims.still_holds(connection, claim):
                return False
            _runs.write_run(connection, run)
        return True

    def runs(self, study: str) -> list[RunRecord]:
        """Every stored run of ``study``, by repeat, without steps, fingerprints or environment.

        Raises:
            StoreError: No such study, or a run whose columns do not decode.
        """
        with self._read() as connection:
            require_study(connection, self.path, study)
            return _runs.read_runs(connection, study)

    def run(self, study: str, repeat: int) -> RunRecord | None:
        """Everything stored about one run: steps, fingerprints and environment included.

        Returns:
            The run, or None when the repeat has no stored run.

        Raises:
            StoreError: No such study, or columns that do not decode.
        """
        with self._read() as connection:
            require_study(connection, self.path, study)
            return _runs.read_run(connection, self.path, study, _check_repeat(repeat))

    def steps(self, study: str, repeat: int) -> list[StepRecord]:
        """The per-step metrics of one run, in the order logged (NaN comes back as NaN)."""
        with self._read() as connection:
            return _runs.read_steps(connection, study, repeat)

    def step_columns(
        self, study: str, names: list[str]
    ) -> dict[tuple[int, str], tuple[NDArray[np.float64], NDArray[np.float64]]]:
        """The logged steps and values of metrics ``names`` in every run of ``study``, read once.

        Returns:
            ``(repeat, name) -> (steps, values)``, in the order logged.

        Raises:
            StoreError: No such study, or rows that do not decode.
        """
        with self._read() as connection:
            require_study(connection, self.path, study)
            return _runs.read_step_columns(connection, study, names)

    def logged_names(self, study: str) -> list[str]:
        """The metrics the runs of ``study`` logged step by step (``ctx.log``), by first use."""
        with self._read() as connection:
            require_study(connection, self.path, study)
            return _runs.read_logged_names(connection, study)

    def predictions(self, study: str, name: str) -> dict[int, PredictionRecord]:
        """The per-example results of set ``name`` in every run of ``study`` that recorded it.

        Returns:
            ``repeat -> PredictionRecord`` (``ctx.record_predictions``).

        Raises:
            StoreError: No such study, or rows that do not decode.
        """
        with self._read() as connection:
            require_study(connection, self.path, study)
            found = _stored_predictions.read_predictions(connection, study, name)
        return {repeat: sets[0] for repeat, sets in found.items()}

    def prediction_names(self, study: str) -> list[str]:
        """The names of the sets of per-example results the runs of ``study`` recorded."""
        with self._read() as connection:
            require_study(connection, self.path, study)
            return _stored_predictions.read_prediction_names(connection, study)

    def showings(
        self, pairs: Sequence[tuple[str, str]], metric: str
    ) -> dict[tuple[str, str], Showing]:
        """When each pair of studies was first compared on ``metric``, for the pairs ever shown.

        Keyed by the pair sorted by name. See :func:`note_showings`.

        Raises:
            StoreError: Rows that do not decode.
        """
        with self._read() as connection:
            return _shown.read_showings(connection, pairs, metric)

    def record_showings(self, showings: Sequence[Showing]) -> None:
        """Record each showing whose pair was not shown on its metric before; the first stays.

        Raises:
            StoreError: A read-only store, or a write SQLite refused.
        """
        with self._write() as connection:
            _shown.write_showings(connection, showings)

    def fingerprints(self, study: str, repeat: int) -> list[FingerprintRecord]:
        """The tensor digests of one run, in the order recorded.

        Raises:
            StoreError: A shape that does not decode.
        """
        with self._read() as connection:
            return _runs.read_fingerprints(connection, study, repeat)

    def environment(self, env_hash: str, *, run: str | None = None) -> dict[str, Any]:
        """The environment stored under ``env_hash``.

        Args:
            env_hash: The environment's hash.
            run: The run it comes from, for the message when it is missing
                (``"study 'a' repeat 0"``).

        Raises:
            StoreError: No such environment, or one that does not decode.
        """
        with self._read() as connection:
            return _runs.read_environment(connection, self.path, env_hash, run=run)


def _check_repeat(repeat: object) -> int:
    if isinstance(repeat, bool) or not isinstance(repeat, int) or repeat < 0:
        raise StoreError(
            f"A repeat must be a non-negative int. Received: repeat={repeat!r} "
            f"(of type {type(repeat).__name__}); expected 0, 1, 2, ..."
        )
    return repeat


def _check_text(value: object, name: str) -> None:
    if not isinstance(value, str) or not value:
        raise StoreError(
            f"`{name}` must be a non-empty str. Received: {name}={value!r} "
            f"(of type {type(value).__name__})"
        )
