"""``seedwise report`` and ``write_report``: structure, escaping, determinism, the CLI."""

from __future__ import annotations

import math
from collections.abc import Sequence
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from seedwise.cli import main
from seedwise.errors import UsageError
from seedwise.records import RunRecord, RunStatus
from seedwise.report import gather, write_report
from seedwise.report.outline import outline
from seedwise.report.render_html import DATE_MARK
from seedwise.report.render_markdown import DATE_MARK as MARKDOWN_DATE_MARK
from seedwise.report.render_markdown import markdown_text
from seedwise.stats import compare, summarize
from seedwise.stats.comparison_results import verdict_line
from seedwise.store import Store, open_store
from tests.report.conftest import (
    BRACKETS,
    ERROR,
    IMAGE,
    SCRIPT,
    STUDIES,
    add_study,
    write_three_studies,
)

RESAMPLES = 200
ALLOWED_TAGS = {
    "html", "head", "meta", "title", "style", "body", "header", "h1", "h2", "h3", "p", "span",
    "nav", "ol", "li", "a", "section", "table", "thead", "tbody", "tr", "th", "td", "img",
    "div", "strong",
}  # fmt: skip


class _Page(HTMLParser):
    """Every element with its attributes, the text of each, and where it sits."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict[str, str | None]]] = []
        self.stack: list[str] = []
        self.sections: dict[str, list[str]] = {}
        self.tables: list[list[str]] = []
        self.text: list[str] = []
        self._section: str | None = None
        self._in_th = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        self.elements.append((tag, found))
        if tag == "section":
            self._section = found.get("id")
            self.sections[str(self._section)] = []
        if tag == "table":
            self.tables.append([])
        self._in_th = tag == "th"

    def handle_endtag(self, tag: str) -> None:
        if tag == "th":
            self._in_th = False

    def handle_data(self, data: str) -> None:
        self.text.append(data)
        if self._section is not None and data.strip():
            self.sections[self._section].append(data)
        if self._in_th:
            self.tables[-1].append(data)


def _parse(text: str) -> _Page:
    page = _Page()
    page.feed(text)
    page.close()
    return page


def _report(store_path: Path, output: Path, **options: object) -> str:
    with open_store(store_path) as store:
        studies = [store.study(name) for name in STUDIES]
        written = write_report(studies, output, n_resamples=RESAMPLES, **options)  # type: ignore[arg-type]
    assert written == output
    return output.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def shared_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The studies of ``store_path``, made once for the tests that only read them."""
    return write_three_studies(tmp_path_factory.mktemp("shared") / "store" / "seedwise.db")


@pytest.fixture(scope="module")
def html_report(shared_store: Path) -> str:
    """The HTML report of ``shared_store``, written once for the tests that only read it."""
    return _report(shared_store, shared_store.parent.parent / "report.html")


def test_the_html_report_has_every_part_in_order(html_report: str) -> None:
    page = _parse(html_report)
    assert list(page.sections) == [
        "studies",
        "metric-1",
        "metric-2",
        "curves",
        "failures",
        "check",
        "environment",
    ]
    headings = [text for text in page.text if text.startswith("Metric: ")]
    assert headings == ["Metric: mse", "Metric: accuracy"]
    images = [attrs["src"] for tag, attrs in page.elements if tag == "img"]
    # Per metric its values and its ranking diagram (three studies), and one for the
    # logged loss, each embedded: nothing to fetch.
    assert len(images) == 5
    assert all(str(src).startswith("data:image/png;base64,iVBORw0KGgo") for src in images)
    links = [attrs["href"] for tag, attrs in page.elements if tag == "a"]
    assert links == [f"#{name}" for name in page.sections]
    assert {tag for tag, _ in page.elements} <= ALLOWED_TAGS
    csp = [attrs for tag, attrs in page.elements if attrs.get("http-equiv")]
    assert csp[0]["content"] == "default-src 'none'; img-src data:; style-src 'unsafe-inline'"


