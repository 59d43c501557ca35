"""What differs between two environments, ranked by how likely each is to change the numbers.

Two environments are two fingerprints from :func:`seedwise.env.collect_environment`
(a run's, a study's, a store's, or one saved with ``seedwise env --json``).
Each difference gets a rank, from the ones that change results on their own
to those that rarely do:

1. ``certain``: the experiment's code; the deterministic switch, the thread
   counts (a reduction split over another number of threads adds in another
   order);
2. ``likely``: the versions of the numeric frameworks (torch, TensorFlow,
   JAX, Keras, NumPy), the BLAS / OpenMP libraries and their thread counts,
   the GPU model and driver, the CPU's vector flags (BLAS and oneDNN pick
   kernels by them), the variables that choose kernels (``XLA_FLAGS``,
   ``TF_ENABLE_ONEDNN_OPTS``, ``CUBLAS_WORKSPACE_CONFIG``), the machine's
   architecture;
3. ``possible``: ``PYTHONHASHSEED`` (only code that iterates a set or uses
   ``hash()`` depends on it), the Python version, SciPy and scikit-learn;
4. ``unlikely``: the platform string, the CPU count, seedwise's version.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

__all__ = ["LIKELIHOODS", "EnvDifference", "environment_differences"]

#: The ranks, most likely first.
LIKELIHOODS = ("certain", "likely", "possible", "unlikely")

_FRAMEWORK_PACKAGES = ("torch", "tensorflow", "tensorflow-cpu", "jax", "jaxlib", "keras", "numpy")
_KERNEL_VARIABLES = ("XLA_FLAGS", "TF_ENABLE_ONEDNN_OPTS", "CUBLAS_WORKSPACE_CONFIG")
_THREAD_VARIABLES = (
    "OMP_NUM_THREADS",
    "MKL_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
    "TF_NUM_INTRAOP_THREADS",
    "TF_NUM_INTEROP_THREADS",
)


@dataclass(frozen=True)
class EnvDifference:
    """One entry that differs between two environments.

    Attributes:
        item: What differs, e.g. ``"torch version"``, ``"threads"``.
        first: Its value in the first environment (``"(none)"`` when absent).
        second: Its value in the second.
        likelihood: How likely it changes the numbers: one of :data:`LIKELIHOODS`.
        why: How it changes them, in one phrase.
    """

    item: str
    first: str
    second: str
    likelihood: str
    why: str


def _text(value: object) -> str:
    if value is None:
        return "(none)"
    if isinstance(value, str):
        return value
    return json.dumps(value, sort_keys=True)


def _get(environment: Mapping[str, Any], *path: str) -> Any:
    value: Any = environment
    for key in path:
        if not isinstance(value, Mapping):
            return None
        value = value.get(key)
    return value


def _blas(environment: Mapping[str, Any]) -> tuple[list[str], list[str]]:
    """The BLAS / OpenMP libraries (API, version, architecture) and their thread counts."""
    pools = environment.get("threadpools") or []
    libraries = sorted(
        f"{p.get('internal_api')} {p.get('version')} ({p.get('architecture')})"
        for p in pools
        if isinstance(p, Mapping)
    )
    threads = sorted(
        f"{p.get('internal_api')}: {p.get('num_threads')}" for p in pools if isinstance(p, Mapping)
    )
    return libraries, threads


def _entries(environment: Mapping[str, Any]) -> Iterator[tuple[str, object, str, str]]:
    """``(item, value, likelihood, why)`` for everything compared, in rank order."""
    yield (
        "experiment code",
        environment.get("experiment_hash"),
        "certain",
        "other code computes other numbers",
    )
    yield (
        "deterministic ops",
        _get(environment, "settings", "deterministic"),
        "certain",
        "other kernels are chosen (on GPU: atomics or not)",
    )
    yield (
        "threads",
        _get(environment, "settings", "threads"),
        "certain",
        "reductions split over another number of threads add in another order",
    )
    for name in _THREAD_VARIABLES:
        yield (
            name,
            _get(environment, "variables", name),
            "certain",
            "sets a thread count: reductions add in another order",
        )
    for name in _FRAMEWORK_PACKAGES:
        yield (
            f"{name} version",
            _get(environment, "packages", name),
            "likely",
            "kernels, their defaults and their rounding change between versions",
        )
    libraries, threads = _blas(environment)
    yield (
        "BLAS / OpenMP libraries",
        libraries or None,
        "likely",
        "another BLAS, version or kernel architecture blocks sums differently",
    )
    yield (
        "BLAS threads",
        threads or None,
        "likely",
        "matrix products split over another number of threads",
    )
    yield (
        "GPU model",
        _get(environment, "gpu", "models"),
        "likely",
        "other GPUs run other kernels (tensor cores, tile sizes)",
    )
    yield (
        "GPU driver",
        _get(environment, "gpu", "driver"),
        "likely",
        "the driver ships the compiler and libraries of the kernels",
    )
    yield (
        "CPU vector flags",
        _get(environment, "cpu", "flags"),
        "likely",
        "BLAS and oneDNN choose kernels (AVX2, AVX-512, AMX) by them: other FMA and block sizes",
    )
    for name in _KERNEL_VARIABLES:
        yield (
            name,
            _get(environment, "variables", name),
            "likely",
            "chooses kernels or their determinism",
        )
    yield ("machine", environment.get("machine"), "likely", "another instruction set")
    yield ("keras backend", _get(environment, "settings", "keras_backend"), "likely", "")
    yield (
        "PYTHONHASHSEED",
        _get(environment, "settings", "hash_seed"),
        "possible",
        "changes the order of sets and hash(): only code that depends on them",
    )
    yield ("python", environment.get("python"), "possible", "the standard library's algorithms")
    for name in ("scipy", "scikit-learn"):
        yield (
            f"{name} version",
            _get(environment, "packages", name),
            "possible",
            "solvers and defaults change",
        )
    yield ("CPU model", _get(environment, "cpu", "model"), "unlikely", "same flags, same kernels")
    yield ("platform", environment.get("platform"), "unlikely", "the OS and its C library")
    yield ("CPU count", environment.get("cpu_count"), "unlikely", "only through default threads")
    yield ("seedwise version", _get(environment, "packages", "seedwise"), "unlikely", "")


def environment_differences(
    first: Mapping[str, Any], second: Mapping[str, Any]
) -> list[EnvDifference]:
    """Every entry that differs between two environments, the likeliest to change numbers first.

    Entries absent from both are not differences; one absent from one side
    only is (``"(none)"``). Within a rank, the order of the module's list.

    Example:
        >>> a = {"packages": {"torch": "2.3.0"}, "settings": {"threads": 1}}
        >>> b = {"packages": {"torch": "2.4.1"}, "settings": {"threads": 8}}
        >>> [(d.item, d.likelihood) for d in environment_differences(a, b)]
        [('threads', 'certain'), ('torch version', 'likely')]
    """
    differences = []
    for (item, a, likelihood, why), (_, b, _, _) in zip(
        _entries(first), _entries(second), strict=True
    ):
        if _text(a) != _text(b):
            differences.append(EnvDifference(item, _text(a), _text(b), likelihood, why))
    return sorted(differences, key=lambda d: LIKELIHOODS.index(d.likelihood))
