"""Helpers for the command-line tests: the store fixture the runner's tests use too."""

from __future__ import annotations

from tests.runner.conftest import store as store

__all__ = ["store"]
