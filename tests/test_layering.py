"""Does autograder/ keep its layers (DESIGN §2.1)? Each package may import only what is below it:

    sandbox      <- engine <- suites (kit, <assignment>) <- nbgrader_ext, tools, __main__

``sandbox`` knows nothing of grading, ``engine`` nothing of nbgrader, and no suite reaches into
the sandbox or the nbgrader plug-ins.
"""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1] / "autograder"
FORBIDDEN = {
    "sandbox": ("autograder.engine", "autograder.suites", "autograder.nbgrader_ext", "autograder.tools", "nbgrader"),
    "engine": ("autograder.nbgrader_ext", "autograder.tools", "nbgrader"),
    "suites": ("autograder.sandbox", "autograder.nbgrader_ext", "autograder.tools", "nbgrader"),
}


def imports(path: Path, root: Path = ROOT) -> set[str]:
    """Absolute names of the modules a file imports (relative imports resolved)."""
    package = ".".join(path.relative_to(root.parent).with_suffix("").parts[:-1])
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = package.rsplit(".", node.level - 1)[0] if node.level else ""
            module = ".".join(x for x in (base, node.module or "") if x)
            found |= {module} | {f"{module}.{a.name}" for a in node.names}
    return found


def violations(layer: str, files, root: Path = ROOT) -> list[str]:
    return [f"{f.relative_to(root.parent)} imports {name}" for f in files for name in sorted(imports(f, root))
            if any(name == bad or name.startswith(bad + ".") for bad in FORBIDDEN[layer])]


@pytest.mark.parametrize("layer", sorted(FORBIDDEN))
def test_layer_imports_only_what_is_below_it(layer):
    """Does every module of this layer import only from the layers below it?"""
    files = sorted((ROOT / layer).rglob("*.py"))
    assert files
    assert violations(layer, files) == []


def test_the_layering_check_can_fail(tmp_path):
    """Negative control: an engine module importing the nbgrader plug-in, or nbgrader itself, is reported."""
    root = tmp_path / "autograder"
    (root / "engine").mkdir(parents=True)
    bad = root / "engine" / "probe.py"
    bad.write_text("from ..nbgrader_ext import plugin\nimport nbgrader.apps\nfrom .report import TestResult\n")
    assert violations("engine", [bad], root) == ["autograder/engine/probe.py imports autograder.nbgrader_ext",
                                                 "autograder/engine/probe.py imports autograder.nbgrader_ext.plugin",
                                                 "autograder/engine/probe.py imports nbgrader.apps"]
