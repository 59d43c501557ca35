"""``--store`` naming something that is not a store file: one line, exit 2, nothing written."""

from __future__ import annotations

from pathlib import Path

import pytest

from seedwise.cli import main
from tests.runner.conftest import FAST, NOISY


def leftovers(device: str) -> list[Path]:
    return [Path(device + suffix) for suffix in ("-journal", "-wal", "-shm")]


@pytest.mark.parametrize("device", ["/dev/null", "/dev/zero"])
@pytest.mark.parametrize("command", [["run", NOISY, *FAST, "--repeats", "1"], ["ls"]])
def test_a_device_as_store_is_one_line(
    device: str, command: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    if not Path(device).exists() or any(path.exists() for path in leftovers(device)):
        pytest.skip(f"no {device} here, or an earlier program left {device}-journal")
    assert main([*command, "--store", device]) == 2
    out, err = capsys.readouterr()
    assert err == (
        "seedwise: error: The store path is not a regular file. "
        f"Received: store={device!r} (a character device); "
        "expected a regular file, or a path where none exists to create a store\n"
    )
    assert "no studies" not in out
    assert not any(path.exists() for path in leftovers(device))


def test_a_file_of_proc_is_not_a_store(capsys: pytest.CaptureFixture[str]) -> None:
    if not Path("/proc/self/status").exists():
        pytest.skip("no /proc here")
    assert main(["ls", "--store", "/proc/self/status"]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert "it is not an SQLite database" in err
