"""Clearing Keras before each run: its state reset, TensorFlow's import state walked once."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from tests.conftest import ROOT

# Runs in a fresh process: gc.freeze would otherwise reach into the test session's own objects.
PROBE = """
import gc, json, sys, types, weakref

calls = []
keras = types.ModuleType("keras")
keras.backend = types.SimpleNamespace()
if {keras_2}:
    keras.backend.clear_session = lambda: calls.append("keras 2")
else:
    keras.backend.clear_session = lambda free_memory=True: calls.append(free_memory)
sys.modules["keras"] = keras

from seedwise.runner import worker

import_state = [object() for _ in range(1000)]
worker._clear_framework_sessions()
frozen = gc.get_freeze_count()


class Node:
    pass


# A run's leftovers: a reference cycle that only the collector can free.
first, second = Node(), Node()
first.other, second.other = second, first
alive = weakref.ref(first)
del first, second
worker._clear_framework_sessions()
print(json.dumps({{"calls": calls, "frozen": frozen, "after": gc.get_freeze_count(),
                  "cycle_freed": alive() is None}}))
"""


def _probe(keras_2: bool) -> dict[str, object]:
    completed = subprocess.run(
        [sys.executable, "-c", PROBE.format(keras_2=keras_2)],
        capture_output=True,
        text=True,
        env=dict(os.environ, PYTHONPATH=str(ROOT / "src")),
        check=True,
    )
    result: dict[str, object] = json.loads(completed.stdout)
    return result


@pytest.mark.parametrize("keras_2", [False, True], ids=["keras 3", "keras 2"])
def test_the_import_state_is_frozen_once_and_a_run_s_cycles_are_still_freed(
    keras_2: bool,
) -> None:
    found = _probe(keras_2)
    # Keras 3 is asked not to collect (seedwise collects once itself); Keras 2 cannot be asked.
    assert found["calls"] == (["keras 2", "keras 2"] if keras_2 else [False, False])
    assert isinstance(found["frozen"], int)
    assert found["frozen"] >= 1000
    # The second clearing froze nothing more: only what was alive at the first is out of sight.
    assert found["after"] == found["frozen"]
    assert found["cycle_freed"] is True


def test_nothing_is_cleared_or_frozen_where_keras_was_never_imported() -> None:
    code = (
        "import gc, sys; from seedwise.runner import worker; "
        "worker._clear_framework_sessions(); "
        "print(gc.get_freeze_count(), 'keras' in sys.modules)"
    )
    completed = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env=dict(os.environ, PYTHONPATH=str(ROOT / "src")),
        check=True,
    )
    assert completed.stdout.split() == ["0", "False"]
