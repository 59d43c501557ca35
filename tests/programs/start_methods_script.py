"""A script that starts a pool of each start method its arguments name; it records their results."""

from __future__ import annotations

import multiprocessing
import sys

import seedwise


def square(value: int) -> int:
    return value * value


if __name__ == "__main__":
    for method in sys.argv[1:]:
        with multiprocessing.get_context(method).Pool(2) as pool:
            seedwise.record(**{method: float(sum(pool.map(square, range(4))))})
