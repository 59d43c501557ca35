"""The report as Markdown, its figures as PNG files in a folder beside it.

Text from the store is escaped twice over: ``<``, ``>`` and ``&`` as HTML
entities (Markdown passes raw HTML through), and every character that
Markdown reads as syntax (``*``, ``_``, ``[``, ``|``, backticks, ...) with a
backslash. Line breaks in cells become spaces, so a value never starts a line.
"""

from __future__ import annotations

from seedwise._document import Figure, markdown_lines, markdown_text
from seedwise.report.data import ReportData
from seedwise.report.outline import outline

__all__ = ["DATE_MARK", "markdown_text", "render_markdown"]

#: The start of the one line that changes between two reports of the same store.
DATE_MARK = "Generated "


def render_markdown(data: ReportData, figures: dict[str, str]) -> str:
    """The report as one Markdown document.

    Args:
        data: What the report shows.
        figures: The path of each figure relative to the document, by key
            (``metric-1``, ..., ``curve-1``, ...), written by the caller.

    Returns:
        The document's text.
    """

    def image(figure: Figure) -> str | None:
        return figures.get(figure.key)

    lines = [
        f"# {markdown_text(data.title)}",
        "",
        f"Store: {markdown_text(data.store)}  ",
        # The date has this line to itself: two reports of one store differ here only.
        f"{DATE_MARK}{data.generated} by seedwise {data.version}.",
        "",
    ]
    for section in outline(data):
        lines += [f"## {markdown_text(section.title)}", ""]
        lines += markdown_lines(section.blocks, image)
    return "\n".join(lines).rstrip("\n") + "\n"
