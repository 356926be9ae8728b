"""The pieces behind the instructor's and the student's commands, each with a negative control:
a whole gradebook or none, the late policy, the student's zip, the outputs kept for feedback, math
as MathML, and the set-up that survives a moved checkout."""
from __future__ import annotations

import json
import sqlite3
import subprocess
import zipfile
from pathlib import Path

import nbformat
import pytest

from autograder.engine.assignments import AssignmentError, LatePolicy, load_assignment
from autograder.nbgrader_ext import course
from cs231n_lib import handin, paths

ROOT = paths.REPO_ROOT


def tables(path: Path) -> set[str]:
    with sqlite3.connect(path) as db:
        return {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}


# ---- gradebook --------------------------------------------------------------------------

def test_nbgrader_alone_leaves_a_half_made_gradebook_when_alembic_is_not_on_path(tmp_path, monkeypatch):
    """The problem, shown: nbgrader runs `alembic` by name; without it on PATH it fails half way."""
    from nbgrader.api import Gradebook
    monkeypatch.setenv("PATH", str(tmp_path / "nothing"))
    with pytest.raises(FileNotFoundError):
        Gradebook(f"sqlite:///{tmp_path / 'gradebook.db'}")
    assert "assignment" in tables(tmp_path / "gradebook.db") and "alembic_version" not in tables(tmp_path / "gradebook.db")


def test_a_new_gradebook_is_whole_or_absent(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path / "nothing"))
    with pytest.raises(FileNotFoundError):
        course.ensure_gradebook(tmp_path / "gradebook.db")
    assert list(tmp_path.iterdir()) == []               # neither a half-made file nor a partial one
    course.tools_on_path()                               # the interpreter's bin/ (alembic) goes first
    assert course.ensure_gradebook(tmp_path / "gradebook.db") == "created"
    assert "alembic_version" in tables(tmp_path / "gradebook.db")
    assert course.ensure_gradebook(tmp_path / "gradebook.db") == "ok"


