"""The environment fingerprint's GPU entries (seedwise.env)."""

from __future__ import annotations

import sys
import types

import pytest

from seedwise.env import THREAD_VARIABLES, cuda_versions


def test_the_device_a_run_was_given_is_among_the_recorded_variables() -> None:
    assert "CUDA_VISIBLE_DEVICES" in THREAD_VARIABLES


def test_cuda_and_cudnn_versions_come_from_an_imported_torch(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delitem(sys.modules, "torch", raising=False)
    assert cuda_versions() == {}  # torch not imported: nothing, and no import
    assert "torch" not in sys.modules
    fake = types.SimpleNamespace(
        version=types.SimpleNamespace(cuda="12.4"),
        backends=types.SimpleNamespace(cudnn=types.SimpleNamespace(version=lambda: 90100)),
        cuda=types.SimpleNamespace(
            is_available=lambda: True,
            device_count=lambda: 1,
            get_device_name=lambda index: "NVIDIA H200",
        ),
    )
    monkeypatch.setitem(sys.modules, "torch", fake)
    assert cuda_versions() == {"cuda": "12.4", "cudnn": 90100, "devices": ["NVIDIA H200"]}
