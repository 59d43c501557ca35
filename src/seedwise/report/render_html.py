"""The report as one self-contained HTML file: styles inline, figures as data URLs.

The page loads nothing from anywhere: no script, no font, no stylesheet. Its
Content-Security-Policy allows only inline styles and ``data:`` images, so
even a value that escaped escaping could not run. Every text from the store
goes through :func:`seedwise._html.escape`; anchors are numbered, never made
from names.
"""

from __future__ import annotations

import base64

from seedwise._document import Figure, html_blocks
from seedwise._html import Html, element, join
from seedwise.report.data import ReportData
from seedwise.report.outline import outline

__all__ = ["DATE_MARK", "render_html"]

#: The start of the one line that changes between two reports of the same store.
DATE_MARK = '<p class="generated">'

_CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'"

_STYLE = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif;
margin:0 auto;max-width:1200px;padding:1em 2em;color:#1d1d1f;background:#fff;line-height:1.4}
h1{font-size:1.6em;margin-bottom:0.2em}h2{margin-top:1.6em;border-bottom:2px solid #ddd}
h3{margin-bottom:0.3em}
table{border-collapse:collapse;margin:0.5em 0 1em;font-size:0.9em;display:block;
max-width:100%;overflow-x:auto}
th,td{padding:0.25em 0.7em;border-bottom:1px solid #e3e3e3;text-align:left;vertical-align:top;
word-break:normal;overflow-wrap:break-word}
th{background:#f4f4f6;white-space:nowrap;overflow-wrap:normal}
td.number{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
tr.differs td{background:#fff3c4}tr.differs td:first-child{font-weight:bold}
img{max-width:100%;height:auto;border:1px solid #eee}
.generated,.note{color:#555;font-size:0.9em}.verdict{font-weight:bold;margin-top:0.8em}
.good{color:#1b7a1b}.bad{color:#b00020}nav ol{columns:2}
code{background:#f4f4f6;padding:0 0.2em}
""".strip()


def _image(png: bytes, alt: str) -> Html:
    encoded = base64.b64encode(png).decode("ascii")
    return element("img", src=f"data:image/png;base64,{encoded}", alt=alt)


def render_html(data: ReportData, figures: dict[str, bytes]) -> str:
    """The report as one HTML document.

    Args:
        data: What the report shows.
        figures: PNG bytes by key: ``metric-1``, ``metric-2``, ... for the
            metrics in order, ``curve-1``, ... for the logged metrics.

    Returns:
        The document's text.
    """

    def image(figure: Figure) -> Html | None:
        png = figures.get(figure.key)
        return None if png is None else _image(png, figure.alt)

    sections = outline(data)
    contents = [(section.anchor, section.contents_title) for section in sections]
    body_sections = [
        element(
            "section",
            element("h2", section.title),
            html_blocks(section.blocks, image),
            id=section.anchor,
        )
        for section in sections
    ]
    navigation = element(
        "nav",
        element(
            "ol",
            *(element("li", element("a", title, href=f"#{anchor}")) for anchor, title in contents),
        ),
    )
    head = join(
        [
            Html('<meta charset="utf-8">'),
            Html(f'<meta http-equiv="Content-Security-Policy" content="{_CSP}">'),
            Html('<meta name="viewport" content="width=device-width, initial-scale=1">'),
            element("title", data.title),
            Html(f"<style>{_STYLE}</style>"),
        ],
        "\n",
    )
    # The date is on its own line so that two reports of one store differ in that line only.
    generated = f"Generated {data.generated} by seedwise {data.version}."
    header = join(
        [
            element("h1", data.title),
            element("p", f"Store: {data.store}", class_="note"),
            Html(f"{DATE_MARK}{element('span', generated)}</p>"),
        ],
        "\n",
    )
    body = join([header, navigation, *body_sections], "\n")
    document = ["<!DOCTYPE html>", '<html lang="en">', "<head>", head, "</head>", "<body>", body]
    return "\n".join([*document, "</body>", "</html>", ""])
