"""Which paths a store is opened through: one name per file, symbolic links resolved, regular
files only; refusals write nothing."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

from seedwise.errors import EXIT_USAGE, StoreError
from seedwise.records import RunRecord
from seedwise.store import Store, open_store


def new_store(path: Path, runs: int = 2) -> None:
    with Store(path) as store:
        store.ensure_study("s", experiment="e.py:f", config={}, seed=0, settings={}, code_hash="h")
        for repeat in range(runs):
            store.record_run(RunRecord("s", repeat, seed=repeat, status="ok", metrics={"m": 1.0}))


def snapshot(folder: Path) -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in sorted(folder.iterdir()) if path.is_file()}


def refused(opener: Callable[[Path], object], path: Path) -> str:
    """The one-line refusal of ``opener(path)``; the folder's files are left as they were."""
    before = snapshot(path.parent) if path.parent.is_dir() else None
    with pytest.raises(StoreError) as caught:
        opener(path)
    if before is not None:
        assert snapshot(path.parent) == before
    assert caught.value.exit_code == EXIT_USAGE
    message = str(caught.value)
    assert "\n" not in message
    return message


# Hard links ---------------------------------------------------------------------


@pytest.mark.parametrize("opener", [Store, open_store], ids=["write", "read"])
def test_a_file_with_two_names_is_refused(opener: Callable[[Path], object], tmp_path: Path) -> None:
    first, second = tmp_path / "a.db", tmp_path / "b.db"
    new_store(first)
    os.link(first, second)
    # SQLite keeps the write-ahead log and its index beside each name: two
    # runners on two names would write one file blind of each other.
    for path in (second, first):
        message = refused(opener, path)
        assert message.startswith("Refusing a store file that has 2 names (hard links):")
        assert f"store={str(path)!r}" in message
        assert "expected one path to one file" in message
    second.unlink()
    with open_store(first) as store:
        assert len(store.runs("s")) == 2


def test_a_symbolic_link_to_a_file_with_two_names_is_refused(tmp_path: Path) -> None:
    new_store(tmp_path / "a.db")
    os.link(tmp_path / "a.db", tmp_path / "b.db")
    (tmp_path / "link.db").symlink_to("b.db")
    assert "has 2 names" in refused(Store, tmp_path / "link.db")


# Symbolic links -----------------------------------------------------------------


def test_a_symbolic_link_and_its_target_share_one_log(tmp_path: Path) -> None:
    real, link = tmp_path / "data" / "real.db", tmp_path / "link.db"
    real.parent.mkdir()
    link.symlink_to(real)
    with Store(link) as through_link, Store(real) as direct:
        through_link.ensure_study(
            "s", experiment="e.py:f", config={}, seed=0, settings={}, code_hash="h"
        )
        direct.record_run(RunRecord("s", 0, seed=0, status="ok", metrics={"m": 1.0}))
        assert [run.repeat for run in through_link.runs("s")] == [0]
        assert through_link.path == link
        assert (real.parent / "real.db-wal").exists()
        assert not (tmp_path / "link.db-wal").exists()


def test_reading_through_a_link_sees_the_targets_log(tmp_path: Path) -> None:
    real, link = tmp_path / "data" / "real.db", tmp_path / "link.db"
    real.parent.mkdir()
    link.symlink_to(real)
    with Store(real) as writer:
        writer.ensure_study("s", experiment="e.py:f", config={}, seed=0, settings={}, code_hash="h")
        writer._file.connection.execute("PRAGMA wal_autocheckpoint = 0")
        writer.record_run(RunRecord("s", 0, seed=0, status="ok", metrics={"m": 1.0}))
        # A file nobody may write is read with immutable=1 only while no log
        # holds data: the log beside the target, not beside the link.
        real.chmod(0o444)
        try:
            with open_store(link) as reader:
                assert [run.repeat for run in reader.runs("s")] == [0]
        finally:
            real.chmod(0o644)


def test_a_symbolic_link_loop_is_one_line(tmp_path: Path) -> None:
    loop = tmp_path / "loop.db"
    loop.symlink_to(loop)
    for opener in (Store, open_store):
        message = refused(opener, loop)
        assert message.startswith("The store path cannot be followed")


def test_a_dangling_link_creates_its_target(tmp_path: Path) -> None:
    link = tmp_path / "link.db"
    link.symlink_to(tmp_path / "new" / "real.db")
    assert "No seedwise store" in refused(open_store, link)
    new_store(link)
    assert (tmp_path / "new" / "real.db").is_file()
    assert link.is_symlink()


# Files that are not regular ---------------------------------------------------


@pytest.mark.parametrize("device", ["/dev/null", "/dev/zero"])
@pytest.mark.parametrize("opener", [Store, open_store], ids=["write", "read"])
def test_a_device_is_refused_and_nothing_is_written(
    opener: Callable[[Path], object], device: str
) -> None:
    path = Path(device)
    if not path.exists():
        pytest.skip(f"no {device} here")
    leftovers = [Path(device + suffix) for suffix in ("-journal", "-wal", "-shm")]
    if any(leftover.exists() for leftover in leftovers):
        pytest.skip(f"{device}-journal is already there")
    with pytest.raises(StoreError) as caught:
        opener(path)
    assert str(caught.value).startswith(
        f"The store path is not a regular file. Received: store={device!r} (a character device)"
    )
    assert not any(leftover.exists() for leftover in leftovers)


@pytest.mark.parametrize("opener", [Store, open_store], ids=["write", "read"])
def test_a_named_pipe_is_refused_without_opening_it(
    opener: Callable[[Path], object], tmp_path: Path
) -> None:
    pipe = tmp_path / "pipe.db"
    os.mkfifo(pipe)
    # Opening a pipe to read its first bytes would wait for a writer forever.
    assert "(a named pipe)" in refused(opener, pipe)


def test_a_file_whose_size_says_empty_is_read_for_what_it_holds() -> None:
    status = Path("/proc/self/status")
    if not status.exists():
        pytest.skip("no /proc here")
    for opener in (Store, open_store):
        with pytest.raises(StoreError, match="it is not an SQLite database"):
            opener(status)


def test_an_empty_file_still_reads_as_a_store_with_no_studies(tmp_path: Path) -> None:
    empty = tmp_path / "empty.db"
    empty.touch()
    with open_store(empty) as store:
        assert store.list_studies() == []
    assert empty.stat().st_size == 0
