"""Documents made of tables and paragraphs, written as terminal text, HTML or Markdown.

What seedwise shows (a summary, a comparison, a report) is built once as
blocks: :class:`Table`, :class:`Paragraph`, :class:`Figure`, grouped in
:class:`Section`\\ s. Each output walks the same blocks: :func:`text_lines`
for the terminal, :func:`html_blocks` for notebooks and HTML reports,
:func:`markdown_lines` for Markdown reports. Cells and paragraphs hold raw
text; each writer escapes it for its output, and each shows control
characters (terminal escape sequences) as their escapes
(:func:`seedwise._user_text.visible`).

Example:
    >>> table = Table(("metric", "n"), (("mse", "30"),), numeric=(1,))
    >>> text_lines([Paragraph("study a"), table])
    ['study a', 'metric   n', '------  --', 'mse     30']
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal

from seedwise._html import Html, element, join, table
from seedwise._user_text import visible

__all__ = [
    "Block",
    "Figure",
    "Paragraph",
    "Section",
    "Style",
    "Table",
    "html_blocks",
    "markdown_lines",
    "markdown_text",
    "text_lines",
]

#: How a paragraph is shown: plain text, a note or a warning (quieter), a
#: verdict (bold; ``good`` when it names a winner), or a heading.
Style = Literal["plain", "note", "warning", "verdict", "good", "heading"]


@dataclass(frozen=True)
class Table:
    """A table of text cells.

    Attributes:
        header: The column titles.
        rows: The rows, each as long as ``header``.
        highlight: For each row, whether to highlight it (the studies differ there).
        numeric: The columns that hold numbers (aligned right).
    """

    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    highlight: tuple[bool, ...] = ()
    numeric: tuple[int, ...] = ()


@dataclass(frozen=True)
class Paragraph:
    """One line of text and how to show it."""

    text: str
    style: Style = "plain"


@dataclass(frozen=True)
class Figure:
    """A picture, by the key of its image, with its alternative text."""

    key: str
    alt: str


Block = Table | Paragraph | Figure


@dataclass(frozen=True)
class Section:
    """A titled part of a report, reached by its anchor (``short``: its name in the contents)."""

    anchor: str
    title: str
    blocks: tuple[Block, ...]
    short: str | None = None

    @property
    def contents_title(self) -> str:
        """What a table of contents calls the section: ``short``, else the title."""
        return self.title if self.short is None else self.short


def _text_table(found: Table) -> list[str]:
    header = tuple(map(visible, found.header))
    rows = [tuple(map(visible, row)) for row in found.rows]
    widths = [max(len(cell) for cell in column) for column in zip(header, *rows, strict=True)]

    def line(cells: Sequence[str]) -> str:
        padded = [
            cell.rjust(width) if index in found.numeric else cell.ljust(width)
            for index, (cell, width) in enumerate(zip(cells, widths, strict=True))
        ]
        return "  ".join(padded).rstrip()

    return [line(header), "  ".join("-" * width for width in widths), *map(line, rows)]


def text_lines(blocks: Sequence[Block]) -> list[str]:
    """The blocks as terminal lines: tables in aligned columns, figures left out.

    Control characters in cells and paragraphs are shown as their escapes, so
    that no escape sequence from a name or a message reaches the terminal.

    Args:
        blocks: What to show.

    Returns:
        The lines, without line ends.
    """
    lines: list[str] = []
    for block in blocks:
        if isinstance(block, Table):
            lines.extend(_text_table(block) if block.rows else [])
        elif isinstance(block, Paragraph):
            prefix = "warning: " if block.style == "warning" else ""
            lines.append(prefix + visible(block.text))
    return lines


_HTML_CLASSES: dict[Style, str | None] = {
    "plain": None,
    "note": "note",
    "warning": "note",
    "verdict": "verdict",
    "good": "verdict good",
    "heading": None,
}


def html_blocks(
    blocks: Sequence[Block], image: Callable[[Figure], Html | None] | None = None
) -> Html:
    """The blocks as HTML, every cell and paragraph escaped.

    Args:
        blocks: What to show.
        image: Makes a figure's ``<img>``; None (or a None result) leaves it out.

    Returns:
        The markup.
    """
    parts: list[object] = []
    for block in blocks:
        if isinstance(block, Table):
            classes: list[str | None] = [
                "differs" if marked else None for marked in block.highlight
            ]
            parts.append(
                table(block.header, block.rows, row_classes=classes or None, numeric=block.numeric)
            )
        elif isinstance(block, Paragraph):
            text = f"warning: {block.text}" if block.style == "warning" else block.text
            tag = "h3" if block.style == "heading" else "p"
            parts.append(element(tag, text, class_=_HTML_CLASSES[block.style]))
        elif image is not None:
            parts.append(image(block))
    return join(parts, "\n")


_SYNTAX = re.compile(r"([\\`*_{}\[\]()#+!|~])")


def markdown_text(value: object) -> str:
    """``value`` as Markdown that shows it as written: never markup, never HTML.

    Args:
        value: Anything; it is converted with ``str``.

    Returns:
        One line of escaped text.
    """
    # Control characters made visible first: str.split takes some (\x1c-\x1f, \x85) for spaces.
    text = " ".join(visible(str(value)).split())
    # Backslashes first: escaping after html.escape would break its entities.
    return html.escape(_SYNTAX.sub(r"\\\1", text), quote=False)


def _markdown_table(found: Table) -> list[str]:
    if not found.rows:
        return []
    marked = bool(found.highlight) and any(found.highlight)

    def cells(row: Sequence[str], bold: bool = False) -> str:
        texts = [markdown_text(cell) for cell in row]
        if bold:
            texts = [f"**{text}**" if text else text for text in texts]
        return "| " + " | ".join(texts) + " |"

    aligns = ["---:" if column in found.numeric else "---" for column in range(len(found.header))]
    lines = [cells(found.header), "| " + " | ".join(aligns) + " |"]
    for index, row in enumerate(found.rows):
        lines.append(cells(row, bold=marked and found.highlight[index]))
    return [*lines, ""]


def markdown_lines(
    blocks: Sequence[Block], image: Callable[[Figure], str | None] | None = None
) -> list[str]:
    """The blocks as Markdown lines, every cell and paragraph escaped.

    Consecutive notes are kept together as one paragraph (each ends in a
    hard line break).

    Args:
        blocks: What to show.
        image: The path of a figure's image; None (or a None result) leaves it out.

    Returns:
        The lines, each block followed by a blank line.
    """
    lines: list[str] = []
    for index, block in enumerate(blocks):
        if isinstance(block, Table):
            lines += _markdown_table(block)
        elif isinstance(block, Paragraph):
            text = markdown_text(
                f"warning: {block.text}" if block.style == "warning" else block.text
            )
            if block.style in ("note", "warning"):
                lines.append(f"_{text}_  ")
                following = blocks[index + 1] if index + 1 < len(blocks) else None
                if not (
                    isinstance(following, Paragraph) and following.style in ("note", "warning")
                ):
                    lines.append("")
            elif block.style == "heading":
                lines += [f"### {text}", ""]
            elif block.style in ("verdict", "good"):
                lines += [f"**{text}**", ""]
            else:
                lines += [text, ""]
        elif image is not None:
            path = image(block)
            if path is not None:
                lines += [f"![{markdown_text(block.alt)}]({path})", ""]
    return lines
