"""The record of when each comparison was first shown (the ``shown`` table, schema version 7)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import numpy as np
import pytest

from seedwise.errors import StoreRowError
from seedwise.records import RunRecord, RunStatus
from seedwise.stats import Sample
from seedwise.store import SCHEMA_VERSION, Showing, Store, grown_since_shown, note_showings
from seedwise.store import open_store as open_reader


def _sample(name: str, n: int) -> Sample:
    return Sample(name, "acc", np.linspace(0.8, 0.9, n), tuple(range(n)))


def _fill(path: Path, runs: dict[str, int]) -> None:
    with Store(path) as store:
        for name, n in runs.items():
            store.ensure_study(
                name, experiment="t.py:f", config={}, seed=0, settings={}, code_hash="c" * 64
            )
            for repeat in range(n):
                record = RunRecord(name, repeat, repeat, RunStatus.OK, metrics={"acc": 0.8})
                store.record_run(record)


def test_the_first_showing_is_kept_and_a_later_growth_is_found(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    _fill(path, {"a": 5, "b": 5})
    with open_reader(path) as reader:
        first = note_showings(reader, [("b", "a")], "acc", {"a": 5, "b": 5}, now=100.0)
        assert first == {("a", "b"): Showing(("a", "b"), "acc", {"a": 5, "b": 5}, 100.0)}
        # Shown again later with more runs: the first showing stays, and the growth is named.
        again = note_showings(reader, [("a", "b")], "acc", {"a": 5, "b": 9}, now=200.0)
        assert again == first
        growths = grown_since_shown(reader, [_sample("a", 5), _sample("b", 9)], [("a", "b")], "acc")
        assert [(g.study, g.other, g.before, g.now, g.shown) for g in growths] == [
            ("b", "a", 5, 9, 100.0)
        ]
        assert "b grew from 5 to 9 runs after its comparison with a on acc" in growths[0].line()
        assert "seedwise run --until-ci" in growths[0].line()
        # Another metric is another comparison.
        assert (
            grown_since_shown(reader, [_sample("a", 5), _sample("b", 9)], [("a", "b")], "f1") == []
        )
    rows = sqlite3.connect(path).execute("SELECT comparison, counts, shown FROM shown").fetchall()
    by_key = {row[0]: row[1:] for row in rows}
    assert by_key['{"metric": "acc", "studies": ["a", "b"]}'] == ('{"a": 5, "b": 5}', 100.0)
    assert by_key['{"metric": "f1", "studies": ["a", "b"]}'][0] == '{"a": 5, "b": 9}'
    assert len(rows) == 2


def test_a_store_this_user_cannot_write_is_left_as_it_is(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    _fill(path, {"a": 3, "b": 3})
    before = path.read_bytes()
    path.chmod(0o444)
    try:
        with open_reader(path) as reader:
            found = note_showings(reader, [("a", "b")], "acc", {"a": 3, "b": 3}, now=1.0)
        # Nothing could be recorded: the showing is today's, and the file is unchanged.
        assert found[("a", "b")].shown == 1.0
        assert path.read_bytes() == before
    finally:
        path.chmod(0o644)


def test_an_older_store_is_not_migrated_to_record_a_showing(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    _fill(path, {"a": 3, "b": 3})
    connection = sqlite3.connect(path)
    connection.execute("DROP TABLE shown")
    connection.execute("DROP TABLE predictions")
    connection.execute("ALTER TABLE studies DROP COLUMN task")
    connection.execute("ALTER TABLE studies DROP COLUMN imported")
    connection.execute("PRAGMA user_version = 4")
    connection.commit()
    connection.close()
    with open_reader(path) as reader:
        assert reader.schema_version == 4 < SCHEMA_VERSION
        note_showings(reader, [("a", "b")], "acc", {"a": 3, "b": 3})
        assert reader.schema_version == 4
        assert reader.showings([("a", "b")], "acc") == {}


@pytest.mark.parametrize(
    ("counts", "shown", "column"),
    [('{"a": "5", "b": 5}', 1.0, "comparison"), ("[5, 5]", 1.0, "counts"), ("{}", "x", "shown")],
)
def test_a_hand_edited_row_is_one_clear_error(
    tmp_path: Path, counts: str, shown: object, column: str
) -> None:
    path = tmp_path / "s.db"
    _fill(path, {"a": 1, "b": 1})
    connection = sqlite3.connect(path)
    key = '{"metric": "acc", "studies": ["a", "b"]}'
    connection.execute("INSERT INTO shown VALUES (?, ?, ?)", (key, counts, shown))
    connection.commit()
    connection.close()
    with open_reader(path) as reader, pytest.raises(StoreRowError, match=f"shown.{column}"):
        reader.showings([("a", "b")], "acc")
