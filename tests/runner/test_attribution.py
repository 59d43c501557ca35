"""``seedwise attribute`` end to end: one study per source, the shares, the command line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from seedwise.cli import main
from seedwise.report import write_report
from seedwise.runner.attribution import attribution_of, check_sources, run_attribution
from seedwise.store import open_store
from tests.conftest import PROGRAMS

EXPERIMENTS = PROGRAMS / "attribution_experiments.py"
FAST = ("numpy",)


def test_variance_from_one_known_source_is_attributed_to_it(tmp_path: Path) -> None:
    store = tmp_path / "seedwise.db"
    outcome = run_attribution(
        f"{EXPERIMENTS}:one_source",
        sources=["init", "data"],
        repeats=12,
        store=store,
        workers=1,
        frameworks=FAST,
    )
    result = outcome.attribution("y")
    init, data, unnamed = (result.share(name) for name in ("init", "data", "unnamed"))
    assert (data.share, data.low, data.high) == (0.0, 0.0, 0.0)
    assert (unnamed.share, unnamed.low, unnamed.high) == (0.0, 0.0, 0.0)
    assert init.low is not None
    assert init.high is not None
    assert init.low <= 1.0 <= init.high
    assert init.share == 1.0
    assert result.share("interactions").share == 0.0
    # The study of "init" and the study where all vary draw init from the same keys.
    assert outcome.values("y")["init"] == outcome.values("y")["all"]


@pytest.mark.slow
def test_two_sources_of_known_variance_get_shares_within_their_intervals(
    tmp_path: Path,
) -> None:
    store = tmp_path / "seedwise.db"
    outcome = run_attribution(
        f"{EXPERIMENTS}:two_sources",
        sources=["init", "data"],
        repeats=40,
        store=store,
        workers=1,
        frameworks=FAST,
    )
    result = outcome.attribution("y")
    truth = {"init": 4 / 5.25, "data": 1 / 5.25, "unnamed": 0.25 / 5.25, "interactions": 0.0}
    for source, share in truth.items():
        part = result.share(source)
        assert part.low is not None
        assert part.high is not None
        assert part.low <= share <= part.high, (source, part)
    assert result.share("init").low > result.share("data").share  # type: ignore[operator]
    with open_store(store) as reader:
        studies = [reader.study(entry.name) for entry in reader.list_studies()]
        (stored,) = attribution_of(studies, ["y"])
    assert stored.to_dict() == result.to_dict()
    with open_store(store) as reader:
        studies = [reader.study(name) for name in outcome.study_names()]
        page = write_report(studies, tmp_path / "report.md", metrics=["y"])
    text = page.read_text()
    assert "## Variance by source" in text
    assert f"| init | {result.share('init').share:.1%} |" in text
    assert (tmp_path / "report_files" / "attribution-1.png").read_bytes()[:4] == b"\x89PNG"


def test_pinned_streams_keep_their_key_and_a_rerun_resumes(tmp_path: Path) -> None:
    store = tmp_path / "seedwise.db"
    options = {"repeats": 3, "store": store, "workers": 1, "frameworks": FAST}
    first = run_attribution(f"{EXPERIMENTS}:one_source", sources=["data"], **options)
    values = first.values("y")
    assert len(set(values["data"])) == 1  # init is not named: it is unnamed, pinned here
    assert len(set(values["unnamed"])) == 3
    again = run_attribution(f"{EXPERIMENTS}:one_source", sources=["data"], **options)
    assert all(study.already_done == 3 for study in again.studies.values())
    assert again.values("y") == values


def test_the_command_prints_the_table_and_json(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    reference = f"{EXPERIMENTS}:one_source"
    argv = ["attribute", reference, "--sources", "init,data", "--repeats", "4"]
    argv += ["--framework", "numpy", "--workers", "1", "--store", str(tmp_path / "s.db")]
    assert main([*argv, "--no-unnamed"]) == 0
    out = capsys.readouterr().out
    assert "y: share of the variance by source" in out
    assert "interactions and randomness no named stream reaches" in out
    assert main([*argv, "--no-unnamed", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["sources"] == ["init", "data"]
    shares = {part["source"]: part["share"] for part in data["attributions"][0]["shares"]}
    assert shares["data"] == 0.0
    assert set(data["studies"]) == {"all", "init", "data"}


@pytest.mark.parametrize(
    ("sources", "shown"),
    [
        ("init,init", "init repeated"),
        ("all", "not all, unnamed, interactions"),
        ("in it", "A source must be the name of a stream. Received: source='in it'"),
        (",", "needs a list of sources"),
    ],
)
def test_bad_sources_are_refused_while_parsing(
    sources: str, shown: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store = tmp_path / "s.db"
    argv = ["attribute", f"{EXPERIMENTS}:one_source", "--sources", sources, "--store", str(store)]
    assert main(argv) == 2
    assert shown in capsys.readouterr().err
    assert not store.exists()


def test_check_sources_keeps_the_order() -> None:
    assert check_sources(["dropout", "init"]) == ("dropout", "init")


def test_the_torch_example_wires_every_random_draw_to_a_source(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    pytest.importorskip("torch")
    # torch's optimisers set this on first use; the test must leave the environment as it was.
    monkeypatch.setenv("TORCHINDUCTOR_CACHE_DIR", str(tmp_path))
    from seedwise.examples.sources import train_torch
    from seedwise.experiment import RunContext
    from seedwise.seeding import seeded
    from seedwise.seeding.pins import StreamPins

    def mse(label: str, seed: int) -> float:
        pins = StreamPins.for_source(label, ("init", "data", "dropout"), 99)
        context = RunContext(seed, 0, {"epochs": 2}, Path("."), pins=pins)
        with seeded(pins.run_seed(seed), frameworks=["torch"]):
            return train_torch(context)["mse"]

    assert mse("unnamed", 1) == mse("unnamed", 2)
    assert mse("dropout", 1) != mse("dropout", 2)
    assert mse("data", 1) != mse("data", 2)


@pytest.mark.slow
def test_the_studies_share_one_set_of_warm_workers_and_the_same_bits(tmp_path: Path) -> None:
    from seedwise.runner.folders import runs_root
    from seedwise.runner.options import LocalExecutorFactory

    options = {"sources": ["init", "data"], "repeats": 4, "frameworks": FAST, "workers": 2}
    shared = run_attribution(f"{EXPERIMENTS}:two_sources", store=tmp_path / "a.db", **options)
    # An executor object is used as given: each study gets its own workers, as before.
    apart = run_attribution(
        f"{EXPERIMENTS}:two_sources",
        store=tmp_path / "b.db",
        executor=LocalExecutorFactory(workers=2),
        **options,
    )
    assert shared.values("y") == apart.values("y")
    logs = sorted(
        path.parent.parent.name for path in runs_root(tmp_path / "a.db").glob("*/workers/*.log")
    )
    # One folder of worker logs for the attribution, none per study; at most two workers.
    assert len(set(logs)) == 1
    assert logs[0].endswith("-attribute")
    assert 1 <= len(logs) <= 2


def test_a_split_drawn_by_ctx_split_gets_the_variance_of_the_split(tmp_path: Path) -> None:
    outcome = run_attribution(
        f"{EXPERIMENTS}:split_source",
        sources=["init", "split"],
        repeats=12,
        store=tmp_path / "seedwise.db",
        workers=1,
        frameworks=FAST,
    )
    result = outcome.attribution("accuracy")
    split, init = result.share("split"), result.share("init")
    assert split.share == 1.0
    assert (init.share, init.low, init.high) == (0.0, 0.0, 0.0)
    assert len(set(outcome.values("accuracy")["split"])) > 1
