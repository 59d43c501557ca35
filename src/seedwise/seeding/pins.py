"""Which named streams of a run vary with the repeat, and which stay at a fixed key.

``seedwise attribute`` runs one study per source of randomness: in the study
of ``"init"``, the stream ``ctx.rng("init")`` varies with the repeat while
every other stream, and the run's own seed, stays at one fixed key. A
:class:`StreamPins` says so; the run's :class:`~seedwise.RunContext` applies it.

A stream's name falls in one of three groups:

- ``varying``: derived from the run's seed, as without pins
  (``derive_seed(run_seed, name)``);
- ``pinned``: derived from the fixed key instead (``derive_seed(key, name)``),
  the same in every repeat;
- neither: the *rest*, which follows ``rest_pinned``. The rest is every
  stream not named, and the run's seed itself: ``ctx.seed`` and the seed
  ``seed_everything`` receives, hence every library seeded from them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from seedwise.errors import UsageError
from seedwise.seeding.streams import RUN_SEED_BITS, check_seed, derive_seed

__all__ = ["ALL", "UNNAMED", "StreamPins", "fixed_key"]

#: The label of the randomness no named stream reaches.
UNNAMED = "unnamed"
#: The label of the study in which every source varies.
ALL = "all"


def fixed_key(study_seed: int) -> int:
    """The fixed key of the pinned streams of studies with root ``study_seed``.

    Equivalent to ``derive_seed(study_seed, "fixed streams", bits=32)``: a
    32-bit seed, like a run's, kept apart from every run's seed by its key.
    """
    return derive_seed(check_seed(study_seed), "fixed streams", bits=RUN_SEED_BITS)


@dataclass(frozen=True)
class StreamPins:
    """The streams of a run that stay at a fixed key, and those that vary.

    Attributes:
        key: The fixed key that pinned streams derive from (a 32-bit seed).
        varying: Named streams that vary with the repeat.
        pinned: Named streams held at ``key``.
        rest_pinned: Whether the rest (the run's seed, hence ``seed_everything``
            and ``ctx.seed``, and every stream named in neither tuple) is
            held at ``key`` too.
    """

    key: int
    varying: tuple[str, ...] = ()
    pinned: tuple[str, ...] = ()
    rest_pinned: bool = False

    def __post_init__(self) -> None:
        check_seed(self.key, name="key")
        for group in (self.varying, self.pinned):
            for name in group:
                if not isinstance(name, str) or not name:
                    raise UsageError(
                        f"A stream name must be a non-empty str. Received: name={name!r}; "
                        "expected e.g. 'init'"
                    )
        both = sorted(set(self.varying) & set(self.pinned))
        if both:
            raise UsageError(
                f"A stream cannot both vary and be pinned. Received: {', '.join(both)} in "
                f"varying={list(self.varying)!r} and pinned={list(self.pinned)!r}; expected "
                "each name in one of them"
            )

    @classmethod
    def for_source(cls, source: str, sources: tuple[str, ...], key: int) -> StreamPins:
        """Pins under which ``source`` alone varies while every other stream is fixed.

        Args:
            source: The stream that varies with the repeat; ``UNNAMED`` for the
                rest (the run's seed and unnamed streams) while every stream
                in ``sources`` is fixed; ``ALL`` for everything varying.
            sources: Every named source of the attribution.
            key: The fixed key.

        Returns:
            The pins.
        """
        if source == ALL:
            return cls(key=key, varying=tuple(sources), rest_pinned=False)
        if source == UNNAMED:
            return cls(key=key, pinned=tuple(sources), rest_pinned=False)
        others = tuple(name for name in sources if name != source)
        return cls(key=key, varying=(source,), pinned=others, rest_pinned=True)

    @property
    def sources(self) -> tuple[str, ...]:
        """Every named stream, sorted."""
        return tuple(sorted((*self.varying, *self.pinned)))

    @property
    def label(self) -> str:
        """What varies: a source's name, ``"unnamed"``, ``"all"`` or ``"none"``."""
        if self.rest_pinned:
            return self.varying[0] if len(self.varying) == 1 else "+".join(self.varying) or "none"
        return UNNAMED if self.pinned else ALL

    def is_pinned(self, name: str) -> bool:
        """Whether the stream ``name`` stays at the fixed key."""
        if name in self.varying:
            return False
        return name in self.pinned or self.rest_pinned

    def run_seed(self, seed: int) -> int:
        """The run's own seed under these pins: ``key`` when the rest is pinned, else ``seed``."""
        return self.key if self.rest_pinned else seed

    def stream_root(self, name: str, seed: int) -> int:
        """The root of the stream ``name``: ``key`` when pinned, else the run's ``seed``."""
        return self.key if self.is_pinned(name) else seed

    def to_dict(self) -> dict[str, Any]:
        """A JSON-serialisable dict, as stored in the study's settings."""
        return {
            "key": self.key,
            "varying": list(self.varying),
            "pinned": list(self.pinned),
            "rest_pinned": self.rest_pinned,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> StreamPins:
        """Rebuild pins from :meth:`to_dict` output."""
        return cls(
            key=int(data["key"]),
            varying=tuple(str(name) for name in data.get("varying", ())),
            pinned=tuple(str(name) for name in data.get("pinned", ())),
            rest_pinned=bool(data.get("rest_pinned", False)),
        )
