"""What the report gathers: config values that name secrets are masked, as `seedwise show` does."""

from __future__ import annotations

from pathlib import Path

from seedwise.report import gather, write_report
from seedwise.store import Store, open_store
from tests.report.conftest import add_study

SECRETS = {
    "token": "tok-41f8",
    "password": "pw-93aa",
    "api_key": "key-7c21",
    "db": {"password": "pw-nested-55", "host": "db.local"},
}


def _store(tmp_path: Path) -> Path:
    path = tmp_path / "s.db"
    with Store(path) as store:
        add_study(store, "a", 0, runs=3, steps=2, config={"lr": 0.1, **SECRETS})
        add_study(store, "b", 1, runs=3, steps=2, config={"lr": 0.2, **SECRETS, "token": "tok-b"})
    return path


def test_secrets_are_masked_in_the_gathered_definitions(tmp_path: Path) -> None:
    with open_store(_store(tmp_path)) as store:
        data = gather([store.study("a"), store.study("b")], n_resamples=200)
    facts = {row.key: row.values for row in data.definitions}
    assert facts["config.lr"] == ("0.1", "0.2")
    for key in ("config.token", "config.password", "config.api_key", "config.db.password"):
        assert facts[key] == ("***", "***")
    # A secret that differs between studies is not given away as a difference either.
    assert not next(row for row in data.definitions if row.key == "config.token").differs
    assert facts["config.db.host"] == ("db.local", "db.local")


def test_html_and_markdown_reports_hold_no_secret(tmp_path: Path) -> None:
    path = _store(tmp_path)
    values = ["tok-41f8", "tok-b", "pw-93aa", "key-7c21", "pw-nested-55"]
    for name in ("report.html", "report.md"):
        with open_store(path) as store:
            written = write_report(
                [store.study("a"), store.study("b")], tmp_path / name, n_resamples=200
            )
        text = written.read_text()
        assert [value for value in values if value in text] == []
        assert "***" in text or "\\*\\*\\*" in text


def test_a_report_takes_curve_metrics_made_from_the_logged_steps(tmp_path: Path) -> None:
    path = tmp_path / "seedwise.db"
    with Store(path) as store:
        add_study(store, "a", 0, runs=5)
        add_study(store, "b", 1, runs=5)
    with open_store(path) as store:
        data = gather([store.study("a"), store.study("b")], metrics=["auc(loss)", "last(loss, 2)"])
    auc, last = data.metrics
    assert [summary.n for summary in auc.summaries] == [5, 5]
    # b's loss falls faster: a smaller area and a lower end.
    assert auc.summaries[1].mean < auc.summaries[0].mean
    assert last.summaries[1].mean < last.summaries[0].mean
    assert data.curve_results[0].differences[0].better_from is not None
