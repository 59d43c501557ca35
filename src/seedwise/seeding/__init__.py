"""Seed every installed framework at once, and say what was done.

One private module per framework (``_python``, ``_numpy``, ``_keras``,
``_tensorflow``, ``_torch``, ``_jax``), each with the same names:
``NAME``, ``MODULE`` (the module whose import makes it seedable),
``installed``, ``prepare``, ``seed``, ``get_state`` and ``set_state``.
Frameworks already imported are seeded at once; the others when their
import completes (``_plan``), so nothing is imported only to be seeded.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from types import ModuleType

from seedwise.errors import UsageError
from seedwise.seeding import (
    _imports,
    _jax,
    _keras,
    _numpy,
    _plan,
    _python,
    _tensorflow,
    _torch,
    _warn_only,
)
from seedwise.seeding.report import Deterministic, NondeterministicOp, SeedAction, SeedReport
from seedwise.seeding.streams import MAX_SEED, check_seed, derive_seed, rng

__all__ = [
    "FRAMEWORKS",
    "MAX_SEED",
    "SEEDING_VARIABLES",
    "Deterministic",
    "NondeterministicOp",
    "SeedAction",
    "SeedReport",
    "check_deterministic",
    "check_seed",
    "derive_seed",
    "jax_key",
    "pause_collector_during_imports",
    "rng",
    "seed_everything",
    "seeded",
    "seeding_gaps",
]

jax_key = _jax.jax_key
pause_collector_during_imports = _imports.pause_collector_during_imports

# Keras comes first: keras.utils.set_random_seed also seeds Python, NumPy,
# TensorFlow and torch with its 32-bit seed, which the modules after it then
# set to the full seed.
_MODULES: tuple[ModuleType, ...] = (_keras, _python, _numpy, _tensorflow, _torch, _jax)
FRAMEWORKS: tuple[str, ...] = tuple(module.NAME for module in _MODULES)
#: The environment variables seeding sets for deterministic ops (read once, when a
#: framework's backend starts): ``seeded`` restores them; a warm worker keeps them.
SEEDING_VARIABLES = (_torch.CUBLAS_VARIABLE, _jax.XLA_VARIABLE)


def _select(frameworks: Iterable[str] | None) -> list[ModuleType]:
    if frameworks is None:
        return list(_MODULES)
    if isinstance(frameworks, str):
        frameworks = [frameworks]
    wanted = list(frameworks)
    unknown = [name for name in wanted if name not in FRAMEWORKS]
    if unknown:
        raise UsageError(
            f"Unknown framework. Received: frameworks={wanted!r}; "
            f"expected names from {', '.join(FRAMEWORKS)}"
        )
    return [module for module in _MODULES if module.NAME in wanted]


def check_deterministic(value: object) -> Deterministic:
    """``value`` as a deterministic mode: True, False or ``"warn"``.

    Raises:
        UsageError: Anything else.
    """
    if isinstance(value, bool) or value == "warn":
        return value
    raise UsageError(
        f"Unknown deterministic mode. Received: deterministic={value!r}; "
        "expected True, False or 'warn'"
    )


def seed_everything(
    seed: int,
    *,
    deterministic: Deterministic = True,
    frameworks: Iterable[str] | None = None,
) -> SeedReport:
    """Seed every installed framework's global generators, each when it is imported.

    A framework already imported is seeded at once. One not imported yet is
    seeded the moment its import completes (inside the ``import`` statement,
    before any code can draw from it), with this seed, whoever imports it:
    nothing is imported only to be seeded. Draws that any later import makes
    from Python's ``random``, NumPy's global state or torch's generator are
    undone when that import completes (on this thread), so results do not
    depend on what the process had imported before: the same seed gives the
    same numbers as importing every framework first and seeding afterwards.
    A later call (or a :func:`seeded` block) takes over the frameworks not
    imported yet.

    For each framework, seeding does the following:

    - Keras 3: what ``keras.utils.set_random_seed(seed)`` does (global seed
      stored, global ``SeedGenerator`` reset; Python and NumPy seeded too);
    - Python: ``random.seed(seed)``;
    - NumPy: ``numpy.random.seed(seed)`` (when ``numpy.random`` is imported);
    - TensorFlow: ``tf.random.set_seed(seed)``, the global
      ``tf.random.Generator`` reseeded, and when ``deterministic``,
      ``tf.config.experimental.enable_op_determinism()``;
    - PyTorch: ``torch.manual_seed(seed)`` (CPU and all CUDA devices), and
      when ``deterministic``, ``torch.use_deterministic_algorithms(True)``,
      cuDNN deterministic with benchmark off, and
      ``CUBLAS_WORKSPACE_CONFIG=:4096:8`` if CUDA is not yet initialised;
    - JAX: nothing global exists to seed (use :func:`jax_key`); when
      ``deterministic``, ``--xla_gpu_deterministic_ops=true`` is added to
      ``XLA_FLAGS`` at once, if JAX's backend is not yet initialised.

    It cannot reach ``PYTHONHASHSEED`` (fixed only before the interpreter
    starts), NumPy ``default_rng()`` generators made without a seed, or
    anything seeded from the clock or OS entropy; the report says so.

    Args:
        seed: An int in ``[0, 2**63 - 1]``.
        deterministic: Also switch on deterministic ops (TensorFlow, PyTorch,
            JAX on GPU). On the CPU it costs little; on GPU, ops without a
            deterministic kernel raise instead of varying. ``"warn"``: torch
            warns instead of raising (``warn_only=True``) and each such op
            that runs is listed in ``report.nondeterministic_ops`` (name,
            count, first line of your code); TensorFlow, which has no
            warn-only mode, is left with op determinism off.
        frameworks: Only these (names from :data:`FRAMEWORKS`); default:
            every one that is installed. ``keras`` brings ``python`` and
            ``numpy`` with it, as ``keras.utils.set_random_seed`` does.

    Returns:
        A :class:`SeedReport` of every action, with its status and whether it
        was done at once or on import; actions done on a later import are
        added to it when they happen.

    Raises:
        InvalidSeedError: ``seed`` is not an int in range.
        UsageError: An unknown framework name, or a ``deterministic`` other
            than True, False or ``"warn"``.

    Example:
        >>> report = seed_everything(42)       # doctest: +SKIP
        >>> print(report)                      # doctest: +SKIP
    """
    value = check_seed(seed)
    deterministic = check_deterministic(deterministic)
    modules = _select(frameworks)
    names = {module.NAME for module in modules}
    if _keras.NAME in names:
        # keras.utils.set_random_seed seeds Python and NumPy: so does Keras here.
        modules = [m for m in _MODULES if m in modules or m in (_python, _numpy)]
    present = [module for module in modules if module.installed()]
    report = SeedReport(seed=value, deterministic=deterministic)
    _warn_only.capture_into(report if deterministic == "warn" else None)
    _plan.install(_plan.Plan(value, deterministic, tuple(present), report))
    for module in modules:
        if module not in present:
            report.add(module.NAME, "not installed", "skipped")
    report.actions.extend(seeding_gaps(module.NAME for module in modules))
    return report


def seeding_gaps(frameworks: Iterable[str]) -> list[SeedAction]:
    """What seeding only ``frameworks`` leaves unseeded that an installed framework relies on.

    Example: ``seeding_gaps(["numpy", "tensorflow"])`` (the tutorial's recipe)
    names Python's ``random``, from which Keras 3 draws its layer seeds.
    """
    names = {module.NAME for module in _select(frameworks)}
    if "keras" in names or "python" in names or not _keras.installed():
        return []
    return [
        SeedAction(
            _python.NAME,
            "random: not seeded",
            "warning",
            "Keras 3 draws the default seeds of its layers and initializers from Python's "
            "random, which was left unseeded here: Keras results will differ between "
            "processes; include 'python' (or 'keras') in frameworks",
        )
    ]


@contextmanager
def seeded(
    seed: int,
    *,
    deterministic: Deterministic = False,
    frameworks: Iterable[str] | None = None,
) -> Iterator[SeedReport]:
    """Seed on entry, and on exit put back every generator state as it was.

    Restores Python ``random``, NumPy's global state, TensorFlow's global
    seed, op-seed counter and global generator, the Keras global seed and
    ``SeedGenerator``, and torch's CPU and CUDA generators, so draws after
    the block are those that would have come had the block not run. A
    framework first imported inside the block is seeded on import, and on
    exit gets the state it would have had had it been imported without the
    block (seeded by the ``seed_everything`` in force outside, if any).
    Nothing is imported to be seeded or saved. With ``deterministic=True``
    the deterministic switches and the environment variables set for them
    are restored too.

    Args:
        seed: As for :func:`seed_everything`.
        deterministic: As for :func:`seed_everything`, but off by default.
        frameworks: As for :func:`seed_everything`.

    Yields:
        The :class:`SeedReport` of the seeding done on entry (and on import
        inside the block).

    Raises:
        InvalidSeedError: ``seed`` is not an int in range.
        UsageError: An unknown framework name, or a non-bool ``deterministic``.

    Example:
        >>> with seeded(0):                   # doctest: +SKIP
        ...     model = build_and_train()
    """
    check_seed(seed)
    check_deterministic(deterministic)
    selected = _select(frameworks)
    if _keras in selected:
        selected = [m for m in _MODULES if m in selected or m in (_python, _numpy)]
    present = [m for m in selected if m.installed() and _plan.imported(m)]
    states = [(module, module.get_state()) for module in present]
    environment = {name: os.environ.get(name) for name in SEEDING_VARIABLES}
    level = _plan.push()
    try:
        yield seed_everything(seed, deterministic=deterministic, frameworks=frameworks)
    finally:
        for module, state in reversed(states):
            module.set_state(state)
        _plan.pop(level)
        for name, previous in environment.items():
            if previous is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = previous
