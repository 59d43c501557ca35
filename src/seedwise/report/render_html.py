"""The report as one self-contained HTML file: styles inline, figures as data URLs.

The page loads nothing from anywhere: no script, no font, no stylesheet. Its
Content-Security-Policy allows only inline styles and ``data:`` images, so
even a value that escaped escaping could not run. Every text from the store
goes through :func:`seedwise._html.escape`; anchors are numbered, never made
from names.
"""

from __future__ import annotations

import base64
from collections.abc import Sequence

from seedwise._html import Html, element, join, table
from seedwise.report.attribution import attribution_notes, attribution_table
from seedwise.report.data import ReportData
from seedwise.report.tables import (
    Table,
    comparison_notes,
    estimates_table,
    facts_table,
    failures_table,
    interval_methods,
    overview_table,
    ranking_table,
    summary_table,
    tests_table,
    verdicts_table,
)

__all__ = ["DATE_MARK", "render_html"]

#: The start of the one line that changes between two reports of the same store.
DATE_MARK = '<p class="generated">'

_CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'"

_STYLE = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif;
margin:0 auto;max-width:1200px;padding:1em 2em;color:#1d1d1f;background:#fff;line-height:1.4}
h1{font-size:1.6em;margin-bottom:0.2em}h2{margin-top:1.6em;border-bottom:2px solid #ddd}
h3{margin-bottom:0.3em}
table{border-collapse:collapse;margin:0.5em 0 1em;font-size:0.9em}
th,td{padding:0.25em 0.7em;border-bottom:1px solid #e3e3e3;text-align:left;vertical-align:top;
overflow-wrap:anywhere}
th{background:#f4f4f6}td.number{text-align:right;font-variant-numeric:tabular-nums}
tr.differs td{background:#fff3c4}tr.differs td:first-child{font-weight:bold}
img{max-width:100%;height:auto;border:1px solid #eee}
.generated,.note{color:#555;font-size:0.9em}.verdict{font-weight:bold;margin-top:0.8em}
.good{color:#1b7a1b}.bad{color:#b00020}nav ol{columns:2}
code{background:#f4f4f6;padding:0 0.2em}
""".strip()


def _table(found: Table) -> Html:
    classes: list[str | None] = ["differs" if marked else None for marked in found.highlight]
    return table(
        found.header,
        found.rows,
        row_classes=classes or None,
        numeric=found.numeric,
    )


def _notes(lines: Sequence[str]) -> Html:
    return join(element("p", line, class_="note") for line in lines)


def _image(png: bytes, alt: str) -> Html:
    encoded = base64.b64encode(png).decode("ascii")
    return element("img", src=f"data:image/png;base64,{encoded}", alt=alt)


def _section(anchor: str, title: str, *body: object) -> Html:
    return element("section", element("h2", title), *body, id=anchor)


def render_html(data: ReportData, figures: dict[str, bytes]) -> str:
    """The report as one HTML document.

    Args:
        data: What the report shows.
        figures: PNG bytes by key: ``metric-1``, ``metric-2``, ... for the
            metrics in order, ``curve-1``, ... for the logged metrics.

    Returns:
        The document's text.
    """
    names = tuple(study.name for study in data.studies)
    contents: list[tuple[str, str]] = [("studies", "Studies")]
    sections = [
        _section(
            "studies",
            "Studies",
            _table(overview_table(data)),
            element("h3", "Definitions"),
            element("p", "Highlighted rows differ between the studies.", class_="note")
            if len(names) > 1
            else None,
            _table(facts_table(data.definitions, names)),
        )
    ]
    for index, metric in enumerate(data.metrics, start=1):
        anchor = f"metric-{index}"
        contents.append((anchor, f"Metric {metric.name}"))
        parts: list[object] = []
        if anchor in figures:
            parts.append(_image(figures[anchor], f"{metric.name}: values by seed and intervals"))
        parts.append(_table(summary_table(metric)))
        parts.append(_notes(interval_methods(metric)))
        comparison = metric.comparison
        if comparison is not None:
            parts.append(element("h3", "Comparison"))
            parts.append(_notes(comparison_notes(comparison)))
            for pair in comparison.pairs:
                parts.append(
                    element(
                        "p",
                        pair.verdict,
                        class_="verdict good" if pair.winner is not None else "verdict",
                    )
                )
                parts.append(_table(tests_table(pair)))
                parts.append(_table(estimates_table(pair)))
                parts.append(_notes([f"warning: {warning}" for warning in pair.warnings]))
            parts.append(_table(ranking_table(comparison)))
            parts.append(_notes([f"warning: {warning}" for warning in comparison.warnings]))
        sections.append(_section(anchor, f"Metric: {metric.name}", *parts))
    if data.logged:
        contents.append(("curves", "Learning curves"))
        images = [
            _image(figures[f"curve-{index}"], f"{name} by step")
            for index, name in enumerate(data.logged, start=1)
            if f"curve-{index}" in figures
        ]
        sections.append(_section("curves", "Learning curves (logged steps)", *images))
    if data.attributions:
        contents.append(("attribution", "Variance by source"))
        shares = []
        for index, result in enumerate(data.attributions, start=1):
            alt = f"share of the variance of {result.metric} by source"
            shares.append(_image(figures[f"attribution-{index}"], alt))
            shares += [_table(attribution_table(result)), _notes(attribution_notes(result))]
        sections.append(_section("attribution", "Variance by source", *shares))
    failures, more = failures_table(data)
    contents.append(("failures", "Failures"))
    sections.append(
        _section(
            "failures",
            "Failures",
            _table(failures) if failures.rows else element("p", "Every run finished."),
            _notes(more),
        )
    )
    verdicts = verdicts_table(data)
    contents.append(("check", "Reproducibility check"))
    sections.append(
        _section(
            "check",
            "Reproducibility check",
            _table(verdicts)
            if verdicts.rows
            else element(
                "p",
                "No kept seedwise check verdict for these studies' code and config "
                "(seedwise check EXPERIMENT --keep keeps one beside the store).",
            ),
        )
    )
    contents.append(("environment", "Environment"))
    sections.append(
        _section(
            "environment",
            "Environment",
            element("p", "Highlighted rows differ between the studies.", class_="note")
            if len(names) > 1
            else None,
            _table(facts_table(data.environments, names)),
        )
    )
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
    body = join([header, navigation, *sections], "\n")
    document = ["<!DOCTYPE html>", '<html lang="en">', "<head>", head, "</head>", "<body>", body]
    return "\n".join([*document, "</body>", "</html>", ""])
