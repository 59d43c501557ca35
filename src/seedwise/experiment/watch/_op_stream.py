"""One run's ops as the recorders report them: digests streamed to a log, one op captured.

Shared by :mod:`seedwise.experiment.watch.ops` and the framework recorders.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import IO, TYPE_CHECKING

from seedwise._frames import CodeOwners

if TYPE_CHECKING:
    import numpy as np

__all__ = ["ALIAS", "CAPTURED", "LOG", "SUMMARY", "UNWRITTEN", "OpStream"]

LOG = "ops.log"
SUMMARY = "ops.json"
CAPTURED = "captured.json"
#: The digest written for an output whose bytes are not compared.
UNWRITTEN = "-"
ALIAS = "="


@dataclass
class OpStream:
    """The ops of one run, in the order they ran, as the recorders report them."""

    folder: Path
    capture: int | None
    count: int = 0
    owners: CodeOwners = field(default_factory=CodeOwners)
    _log: IO[str] | None = None

    def open(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        if self.capture is None:
            # Large buffer: one write per megabyte of log, not one per op.
            self._log = (self.folder / LOG).open("w", encoding="utf-8", buffering=1 << 20)

    def close(self, recorded: list[str], missing: list[str]) -> None:
        if self._log is not None:
            self._log.close()
        summary = {"count": self.count, "recorded": recorded, "missing": missing}
        (self.folder / SUMMARY).write_text(json.dumps(summary))

    def digest(self, name: str, digest: str) -> None:
        """One op ran (digest mode): append its line to the log."""
        assert self._log is not None
        self._log.write(f"{name}\t{digest}\n")

    def save(
        self,
        name: str,
        framework: str,
        inputs: list[str],
        outputs: list[np.ndarray | str],
        frame: FrameType | None,
        location: str | None = None,
    ) -> None:
        """The captured op: its outputs as ``.npy``, the rest in ``captured.json``."""
        import numpy as np

        files: list[str | None] = []
        described: list[str] = []
        for position, output in enumerate(outputs):
            if isinstance(output, str):
                described.append(output)
                files.append(None)
                continue
            file = f"output-{position}.npy"
            np.save(self.folder / file, output, allow_pickle=False)
            described.append(f"{output.dtype}{list(output.shape)}")
            files.append(file)
        where = location if location is not None else self.owners.user_location(frame)
        captured = {
            "index": self.capture,
            "op": name,
            "framework": framework,
            "inputs": inputs,
            "outputs": described,
            "files": files,
            "location": where,
        }
        (self.folder / CAPTURED).write_text(json.dumps(captured))
