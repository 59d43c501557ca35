"""Packages whose public names are imported the first time they are used (PEP 562).

``seedwise`` and ``seedwise.runner`` list their public names once, as the
imports under ``TYPE_CHECKING`` in their ``__init__.py``: type checkers read
them there, and :func:`public_names` reads the same lines (with :mod:`ast`,
without importing them) into the table of where each name lives. A worker
process imports ``seedwise.runner.worker``, which runs ``seedwise/runner/__init__.py``
first: lazy, it costs the worker nothing of the store, the statistics or the
study loop it never uses.
"""

from __future__ import annotations

import ast
import importlib
import sys
import types
from typing import Any

__all__ = ["PublicModule", "load", "public_names"]


def public_names(path: str, package: str) -> dict[str, tuple[str, str | None]]:
    """Each public name of ``package`` -> its module and its name there.

    Read from the ``TYPE_CHECKING`` imports of ``path``, the package's
    ``__init__.py``: ``from M import N as N`` names ``N`` of module ``M``;
    ``from PACKAGE import N as N`` names the module ``PACKAGE.N`` itself (the
    name there is None).
    """
    with open(path, encoding="utf-8") as source:
        tree = ast.parse(source.read())
    (block,) = (
        node
        for node in tree.body
        if isinstance(node, ast.If) and ast.unparse(node.test) == "TYPE_CHECKING"
    )
    names: dict[str, tuple[str, str | None]] = {}
    for statement in block.body:
        if isinstance(statement, ast.ImportFrom):
            for alias in statement.names:
                if statement.module == package:
                    names[alias.name] = (f"{package}.{alias.name}", None)
                else:
                    names[alias.name] = (str(statement.module), alias.name)
    return names


def load(package: str, name: str) -> Any:
    """The public ``name`` of ``package``, imported now and kept in the package's namespace.

    Raises:
        AttributeError: ``package`` has no such public name.
    """
    module = sys.modules[package]
    table: dict[str, tuple[str, str | None]] = vars(module)["_PUBLIC"]
    if name not in table:
        raise AttributeError(f"module {package!r} has no attribute {name!r}")
    module_name, attribute = table[name]
    owner = importlib.import_module(module_name)
    value = owner if attribute is None else getattr(owner, attribute)
    vars(module)[name] = value
    return value


class PublicModule(types.ModuleType):
    """A lazy package: a submodule, once imported, never hides the public name it shares.

    Importing ``seedwise.check`` (the package) would otherwise set
    ``seedwise.check`` to the package, in place of the function ``check``.
    """

    def __setattr__(self, name: str, value: Any) -> None:
        table: dict[str, tuple[str, str | None]] = vars(self).get("_PUBLIC", {})
        if isinstance(value, types.ModuleType) and table.get(name, ("", None))[1] is not None:
            return
        super().__setattr__(name, value)
