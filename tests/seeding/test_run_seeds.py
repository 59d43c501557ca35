"""Run seeds: 32 bits that every seeding API takes, distinct within a study, collision figures."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from seedwise.errors import InvalidSeedError
from seedwise.experiment import RunContext
from seedwise.runner import run_seed
from seedwise.seeding.streams import MAX_RUN_SEED, repeat_seed
from tests.conftest import PROGRAMS, ROOT, run_python
from tests.runner.conftest import study_run

# Pinned when the 32-bit scheme was defined: a change breaks every stored study's seeds.
PINNED = {
    (0, 0): 1913265411,
    (0, 1): 4224944202,
    (0, 2): 970770732,
    (42, 0): 2059442393,
    (2**63 - 1, 2**32 - 1): 3720187959,
}

#: The figures docs/seeding.md gives: P(two of n independent 32-bit seeds are equal).
DOCUMENTED = {30: "1.0e-07", 1_000: "1.2e-04", 100_000: "0.69"}


@pytest.mark.parametrize(("args", "expected"), PINNED.items())
def test_repeat_seed_pinned_values(args: tuple[int, int], expected: int) -> None:
    assert repeat_seed(*args) == expected
    assert run_seed(*args) == expected


def test_a_study_of_100000_runs_has_100000_distinct_32_bit_seeds() -> None:
    seeds = np.array([run_seed(0, repeat) for repeat in range(100_000)], dtype=np.int64)
    assert len(np.unique(seeds)) == 100_000
    # Spread over the whole range, not packed near the repeat indices.
    assert seeds.min() in range(2**20)
    assert seeds.max() in range(2**32 - 2**20, MAX_RUN_SEED + 1)


@settings(max_examples=50, deadline=None)
@given(
    root=st.integers(0, 2**63 - 1),
    repeats=st.lists(st.integers(0, 2**32 - 1), min_size=2, max_size=50, unique=True),
)
def test_distinct_repeats_never_share_a_seed(root: int, repeats: list[int]) -> None:
    seeds = [repeat_seed(root, repeat) for repeat in repeats]
    assert len(set(seeds)) == len(seeds)
    assert all(0 <= seed <= MAX_RUN_SEED for seed in seeds)


@pytest.mark.parametrize("repeat", [-1, 2**32, 1.5, True])
def test_a_bad_repeat_is_refused(repeat: object) -> None:
    with pytest.raises(InvalidSeedError, match=r"Received: repeat="):
        repeat_seed(0, repeat)  # type: ignore[arg-type]


def test_seed_for_gives_32_bit_seeds_unless_asked_for_more(tmp_path: Path) -> None:
    ctx = RunContext(run_seed(0, 3), 3, {}, tmp_path)
    assert ctx.seed_for("init") <= MAX_RUN_SEED
    assert ctx.seed_for("init") == ctx.seed_for("init", bits=63) >> 31


def _exact_collision(runs: int, bits: int = 32) -> float:
    """P(at least two of ``runs`` independent uniform ``bits``-bit seeds are equal), exactly."""
    space = 2**bits
    return -math.expm1(sum(math.log1p(-i / space) for i in range(runs)))


def _birthday_bound(runs: int, bits: int = 32) -> float:
    return -math.expm1(-runs * (runs - 1) / 2 / 2**bits)


@pytest.mark.parametrize(("runs", "figure"), DOCUMENTED.items())
def test_documented_collision_figures_are_the_birthday_bound_and_exact(
    runs: int, figure: str
) -> None:
    bound, exact = _birthday_bound(runs), _exact_collision(runs)
    assert math.isclose(bound, exact, rel_tol=1e-3)
    assert f"{bound:.2g}" == f"{float(figure):.2g}"
    docs = (ROOT / "docs" / "seeding.md").read_text()
    assert f"| {runs:,} | {figure} |" in docs


def test_the_collision_formula_matches_a_simulation() -> None:
    # 300 seeds of 16 bits collide about as often as 100,000 of 32 bits.
    generator = np.random.default_rng(20240601)
    trials = 4000
    draws = generator.integers(0, 2**16, size=(trials, 300))
    collided = np.mean([len(np.unique(row)) < 300 for row in draws])
    expected = _exact_collision(300, bits=16)
    assert abs(collided - expected) < 4 * math.sqrt(expected * (1 - expected) / trials)


@pytest.mark.slow
def test_run_seeds_fit_every_seeding_api_without_losing_bits() -> None:
    seeds = [run_seed(0, 0), run_seed(7, 12), MAX_RUN_SEED]
    result = run_python([str(PROGRAMS / "seed_apis.py"), *map(str, seeds)], timeout=240)
    assert result.returncode == 0, result.stderr[-2000:]
    kept = json.loads(result.stdout.strip().splitlines()[-1])
    for seed in seeds:
        assert kept[str(seed)] == {
            "numpy": seed,
            "random_state": seed,
            "torch": seed,
            "lightning": seed,
            "sklearn": seed,
            "jax.key": [0, seed],
            "jax.PRNGKey": [0, seed],
        }


def test_identical_metrics_across_runs_say_the_code_seeds_itself(tmp_path: Path) -> None:
    experiments = PROGRAMS / "experiments.py"
    options = {"repeats": 3, "workers": 1, "frameworks": ("python", "numpy")}
    fixed = study_run(f"{experiments}:self_seeded", store=tmp_path / "a.db", **options)
    varied = study_run(f"{experiments}:noisy", store=tmp_path / "b.db", **options)
    assert [run.status for run in fixed.runs] == ["ok"] * 3
    assert fixed.seeds_itself is True
    assert varied.seeds_itself is False


@pytest.mark.slow
def test_run_prints_how_to_hand_the_seed_to_self_seeding_code(tmp_path: Path) -> None:
    result = run_python(
        [
            "-m",
            "seedwise",
            "run",
            f"{PROGRAMS / 'experiments.py'}:self_seeded",
            "--repeats",
            "2",
            "--workers",
            "1",
            "--store",
            str(tmp_path / "s.db"),
            "--framework",
            "python",
            "--framework",
            "numpy",
        ],
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert "the code seems to seed itself" in result.stdout
    assert "ctx.seed" in result.stdout