def test_a_half_made_gradebook_is_completed_and_then_works(tmp_path, monkeypatch):
    from nbgrader.api import Gradebook
    db = tmp_path / "gradebook.db"
    monkeypatch.setenv("PATH", str(tmp_path / "nothing"))
    with pytest.raises(FileNotFoundError):
        Gradebook(f"sqlite:///{db}")
    assert course.ensure_gradebook(db) == "repaired"
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT version_num FROM alembic_version").fetchall() == [(course.alembic_head(),)]
    # the command that such a gradebook used to break, from a plain shell
    if not (ROOT / ".venv" / "bin" / "nbgrader").exists():
        pytest.skip("needs the project's .venv")
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "CS231N_WORKSPACE": str(tmp_path)}
    done = subprocess.run([str(ROOT / ".venv" / "bin" / "nbgrader"), "db", "upgrade"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr


def test_due_dates_of_released_assignments_reach_the_gradebook(tmp_path):
    root = tmp_path / "course"
    (root / "assignments").mkdir(parents=True)
    (root / "release" / "assignment1").mkdir(parents=True)
    for name in ("assignment1", "assignment2"):   # assignment2 is planned but not released
        (root / "assignments" / f"{name}.toml").write_text((ROOT / "assignments" / f"{name}.toml").read_text())
    course.tools_on_path()
    course.ensure_gradebook(tmp_path / "gradebook.db")
    written = course.sync_due_dates(tmp_path / "gradebook.db", root)
    assert list(written) == ["assignment1"]
    assert written["assignment1"].isoformat() == "2027-01-23T07:59:00"   # 23:59 at -08:00, stored in UTC
    assert course.sync_due_dates(tmp_path / "gradebook.db", root) == {}     # already there: nothing to write


# ---- late policy --------------------------------------------------------------------------

def test_late_policy_penalty():
    zero = LatePolicy()
    assert zero.penalty(10.0, 0) == 0 and zero.penalty(10.0, 1) == 10.0
    quarter = LatePolicy(grace_minutes=15, penalty_per_day=0.25)
    assert quarter.penalty(8.0, 14 * 60) == 0                       # within the grace period
    assert quarter.penalty(8.0, 16 * 60) == 2.0                     # first started day
    assert quarter.penalty(8.0, 15 * 60 + 86400 + 1) == 4.0         # second started day
    assert quarter.penalty(8.0, 30 * 86400) == 8.0                  # never more than the score
    assert quarter.penalty(0.0, 86400) == 0


def test_late_table_in_the_plan(tmp_path):
    base = (ROOT / "assignments" / "assignment1.toml").read_text()
    (tmp_path / "a.toml").write_text(base + "\n[late]\ngrace_minutes = 30\npenalty_per_day = 0.1\n")
    assert load_assignment("a", tmp_path).late == LatePolicy(30.0, 0.1)
    assert load_assignment("assignment1").late == LatePolicy()       # default: late scores 0
    for bad in ("penalty_per_day = 2", "grace_minutes = -1", "grace = 1", 'penalty_per_day = "x"'):
        (tmp_path / "b.toml").write_text(base + f"\n[late]\n{bad}\n")
        with pytest.raises(AssignmentError):
            load_assignment("b", tmp_path)


# ---- the student's zip ----------------------------------------------------------------------

def test_handin_packs_the_notebooks_under_the_name_zip_collect_reads(tmp_path):
    import re
    folder = tmp_path / "release" / "assignment1"
    folder.mkdir(parents=True)
    for p in (paths.RELEASE_DIR / "assignment1").glob("*.ipynb"):
        (folder / p.name).write_bytes(p.read_bytes())
    target, stubs = handin.pack("assignment1", "j.doe-2", folder, tmp_path / "out")
    assert target.name == "j.doe-2_assignment1.zip"
    with zipfile.ZipFile(target) as zf:
        assert sorted(zf.namelist()) == ["knn.ipynb", "softmax.ipynb", "svm.ipynb"]
    assert "svm_loss_naive" in stubs["svm.ipynb"]                     # the untouched release is all stubs
    # zip_collect unpacks the zip into a folder of its name: the pattern files it under the student id
    match = re.match(course.ZIP_NAME_PATTERN, f"/ws/downloaded/assignment1/extracted/{target.stem}/svm.ipynb")
    assert match and match.group("student_id") == "j.doe-2" and match.group("file_id") == "svm.ipynb"
    lms = "/ws/downloaded/assignment1/extracted/jdoe_12345_jdoe_assignment1/knn.ipynb"
    assert re.match(course.ZIP_NAME_PATTERN, lms).group("student_id") == "jdoe"


def test_handin_refuses_bad_ids_and_unreadable_notebooks(tmp_path, capsys):
    folder = tmp_path / "nb"
    folder.mkdir()
    (folder / "knn.ipynb").write_text('{"cells": [')
    for student in ("j_doe", "a b", ""):
        with pytest.raises(handin.HandinError, match="student id"):
            handin.pack("assignment1", student, folder, tmp_path)
    with pytest.raises(handin.HandinError, match="not a readable notebook"):
        handin.pack("assignment1", "jdoe", folder, tmp_path)
    assert handin.main(["assignment1", "--student", "jdoe", "--folder", str(folder), "--out", str(tmp_path)]) == 1
    assert "not a readable notebook" in capsys.readouterr().err
    assert not list(tmp_path.glob("*.zip"))


# ---- what the feedback shows ----------------------------------------------------------------

def test_student_outputs_are_kept_but_only_safe_ones():
    from autograder.nbgrader_ext.feedback import KeepStudentOutputs
    out = nbformat.v4.new_output
    cell = nbformat.v4.new_code_cell("plot()", outputs=[
        out("stream", name="stdout", text="accuracy 0.9\n"),
        out("display_data", data={"image/png": "iVBORw0KGgo=", "text/html": "<script>x()</script>",
                                  "text/plain": "<Figure>"}),
        out("display_data", data={"application/javascript": "alert(1)"}),
        out("display_data", data={"image/svg+xml": "<svg onload='x()'/>"}),
        out("error", ename="ValueError", evalue="bad", traceback=["line"]),
    ])
    grade = nbformat.v4.new_code_cell("assert True", outputs=[out("stream", name="stdout", text="4 / 4 points")])
    grade.metadata["nbgrader"] = {"grade": True, "grade_id": "test_x", "points": 4, "locked": True, "solution": False}
    nb = nbformat.v4.new_notebook(cells=[cell, grade])
    kept, _ = KeepStudentOutputs().preprocess(nb, {})
    outs = kept.cells[0].outputs
    assert [o["output_type"] for o in outs] == ["stream", "display_data", "error"]
    assert set(outs[1]["data"]) == {"image/png", "text/plain"}          # no HTML, JavaScript or SVG
    assert kept.cells[1].outputs == []                                   # a grade cell's output is the grader's
    assert outs[0].output_type == "stream" and outs[1].data["text/plain"] == "<Figure>"   # nbgrader reads attributes


def test_math_becomes_mathml_and_unreadable_math_stays_text():
    from autograder.nbgrader_ext.feedback import latex_to_mathml
    mathml = latex_to_mathml(r"\max(0, s_j - s_{y_i} + \Delta)", "inline")
    assert mathml.startswith("<math") and 'display="inline"' in mathml and "<msub>" in mathml
    assert "<math" not in latex_to_mathml(r"\frac{", "inline")


# ---- set-up -----------------------------------------------------------------------------------

def test_the_checkout_is_an_editable_install_not_an_absolute_pth():
    import sysconfig
    from importlib import metadata

    import cs231n_lib
    assert Path(cs231n_lib.__file__).resolve().is_relative_to(ROOT)
    site_packages = sysconfig.get_paths()["purelib"]
    dist = next(d for d in metadata.distributions(path=[site_packages]) if d.metadata["Name"] == "cs231n-workbook")
    direct = json.loads(dist.read_text("direct_url.json") or "{}")
    assert direct.get("dir_info", {}).get("editable") is True, direct
    assert not (Path(site_packages) / "cs231n_workbook.pth").exists()


def test_makefile_remakes_the_venv_after_the_checkout_moved(tmp_path):
    """`make -n` in a moved copy whose .venv/.location names the old place plans a new virtualenv."""
    copy = tmp_path / "moved"
    copy.mkdir()
    for name in ("Makefile", "requirements.txt", "constraints.txt", "pyproject.toml"):
        (copy / name).write_bytes((ROOT / name).read_bytes())
    (copy / ".venv" / "bin").mkdir(parents=True)
    (copy / ".venv" / ".location").write_text("/somewhere/else/.venv\n")
    (copy / ".venv" / ".installed").write_text("")
    plan = subprocess.run(["make", "-n", "setup"], cwd=copy, capture_output=True, text=True, timeout=60).stdout
    assert "venv --clear" in plan and "pip install" in plan and "-e ." in plan
    (copy / ".venv" / ".location").write_text(str(copy / ".venv") + "\n")   # not moved: nothing to do
    (copy / ".venv" / ".installed").write_text("")                         # newer than its prerequisites
    plan = subprocess.run(["make", "-n", "setup"], cwd=copy, capture_output=True, text=True, timeout=60).stdout
    assert "pip install" not in plan


def test_kernels_of_this_environment_print_no_plain_tcp_warning():
    config = ROOT / "jupyter-config" / "ipython" / "ipython_kernel_config.py"
    import logging
    scope: dict = {}
    exec(compile(config.read_text(), str(config), "exec"), scope)
    logger = logging.getLogger("IPKernelApp")
    record = logger.makeRecord("IPKernelApp", logging.WARNING, __file__, 1,
                               "Kernel is running over TCP without encryption. All communication ...", None, None)
    other = logger.makeRecord("IPKernelApp", logging.WARNING, __file__, 1, "something else", None, None)
    assert not logger.filter(record) and logger.filter(other)
    settings = json.loads((ROOT / "jupyter-config" / "jupyter_server_config.json").read_text())
    assert settings["MappingKernelManager"]["transport_encryption"] == "auto"   # the server-level policy


def test_array_mismatch_message_reads_for_plural_and_singular_names():
    import numpy as np

    from autograder.suites.kit.checks import assert_close
    for what in ("the distances", "dx"):
        with pytest.raises(AssertionError) as info:
            assert_close(np.zeros(3), np.ones(3), 1e-6, what, "for N=3")
        assert str(info.value).startswith(f"wrong values in {what} for N=3 (max relative error")
        assert "differs" not in str(info.value)
    assert_close(np.ones(3), np.ones(3), 1e-6, "dx")   # negative control: equal values pass
