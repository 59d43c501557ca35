"""Watch a run for random sources that no seed controls, and say where user code used them.

:class:`UnseededWatch` finds, for the length of one run in a worker, the places
where entropy enters a program: NumPy generators made without a seed
(``default_rng()``, ``RandomState()``, ``PCG64()``, ``SeedSequence()``, ...),
``random.Random()`` without a seed, ``random.SystemRandom``, ``os.urandom``,
the ``secrets`` functions, seeds taken from the clock (a value read from
``time.time`` / ``time.time_ns`` and passed to a seeding call), and torch
``DataLoader`` built without a ``generator``. A use is recorded when the
caller is user code (not the standard library, an installed package or
seedwise), with the caller's file and line. OS entropy drawn inside an
installed package (gymnasium's ``env.reset(seed=None)``, a sampler asked for
no ``rng``) is recorded as ``OS entropy inside a library``, at the user's
line that called into the package, unless the draw happens while a module is
being imported or the standard library made it (temporary file names,
``uuid``): those do not reach results.

Watching never changes what code sees: no class is replaced, so every
``isinstance`` and ``type(...) is`` test of user code and libraries
(scikit-learn's ``check_random_state``, pandas' ``sample``, Lightning's
re-instantiation of data loaders) answers as it does unwatched, and objects
made during a watch pickle as usual. The watch

- wraps module-level functions (``default_rng``, the seeding calls,
  ``os.urandom``, ``secrets``, the clock) with :func:`functools.wraps`;
- wraps the ``__init__`` of two pure-Python classes in place
  (``random.Random``, torch's ``DataLoader``): the classes stay the same
  objects and their signatures stay visible through ``__wrapped__``;
- sees NumPy's generator classes, which are compiled and cannot be wrapped,
  where they draw OS entropy: ``numpy.random.bit_generator.randbits``, which
  every NumPy generator made without a seed calls (and ``RandomState(seed)``
  too, before it applies the seed). Which call of the user's line drew it,
  and what seed that call passed, is read from the source of the calling
  instruction (:mod:`seedwise.experiment.watch._calls`); a seed given by an
  expression other than a constant, variable or attribute counts as a seed.

Everything is put back when the watch ends.
"""

from __future__ import annotations

import functools
import inspect
import os
import random
import secrets
import sys
import time
from collections.abc import Callable
from types import FrameType, ModuleType
from typing import Any

from seedwise._frames import CodeOwners, display_path
from seedwise.experiment.watch._calls import UNKNOWN, calling_expression
from seedwise.records import UnseededUse

__all__ = ["FIXES", "LIBRARY_ENTROPY", "WATCHED_FRAMEWORKS", "UnseededWatch"]

#: The kind of an :class:`UnseededUse` of OS entropy drawn inside an installed package.
LIBRARY_ENTROPY = "OS entropy inside a library"

#: The modules whose import a watched run reports (``RunRecord.frameworks``): those
#: with a fingerprint helper, and the libraries built on them that change its advice.
WATCHED_FRAMEWORKS = ("keras", "tensorflow", "torch", "jax", "stable_baselines3")

#: One-line fixes, by the kind of an :class:`UnseededUse`.
FIXES: dict[str, str] = {
    "numpy.random.default_rng()": (
        "pass a seed: np.random.default_rng(ctx.seed_for('noise')), or use ctx.rng('noise')"
    ),
    "numpy.random.RandomState()": "pass a seed: np.random.RandomState(ctx.seed_for('name'))",
    "numpy generator without a seed": (
        "pass a seed: np.random.PCG64(ctx.seed_for('name')), or use ctx.rng('name')"
    ),
    "random.Random()": "pass a seed: random.Random(ctx.seed_for('name'))",
    "random.SystemRandom": "use random.Random(ctx.seed_for('name')): SystemRandom cannot be seeded",
    "os.urandom": "draw the bytes from ctx.rng('name').bytes(n) instead of os.urandom",
    "secrets": "use ctx.rng('name') for experiment randomness: secrets cannot be seeded",
    "seed from the clock": "seed from ctx.seed or ctx.seed_for('name'), never from time.time()",
    "torch DataLoader without generator": (
        "pass generator=torch.Generator().manual_seed(ctx.seed_for('data')) to DataLoader"
    ),
}

