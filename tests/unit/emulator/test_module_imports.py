"""The emulator imports at module level: a function-local import must name the cycle it breaks.

Issue 8 moved the emulator into rooms and took its function-local imports out; this keeps
them out. An import inside a function is allowed only with a comment on its line, or the
line above, that says which import cycle it breaks.
"""

from __future__ import annotations

import ast
from pathlib import Path

EMULATOR = Path(__file__).resolve().parents[3] / "src" / "paydesk" / "emulator"


def local_imports(source: str) -> list[tuple[int, str]]:
    """(line, text) of each import inside a function without a comment naming a cycle."""
    lines = source.splitlines()
    found = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        for inner in ast.walk(node):
            if isinstance(inner, ast.Import | ast.ImportFrom):
                here = lines[inner.lineno - 1]
                above = lines[inner.lineno - 2] if inner.lineno > 1 else ""
                if "cycle" not in here.lower() and "cycle" not in above.lower():
                    found.append((inner.lineno, here.strip()))
    return found


def test_the_emulator_has_no_unexplained_function_local_import() -> None:
    modules = sorted(EMULATOR.rglob("*.py"))
    assert len(modules) > 40
    offenders = {
        str(path.relative_to(EMULATOR)): found
        for path in modules
        if (found := local_imports(path.read_text(encoding="utf-8")))
    }
    assert offenders == {}


def test_a_local_import_is_found_unless_it_names_its_cycle() -> None:
    source = (
        "def f():\n    import json\n\ndef g():\n    # breaks the app -> api cycle\n    import os\n"
    )
    assert local_imports(source) == [(2, "import json")]
