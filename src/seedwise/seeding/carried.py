"""Every global random state a checkpoint carries, as plain picklable values.

:func:`random_states` reads them; :func:`restore_random_states` puts them
back. Only the frameworks this process has imported are read, and nothing
is imported to read them: a framework the run never used has no state to
carry. The values are plain (tuples, NumPy arrays, torch tensors) so that a
checkpoint written in one process is read in another: the generator
objects of :func:`seedwise.seeded` stay in their process.

Carried: Python's ``random``; NumPy's global ``RandomState``; torch's CPU
generator and, once CUDA is initialised, every CUDA device's; TensorFlow's
global seed, its op-seed counter and the global ``tf.random.Generator``;
Keras's global seed and global ``SeedGenerator``. Not carried here: the
``SeedGenerator`` of each Keras layer (its state is a variable of the
model: save ``model.get_weights()`` and ``[g.state.numpy() for g in
model._seed_generators]``, see docs/resuming.md) and generators the code
makes itself.
"""

from __future__ import annotations

import random
import sys
from typing import Any

__all__ = ["CARRIED", "random_states", "restore_random_states"]

#: The names of the states a checkpoint can carry, in the order restored.
CARRIED = ("python", "numpy", "torch", "torch.cuda", "tensorflow", "keras")


def random_states() -> dict[str, Any]:
    """The random states of this process, by name (those of :data:`CARRIED` present)."""
    states: dict[str, Any] = {"python": random.getstate()}
    if "numpy" in sys.modules:
        import numpy as np

        states["numpy"] = np.random.get_state()
    if "torch" in sys.modules:
        import torch

        states["torch"] = torch.get_rng_state()
        if torch.cuda.is_initialized():  # type: ignore[no-untyped-call]
            states["torch.cuda"] = torch.cuda.get_rng_state_all()
    if "tensorflow" in sys.modules:
        states["tensorflow"] = _tensorflow_state()
    if "keras" in sys.modules:
        keras_state = _keras_state()
        if keras_state is not None:
            states["keras"] = keras_state
    return states


def restore_random_states(states: dict[str, Any]) -> None:
    """Put back what :func:`random_states` read (a state of a framework not imported is skipped)."""
    if "python" in states:
        random.setstate(states["python"])
    if "numpy" in states and "numpy" in sys.modules:
        import numpy as np

        np.random.set_state(states["numpy"])
    if "torch" in sys.modules:
        import torch

        if "torch" in states:
            torch.set_rng_state(states["torch"])
        if "torch.cuda" in states and torch.cuda.is_available():
            torch.cuda.set_rng_state_all(states["torch.cuda"])
    if "tensorflow" in states and "tensorflow" in sys.modules:
        _restore_tensorflow(states["tensorflow"])
    if "keras" in states and "keras" in sys.modules:
        _restore_keras(states["keras"])


def _tensorflow_state() -> tuple[Any, ...]:
    from tensorflow.python.eager import context
    from tensorflow.python.ops import stateful_random_ops

    eager = context.context()
    rng = getattr(eager, "_rng", None)
    generator = stateful_random_ops.global_generator
    return (
        eager._seed,
        None if rng is None else rng.getstate(),
        None if generator is None else generator.state.numpy().copy(),
        None if generator is None else generator.algorithm,
    )


def _restore_tensorflow(saved: tuple[Any, ...]) -> None:
    from tensorflow.python.eager import context
    from tensorflow.python.ops import stateful_random_ops

    global_seed, rng_state, generator_state, algorithm = saved
    eager = context.context()
    if global_seed is not None:
        context.set_global_seed(global_seed)
        if rng_state is not None:
            eager._rng.setstate(rng_state)
    if generator_state is not None:
        generator = stateful_random_ops.get_global_generator()
        if generator.algorithm == algorithm:
            generator.reset(generator_state)
        else:
            stateful_random_ops.set_global_generator(
                stateful_random_ops.Generator(state=generator_state, alg=algorithm)
            )


def _keras_state() -> tuple[Any, Any] | None:
    try:
        from keras.src.backend.common import global_state
        from keras.src.random import seed_generator
        from keras.src.utils import rng_utils
    except ImportError:
        return None
    generator = global_state.get_global_attribute(seed_generator.GLOBAL_SEED_GENERATOR)
    values = None if generator is None else _as_numpy(generator.state.value)
    return (global_state.get_global_attribute(rng_utils.GLOBAL_RANDOM_SEED), values)


def _restore_keras(saved: tuple[Any, Any]) -> None:
    from keras.src.backend.common import global_state
    from keras.src.random import seed_generator
    from keras.src.utils import rng_utils

    global_seed, values = saved
    global_state.set_global_attribute(rng_utils.GLOBAL_RANDOM_SEED, global_seed)
    if values is not None:
        seed_generator.global_seed_generator().state.assign(values)


def _as_numpy(value: Any) -> Any:
    import numpy as np

    return np.array(value)
