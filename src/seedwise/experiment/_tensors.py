"""Framework tensors as NumPy arrays, and framework containers as named children.

Each function is called only for an object whose type (or a base class) comes
from that framework, so the framework is already imported: the imports here
cost nothing and never load a framework that the run does not use.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np

__all__ = [
    "jax_to_array",
    "keras_children",
    "keras_to_array",
    "pytree_children",
    "tensorflow_to_array",
    "torch_children",
    "torch_to_array",
]


def torch_to_array(obj: Any) -> np.ndarray:
    """A torch tensor's values; shares memory with a CPU tensor, bfloat16 widened to float32."""
    import numpy as np
    import torch

    if not isinstance(obj, torch.Tensor):
        return np.asarray(obj)
    tensor = obj.detach()
    if tensor.device.type != "cpu":
        tensor = tensor.cpu()
    if tensor.dtype == torch.bfloat16:
        # NumPy has no bfloat16; float32 holds every bfloat16 value exactly.
        tensor = tensor.float()
    return tensor.resolve_conj().resolve_neg().numpy()


def tensorflow_to_array(obj: Any) -> np.ndarray:
    """A TensorFlow tensor's or variable's values."""
    import numpy as np

    numpy_method = getattr(obj, "numpy", None)
    if callable(numpy_method):
        return np.asarray(numpy_method())
    return np.asarray(obj)


def keras_to_array(obj: Any) -> np.ndarray:
    """A Keras variable's or tensor's values, whatever the backend."""
    import numpy as np

    value = getattr(obj, "value", obj)
    numpy_method = getattr(value, "numpy", None)
    if callable(numpy_method):
        return np.asarray(numpy_method())
    return np.asarray(value)


def jax_to_array(obj: Any) -> np.ndarray:
    """A JAX array's values (no copy on the CPU)."""
    import numpy as np

    return np.asarray(obj)


def torch_children(obj: Any) -> Iterator[tuple[str, object]] | None:
    """A module's parameters and buffers, or an optimizer's per-parameter state."""
    import torch

    if isinstance(obj, torch.nn.Module):
        state = obj.state_dict(keep_vars=True)
        return ((key.replace(".", "/"), value) for key, value in state.items())
    if isinstance(obj, torch.optim.Optimizer):
        # param_groups hold hyper-parameters (floats, None, bools), not state.
        return ((str(index), value) for index, value in obj.state_dict()["state"].items())
    return None


def keras_children(obj: Any) -> Iterator[tuple[str, object]] | None:
    """A layer's or model's variables by path, then its optimizer's; an optimizer's variables."""
    import keras

    if isinstance(obj, keras.optimizers.Optimizer):
        return ((variable.path, variable) for variable in obj.variables)
    if not isinstance(obj, keras.layers.Layer):
        return None
    items: list[tuple[str, object]] = [(variable.path, variable) for variable in obj.weights]
    optimizer = getattr(obj, "optimizer", None)
    if isinstance(optimizer, keras.optimizers.Optimizer) and optimizer.built:
        items += [(f"optimizer/{variable.path}", variable) for variable in optimizer.variables]
    return iter(items)


def pytree_children(obj: Any) -> Iterator[tuple[str, object]] | None:
    """The leaves of a JAX pytree (Flax state, Optax state, Equinox module) by key path."""
    import jax

    leaves, _ = jax.tree_util.tree_flatten_with_path(obj)
    if len(leaves) == 1 and leaves[0][1] is obj:
        return None
    return (("/".join(_key_name(key) for key in path) or "0", leaf) for path, leaf in leaves)


def _key_name(key: Any) -> str:
    for attribute in ("key", "name", "idx"):
        if hasattr(key, attribute):
            return str(getattr(key, attribute))
    return str(key)
