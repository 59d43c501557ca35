"""One document, three writers: the same cells in terminal text, HTML and Markdown."""

from __future__ import annotations

from seedwise._document import (
    Figure,
    Paragraph,
    Table,
    html_blocks,
    markdown_lines,
    markdown_text,
    text_lines,
)

TABLE = Table(("study", "n", "mean"), (("<a>", "30", "0.5"), ("b|c", "8", "-1.25")), numeric=(1, 2))
BLOCKS = [
    Paragraph("Comparison", "heading"),
    Paragraph("b beats a (baseline) on mse: b - a = -0.4", "good"),
    TABLE,
    Paragraph("one note", "note"),
    Paragraph("small n", "warning"),
    Figure("metric-1", "mse by seed"),
]


def test_text_aligns_numbers_right_and_leaves_figures_out() -> None:
    assert text_lines(BLOCKS) == [
        "Comparison",
        "b beats a (baseline) on mse: b - a = -0.4",
        "study   n   mean",
        "-----  --  -----",
        "<a>    30    0.5",
        "b|c     8  -1.25",
        "one note",
        "warning: small n",
    ]


def test_html_escapes_every_cell_and_draws_figures_it_is_given() -> None:
    markup = html_blocks(BLOCKS, lambda figure: None)
    assert "<h3>Comparison</h3>" in markup
    assert '<p class="verdict good">b beats a (baseline) on mse: b - a = -0.4</p>' in markup
    assert "<td>&lt;a&gt;</td>" in markup
    assert '<td class="number">-1.25</td>' in markup
    assert '<p class="note">warning: small n</p>' in markup
    assert "<img" not in markup


def test_markdown_escapes_cells_keeps_notes_together_and_links_figures() -> None:
    lines = markdown_lines(BLOCKS, lambda figure: f"files/{figure.key}.png")
    assert lines[:4] == [
        "### Comparison",
        "",
        f"**{markdown_text('b beats a (baseline) on mse: b - a = -0.4')}**",
        "",
    ]
    assert "| study | n | mean |" in lines
    assert "| --- | ---: | ---: |" in lines
    assert "| &lt;a&gt; | 30 | 0.5 |" in lines
    assert "| b\\|c | 8 | -1.25 |" in lines
    notes = lines.index("_one note_  ")
    assert lines[notes + 1 : notes + 3] == ["_warning: small n_  ", ""]
    assert lines[-2:] == ["![mse by seed](files/metric-1.png)", ""]


CONTROL = Table(("metric", "n"), (("\x1b[31mred", "3"), ("ok\u202e", "30")), numeric=(1,))


def test_every_writer_shows_control_characters_as_their_escapes() -> None:
    blocks = [Paragraph("study \x1b]0;pwn\x07", "warning"), CONTROL]
    assert text_lines(blocks) == [
        "warning: study \\x1b]0;pwn\\x07",
        # Aligned on the escaped text, the one the terminal shows.
        "metric        n",
        "-----------  --",
        "\\x1b[31mred   3",
        "ok\\u202e     30",
    ]
    markdown = "\n".join(markdown_lines(blocks))
    html = str(html_blocks(blocks))
    for written in (markdown, html):
        assert not any(character in written for character in "\x1b\x07\u202e")
    # Markdown escapes the backslash and the bracket, so that they show as written.
    assert "| \\\\x1b\\[31mred | 3 |" in markdown
    assert "<td>\\x1b[31mred</td>" in html
