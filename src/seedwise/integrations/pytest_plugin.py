"""The pytest plugin: an ``assert_reproducible`` fixture and a ``reproducible`` marker.

Registered through the ``pytest11`` entry point, so installing seedwise makes it
available; importing it imports neither seedwise's runner nor any framework.

Fixture::

    def test_training_reproduces(assert_reproducible):
        assert_reproducible("train.py:train", config={"epochs": 2})

Marker (the test body runs after the check passes)::

    @pytest.mark.reproducible("train.py:train", config={"epochs": 2})
    def test_training(): ...
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

__all__ = ["assert_reproducible", "pytest_configure", "pytest_runtest_call"]


def pytest_configure(config: pytest.Config) -> None:
    """Register the ``reproducible`` marker."""
    config.addinivalue_line(
        "markers",
        "reproducible(experiment, seed=0, config=None, **options): fail the test unless "
        "seedwise.check finds the experiment reproducible bit for bit",
    )


@pytest.fixture
def assert_reproducible() -> Callable[..., Any]:
    """``seedwise.testing.assert_reproducible``: fails with the check's report."""
    from seedwise.testing import assert_reproducible as check_function

    return check_function


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_call(item: pytest.Item) -> None:
    """Run the check of a ``reproducible`` marker before the test's own body."""
    marker = item.get_closest_marker("reproducible")
    if marker is None:
        return
    if not marker.args:
        raise pytest.UsageError(
            "The reproducible marker needs the experiment. Received: "
            f"@pytest.mark.reproducible() on {item.nodeid}; expected "
            "@pytest.mark.reproducible('train.py:train', config={...})"
        )
    from seedwise.testing import assert_reproducible as check_function

    check_function(marker.args[0], **marker.kwargs)
