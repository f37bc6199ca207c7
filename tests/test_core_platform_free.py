"""core/ knows no platform: no import of bot/ or adapters/, and no platform name or markup in its code
(string literals and identifiers; docstrings and comments may explain where things come from)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

CORE = Path(__file__).resolve().parent.parent / "core"
PLATFORM = re.compile(r"discord|slack|telegram", re.I)
# Mention / broadcast syntax of the chat platforms: <@U123>, <#C1|x>, <!here>, "::skin-tone".
MARKUP = re.compile(r"<[@#][\w!&^]|<\[[@#!]|<!\(?(?:\?:)?(?:here|channel|everyone|subteam)"
                    r"|@\(?(?:\?:)?(?:everyone|here|channel)\b|::skin|skin-tone")


def _docstrings(tree: ast.AST) -> set[int]:
    ids = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                ids.add(id(body[0].value))
    return ids


def test_core_code_names_no_platform_and_holds_no_platform_markup() -> None:
    found = []
    for path in sorted(CORE.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        docs = _docstrings(tree)
        for node in ast.walk(tree):
            if isinstance(node, ast.Import | ast.ImportFrom):
                mods = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module or ""]
                found += [f"{path.name}: imports {m}" for m in mods if m.split(".")[0] in ("bot", "adapters")]
            elif isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docs:
                if PLATFORM.search(node.value) or MARKUP.search(node.value):
                    found.append(f"{path.relative_to(CORE)}:{node.lineno}: {node.value[:60]!r}")
            elif isinstance(node, ast.Name | ast.Attribute | ast.FunctionDef | ast.ClassDef):
                name = node.id if isinstance(node, ast.Name) else getattr(node, "attr", None) or node.name
                if PLATFORM.search(name):
                    found.append(f"{path.relative_to(CORE)}:{node.lineno}: identifier {name}")
    assert not found, "\n".join(found)
