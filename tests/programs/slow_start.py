"""An experiment whose module is slow to import and prints a banner, as TensorFlow's does.

Its import writes to the process's stderr (file descriptor 2, below Python)
and sleeps 2 s; each run prints a line and returns at once, or sleeps a minute
at repeat ``config["sleep"]``.
"""

from __future__ import annotations

import os
import time
from typing import Any

os.write(2, b"BANNER: slow_start imported\n")
time.sleep(2.0)


def train(ctx: Any) -> dict[str, float]:
    print(f"RUN OUTPUT {ctx.repeat}", flush=True)
    if ctx.config.get("sleep") == ctx.repeat:
        time.sleep(60)
    return {"value": float(ctx.repeat)}
