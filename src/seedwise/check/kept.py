"""Check verdicts kept beside the store: reused when nothing changed, shown in reports.

A check is a pure function of the experiment's code, its seed, config and
settings, so its verdict can be kept and reused while those stay the same.
Each verdict is one JSON file in the ``checks`` folder beside the store
file, named after a digest of its inputs::

    {"inputs": {"experiment": ..., "argv": [...], "code": ..., "seed": ...,
                "config": ..., ...},
     "result": CheckResult.to_dict(), "text": str(result)}

The experiment is keyed as a study stores it, resolved (see
:func:`verdict_inputs`): an absolute path, and a script's arguments, which
are part of what it runs. A verdict is then found from any folder, and two
checks of one script with other arguments keep two verdicts.

A file that does not decode is treated as absent, never as an error.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from seedwise.check.result import CheckResult
from seedwise.experiment.code.identity import code_identity
from seedwise.experiment.reference import ExperimentRef, ScriptRef

__all__ = [
    "CHECKS_FOLDER",
    "KeptVerdict",
    "keep_verdict",
    "kept_verdict",
    "kept_verdicts",
    "verdict_inputs",
]

#: The folder beside the store file that holds the kept verdicts.
CHECKS_FOLDER = "checks"


@dataclass(frozen=True)
class KeptVerdict:
    """A check's verdict read back from beside the store.

    Attributes:
        path: The file it was read from.
        inputs: What the check ran: ``experiment`` (the resolved reference,
            as a study stores it), ``argv`` (a script's arguments), ``code``
            (the code identity's digest), ``seed``, ``config`` and the
            settings that change numbers.
        result: The check's result.
    """

    path: Path
    inputs: dict[str, Any]
    result: CheckResult

    def matches(self, experiment: str, code_hash: str, config: Mapping[str, Any]) -> bool:
        """Whether this verdict checked the same code with the same config.

        Args:
            experiment: The study's stored experiment reference (resolved, with
                a script's arguments).
            code_hash: The study's code hash.
            config: The study's config.

        Returns:
            True when all three are the ones the check ran (its seed may differ).
        """
        return (
            self.inputs.get("experiment") == experiment
            and self.inputs.get("code") == code_hash
            and _canonical(self.inputs.get("config")) == _canonical(dict(config))
        )


def verdict_inputs(
    experiment: ExperimentRef,
    *,
    seed: int,
    config: Mapping[str, Any],
    settings: Mapping[str, Any],
) -> dict[str, Any]:
    """What a kept verdict is keyed by: the study's resolved identity and the check's settings.

    Args:
        experiment: The experiment, resolved (``resolve_experiment``), so that
            its text is the one a study of it stores, whichever folder the
            check ran from.
        seed: The study seed checked.
        config: The config checked.
        settings: The settings that change numbers (threads, deterministic
            ops, frameworks); JSON-encodable.

    Returns:
        The inputs, for :func:`keep_verdict` and :func:`kept_verdict`.

    Raises:
        ExperimentError: The experiment's code cannot be read.
    """
    return {
        "experiment": experiment.text,
        "argv": list(experiment.argv) if isinstance(experiment, ScriptRef) else [],
        "code": code_identity(experiment).digest,
        "seed": seed,
        "config": dict(config),
        **settings,
    }


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, default=str)


def _path(store: Path, inputs: Mapping[str, Any]) -> Path:
    digest = hashlib.sha256(_canonical(dict(inputs)).encode()).hexdigest()[:16]
    stem = re.sub(r"[^A-Za-z0-9_.-]+", "-", str(inputs.get("experiment", "check")))[-60:]
    return store.parent / CHECKS_FOLDER / f"{stem.strip('-.') or 'check'}-{digest}.json"


def keep_verdict(store: Path, inputs: Mapping[str, Any], result: CheckResult) -> Path:
    """Write a check's verdict beside ``store``, atomically.

    Args:
        store: The store file the verdict belongs beside.
        inputs: What the check ran (see :class:`KeptVerdict`); JSON-encodable.
        result: The check's result.

    Returns:
        The file written.
    """
    path = _path(store, inputs)
    path.parent.mkdir(parents=True, exist_ok=True)
    data = {"inputs": dict(inputs), "result": result.to_dict(), "text": str(result)}
    partial = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    partial.write_text(json.dumps(data, indent=2, sort_keys=True, default=str))
    os.replace(partial, path)
    return path


def _read(path: Path) -> KeptVerdict | None:
    try:
        data = json.loads(path.read_text())
        return KeptVerdict(path, dict(data["inputs"]), CheckResult.from_dict(data["result"]))
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None


def kept_verdict(store: Path, inputs: Mapping[str, Any]) -> KeptVerdict | None:
    """The verdict kept for exactly these inputs, or None.

    Args:
        store: The store file.
        inputs: What the check would run.

    Returns:
        The kept verdict, or None when there is none or it does not decode.
    """
    path = _path(store, inputs)
    found = _read(path) if path.exists() else None
    if found is None or _canonical(found.inputs) != _canonical(dict(inputs)):
        return None
    return found


def kept_verdicts(store: Path) -> list[KeptVerdict]:
    """Every verdict kept beside ``store`` that decodes, by file name.

    Args:
        store: The store file.

    Returns:
        The verdicts; empty when there is no ``checks`` folder.
    """
    folder = store.parent / CHECKS_FOLDER
    if not folder.is_dir():
        return []
    found = (_read(path) for path in sorted(folder.glob("*.json")))
    return [verdict for verdict in found if verdict is not None]
