"""Moved to :mod:`seedwise.store.study`; this name stays importable for now."""

from seedwise.store.study import Study as Study
