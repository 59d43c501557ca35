"""The version of seedwise, in one place."""

__version__ = "0.1.0"
