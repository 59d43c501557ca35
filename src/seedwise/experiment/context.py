"""The context an experiment function receives: its seed, streams, config and recorders."""

from __future__ import annotations

import contextlib
import numbers
import os
import signal
import sys
from collections.abc import Iterator
from contextvars import ContextVar
from pathlib import Path
from typing import TYPE_CHECKING, Any

from seedwise.errors import UsageError
from seedwise.experiment.checkpoint import (
    CHECKPOINT_FOLDER,
    STOPPED_AT_CHECKPOINT,
    CheckpointFolder,
    OwnGenerators,
)
from seedwise.experiment.fingerprint import fingerprint_leaves
from seedwise.experiment.predictions import DEFAULT_PREDICTIONS, prediction_record
from seedwise.records import FingerprintRecord, PredictionRecord, StepRecord
from seedwise.seeding.streams import RUN_SEED_BITS, check_seed, derive_seed
from seedwise.seeding.streams import rng as stream_rng

if TYPE_CHECKING:
    import numpy as np

    from seedwise.seeding.pins import StreamPins

__all__ = ["RunContext", "context_or_current", "current_context", "record", "running"]


class RunContext:
    """What one run of an experiment sees: its seed, repeat index, config and workdir.

    The runner builds one per run, in the worker process, and passes it to the
    experiment function. Everything here is derived from ``seed``, so a run's
    streams do not depend on the worker, the order or the number of workers.

    Attributes:
        seed: This run's seed, ``repeat_seed(study_seed, repeat)``: a 32-bit
            int that every seeding call takes as it is (``random.seed``,
            ``np.random.seed``, ``RandomState``, ``random_state=``,
            ``torch.manual_seed``, ``tf.random.set_seed``,
            ``keras.utils.set_random_seed``, Lightning's ``seed_everything``,
            ``jax.random.key``).
        repeat: This run's index in the study, ``>= 0``.
        study: The study's name (to name a run's own logs or tracker runs,
            e.g. ``f"{ctx.study}/{ctx.repeat}"``); None for a context made
            by hand.
        config: The study's configuration (a fresh dict per run).
        purpose: Why the run runs: ``"study"`` (a run of a study: ``seedwise
            run``, ``sweep``, ``seedwise.run``), ``"check"`` (``seedwise
            check``'s runs, stored nowhere) or ``"rerun"`` (``seedwise
            rerun``, or ``--only-repeat``, of a repeat already stored:
            compared, not stored). Code that logs to a tracker of its own
            should log only when it is ``"study"``.
        workdir: A folder for this run's artefacts, its own in every run.
        steps: The per-step metrics logged so far, in order.
        fingerprints: The tensor digests recorded so far, one per leaf tensor.

    Example:
        >>> ctx = RunContext(seed=7, repeat=0, config={"epochs": 2}, workdir=Path("."))
        >>> ctx.log(0, loss=0.5)
        >>> ctx.steps[0].value
        0.5
    """

    def __init__(
        self,
        seed: int,
        repeat: int,
        config: dict[str, Any],
        workdir: Path,
        *,
        pins: StreamPins | None = None,
        study: str | None = None,
        checkpoints: CheckpointFolder | None = None,
        own_generators: OwnGenerators | None = None,
        purpose: str = "study",
    ) -> None:
        """Create a context.

        Args:
            seed: The run's seed, an int in ``[0, 2**63 - 1]``.
            repeat: The run's index, a non-negative int.
            config: The configuration dict; copied, so a run cannot change the study's.
            workdir: The run's artefact folder (not created here).
            pins: Streams held at a fixed key (``seedwise attribute``): a pinned
                stream, and ``ctx.seed`` when the rest is pinned, derive from
                ``pins.key`` instead of ``seed``; None for none.
            study: The study's name, or None outside a study.
            checkpoints: Where :meth:`checkpoint` writes and :meth:`restore`
                reads; None for ``workdir/checkpoints``, the last 2 kept.
            own_generators: The generators the code makes itself, watched
                by ``seedwise check --resume-at``; None when not watched.
            purpose: Why the run runs: ``"study"``, ``"check"`` or ``"rerun"``.

        Raises:
            InvalidSeedError: A bad seed.
            UsageError: A bad repeat, config or workdir.
        """
        checked = check_seed(seed)
        self.pins: StreamPins | None = pins
        self._run_seed = checked
        self.seed: int = checked if pins is None else pins.run_seed(checked)
        self.repeat: int = _check_step(repeat, name="repeat")
        self.study: str | None = study
        self.purpose: str = purpose
        if not isinstance(config, dict):
            raise UsageError(
                f"`config` must be a dict. Received: config={config!r} "
                f"(of type {type(config).__name__}); expected a dict such as {{'epochs': 100}}"
            )
        self.config: dict[str, Any] = dict(config)
        self.workdir: Path = Path(workdir)
        self.steps: list[StepRecord] = []
        self.fingerprints: list[FingerprintRecord] = []
        self.recorded: dict[str, float] = {}
        #: The per-example results recorded so far, by the name of their set.
        self.predictions: dict[str, PredictionRecord] = {}
        #: A second ``record`` of one metric, kept so that the run fails even
        #: when the code that recorded catches the error and carries on.
        self.recorded_twice: UsageError | None = None
        #: A result refused where the code that handed it over never sees the
        #: error (Hydra turns a callback's exceptions into warnings): the run fails.
        self.refused_result: UsageError | None = None
        self.checkpoints: CheckpointFolder = checkpoints or CheckpointFolder(
            self.workdir / CHECKPOINT_FOLDER
        )
        #: The step of the checkpoint this run resumed from, or None.
        self.resumed_from: int | None = None
        #: The sizes (n_train, n_test) of each split drawn by :meth:`split`.
        self.splits: list[tuple[int, int]] = []
        self._own_generators = own_generators
        # Each named stream's generators in the order handed out, and the
        # states a restore holds for those not handed out yet.
        self._streams: dict[str, list[np.random.Generator]] = {}
        self._pending: dict[str, list[dict[str, Any]]] = {}

    def __repr__(self) -> str:
        return (
            f"RunContext(seed={self.seed}, repeat={self.repeat}, study={self.study!r}, "
            f"config={self.config!r}, workdir={str(self.workdir)!r})"
        )

    def rng(self, name: str) -> np.random.Generator:
        """A NumPy generator for the stream ``name`` below this run's seed.

        Equivalent to ``seedwise.rng(ctx.seed, name)``: the same name gives the
        same stream every time, and different names give independent streams.
        A stream pinned by ``seedwise attribute`` derives from the fixed key
        instead, the same in every repeat.
        """
        checked = _check_name(name)
        generator = stream_rng(self._stream_root(checked), checked)
        handed = self._streams.setdefault(checked, [])
        pending = self._pending.get(checked, [])
        if len(handed) < len(pending):
            generator.bit_generator.state = pending[len(handed)]
        handed.append(generator)
        return generator

    def split(self, n: int, *, test: float = 0.2) -> tuple[np.ndarray, np.ndarray]:
        """A train/test split of ``n`` examples drawn from the stream ``"split"``.

        The split is a choice as random as the seed (Bouthillier et al. 2021):
        drawn here, it varies with the repeat like any stream, and ``seedwise
        attribute --sources init,split`` reports its share of the variance. It
        is ``ctx.rng("split").permutation(n)`` cut after the training part,
        so code that draws its own split from ``ctx.rng("split")`` is counted
        the same way; each call draws a new split from the stream. The run
        records the split's sizes (``RunRecord.splits``): runs that each drew
        one split of the same sizes share training data, and ``compare
        --rope`` answers them with the correlated t-test, ``rho = n_test / n``.

        Args:
            n: The number of examples, at least 2.
            test: The test set's share of them, in (0, 1); at least one
                example goes to each side.

        Returns:
            The training indices and the test indices, each sorted.

        Raises:
            UsageError: A bad ``n`` or ``test``.
        """
        import numpy as np

        if isinstance(n, bool) or not isinstance(n, int) or n < 2:
            raise UsageError(
                f"A split needs 2 or more examples. Received: n={n!r}; expected e.g. 1000"
            )
        if isinstance(test, bool) or not isinstance(test, (int, float)) or not 0.0 < test < 1.0:
            raise UsageError(
                f"test is the test set's share, in (0, 1). Received: test={test!r}; "
                "expected e.g. 0.2"
            )
        order = self.rng("split").permutation(n)
        cut = n - min(n - 1, max(1, round(n * float(test))))
        self.splits.append((cut, n - cut))
        return np.sort(order[:cut]), np.sort(order[cut:])

    def checkpoint(self, state: Any, *, step: int) -> None:
        """Save ``state`` with every random state seedwise knows, as the checkpoint of ``step``.

        Saved with it: Python's ``random`` and NumPy's global state, each
        generator :meth:`rng` handed out, at its position, torch's CPU and
        CUDA generators, TensorFlow's and Keras' global generators
        (:mod:`seedwise.seeding.carried`), and the steps, fingerprints and
        metrics recorded so far. Written atomically into the run's folder;
        the last ``--keep-checkpoints`` are kept. Call it where the loop
        can start again (the end of an epoch), after the step's updates.

        Args:
            state: Anything picklable: ``model.state_dict()``,
                ``optimizer.state_dict()``, ``model.get_weights()``, the epoch.
            step: The step this checkpoint ends, a non-negative int: a
                resumed run goes on after it.

        Raises:
            UsageError: A bad step, or a state that cannot be pickled.

        Example:
            >>> for epoch in range(start, epochs):       # doctest: +SKIP
            ...     train_one_epoch(model)
            ...     ctx.checkpoint({"model": model.state_dict(), "epoch": epoch}, step=epoch)
        """
        checked = _check_step(step, name="step")
        self.checkpoints.write(self.checkpoint_payload(state, step=checked), checked)
        self.checkpoint_written(checked)

    def checkpoint_payload(self, state: Any, *, step: int) -> dict[str, Any]:
        """What :meth:`checkpoint` writes, for a framework's own checkpoint to carry.

        The user's ``state`` with every random state, each stream's position
        and what the run recorded so far, as plain picklable values. An
        integration (Lightning, the Hugging Face ``Trainer``) stores it in
        the framework's checkpoint and hands it back to :meth:`resume_from`;
        it then calls :meth:`checkpoint_written` once the file is written.

        Raises:
            UsageError: A bad step.
        """
        from seedwise.seeding.carried import random_states

        checked = _check_step(step, name="step")
        if self._own_generators is not None:
            for name, value in self._own_generators.states().items():
                self.fingerprint(name, value, step=checked)
        return {
            "step": checked,
            "state": state,
            "random": random_states(),
            "streams": {
                name: [g.bit_generator.state for g in generators]
                for name, generators in self._streams.items()
            },
            "steps": list(self.steps),
            "fingerprints": list(self.fingerprints),
            "recorded": dict(self.recorded),
            "predictions": dict(self.predictions),
        }

    def checkpoint_written(self, step: int) -> None:
        """Say that the checkpoint of ``step`` is on disk: ``check --resume-at`` ends the run here.

        :meth:`checkpoint` calls it itself; an integration whose framework
        writes the file calls it once the file is whole.
        """
        if self.checkpoints.stop_at == step:
            _end_as_killed()

    def restore(self) -> Any:
        """The state of this run's newest checkpoint, its random states put back; None if none.

        Call it once the model and the generators exist and before the
        loop: it sets every random state (and the generators :meth:`rng`
        handed out, or will hand out) as they were when the checkpoint was
        written, and brings back the steps and fingerprints recorded until
        then. The run's record says it resumed, and from which step
        (``RunRecord.resumed_from``).

        Example:
            >>> state = ctx.restore()                   # doctest: +SKIP
            >>> start = 0 if state is None else state["epoch"] + 1
        """
        payload = self.checkpoints.latest()
        if payload is None:
            return None
        return self.resume_from(payload)

    def resume_from(self, payload: dict[str, Any]) -> Any:
        """Resume from what :meth:`checkpoint_payload` made; return the user's state.

        Puts every random state back, moves the streams to their saved
        place, brings back the steps, fingerprints and metrics recorded
        until then and marks the run as resumed from the payload's step.
        """
        from seedwise.seeding.carried import restore_random_states

        restore_random_states(payload["random"])
        self._pending = {name: list(states) for name, states in payload["streams"].items()}
        for name, generators in self._streams.items():
            for generator, saved in zip(generators, self._pending.get(name, []), strict=False):
                generator.bit_generator.state = saved
        self.steps[:] = payload["steps"]
        self.fingerprints[:] = payload["fingerprints"]
        self.recorded = dict(payload["recorded"])
        self.predictions = dict(payload.get("predictions", {}))
        self.resumed_from = int(payload["step"])
        return payload["state"]

    def seed_for(self, name: str, *, rank: int | None = None, bits: int = RUN_SEED_BITS) -> int:
        """A seed for the stream ``name`` below this run's seed (and, with ``rank``, that rank's).

        Equivalent to ``seedwise.derive_seed(ctx.seed, name, bits=bits)``. The
        default 32 bits fit every seeding API, as ``ctx.seed`` does; ask for
        up to 63 bits where an API takes them and collisions matter. In a
        multi-process experiment every rank seeds its model with the run's
        seed and its data with ``seed_for("data", rank=r)``: one stream per
        rank, each different, all fixed by the run's seed
        (:mod:`seedwise.experiment.ranks`).

        Args:
            name: The stream's name, a non-empty str.
            rank: A process's rank, an int from 0; None for the run's stream.
            bits: The seed's width, 1 to 63.

        Returns:
            An int in ``[0, 2**bits - 1]``.

        Raises:
            UsageError: A bad name.
            InvalidSeedError: A bad ``bits``.

        Example:
            >>> ctx = RunContext(seed=7, repeat=0, config={}, workdir=Path("."))
            >>> ctx.seed_for("init") < 2**32
            True
        """
        if rank is None:
            return derive_seed(self._stream_root(name), _check_name(name), bits=bits)
        if not isinstance(rank, int) or isinstance(rank, bool) or rank < 0:
            raise UsageError(f"`rank` must be an int from 0. Received: rank={rank!r}")
        return derive_seed(self._stream_root(name), _check_name(name), "rank", rank, bits=bits)

    def _stream_root(self, name: str) -> int:
        """The seed the stream ``name`` derives from: the fixed key when pinned."""
        if self.pins is None:
            return self.seed
        return self.pins.stream_root(name, self._run_seed)

    def log(self, step: int, **metrics: float) -> None:
        """Record metric values at one step, in the order given.

        Args:
            step: The step, a non-negative int.
            **metrics: Metric names and real values (ints, floats, NumPy
                scalars or 0-d arrays; not bools). NaN and infinities are kept.

        Raises:
            UsageError: A bad step, no metrics, or a value that is not a real number.

        Example:
            >>> ctx = RunContext(seed=1, repeat=0, config={}, workdir=Path("."))
            >>> ctx.log(3, loss=0.25, accuracy=0.5)
            >>> [(s.step, s.name, s.value) for s in ctx.steps]
            [(3, 'loss', 0.25), (3, 'accuracy', 0.5)]
        """
        checked_step = _check_step(step, name="step")
        if not metrics:
            raise UsageError(
                f"`log` needs at least one metric. Received: step={checked_step} and no "
                "metrics; expected e.g. ctx.log(step, loss=0.1)"
            )
        records = [StepRecord(checked_step, k, _metric(k, v)) for k, v in metrics.items()]
        self.steps.extend(records)

    def record(self, **metrics: float) -> dict[str, float]:
        """Record the run's result metrics, as returning them from the experiment would.

        For scripts and functions that print rather than return: the metrics
        recorded are the run's result (a returned mapping adds to them and
        wins on a shared name). A run has one value per metric: recording a
        name a second time fails the run, rather than keep one of the two
        unseen (a loop of trainings inside one run, such as a Hydra
        multirun, would otherwise store only its last).

        Returns:
            The metrics, as floats.

        Raises:
            UsageError: No metrics, a value that is not a real number, or a
                metric this run has recorded already; nothing is recorded.
        """
        if not metrics:
            raise UsageError(
                "`record` needs at least one metric. Received: no metrics; "
                "expected e.g. seedwise.record(mse=0.1)"
            )
        checked = {name: _metric(name, value) for name, value in metrics.items()}
        again = next((name for name in checked if name in self.recorded), None)
        if again is not None:
            self.recorded_twice = UsageError(
                f"Metric `{again}` was recorded twice in one run. Received: "
                f"{again}={checked[again]!r} after {again}={self.recorded[again]!r}; expected "
                "one value per metric and run: record each training's result under its own "
                f"name (e.g. {again}_1=...), log values over time with ctx.log(step, "
                f"{again}=...), or make each training a run of its own"
            )
            raise self.recorded_twice
        self.recorded.update(checked)
        return checked

    def record_predictions(
        self, ids: Any, correct_or_loss: Any, *, name: str = DEFAULT_PREDICTIONS
    ) -> None:
        """Record this run's result on each test example, stored with the run.

        With every run of two studies recording the same examples,
        ``seedwise compare A B --examples`` gives one interval that covers
        both the seeds' variance and the test set's (a two-level bootstrap)
        and, for 0/1 correctness, McNemar's test seed by seed.

        Args:
            ids: Each example's id (ints or strs, distinct): the row index
                of the test set, or a file name. Every run should record the
                same ids; compare uses the ids all runs share.
            correct_or_loss: One value per id, in the same order: bools or
                0/1 (``predictions == y_test``), or a per-example loss.
            name: The set's name, for more than one set (``"validation"``).

        Raises:
            UsageError: Bad ids or values (see
                :func:`seedwise.experiment.predictions.prediction_record`), or a
                set this run has recorded already; nothing is recorded.

        Example:
            >>> ctx = RunContext(seed=1, repeat=0, config={}, workdir=Path("."))
            >>> ctx.record_predictions([0, 1, 2], [True, False, True])
            >>> ctx.predictions["test"].values
            (1.0, 0.0, 1.0)
        """
        found = prediction_record(name, ids, correct_or_loss)
        if found.name in self.predictions:
            self.recorded_twice = UsageError(
                f"Predictions {found.name!r} were recorded twice in one run. Received: a second "
                f"record_predictions(..., name={found.name!r}); expected one set per name and "
                "run: give each set its own name"
            )
            raise self.recorded_twice
        self.predictions[found.name] = found

    def fingerprint(self, name: str, obj: Any, step: int | None = None) -> str:
        """Record digests of an array, or of every array in a nested structure.

        Each leaf is converted to a NumPy array and digested with xxHash
        ``xxh3_128`` over its dtype, shape and C-contiguous bytes, so equal
        digests mean bit-identical values. Dicts, lists and tuples are walked
        in their own order and their leaves named ``name/key/0``. One
        :class:`FingerprintRecord` per leaf is appended to ``ctx.fingerprints``,
        with the sum and the largest absolute value as cheap statistics.

        Args:
            name: The name of the tensor or structure, e.g. ``"weights"``.
            obj: An array, anything ``numpy.asarray`` converts to a non-object
                array, or a dict / list / tuple of them.
            step: The step it was taken at, or None.

        Returns:
            The digest's hex: the leaf's own digest for a single array, else a
            digest of every leaf's name and digest, in order.

        Raises:
            UsageError: A bad name or step, or a leaf that is not an array of
                numbers, bools or strings.
        """
        checked_name = _check_name(name)
        checked_step = None if step is None else _check_step(step, name="step")
        records, digest = fingerprint_leaves(checked_name, obj, checked_step)
        self.fingerprints.extend(records)
        return digest


