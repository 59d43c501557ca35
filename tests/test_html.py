"""Notebook display: every result renders as escaped HTML (``_repr_html_``) and prints readably."""

from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path

import pytest

import seedwise
from seedwise._html import Html, element, escape, notebook_text, table
from seedwise.check import Cause, CheckResult, Divergence
from seedwise.check.kept import keep_verdict, kept_verdict, kept_verdicts
from seedwise.records import RunRecord, RunStatus
from seedwise.seeding import SeedReport
from seedwise.stats import Summaries
from seedwise.stats.comparison_results import verdict_line
from seedwise.store import Store, open_study

SCRIPT = "<script>alert(1)</script>"
BRACKETS = "x[/]y"


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def _shown(markup: str) -> tuple[list[str], str]:
    """The tags of ``markup`` and the text a browser shows."""
    parser = _Text()
    parser.feed(markup)
    parser.close()
    return parser.tags, "".join(parser.text)


def _check_result(experiment: str = SCRIPT) -> CheckResult:
    return CheckResult(
        experiment=experiment,
        seed=1,
        run_seed=7,
        reproducible=False,
        first_divergence=Divergence("two fresh processes", "metric", 3, "<loss>"),
        causes=[Cause("PYTHONHASHSEED", "set iteration <order>", "sort the set", "t.py:3")],
        metrics={"mse": float("nan"), "acc": 0.5},
        runs=["fresh process: ok", "warm process: ok"],
        fingerprints=2,
        duration=1.25,
    )


def test_builders_escape_text_and_keep_trusted_markup() -> None:
    assert escape(SCRIPT) == "&lt;script&gt;alert(1)&lt;/script&gt;"
    assert escape(Html("<b>x</b>")) == "<b>x</b>"
    assert element("td", SCRIPT, class_='a"b') == (
        '<td class="a&quot;b">&lt;script&gt;alert(1)&lt;/script&gt;</td>'
    )
    assert element("img", src="data:x", alt="<") == '<img src="data:x" alt="&lt;">'
    assert element("th", None, hidden=True, title=None) == "<th hidden></th>"
    assert table(["<a>"], [[BRACKETS]], row_classes=["differs"], numeric=[0]) == (
        "<table><thead><tr><th>&lt;a&gt;</th></tr></thead><tbody>"
        '<tr class="differs"><td class="number">x[/]y</td></tr></tbody></table>'
    )


def test_summary_and_summaries_render_escaped_with_their_methods() -> None:
    summary = seedwise.summarize([0.3, 0.1, 0.2, 0.5], metric=SCRIPT, n_resamples=200)
    tags, shown = _shown(summary._repr_html_())
    assert "script" not in tags
    assert "".join([SCRIPT, "4", "0.275"]) in shown
    assert f"intervals: mean: {summary.mean_ci.method}; median: {summary.median_ci.method}" in shown
    assert "95% CI of the mean" in shown
    assert "[95% CI " not in shown  # the header says the level, once
    assert "95% t-interval of the mean" in shown
    summaries = Summaries(
        {
            SCRIPT: seedwise.summarize([1.0, 2.0, 4.0], metric=SCRIPT),
            BRACKETS: seedwise.summarize([3.0, 3.0, 3.0], metric=BRACKETS),
        },
        study=SCRIPT,
    )
    tags, shown = _shown(summaries._repr_html_())
    assert "script" not in tags
    assert tags.count("tr") == 3
    assert BRACKETS in shown
    assert SCRIPT in shown
    # Why the constant metric has no interval is said, not left blank.
    reason = summaries[BRACKETS].mean_ci.note
    assert reason
    assert f"{BRACKETS}: interval of the mean: {reason}" in shown


def test_comparison_renders_every_pair_escaped() -> None:
    comparison = seedwise.compare(
        [3.1, 2.9, 3.4, 3.0, 3.2, 3.3],
        [2.1, 2.0, 2.4, 2.2, 1.9, 2.3],
        metric="mse",
        labels=[SCRIPT, BRACKETS],
        n_resamples=200,
    )
    tags, shown = _shown(comparison._repr_html_())
    assert "script" not in tags
    verdict = verdict_line(comparison.pairs[0])
    assert verdict in shown
    assert f"P({BRACKETS} beats {SCRIPT})" in shown
    assert "corrected" in shown
    assert "rank" in shown
    tags, shown = _shown(comparison.pairs[0]._repr_html_())
    assert verdict in shown
    assert "script" not in tags


def test_check_result_renders_the_verdict_and_causes() -> None:
    result = _check_result()
    tags, shown = _shown(result._repr_html_())
    assert "script" not in tags
    assert f"{SCRIPT} (seed 1, run seed 7): NOT reproducible" in shown
    assert "set iteration <order>" in shown
    assert "sort the set" in shown
    assert "runs part at step 3 (two fresh processes), metric <loss>" in shown
    assert str(result).startswith(f"{SCRIPT} (seed 1, run seed 7): NOT reproducible")


def test_seed_report_renders_a_table_with_warnings_marked() -> None:
    report = SeedReport(seed=3, deterministic=True)
    report.add("python", "random.seed(3)", "ok")
    report.add("torch", SCRIPT, "warning", "needs <CUBLAS>")
    tags, shown = _shown(report._repr_html_())
    assert "script" not in tags
    assert tags.count("tr") == 3
    assert "seedwise.seed_everything(3): deterministic ops on" in shown
    assert "needs <CUBLAS>" in shown
    assert "1 warning(s)" in shown
    assert 'class="bad">WARN' in report._repr_html_()