def test_the_report_shows_the_numbers_of_summary_and_compare(
    shared_store: Path, html_report: str
) -> None:
    page = _parse(html_report)
    with open_store(shared_store) as store:
        studies = [store.study(name) for name in STUDIES]
        samples = [study.sample("mse") for study in studies]
        expected = compare(*samples, goal="min", n_resamples=RESAMPLES)
        first = summarize(samples[0], n_resamples=RESAMPLES)
    mse = " ".join(page.sections["metric-1"])
    for pair in expected.pairs:
        # Three studies, all pairs: no pair has a baseline to name.
        assert verdict_line(pair, baseline="") in mse
    primary = expected.pairs[0].primary
    assert primary is not None
    assert f"{primary.name} (primary)" in mse
    assert "corrected over 3 pairs with Holm" in mse
    assert f"mean: {first.mean_ci.method}; median: {first.median_ci.method}" in mse
    assert f"{first.mean:.4g}" in mse
    low, high = first.mean_ci.low, first.mean_ci.high
    # The column says "95% CI of the mean"; the cell holds the bounds only.
    assert (low is None and "n/a" in mse) or f"[{low:.4g}, {high:.4g}]" in mse
    summary_header = page.tables[2]
    assert summary_header[:4] == ["study", "n", "failed", "mean"]
    # The failed run: counted in the overview, listed with its reason.
    failures = " ".join(page.sections["failures"])
    assert ERROR in failures
    overview = " ".join(page.sections["studies"])
    assert "none kept" in overview


@pytest.mark.slow
def test_each_metric_gets_the_goal_its_name_says(store_path: Path, tmp_path: Path) -> None:
    # accuracy is 0.8, 0.85 and 0.9 in the three studies, and mse falls from one to the next.
    text = _report(store_path, tmp_path / "report.html")
    page = _parse(text)
    mse, accuracy = (" ".join(page.sections[f"metric-{i}"]) for i in (1, 2))
    assert "goal: lower is better (inferred from the name 'mse'; --goal max to override)" in mse
    assert f"{BRACKETS} beats baseline on mse" in mse
    assert (
        "goal: higher is better (inferred from the name 'accuracy'; --goal min to override)"
        in accuracy
    )
    verdicts = [
        line
        for line in page.text
        if " on accuracy: " in line and line.startswith((BRACKETS, SCRIPT))
    ]
    assert [line.split(" on accuracy")[0] for line in verdicts] == [
        f"{SCRIPT} beats baseline",
        f"{BRACKETS} beats baseline",
        f"{BRACKETS} beats {SCRIPT}",
    ]
    assert "lower is better" not in accuracy
    assert "mean (highest first)" in accuracy
    markdown = _report(store_path, tmp_path / "report.md")
    assert f"**{markdown_text(f'{BRACKETS} beats baseline on accuracy: ')}" in markdown
    assert markdown_text("higher is better (inferred from the name 'accuracy'") in markdown
    with open_store(store_path) as store:
        studies = [store.study(name) for name in STUDIES]
        inferred = gather(studies, n_resamples=RESAMPLES)
        given = gather(studies, goal="min", n_resamples=RESAMPLES)
    assert inferred.goal is None
    assert [m.comparison.goal for m in inferred.metrics if m.comparison] == ["min", "max"]
    assert [m.comparison.goal for m in given.metrics if m.comparison] == ["min", "min"]
    overridden = given.metrics[1].comparison
    assert overridden is not None
    assert overridden.goal_source == "given"
    assert overridden.pair("baseline", BRACKETS).winner == "baseline"


def test_a_metric_whose_name_says_neither_is_reported_as_assumed(tmp_path: Path) -> None:
    from seedwise.records import RunRecord, RunStatus

    path = tmp_path / "seedwise.db"
    with Store(path) as store:
        for index, name in enumerate(("few", "many")):
            store.ensure_study(
                name, experiment="e.py:f", config={}, seed=0, settings={}, code_hash="h"
            )
            for repeat in range(8):
                metrics = {"widgets": 10.0 * index + repeat % 3}
                store.record_run(RunRecord(name, repeat, repeat, RunStatus.OK, metrics=metrics))
    with open_store(path) as store:
        studies = [store.study("few"), store.study("many")]
        write_report(studies, tmp_path / "w.html", n_resamples=RESAMPLES)
    page = _parse((tmp_path / "w.html").read_text())
    widgets = " ".join(page.sections["metric-1"])
    assert (
        "goal: lower is better assumed for metric 'widgets' (its name does not say); "
        "pass --goal max if higher is better"
    ) in widgets
    assert "few (baseline) beats many on widgets: many - few = +" in widgets


@pytest.mark.slow
def test_differences_between_studies_are_highlighted(store_path: Path, tmp_path: Path) -> None:
    text = _report(store_path, tmp_path / "report.html")
    page = _parse(text)
    highlighted = [attrs for tag, attrs in page.elements if tag == "tr" and attrs.get("class")]
    assert all(attrs["class"] == "differs" for attrs in highlighted)
    # config.lr and config.note differ in the definitions; packages.numpy in the environments.
    assert len(highlighted) == 3
    assert '<tr class="differs"><td>config.lr</td>' in text
    assert '<tr class="differs"><td>config.note</td>' in text
    assert '<tr class="differs"><td>packages.numpy</td>' in text
    assert "<tr><td>experiment</td>" in text


