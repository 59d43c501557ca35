"""The unseeded-source watch: what it records, from where, and what it leaves alone."""

from __future__ import annotations

import os
import random
import secrets
import time

import numpy as np

# scikit-learn sets environment variables when first imported: import it here.
from sklearn.utils import check_random_state

from seedwise.experiment.watch.unseeded import LIBRARY_ENTROPY, WATCHED_FRAMEWORKS, UnseededWatch


def _line() -> int:
    import inspect

    frame = inspect.currentframe()
    assert frame is not None
    assert frame.f_back is not None
    return frame.f_back.f_lineno


def test_unseeded_sources_are_recorded_with_the_calling_line() -> None:
    with UnseededWatch() as watch:
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
    here = "tests/experiment/test_watch.py"
    assert [(use.kind, use.location) for use in watch.uses] == [
        ("numpy.random.default_rng()", f"{here}:{lines[0]}"),
        ("random.SystemRandom", f"{here}:{lines[1]}"),
        ("os.urandom", f"{here}:{lines[2]}"),
        ("secrets", f"{here}:{lines[3]}"),
    ]
    assert all(use.fix for use in watch.uses)


def test_clock_seeds_are_recognised_in_seconds_and_nanoseconds() -> None:
    with UnseededWatch() as watch:
        np.random.default_rng(int(time.time()))
        np.random.default_rng(time.time_ns() % 2**32)
        np.random.default_rng(12345)
    assert [use.kind for use in watch.uses] == ["seed from the clock", "seed from the clock"]


def test_library_calls_are_ignored_and_everything_is_restored() -> None:
    originals = (np.random.default_rng, os.urandom, random.Random, time.time, secrets.token_hex)
    with UnseededWatch() as watch:
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

    with UnseededWatch():
        python_rng = pickle.loads(pickle.dumps(random.Random(3)))
        numpy_rng = pickle.loads(pickle.dumps(np.random.RandomState(4)))
    assert python_rng.random() == random.Random(3).random()
    assert numpy_rng.randint(1000) == np.random.RandomState(4).randint(1000)


def test_numpy_generators_without_a_seed_are_found_by_the_call_that_made_them() -> None:
    seed = None
    given = 5
    with UnseededWatch() as watch:
        np.random.RandomState()
        lines = [_line() - 1]
        np.random.RandomState(
            seed,
        )
        lines.append(_line() - 3)
        np.random.RandomState(seed=None)
        lines.append(_line() - 1)
        np.random.Generator(np.random.PCG64())
        lines.append(_line() - 1)
        np.random.RandomState(given)
        np.random.RandomState(seed=given + 1)
        np.random.Generator(np.random.PCG64(7))
        np.random.SeedSequence(entropy=given)
    here = "tests/experiment/test_watch.py"
    assert [(use.kind, use.location) for use in watch.uses] == [
        ("numpy.random.RandomState()", f"{here}:{lines[0]}"),
        ("numpy.random.RandomState()", f"{here}:{lines[1]}"),
        ("numpy.random.RandomState()", f"{here}:{lines[2]}"),
        ("numpy generator without a seed", f"{here}:{lines[3]}"),
    ]


def test_python_generators_and_clock_seeds_are_found() -> None:
    with UnseededWatch() as watch:
        random.Random()
        line = _line() - 1
        random.Random(7)
        clock = int(time.time())
        np.random.RandomState(clock)
        clock_line = _line() - 1
    here = "tests/experiment/test_watch.py"
    assert [(use.kind, use.location) for use in watch.uses] == [
        ("random.Random()", f"{here}:{line}"),
        ("seed from the clock", f"{here}:{clock_line}"),
    ]


def test_watching_leaves_every_class_and_type_check_as_it_is() -> None:
    made_before = np.random.RandomState(1)
    classes = (np.random.RandomState, np.random.Generator, random.Random, random.SystemRandom)
    with UnseededWatch():
        assert (
            np.random.RandomState,
            np.random.Generator,
            random.Random,
            random.SystemRandom,
        ) == classes
        made_during = np.random.RandomState(2)
        # scikit-learn's test: "... cannot be used to seed a RandomState" before.
        assert check_random_state(made_before) is made_before
        assert check_random_state(made_during) is made_during
        assert check_random_state(3).randint(1000) == np.random.RandomState(3).randint(1000)
        assert type(random.Random(4)) is random.Random
    assert type(made_during) is np.random.RandomState
    assert random.Random.__init__.__qualname__ == "Random.__init__"


def test_torch_data_loaders_keep_their_class_and_signature() -> None:
    torch = __import__("pytest").importorskip("torch")
    import inspect

    from torch.utils.data import DataLoader

    data = torch.arange(8.0)
    signature = inspect.signature(DataLoader.__init__)
    with UnseededWatch() as watch:
        assert torch.utils.data.DataLoader is DataLoader
        assert inspect.signature(DataLoader.__init__) == signature
        DataLoader(data, batch_size=2, shuffle=True)
        line = _line() - 1
        generator = torch.Generator().manual_seed(1)
        loader = DataLoader(data, batch_size=2, shuffle=True, generator=generator)
        DataLoader(data, batch_size=2)
    assert type(loader) is DataLoader
    assert [(use.kind, use.location) for use in watch.uses] == [
        ("torch DataLoader without generator", f"tests/experiment/test_watch.py:{line}")
    ]


def test_os_entropy_drawn_inside_a_library_is_recorded_at_the_users_line() -> None:
    from scipy import stats

    with UnseededWatch() as watch:
        stats.Normal().sample(3)
        line = _line() - 1
        # Seeded, or drawn by the standard library: nothing to record.
        stats.Normal().sample(3, rng=np.random.default_rng(1))
        check_random_state(np.random.RandomState(2)).random()
        import tempfile

        tempfile.mktemp()
    assert [(use.kind, use.location) for use in watch.uses] == [
        (LIBRARY_ENTROPY, f"tests/experiment/test_watch.py:{line}")
    ]
    assert "the call into scipy on this line" in watch.uses[0].fix
    assert ".sample" in watch.uses[0].fix


def test_a_watched_run_says_which_frameworks_it_imported() -> None:
    import torch  # noqa: F401

    with UnseededWatch() as watch:
        pass
    assert "torch" in watch.frameworks()
    assert set(watch.frameworks()) <= set(WATCHED_FRAMEWORKS)
