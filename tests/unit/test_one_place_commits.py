"""Only the unit of work ends a transaction: services, views and commands never commit.

Why: a service that commits ends its caller's transaction halfway (a lock taken by
the view is lost, a refusal after the commit cannot undo what came before, a context
processor writes while a page renders). `shop.unit_of_work` is the one place that
commits; everything else adds and flushes. Read with ``ast``, so a commit hidden in a
helper or a branch is caught too.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("shop", "content")
THE_ONE_PLACE = ROOT / "shop" / "unit_of_work.py"


def commit_calls(source: str) -> list[int]:
    """Line numbers of every `<anything>.commit(...)` call in `source`."""
    return [
        node.lineno
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "commit"
    ]


def test_the_finder_sees_commits_however_written():
    source = (
        "def f(session):\n"
        "    db.session.commit()\n"
        "    if x:\n"
        "        session().commit()\n"
        "    def g():\n"
        "        transaction.commit(  )\n"
        "    commit = 1  # a name, not a call\n"
    )
    assert commit_calls(source) == [2, 4, 6]


def test_only_the_unit_of_work_commits():
    offenders = [
        f"{path.relative_to(ROOT)}:{line}"
        for package in PACKAGES
        for path in sorted((ROOT / package).rglob("*.py"))
        if path != THE_ONE_PLACE and "migrations" not in path.parts
        for line in commit_calls(path.read_text(encoding="utf-8"))
    ]
    assert offenders == []
    assert commit_calls(THE_ONE_PLACE.read_text(encoding="utf-8"))  # it still does
