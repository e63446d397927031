"""Feature packages depend on each other one way only, and content on the shop, never
the reverse.

Why: a newcomer should be able to read a feature by reading it and what sits below it;
an arrow the wrong way (or a cycle) makes every change ripple both ways. The source is
read with ``ast``, so imports hidden inside functions count as much as the ones at the
top of a module.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# Each feature, with what it may import. Read bottom-up: nothing may import a feature
# listed after it. The back office and the editorial side sit on top of the shop.
ALLOWED: dict[str, frozenset[str]] = {
    "addresses": frozenset(),
    "catalog": frozenset(),
    "promotions": frozenset({"catalog"}),
    "payments": frozenset(),
    "shipping": frozenset({"addresses"}),
    "cart": frozenset({"addresses", "catalog", "promotions", "shipping"}),
    "orders": frozenset({"addresses", "cart", "catalog", "payments", "promotions"}),
    "checkout": frozenset(
        {"addresses", "cart", "catalog", "orders", "payments", "promotions", "shipping"}
    ),
    "content": frozenset({"cart", "catalog", "orders", "payments", "promotions"}),
    "admin": frozenset(
        {
            "addresses",
            "cart",
            "catalog",
            "checkout",
            "content",
            "orders",
            "payments",
            "promotions",
            "shipping",
        }
    ),
}
# Where the app is put together: these may import every feature.
COMPOSITION_ROOTS = frozenset({"shop", "shop.models", "shop.demo", "shop.cli"})


def _module_name(path: Path) -> str:
    return ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")


def _feature_of(module: str) -> str | None:
    """The feature a module belongs to; None for shop-wide modules and libraries."""
    parts = module.split(".")
    if parts[0] == "content":
        return "content"
    if parts[0] == "shop" and len(parts) > 1 and parts[1] in ALLOWED:
        return parts[1]
    return None


def _imports(path: Path) -> Iterator[str]:
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            yield node.module


def _arrows() -> dict[tuple[str, str], list[str]]:
    """(importing feature or module, imported feature) -> the files with that import."""
    found: dict[tuple[str, str], list[str]] = {}
    for path in sorted([*(ROOT / "shop").rglob("*.py"), *(ROOT / "content").rglob("*.py")]):
        if "migrations" in path.parts:
            continue
        module = _module_name(path)
        source = _feature_of(module) or module
        for imported in _imports(path):
            target = _feature_of(imported)
            if target is not None and target != source:
                found.setdefault((source, target), []).append(str(path.relative_to(ROOT)))
    return found


def test_the_allowed_arrows_have_no_cycle():
    order = list(ALLOWED)
    for feature, allowed in ALLOWED.items():
        assert all(order.index(other) < order.index(feature) for other in allowed), feature


def test_features_import_only_what_sits_below_them():
    wrong = {
        arrow: files
        for arrow, files in _arrows().items()
        if arrow[0] in ALLOWED and arrow[1] not in ALLOWED[arrow[0]]
    }
    assert wrong == {}


def test_shop_wide_modules_import_no_feature():
    wrong = {
        arrow: files
        for arrow, files in _arrows().items()
        if arrow[0] not in ALLOWED and arrow[0] not in COMPOSITION_ROOTS
    }
    assert wrong == {}
