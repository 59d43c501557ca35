"""Helpers for the store's tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from seedwise.store import Store

STUDY = "study"


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    """A new store with one empty study, ``STUDY``."""
    with Store(tmp_path / "seedwise.db") as opened:
        opened.ensure_study(
            STUDY, experiment="x.py:f", config={}, seed=0, settings={}, code_hash="h"
        )
        yield opened
