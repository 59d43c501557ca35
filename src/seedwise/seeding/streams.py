"""Seeds derived from a root seed and keys, the same in every process.

A derived seed is the first word of ``numpy.random.SeedSequence(entropy=root,
spawn_key=keys)``: the spawning mechanism of NEP 19, so streams that differ in
any key are statistically independent, and the value depends only on
``(root, keys)``, never on the order of calls, the process or the platform.

The seed a run hands to user code (:func:`repeat_seed`, ``ctx.seed``,
``ctx.seed_for``) has 32 bits, the widest that every API takes as it is:
``random.seed``, ``numpy.random.seed`` and ``RandomState``, scikit-learn's
``random_state``, ``torch.manual_seed``, ``tf.random.set_seed``,
``keras.utils.set_random_seed``, Lightning's ``seed_everything`` and
``jax.random.key`` (which keeps only 32 bits with 64-bit mode off).
"""

from __future__ import annotations

import functools
import hashlib
from typing import TYPE_CHECKING

from seedwise.errors import InvalidSeedError

if TYPE_CHECKING:
    import numpy as np

__all__ = [
    "MAX_RUN_SEED",
    "MAX_SEED",
    "RUN_SEED_BITS",
    "SEED_BITS",
    "check_seed",
    "derive_seed",
    "repeat_seed",
    "rng",
]

SEED_BITS = 63
#: The largest seed seedwise accepts and derives: the largest non-negative
#: int64, which Python, NumPy, TensorFlow, PyTorch and JAX all accept.
MAX_SEED = 2**SEED_BITS - 1

#: The width of the seeds handed to user code: runs' seeds and ``ctx.seed_for``.
RUN_SEED_BITS = 32
#: The largest seed a run receives, ``2**32 - 1``.
MAX_RUN_SEED = 2**RUN_SEED_BITS - 1

_MASK64 = 2**64 - 1
_FEISTEL_ROUNDS = 6

# Integer keys occupy [0, 2**64); string keys are hashed into [2**64, 2**65),
# so that the key "3" and the key 3 can never name the same stream.
_INT_KEY_LIMIT = 2**64
_STR_KEY_OFFSET = 2**64

Key = int | str


def check_seed(seed: object, *, name: str = "seed") -> int:
    """Return ``seed`` if it is an acceptable seed, else raise.

    Args:
        seed: The value to check: an ``int`` (not a ``bool``) in
            ``[0, MAX_SEED]``. NumPy integer scalars are accepted too.
        name: The argument's name, for the error message.

    Returns:
        The seed as a plain ``int``.

    Raises:
        InvalidSeedError: The seed is not an integer or is out of range.
    """
    value = _as_int(seed)
    if value is None:
        raise InvalidSeedError(
            f"`{name}` must be an integer. Received: {name}={seed!r} "
            f"(of type {type(seed).__name__}); expected an int in [0, {MAX_SEED}]"
        )
    if not 0 <= value <= MAX_SEED:
        raise InvalidSeedError(
            f"`{name}` is out of range. Received: {name}={value}; "
            f"expected an int in [0, {MAX_SEED}] (0 to 2**63 - 1)"
        )
    return value


