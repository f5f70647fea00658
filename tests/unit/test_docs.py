"""The docs point at code and tests that exist: every `coptui/...py`, `tests/...py` and
`tests/...py::test_name` they name is there, so a rename cannot leave them pointing nowhere."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
DOCS = sorted([*REPO.glob("docs/*.md"), REPO / "README.md", REPO / "CONTRIBUTING.md", *REPO.glob("coptui/**/*.md")])
# A path of this repository, optionally followed by ::name (a test or a class's test).
REFERENCE = re.compile(r"(?<![\w/.-])((?:coptui|tests|benchmarks)/[\w/.-]+\.(?:py|tcss|toml))(?:::(\w+))?")


def _references(doc: Path) -> list[tuple[str, str | None]]:
    return [(m.group(1), m.group(2)) for m in REFERENCE.finditer(doc.read_text(encoding="utf-8"))]


def _defined_names(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return {
        node.name for node in ast.walk(tree) if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
    }


def test_the_docs_name_some_code() -> None:
    """The check below can fail: the docs do point at files."""
    assert sum(len(_references(doc)) for doc in DOCS) > 20


@pytest.mark.parametrize("doc", DOCS, ids=lambda doc: str(doc.relative_to(REPO)))
def test_every_file_and_test_a_doc_names_exists(doc: Path) -> None:
    missing = []
    for path, name in _references(doc):
        target = REPO / path
        if not target.is_file():
            missing.append(path)
        elif name is not None and target.suffix == ".py" and name not in _defined_names(target):
            missing.append(f"{path}::{name}")
    assert missing == [], f"{doc.relative_to(REPO)} names what is not there"
