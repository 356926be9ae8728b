"""Are the set-up files consistent: every version pinned, conda and pip alike, CI running `make test`?"""
import re

import yaml

from cs231n_lib import paths

ROOT = paths.REPO_ROOT


def requirements():
    lines = [l.split("#")[0].strip() for l in (ROOT / "requirements.txt").read_text().splitlines()]
    return [l for l in lines if l]


def test_every_requirement_is_pinned_and_matches_the_constraints():
    """Is each direct requirement pinned with == and pinned to the same version in constraints.txt?"""
    constraints = {}
    for line in (ROOT / "constraints.txt").read_text().splitlines():
        name, _, version = line.partition("==")
        constraints[name.strip().lower().replace("_", "-")] = version.strip()
    for req in requirements():
        m = re.fullmatch(r"([A-Za-z0-9_.\-]+)==([\w.+]+)", req)
        assert m, f"requirement not pinned with ==: {req}"
        name = m.group(1).lower().replace("_", "-")
        assert constraints.get(name) == m.group(2), f"{name}: constraints.txt has {constraints.get(name)}"


def test_known_pitfalls_are_avoided():
    """Is SQLAlchemy below 2.1 (warnings in nbgrader) and torch absent or pinned to the CPU 2.13.0?"""
    text = (ROOT / "constraints.txt").read_text().lower()
    assert re.search(r"^sqlalchemy==2\.0\.", text, re.M)
    torch = re.search(r"^torch==(.*)$", text, re.M)
    assert torch is None or torch.group(1).startswith("2.13.0")


def test_conda_environment_uses_the_same_pins():
    """Does environment.yml install from requirements.txt with constraints.txt?"""
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    pip = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict) and "pip" in d)
    assert "-r requirements.txt" in pip and "-c constraints.txt" in pip
    assert any(str(d).startswith("python=3.1") for d in env["dependencies"])


def test_ci_runs_the_readme_test_command():
    """Does .ci/run call `make test`, the command the README gives?"""
    assert "make test" in (ROOT / ".ci" / "run").read_text()
    assert "make test" in (ROOT / "README.md").read_text()
    makefile = (ROOT / "Makefile").read_text()
    for target in ("setup", "test", "release", "data", "demo"):
        assert re.search(rf"^{target}:", makefile, re.M), f"Makefile has no '{target}' target"
