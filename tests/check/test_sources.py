"""The unseeded-source watch: what it records, from where, and what it leaves alone."""

from __future__ import annotations

import os
import random
import secrets
import time

import numpy as np

from seedwise.experiment.sources import SourceWatch


def _line() -> int:
    import inspect

    frame = inspect.currentframe()
    assert frame is not None
    assert frame.f_back is not None
    return frame.f_back.f_lineno


def test_unseeded_sources_are_recorded_with_the_calling_line() -> None:
    with SourceWatch() as watch:
        np.random.default_rng()
        lines = [_line() - 1]
        random.SystemRandom()
        lines.append(_line() - 1)
        os.urandom(4)
        lines.append(_line() - 1)
        secrets.token_hex(4)
        lines.append(_line() - 1)
        np.random.default_rng(42)
        random.Random(7)
    here = "tests/check/test_sources.py"
    assert [(use.kind, use.location) for use in watch.uses] == [
        ("numpy.random.default_rng()", f"{here}:{lines[0]}"),
        ("random.SystemRandom", f"{here}:{lines[1]}"),
        ("os.urandom", f"{here}:{lines[2]}"),
        ("secrets", f"{here}:{lines[3]}"),
    ]
    assert all(use.fix for use in watch.uses)


def test_clock_seeds_are_recognised_in_seconds_and_nanoseconds() -> None:
    with SourceWatch() as watch:
        np.random.default_rng(int(time.time()))
        np.random.default_rng(time.time_ns() % 2**32)
        np.random.default_rng(12345)
    assert [use.kind for use in watch.uses] == ["seed from the clock", "seed from the clock"]


def test_library_calls_are_ignored_and_everything_is_restored() -> None:
    originals = (np.random.default_rng, os.urandom, random.Random, time.time, secrets.token_hex)
    with SourceWatch() as watch:
        import tempfile

        # tempfile draws names from an unseeded random.Random: library code.
        tempfile.mktemp()
        random.SystemRandom  # noqa: B018
    assert watch.uses == []
    assert (np.random.default_rng, os.urandom, random.Random, time.time, secrets.token_hex) == (
        originals
    )


def test_generators_made_during_a_watch_still_pickle() -> None:
    import pickle

    with SourceWatch():
        python_rng = pickle.loads(pickle.dumps(random.Random(3)))
        numpy_rng = pickle.loads(pickle.dumps(np.random.RandomState(4)))
    assert python_rng.random() == random.Random(3).random()
    assert numpy_rng.randint(1000) == np.random.RandomState(4).randint(1000)
