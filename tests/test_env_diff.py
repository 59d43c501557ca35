"""seedwise.env_diff: what differs between two environments, the likeliest to matter first."""

from __future__ import annotations

import copy
from pathlib import Path

from seedwise.env import cpu_description, cuda_versions, gpu_description
from seedwise.env_diff import LIKELIHOODS, environment_differences


def _here() -> dict[str, object]:
    """An environment as a worker records it (written out: collecting one loads BLAS)."""
    return {
        "python": "3.11.7",
        "platform": "Linux-6.1-x86_64",
        "machine": "x86_64",
        "cpu_count": 2,
        "packages": {"numpy": "2.2.0", "torch": "2.13.0+cpu"},
        "variables": {"OMP_NUM_THREADS": "1", "PYTHONHASHSEED": "7"},
        "threadpools": [{"internal_api": "openblas", "version": "0.3.27", "num_threads": 1}],
        "cpu": cpu_description("model name: Some CPU\nflags: sse4_2 avx2 fma\n"),
        "settings": {"threads": 1, "hash_seed": 7, "deterministic": True},
        "experiment_hash": "a",
    }


def test_an_environment_does_not_differ_from_itself() -> None:
    here = _here()
    assert environment_differences(here, copy.deepcopy(here)) == []


def test_differences_are_ranked_by_how_likely_they_change_numbers() -> None:
    here = _here()
    there = copy.deepcopy(here)
    there["platform"] = "Linux-elsewhere"
    there["settings"]["hash_seed"] = 8  # type: ignore[index]
    there["packages"]["torch"] = "0.0.1"  # type: ignore[index]
    there["settings"]["threads"] = 4  # type: ignore[index]
    there["gpu"] = {"driver": "550.54", "models": ["NVIDIA H100 80GB HBM3"]}
    differences = environment_differences(here, there)
    assert [(d.item, d.likelihood) for d in differences] == [
        ("threads", "certain"),
        ("torch version", "likely"),
        ("GPU model", "likely"),
        ("GPU driver", "likely"),
        ("PYTHONHASHSEED", "possible"),
        ("platform", "unlikely"),
    ]
    ranks = [LIKELIHOODS.index(d.likelihood) for d in differences]
    assert ranks == sorted(ranks)
    gpu = differences[2]
    assert (gpu.first, gpu.second) == ("(none)", '["NVIDIA H100 80GB HBM3"]')


def test_the_cpus_numeric_flags_and_the_gpu_driver_are_read_from_their_files(
    tmp_path: Path,
) -> None:
    cpuinfo = "processor\t: 0\nmodel name\t: Some CPU\nflags\t\t: fpu sse4_2 avx2 fma avx512f\n"
    assert cpu_description(cpuinfo) == {
        "model": "Some CPU",
        "flags": ["sse4_2", "avx2", "fma", "avx512f"],
    }
    (tmp_path / "gpus" / "0000:01:00.0").mkdir(parents=True)
    (tmp_path / "version").write_text(
        "NVRM version: NVIDIA UNIX x86_64 Kernel Module  550.54.15  Tue Mar  5 2024\n"
    )
    (tmp_path / "gpus" / "0000:01:00.0" / "information").write_text(
        "Model: \t\t NVIDIA H100 80GB HBM3\nIRQ: 1\n"
    )
    # torch's CUDA and cuDNN versions join them when a run has imported torch.
    assert gpu_description(str(tmp_path)) == {
        "driver": "550.54.15",
        "models": ["NVIDIA H100 80GB HBM3"],
        **cuda_versions(),
    }
    assert gpu_description(str(tmp_path / "absent")) == {}