def _as_int(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    # NumPy integer scalars, without importing NumPy for plain ints.
    is_numpy = type(value).__module__ == "numpy" and hasattr(value, "dtype")
    if is_numpy and getattr(value.dtype, "kind", "") in "iu":  # type: ignore[attr-defined]
        return int(value)  # type: ignore[call-overload, no-any-return]
    return None


def _encode_key(key: object, position: int) -> int:
    if isinstance(key, str):
        digest = hashlib.blake2b(key.encode("utf-8"), digest_size=8).digest()
        return _STR_KEY_OFFSET + int.from_bytes(digest, "little")
    value = _as_int(key)
    if value is None or not 0 <= value < _INT_KEY_LIMIT:
        raise InvalidSeedError(
            f"Derivation key {position} must be a str or an int in [0, 2**64). "
            f"Received: key={key!r} (of type {type(key).__name__})"
        )
    return value


def derive_seed(root: int, *keys: Key, bits: int = SEED_BITS) -> int:
    """Derive a seed from a root seed and a path of keys.

    Equivalent to ``SeedSequence(entropy=root, spawn_key=encoded_keys)
    .generate_state(1, numpy.uint64)[0] >> (64 - bits)``, where integer keys
    are used as they are and string keys are replaced by a BLAKE2b digest of
    their UTF-8 bytes (never ``hash()``, which changes between processes).

    Args:
        root: The root seed, an int in ``[0, 2**63 - 1]``.
        *keys: The path below the root: ints in ``[0, 2**64)`` or strings,
            e.g. ``("repeat", 3, "init")``.
        bits: The width of the result, 1 to 63. The default, 63, gives seeds
            that every framework seedwise seeds accepts and that do not
            collide in practice (about one pair in 10**7 among a million
            seeds). Use ``bits=32`` for APIs that take 32-bit seeds, such as
            the ``seed=`` argument of Keras layers or ``numpy.random.seed``.

    Returns:
        An int in ``[0, 2**bits - 1]``.

    Raises:
        InvalidSeedError: A bad root, key or ``bits``.

    Example:
        >>> derive_seed(42, "repeat", 3) == derive_seed(42, "repeat", 3)
        True
    """
    import numpy as np

    if isinstance(bits, bool) or not isinstance(bits, int) or not 1 <= bits <= SEED_BITS:
        raise InvalidSeedError(
            f"`bits` must be an int in [1, {SEED_BITS}]. Received: bits={bits!r}"
        )
    sequence = _sequence(root, keys)
    word = int(sequence.generate_state(1, dtype=np.uint64)[0])
    return word >> (64 - bits)


def repeat_seed(root: int, repeat: int) -> int:
    """The 32-bit seed of repeat ``repeat`` of a study with root seed ``root``.

    A keyed permutation of the repeat index: a six-round Feistel network on
    two 16-bit halves, whose round keys are the first six 64-bit words of
    ``SeedSequence(entropy=root, spawn_key=(encoded "repeat",))`` and whose
    round function is the SplitMix64 finaliser. Two repeats of one root never
    share a seed (random 32-bit seeds would: a study of 100,000 runs would
    hold a pair of equal seeds with probability 0.69); the seeds of two
    different roots are unrelated.

    Args:
        root: The study's root seed, an int in ``[0, 2**63 - 1]``.
        repeat: The repeat index, an int in ``[0, 2**32 - 1]``.

    Returns:
        An int in ``[0, 2**32 - 1]``, distinct for distinct ``repeat``.

    Raises:
        InvalidSeedError: A bad root or repeat.

    Example:
        >>> len({repeat_seed(0, r) for r in range(1000)})
        1000
    """
    value = _as_int(repeat)
    if value is None or not 0 <= value <= MAX_RUN_SEED:
        raise InvalidSeedError(
            f"`repeat` must be an int in [0, {MAX_RUN_SEED}]. Received: repeat={repeat!r}; "
            "expected 0, 1, 2, ..."
        )
    left, right = value >> 16, value & 0xFFFF
    for key in _round_keys(check_seed(root, name="root")):
        left, right = right, left ^ (_mix64(right ^ key) >> 48)
    return (left << 16) | right


@functools.lru_cache(maxsize=64)
def _round_keys(root: int) -> tuple[int, ...]:
    import numpy as np

    words = _sequence(root, ("repeat",)).generate_state(_FEISTEL_ROUNDS, dtype=np.uint64)
    return tuple(int(word) for word in words)


def _mix64(value: int) -> int:
    """The SplitMix64 finaliser: a bijection of 64-bit words with full avalanche."""
    value = (value + 0x9E3779B97F4A7C15) & _MASK64
    value = ((value ^ (value >> 30)) * 0xBF58476D1CE4E5B9) & _MASK64
    value = ((value ^ (value >> 27)) * 0x94D049BB133111EB) & _MASK64
    return value ^ (value >> 31)


def rng(root: int, *keys: Key) -> np.random.Generator:
    """A NumPy ``Generator`` for the stream named by ``(root, *keys)``.

    Equivalent to ``numpy.random.Generator(numpy.random.PCG64(SeedSequence(
    entropy=root, spawn_key=encoded_keys)))``, with keys encoded as in
    :func:`derive_seed`. Use it instead of ``numpy.random.default_rng()``,
    which no global seeding call can reach.

    Example:
        >>> data_rng = rng(42, "data")
        >>> float(data_rng.random()) == float(rng(42, "data").random())
        True
    """
    import numpy as np

    return np.random.Generator(np.random.PCG64(_sequence(root, keys)))


def _sequence(root: int, keys: tuple[Key, ...]) -> np.random.SeedSequence:
    import numpy as np

    entropy = check_seed(root, name="root")
    spawn_key = tuple(_encode_key(key, index) for index, key in enumerate(keys))
    return np.random.SeedSequence(entropy=entropy, spawn_key=spawn_key)