def _end_as_killed() -> None:
    """End this process as ``kill -9`` would (``check --resume-at``), its own processes too.

    A process that leads its group (a seedwise worker does) takes the group
    with it: a DataLoader's workers would otherwise hold the worker's pipe
    open until they noticed, seconds later, that their parent was gone.
    """
    sys.stdout.flush()
    sys.stderr.flush()
    if os.getpgrp() == os.getpid():
        os.killpg(os.getpgrp(), signal.SIGKILL)
    os._exit(STOPPED_AT_CHECKPOINT)


_CURRENT: ContextVar[RunContext | None] = ContextVar("seedwise_run_context", default=None)


@contextlib.contextmanager
def running(context: RunContext) -> Iterator[RunContext]:
    """Make ``context`` the current run's, for :func:`current_context` and :func:`record`."""
    token = _CURRENT.set(context)
    try:
        yield context
    finally:
        _CURRENT.reset(token)


def current_context() -> RunContext | None:
    """The context of the run this code is part of, or None outside ``seedwise run``.

    A script run by ``seedwise run train.py`` gets its seed, config and
    recorders here: ``ctx = seedwise.current_context()``.
    """
    return _CURRENT.get()


def context_or_current(ctx: RunContext | None, user: str) -> RunContext:
    """``ctx``, or the current run's when None: what a framework's callback is handed.

    Raises:
        UsageError: ``ctx`` is None outside a run (``user`` names the callback).
    """
    found = ctx if ctx is not None else current_context()
    if found is None:
        raise UsageError(
            f"{user} needs the run's context. Received: ctx=None outside a seedwise run; "
            f"expected {user}(ctx) inside an experiment"
        )
    return found


