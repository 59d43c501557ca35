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

__all__ = [
    "NUMERIC_CPU_FLAGS",
    "PACKAGES",
    "THREAD_VARIABLES",
    "collect_environment",
    "cpu_description",
    "cuda_versions",
    "gpu_description",
    "package_versions",
]

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
    "CUDA_VISIBLE_DEVICES",
    "XLA_PYTHON_CLIENT_MEM_FRACTION",
    "TF_FORCE_GPU_ALLOW_GROWTH",
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


#: The CPU flags that choose which kernels BLAS, oneDNN and XLA run (and so their rounding).
NUMERIC_CPU_FLAGS = (
    "sse4_2",
    "avx",
    "avx2",
    "fma",
    "f16c",
    "avx512f",
    "avx512dq",
    "avx512bw",
    "avx512vl",
    "avx512_vnni",
    "avx512_bf16",
    "avx512_fp16",
    "amx_bf16",
    "amx_tile",
    "amx_int8",
    "asimd",
    "sve",
    "sve2",
)


def cpu_description(cpuinfo: str | None = None) -> dict[str, Any]:
    """The CPU's model and its numeric flags (of :data:`NUMERIC_CPU_FLAGS`), from ``/proc/cpuinfo``.

    Empty where the file cannot be read (off Linux).
    """
    if cpuinfo is None:
        try:
            with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as handle:
                cpuinfo = handle.read(65536)
        except OSError:
            return {}
    model = ""
    flags: set[str] = set()
    for line in cpuinfo.splitlines():
        key, _, value = line.partition(":")
        key = key.strip()
        if key in ("model name", "Model", "CPU part") and not model:
            model = value.strip()
        elif key in ("flags", "Features") and not flags:
            flags = set(value.split())
    return {"model": model, "flags": [flag for flag in NUMERIC_CPU_FLAGS if flag in flags]}


def gpu_description(root: str = "/proc/driver/nvidia") -> dict[str, Any]:
    """NVIDIA GPU models and the driver's version, read from the driver's files (no import).

    Empty when no NVIDIA driver is loaded.
    """
    try:
        with open(os.path.join(root, "version"), encoding="utf-8") as handle:
            first = handle.readline()
    except OSError:
        return {}
    words = first.split()
    driver = next((word for word in words if word[:1].isdigit() and "." in word), first.strip())
    models = []
    gpus = os.path.join(root, "gpus")
    for entry in sorted(os.listdir(gpus)) if os.path.isdir(gpus) else []:
        try:
            with open(os.path.join(gpus, entry, "information"), encoding="utf-8") as handle:
                for line in handle:
                    if line.startswith("Model:"):
                        models.append(line.partition(":")[2].strip())
        except OSError:
            continue
    return {"driver": driver, "models": models, **cuda_versions()}


def cuda_versions() -> dict[str, Any]:
    """The CUDA and cuDNN versions torch was built with and loaded, if torch is imported.

    Read only from a torch the run already imported (the fingerprint is
    taken after the first run): importing it here would cost seconds.
    """
    torch = sys.modules.get("torch")
    if torch is None:
        return {}
    found: dict[str, Any] = {}
    try:
        found["cuda"] = torch.version.cuda
        found["cudnn"] = torch.backends.cudnn.version() if torch.cuda.is_available() else None
        found["devices"] = [
            torch.cuda.get_device_name(index) for index in range(torch.cuda.device_count())
        ]
    except Exception:  # a broken CUDA install: the versions found so far
        return found
    return found


def collect_environment(extra: dict[str, Any] | None = None) -> dict[str, Any]:
    """A fingerprint of this process's environment.

    Args:
        extra: Entries to add, such as the study's settings and the
            experiment's source hash.

    Returns:
        Python version and implementation, platform, machine, CPU count,
        package versions, the thread and numerics environment variables, the
        BLAS / OpenMP libraries loaded with their thread counts, the CPU's
        model and numeric flags, and (when an NVIDIA driver is loaded) the
        GPU models, the driver's version and, once torch is imported, its
        CUDA and cuDNN versions and the devices the process sees
        (``CUDA_VISIBLE_DEVICES`` is among the variables).
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
        "cpu": cpu_description(),
    }
    gpu = gpu_description()
    if gpu:
        environment["gpu"] = gpu
    if extra:
        environment.update(extra)
    return environment
