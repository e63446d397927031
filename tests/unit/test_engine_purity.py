"""The pure engines (promotions, shipping rates) import only a small set of standard
modules.

Why: the engine must price a cart the same way in a unit test, a request, a CLI command
and an admin preview. Importing flask, sqlalchemy or a model would let request state,
sessions or queries leak in. Reading a clock would make prices depend on when a test
runs, so the engine is given ``now`` instead. This test reads the source with ``ast``
rather than importing it, so it also catches imports hidden in functions or branches.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SHOP = Path(__file__).resolve().parents[2] / "shop"
PURE_FILES = ("promotions/rules.py", "promotions/engine.py", "shipping/rates.py")

# Pure-computation standard modules only: no I/O, no clock, no dynamic importing.
ALLOWED_MODULES = frozenset(
    {
        "__future__",
        "abc",
        "bisect",
        "collections",
        "collections.abc",
        "dataclasses",
        "datetime",
        "decimal",
        "enum",
        "fractions",
        "functools",
        "heapq",
        "itertools",
        "math",
        "numbers",
        "operator",
        "re",
        "types",
        "typing",
    }
)
ALLOWED_OWN_MODULES = frozenset({"shop.promotions.rules"})
# Attribute calls that read a clock: the engine receives ``now`` instead.
CLOCK_CALLS = frozenset({"now", "utcnow", "today", "time", "monotonic", "perf_counter"})
DYNAMIC_IMPORTS = frozenset({"__import__", "import_module", "exec", "eval"})


def forbidden_imports(source: str, own_package: str = "shop.promotions") -> list[str]:
    """Every problem found in ``source``: a disallowed import, a clock read, an import trick."""
    problems = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative: resolve against the package the file lives in
                parent = own_package.rsplit(".", node.level - 1)[0]
                module = f"{parent}.{node.module}" if node.module else parent
            else:
                module = node.module or ""
            names = [module]
        elif isinstance(node, ast.Call):
            func = node.func
            called = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if called in CLOCK_CALLS:
                problems.append(f"line {node.lineno}: reads a clock with {called}()")
            elif called in DYNAMIC_IMPORTS:
                problems.append(f"line {node.lineno}: dynamic code with {called}()")
            continue
        else:
            continue
        for name in names:
            if name not in ALLOWED_MODULES and name not in ALLOWED_OWN_MODULES:
                problems.append(f"line {node.lineno}: imports {name}")
    return problems


@pytest.mark.parametrize("filename", PURE_FILES)
def test_engine_files_import_only_the_standard_library_and_each_other(filename):
    source = (SHOP / filename).read_text(encoding="utf-8")
    package = "shop." + filename.split("/")[0]
    assert forbidden_imports(source, package) == []


def test_engine_files_exist():
    # A renamed file must not make the purity test pass by reading nothing.
    for filename in PURE_FILES:
        assert (SHOP / filename).stat().st_size > 1000


@pytest.mark.parametrize(
    "snippet",
    [
        "import flask",
        "from flask import request",
        "import flask_login",
        "from flask_sqlalchemy import SQLAlchemy",
        "import sqlalchemy.orm",
        "from sqlalchemy import select",
        "from shop.models import Product",
        "from shop.catalog.models import Variant",
        "from shop import db",
        "from shop.money import format_money",
        "import shop.promotions.models",
        "from . import loader",
        "from .models import PromotionRow",
        "import babel.numbers",
        "import os",
        "import time",
        "import importlib",
        "def f():\n    import flask",
        "if TYPE_CHECKING:\n    from shop.models import Cart",
        "x = datetime.now(UTC)",
        "x = datetime.utcnow()",
        "x = date.today()",
        "m = __import__('flask')",
    ],
)
def test_the_checker_catches_forbidden_code(snippet):
    assert forbidden_imports(snippet) != []


@pytest.mark.parametrize(
    "snippet",
    [
        "from __future__ import annotations",
        "from dataclasses import dataclass",
        "from collections.abc import Callable",
        "import math",
        "from shop.promotions.rules import Rule",
        "from .rules import Rule",
    ],
)
def test_the_checker_allows_pure_imports(snippet):
    assert forbidden_imports(snippet) == []