def test_everything_from_the_store_is_escaped_in_html(html_report: str) -> None:
    text = html_report
    page = _parse(text)
    assert "<script" not in text.lower()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text
    assert not any(name.startswith("on") for _, attrs in page.elements for name in attrs)
    assert all(attrs.get("src") != "x" for tag, attrs in page.elements if tag == "img")
    shown = "".join(page.text)
    for value in (SCRIPT, BRACKETS, IMAGE, ERROR):
        assert value in shown, value
    assert f"<title>seedwise report: baseline, &lt;script&gt;alert(1)&lt;/script&gt;, {BRACKETS}"
    assert "&lt;b&gt;diverged&lt;/b&gt;" in text


def test_a_metric_name_is_escaped(tmp_path: Path) -> None:
    path = tmp_path / "seedwise.db"
    with Store(path) as store:
        store.ensure_study("m", experiment="e.py:f", config={}, seed=0, settings={}, code_hash="h")
        from seedwise.records import RunRecord, RunStatus

        for repeat in range(4):
            metrics = {"<i>acc</i>": 0.5 + repeat / 10}
            store.record_run(RunRecord("m", repeat, repeat, RunStatus.OK, metrics=metrics))
    with open_store(path) as store:
        write_report([store.study("m")], tmp_path / "m.html", n_resamples=RESAMPLES)
        write_report([store.study("m")], tmp_path / "m.md", n_resamples=RESAMPLES)
    html_text = (tmp_path / "m.html").read_text()
    assert "<i>" not in html_text
    assert "Metric: &lt;i&gt;acc&lt;/i&gt;" in html_text
    assert "## Metric: &lt;i&gt;acc&lt;/i&gt;" in (tmp_path / "m.md").read_text()


def test_the_same_store_gives_the_same_bytes_but_the_date(store_path: Path, tmp_path: Path) -> None:
    first = _report(store_path, tmp_path / "one.html").splitlines()
    second = _report(store_path, tmp_path / "two.html").splitlines()
    dated = [i for i, line in enumerate(first) if line.startswith(DATE_MARK)]
    assert len(dated) == 1
    assert len(first) == len(second)
    differing = [i for i, (a, b) in enumerate(zip(first, second, strict=True)) if a != b]
    assert set(differing) <= set(dated)
    del first[dated[0]], second[dated[0]]
    assert first == second


@pytest.mark.slow
def test_markdown_report_with_its_figures_beside_it(store_path: Path, tmp_path: Path) -> None:
    output = tmp_path / "out" / "report.md"
    text = _report(store_path, output)
    figures = sorted(path.name for path in (tmp_path / "out" / "report_files").iterdir())
    assert figures == [
        "curve-1.png", "metric-1.png", "metric-2.png", "ranking-1.png", "ranking-2.png",
    ]  # fmt: skip
    for name in figures:
        assert f"](report_files/{name})" in text
        assert (tmp_path / "out" / "report_files" / name).read_bytes()[:4] == b"\x89PNG"
    lines = text.splitlines()
    assert (
        lines[0]
        == "# seedwise report: baseline, &lt;script&gt;alert\\(1\\)&lt;/script&gt;, x\\[/\\]y"
    )
    assert [line for line in lines if line.startswith("## ")] == [
        "## Studies",
        "## Metric: mse",
        "## Metric: accuracy",
        "## Learning curves \\(logged steps\\)",
        "## Failures",
        "## Reproducibility check",
        "## Environment",
    ]
    assert "<script" not in text
    assert "<img" not in text
    assert "<b>" not in text
    assert markdown_text(ERROR) in text
    assert "| **config.lr** | **0.01** | **0.02** | **0.03** |" in text
    # The learning curves' section says, under its figure, from when each study is ahead.
    assert "x\\[/\\]y is reliably better than baseline \\(lower loss\\) from step 1 on" in text
    again = _report(store_path, output)
    assert [line for line in again.splitlines() if not line.startswith(MARKDOWN_DATE_MARK)] == [
        line for line in lines if not line.startswith(MARKDOWN_DATE_MARK)
    ]


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        ("<script>", "&lt;script&gt;"),
        ("x[/]y", "x\\[/\\]y"),
        ("a|b*c_d`e", "a\\|b\\*c\\_d\\`e"),
        ("two\nlines", "two lines"),
        ("& 'q' #1", "&amp; 'q' \\#1"),
    ],
)
def test_markdown_text_is_never_markup(value: str, shown: str) -> None:
    assert markdown_text(value) == shown


