"""LaTeX tables for a paper: every special character of a user's text written as text."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from seedwise._document import Table
from seedwise._latex import latex_document, latex_escape, latex_table, write_latex
from seedwise.errors import UsageError

#: A name with every LaTeX special character, a command and a control character.
EVIL = '\\input{/etc/passwd} 50%_a&b $x$ #1 ~^ <i>|"\x1b[31m'


def _unescaped(text: str) -> list[str]:
    """Special characters in ``text`` that are not part of an escape seedwise writes."""
    stripped = re.sub(
        r"\\(textbackslash|textasciitilde|textasciicircum|textless|textgreater|textbar|"
        r"textquotedbl)\{\}|\\[&%$#_{}]",
        "",
        text,
    )
    return [char for char in stripped if char in "\\&%$#_{}~^"]


def test_every_special_character_is_text() -> None:
    escaped = latex_escape(EVIL)
    assert _unescaped(escaped) == []
    assert "\x1b" not in escaped
    assert escaped.startswith(r"\textbackslash{}input\{/etc/passwd\}")
    assert r"50\%\_a\&b \$x\$ \#1" in escaped


def test_a_table_escapes_its_cells_and_header_and_writes_minus_signs() -> None:
    table = Table(
        ("algorithm", "mean", "95% CI"), ((EVIL, "-0.5", "[-1.2, 1e-5]"),), numeric=(1, 2)
    )
    written = latex_table(table, caption=f"{EVIL} across tasks", label="x")
    lines = written.splitlines()
    header, row = lines[lines.index(r"\toprule") + 1], lines[lines.index(r"\midrule") + 1]
    assert header == r"algorithm & mean & 95\% CI \\"
    cells = row.removesuffix(r" \\").split(" & ")
    assert len(cells) == 3  # the name's & is text, not a column
    assert _unescaped(cells[0]) == []
    assert cells[1:] == ["$-$0.5", "[$-$1.2, 1e-5]"]
    assert r"\begin{tabular}{lrr}" in written
    caption = next(line for line in written.splitlines() if line.startswith(r"\caption"))
    assert _unescaped(caption.removeprefix(r"\caption{").removesuffix("}")) == []


def test_a_document_holds_every_table_and_its_notes_as_comments() -> None:
    one = Table(("a",), (("1",),))
    document = latex_document([("first", one), ("second", one)], ["caution: line\nbreak"])
    assert document.count(r"\begin{table}") == 2
    assert r"\label{seedwise:2}" in document
    # A note is one comment line: a newline in it cannot end the comment.
    assert document.rstrip().splitlines()[-1].startswith("% caution: line")


def test_a_file_that_cannot_be_written_is_one_line(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(UsageError, match="--latex cannot write its file") as error:
        write_latex(blocker / "tables.tex", "x")
    assert "\n" not in str(error.value)
    write_latex(tmp_path / "deep" / "t.tex", "tables")
    assert (tmp_path / "deep" / "t.tex").read_text() == "tables"
    assert [p.name for p in (tmp_path / "deep").iterdir()] == ["t.tex"]
