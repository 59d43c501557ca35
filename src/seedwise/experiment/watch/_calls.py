"""Read the call a frame is making from its source: which name it calls, and the seed it passes.

Used by the unseeded-source watch for calls that cannot be wrapped (NumPy's
compiled generator classes): when one of them draws OS entropy, the nearest
Python frame is the user's line, and the instruction it is executing names
the call and its arguments.
"""

from __future__ import annotations

import ast
import builtins
import linecache
from types import FrameType
from typing import Any

__all__ = ["UNKNOWN", "calling_expression"]

#: A seed argument whose value is not read: an expression other than a
#: constant, a variable or an attribute of one (it is never evaluated).
UNKNOWN: Any = object()

#: The keywords that carry the seed in NumPy's generator constructors.
_SEED_KEYWORDS = ("seed", "entropy")


def calling_expression(frame: FrameType) -> tuple[str, Any] | None:
    """The name ``frame``'s current call calls, and the seed it passes.

    Args:
        frame: A frame that is executing a call (for example the nearest
            Python frame of a compiled function).

    Returns:
        ``(name, seed)``: ``name`` is the last part of the called expression
        (``"RandomState"`` for ``np.random.RandomState(...)``); ``seed`` is
        None when the call passes no seed or passes None, the value of a
        constant, variable or attribute, or :data:`UNKNOWN` for anything
        else. None when the source cannot be read or is not a call.

    Example:
        For a frame at ``rng = np.random.RandomState(seed)`` with ``seed = 3``,
        returns ``("RandomState", 3)``.
    """
    text = _instruction_source(frame)
    if text is None:
        return None
    try:
        node = ast.parse(text.strip(), mode="eval").body
    except SyntaxError:
        return None
    if not isinstance(node, ast.Call):
        return None
    function = node.func
    name = function.attr if isinstance(function, ast.Attribute) else getattr(function, "id", "")
    argument: ast.expr | None = None
    if node.args:
        argument = node.args[0]
    else:
        argument = next((k.value for k in node.keywords if k.arg in _SEED_KEYWORDS), None)
        if argument is None and any(k.arg is None for k in node.keywords):
            return name, UNKNOWN  # **kwargs: the seed may be among them
    if argument is None:
        return name, None
    if isinstance(argument, ast.Starred):
        return name, UNKNOWN
    return name, _value(argument, frame)


def _instruction_source(frame: FrameType) -> str | None:
    """The source of the expression ``frame`` is executing (its whole line before 3.11)."""
    code = frame.f_code
    lines = linecache.getlines(code.co_filename, frame.f_globals)
    positions = getattr(code, "co_positions", None)
    if positions is None:  # Python 3.10: the line is the best there is
        lineno = frame.f_lineno
        return lines[lineno - 1] if 0 < lineno <= len(lines) else None
    try:
        start, end, column, end_column = list(positions())[frame.f_lasti // 2]
    except IndexError:
        return None
    if start is None or end is None or column is None or end_column is None:
        return None
    if not 0 < start <= end <= len(lines):
        return None
    # Columns count UTF-8 bytes, not characters.
    chunk = [line.encode("utf-8") for line in lines[start - 1 : end]]
    if len(chunk) == 1:
        chunk[0] = chunk[0][column:end_column]
    else:
        chunk[0] = chunk[0][column:]
        chunk[-1] = chunk[-1][:end_column]
    return b"".join(chunk).decode("utf-8", errors="replace")


def _value(node: ast.expr, frame: FrameType) -> Any:
    """The value of a constant, a variable or an attribute of one in ``frame``, else UNKNOWN."""
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, ast.Name):
        for scope in (frame.f_locals, frame.f_globals, vars(builtins)):
            if node.id in scope:
                return scope[node.id]
        return UNKNOWN
    if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name | ast.Attribute):
        owner = _value(node.value, frame)
        if owner is UNKNOWN:
            return UNKNOWN
        try:
            return getattr(owner, node.attr)
        except Exception:  # a property that raises: the value is unknown
            return UNKNOWN
    return UNKNOWN
