"""The store's modules import one way: no cycle among them, not even for type checking."""

from __future__ import annotations

from tests.test_architecture import _cycles, _source_imports


def test_no_store_module_imports_one_that_imports_it() -> None:
    graph = _source_imports(typing_only=True)
    store = {
        module: {target for target in targets if target.startswith("seedwise.store")}
        for module, targets in graph.items()
        if module.startswith("seedwise.store")
    }
    assert "seedwise.store.study" in store["seedwise.store.core"]
    assert "seedwise.store.core" not in store["seedwise.store.study"]
    assert _cycles(store) == []
