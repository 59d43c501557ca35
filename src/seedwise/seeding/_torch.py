"""PyTorch: the CPU and CUDA generators, deterministic algorithms, cuDNN, cuBLAS."""

from __future__ import annotations

import os
from importlib.util import find_spec
from typing import Any, cast

from seedwise.seeding.report import Deterministic, SeedReport

NAME = "torch"
#: The module whose import makes this framework seedable; None: seeded at once, always.
MODULE: str | None = "torch"
CUBLAS_VARIABLE = "CUBLAS_WORKSPACE_CONFIG"
CUBLAS_VALUE = ":4096:8"


def installed() -> bool:
    """True if PyTorch can be imported."""
    return find_spec("torch") is not None


def prepare() -> None:
    """Import PyTorch."""
    import torch  # noqa: F401


def seed(value: int, deterministic: Deterministic, report: SeedReport) -> None:
    """``torch.manual_seed`` and, when deterministic, the switches that go with it."""
    import torch

    torch.manual_seed(value)
    report.add(NAME, f"torch.manual_seed({value})", "ok", "the CPU generator and every CUDA device")
    if not deterministic:
        report.add(
            NAME,
            "deterministic algorithms",
            "warning",
            "left off (deterministic=False): CUDA kernels may differ from run to run",
        )
        return
    current = os.environ.get(CUBLAS_VARIABLE)
    if current is not None:
        report.add(NAME, f"{CUBLAS_VARIABLE}={current}", "ok", "already set in the environment")
    elif _cuda_initialised():
        report.add(
            NAME,
            f"{CUBLAS_VARIABLE}={CUBLAS_VALUE}",
            "warning",
            "CUDA is already initialised, so cuBLAS ignores it now: set it in the "
            "environment before the process starts, or call seed_everything before any "
            "CUDA work",
        )
    else:
        os.environ[CUBLAS_VARIABLE] = CUBLAS_VALUE
        report.add(NAME, f"{CUBLAS_VARIABLE}={CUBLAS_VALUE}", "ok", "set before CUDA initialises")
    if deterministic == "warn":
        torch.use_deterministic_algorithms(True, warn_only=True)
        report.add(
            NAME,
            "torch.use_deterministic_algorithms(True, warn_only=True)",
            "ok",
            "ops without a deterministic kernel warn instead of raising; each one that runs "
            "is listed in the report (nondeterministic_ops) and the run's record",
        )
    else:
        torch.use_deterministic_algorithms(True)
        report.add(
            NAME,
            "torch.use_deterministic_algorithms(True)",
            "ok",
            "ops without a deterministic kernel now raise RuntimeError; see docs/seeding.md, "
            "'Errors from deterministic mode'",
        )
    torch.backends.cudnn.deterministic = True
    torch.backends.cudnn.benchmark = False
    report.add(NAME, "cudnn.deterministic=True, cudnn.benchmark=False", "ok")


def _cuda_initialised() -> bool:
    import torch

    return bool(torch.cuda.is_initialized())  # type: ignore[no-untyped-call]


def get_state() -> object:
    """The CPU and (if initialised) CUDA generator states and the determinism switches."""
    import torch

    cuda = torch.cuda.get_rng_state_all() if _cuda_initialised() else None
    return (
        torch.get_rng_state(),
        cuda,
        torch.are_deterministic_algorithms_enabled(),
        torch.is_deterministic_algorithms_warn_only_enabled(),
        torch.backends.cudnn.deterministic,
        torch.backends.cudnn.benchmark,
    )


def set_state(saved: object) -> None:
    """Restore a state from :func:`get_state`."""
    import torch

    saved_tuple = cast(tuple[Any, ...], saved)
    cpu, cuda, algorithms, warn_only, cudnn_deterministic, cudnn_benchmark = saved_tuple
    torch.set_rng_state(cpu)
    if cuda is not None:
        torch.cuda.set_rng_state_all(cuda)
    torch.use_deterministic_algorithms(algorithms, warn_only=warn_only)
    torch.backends.cudnn.deterministic = cudnn_deterministic
    torch.backends.cudnn.benchmark = cudnn_benchmark
