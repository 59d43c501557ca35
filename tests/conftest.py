"""Fixtures shared by the whole suite: no test may leak environment variables or RNG state."""

from __future__ import annotations

import importlib.util
import os
import random
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

# rich draws from Python's global random when first imported (rich/style.py);
# importing it here keeps that draw out of whichever test imports it first.
import rich.style  # noqa: F401

ROOT = Path(__file__).resolve().parent.parent
PROGRAMS = Path(__file__).resolve().parent / "programs"


def skip_unless_installed(*names: str) -> None:
    """Skip the calling test module unless every package in ``names`` is installed.

    Unlike ``pytest.importorskip`` it imports nothing: collecting the suite
    would otherwise import TensorFlow, torch and the rest in every test
    process, for modules whose tests are mostly deselected (``-m "not slow"``).
    """
    missing = [name for name in names if importlib.util.find_spec(name) is None]
    if missing:
        pytest.skip(f"needs {', '.join(missing)}", allow_module_level=True)


def _rng_snapshot() -> dict[str, Any]:
    snapshot: dict[str, Any] = {
        "python": random.getstate(),
        "numpy": np.random.get_state()[1].tobytes(),
    }
    if "torch" in sys.modules:
        import torch

        snapshot["torch"] = torch.get_rng_state().numpy().tobytes()
        snapshot["torch.deterministic"] = torch.are_deterministic_algorithms_enabled()
    return snapshot


def _environment() -> dict[str, str]:
    # pytest itself sets PYTEST_CURRENT_TEST around each phase.
    return {k: v for k, v in os.environ.items() if k != "PYTEST_CURRENT_TEST"}


def _import_frameworks() -> list[Any]:
    from seedwise.seeding import _MODULES

    present = [module for module in _MODULES if module.installed()]
    for module in present:
        module.prepare()
    return present


@pytest.fixture(autouse=True)
def _no_leaks(request: pytest.FixtureRequest) -> Iterator[None]:
    """Fail a test that leaves environment variables or global RNG state changed."""
    if "restore_global_rng" in request.fixturenames:
        # Importing TensorFlow or torch sets environment variables of their
        # own; those are the frameworks' doing, not the test's.
        _import_frameworks()
    environment = _environment()
    before = _rng_snapshot()
    yield
    after = _rng_snapshot()
    leaked_env = sorted(set(environment.items()).symmetric_difference(_environment().items()))
    for name, _value in leaked_env:
        if name in environment:
            os.environ[name] = environment[name]
        else:
            os.environ.pop(name, None)
    changed = [name for name in before if before[name] != after.get(name)]
    assert not leaked_env, f"the test leaked environment variables: {leaked_env}"
    assert not changed, f"the test leaked global RNG state of: {changed}"


@pytest.fixture(autouse=True)
def _fresh_workers_per_test() -> Iterator[None]:
    """Stop the workers a test's studies left warm: the next test starts its own."""
    yield
    pool = sys.modules.get("seedwise.runner.pool")
    if pool is not None:
        pool.shutdown()


@pytest.fixture
def restore_global_rng() -> Iterator[None]:
    """Let a test seed globally: every framework's state and the environment come back after."""
    present = _import_frameworks()
    states = [(module, module.get_state()) for module in present]
    environment = dict(os.environ)
    yield
    for module, state in reversed(states):
        module.set_state(state)
    os.environ.clear()
    os.environ.update(environment)


def default_sigint() -> None:
    """In a child about to start (``preexec_fn``): SIGINT's default action, whatever the parent's.

    Python turns SIGINT into KeyboardInterrupt only where it starts with the
    default action, and a suite started in the background (``cmd &``) hands
    its children SIGINT ignored: a test that interrupts a child needs this.
    """
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def run_python(
    args: list[str],
    *,
    env: dict[str, str] | None = None,
    timeout: float = 300,
    cwd: Path = ROOT,
) -> subprocess.CompletedProcess[str]:
    """Run ``python ARGS`` in a fresh process (in ``cwd``) with TensorFlow's logging quiet."""
    environment = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
    environment.update(env or {})
    return subprocess.run(
        [sys.executable, *args],
        capture_output=True,
        text=True,
        env=environment,
        timeout=timeout,
        cwd=cwd,
    )
