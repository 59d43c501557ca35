"""Listing the studies of a store (store/studies.py), hand-edited rows among them."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from seedwise.errors import StoreRowError, StoreRowWarning
from seedwise.records import RunRecord
from seedwise.store import Store


def _store(path: Path) -> Store:
    store = Store(path)
    for name in ("a", "b"):
        store.ensure_study(
            name, experiment="e.py:f", config={}, seed=1, settings={}, code_hash="c0"
        )
        store.record_run(RunRecord(name, 0, 5, "ok", {"m": 1.0}))
    return store


def test_a_listing_skips_rows_it_cannot_decode_with_one_warning_each(tmp_path: Path) -> None:
    with _store(tmp_path / "s.db") as store:
        with sqlite3.connect(store.path) as connection:
            connection.execute("UPDATE studies SET seed = 'abc' WHERE name = 'a'")
            connection.execute(
                "INSERT INTO runs (study, repeat, seed, status, metrics) "
                "VALUES ('ghost', 0, 1, 'ok', '{}')"
            )
        connection.close()
        with pytest.warns(StoreRowWarning) as caught:
            listed = store.list_studies()
        assert [study.name for study in listed] == ["b"]
        assert listed[0].counts["ok"] == 1
        messages = sorted(str(warning.message) for warning in caught)
        assert len(messages) == 2
        assert messages[0].startswith("skipped: A store row cannot be decoded: runs.study of 1 ")
        assert "Received: study='ghost'" in messages[0]
        assert messages[1].startswith(
            "skipped: A store row cannot be decoded: studies.seed of study 'a' is text"
        )
        # Reading the study itself refuses, naming the same row.
        with pytest.raises(StoreRowError, match=r"studies\.seed of study 'a' is text"):
            store.study_record("a")