@pytest.mark.slow
def test_a_kept_check_verdict_shows_for_its_study(store_path: Path, tmp_path: Path) -> None:
    from seedwise.check import CheckResult
    from seedwise.check.kept import keep_verdict

    result = CheckResult(
        experiment="train.py:train",
        seed=3,
        run_seed=42,
        reproducible=False,
        first_divergence=None,
        causes=[],
        metrics={"mse": 0.1},
        runs=["fresh process: ok", "fresh process: ok"],
        fingerprints=4,
        duration=1.0,
    )
    inputs = {"experiment": "train.py:train", "code": "c0de" * 16, "seed": 3}
    keep_verdict(store_path, {**inputs, "config": {"epochs": 6, "lr": 0.01}}, result)
    keep_verdict(store_path, {**inputs, "config": {"epochs": 7}}, result)
    page = _parse(_report(store_path, tmp_path / "report.html"))
    check = " ".join(page.sections["check"])
    # Only the baseline has that config: one row, the verdict and what was checked.
    assert check.count("NOT reproducible") == 1
    assert "baseline" in check
    assert "train.py:train --seed 3" in check
    assert "NOT reproducible (seed 3)" in " ".join(page.sections["studies"])


def test_one_study_has_no_comparison(store_path: Path, tmp_path: Path) -> None:
    with open_store(store_path) as store:
        data = gather([store.study("baseline")], n_resamples=RESAMPLES)
        write_report([store.study("baseline")], tmp_path / "one.html", n_resamples=RESAMPLES)
    assert [metric.comparison for metric in data.metrics] == [None, None]
    page = _parse((tmp_path / "one.html").read_text())
    assert "Comparison" not in page.text
    assert not any(attrs.get("class") == "differs" for _, attrs in page.elements)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"metrics": ["nope"]}, "No study returned that metric. Received: metric='nope'"),
        ({"goal": "up"}, "Unknown goal. Received: goal='up'"),
    ],
)
def test_bad_options_are_refused(
    store_path: Path, tmp_path: Path, options: dict[str, object], message: str
) -> None:
    with open_store(store_path) as store, pytest.raises(UsageError, match=message):
        write_report([store.study("baseline")], tmp_path / "r.html", **options)  # type: ignore[arg-type]
    assert not (tmp_path / "r.html").exists()


def test_a_study_twice_and_a_bad_suffix_are_refused(store_path: Path, tmp_path: Path) -> None:
    with open_store(store_path) as store:
        study = store.study("baseline")
        with pytest.raises(UsageError, match="Each study may appear once"):
            write_report([study, store.study("baseline")], tmp_path / "r.html")
        with pytest.raises(UsageError, match="Received: output="):
            write_report([study], tmp_path / "r.pdf")


