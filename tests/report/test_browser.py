"""The HTML report rendered by a real headless Chromium, offline, with its screenshot kept.

The browser comes from Debian's ``chromium`` package (or
``chromium-headless-shell``), which ``make test`` installs when it is
missing. Without one the test is skipped on a workstation and fails in CI
(``CI=true``). The screenshot is written under the test's tmp dir and
copied to :data:`SCREENSHOT`, where CI can keep it.
"""

from __future__ import annotations

import html
import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from seedwise.report import write_report
from seedwise.store import open_store, open_study
from tests.conftest import ROOT
from tests.report.conftest import STUDIES, write_sweep

#: Where the latest screenshot is kept (build/ is ignored by git).
SCREENSHOT = ROOT / "build" / "test-artifacts" / "report-chromium.png"
BROWSERS = ("chromium-headless-shell", "chromium", "chromium-browser", "google-chrome")
WIDTH, HEIGHT = 1280, 2400
# The first study's colour in the figures (matplotlib's tab:blue).
FIGURE_BLUE = np.array([31, 119, 180])


def _browser() -> str:
    for name in BROWSERS:
        found = shutil.which(name)
        if found is not None:
            return found
    message = (
        f"No headless Chromium on PATH (looked for {', '.join(BROWSERS)}); "
        "`make test` installs Debian's chromium package"
    )
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(message)
    pytest.skip(message)


def _run(browser: str, profile: Path, *arguments: str) -> subprocess.CompletedProcess[str]:
    command = [
        browser,
        "--headless",
        "--no-sandbox",  # CI runs as root, where Chromium's sandbox refuses to start
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--no-first-run",
        "--hide-scrollbars",
        f"--user-data-dir={profile}",
        *arguments,
    ]
    # HOME inside the tmp dir: the browser writes its caches there, not in the user's home.
    environment = {**os.environ, "HOME": str(profile)}
    return subprocess.run(
        command, capture_output=True, text=True, timeout=120, env=environment, check=False
    )


def _report_of(store_path: Path, path: Path) -> Path:
    """The HTML report of the three studies of ``store_path``, written to ``path``."""
    studies = [open_study(store_path, name) for name in STUDIES]
    try:
        return write_report(studies, path, n_resamples=200)
    finally:
        for study in studies:
            study.close()


def test_chromium_renders_the_report_offline(store_path: Path, tmp_path: Path) -> None:
    browser = _browser()
    report = _report_of(store_path, tmp_path / "report.html")
    url = report.resolve().as_uri()
    profile = tmp_path / "profile"

    dom = _run(browser, profile, "--dump-dom", url)
    assert dom.returncode == 0, dom.stderr[-2000:]
    # The browser parsed the names as text: no script element came out of the page.
    assert "<script" not in dom.stdout.lower()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in dom.stdout
    assert dom.stdout.count("<section") == 7
    # Two metrics, each with its values and its ranking diagram, and one learning curve.
    assert dom.stdout.count('src="data:image/png;base64,') == 5

    shot = tmp_path / "report.png"
    taken = _run(browser, profile, f"--screenshot={shot}", f"--window-size={WIDTH},{HEIGHT}", url)
    assert taken.returncode == 0, taken.stderr[-2000:]
    SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(shot, SCREENSHOT)

    from matplotlib.image import imread

    pixels = (imread(shot)[..., :3] * 255).round().astype(int)
    assert pixels.shape == (HEIGHT, WIDTH, 3)
    # Text and tables were drawn: a good share of the page is not background.
    assert (pixels.min(axis=2) < 200).mean() > 0.02
    # The embedded figures were decoded and painted: their points' blue is on the page.
    blue = (np.abs(pixels - FIGURE_BLUE).max(axis=2) <= 12).sum()
    assert blue > 50, f"no figure pixels in the screenshot ({blue}); see {SCREENSHOT}"
    # The highlighted rows of the definitions table (studies differ in config.lr).
    highlight = (np.abs(pixels - np.array([255, 243, 196])).max(axis=2) <= 3).sum()
    assert highlight > 1000


#: Appended to a copy of the report (whose policy allows no script): every word of every
#: table cell that the browser laid out on more than one line, as JSON in #broken. A word
#: is a run of letters, digits and dots: "median", "0.007139"; breaking at a hyphen or
#: a slash, as "signed-|rank" or "</|script>", is not breaking a word.
MEASURE_WORDS = """
<pre id="broken"></pre>
<script>
const broken = [];
for (const cell of document.querySelectorAll("th, td")) {
  const walker = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    for (const match of node.data.matchAll(/[\\w.]+/g)) {
      const range = document.createRange();
      range.setStart(node, match.index);
      range.setEnd(node, match.index + match[0].length);
      const lines = new Set([...range.getClientRects()].map((rect) => Math.round(rect.top)));
      if (lines.size > 1) broken.push(`${cell.tagName} ${match[0]}`);
    }
  }
}
document.getElementById("broken").textContent = JSON.stringify(broken);
</script>
"""


