"""The environment a run executes in: what can change its numbers besides the code and seed.

A fingerprint is a plain dict (JSON-serialisable) that is the same in every
worker of a study on one machine, so the store keeps one row per distinct
environment. It reads package versions from their metadata and never imports
a framework itself.
"""

from __future__ import annotations

import os
import platform
import sys
from importlib.metadata import PackageNotFoundError, version
from typing import Any

__all__ = ["PACKAGES", "THREAD_VARIABLES", "collect_environment", "package_versions"]

#: The distributions whose versions are recorded, when installed.
PACKAGES = (
    "seedwise",
    "numpy",
    "scipy",
    "tensorflow",
    "tensorflow-cpu",
    "keras",
    "torch",
    "jax",
    "jaxlib",
    "scikit-learn",
)

#: Environment variables that set thread counts or change numerics.
THREAD_VARIABLES = (
    "OMP_NUM_THREADS",
    "MKL_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
    "TF_NUM_INTRAOP_THREADS",
    "TF_NUM_INTEROP_THREADS",
    "TF_ENABLE_ONEDNN_OPTS",
    "XLA_FLAGS",
    "KERAS_BACKEND",
    "PYTHONHASHSEED",
    "CUBLAS_WORKSPACE_CONFIG",
)


def package_versions(names: tuple[str, ...] = PACKAGES) -> dict[str, str]:
    """The installed version of each distribution in ``names`` (absent ones left out)."""
    found: dict[str, str] = {}
    for name in names:
        try:
            found[name] = version(name)
        except PackageNotFoundError:
            continue
    return found


def _blas() -> list[dict[str, Any]]:
    try:
        from threadpoolctl import threadpool_info
    except ImportError:  # pragma: no cover - threadpoolctl is a dependency
        return []
    return [
        {
            "user_api": info.get("user_api"),
            "internal_api": info.get("internal_api"),
            "version": info.get("version"),
            "num_threads": info.get("num_threads"),
            "architecture": info.get("architecture"),
        }
        for info in threadpool_info()
    ]


def collect_environment(extra: dict[str, Any] | None = None) -> dict[str, Any]:
    """A fingerprint of this process's environment.

    Args:
        extra: Entries to add, such as the study's settings and the
            experiment's source hash.

    Returns:
        Python version and implementation, platform, machine, CPU count,
        package versions, the thread and numerics environment variables, and
        the BLAS / OpenMP libraries loaded with their thread counts.
    """
    environment: dict[str, Any] = {
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "platform": platform.platform(),
        "machine": platform.machine(),
        "cpu_count": os.cpu_count(),
        "byteorder": sys.byteorder,
        "packages": package_versions(),
        "variables": {name: os.environ[name] for name in THREAD_VARIABLES if name in os.environ},
        "threadpools": _blas(),
    }
    if extra:
        environment.update(extra)
    return environment
