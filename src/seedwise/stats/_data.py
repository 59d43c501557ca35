"""Input checks shared by the statistics: samples, metrics, levels and seeds."""

from __future__ import annotations

import functools
import math
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar

from seedwise.errors import MissingMetricError, UsageError
from seedwise.seeding.streams import Key, check_seed, rng

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import ArrayLike, NDArray

__all__ = [
    "Finite",
    "MissingMetricError",
    "check_level",
    "check_positive_int",
    "generator",
    "own_words",
    "root_seed",
    "to_array",
    "to_finite",
]


_P = ParamSpec("_P")
_R = TypeVar("_R")


def own_words(function: Callable[_P, _R]) -> Callable[_P, _R]:
    """``function`` with NumPy's and SciPy's numerical warnings kept from the user.

    What such a warning is about (precision lost on values with no spread, a
    degenerate resample, a division by zero spread) is decided and said by the
    statistics themselves, in their notes and reasons, in seedwise's words.
    """

    @functools.wraps(function)
    def quiet(*args: _P.args, **kwargs: _P.kwargs) -> _R:
        with warnings.catch_warnings():
            warnings.filterwarnings(
                "ignore", category=RuntimeWarning, module=r"(numpy|scipy|seedwise\.stats)\."
            )
            warnings.filterwarnings("ignore", category=UserWarning, module=r"scipy\.")
            return function(*args, **kwargs)

    return quiet


@dataclass(frozen=True)
class Finite:
    """The finite values of one sample, and how many non-finite ones were dropped."""

    values: NDArray[np.float64]
    n_nonfinite: int

    @property
    def n(self) -> int:
        """The number of finite values."""
        return int(self.values.shape[0])


def to_array(values: ArrayLike, *, name: str = "values") -> NDArray[np.float64]:
    """A one-dimensional float64 array of ``values``, non-finite values kept.

    Args:
        values: A sequence or array of numbers.
        name: The argument's name, for error messages.

    Returns:
        The values as float64.

    Raises:
        UsageError: The values are not numbers or not one-dimensional.
    """
    import numpy as np

    try:
        array = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError) as error:
        raise UsageError(
            f"`{name}` must be a sequence of numbers. Received: {name} of type "
            f"{type(values).__name__} ({error}); expected a 1-D array of floats"
        ) from None
    if array.ndim == 0:
        array = array.reshape(1)
    if array.ndim != 1:
        raise UsageError(
            f"`{name}` must be one-dimensional. Received: {name} with shape "
            f"{array.shape}; expected a 1-D array, one value per run"
        )
    return array


def to_finite(values: ArrayLike, *, name: str = "values") -> Finite:
    """The finite values of a one-dimensional numeric array.

    Args:
        values: A sequence or array of numbers. NaN and infinities are
            counted and dropped.
        name: The argument's name, for error messages.

    Returns:
        The finite values as float64, in their original order.

    Raises:
        UsageError: The values are not numbers or not one-dimensional.
    """
    import numpy as np

    array = to_array(values, name=name)
    finite = np.isfinite(array)
    return Finite(values=array[finite], n_nonfinite=int(array.size - finite.sum()))


def check_level(value: float, *, name: str) -> float:
    """``value`` if it is a probability strictly between 0 and 1, else raise.

    Raises:
        UsageError: ``value`` is not a number in (0, 1).
    """
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise UsageError(
            f"`{name}` must be a number. Received: {name}={value!r}; expected a float in (0, 1)"
        )
    if not (math.isfinite(value) and 0.0 < value < 1.0):
        raise UsageError(
            f"`{name}` is out of range. Received: {name}={value!r}; expected a float in (0, 1)"
        )
    return float(value)


def check_positive_int(value: object, *, name: str, minimum: int = 1) -> int:
    """``value`` if it is an int of at least ``minimum``, else raise.

    Raises:
        UsageError: ``value`` is not such an int.
    """
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise UsageError(
            f"`{name}` must be an int of at least {minimum}. Received: {name}={value!r}"
        )
    return value


def root_seed(seed: Any) -> int:
    """The integer root of all resampling streams of one call.

    Args:
        seed: An int seed, or a ``numpy.random.Generator`` from which one
            integer is drawn (so the result depends on the generator's state).

    Returns:
        An int in ``[0, 2**63 - 1]``.

    Raises:
        InvalidSeedError: ``seed`` is neither.
    """
    import numpy as np

    if isinstance(seed, np.random.Generator):
        return int(seed.integers(0, 2**63 - 1, dtype=np.int64))
    return check_seed(seed)


def generator(root: int, *keys: Key) -> np.random.Generator:
    """The Generator for one resampling, named by its purpose below ``root``.

    Keying each resampling by name makes its result independent of which
    other statistics the same call computes, and of their order.
    """
    return rng(root, "stats", *keys)
