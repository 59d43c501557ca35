"""The report's figures: what their legends say."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest

from seedwise.report import plots
from seedwise.report.data import Curve


def test_a_study_whose_name_starts_with_an_underscore_keeps_its_legend_entry(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # matplotlib leaves "_"-labels out of a legend it gathers itself: the curves of
    # "__main__.train-..." (a notebook run under nbclient) had no legend at all.
    drawn: list[Any] = []
    monkeypatch.setattr(plots, "_png", lambda figure: drawn.append(figure) or b"")
    curve = Curve(np.arange(3), np.array([[1.0, 0.5, 0.25], [1.0, 0.6, 0.3]]))
    studies = [SimpleNamespace(name=name) for name in ("__main__.train-1a2b", "_b", "c")]
    plots.curve_figure("loss", [(study, curve) for study in studies])  # type: ignore[misc]
    legend = drawn[0].axes[0].get_legend()
    assert legend is not None
    assert [text.get_text() for text in legend.get_texts()] == [
        "__main__.train-1a2b (2 runs)",
        "_b (2 runs)",
        "c (2 runs)",
    ]
