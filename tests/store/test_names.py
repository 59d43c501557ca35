"""What a study's name means: ``@`` starts a selector, never a study's name."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

import seedwise
from seedwise.errors import EXIT_USAGE, UsageError
from seedwise.store import Store, open_store
from seedwise.store.names import LAST_STUDY, check_new_name, sweep_of
from tests.runner.conftest import NOISY

DEFINITION = {"experiment": "e.py:f", "config": {}, "seed": 0, "settings": {}, "code_hash": "h"}


@pytest.mark.parametrize("name", ["@last", "@", "@mine"])
def test_a_name_that_starts_with_at_is_refused(tmp_path: Path, name: str) -> None:
    with Store(tmp_path / "s.db") as store:
        with pytest.raises(UsageError) as caught:
            store.ensure_study(name, **DEFINITION)  # type: ignore[arg-type]
        assert store.list_studies() == []
    assert caught.value.exit_code == EXIT_USAGE
    assert str(caught.value) == (
        "A study's name must not start with '@', which marks a selector such as @last. "
        f"Received: name={name!r}; expected a name such as 'baseline' or 'lr-0.1'"
    )


def test_names_with_an_at_elsewhere_are_kept() -> None:
    assert check_new_name("user@host") == "user@host"


def test_seedwise_run_refuses_such_a_name_before_it_creates_a_store(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    with pytest.raises(UsageError, match="must not start with '@'"):
        seedwise.run(NOISY, repeats=1, store=path, name="@last")
    assert not path.exists()


def test_at_last_is_the_selector_even_where_a_study_has_that_name(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    with Store(path) as store:
        store.ensure_study("older", **DEFINITION)  # type: ignore[arg-type]
        store.ensure_study("newest", **DEFINITION)  # type: ignore[arg-type]
    # A store written before names were checked, or edited by hand.
    connection = sqlite3.connect(path)
    with connection:
        connection.execute(
            "INSERT INTO studies (name, experiment, config, seed, settings, code_hash, created) "
            "VALUES (?, 'e.py:f', '{}', 0, '{}', 'h', 0)",
            (LAST_STUDY,),
        )
        connection.execute("UPDATE studies SET created = 1 WHERE name = 'older'")
    connection.close()
    with open_store(path) as store:
        assert store.resolve_name(LAST_STUDY) == "newest"
        assert store.study(LAST_STUDY).name == "newest"


@pytest.mark.parametrize(
    ("name", "sweep"),
    [
        ("lr-grid/lr=0.1,opt=adam", "lr-grid"),
        ("g/model=mmmm~1a2b3c4d5e", "g"),
        ("g/path=a/b", "g"),
        ("baseline", None),
        ("runs/2024", None),
        ("/lr=0.1", None),
        ("g/=1", None),
        ("g/1x=2", None),
    ],
)
def test_a_sweep_cell_is_known_by_its_name(name: str, sweep: str | None) -> None:
    assert sweep_of(name) == sweep