def test_the_command_writes_the_report_and_names_it(
    store_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    output = tmp_path / "cli.md"
    argv = ["report", "baseline", BRACKETS, "--store", str(store_path), "-o", str(output)]
    assert main([*argv, "--metric", "mse", "--goal", "min", "--seed", "1"]) == 0
    printed = capsys.readouterr().out
    assert f"report: {output}" in printed
    assert f"figures: {tmp_path / 'cli_files'}" in printed
    text = output.read_text()
    assert "## Metric: mse" in text
    assert "## Metric: accuracy" not in text
    assert sorted(path.name for path in (tmp_path / "cli_files").iterdir()) == [
        "curve-1.png",
        "metric-1.png",
    ]


@pytest.mark.parametrize(
    ("argv", "shown"),
    [
        (["report", "baseline", "-o", "r.pdf"], "argument -o/--output: unknown report format"),
        (["report", "nope"], "Unknown study. Received: study='nope'"),
        (["report", "baseline", "--seed", "-1"], "argument --seed: is out of range"),
    ],
)
def test_the_command_refuses_bad_input_in_one_line(
    store_path: Path, argv: list[str], shown: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main([*argv, "--store", str(store_path)]) == 2
    error = capsys.readouterr().err
    assert shown in error
    assert error.count("\n") == 1


def test_many_failures_are_counted_not_all_listed(tmp_path: Path) -> None:
    path = tmp_path / "seedwise.db"
    with Store(path) as store:
        add_study(store, "flaky", 0, runs=60, failed=range(3, 60))
    with open_store(path) as store:
        write_report([store.study("flaky")], tmp_path / "r.html", n_resamples=RESAMPLES)
    page = _parse((tmp_path / "r.html").read_text())
    failures = page.sections["failures"]
    assert failures.count(ERROR) == 50
    assert "flaky: 7 more failed runs not listed (seedwise show flaky)" in failures


@pytest.mark.slow
def test_html_and_markdown_walk_the_one_outline(store_path: Path, tmp_path: Path) -> None:
    with open_store(store_path) as store:
        data = gather([store.study(name) for name in STUDIES], n_resamples=RESAMPLES)
    sections = outline(data)
    page = _parse(_report(store_path, tmp_path / "r.html"))
    markdown = _report(store_path, tmp_path / "r.md")
    # The same sections, in the same order, under the same titles.
    assert list(page.sections) == [section.anchor for section in sections]
    h2 = [markdown_text(section.title) for section in sections]
    assert [line[3:] for line in markdown.splitlines() if line.startswith("## ")] == h2
    for section in sections:
        assert page.sections[section.anchor][0] == section.title
    # And the same verdict lines in both.
    comparison = data.metrics[0].comparison
    assert comparison is not None
    for pair in comparison.pairs:
        line = verdict_line(pair, baseline="")
        assert line in page.text
        assert f"**{markdown_text(line)}**" in markdown


def test_a_report_reads_each_study_once(store_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import sqlite3

    statements: list[str] = []
    connect = sqlite3.connect

    def traced(*args: Any, **kwargs: Any) -> sqlite3.Connection:
        connection = connect(*args, **kwargs)
        connection.set_trace_callback(statements.append)
        return connection

    monkeypatch.setattr(sqlite3, "connect", traced)
    with open_store(store_path) as store:
        studies = [store.study(name) for name in STUDIES[:2]]
        statements.clear()
        data = gather(studies, n_resamples=RESAMPLES)
    runs = [s for s in statements if s.lstrip().upper().startswith("SELECT") and "FROM runs" in s]
    # Two studies and two metrics: one read of the runs per study (was five: one more for
    # each summary and each comparison of each metric).
    assert len(runs) == 2
    assert [metric.name for metric in data.metrics] == ["mse", "accuracy"]


def test_the_report_shows_one_sign_for_each_pair(store_path: Path, tmp_path: Path) -> None:
    # mse falls from baseline to the next study: that study minus baseline is negative.
    with open_store(store_path) as store:
        studies = [store.study(name) for name in STUDIES[:2]]
        data = gather(studies, n_resamples=RESAMPLES)
        write_report(studies, tmp_path / "two.html", n_resamples=RESAMPLES)
    comparison = data.metrics[0].comparison
    assert comparison is not None
    (pair,) = comparison.pairs
    assert (pair.a, pair.b) == ("baseline", SCRIPT)
    assert pair.shift is not None
    assert pair.shift < 0
    assert pair.difference is not None
    assert pair.difference < 0
    mse = " ".join(_parse((tmp_path / "two.html").read_text()).sections["metric-1"])
    assert f"{SCRIPT} - baseline = {pair.shift:.4g}" in mse
    assert f"shift ({SCRIPT} - baseline), Hodges-Lehmann {pair.shift:.4g}" in mse
    assert f"mean per-seed difference ({SCRIPT} - baseline) {pair.difference:.4g}" in mse


def _constant_study(store: Store, name: str, values: Sequence[float]) -> None:
    store.ensure_study(
        name, experiment="train.py:train", config={}, seed=0, settings={}, code_hash="c0de" * 16
    )
    for repeat, value in enumerate(values):
        record = RunRecord(name, repeat, 100 + repeat, RunStatus.OK, metrics={"accuracy": value})
        store.record_run(record)


@pytest.mark.parametrize(
    ("values_a", "values_b", "shown"),
    [
        # The same study run twice (--workers 1 and --workers 2): equal on every seed.
        ([0.5, 0.52, 0.51, 0.5, 0.53], [0.5, 0.52, 0.51, 0.5, 0.53], "identical"),
        # Runs that diverged: too few finite pairs left to compare.
        ([0.5, math.inf, math.nan, math.nan, 0.53], [0.6, 0.62, math.nan, 0.7, math.inf], ""),
    ],
    ids=["identical", "diverged"],
)
def test_pairs_without_an_effect_size_are_reported(
    tmp_path: Path, values_a: list[float], values_b: list[float], shown: str
) -> None:
    path = tmp_path / "seedwise.db"
    with Store(path) as store:
        _constant_study(store, "one", values_a)
        _constant_study(store, "two", values_b)
    for suffix in ("html", "md"):
        with open_store(path) as store:
            studies = [store.study("one"), store.study("two")]
            write_report(studies, tmp_path / f"r.{suffix}", n_resamples=RESAMPLES)
        assert shown in (tmp_path / f"r.{suffix}").read_text()
