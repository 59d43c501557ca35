"""TensorFlow: the global seed, the global ``tf.random.Generator`` and op determinism."""

from __future__ import annotations

from importlib.util import find_spec
from typing import Any, cast

from seedwise.seeding.report import Deterministic, SeedReport

NAME = "tensorflow"
#: The module whose import makes this framework seedable; None: seeded at once, always.
MODULE: str | None = "tensorflow"

_DETERMINISM_NOTE = (
    "ops without a deterministic kernel (mostly on GPU) now raise "
    "UnimplementedError instead of running nondeterministically; see "
    "docs/seeding.md, 'Errors from deterministic mode'"
)


def installed() -> bool:
    """True if TensorFlow can be imported."""
    return find_spec("tensorflow") is not None


def prepare() -> None:
    """Import TensorFlow (4 to 7 s the first time in a process)."""
    import tensorflow  # noqa: F401


def seed(value: int, deterministic: Deterministic, report: SeedReport) -> None:
    """``tf.random.set_seed``, reseed the global generator, op determinism."""
    import tensorflow as tf
    from tensorflow.python.ops import stateful_random_ops

    tf.random.set_seed(value)
    report.add(NAME, f"tf.random.set_seed({value})", "ok")
    if stateful_random_ops.global_generator is None:
        tf.random.set_global_generator(tf.random.Generator.from_seed(value))
    else:
        tf.random.get_global_generator().reset_from_seed(value)
    report.add(NAME, f"tf.random global Generator from_seed({value})", "ok")
    if deterministic == "warn":
        report.add(
            NAME,
            "op determinism",
            "warning",
            "left off (deterministic='warn'): TensorFlow has no warn-only mode, and its "
            "op determinism raises on ops without a deterministic kernel",
        )
    elif deterministic:
        tf.config.experimental.enable_op_determinism()
        report.add(NAME, "tf.config.experimental.enable_op_determinism()", "ok", _DETERMINISM_NOTE)
    else:
        report.add(
            NAME,
            "op determinism",
            "warning",
            "left off (deterministic=False): GPU kernels may differ from run to run",
        )


def get_state() -> object:
    """The global seed, the op-seed counter, the global generator, the determinism flag."""
    from tensorflow.python.eager import context
    from tensorflow.python.framework import config
    from tensorflow.python.ops import stateful_random_ops

    eager = context.context()
    # The op-seed generator exists only once a global seed has been set.
    rng = getattr(eager, "_rng", None)
    rng_state = None if rng is None else rng.getstate()
    generator = stateful_random_ops.global_generator
    generator_state = None if generator is None else generator.state.numpy().copy()
    return (
        eager._seed,
        rng_state,
        generator,
        generator_state,
        config.is_op_determinism_enabled(),
    )


def set_state(saved: object) -> None:
    """Restore a state from :func:`get_state`."""
    from tensorflow.python.eager import context
    from tensorflow.python.framework import config
    from tensorflow.python.ops import stateful_random_ops

    global_seed, rng_state, generator, generator_state, determinism = cast(tuple[Any, ...], saved)
    eager = context.context()
    if global_seed is None:
        eager._seed = None
        eager._rng = None
    else:
        context.set_global_seed(global_seed)
        eager._rng.setstate(rng_state)
    stateful_random_ops.global_generator = generator
    if generator is not None:
        generator.reset(generator_state)
    if determinism:
        config.enable_op_determinism()
    else:
        config.disable_op_determinism()