#: The kinds that draw OS entropy: followed into installed packages (see ``_library_use``).
_ENTROPY_KINDS = frozenset(
    {
        "numpy.random.default_rng()",
        "numpy.random.RandomState()",
        "numpy generator without a seed",
        "random.Random()",
        "random.SystemRandom",
        "os.urandom",
        "secrets",
    }
)

#: The kind of an unseeded NumPy generator, by the name of the function or class called.
_NUMPY_KINDS = {
    "default_rng": "numpy.random.default_rng()",
    "RandomState": "numpy.random.RandomState()",
}

_SECRETS_FUNCTIONS = (
    "token_bytes",
    "token_hex",
    "token_urlsafe",
    "randbelow",
    "randbits",
    "choice",
)


class UnseededWatch:
    """Watch the entropy sources while active; record uses from user code in :attr:`uses`.

    Use as a context manager around a run. Frameworks imported after entry
    (torch) are watched from :meth:`patch_frameworks` on, which the worker
    calls once the frameworks are loaded and before the experiment runs.
    """

    def __init__(self) -> None:
        """Create an inactive watch."""
        self.uses: list[UnseededUse] = []
        self._seen: set[tuple[str, str]] = set()
        self._saved: list[tuple[Any, str, Any]] = []
        self._clock_readings: list[int | float] = []
        self._owners = CodeOwners()

    def __enter__(self) -> UnseededWatch:
        import numpy as np
        import numpy.random.bit_generator as bit_generator

        self._patch(
            np.random,
            "default_rng",
            self._wrap_seeded(np.random.default_rng, "numpy.random.default_rng()"),
        )
        entropy = getattr(bit_generator, "randbits", None)
        if callable(entropy):
            self._patch(bit_generator, "randbits", self._wrap_entropy(entropy))
        self._patch(np.random, "seed", self._wrap_seed_call(np.random.seed))
        self._patch(random.Random, "__init__", self._wrap_random_init(random.Random.__init__))
        self._patch(random, "seed", self._wrap_seed_call(random.seed))
        self._patch(os, "urandom", self._wrap_always(os.urandom, "os.urandom"))
        for name in _SECRETS_FUNCTIONS:
            self._patch(secrets, name, self._wrap_always(getattr(secrets, name), "secrets"))
        self._patch(time, "time", self._wrap_clock(time.time))
        self._patch(time, "time_ns", self._wrap_clock(time.time_ns))
        self.patch_frameworks()
        return self

    def __exit__(self, *exc_info: object) -> None:
        for owner, name, original in reversed(self._saved):
            setattr(owner, name, original)
        self._saved.clear()

    def frameworks(self) -> tuple[str, ...]:
        """Which of :data:`WATCHED_FRAMEWORKS` this process has imported."""
        return tuple(name for name in WATCHED_FRAMEWORKS if name in sys.modules)

    def patch_frameworks(self) -> None:
        """Watch the seeding calls and data loaders of frameworks imported since entry."""
        torch = sys.modules.get("torch")
        if torch is not None and not self._patched(torch, "manual_seed"):
            self._patch(torch, "manual_seed", self._wrap_seed_call(torch.manual_seed))
            data = sys.modules.get("torch.utils.data")
            if data is not None:
                loader = data.DataLoader
                self._patch(loader, "__init__", self._wrap_loader_init(loader.__init__))
        tf = sys.modules.get("tensorflow")
        if tf is not None and not self._patched(tf.random, "set_seed"):
            self._patch(tf.random, "set_seed", self._wrap_seed_call(tf.random.set_seed))
        keras = sys.modules.get("keras")
        if keras is not None and not self._patched(keras.utils, "set_random_seed"):
            self._patch(
                keras.utils, "set_random_seed", self._wrap_seed_call(keras.utils.set_random_seed)
            )

    def _patched(self, owner: ModuleType, name: str) -> bool:
        return any(o is owner and n == name for o, n, _ in self._saved)

    def _patch(self, owner: Any, name: str, replacement: Any) -> None:
        self._saved.append((owner, name, getattr(owner, name)))
        setattr(owner, name, replacement)

    def _caller(self, depth: int) -> FrameType | None:
        """The calling frame ``depth`` levels up, if it is user code."""
        frame: FrameType | None = sys._getframe(depth + 1)
        if frame is None:
            return None
        return frame if self._is_user(frame.f_code.co_filename) else None

    def _is_user(self, filename: str) -> bool:
        return self._where(filename) == "user"

    def _where(self, filename: str) -> str:
        return self._owners.where(filename)

    def _record(self, kind: str, depth: int) -> None:
        frame = self._caller(depth + 1)
        if frame is not None:
            self._record_at(kind, frame)
        elif kind in _ENTROPY_KINDS:
            self._library_use(sys._getframe(depth + 1))

    def _record_at(self, kind: str, frame: FrameType, fix: str | None = None) -> None:
        location = f"{display_path(frame.f_code.co_filename)}:{frame.f_lineno}"
        if (kind, location) not in self._seen:
            self._seen.add((kind, location))
            self.uses.append(UnseededUse(kind, location, FIXES[kind] if fix is None else fix))

    def _library_use(self, frame: FrameType | None) -> None:
        """Record OS entropy drawn inside an installed package, at the user's line that called it.

        ``frame`` is the innermost frame of the draw. Frames are followed
        outwards past seedwise and the package's own frames to the first of
        the user's; a draw made by the standard library or while importing
        is left out.
        """
        drawn: FrameType | None = None
        entered: FrameType | None = None
        while frame is not None:
            where = self._where(frame.f_code.co_filename)
            if where == "user":
                break
            if where == "import" or (where == "standard" and drawn is None):
                return
            if where == "installed":
                drawn = drawn or frame
                entered = frame
            frame = frame.f_back
        if frame is None or drawn is None or entered is None:
            return
        self._record_at(LIBRARY_ENTROPY, frame, _library_fix(entered, drawn))

    def _wrap_seeded(self, original: Callable[..., Any], kind: str) -> Callable[..., Any]:
        @functools.wraps(original)
        def wrapper(seed: Any = None, *args: Any, **kwargs: Any) -> Any:
            if seed is None:
                self._record(kind, 1)
            else:
                self._check_clock_seed(seed, 1)
            return original(seed, *args, **kwargs)

        return wrapper

    def _wrap_random_init(self, original: Callable[..., None]) -> Callable[..., None]:
        """``random.Random.__init__``: records an unseeded ``Random()`` and ``SystemRandom()``."""

        @functools.wraps(original)
        def __init__(instance: Any, *args: Any, **kwargs: Any) -> None:
            if type(instance) is random.SystemRandom:
                self._record("random.SystemRandom", 1)
            elif type(instance) is random.Random:
                seed = args[0] if args else kwargs.get("x")
                if seed is None:
                    self._record("random.Random()", 1)
                else:
                    self._check_clock_seed(seed, 1)
            original(instance, *args, **kwargs)

        return __init__

    def _wrap_entropy(self, original: Callable[..., Any]) -> Callable[..., Any]:
        """NumPy's ``randbits``: OS entropy drawn by a generator being made."""

        @functools.wraps(original)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            # NumPy's constructors are compiled: the nearest Python frame is their caller.
            frame = self._caller(1)
            if frame is not None:
                self._numpy_call(frame)
            else:
                self._library_draw(sys._getframe(1))
            return original(*args, **kwargs)

        return wrapper

    def _numpy_call(self, frame: FrameType) -> None:
        """Record the NumPy call ``frame`` is making if it passes no seed."""
        call = calling_expression(frame)
        if call is None:
            return
        name, seed = call
        if seed is None:
            self._record_at(_NUMPY_KINDS.get(name, "numpy generator without a seed"), frame)
        elif seed is not UNKNOWN and self._from_clock(seed):
            self._record_at("seed from the clock", frame)

    def _library_draw(self, frame: FrameType) -> None:
        """A NumPy generator made inside a package: recorded when its call passes no seed.

        A ``default_rng`` call reaches here through the watch's own wrapper,
        which has judged it already.
        """
        if self._where(frame.f_code.co_filename) == "seedwise":
            return
        call = calling_expression(frame)
        if call is not None and call[1] is None:
            self._library_use(frame)

    def _wrap_always(self, original: Callable[..., Any], kind: str) -> Callable[..., Any]:
        @functools.wraps(original)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            self._record(kind, 1)
            return original(*args, **kwargs)

        return wrapper

    def _wrap_seed_call(self, original: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(original)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            seed = args[0] if args else next(iter(kwargs.values()), None)
            if seed is not None:
                self._check_clock_seed(seed, 1)
            return original(*args, **kwargs)

        return wrapper

    def _wrap_clock(self, original: Callable[[], Any]) -> Callable[[], Any]:
        @functools.wraps(original)
        def wrapper() -> Any:
            value = original()
            if self._caller(1) is not None and len(self._clock_readings) < 1000:
                self._clock_readings.append(value)
            return value

        return wrapper

    def _check_clock_seed(self, seed: Any, depth: int) -> None:
        if self._from_clock(seed):
            self._record("seed from the clock", depth + 1)

    def _from_clock(self, seed: Any) -> bool:
        return bool(
            self._clock_readings
            and isinstance(seed, int | float)
            and not isinstance(seed, bool)
            and _from_clock(int(seed), self._clock_readings)
        )

    def _wrap_loader_init(self, original: Callable[..., None]) -> Callable[..., None]:
        """torch ``DataLoader.__init__``: records a shuffling or multi-process loader
        built without a ``generator``."""
        signature = inspect.signature(original)

        @functools.wraps(original)
        def __init__(instance: Any, *args: Any, **kwargs: Any) -> None:
            try:
                arguments = signature.bind(instance, *args, **kwargs).arguments
            except TypeError:
                arguments = None  # the original raises the error
            if arguments is not None:
                workers = arguments.get("num_workers") or 0
                shuffled = bool(arguments.get("shuffle")) or workers > 0
                if shuffled and arguments.get("generator") is None:
                    self._record("torch DataLoader without generator", 1)
            original(instance, *args, **kwargs)

        return __init__


def _module_function(frame: FrameType) -> str:
    code = frame.f_code
    name = getattr(code, "co_qualname", code.co_name)
    return f"{frame.f_globals.get('__name__', '?')}.{name}"


def _library_fix(entered: FrameType, drawn: FrameType) -> str:
    """The fix for OS entropy drawn in ``drawn``, in the package the user called at ``entered``."""
    package = str(entered.f_globals.get("__name__", "?")).partition(".")[0]
    inside = _module_function(drawn)
    through = "" if entered is drawn else f", through {_module_function(entered)}"
    return (
        f"the call into {package} on this line drew OS entropy in {inside}{through}, "
        "which no seed controls: pass that call a seed (its seed=, rng= or random_state= "
        "argument: ctx.seed_for('name') or ctx.rng('name'); gymnasium: "
        "env.reset(seed=ctx.seed_for('env')))"
    )


def _from_clock(seed: int, readings: list[int | float]) -> bool:
    """Whether ``seed`` is a clock reading in s, ms, us or ns, whole or modulo 2**31 / 2**32.

    ``time.time_ns`` readings are ints and compared exactly; ``time.time``
    readings are floats, whose finer units are compared within a tolerance.
    """
    for reading in readings:
        if isinstance(reading, int):
            values = [(reading // divisor, 0) for divisor in (1, 1_000, 1_000_000, 1_000_000_000)]
        else:
            values = [
                (int(reading * scale), scale // 1_000_000) for scale in (1, 10**3, 10**6, 10**9)
            ]
        for value, tolerance in values:
            for modulus in (None, 2**32, 2**31, 2**31 - 1):
                candidate = value if modulus is None else value % modulus
                if abs(candidate - seed) <= max(1, tolerance):
                    return True
    return False
