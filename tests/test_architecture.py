"""The layers of docs/architecture.md hold: no upward import, no import cycle, a light package."""

from __future__ import annotations

import ast
import functools
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT / "src"
PACKAGE = SOURCE / "seedwise"


def _layers() -> list[list[str]]:
    text = (ROOT / "docs" / "architecture.md").read_text()
    block = re.search(r"```layers\n(.*?)```", text, re.S)
    assert block is not None, "docs/architecture.md has no ```layers block"
    return [line.split() for line in block.group(1).splitlines() if line.strip()]


def _module_name(path: Path, source: Path = SOURCE) -> str:
    parts = list(path.relative_to(source).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _modules(source: Path = SOURCE) -> dict[str, Path]:
    package = source / "seedwise"
    return {_module_name(path, source): path for path in sorted(package.rglob("*.py"))}


def _statements(tree: ast.AST) -> Iterator[ast.AST]:
    """``tree`` and the statements nested in it (imports are statements; expressions are not)."""
    stack = [tree]
    while stack:
        node = stack.pop()
        yield node
        for field in ("body", "orelse", "finalbody", "handlers", "cases"):
            children = getattr(node, field, None)
            if isinstance(children, list):
                stack.extend(children)


@functools.cache
def _tree(path: Path) -> ast.Module:
    """The syntax tree of one file, parsed once per test process (the tests never change it)."""
    return ast.parse(path.read_text(), str(path))


def _type_checking_nodes(tree: ast.AST) -> set[int]:
    """The ids of the statements under ``if TYPE_CHECKING:``, which never run."""
    hidden: set[int] = set()
    for node in _statements(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            for statement in node.body:
                hidden.update(id(inner) for inner in _statements(statement))
    return hidden


def _imports(modules: dict[str, Path], *, typing_only: bool = True) -> dict[str, set[str]]:
    """Every seedwise module each module imports, wherever the import statement is.

    Args:
        modules: The modules by name.
        typing_only: Count the imports under ``if TYPE_CHECKING:`` too.
    """
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        targets: set[str] = set()
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        tree = _tree(path)
        hidden = set() if typing_only else _type_checking_nodes(tree)
        for node in _statements(tree):
            if id(node) in hidden:
                continue
            if isinstance(node, ast.Import):
                targets.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                    base = ".".join([*anchor, base] if base else anchor)
                for alias in node.names:
                    submodule = f"{base}.{alias.name}"
                    targets.add(submodule if submodule in modules else base)
        # Importing a.b.c runs a/__init__ and a/b/__init__ first: those count too,
        # except the top package (its lazy __init__ imports nothing at run time) and
        # the importer's own packages (always imported before the importer itself).
        own = {".".join(name.split(".")[:depth]) for depth in range(1, name.count(".") + 1)}
        parents = {
            ".".join(t.split(".")[:depth]) for t in targets for depth in range(2, len(t.split(".")))
        } - own
        graph[name] = {t for t in targets | parents if t in modules and t != name}
    return graph


@functools.cache
def _source_imports(*, typing_only: bool) -> dict[str, set[str]]:
    """:func:`_imports` of seedwise's own source, parsed once per test process."""
    return _imports(_modules(), typing_only=typing_only)


def _layer_of(module: str, layers: list[list[str]]) -> int | None:
    for index, members in enumerate(layers):
        if any(module == m or module.startswith(m + ".") for m in members):
            return index
    return None


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph.get(node, ())):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_every_module_has_a_layer() -> None:
    layers = _layers()
    missing = [m for m in _modules() if m != "seedwise" and _layer_of(m, layers) is None]
    assert missing == [], f"modules without a layer in docs/architecture.md: {missing}"


def _upward(graph: dict[str, set[str]], layers: list[list[str]]) -> list[str]:
    upward = []
    for module, targets in graph.items():
        own = _layer_of(module, layers)
        if module == "seedwise" or own is None:
            continue
        for target in sorted(targets):
            theirs = _layer_of(target, layers)
            # Shipped examples are user code: they use the public API as users do.
            public = target == "seedwise" and not module.startswith("seedwise.examples")
            if public or (theirs is not None and theirs > own):
                upward.append(f"{module} -> {target}")
    return upward


def test_no_module_imports_from_a_layer_above_its_own() -> None:
    assert _upward(_source_imports(typing_only=True), _layers()) == []


def test_the_checks_catch_an_upward_import_and_a_cycle_through_a_package(tmp_path: Path) -> None:
    files = {
        "seedwise/__init__.py": "",
        "seedwise/errors.py": "def f():\n    from seedwise.cli import main\n",
        "seedwise/cli.py": "",
        "seedwise/runner/__init__.py": "from seedwise.runner.worker import work\n",
        "seedwise/runner/worker.py": "from seedwise.check.sources import watch\n",
        "seedwise/check/__init__.py": "from seedwise.check.core import check\n",
        "seedwise/check/core.py": "from seedwise.runner import run\n",
        "seedwise/check/sources.py": "",
    }
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    graph = _imports(_modules(tmp_path))
    upward = _upward(graph, _layers())
    assert "seedwise.errors -> seedwise.cli" in upward
    assert "seedwise.runner.worker -> seedwise.check" in upward
    # worker -> check.sources runs check/__init__, which imports check.core -> runner.
    assert _cycles(_imports(_modules(tmp_path), typing_only=False)) == [
        [
            "seedwise.check",
            "seedwise.check.core",
            "seedwise.runner",
            "seedwise.runner.worker",
        ]
    ]


def test_no_import_cycles() -> None:
    # Imports for type checking only never run, so they cannot close a cycle.
    assert _cycles(_source_imports(typing_only=False)) == []


def test_no_cycle_anywhere_even_for_type_checking() -> None:
    # Every module imports downwards only, under TYPE_CHECKING too: a result type
    # never needs its renderer imported first, a Study never needs the Store class.
    assert _cycles(_source_imports(typing_only=True)) == []


def test_the_cycle_finder_finds_cycles() -> None:
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert _cycles({"a": {"b"}, "b": set()}) == []


def _python(code: str) -> str:
    """What ``python -c code`` prints, in a fresh process."""
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
    )
    return done.stdout


