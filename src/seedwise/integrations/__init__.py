"""Hooks for frameworks and test runners: Keras callbacks, torch and JAX helpers, pytest.

Each submodule imports its framework when it is itself imported; this package
imports nothing.
"""
