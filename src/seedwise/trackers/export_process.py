"""``--log-to`` written from a process of its own, for a tracker whose client is heavy.

MLflow's client takes seconds of CPU to import and to open a SQLite store
(SQLAlchemy, alembic, its ORM). Made on a thread of the study's process,
that work holds the interpreter's lock the study's own loop needs, and the
study waits on it. Made in a process of its own, it runs beside the study
on whatever core is free.

The study's process sends each stored run by name (``{"run": [STUDY,
REPEAT]}``), the sweep to nest cells under, and the studies to finish with
the summaries it made of them (pickled: the writer is its own child, of the
same seedwise), one JSON line each on the writer's stdin; the writer reads each run from the
store (read-only) and writes it with the same :class:`StudyWriter` as the
thread. The end of its stdin ends it: it writes what it was sent, then
prints its failures as one JSON line. It runs in a session of its own, so
that Ctrl-C at the terminal reaches the study, which then asks it to write
what was stored; a second Ctrl-C ends it at once.
"""

from __future__ import annotations

import base64
import contextlib
import gc
import json
import pickle
import queue
import subprocess
import sys
import threading
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from seedwise.records import RunRecord
from seedwise.trackers._export import StudyWriter, first_line, prepare_export

if TYPE_CHECKING:
    from seedwise.stats import Summaries

__all__ = ["ExportProcess", "main"]


class ExportProcess:
    """The calls of an :class:`~seedwise.trackers._export.ExportThread`, made in a child process.

    Args:
        tracker, where, experiment: The export, as ``--log-to`` names it
            (already checked by :func:`~seedwise.trackers._export.prepare_export`).
        store: The store the studies run in.
        report: Also each study's HTML report, where the tracker keeps one.
    """

    def __init__(
        self, tracker: str, where: str | None, experiment: str | None, store: Path, report: bool
    ) -> None:
        self._failures: list[str] = []
        self._process = subprocess.Popen(
            [sys.executable, "-c", "from seedwise.trackers.export_process import main; main()"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            start_new_session=True,
        )
        # The study never waits on the pipe: a thread feeds it from a queue of any length,
        # while the writer is still importing its client or is slower than the runs.
        self._lines: queue.SimpleQueue[str | None] = queue.SimpleQueue()
        self._feeder = threading.Thread(target=self._feed, name="seedwise-tracker", daemon=True)
        self._feeder.start()
        self._send(
            {
                "tracker": tracker,
                "where": where,
                "experiment": experiment,
                "store": str(store),
                "report": report,
            }
        )

    def log_run(self, record: RunRecord) -> None:
        """Write one stored run (the writer reads it from the store)."""
        self._send({"run": [record.study, record.repeat]})

    def nest(self, sweep: str, cells: Sequence[str]) -> None:
        """Write ``cells`` under one entry of ``sweep``."""
        self._send({"nest": [sweep, list(cells)]})

    def finish(
        self, studies: Sequence[str], summaries: Mapping[str, Summaries] | None = None
    ) -> None:
        """Write what is missing of ``studies`` and their summaries (given, or made there).

        A summary made here spares the writer its statistics' imports (SciPy,
        half a second), on the path the study's last wait is made of.
        """
        given = base64.b64encode(pickle.dumps(dict(summaries or {}))).decode()
        self._send({"finish": list(studies), "summaries": given})

    def close(self) -> list[str]:
        """Let the writer write everything sent, and end; the failures, one line each.

        A second Ctrl-C meanwhile ends the writer at once.
        """
        stdout = self._process.stdout
        assert stdout is not None
        try:
            self._lines.put(None)
            self._feeder.join()
            answer = stdout.read()
            code = self._process.wait()
        except BaseException:
            self._process.kill()
            self._process.wait()
            raise
        try:
            self._failures += json.loads(answer.strip().splitlines()[-1])["failures"]
        except (ValueError, IndexError, KeyError, TypeError):
            if not self._failures:
                self._failures.append(f"the tracker's writer process ended with exit code {code}")
        return self._failures

    def _send(self, message: dict[str, Any]) -> None:
        self._lines.put(json.dumps(message) + "\n")

    def _feed(self) -> None:
        """Write each queued line to the writer's stdin; close it after the last."""
        stdin = self._process.stdin
        assert stdin is not None
        while (line := self._lines.get()) is not None:
            try:
                stdin.write(line)
                stdin.flush()
            except OSError:  # the writer ended: what it said comes out in close()
                break
        with contextlib.suppress(OSError):
            stdin.close()


def main() -> None:
    """The writer's side: read the export, then each call, from stdin; failures to stdout."""
    answer: IO[str] = sys.stdout
    sys.stdout = sys.stderr  # what a tracker's client prints must not mix with the answer
    failures = _serve(sys.stdin)
    gc.freeze()  # the interpreter's last collections walk MLflow's objects for seconds
    answer.write(json.dumps({"failures": failures}) + "\n")
    answer.flush()


def _serve(lines: IO[str]) -> list[str]:
    # Importing MLflow and opening its store make hundreds of thousands of objects, and
    # the collector's passes over them cost a fifth of that time (0.3 s of 1.6 s): it is
    # off until then, and what they made is frozen out of its later passes.
    gc.disable()
    try:
        spec = json.loads(lines.readline())
        opener = prepare_export(spec["tracker"], spec["where"], spec["experiment"])
    except Exception as caught:
        return [first_line(caught)]
    writer = StudyWriter(opener, Path(spec["store"]), bool(spec["report"]))
    gc.freeze()
    gc.enable()
    try:
        for line in lines:
            message = json.loads(line)
            if "run" in message:
                study, repeat = message["run"]
                writer.log_stored_run(str(study), int(repeat))
            elif "nest" in message:
                sweep, cells = message["nest"]
                writer.nest(str(sweep), [str(c) for c in cells])
            elif "finish" in message:
                summaries = pickle.loads(base64.b64decode(message["summaries"]))
                writer.finish([str(s) for s in message["finish"]], summaries)
    finally:
        writer.close()
    return writer.failures
