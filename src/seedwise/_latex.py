"""Tables as LaTeX for a paper (``--latex FILE``): booktabs tabulars, every cell escaped.

The tables are the blocks every other output walks (:mod:`seedwise._document`);
here each becomes a ``table`` float with a ``tabular`` of ``\\toprule``,
``\\midrule`` and ``\\bottomrule`` (the ``booktabs`` package). Cells hold
text from users (study, algorithm and task names): every LaTeX special
character is written as text, never as markup, so that a name such as
``\\input{x}`` or ``50%_a&b`` prints as it reads, and control characters are
shown as their escapes first (:func:`seedwise._user_text.visible`).
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Sequence
from pathlib import Path

from seedwise._document import Table
from seedwise._user_text import visible
from seedwise.errors import UsageError

__all__ = ["latex_document", "latex_escape", "latex_table", "write_latex"]

# Each special character of LaTeX's text mode, and how it is written as text.
_SPECIAL = {
    "\\": r"\textbackslash{}",
    "&": r"\&",
    "%": r"\%",
    "$": r"\$",
    "#": r"\#",
    "_": r"\_",
    "{": r"\{",
    "}": r"\}",
    "~": r"\textasciitilde{}",
    "^": r"\textasciicircum{}",
    "<": r"\textless{}",
    ">": r"\textgreater{}",
    "|": r"\textbar{}",
    '"': r"\textquotedbl{}",
}


def latex_escape(text: str) -> str:
    """``text`` as LaTeX text: every special character escaped, one line.

    Example:
        >>> latex_escape("a_b & 50%")
        'a\\\\_b \\\\& 50\\\\%'
    """
    shown = visible(text).replace("\n", " ")
    return "".join(_SPECIAL.get(char, char) for char in shown)


# A minus before a number: not a hyphen's, nor after a letter or digit (1e-5 keeps its own).
_MINUS = re.compile(r"(?<![\w.])-(?=\d)")


def _cell(text: str, numeric: bool) -> str:
    escaped = latex_escape(text)
    # A number's minus is a minus sign, not a hyphen.
    return _MINUS.sub("$-$", escaped) if numeric else escaped


def latex_table(table: Table, caption: str, label: str | None = None) -> str:
    """One table as a LaTeX ``table`` float (needs ``\\usepackage{booktabs}``)."""
    columns = "".join("r" if i in table.numeric else "l" for i in range(len(table.header)))
    lines = [
        r"\begin{table}[t]",
        r"\centering",
        rf"\caption{{{latex_escape(caption)}}}",
    ]
    if label is not None:
        lines.append(rf"\label{{{latex_escape(label)}}}")
    lines += [
        rf"\begin{{tabular}}{{{columns}}}",
        r"\toprule",
        " & ".join(latex_escape(title) for title in table.header) + r" \\",
        r"\midrule",
    ]
    for row in table.rows:
        cells = [_cell(cell, i in table.numeric) for i, cell in enumerate(row)]
        lines.append(" & ".join(cells) + r" \\")
    lines += [r"\bottomrule", r"\end{tabular}", r"\end{table}"]
    return "\n".join(lines)


def latex_document(
    tables: Sequence[tuple[str, Table]], notes: Sequence[str] = (), label: str = "seedwise"
) -> str:
    """Every table, one captioned float each, then the notes as LaTeX comments.

    The notes (the methods, the cautions) travel with the numbers, so that
    what the reader must know is beside the tables it qualifies.
    """
    out = ["% Tables written by seedwise; they need \\usepackage{booktabs}.", ""]
    for count, (caption, table) in enumerate(tables, start=1):
        out += [latex_table(table, caption, f"{label}:{count}"), ""]
    out += [f"% {latex_escape(note)}" for note in notes]
    return "\n".join(out) + "\n"


def write_latex(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` whole or not at all (a partial file is never left).

    Raises:
        UsageError: The file cannot be written, named in one line.
    """
    import os

    partial = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        partial.write_text(text, encoding="utf-8")
        os.replace(partial, path)
    except OSError as error:
        with contextlib.suppress(OSError):
            partial.unlink(missing_ok=True)
        raise UsageError(
            f"--latex cannot write its file. Received: {str(path)!r} ({error.strerror or error}); "
            "expected a path in a folder that can be written"
        ) from None