def record(**metrics: float) -> dict[str, float]:
    """Record the current run's result metrics; outside seedwise, do nothing but return them.

    The one line a script adds so that ``seedwise run train.py`` stores its
    metrics; the script still runs as before with plain ``python train.py``.

    Args:
        **metrics: Metric names and real values.

    Returns:
        The metrics as floats.

    Raises:
        UsageError: No metrics, a value that is not a real number, or a
            metric the current run has recorded already.

    Example:
        >>> seedwise.record(mse=0.0123)
        {'mse': 0.0123}
    """
    context = _CURRENT.get()
    if context is None:
        return RunContext(0, 0, {}, Path(".")).record(**metrics)
    return context.record(**metrics)


def real_number(value: object) -> float | None:
    """``value`` as a float if it is a real number, else None.

    Accepts ints, floats, other ``numbers.Real`` (NumPy integer and float
    scalars among them) and 0-d NumPy arrays of an integer or float dtype.
    Rejects bools, NumPy bools, complex numbers, strings and everything else.
    """
    if isinstance(value, bool) or type(value).__name__ == "bool_":
        return None
    if isinstance(value, numbers.Real):
        try:
            return float(value)
        except (OverflowError, TypeError, ValueError):
            return None
    dtype = getattr(value, "dtype", None)
    if (
        type(value).__module__ == "numpy"
        and getattr(value, "ndim", None) == 0
        and getattr(dtype, "kind", "") in ("i", "u", "f")
    ):
        try:
            return float(value)  # type: ignore[arg-type]
        except (OverflowError, TypeError, ValueError):
            return None
    return None


def _metric(name: str, value: object) -> float:
    """A logged or recorded metric's value as a float, or a UsageError naming it."""
    number = real_number(value)
    if number is None:
        raise UsageError(
            f"Metric `{name}` must be a real number. Received: {name}={value!r} "
            f"(of type {type(value).__name__}); expected an int or a float"
        )
    return number


def _check_step(value: object, *, name: str) -> int:
    if not isinstance(value, bool) and isinstance(value, numbers.Integral) and int(value) >= 0:
        return int(value)
    raise UsageError(
        f"`{name}` must be a non-negative int. Received: {name}={value!r} "
        f"(of type {type(value).__name__}); expected 0, 1, 2, ..."
    )


def _check_name(value: object) -> str:
    if isinstance(value, str) and value:
        return value
    raise UsageError(
        f"A stream or fingerprint name must be a non-empty str. Received: name={value!r} "
        f"(of type {type(value).__name__}); expected e.g. 'data' or 'weights'"
    )
