"""derive_seed and rng: pinned values, range, independence from the process, bad input."""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import seedwise
from seedwise.errors import InvalidSeedError, UsageError
from tests.conftest import run_python

# Values pinned when the derivation was defined: a change here breaks every
# stored study's seeds, so it must never happen silently.
PINNED = {
    (0, "repeat", 0): 8648482899604393579,
    (0, "repeat", 1): 999552232485559615,
    (0, "repeat", 2): 4870404115420442201,
    (42,): 5732826375231505755,
    (42, "data"): 1010269661858874285,
}


@pytest.mark.parametrize(("args", "expected"), PINNED.items())
def test_derive_seed_pinned_values(args: tuple[int | str, ...], expected: int) -> None:
    assert seedwise.derive_seed(*args) == expected  # type: ignore[arg-type]


def test_derive_seed_is_seedsequence_keyed_by_root_and_keys() -> None:
    sequence = np.random.SeedSequence(entropy=7, spawn_key=(3, 5))
    expected = int(sequence.generate_state(1, dtype=np.uint64)[0]) >> 1
    assert seedwise.derive_seed(7, 3, 5) == expected


def test_bits_takes_the_top_bits() -> None:
    full = seedwise.derive_seed(42, "repeat", 3, bits=63)
    assert seedwise.derive_seed(42, "repeat", 3, bits=32) == full >> 31
    assert seedwise.derive_seed(42, "repeat", 3, bits=32) < 2**32


def test_string_and_int_keys_name_different_streams() -> None:
    assert seedwise.derive_seed(1, "3") != seedwise.derive_seed(1, 3)
    assert seedwise.derive_seed(1, "a", "b") != seedwise.derive_seed(1, "b", "a")
    assert seedwise.derive_seed(1, "ab") != seedwise.derive_seed(1, "a", "b")


@pytest.mark.slow
def test_no_collision_among_a_million_root_repeat_pairs() -> None:
    seeds = {seedwise.derive_seed(root, "repeat", i) for root in range(1000) for i in range(1000)}
    assert len(seeds) == 1_000_000


def test_same_values_in_fresh_processes_with_other_hash_seeds() -> None:
    code = (
        "import json, seedwise; print(json.dumps([seedwise.derive_seed(5, 'x', i) "
        "for i in range(5)] + [float(seedwise.rng(5, 'data').random())]))"
    )
    expected = [seedwise.derive_seed(5, "x", i) for i in range(5)]
    expected.append(float(seedwise.rng(5, "data").random()))
    for hash_seed in ("0", "123"):
        completed = run_python(["-c", code], env={"PYTHONHASHSEED": hash_seed})
        assert completed.returncode == 0, completed.stderr
        assert json.loads(completed.stdout) == expected


def test_rng_is_a_pcg64_generator_of_the_same_sequence() -> None:
    generator = seedwise.rng(42, "data")
    assert isinstance(generator, np.random.Generator)
    assert isinstance(generator.bit_generator, np.random.PCG64)
    expected = np.random.Generator(
        np.random.PCG64(
            np.random.SeedSequence(42, spawn_key=(seedwise.seeding.streams._encode_key("data", 0),))
        )
    )
    assert generator.random(4).tolist() == expected.random(4).tolist()
    assert (
        seedwise.rng(42, "data").random(4).tolist() != seedwise.rng(42, "init").random(4).tolist()
    )


@settings(max_examples=50, deadline=None)
@given(
    root=st.integers(0, seedwise.MAX_SEED),
    keys=st.lists(st.one_of(st.integers(0, 2**64 - 1), st.text(max_size=8)), max_size=3),
    bits=st.integers(1, 63),
)
def test_derive_seed_in_range_and_deterministic(
    root: int, keys: list[int | str], bits: int
) -> None:
    value = seedwise.derive_seed(root, *keys, bits=bits)
    assert 0 <= value < 2**bits
    assert value == seedwise.derive_seed(root, *keys, bits=bits)


@pytest.mark.parametrize(
    ("seed", "shown"),
    [
        (-1, "seed=-1"),
        (1.5, "seed=1.5"),
        (True, "seed=True"),
        (None, "seed=None"),
        (2**63, f"seed={2**63}"),
        ("42", "seed='42'"),
    ],
)
def test_bad_seeds_name_the_value_and_the_range(seed: object, shown: str) -> None:
    with pytest.raises(InvalidSeedError) as caught:
        seedwise.seed_everything(seed)  # type: ignore[arg-type]
    message = str(caught.value)
    assert shown in message
    assert "[0, 9223372036854775807]" in message
    assert caught.value.exit_code == 2
    assert isinstance(caught.value, UsageError)


def test_numpy_integer_seeds_are_accepted() -> None:
    assert seedwise.derive_seed(np.int64(5)) == seedwise.derive_seed(5)  # type: ignore[arg-type]


@pytest.mark.parametrize("key", [-1, 2**64, 1.0, None, b"x"])
def test_bad_keys_are_refused(key: object) -> None:
    with pytest.raises(InvalidSeedError, match="key"):
        seedwise.derive_seed(1, key)  # type: ignore[arg-type]


@pytest.mark.parametrize("bits", [0, 64, 32.0, True])
def test_bad_bits_are_refused(bits: object) -> None:
    with pytest.raises(InvalidSeedError, match="bits"):
        seedwise.derive_seed(1, bits=bits)  # type: ignore[arg-type]
