"""Warn-only deterministic mode: list each op without a deterministic kernel that ran.

With ``seed_everything(seed, deterministic="warn")``, torch runs with
``use_deterministic_algorithms(True, warn_only=True)``: an op that has no
deterministic kernel warns (``"<op> does not have a deterministic
implementation, but you set ..."``) instead of raising. Each such warning is
counted here, by op, with the user's line where the op first ran (the
innermost frame of the user's code on the stack, even when the op was
called inside ``torch.nn.functional``), into the report of the
``seed_everything`` call in force. The first warning of each op is shown as
usual; the later ones are counted, not shown again.

Counting every warning needs them all: an ``always`` filter for this one
message is put first among the warnings filters, and ``warnings.showwarning``
is wrapped (again after a ``warnings.catch_warnings`` block put it back).
A warning raised inside a ``catch_warnings(record=True)`` block goes to
that block's list instead, and is not counted.
"""

from __future__ import annotations

import re
import sys
import warnings
from dataclasses import replace
from typing import Any

from seedwise._frames import CodeOwners
from seedwise.seeding.report import NondeterministicOp, SeedReport

__all__ = ["capture_into"]

_MESSAGE = r".* does not have a deterministic implementation, but you set"
_OP = re.compile(r"^\s*(\S+) does not have a deterministic implementation, but you set")

_target: SeedReport | None = None
_owners = CodeOwners()


def _show(message: Any, category: Any, filename: str, lineno: int, *args: Any, **kw: Any) -> None:
    match = _OP.match(str(message))
    report = _target
    if match is None or report is None:
        _shown(message, category, filename, lineno, *args, **kw)
        return
    op = match.group(1)
    location = _owners.user_location(sys._getframe(1)) or f"{filename}:{lineno}"
    for position, seen in enumerate(report.nondeterministic_ops):
        if seen.op == op:
            report.nondeterministic_ops[position] = replace(seen, count=seen.count + 1)
            return
    report.nondeterministic_ops.append(NondeterministicOp(op, 1, location))
    _shown(message, category, filename, lineno, *args, **kw)


_shown = warnings.showwarning


def capture_into(report: SeedReport | None) -> None:
    """Count the warnings of ops without a deterministic kernel into ``report`` (None: stop)."""
    global _target, _shown
    _target = report
    if report is None:
        return
    if warnings.showwarning is not _show:
        _shown = warnings.showwarning
        warnings.showwarning = _show
    warnings.filterwarnings("always", message=_MESSAGE, category=UserWarning)
