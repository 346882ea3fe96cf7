"""The import graph of the `api` package, read from the source (no module is run)."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

API = Path(__file__).resolve().parents[2] / "api"


@dataclass(frozen=True)
class Edge:
    importer: str
    imported: str
    line: int


def module_name(path: Path) -> str:
    parts = path.relative_to(API.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules() -> dict[str, Path]:
    return {module_name(path): path for path in API.rglob("*.py")}


def edges() -> Iterator[Edge]:
    """Every import of an `api` module by an `api` module, function-local ones too."""
    known = modules()
    for name, path in known.items():
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                # `from api.x import y` imports api.x, and api.x.y when that is a module.
                targets = [node.module]
                targets += [f"{node.module}.{alias.name}" for alias in node.names]
            else:
                continue
            for target in targets:
                if target in known and target != name:
                    yield Edge(name, target, node.lineno)


def area_of(module: str) -> str | None:
    """`content` for api.content.services; None for the top-level modules."""
    parts = module.split(".")
    return parts[1] if len(parts) > 2 or (API / parts[-1]).is_dir() else None