def test_study_renders_its_definition_runs_and_metrics(tmp_path: Path) -> None:
    path = tmp_path / "seedwise.db"
    with Store(path) as store:
        store.ensure_study(
            SCRIPT,
            experiment="e.py:f",
            config={"note": BRACKETS},
            seed=4,
            settings={},
            code_hash="ab" * 32,
        )
        for repeat, value in enumerate([0.5, 0.7, float("nan")]):
            store.record_run(RunRecord(SCRIPT, repeat, repeat, RunStatus.OK, metrics={"m": value}))
        store.record_run(RunRecord(SCRIPT, 3, 3, RunStatus.FAILED, error="<boom>"))
    with open_study(path, SCRIPT) as study:
        markup = study._repr_html_()
        printed = str(study)
        frame = study.to_pandas()
    tags, shown = _shown(markup)
    assert "script" not in tags
    assert f"study {SCRIPT}" in shown
    assert '{"note": "x[/]y"}' in shown
    assert "3 ok, 1 failed, 0 crashed, 0 timeout" in shown
    # n counts the finite values: the NaN is left out of the numbers.
    assert "".join(["m", "2", "0.6"]) in shown
    assert printed.splitlines() == [
        f'study {SCRIPT}: e.py:f, seed 4, config {{"note": "x[/]y"}}',
        "4 runs: 3 ok, 1 failed, 0 crashed, 0 timeout",
        "metric  n  mean     std  median  min, max",
        "------  -  ----  ------  ------  --------",
        "m       2   0.6  0.1414     0.6  0.5, 0.7",
    ]
    assert list(frame.columns[:5]) == ["study", "config.note", "repeat", "seed", "status"]
    assert set(frame["study"]) == {SCRIPT}


def test_a_kept_verdict_round_trips_and_a_broken_file_is_absent(tmp_path: Path) -> None:
    store = tmp_path / "seedwise.db"
    inputs = {"experiment": "e.py:f", "code": "h", "seed": 1, "config": {"a": 1}}
    path = keep_verdict(store, inputs, _check_result("e.py:f"))
    assert path.parent == tmp_path / "checks"
    kept = kept_verdict(store, inputs)
    assert kept is not None
    assert kept.result.to_dict() == _check_result("e.py:f").to_dict()
    assert kept.matches("e.py:f", "h", {"a": 1})
    assert not kept.matches("e.py:f", "h", {"a": 2})
    assert kept_verdict(store, {**inputs, "seed": 2}) is None
    (tmp_path / "checks" / "broken.json").write_text("{not json")
    assert [found.path for found in kept_verdicts(store)] == [path]


@pytest.mark.parametrize("value", [SCRIPT, BRACKETS, '"quoted" & <tag>'])
def test_escape_round_trips_through_a_parser(value: str) -> None:
    tags, shown = _shown(element("p", value))
    assert tags == ["p"]
    assert shown == value


class _Printer:
    """Enough of IPython's ``RepresentationPrinter`` for a ``_repr_pretty_`` that writes text."""

    def __init__(self) -> None:
        self.written: list[str] = []

    def text(self, text: str) -> None:
        self.written.append(text)


def _plain_text(result: object) -> str:
    """The ``text/plain`` form a notebook shows, by IPython's rule where IPython is absent.

    IPython walks the MRO and takes the first class that defines
    ``_repr_pretty_`` (called) or ``__repr__`` (``repr``) in its own ``__dict__``.
    """
    try:
        from IPython.lib.pretty import pretty
    except ImportError:
        pass
    else:
        return str(pretty(result))
    for cls in type(result).__mro__:
        if "_repr_pretty_" in cls.__dict__:
            printer = _Printer()
            cls.__dict__["_repr_pretty_"](result, printer, False)
            return "".join(printer.written)
        if cls is not object and "__repr__" in cls.__dict__:
            return repr(result)
    return repr(result)


def test_results_show_their_readable_text_in_a_notebook_not_the_dataclass_repr() -> None:
    summary = seedwise.summarize([0.3, 0.1, 0.2, 0.5], metric="mse", n_resamples=200)
    comparison = seedwise.compare(
        [3.1, 2.9, 3.4, 3.0, 3.2, 3.3], [2.1, 2.0, 2.4, 2.2, 1.9, 2.3], n_resamples=200
    )
    report = SeedReport(seed=3, deterministic=True)
    report.add("python", "random.seed(3)", "ok")
    results = [
        summary,
        Summaries({"mse": summary}, study="base"),
        comparison,
        comparison.pairs[0],
        _check_result("train.py"),
        report,
    ]
    for result in results:
        shown = _plain_text(result)
        assert shown == str(result), type(result).__name__
        assert not shown.startswith(f"{type(result).__name__}("), shown


def test_escape_shows_control_characters_as_their_escapes() -> None:
    assert escape("a\x1b[2J<b>\u202e") == "a\\x1b[2J&lt;b&gt;\\u202e"
    tags, shown = _shown(element("pre", "line 1\n\tline 2"))
    assert (tags, shown) == (["pre"], "line 1\n\tline 2")


def test_the_notebook_text_shows_control_characters_as_their_escapes() -> None:
    printer = _Printer()
    notebook_text(_check_result("t\x1b[2J.py"), printer, False)
    written = "".join(printer.written)
    assert "\x1b" not in written
    assert "t\\x1b[2J.py" in written
