"""Keyed experiments: ``train(key, config)``, a pure JAX function, run alone or K seeds per call.

A keyed experiment takes a JAX PRNG key and the config, and returns a
mapping of metric names to scalars, with no side effects and no random
source but its key. That is what lets seedwise train K repeats in one
compiled call, ``jax.jit(jax.vmap(train))``: each repeat still gets its own
seed, ``repeat_seed(study_seed, repeat)``, and its own key,
``seedwise.jax_key(seed)``.

Run alone (no ``--vectorize``), each repeat is ``jax.jit(train)(key)`` with
the config closed over. Run vectorised, a batch of repeats is padded to
exactly ``size`` lanes (copies of its first key, whose results are dropped),
so every batch of a study runs one and the same compiled program and a
repeat's bits do not depend on which repeats shared its batch. Batched
arithmetic may round differently from the same computation alone: the
difference is measured in ``docs/vectorized.md``.

JAX is imported on first use only.
"""

from __future__ import annotations

import contextlib
import inspect
import json
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from seedwise.errors import InvalidResultError
from seedwise.experiment.values import check_metrics
from seedwise.seeding import jax_key

__all__ = [
    "KEYED_PARAMETERS",
    "batch_of",
    "call_batched",
    "call_keyed",
    "is_keyed",
    "key_data",
]

#: The parameters that mark a keyed experiment, in order.
KEYED_PARAMETERS = ("key", "config")

_POSITIONAL = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)


@dataclass
class _Batch:
    """Repeats to run together: their seeds, the batch size, and once run, the outcome."""

    seeds: tuple[int, ...]
    lanes: int
    results: dict[int, dict[str, float]] | None = None
    error: Exception | None = None


_PENDING: list[_Batch] = []


@contextlib.contextmanager
def batch_of(seeds: Sequence[int], lanes: int) -> Iterator[None]:
    """Meanwhile, :func:`call_keyed` runs these seeds together, in one call of ``lanes`` lanes.

    The first :func:`call_keyed` for one of ``seeds`` runs the whole batch
    (:func:`call_batched`) and returns its own lane; the others return theirs
    without computing anything. An exception of the batched call is raised
    again for every seed of the batch.

    Args:
        seeds: The seeds of the batch's runs.
        lanes: The study's batch size (``--vectorize``).

    Yields:
        Nothing; the batch is forgotten on exit.
    """
    batch = _Batch(tuple(seeds), lanes)
    _PENDING.append(batch)
    try:
        yield
    finally:
        _PENDING.remove(batch)


# Compiled calls by (function, config, lanes); the function is kept so its id stays its own.
_COMPILED: dict[tuple[int, str, int | None], tuple[Callable[..., Any], Any]] = {}


def is_keyed(signature: inspect.Signature) -> bool:
    """Whether a signature is the keyed form: ``(key, config)`` first, anything else defaulted.

    Args:
        signature: The experiment function's signature.

    Returns:
        True for ``def train(key, config)``; False for every other form.
    """
    parameters = list(signature.parameters.values())
    if len(parameters) < len(KEYED_PARAMETERS):
        return False
    leading = parameters[: len(KEYED_PARAMETERS)]
    if tuple(p.name for p in leading) != KEYED_PARAMETERS:
        return False
    if any(p.kind not in _POSITIONAL for p in leading):
        return False
    return all(
        p.default is not inspect.Parameter.empty
        or p.kind in (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD)
        for p in parameters[len(KEYED_PARAMETERS) :]
    )


def key_data(seed: int) -> Any:
    """The raw data of the key of ``seed``: ``jax.random.key_data(seedwise.jax_key(seed))``."""
    import jax
    import numpy as np

    return np.asarray(jax.random.key_data(jax_key(seed)))


def _compiled(function: Callable[..., Any], config: Mapping[str, Any], lanes: int | None) -> Any:
    """``jit(train)`` or ``jit(vmap(train))`` with ``config`` closed over, compiled once."""
    import jax

    frozen = json.dumps(dict(config), sort_keys=True, default=repr)
    cache_key = (id(function), frozen, lanes)
    cached = _COMPILED.get(cache_key)
    if cached is not None and cached[0] is function:
        return cached[1]
    settings = dict(config)

    def bound(key: Any) -> Any:
        return function(key, settings)

    compiled = jax.jit(bound if lanes is None else jax.vmap(bound))
    _COMPILED[cache_key] = (function, compiled)
    return compiled


def _lane_metrics(returned: Any, lane: int | None) -> dict[str, float]:
    """The metrics of one lane of what the compiled call returned (``lane=None``: not batched)."""
    import numpy as np

    if not isinstance(returned, Mapping):
        return check_metrics(returned)
    values: dict[str, Any] = {}
    for name, value in returned.items():
        array = np.asarray(value)
        values[name] = array if lane is None else array[lane]
        if np.ndim(values[name]) != 0:
            raise InvalidResultError(
                f"A keyed experiment must return scalars. Received: {name!r} of shape "
                f"{np.shape(values[name])}; expected a 0-d value per repeat, e.g. "
                "jnp.mean(losses)"
            )
    return check_metrics(values)


def call_keyed(
    function: Callable[..., Any], seed: int, config: Mapping[str, Any]
) -> dict[str, float]:
    """Run one repeat: ``jax.jit(lambda key: function(key, config))(jax_key(seed))``.

    Inside :func:`batch_of` a seed of the batch is run with the whole batch
    instead, vectorised, and its own lane returned.

    Args:
        function: The keyed experiment.
        seed: The run's seed.
        config: The study's config.

    Returns:
        The run's metrics, as floats.

    Raises:
        InvalidResultError: The function returned something other than a
            mapping of names to scalars.
    """
    batch = next((b for b in reversed(_PENDING) if seed in b.seeds), None)
    if batch is None:
        returned = _compiled(function, config, None)(jax_key(seed))
        return _lane_metrics(returned, None)
    if batch.results is None and batch.error is None:
        try:
            lanes = call_batched(function, batch.seeds, config, batch.lanes)
            batch.results = dict(zip(batch.seeds, lanes, strict=True))
        except Exception as error:
            batch.error = error
    if batch.error is not None:
        raise batch.error
    assert batch.results is not None
    return dict(batch.results[seed])


def call_batched(
    function: Callable[..., Any], seeds: Sequence[int], config: Mapping[str, Any], lanes: int
) -> list[dict[str, float]]:
    """Run several repeats in one call: ``jax.jit(jax.vmap(...))`` over exactly ``lanes`` keys.

    Args:
        function: The keyed experiment.
        seeds: The runs' seeds, at most ``lanes`` of them.
        config: The study's config.
        lanes: The batch size of the study; a shorter batch is padded with
            copies of its first key, whose results are dropped.

    Returns:
        The metrics of each seed, in the order of ``seeds``.

    Raises:
        InvalidResultError: The function returned something other than a
            mapping of names to scalars.
        ValueError: No seeds, or more seeds than lanes.
    """
    import jax.numpy as jnp

    if not 0 < len(seeds) <= lanes:
        raise ValueError(
            f"A batch holds 1 to `lanes` seeds. Received: {len(seeds)} seeds, lanes={lanes}; "
            f"expected 1 to {lanes}"
        )
    padded = [*seeds, *[seeds[0]] * (lanes - len(seeds))]
    keys = jnp.stack([jax_key(seed) for seed in padded])
    returned = _compiled(function, config, lanes)(keys)
    return [_lane_metrics(returned, lane) for lane in range(len(seeds))]
