"""Where a store's files and code lie: its runs beside it, its studies' code in its tree."""

from __future__ import annotations

from pathlib import Path

import pytest

from seedwise.runner.folders import repeat_folder, runs_root, store_tree


def test_a_store_s_tree_is_its_folder_or_the_project_of_a_default_store(tmp_path: Path) -> None:
    assert store_tree(tmp_path / "results" / "s.db") == tmp_path.resolve() / "results"
    assert store_tree(tmp_path / "project" / ".seedwise" / "seedwise.db") == (
        tmp_path.resolve() / "project"
    )
    # Only the default store's folder counts as a project's: another hidden folder does not.
    assert store_tree(tmp_path / ".cache" / "s.db") == tmp_path.resolve() / ".cache"
    (tmp_path / "real").mkdir()
    (tmp_path / "link").symlink_to(tmp_path / "real")
    assert store_tree(tmp_path / "link" / "s.db") == (tmp_path / "real").resolve()
    assert runs_root(tmp_path / "results" / "s.db") == tmp_path / "results" / "s-runs"


def test_the_folders_of_a_relative_store_are_absolute(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert runs_root(Path("c/s.db")) == tmp_path / "c" / "s-runs"
    assert repeat_folder(Path("s.db"), "a", 3) == tmp_path / "s-runs" / "a" / "00003"
