"""Helpers for users' own test suites: keep training code reproducible in CI.

``assert_reproducible`` runs :func:`seedwise.check` and fails with its report.
The pytest plugin (:mod:`seedwise.integrations.pytest_plugin`) offers it as the
``assert_reproducible`` fixture.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from seedwise.check import CheckResult, check

__all__ = ["assert_reproducible"]


def assert_reproducible(
    fn: str | Callable[..., Any],
    *,
    seed: int = 0,
    config: Mapping[str, Any] | None = None,
    **options: Any,
) -> CheckResult:
    """Fail unless ``fn`` reproduces bit for bit; return the check's result otherwise.

    Equivalent to ``result = seedwise.check(fn, seed=seed, config=config, **options)``
    followed by ``assert result.reproducible, str(result)``: the failure message
    names the first step and tensor where the runs part and the causes found.

    Args:
        fn: The experiment, or its ``"file.py:fn"`` / ``"module:fn"`` reference.
            Workers load it by name: a module-level function of an importable
            module or file.
        seed: The study seed (the runs use its repeat 0).
        config: The experiment's config; keep it small (few epochs) in tests.
        **options: Passed to :func:`seedwise.check` (``threads``,
            ``frameworks``, ``probes``, ``timeout``, ...).

    Returns:
        The :class:`CheckResult` of a reproducible experiment.

    Raises:
        AssertionError: The experiment does not reproduce.
        UsageError: A bad argument; ExperimentError: the experiment failed.

    Example:
        >>> def test_training_reproduces():
        ...     assert_reproducible("train.py:train", config={"epochs": 2})
    """
    result = check(fn, seed=seed, config=config, **options)
    if not result.reproducible:
        raise AssertionError(str(result))
    return result
