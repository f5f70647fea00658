"""The core never pulls in the UI: each module of the UI-free layers is imported alone in a
fresh interpreter.

import-linter (``[tool.importlinter]`` in pyproject.toml) checks the same rules on the
source; this test checks them on what Python really loads, lazy imports included. Why a
subprocess: in the test process Textual is already imported by other tests, so
``sys.modules`` there proves nothing. (After tconbeer/harlequin's test_import_hygiene.py.)
"""

from __future__ import annotations

import json
import pkgutil
import re
import subprocess
import sys
from pathlib import Path

import pytest

import coptui

PACKAGE = Path(coptui.__file__).parent
UI_FREE_PACKAGES = ("core", "store", "exports", "demo")
UI_PACKAGES = ("textual", "rich", "plotext", "textual_plotext", "asyncssh")


def _modules_under(package: str) -> list[str]:
    return sorted(
        f"coptui.{package}.{info.name}" for info in pkgutil.iter_modules([str(PACKAGE / package)]) if not info.ispkg
    )


UI_FREE_MODULES = [module for package in UI_FREE_PACKAGES for module in _modules_under(package)]

PROBE = """
import importlib, json, sys
importlib.import_module(sys.argv[1])
print(json.dumps(sorted(name for name in sys.modules if name.split(".")[0] in {ui!r})))
"""


def _ui_modules_loaded_by(module: str) -> list[str]:
    result = subprocess.run(
        [sys.executable, "-c", PROBE.format(ui=set(UI_PACKAGES)), module], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    loaded: list[str] = json.loads(result.stdout)
    return loaded


def test_every_ui_free_package_has_modules() -> None:
    for package in UI_FREE_PACKAGES:
        assert _modules_under(package), f"coptui.{package} has no modules: the probe below would check nothing"


@pytest.mark.parametrize("module", UI_FREE_MODULES)
def test_ui_free_module_imports_no_ui_library(module: str) -> None:
    assert _ui_modules_loaded_by(module) == [], f"{module} pulls in UI modules"


def test_only_the_store_imports_tinydb_and_filelock() -> None:
    importer = re.compile(r"^\s*(?:from\s+(?:tinydb|filelock)[\s.]|import\s+(?:tinydb|filelock)\b)", re.MULTILINE)
    offenders = sorted(
        str(path.relative_to(PACKAGE))
        for path in PACKAGE.rglob("*.py")
        if importer.search(path.read_text(encoding="utf-8")) and path.relative_to(PACKAGE).parts[0] != "store"
    )
    assert offenders == []


def test_the_probe_notices_a_ui_import() -> None:
    """The check above can fail: a module that imports plotext is caught."""
    assert "plotext" in _ui_modules_loaded_by("coptui.charts.figures")
