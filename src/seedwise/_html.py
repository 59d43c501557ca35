"""Small HTML builders for notebook display and reports: every value is escaped.

The plain-text display of the same results in a notebook is
:func:`notebook_text`.

Text from users and from the store (study names, config values, metric
names, error messages) is never markup. Each builder here escapes what it is
given with the standard ``html.escape``, except values that are already
:class:`Html`, which only these builders make. A value that reaches the page
unescaped therefore has to be wrapped in ``Html`` on purpose.

Example:
    >>> str(element("td", "<script>alert(1)</script>"))
    '<td>&lt;script&gt;alert(1)&lt;/script&gt;</td>'
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Sequence
from typing import Any

from seedwise._user_text import visible

__all__ = [
    "NOTEBOOK_STYLE",
    "Html",
    "element",
    "escape",
    "join",
    "notebook_block",
    "notebook_text",
    "table",
]

#: The style of every notebook display: a compact table that follows the notebook's theme.
NOTEBOOK_STYLE = (
    ".seedwise-display table{border-collapse:collapse;margin:0.3em 0}"
    ".seedwise-display th,.seedwise-display td{padding:0.15em 0.6em;text-align:left;"
    "border-bottom:1px solid rgba(127,127,127,0.3);vertical-align:top}"
    ".seedwise-display td.number{text-align:right;font-variant-numeric:tabular-nums}"
    ".seedwise-display .note{opacity:0.75;font-size:0.9em}"
    ".seedwise-display .bad{color:#b00020;font-weight:bold}"
    ".seedwise-display .good{color:#1b7a1b;font-weight:bold}"
)


# Elements without content or end tag.
_VOID = frozenset({"br", "hr", "img", "meta"})


class Html(str):
    """A string of trusted markup, made by the builders of this module."""

    __slots__ = ()


def escape(value: object) -> Html:
    """``value`` as text that a browser shows as written, never as markup.

    Equivalent to ``html.escape(str(value), quote=True)`` of the value with its
    control characters made visible (:func:`seedwise._user_text.visible`: a
    terminal escape sequence or a bidirectional override is shown, not
    obeyed), except that an :class:`Html` value is returned unchanged.

    Args:
        value: Anything; it is converted with ``str``.

    Returns:
        The escaped text, as :class:`Html`.
    """
    if isinstance(value, Html):
        return value
    return Html(html.escape(visible(str(value)), quote=True))


def join(parts: Iterable[object], separator: str = "") -> Html:
    """The parts, each escaped unless already :class:`Html`, joined by ``separator``.

    Args:
        parts: Text or markup.
        separator: Put between the parts (escaped too).

    Returns:
        The joined markup.
    """
    return Html(escape(separator).join(escape(part) for part in parts))


def element(tag: str, *children: object, **attributes: object) -> Html:
    """``<tag attributes>children</tag>``, every child and attribute value escaped.

    Args:
        tag: The tag's name, from seedwise's own code (never from user data).
        *children: Text or :class:`Html`; None is left out (void elements
            such as ``img`` take none).
        **attributes: Attribute values; ``class_`` stands for ``class``, a
            trailing ``_`` is dropped and ``_`` becomes ``-``. None and False
            leave the attribute out; True writes it without a value.

    Returns:
        The element's markup.
    """
    written = []
    for name, value in attributes.items():
        if value is None or value is False:
            continue
        key = name.rstrip("_").replace("_", "-")
        written.append(f" {key}" if value is True else f' {key}="{escape(value)}"')
    if tag in _VOID:
        return Html(f"<{tag}{''.join(written)}>")
    inner = join(child for child in children if child is not None)
    return Html(f"<{tag}{''.join(written)}>{inner}</{tag}>")


def table(
    header: Sequence[object],
    rows: Iterable[Sequence[object]],
    *,
    row_classes: Sequence[str | None] | None = None,
    numeric: Sequence[int] = (),
    class_: str | None = None,
) -> Html:
    """A table with one header row; each cell escaped unless already :class:`Html`.

    Args:
        header: The column titles.
        rows: The rows, each as long as ``header``.
        row_classes: A class for each row (None for none).
        numeric: The columns to align as numbers.
        class_: The table's class.

    Returns:
        The table's markup.
    """
    head = element("thead", element("tr", *(element("th", title) for title in header)))
    body = []
    for index, row in enumerate(rows):
        cells = [
            element("td", cell, class_="number" if column in numeric else None)
            for column, cell in enumerate(row)
        ]
        row_class = row_classes[index] if row_classes is not None else None
        body.append(element("tr", *cells, class_=row_class))
    return element("table", head, element("tbody", *body), class_=class_)


def notebook_block(*children: object) -> Html:
    """A block for a notebook's output: the shared style, then ``children``.

    Args:
        *children: Text or :class:`Html`.

    Returns:
        ``<div class="seedwise-display">`` with a ``<style>`` and the children.
    """
    return element(
        "div", Html(f"<style>{NOTEBOOK_STYLE}</style>"), *children, class_="seedwise-display"
    )


def notebook_text(self: object, printer: Any, cycle: bool) -> None:
    """A result's plain-text display in a notebook: its ``str``, not its dataclass repr.

    IPython shows the ``text/plain`` form (a console, nbclient and papermill
    outputs, notebooks rendered to text) with the ``_repr_pretty_`` of the
    first class in the MRO that defines either it or ``__repr__``. A
    dataclass defines ``__repr__``, so a base class's ``_repr_pretty_`` is
    never reached: each result class names this function itself,
    ``_repr_pretty_ = notebook_text``.

    Args:
        self: The result.
        printer: IPython's ``RepresentationPrinter``.
        cycle: Whether the result is being printed inside itself.
    """
    # IPython's terminal console writes it to a terminal: control characters made visible.
    printer.text(f"{type(self).__name__}(...)" if cycle else visible(str(self)))
