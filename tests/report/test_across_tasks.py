"""The report's "Across tasks" section: aggregates, profiles, P(improvement), CD diagram, LaTeX."""

from __future__ import annotations

from pathlib import Path

import pytest

from seedwise.cli import main
from seedwise.report.data import gather
from seedwise.report.outline import outline
from seedwise.report.write import draw_figures
from seedwise.store import Store, open_store
from tests.report.conftest import SCRIPT, add_study

#: Three algorithms (one named as markup) on three tasks, 4 runs each.
CELLS = [(model, task) for model in ("svm", "tree", SCRIPT) for task in ("iris", "wine", "digits")]


def write_tasks(path: Path) -> list[str]:
    """The studies of ``CELLS``, each with its stored task; their names."""
    names = []
    with Store(path) as store:
        for index, (model, task) in enumerate(CELLS):
            name = f"{index}-{task}"
            config = {"model": model, "data": f"/d/{task}.csv"}
            add_study(store, name, index % 3 + 3 * (model == "tree"), runs=4, config=config,
                      task=task)  # fmt: skip
            names.append(name)
    return names


def test_studies_of_several_tasks_gain_the_section(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    names = write_tasks(path)
    with open_store(path) as store:
        data = gather([store.study(name) for name in names], metrics=["mse"], n_resamples=1000)
        # Only the config key that differs within a task names the algorithm.
        assert [a.algorithm for a in data.across_tasks[0].algorithms] == [
            "model=svm",
            "model=tree",
            f"model={SCRIPT}",
        ]
        assert data.across_tasks[0].tasks == ("iris", "wine", "digits")
        figures = draw_figures(data)
        for key in ("intervals", "profiles", "improvement", "ranking"):
            assert figures[f"tasks-{key}-1"].startswith(b"\x89PNG")
        sections = {section.anchor: section for section in outline(data)}
        across = sections["across-tasks"]
        assert across.title == "Across tasks"
        texts = [getattr(block, "text", "") for block in across.blocks]
        assert any(text.startswith("Demsar's path:") for text in texts)
        # The per-task table: one row per task, one column per algorithm.
        table = across.blocks[-1]
        assert [row[0] for row in table.rows] == ["iris", "wine", "digits"]  # type: ignore[union-attr]
        # One task only: no section.
        one = gather([store.study(names[0]), store.study(names[3])], metrics=["mse"])
        assert one.across_tasks == ()
        assert "across-tasks" not in {section.anchor for section in outline(one)}


def test_report_latex_writes_the_tables_across_tasks(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "s.db"
    names = write_tasks(path)
    tex = tmp_path / "t.tex"
    html = tmp_path / "r.html"
    args = ["report", *names, "--metric", "mse", "--store", str(path), "-o", str(html)]
    assert main([*args, "--latex", str(tex)]) == 0
    written = tex.read_text()
    assert written.count(r"\begin{table}") == 5
    assert r"model=\textless{}script\textgreater{}alert(1)\textless{}/script\textgreater{}" in (
        written
    )
    page = html.read_text()
    assert "Across tasks" in page
    assert SCRIPT not in page
    capsys.readouterr()
    # Studies of one task: --latex has nothing to write, one line, exit 2, no report.
    other = tmp_path / "other.html"
    one = ["report", names[0], names[3], "--store", str(path), "-o", str(other)]
    assert main([*one, "--latex", str(tmp_path / "u.tex")]) == 2
    err = capsys.readouterr().err
    assert "these studies have none" in err
    assert len(err.strip().splitlines()) == 1
    assert not other.exists()