@pytest.mark.parametrize(
    "statement",
    ["import seedwise", "seedwise.Study", "seedwise.compare", "seedwise.errors.UsageError"],
)
def test_import_seedwise_loads_no_framework(statement: str) -> None:
    code = (
        "import sys\n"
        f"import seedwise\n{statement if statement != 'import seedwise' else ''}\n"
        "heavy = [m for m in ('tensorflow', 'torch', 'jax', 'keras', 'sklearn', 'scipy', "
        "'matplotlib', 'pandas') if m in sys.modules]\n"
        "print(','.join(heavy))\n"
        "print(' '.join(sorted(m for m in sys.modules if m.startswith('seedwise'))))\n"
    )
    heavy, loaded = _python(code).splitlines()
    assert heavy == ""
    if statement == "import seedwise":
        assert loaded.split() == ["seedwise", "seedwise._lazy", "seedwise._version"]


def test_public_names_resolve() -> None:
    import seedwise

    for name in seedwise.__all__:
        assert getattr(seedwise, name) is not None, name
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        _ = seedwise.nope  # type: ignore[attr-defined]


def test_the_public_names_are_listed_once_and_each_one_resolves() -> None:
    """The TYPE_CHECKING imports in seedwise/__init__.py are the one list the lazy table reads."""
    import importlib

    import seedwise

    source = (ROOT / "src" / "seedwise" / "__init__.py").read_text()
    (block,) = (
        node
        for node in ast.parse(source).body
        if isinstance(node, ast.If) and ast.unparse(node.test) == "TYPE_CHECKING"
    )
    listed = {
        alias.asname or alias.name: node.module
        for node in block.body
        if isinstance(node, ast.ImportFrom)
        for alias in node.names
    }
    assert len(listed) == len(block.body) >= 30
    assert seedwise.__all__ == ["__version__", *sorted(listed)]
    assert dir(seedwise) == sorted(seedwise.__all__)
    for name, module in listed.items():
        owner = importlib.import_module(str(module))
        expected = (
            importlib.import_module(f"seedwise.{name}")
            if module == "seedwise"
            else getattr(owner, name)
        )
        assert getattr(seedwise, name) is expected, name
    assert source.count('"seedwise.') == 0, "a second list of module names"


def test_import_seedwise_imports_no_numpy_and_a_subpackage_never_hides_a_name() -> None:
    code = (
        "import sys, seedwise\n"
        "print('numpy' in sys.modules, len(seedwise.__all__))\n"
        "seedwise.CheckResult\n"
        "import seedwise.check.core\n"
        "print(seedwise.check.__name__, type(seedwise.check).__name__)\n"
    )
    assert _python(code).split() == ["False", "44", "check", "function"]


def test_seedwise_runner_is_lazy_and_its_submodules_never_hide_a_name() -> None:
    # seedwise.runner.run is the function, never a module, whatever was imported.
    code = (
        "import sys, seedwise.runner\n"
        "print(sorted(m for m in sys.modules if m.startswith('seedwise.runner.')))\n"
        "import seedwise.runner.studies, seedwise.runner.pool\n"
        "from seedwise.runner import run, shutdown\n"
        "print(type(seedwise.runner.run).__name__, run is seedwise.runner.studies.run, "
        "shutdown is seedwise.runner.pool.shutdown, run is seedwise.run)\n"
    )
    assert _python(code).splitlines() == ["[]", "function True True True"]


def test_the_tests_mirror_the_source_tree() -> None:
    # A newcomer finds the test of seedwise/store/claims.py under tests/store/: every
    # folder of tests (but the programs they run) is a package of src/seedwise.
    tests = Path(__file__).resolve().parent
    package = tests.parent / "src" / "seedwise"
    folders = sorted(p.name for p in tests.iterdir() if p.is_dir() and p.name != "__pycache__")
    assert "programs" in folders
    assert [name for name in folders if name != "programs" and not (package / name).is_dir()] == []
    assert {"store", "stats", "runner", "experiment", "commands"} <= set(folders)