@pytest.mark.parametrize("width", [1280, 800])
def test_no_table_cell_breaks_a_word_at_the_widths_users_open_it(
    width: int, store_path: Path, tmp_path: Path
) -> None:
    browser = _browser()
    report = _report_of(store_path, tmp_path / "report.html")
    page = re.sub(r'<meta http-equiv="Content-Security-Policy"[^>]*>', "", report.read_text())
    measured = tmp_path / "measured.html"
    measured.write_text(page.replace("</body>", MEASURE_WORDS + "</body>"))
    dom = _run(
        browser, tmp_path / "profile", f"--window-size={width},2400", "--dump-dom",
        measured.resolve().as_uri(),
    )  # fmt: skip
    assert dom.returncode == 0, dom.stderr[-2000:]
    found = re.search(r'<pre id="broken">(.*?)</pre>', dom.stdout, re.DOTALL)
    assert found is not None, dom.stdout[-2000:]
    # Headers ("failed", "median", "statistic") and numbers stay whole; wide tables scroll.
    assert json.loads(html.unescape(found.group(1))) == []


def test_a_missing_browser_fails_in_ci_and_skips_elsewhere(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(shutil, "which", lambda name: None)
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="make test` installs Debian's chromium"):
        _browser()
    monkeypatch.setenv("CI", "")
    with pytest.raises(pytest.skip.Exception):
        _browser()


@pytest.mark.parametrize("width", [1280, 800])
def test_a_sweeps_report_renders_with_every_word_whole(width: int, tmp_path: Path) -> None:
    # 8 cells of two keys: one row each, the ranking and its diagram, the heat map, the
    # marginal effects, the best compared with the next 7.
    browser = _browser()
    path = tmp_path / "sweep.db"
    names = write_sweep(path, {"lr": [0.1, 0.01], "width": [16, 32, 64, 128]})
    with open_store(path) as store:
        report = write_report(
            [store.study(name) for name in names], tmp_path / "sweep.html", n_resamples=200
        )
    page = re.sub(r'<meta http-equiv="Content-Security-Policy"[^>]*>', "", report.read_text())
    measured = tmp_path / "measured.html"
    measured.write_text(page.replace("</body>", MEASURE_WORDS + "</body>"))
    dom = _run(
        browser, tmp_path / "profile", f"--window-size={width},2400", "--dump-dom",
        measured.resolve().as_uri(),
    )  # fmt: skip
    assert dom.returncode == 0, dom.stderr[-2000:]
    # The values by seed, the critical-difference diagram and the heat map.
    assert dom.stdout.count('src="data:image/png;base64,') == 3
    assert "marginal effects" in dom.stdout
    found = re.search(r'<pre id="broken">(.*?)</pre>', dom.stdout, re.DOTALL)
    assert found is not None, dom.stdout[-2000:]
    assert json.loads(html.unescape(found.group(1))) == []


def test_chromium_renders_the_across_tasks_section(tmp_path: Path) -> None:
    from tests.report.test_across_tasks import write_tasks

    browser = _browser()
    path = tmp_path / "tasks.db"
    names = write_tasks(path)
    with open_store(path) as store:
        report = write_report(
            [store.study(name) for name in names],
            tmp_path / "tasks.html",
            metrics=["mse"],
            n_resamples=1000,
        )
    page = re.sub(r'<meta http-equiv="Content-Security-Policy"[^>]*>', "", report.read_text())
    measured = tmp_path / "measured.html"
    measured.write_text(page.replace("</body>", MEASURE_WORDS + "</body>"))
    dom = _run(
        browser, tmp_path / "profile", "--window-size=1280,2400", "--dump-dom",
        measured.resolve().as_uri(),
    )  # fmt: skip
    assert dom.returncode == 0, dom.stderr[-2000:]
    section = dom.stdout[dom.stdout.index('id="across-tasks"') :]
    section = section[: section.index("</section>")]
    # Intervals, profiles, probability of improvement and the critical-difference diagram.
    assert section.count('src="data:image/png;base64,') == 4
    assert "Demsar's path" in section
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in section
    assert "<script>alert" not in dom.stdout
    found = re.search(r'<pre id="broken">(.*?)</pre>', dom.stdout, re.DOTALL)
    assert found is not None, dom.stdout[-2000:]
    assert json.loads(html.unescape(found.group(1))) == []
