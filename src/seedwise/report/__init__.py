"""Reports of studies: plots, one self-contained HTML file, or Markdown with PNGs.

``seedwise.write_report(studies, "report.html")`` and ``seedwise report
STUDY [STUDY ...] -o report.html``. :mod:`~seedwise.report.data` reads and
computes, :mod:`~seedwise.report.plots` draws, the renderers format.
"""

from __future__ import annotations

from seedwise.report.data import ReportData as ReportData
from seedwise.report.data import gather as gather
from seedwise.report.write import REPORT_SUFFIXES as REPORT_SUFFIXES
from seedwise.report.write import report_format as report_format
from seedwise.report.write import write_report as write_report

__all__ = ["REPORT_SUFFIXES", "ReportData", "gather", "report_format", "write_report"]
